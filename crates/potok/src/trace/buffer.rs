//! Recording: per-thread buffers, handed over in batches.
//!
//! # How an event is recorded
//!
//! Every hook first reads the instrumentation word's `TRACE` bit ([`on`]: one relaxed load;
//! nothing else happens while tracing is off).
//! When on, the event goes into the calling thread's own buffer (a thread-local `Vec`, no lock
//! and no atomic read-modify-write). A thread hands its buffer over in a [`Batch`]:
//!
//! - when it holds [`CHUNK`] events,
//! - before it blocks (so a thread that never wakes still shows what it did, and the wait),
//! - when it ends, and when the recording finishes (the finishing thread's own).
//!
//! In the recording process a batch goes into the thread's own slot (a mutex only that thread
//! and the final collection take); in a child process started by `potok::process` it is
//! appended to the child's file at once (see `child`), so a child that is killed still gives
//! what it handed over. Events a thread had not handed over when the recording finished (a
//! daemon thread still running) are counted as dropped, as are events over [`THREAD_LIMIT`].
//!
//! # Sessions
//!
//! [`GEN`] numbers recordings; a thread whose buffer belongs to an older one starts afresh.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::clock::{ticks, Pair};
use super::event::{Batch, Event, Object, Tag};

/// Whether a recording is on: the one load every event site makes (the `TRACE` bit of the
/// word all instrumentation shares, so that a lock's fast path checks tracing and lock-order
/// checking with one load).
#[inline(always)]
pub(crate) fn on() -> bool {
    crate::instrument::load() & crate::instrument::TRACE != 0
}

/// The current recording's number (0: none yet).
static GEN: AtomicU64 = AtomicU64::new(0);

/// Events a thread collects before handing them over.
pub(crate) const CHUNK: usize = 1024;

/// Events one thread may record in one recording (about 48 MB); the rest are counted as
/// dropped.
pub(crate) const THREAD_LIMIT: u64 = 1 << 21;

/// Where batches go.
pub(crate) enum Sink {
    /// Kept in memory, per thread, until the recording finishes.
    Memory,
    /// Appended to this process's file (a child process).
    File(Mutex<std::fs::File>),
}

/// The running recording.
pub(crate) struct Session {
    pub(crate) gen: u64,
    pub(crate) start: Pair,
    pub(crate) pid: u32,
    pub(crate) process: String,
    pub(crate) sink: Arc<Sink>,
    /// The threads that recorded something, in memory mode.
    pub(crate) threads: Vec<Arc<Slot>>,
}

pub(crate) static SESSION: Mutex<Option<Session>> = parking_lot::const_mutex(None);

/// One thread's handed-over batches.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) batches: Mutex<Vec<Batch>>,
    /// Events in the thread's buffer, not handed over yet.
    pub(crate) pending: AtomicU64,
}

/// Begins a recording; returns its number.
pub(crate) fn begin(process: String, sink: Sink) -> u64 {
    let mut session = SESSION.lock();
    let gen = GEN.fetch_add(1, Ordering::Relaxed) + 1;
    *session = Some(Session {
        gen,
        start: Pair::now(),
        pid: std::process::id(),
        process,
        sink: Arc::new(sink),
        threads: Vec::new(),
    });
    crate::instrument::set(crate::instrument::TRACE, Ordering::Release);
    gen
}

/// Ends recording `gen` (if it is still the current one) and gives its session back, after
/// handing over the caller's own buffer.
pub(crate) fn end(gen: u64) -> Option<Session> {
    flush_current();
    let mut session = SESSION.lock();
    if session.as_ref().map(|s| s.gen) != Some(gen) {
        return None;
    }
    crate::instrument::clear(crate::instrument::TRACE, Ordering::Release);
    session.take()
}

/// A cached object id: the name's address and length, the category's, and the name itself
/// (compared on a hit, so a freed and reused address with another name is a miss).
struct Cached {
    key: (usize, usize, usize, usize),
    id: u32,
    name: Box<str>,
}

const CACHE: usize = 64;

struct Local {
    gen: u64,
    pid: u32,
    process: String,
    start: Pair,
    thread: u64,
    thread_name: String,
    events: Vec<Event>,
    /// Objects new since the last batch.
    objects: Vec<Object>,
    /// Objects in the table (index 0 is unused).
    object_count: u32,
    cache: Vec<Option<Cached>>,
    recorded: u64,
    dropped: u64,
    sink: Option<Arc<Sink>>,
    slot: Option<Arc<Slot>>,
}

impl Local {
    const fn new() -> Local {
        Local {
            gen: 0,
            pid: 0,
            process: String::new(),
            start: Pair { ticks: 0, wall: 0 },
            thread: 0,
            thread_name: String::new(),
            events: Vec::new(),
            objects: Vec::new(),
            object_count: 1,
            cache: Vec::new(),
            recorded: 0,
            dropped: 0,
            sink: None,
            slot: None,
        }
    }

    /// Joins recording `gen`: a fresh buffer. False if there is no such recording.
    #[cold]
    fn join(&mut self, gen: u64) -> bool {
        let (thread, thread_name) = crate::thread::describe_current();
        let mut session = SESSION.lock();
        let Some(s) = session.as_mut().filter(|s| s.gen == gen) else {
            return false;
        };
        let slot = matches!(*s.sink, Sink::Memory).then(|| {
            let slot = Arc::new(Slot::default());
            s.threads.push(Arc::clone(&slot));
            slot
        });
        *self = Local {
            gen,
            pid: s.pid,
            process: s.process.clone(),
            start: s.start,
            thread,
            thread_name,
            events: Vec::with_capacity(CHUNK),
            objects: Vec::new(),
            object_count: 1,
            cache: (0..CACHE).map(|_| None).collect(),
            recorded: 0,
            dropped: 0,
            sink: Some(Arc::clone(&s.sink)),
            slot,
        };
        true
    }

    fn object(
        &mut self,
        cat: &'static str,
        kind: &'static str,
        name: &str,
        detail: Option<&'static str>,
    ) -> u32 {
        let key = (
            name.as_ptr() as usize,
            name.len(),
            cat.as_ptr() as usize,
            detail.map_or(0, |d| d.as_ptr() as usize),
        );
        let at = (key.0 >> 4 ^ key.1 ^ key.2 >> 3 ^ key.3 >> 2) % CACHE;
        if let Some(hit) = &self.cache[at] {
            if hit.key == key && *hit.name == *name {
                return hit.id;
            }
        }
        let id = self.object_count;
        self.object_count += 1;
        self.objects.push(Object {
            cat: cat.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            detail: detail.map(str::to_owned),
        });
        self.cache[at] = Some(Cached {
            key,
            id,
            name: name.into(),
        });
        id
    }

    #[inline]
    fn push(&mut self, event: Event) {
        if self.recorded >= THREAD_LIMIT {
            self.dropped += 1;
            return;
        }
        self.recorded += 1;
        self.events.push(event);
        if self.events.len() >= CHUNK {
            self.flush();
        } else if let Some(slot) = &self.slot {
            slot.pending
                .store(self.events.len() as u64, Ordering::Relaxed);
        }
    }

    /// Hands the buffer over.
    fn flush(&mut self) {
        let Some(sink) = &self.sink else { return };
        if self.events.is_empty() && self.objects.is_empty() {
            return;
        }
        let events = if self.events.len() >= CHUNK {
            std::mem::replace(&mut self.events, Vec::with_capacity(CHUNK))
        } else {
            let events = self.events.clone();
            self.events.clear();
            events
        };
        let batch = Batch {
            pid: self.pid,
            process: self.process.clone(),
            thread: self.thread,
            thread_name: self.thread_name.clone(),
            start: self.start,
            now: Pair::now(),
            objects: std::mem::take(&mut self.objects),
            events,
            dropped: self.dropped,
        };
        match (&**sink, &self.slot) {
            (Sink::Memory, Some(slot)) => {
                slot.batches.lock().push(batch);
                slot.pending.store(0, Ordering::Relaxed);
            }
            (Sink::File(file), _) => super::child::append(file, &batch),
            (Sink::Memory, None) => {}
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        if self.gen == GEN.load(Ordering::Relaxed) && on() {
            self.flush();
        }
    }
}

thread_local! {
    static LOCAL: RefCell<Local> = const { RefCell::new(Local::new()) };
}

/// Runs `f` on the caller's buffer of the current recording, if any.
#[inline]
fn with_local(f: impl FnOnce(&mut Local)) {
    let gen = GEN.load(Ordering::Relaxed);
    let _ = LOCAL.try_with(|local| {
        let Ok(mut local) = local.try_borrow_mut() else {
            return;
        };
        if local.gen != gen && !local.join(gen) {
            return;
        }
        f(&mut local);
    });
}

/// What an event refers to, before it is interned in the thread's table.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    pub(crate) cat: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) name: &'a str,
    pub(crate) detail: Option<&'static str>,
}

/// Records an event about `obj` (the clock is read inside, after the buffer is reached).
#[inline]
pub(crate) fn record(tag: Tag, obj: Option<Obj<'_>>, arg: u64) {
    with_local(|local| {
        let obj = obj.map_or(0, |o| local.object(o.cat, o.kind, o.name, o.detail));
        local.push(Event {
            t: ticks(),
            arg,
            obj,
            tag,
        });
    });
}

/// Records an event about nothing in particular, read from the clock earlier.
pub(crate) fn record_at(t: u64, tag: Tag, arg: u64) {
    with_local(|local| {
        local.push(Event {
            t,
            arg,
            obj: 0,
            tag,
        })
    });
}

/// Records an event, then hands the buffer over (before blocking, at a task's end).
pub(crate) fn record_and_flush(tag: Tag, obj: Option<Obj<'_>>, arg: u64) {
    with_local(|local| {
        let obj = obj.map_or(0, |o| local.object(o.cat, o.kind, o.name, o.detail));
        local.push(Event {
            t: ticks(),
            arg,
            obj,
            tag,
        });
        local.flush();
    });
}

/// Hands the caller's buffer over now.
pub(crate) fn flush_current() {
    let gen = GEN.load(Ordering::Relaxed);
    let _ = LOCAL.try_with(|local| {
        if let Ok(mut local) = local.try_borrow_mut() {
            if local.gen == gen {
                local.flush();
            }
        }
    });
}

//! The task count of a [`JoinableQueue`](crate::process::JoinableQueue), in shared memory: how
//! many items were put and not yet marked done, and, per process, how many it took and how many
//! it marked done (to tell a `join` that can never return from one that waits for work).
//!
//! # Layout and protocol
//!
//! One segment ([`Kind::Tasks`]) holds a [`Table`]: the `unfinished` count (a shared futex
//! word) and [`SLOTS`] per-process slots. A put adds one to `unfinished` *before* the item
//! reaches the queue (so a `join` can never see 0 while an item is on its way); a failed put
//! takes it back. A `task_done` takes one off with a compare-and-swap that refuses to go below
//! 0 (Python's `ValueError`), and wakes the joiners (`FUTEX_WAKE`) when it reaches 0. A joiner
//! sleeps in `FUTEX_WAIT` on the word for at most [`SLICE`] at a time.
//!
//! # A process that dies holding work
//!
//! Each process that takes an item or marks one done claims a slot (its pid, its start time
//! from `/proc/PID/stat`, its name) and counts there what it took and what it marked done.
//! Each time a joiner's slice ends with work unfinished, it looks at the slots whose process
//! took more than it marked done: a process that is gone (no `/proc/PID`, a zombie, or a pid
//! now used by a process started at another time) can never mark its share done. When those
//! shares add up to everything unfinished and the queue is empty, no live process holds any
//! of the work, and `join` returns [`Abandoned`] naming them instead of waiting for ever.
//!
//! Limits (documented on `join`): only the first [`SLOTS`] processes to use a queue are
//! counted (later ones' work is never called abandoned: `join` waits, as Python's); an item
//! taken by a process killed between receiving it and counting it is not seen as abandoned;
//! and work handed on by a dead process to a live one that has not marked it done yet is
//! wrongly called abandoned.
//!
//! [`Abandoned`]: crate::process::Abandoned
//! [`SLICE`]: super::word::SLICE

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use serde::{Serialize, Serializer};

use super::blocked::Blocked;
use super::error::SharedMemoryError;
use super::futex;
use super::segment::{load_str, store_str, Kind, Segment, State};
use super::word::SLICE;
use crate::deadlock::ResourceKind;

/// How many processes' shares are counted.
pub(crate) const SLOTS: usize = 64;

/// One process's share.
#[repr(C)]
struct Slot {
    /// 0 while free.
    pid: AtomicU32,
    _reserved: AtomicU32,
    /// The process's start time (`/proc/PID/stat`, clock ticks after boot): tells it from a
    /// later process with the same pid.
    start: AtomicU64,
    taken: AtomicU64,
    done: AtomicU64,
    name: [AtomicU64; 4],
}

#[repr(C)]
struct Table {
    /// Put and not yet marked done: the futex word joiners sleep on.
    unfinished: AtomicU32,
    _reserved: [AtomicU32; 15],
    slots: [Slot; SLOTS],
}

// SAFETY: repr(C), atomics (and arrays of them) only.
unsafe impl State for Table {}

/// Why a join ended without the count reaching 0.
#[derive(Debug)]
pub(crate) enum JoinFail {
    /// The deadline passed.
    Timeout,
    /// Everything unfinished was taken by processes that are gone: (pid, name, items each).
    Abandoned(Vec<(u32, String, u64)>),
}

/// A handle on a queue's task count.
#[derive(Debug)]
pub(crate) struct Tasks {
    seg: Segment,
    /// The queue's name (in the segment's header), for reports.
    name: String,
    /// This process's slot, once claimed (`None`: all slots taken by others).
    slot: OnceLock<Option<usize>>,
}

impl Clone for Tasks {
    fn clone(&self) -> Self {
        let slot = OnceLock::new();
        if let Some(claimed) = self.slot.get() {
            let _ = slot.set(*claimed);
        }
        Tasks {
            seg: self.seg.clone(),
            name: self.name.clone(),
            slot,
        }
    }
}

/// A process's state and start time from `/proc/PID/stat`.
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold anything: fields follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 22 of the file; `state` was field 3.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// This process's pid and start time.
fn me() -> (u32, u64) {
    static ME: OnceLock<(u32, u64)> = OnceLock::new();
    *ME.get_or_init(|| {
        let pid = std::process::id();
        (pid, proc_stat(pid).map_or(0, |(_, start)| start))
    })
}

/// Whether process `pid`, started at `start`, is gone.
fn is_gone(pid: u32, start: u64) -> bool {
    match proc_stat(pid) {
        None => true,
        Some((state, now)) => state == 'Z' || state == 'X' || now != start,
    }
}

impl Tasks {
    /// A new count for the queue `name` (`None`: named after the segment).
    pub(crate) fn create(name: Option<&str>) -> Result<Tasks, SharedMemoryError> {
        Ok(Tasks::in_segment(Segment::create_state::<Table>(
            Kind::Tasks,
            name,
        )?))
    }

    pub(crate) fn open(segment: &str) -> Result<Tasks, SharedMemoryError> {
        Ok(Tasks::in_segment(Segment::open_state::<Table>(
            segment,
            Kind::Tasks,
            "JoinableQueue task count",
        )?))
    }

    fn in_segment(seg: Segment) -> Tasks {
        Tasks {
            name: seg.lock_name(),
            seg,
            slot: OnceLock::new(),
        }
    }

    /// The queue's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    fn table(&self) -> &Table {
        self.seg.state::<Table>()
    }

    /// This process's slot, claimed on first use.
    fn my_slot(&self) -> Option<&Slot> {
        let table = self.table();
        let index = *self.slot.get_or_init(|| {
            let (pid, start) = me();
            let mine = |s: &Slot| {
                s.pid.load(Ordering::Acquire) == pid && s.start.load(Ordering::Relaxed) == start
            };
            if let Some(found) = table.slots.iter().position(mine) {
                return Some(found);
            }
            let claimed = table.slots.iter().position(|s| {
                s.pid
                    .compare_exchange(0, pid, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            })?;
            let slot = &table.slots[claimed];
            slot.start.store(start, Ordering::Relaxed);
            store_str(&slot.name, super::super::identity::my_name());
            Some(claimed)
        });
        index.map(|i| &table.slots[i])
    }

    /// One more item put (before it reaches the queue).
    ///
    /// # Panics
    ///
    /// With `u32::MAX` items unfinished.
    pub(crate) fn add(&self) {
        let word = &self.table().unfinished;
        let mut seen = word.load(Ordering::Relaxed);
        loop {
            let next = seen
                .checked_add(1)
                .expect("a JoinableQueue holds at most 4294967295 unfinished tasks");
            match word.compare_exchange_weak(seen, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return,
                Err(now) => seen = now,
            }
        }
    }

    /// Takes one off; false if it was 0 already.
    fn take_one(&self) -> bool {
        let word = &self.table().unfinished;
        let mut seen = word.load(Ordering::Relaxed);
        loop {
            if seen == 0 {
                return false;
            }
            match word.compare_exchange_weak(seen, seen - 1, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => seen = now,
            }
        }
        if seen == 1 {
            futex::wake_all(word);
        }
        true
    }

    /// A put that [`add`](Self::add)ed failed.
    pub(crate) fn undo(&self) {
        self.take_one();
    }

    /// This process took an item from the queue.
    pub(crate) fn took(&self) {
        if let Some(slot) = self.my_slot() {
            slot.taken.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `task_done`: false when nothing is unfinished.
    pub(crate) fn done(&self) -> bool {
        let slot = self.my_slot();
        if !self.take_one() {
            return false;
        }
        if let Some(slot) = slot {
            slot.done.fetch_add(1, Ordering::Relaxed);
        }
        true
    }

    pub(crate) fn unfinished(&self) -> u32 {
        self.table().unfinished.load(Ordering::Acquire)
    }

    /// The shares of gone processes that took more than they marked done.
    fn abandoned(&self) -> Vec<(u32, String, u64)> {
        let mut out = Vec::new();
        for slot in &self.table().slots {
            let pid = slot.pid.load(Ordering::Acquire);
            if pid == 0 {
                continue;
            }
            let taken = slot.taken.load(Ordering::Relaxed);
            let done = slot.done.load(Ordering::Relaxed);
            if taken > done && is_gone(pid, slot.start.load(Ordering::Relaxed)) {
                out.push((pid, load_str(&slot.name), taken - done));
            }
        }
        out
    }

    /// Waits until nothing is unfinished, until `deadline` (`None`: for ever), or until all
    /// that is unfinished was abandoned by processes that are gone (`queue_is_empty` is asked
    /// then, to be sure no item is still waiting in the queue).
    /// A joiner shows in `deadlock::snapshot` as blocked on `Queue 'NAME' (across
    /// processes)`, and is never counted in a stall (another process may finish the work).
    pub(crate) fn join(
        &self,
        deadline: Option<Instant>,
        queue_is_empty: impl Fn() -> bool,
    ) -> Result<(), JoinFail> {
        let word = &self.table().unfinished;
        if word.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let _blocked = Blocked::begin(
            ResourceKind::Queue,
            &self.name,
            self.seg.address(),
            deadline,
        );
        loop {
            let seen = word.load(Ordering::Acquire);
            if seen == 0 {
                return Ok(());
            }
            let Ok(slice) = futex::next_sleep(SLICE, deadline) else {
                return Err(JoinFail::Timeout);
            };
            let slept = Instant::now();
            futex::wait(word, seen, Some(slice));
            // A slice slept through (not a wake-up): time to look for abandoned work.
            if slept.elapsed() >= slice {
                let abandoned = self.abandoned();
                let lost: u64 = abandoned.iter().map(|(_, _, n)| n).sum();
                let now = u64::from(word.load(Ordering::Acquire));
                if now > 0 && lost >= now && queue_is_empty() {
                    return Err(JoinFail::Abandoned(abandoned));
                }
            }
        }
    }
}

/// Travels as its segment's name; the handle is kept alive with the argument being encoded
/// (a child always finds it).
impl Serialize for Tasks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.seg.serialize(serializer)
    }
}

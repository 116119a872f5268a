//! See it: a timeline of every thread (and every process of a pool), as Chrome trace JSON
//! and as a self-contained page.
//!
//! [`start`] begins a recording, [`Recording::finish`] ends it and gives the [`Trace`]:
//! [`Trace::write_json`] writes Chrome Trace Event JSON (open it in
//! [Perfetto](https://ui.perfetto.dev) or `chrome://tracing`), [`Trace::write_html`] the timeline
//! page (one HTML file with everything inline: open it in any browser, offline). The JSON's
//! shape (the fields and rules Perfetto's importer relies on: `ph`, `ts`, `pid`, `tid`, `dur`,
//! `name`, `cat`, `args`, metadata for every lane, spans that nest on each lane, unique flow
//! ids) is checked by potok's tests; Perfetto itself is not run by them.
//! `POTOK_TRACE=FILE` records a whole program run under [`potok::main`](crate::main) (or a
//! program calling [`process::init`](crate::process::init) first) and writes `FILE` when it
//! ends: the page if `FILE` ends in `.html`, the JSON otherwise.
//!
//! # What is recorded
//!
//! | on the thread's lane | `"cat"` | when |
//! |---|---|---|
//! | a sleep | `sleep` | [`crate::sleep`] |
//! | a wait | the kind: `lock`, `rlock`, `mutex`, `rwlock`, `condition`, `semaphore`, `event`, `barrier`, `queue`, `join`, `future` | a thread blocks on a potok primitive (a queue's `put`/`get` when blocked; `join`; a future's `result`) |
//! | a pool's results | `future` | the caller of a process pool's `map`, `AsyncResult::get`, ... waits |
//! | a job, a task | `task` | a pool worker runs a job (a chunk) and its tasks (`"args"`: `index`, `object`: the function's type) |
//! | idle | `idle` | a pool worker waits for its next job |
//! | a wake-up arrow | `wake` | the thread whose release, `set`, `notify` or `put` ended another's wait |
//! | a deadlock | `deadlock` (instant) | a deadlock report, with its text |
//! | start, end | `thread` (instants) | a potok thread begins and ends |
//!
//! Each span's `"args"` has `"object"`: the primitive's name. Lock holds (`Lock`, `RLock`,
//! `Mutex`, `RwLock`) go on a lane of their own per lock, named `Lock 'bank' (who holds it)`,
//! with one span per hold naming the holder (`"args"`: `holder`, `holder_tid`, `kind`) (holds
//! of different locks overlap without nesting, which one lane per thread could not show). An
//! `RwLock`'s holds are `read by T` / `written by T` with `"mode"`: `"read"` or `"write"`;
//! reads overlap, so each read that begins while others are held goes on the lock's next lane
//! (`RwLock 'config' (who holds it, 2)`, ...), the first free one: never two spans overlapping
//! on one lane. A wait for it (`cat` `rwlock`) has `"detail"`: `to read` or `to write`. Queue sizes are counters. Every lane has its
//! `thread_name` / `process_name` metadata; `otherData.potok_dropped_events` counts what was
//! not recorded (see [`Trace::dropped_events`]).
//!
//! # Cost
//!
//! Off (the default), each event site is one relaxed atomic load; a `Lock`, `Mutex` or `RLock`
//! taken and released uncontended loads one word for tracing and lock-order checking together
//! (see `deadlock::set_lock_order_check`), twice a guard, and does nothing else. On, an event goes into the
//! recording thread's own buffer: no lock, no shared write, a time-stamp-counter read;
//! buffers are handed over every 1,024 events, before a thread blocks, and when it ends.
//! `BENCHMARKS.md` has the measured figures.
//!
//! # Processes
//!
//! The children a recording process starts through [`crate::process`] record too, each into
//! its own file (a frame per hand-over, written as it goes); the recording process reads the
//! files when it finishes, without waiting for any child. A worker that was killed still
//! shows what it handed over (at least every task's start and end). Lanes of all processes
//! share one time axis (wall time, read beside each process's counter). A pool made before
//! [`start`] is recorded too: each job it sends says which recording is on, and its workers
//! begin recording with the first job sent during it (and stop with the first after it).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//!
//! let recording = potok::trace::start();
//! let lock = Arc::new(potok::Lock::named("bank"));
//! let held = lock.lock();
//! let waiter = {
//!     let lock = Arc::clone(&lock);
//!     potok::Builder::new().name("waiter").spawn(move || drop(lock.lock())).unwrap()
//! };
//! potok::sleep(std::time::Duration::from_millis(5));
//! drop(held);
//! waiter.join().unwrap();
//! let trace = recording.finish();
//!
//! let json = trace.to_json();
//! assert!(json.contains(r#""name":"waiter""#)); // the waiter's lane
//! assert!(json.contains(r#""cat":"lock""#)); // its wait, and the holds
//! # let dir = std::env::temp_dir();
//! trace.write_html(dir.join("potok-doc-trace.html")).unwrap();
//! ```

mod buffer;
mod build;
mod child;
mod clock;
mod event;
mod hooks;
mod html;
mod model;

use std::fmt;
use std::path::PathBuf;

pub use model::{Trace, TraceJsonError};

#[allow(unused_imports)] // span, Cat, Span: for pool tasks and src/futures/
pub(crate) use hooks::{
    counter, deadlock, held, held_as, idle, job, on, pool_results, released, sleep, span, task,
    thread_ended, thread_started, waking, woke, Cat, Span, WaitSpan,
};

use parking_lot::Mutex;

/// The directory the current recording's children write to.
static CHILDREN: Mutex<Option<PathBuf>> = parking_lot::const_mutex(None);

/// A recording in progress: [`finish`](Recording::finish) it to get the [`Trace`]. Dropping it
/// unfinished stops the recording and discards it.
///
/// One recording at a time per process: a new [`start`] replaces one in progress (the older
/// handle's `finish` then gives an empty trace).
#[must_use = "finish() gives the trace; dropping the recording discards it"]
pub struct Recording {
    gen: u64,
    finished: bool,
}

impl fmt::Debug for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recording")
            .field("number", &self.gen)
            .finish()
    }
}

/// Begins recording every potok thread of this process (and the processes it starts).
///
/// # Examples
///
/// ```
/// let recording = potok::trace::start();
/// assert!(potok::trace::is_recording());
/// let trace = recording.finish();
/// assert!(!potok::trace::is_recording());
/// assert_eq!(trace.dropped_events(), 0);
/// ```
pub fn start() -> Recording {
    let label = std::env::args()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "potok".into());
    let made = child::make_dir();
    let gen = buffer::begin(label, buffer::Sink::Memory);
    let (id, dir) = made.map_or((0, None), |(id, dir)| (id, Some(dir)));
    if let Some(old) = std::mem::replace(&mut *CHILDREN.lock(), dir) {
        child::remove_dir(&old);
    }
    child::set_recording_id(id);
    hooks::recording_edge("recording starts");
    Recording {
        gen,
        finished: false,
    }
}

/// Whether a recording is in progress in this process.
pub fn is_recording() -> bool {
    on()
}

/// Marks a point in time on every lane, labelled (the tour marks where each lesson starts).
/// Nothing happens while no recording is on.
///
/// # Examples
///
/// ```
/// let recording = potok::trace::start();
/// potok::trace::mark("lesson 10_1");
/// assert!(recording.finish().to_json().contains("lesson 10_1"));
/// ```
pub fn mark(label: &str) {
    hooks::mark(label);
}

impl Recording {
    /// Stops recording and builds the trace: this process's threads, and whatever the
    /// processes it started have written so far (their files are then removed).
    pub fn finish(mut self) -> Trace {
        self.finished = true;
        hooks::recording_edge("recording ends");
        let Some(session) = buffer::end(self.gen) else {
            return Trace::default();
        };
        let end = clock::Pair::now();
        let mut batches = Vec::new();
        let mut pending = 0;
        for slot in &session.threads {
            batches.append(&mut slot.batches.lock());
            pending += slot.pending.load(std::sync::atomic::Ordering::Relaxed);
        }
        child::set_recording_id(0);
        if let Some(dir) = CHILDREN.lock().take() {
            batches.extend(child::read_dir_and_remove(&dir));
        }
        let mut trace = build::build(batches, session.pid, end, session.start.wall);
        trace.dropped += pending;
        trace
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        // A recording replaced by a newer one leaves the newer one's directory alone.
        if !self.finished && buffer::end(self.gen).is_some() {
            child::set_recording_id(0);
            if let Some(dir) = CHILDREN.lock().take() {
                child::remove_dir(&dir);
            }
        }
    }
}

/// For `process::spawn`: the variable and value a child needs to record into its file, while
/// a recording is on.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn child_env() -> Option<(&'static str, PathBuf)> {
    if !on() {
        return None;
    }
    CHILDREN.lock().clone().map(|dir| (child::ENV, dir))
}

/// In a child process (from `process::init`): records into the file the parent named, if it
/// is recording, and follows the recordings the parent starts later (see `child`).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn init_child(label: &str) {
    child::init(label);
}

/// For every job a pool sends: the current recording's id, 0 while none (see `child`).
#[inline]
pub(crate) fn job_id() -> u64 {
    child::job_id()
}

/// In a pool worker, before it runs a job that came with recording id `id` (from
/// [`job_id`]): begins or ends its recording as the parent did.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
#[inline]
pub(crate) fn follow(id: u64) {
    child::follow(id);
}

/// In a child process, before it exits: hands the caller's events over.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn child_exit() {
    buffer::flush_current();
}

/// `POTOK_TRACE=FILE`: a recording for the whole run, written to `FILE` at its end.
#[derive(Debug)]
struct EnvTrace {
    recording: Recording,
    path: PathBuf,
}

/// The run's `POTOK_TRACE` recording, while it goes on.
static ENV_TRACE: Mutex<Option<EnvTrace>> = parking_lot::const_mutex(None);

/// Begins the recording `POTOK_TRACE` asks for, if any and not begun yet (`potok::main` and
/// `process::init` both call it; in a child process neither does).
pub(crate) fn env_start() {
    let Some(path) = std::env::var_os("POTOK_TRACE").filter(|p| !p.is_empty()) else {
        return;
    };
    let mut slot = ENV_TRACE.lock();
    if slot.is_none() {
        *slot = Some(EnvTrace {
            recording: start(),
            path: PathBuf::from(path),
        });
    }
}

/// Finishes the `POTOK_TRACE` recording, if one goes on, and writes its file; a failure is
/// one line on stderr.
pub(crate) fn env_finish() {
    let Some(env) = ENV_TRACE.lock().take() else {
        return;
    };
    let trace = env.recording.finish();
    if let Err(err) = trace.write(&env.path) {
        eprintln!(
            "potok: POTOK_TRACE: cannot write {}: {err}",
            env.path.display()
        );
    }
}

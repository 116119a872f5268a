//! The calls potok's primitives make: each is one relaxed load while tracing is off.
//!
//! # For code inside potok
//!
//! - A blocking wait that goes through `deadlock::park` is recorded there (kind, name and
//!   detail from its `Wait`); who woke it is recorded by the `unpark_*` functions. Nothing to
//!   add in a primitive that parks that way. Its category comes from [`cat_of`]: give a new
//!   `ResourceKind` its category there.
//! - A wait that does not park there, or a span of work (a future's `result`, a task), uses
//!   [`span`]: `let _span = trace::span(trace::Cat::Future, "Future", name, 0);` records a span
//!   on the calling thread's lane until the guard drops.
//! - Locks record who holds them with [`held`] / [`released`] (the lock's address pairs the
//!   two, so a `Lock` released by another thread still closes its hold); a lock whose holds
//!   overlap (an `RwLock`'s readers) with [`held_as`] and its mode.
//! - Queues record their size with [`counter`].

use std::fmt::Display;

use super::buffer::{flush_current, record, record_and_flush, Obj};
use super::event::Tag;
use crate::deadlock::ResourceKind;

/// Whether a recording is on: one relaxed load.
#[inline(always)]
pub(crate) fn on() -> bool {
    super::buffer::on()
}

/// The trace category of a primitive's kind (the `"cat"` of its spans).
pub(crate) fn cat_of(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Lock => "lock",
        ResourceKind::RLock => "rlock",
        ResourceKind::Mutex => "mutex",
        ResourceKind::RwLock => "rwlock",
        ResourceKind::Condition => "condition",
        ResourceKind::Semaphore | ResourceKind::BoundedSemaphore => "semaphore",
        ResourceKind::Event => "event",
        ResourceKind::Barrier => "barrier",
        ResourceKind::Thread => "join",
        ResourceKind::Queue
        | ResourceKind::LifoQueue
        | ResourceKind::PriorityQueue
        | ResourceKind::SimpleQueue => "queue",
        ResourceKind::Future => "future",
    }
}

/// Categories of spans that are not waits in `deadlock::park`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cat {
    /// `potok::sleep`.
    Sleep,
    /// A pool task run in a worker.
    Task,
    /// Waiting for a future's result (a pool's `AsyncResult` too).
    Future,
    /// A pool worker waiting for its next job.
    Idle,
}

impl Cat {
    fn as_str(self) -> &'static str {
        match self {
            Cat::Sleep => "sleep",
            Cat::Task => "task",
            Cat::Future => "future",
            Cat::Idle => "idle",
        }
    }
}

/// A wait in `deadlock::park`: begun before the thread sleeps, ended after.
#[must_use]
pub(crate) struct WaitSpan(bool);

impl WaitSpan {
    /// Records the start of a wait on `kind` `name` (and hands the thread's buffer over: it
    /// may never wake).
    #[inline]
    pub(crate) fn begin(kind: ResourceKind, name: &str, detail: Option<&'static str>) -> WaitSpan {
        if !on() {
            return WaitSpan(false);
        }
        let obj = Obj {
            cat: cat_of(kind),
            kind: kind.as_str(),
            name,
            detail,
        };
        record_and_flush(Tag::WaitBegin, Some(obj), 0);
        WaitSpan(true)
    }

    /// Records the end of the wait; `slept` false drops it (the thread did not sleep).
    #[inline]
    pub(crate) fn end(self, slept: bool) {
        if self.0 {
            let tag = if slept { Tag::WaitEnd } else { Tag::WaitCancel };
            record(tag, None, 0);
        }
    }
}

/// The time of a wake-up about to happen (read before the woken thread can run, so the wake
/// is never after the end of the wait it ends); 0 while off.
#[inline]
pub(crate) fn waking() -> u64 {
    if on() {
        super::clock::ticks()
    } else {
        0
    }
}

/// The calling thread woke the threads `idents` at `at` (from [`waking`]): a release, set,
/// notify or put ended their wait.
#[inline]
pub(crate) fn woke(at: u64, idents: &[u64]) {
    if on() && at != 0 {
        for &ident in idents {
            super::buffer::record_at(at, Tag::Wake, ident);
        }
    }
}

/// The calling thread took the lock at `addr` (`name` is asked for only while recording).
#[inline(always)]
pub(crate) fn held<'a>(kind: ResourceKind, addr: usize, name: impl FnOnce() -> &'a str) {
    if on() {
        held_slow(kind, addr, name());
    }
}

/// The calling thread took the lock at `addr` in `mode` (`"read"`, `"write"`): an `RwLock`,
/// whose holds overlap (many readers). Released with [`released`], by the holder.
#[inline(always)]
pub(crate) fn held_as<'a>(
    kind: ResourceKind,
    addr: usize,
    mode: &'static str,
    name: impl FnOnce() -> &'a str,
) {
    if on() {
        held_slow_as(kind, addr, name(), Some(mode));
    }
}

#[inline(never)]
fn held_slow(kind: ResourceKind, addr: usize, name: &str) {
    held_slow_as(kind, addr, name, None);
}

fn held_slow_as(kind: ResourceKind, addr: usize, name: &str, mode: Option<&'static str>) {
    let obj = Obj {
        cat: cat_of(kind),
        kind: kind.as_str(),
        name,
        detail: mode,
    };
    record(Tag::Held, Some(obj), addr as u64);
}

/// The lock at `addr` was released by the calling thread.
#[inline(always)]
pub(crate) fn released(addr: usize) {
    if on() {
        record(Tag::Released, None, addr as u64);
    }
}

/// Queue `name` holds `size` items now.
#[inline(always)]
pub(crate) fn counter<'a>(
    kind: ResourceKind,
    name: impl FnOnce() -> &'a str,
    size: impl FnOnce() -> usize,
) {
    if on() {
        let obj = Obj {
            cat: "queue",
            kind: kind.as_str(),
            name: name(),
            detail: None,
        };
        record(Tag::Counter, Some(obj), size() as u64);
    }
}

/// A span on the calling thread's lane until dropped.
#[must_use]
pub(crate) struct Span {
    active: bool,
    flush: bool,
}

/// Begins a span of `cat` named `name` (`kind` as users name it: `sleep`, `Future`, the task's
/// function), with a numeric detail (`arg`: a task's index, a sleep's nanoseconds).
#[inline]
pub(crate) fn span(cat: Cat, kind: &'static str, name: &str, arg: u64) -> Span {
    if !on() {
        return Span {
            active: false,
            flush: false,
        };
    }
    let obj = Obj {
        cat: cat.as_str(),
        kind,
        name,
        detail: None,
    };
    let flush = (cat == Cat::Task && kind == "job") || cat == Cat::Idle;
    if flush {
        record_and_flush(Tag::SpanBegin, Some(obj), arg);
    } else {
        record(Tag::SpanBegin, Some(obj), arg);
    }
    Span {
        active: true,
        flush,
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if self.active {
            if self.flush {
                record_and_flush(Tag::SpanEnd, None, 0);
            } else {
                record(Tag::SpanEnd, None, 0);
            }
        }
    }
}

/// A job (a chunk of a pool's tasks) run by a worker process, numbered `seq`: its start and
/// end are handed over at once, so a worker killed in the middle still shows the job.
#[inline]
pub(crate) fn job(seq: u64) -> Span {
    span(Cat::Task, "job", "job", seq)
}

/// One task (item `at` of its job) run by a worker: `function` is its function's type.
#[inline]
pub(crate) fn task(function: &'static str, at: u64) -> Span {
    span(Cat::Task, "task", function, at)
}

/// The caller waits for results of a process pool (`map`, `AsyncResult::get`, ...).
#[inline]
pub(crate) fn pool_results() -> Span {
    span(Cat::Future, "AsyncResult", "pool results", 0)
}

/// A pool worker waits for its next job.
#[inline]
pub(crate) fn idle() -> Span {
    span(Cat::Idle, "idle", "waiting for work", 0)
}

/// `potok::sleep(duration)` as a span.
#[inline]
pub(crate) fn sleep(duration: std::time::Duration) -> Span {
    span(
        Cat::Sleep,
        "sleep",
        "sleep",
        u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX),
    )
}

/// A deadlock was found by the calling thread: an instant with the report.
pub(crate) fn deadlock(report: &dyn Display) {
    if on() {
        let text = report.to_string();
        let obj = Obj {
            cat: "deadlock",
            kind: "deadlock",
            name: &text,
            detail: None,
        };
        record_and_flush(Tag::Instant, Some(obj), 0);
    }
}

/// A potok thread begins (on its own OS thread).
#[inline]
pub(crate) fn thread_started(daemon: bool) {
    if on() {
        record(Tag::ThreadStart, None, u64::from(daemon));
    }
}

/// A potok thread ends (on its own OS thread, before its joiners are woken).
#[inline]
pub(crate) fn thread_ended() {
    if on() {
        record(Tag::ThreadEnd, None, 0);
        flush_current();
    }
}

/// A labelled point in time, on every lane (see [`crate::trace::mark`]).
pub(crate) fn mark(label: &str) {
    if on() {
        let obj = Obj {
            cat: "mark",
            kind: "mark",
            name: label,
            detail: None,
        };
        record(Tag::Instant, Some(obj), 0);
    }
}

/// The start or end of a recording, on the lane of the thread that starts or finishes it (so
/// the recording process always has a lane).
pub(crate) fn recording_edge(what: &str) {
    if on() {
        let obj = Obj {
            cat: "trace",
            kind: "trace",
            name: what,
            detail: None,
        };
        record(Tag::Instant, Some(obj), 0);
    }
}

//! The raw events a thread records, and the batches it hands over: what the trace is built
//! from (in this process, or read back from a child's file).

use serde::{Deserialize, Serialize};

use super::clock::Pair;

/// What happened. The meaning of an [`Event`]'s `obj` and `arg` depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Tag {
    /// The thread starts waiting on `obj` (flushed before it sleeps).
    WaitBegin,
    /// The wait that began last ends.
    WaitEnd,
    /// The wait that began last did not happen after all (the thread did not sleep).
    WaitCancel,
    /// The thread took the lock `obj` at address `arg`.
    Held,
    /// The lock at address `arg` was released (by whichever thread records this).
    Released,
    /// This thread woke the thread with ident `arg`.
    Wake,
    /// The size of queue `obj` is now `arg`.
    Counter,
    /// A span of `obj`'s kind begins (sleep, task, future); `arg` is its detail (the task index,
    /// the requested sleep in nanoseconds).
    SpanBegin,
    /// The span that began last ends.
    SpanEnd,
    /// A point in time: a deadlock report, a mark.
    Instant,
    /// The thread's own start (a potok-started thread); `arg` is 1 for a daemon.
    ThreadStart,
    /// The thread's end.
    ThreadEnd,
}

/// One event: 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Event {
    /// Clock ticks (see `clock`).
    pub(crate) t: u64,
    /// Meaning by tag.
    pub(crate) arg: u64,
    /// An index into the thread's object table (0 when unused).
    pub(crate) obj: u32,
    pub(crate) tag: Tag,
}

/// Something named that events refer to: a primitive, a sleep, a task's function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Object {
    /// The trace category: `lock`, `queue`, `sleep`, `task`, ...
    pub(crate) cat: String,
    /// The kind as users name it: `Lock`, `Queue`, ...
    pub(crate) kind: String,
    /// The object's name (`bank`, `Lock-3`), or the text of an instant.
    pub(crate) name: String,
    /// What is awaited in it, if the kind does not say (`empty`, `full`).
    pub(crate) detail: Option<String>,
}

/// Events one thread hands over at once, with what is needed to read them on their own.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Batch {
    pub(crate) pid: u32,
    /// The process's label (`potok`, `pool worker`).
    pub(crate) process: String,
    /// The thread's potok ident.
    pub(crate) thread: u64,
    pub(crate) thread_name: String,
    /// The clocks when the process started recording, and at this hand-over.
    pub(crate) start: Pair,
    pub(crate) now: Pair,
    /// Objects added to the thread's table since its last batch, in order (the table starts
    /// with one unused entry at index 0).
    pub(crate) objects: Vec<Object>,
    pub(crate) events: Vec<Event>,
    /// Events this thread could not keep (over its limit), so far.
    pub(crate) dropped: u64,
}

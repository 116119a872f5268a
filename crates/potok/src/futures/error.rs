//! [`FutureError`]: why a [`Future`](super::Future) has no value, and [`TaskPanic`], what a
//! panicking task left behind.

use std::any::Any;
use std::fmt;

use crate::deadlock::DeadlockError;

/// Why [`Future::result`](super::Future::result) gave no value: Python's exception from
/// `result()`, told apart as data.
///
/// | Python | potok |
/// |---|---|
/// | the exception the callable raised | [`FutureError::Panicked`] (message, location, thread) |
/// | `CancelledError` | [`FutureError::Cancelled`] |
/// | `TimeoutError` from `result(timeout)` | [`FutureError::Timeout`] |
/// | `BrokenThreadPool` (a failed initializer) | [`FutureError::Broken`] |
/// | `BrokenProcessPool` (a dead worker: Python fails every future) | [`FutureError::WorkerDied`] (this future only) |
/// | `RuntimeError('cannot schedule new futures after shutdown')` | [`FutureError::Shutdown`] |
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FutureError {
    /// The task panicked.
    Panicked(Box<TaskPanic>),
    /// The future was cancelled before it started.
    Cancelled,
    /// The wait timed out; the future may still finish (wait again).
    Timeout,
    /// The executor is broken (its initializer panicked): it runs nothing any more.
    Broken(String),
    /// The worker process running the task died (its exit, as the pool saw it).
    WorkerDied(String),
    /// The task was submitted after `shutdown`: it never ran.
    Shutdown,
    /// Another failure that the executor reports as text (a process pool's (de)serialization
    /// or protocol error, or its termination).
    Other(String),
}

impl FutureError {
    /// Whether this is [`FutureError::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, FutureError::Cancelled)
    }

    /// Whether this is [`FutureError::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, FutureError::Timeout)
    }

    /// The [`DeadlockError`] the task panicked with, when a deadlock is what ended it.
    pub fn deadlock(&self) -> Option<&DeadlockError> {
        match self {
            FutureError::Panicked(p) => p.deadlock(),
            _ => None,
        }
    }
}

impl fmt::Display for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Panicked(p) => fmt::Display::fmt(p, f),
            FutureError::Cancelled => f.write_str("the future was cancelled"),
            FutureError::Timeout => f.write_str("timed out waiting for the future"),
            FutureError::Broken(why) => write!(f, "the executor is broken: {why}"),
            FutureError::WorkerDied(how) => write!(f, "the worker running the task died: {how}"),
            FutureError::Shutdown => f.write_str("cannot schedule new futures after shutdown"),
            FutureError::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for FutureError {}

/// A task's panic: its message, where it happened, and the worker it happened in.
///
/// Display gives `task panicked in thread 'NAME' at FILE:LINE:COL: MESSAGE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPanic {
    pub(crate) message: String,
    pub(crate) location: Option<String>,
    pub(crate) thread: String,
    pub(crate) deadlock: Option<DeadlockError>,
}

impl TaskPanic {
    /// From a caught panic payload, on the thread that caught it.
    pub(crate) fn from_payload(payload: &(dyn Any + Send), location: Option<String>) -> Self {
        TaskPanic {
            message: crate::thread::payload_message(payload),
            location,
            thread: crate::current_thread().name().to_owned(),
            deadlock: payload.downcast_ref::<DeadlockError>().cloned(),
        }
    }

    /// The panic message (the `&str` or `String` given to `panic!`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the panic happened (`file:line:column`), when known.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The name of the thread (or process) the task ran in.
    pub fn thread(&self) -> &str {
        &self.thread
    }

    /// The [`DeadlockError`] the task panicked with, if a deadlock ended it.
    pub fn deadlock(&self) -> Option<&DeadlockError> {
        self.deadlock.as_ref()
    }
}

impl fmt::Display for TaskPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task panicked in thread '{}'", self.thread)?;
        if let Some(location) = &self.location {
            write!(f, " at {location}")?;
        }
        write!(f, ": {}", self.message)
    }
}

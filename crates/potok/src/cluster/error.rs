//! The errors of `potok::cluster`, one enum per family of operations.
//!
//! The names follow `potok::process` ([`MapError`], [`TaskError`], [`TaskErrorKind`]), so
//! that code written against a local pool keeps its shape; the kinds differ where a machine
//! boundary adds ways to fail (the broker, leases, other builds).

use std::error::Error;
use std::fmt;

/// [`Pool::connect`](super::Pool::connect) or [`PoolBuilder::build`](super::PoolBuilder::build)
/// failed; so did [`worker`](super::worker) if it returns at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a Redis URL (`redis://[user:password@]host[:port][/db]`).
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// No Redis answered at the URL within the broker timeout.
    Unreachable {
        /// The URL (without a password).
        url: String,
        /// The underlying error.
        why: String,
    },
    /// The server answered, but is not usable: an error reply, or a Redis older than 7.
    Broker(String),
    /// The local workers asked for with
    /// [`local_workers`](super::PoolBuilder::local_workers) could not be started.
    LocalWorkers(String),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::BadUrl { url, why } => {
                write!(
                    f,
                    "not a Redis URL: {url:?}: {why} (expected redis://host:port/db)"
                )
            }
            ConnectError::Unreachable { url, why } => {
                write!(f, "no Redis broker answers at {url}: {why}")
            }
            ConnectError::Broker(why) => write!(f, "the Redis broker cannot be used: {why}"),
            ConnectError::LocalWorkers(why) => {
                write!(f, "could not start the local workers: {why}")
            }
        }
    }
}

impl Error for ConnectError {}

/// Why one task of a cluster pool has no result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskErrorKind {
    /// The function panicked in a worker; the message and where it happened.
    Panicked(String),
    /// The argument or the result could not be serialized.
    Encode(String),
    /// The argument or the result could not be deserialized.
    Decode(String),
    /// Every attempt failed: the worker holding the task outlived its lease (it died, stalled
    /// or was stopped), or refused it (another build). The task is kept in the dead-letter
    /// stream `potok:dead`; the text names each worker (host:pid) and what happened.
    GaveUp(String),
    /// A worker of the same build could not find the task's function in its executable (a
    /// corrupt or forged task); the text says why.
    Refused(String),
    /// The broker went away or stopped answering while the task was queued or running, or
    /// it was still away when the call was made; the text says how. The task is not run again
    /// by the pool; the pool's next call tries to reconnect.
    BrokerLost(String),
    /// The pool was terminated or dropped before the task finished.
    Terminated,
}

/// A task of a cluster pool failed: which one (its index among the items of its call) and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    index: usize,
    kind: TaskErrorKind,
}

impl TaskError {
    pub(crate) fn new(index: usize, kind: TaskErrorKind) -> Self {
        TaskError { index, kind }
    }

    /// The task's index among the items of the call (0 for `apply`/`apply_async`).
    pub fn index(&self) -> usize {
        self.index
    }

    /// What went wrong.
    pub fn kind(&self) -> &TaskErrorKind {
        &self.kind
    }

    /// The panic message, if the task panicked.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.kind {
            TaskErrorKind::Panicked(msg) => Some(msg),
            _ => None,
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.index;
        match &self.kind {
            TaskErrorKind::Panicked(msg) => write!(f, "task {i} panicked: {msg}"),
            TaskErrorKind::Encode(msg) | TaskErrorKind::Decode(msg) => {
                write!(f, "task {i}: {msg}")
            }
            TaskErrorKind::GaveUp(history) => write!(f, "task {i}: {history}"),
            TaskErrorKind::Refused(why) => write!(f, "task {i}: a worker refused it: {why}"),
            TaskErrorKind::BrokerLost(why) => write!(f, "task {i}: lost the broker: {why}"),
            TaskErrorKind::Terminated => write!(f, "task {i}: the pool was terminated"),
        }
    }
}

impl Error for TaskError {}

/// The error of [`Pool::map`](super::Pool::map), [`starmap`](super::Pool::starmap),
/// [`apply`](super::Pool::apply) and the iterator constructors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// The pool was closed or terminated: no new work is taken.
    Closed,
    /// A task failed (for `map`: the one with the lowest index).
    Task(TaskError),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::Closed => f.write_str("the pool is not running (closed or terminated)"),
            MapError::Task(err) => err.fmt(f),
        }
    }
}

impl Error for MapError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        None
    }
}

impl From<TaskError> for MapError {
    fn from(err: TaskError) -> Self {
        MapError::Task(err)
    }
}

/// [`AsyncResult::get_timeout`](super::AsyncResult::get_timeout) failed.
pub enum GetTimeoutError<R> {
    /// The task failed.
    Task(TaskError),
    /// The result was not ready in time; the handle comes back, to wait again.
    Timeout(super::AsyncResult<R>),
}

impl<R> fmt::Display for GetTimeoutError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::Task(err) => err.fmt(f),
            GetTimeoutError::Timeout(_) => f.write_str("the result was not ready in time"),
        }
    }
}

// Debug without `R: Debug`: the handle is shown as `..`.
impl<R> fmt::Debug for GetTimeoutError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::Task(err) => f.debug_tuple("Task").field(err).finish(),
            GetTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
        }
    }
}

impl<R> Error for GetTimeoutError<R> {}

/// A worker ([`worker`](super::worker), `POTOK_WORKER=url`) stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkerError {
    /// It could not reach the broker to begin with.
    Connect(ConnectError),
    /// It lost the broker and could not get it back within the broker timeout.
    BrokerLost(String),
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::Connect(err) => err.fmt(f),
            WorkerError::BrokerLost(why) => write!(f, "the worker lost its broker: {why}"),
        }
    }
}

impl Error for WorkerError {}

/// The broker did not answer a query ([`Pool::workers`](super::Pool::workers),
/// [`Pool::duplicates`](super::Pool::duplicates)); the text says how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerError(pub String);

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the broker did not answer: {}", self.0)
    }
}

impl Error for BrokerError {}

//! The errors of `potok::process`, one enum per family of operations.
//!
//! Where an operation was handed a value it could not use, its error gives the value back
//! ([`Closed`], [`GetTimeoutError::Timeout`], [`PutError`](super::PutError)), as
//! crossbeam-channel's errors do.

use std::error::Error;
use std::fmt;
use std::io;
use std::process::ExitStatus;

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it (9 = SIGKILL, 6 = SIGABRT, 11 = SIGSEGV, 15 = SIGTERM).
    Signal(i32),
}

impl ChildExit {
    pub(crate) fn from_status(status: ExitStatus) -> ChildExit {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => ChildExit::Code(code),
            (None, Some(sig)) => ChildExit::Signal(sig),
            (None, None) => ChildExit::Code(-1),
        }
    }

    /// Python's `exitcode`: the exit code, or minus the signal number.
    pub fn exitcode(self) -> i32 {
        match self {
            ChildExit::Code(code) => code,
            ChildExit::Signal(sig) => -sig,
        }
    }
}

impl fmt::Display for ChildExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ChildExit::Code(code) => write!(f, "exit code {code}"),
            ChildExit::Signal(sig) => {
                let name = match sig {
                    libc::SIGKILL => " (SIGKILL)",
                    libc::SIGABRT => " (SIGABRT)",
                    libc::SIGSEGV => " (SIGSEGV)",
                    libc::SIGTERM => " (SIGTERM)",
                    libc::SIGBUS => " (SIGBUS)",
                    _ => "",
                };
                write!(f, "signal {sig}{name}")
            }
        }
    }
}

/// A child process could not be started (a [`Pool`](super::Pool)'s worker or a
/// [`Process`](super::Process)).
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The executable could not be started again.
    Spawn(io::Error),
    /// The child never reported for work: its `main` does not begin with `potok::main(..)` or
    /// `potok::process::init()`, or it failed before reaching it.
    NotDispatched(String),
    /// The child answered, but not as a potok child of this executable should.
    Handshake(String),
    /// The pool's initializer panicked in a new worker.
    Initializer(String),
    /// The argument given to [`PoolBuilder::initializer`](super::PoolBuilder::initializer)
    /// does not serialize; no worker was started.
    InitializerArgument(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Spawn(err) => write!(f, "could not start a child process: {err}"),
            StartError::NotDispatched(detail) => write!(
                f,
                "{detail}: a potok child runs the same executable again, so `main` must begin \
                 with `potok::main(|| ...)` or `potok::process::init()` to run the worker instead \
                 of the program"
            ),
            StartError::Handshake(why) => write!(f, "the child process answered wrongly: {why}"),
            StartError::Initializer(msg) => write!(f, "the pool's initializer panicked: {msg}"),
            StartError::InitializerArgument(why) => {
                write!(
                    f,
                    "the pool's initializer argument could not be encoded: {why}"
                )
            }
        }
    }
}

impl Error for StartError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StartError::Spawn(err) => Some(err),
            _ => None,
        }
    }
}

/// Why one task of a pool has no result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskErrorKind {
    /// The function panicked; the panic message and where it happened.
    Panicked(String),
    /// The worker process running the task died (aborted, was killed, crashed). The pool
    /// replaced it.
    WorkerDied(ChildExit),
    /// The argument or the result could not be serialized.
    Encode(String),
    /// The argument or the result could not be deserialized.
    Decode(String),
    /// The messages between the pool and its worker went wrong: a corrupt or truncated frame,
    /// an unknown function identity. The worker was replaced.
    Protocol(String),
    /// The pool was terminated before the task finished.
    Terminated,
    /// The pool could no longer start workers, so the task could not run.
    PoolBroken(String),
}

/// A task of a pool failed: which one (its index among the items of its call) and how.
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
            TaskErrorKind::WorkerDied(exit) => {
                write!(f, "task {i}: its worker process died ({exit})")
            }
            TaskErrorKind::Encode(msg) => write!(f, "task {i}: {msg}"),
            TaskErrorKind::Decode(msg) => write!(f, "task {i}: {msg}"),
            TaskErrorKind::Protocol(msg) => write!(f, "task {i}: {msg}"),
            TaskErrorKind::Terminated => write!(f, "task {i}: the pool was terminated"),
            TaskErrorKind::PoolBroken(why) => write!(f, "task {i}: the pool is broken: {why}"),
        }
    }
}

impl Error for TaskError {}

/// The error of [`Pool::map`](super::Pool::map), [`starmap`](super::Pool::starmap),
/// [`apply`](super::Pool::apply) and the iterator constructors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// The pool was closed or terminated: no new work is taken (Python's `ValueError: Pool not
    /// running`).
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
        match self {
            MapError::Task(err) => Some(err),
            MapError::Closed => None,
        }
    }
}

impl From<TaskError> for MapError {
    fn from(err: TaskError) -> Self {
        MapError::Task(err)
    }
}

/// [`Pool::apply_async`](super::Pool::apply_async) on a closed pool: the argument comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed<T>(pub T);

impl<T> fmt::Display for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pool is not running (closed or terminated)")
    }
}

impl<T: fmt::Debug> Error for Closed<T> {}

/// [`Pool::join`](super::Pool::join) before [`close`](super::Pool::close) or
/// [`terminate`](super::Pool::terminate) (Python's `ValueError: Pool is still running`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StillRunning;

impl fmt::Display for StillRunning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pool is still running: close() or terminate() it before join()")
    }
}

impl Error for StillRunning {}

/// [`AsyncResult::successful`](super::AsyncResult::successful) before the result is ready
/// (Python's `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotReady;

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the result is not ready yet")
    }
}

impl Error for NotReady {}

/// How a [`Process`](super::Process) failed to give its result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessError {
    /// The function panicked in the child (exit code 1, as Python's uncaught exception).
    Panicked(String),
    /// The child exited without a result, with this exit code.
    Exited(i32),
    /// A signal killed the child (`terminate` sends 15, `kill` 9).
    Killed(i32),
    /// The result could not be read or decoded: the message and the way the child ended.
    Lost(String),
    /// The process was never started.
    NotStarted,
    /// The result was already taken by an earlier `join`.
    AlreadyJoined,
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::Panicked(msg) => write!(f, "the process panicked: {msg}"),
            ProcessError::Exited(code) => {
                write!(
                    f,
                    "the process exited with code {code} before giving its result"
                )
            }
            ProcessError::Killed(sig) => {
                write!(f, "the process was killed by {}", ChildExit::Signal(*sig))
            }
            ProcessError::Lost(why) => write!(f, "the process's result was lost: {why}"),
            ProcessError::NotStarted => f.write_str("the process was never started"),
            ProcessError::AlreadyJoined => f.write_str("the process's result was already taken"),
        }
    }
}

impl Error for ProcessError {}

/// The error of [`Process::join_timeout`](super::Process::join_timeout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinTimeoutError {
    /// The process is still running.
    Timeout,
    /// It ended without a result.
    Failed(ProcessError),
}

impl fmt::Display for JoinTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinTimeoutError::Timeout => f.write_str("timed out waiting for the process"),
            JoinTimeoutError::Failed(err) => err.fmt(f),
        }
    }
}

impl Error for JoinTimeoutError {}

/// A wait with a timeout ran out (Python's `multiprocessing.TimeoutError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out")
    }
}

impl Error for TimedOut {}

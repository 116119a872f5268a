//! The errors of `potok::process`, one enum per family of operations.
//!
//! Each operation has its own error type, with only the variants it can return (a blocking
//! [`Queue::put`](super::Queue::put) cannot find the queue full, so [`PutError`] has no
//! `Full`). Where an operation was handed a value it could not use, its error gives the value
//! back ([`Closed`], [`PutError`], [`TryPutError`], [`PutTimeoutError`], and
//! [`GetTimeoutError::Timeout`](super::GetTimeoutError::Timeout) the handle), with
//! `into_inner`, and `Debug` does not ask for `T: Debug`, as crossbeam-channel's errors do.
//! An error that wraps another either prints it in `Display` or returns it from `source()`,
//! never both (an error chain would show it twice).

use std::error::Error;
use std::fmt;
use std::io;
use std::process::ExitStatus;

use super::identity::ProcessInfo;

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
    /// This process is a daemon process ([`Process::daemon`](super::Process::daemon)), and a
    /// daemon process may not have children (as in Python).
    Daemonic,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Spawn(_) => f.write_str("could not start a child process"),
            StartError::NotDispatched(detail) => write!(
                f,
                "{detail}: a potok child runs the same executable again, so `main` must begin \
                 with `potok::main(|| ...)` or `potok::process::init()` to run the worker instead \
                 of the program"
            ),
            StartError::Handshake(why) => write!(f, "the child process answered wrongly: {why}"),
            StartError::Initializer(msg) => write!(f, "the pool's initializer panicked: {msg}"),
            StartError::Daemonic => f.write_str(
                "daemonic processes are not allowed to have children (this process was started \
                 with Process::daemon(true))",
            ),
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

// `Display` shows the task's error itself, so `source()` does not return it again.
impl Error for MapError {}

impl From<TaskError> for MapError {
    fn from(err: TaskError) -> Self {
        MapError::Task(err)
    }
}

/// [`Pool::apply_async`](super::Pool::apply_async) on a closed pool: the argument comes back
/// ([`into_inner`](Self::into_inner)).
#[derive(Clone, PartialEq, Eq)]
pub struct Closed<T>(T);

impl<T> Closed<T> {
    pub(crate) fn new(item: T) -> Self {
        Closed(item)
    }

    /// The argument that was not run.
    pub fn into_inner(self) -> T {
        self.0
    }
}

// Debug without `T: Debug`, like crossbeam-channel: the argument is shown as `..`.
impl<T> fmt::Debug for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Closed(..)")
    }
}

impl<T> fmt::Display for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pool is not running (closed or terminated)")
    }
}

impl<T> Error for Closed<T> {}

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

macro_rules! put_error {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum $name<T> {
            $(
                $(#[$vdoc])*
                $variant(T),
            )+
            /// The item does not serialize (the reason is the second field).
            Encode(T, String),
            /// The queue's broker is gone (the process that created the queue has dropped it
            /// or ended).
            Disconnected(T),
        }

        impl<T> $name<T> {
            /// The item that was not put.
            pub fn into_inner(self) -> T {
                match self {
                    $($name::$variant(item))|+ | $name::Encode(item, _) | $name::Disconnected(item) => item,
                }
            }
        }

        // Debug without `T: Debug`, like crossbeam-channel: the item is shown as `..`.
        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($name::$variant(_) => f.write_str(concat!(stringify!($variant), "(..)")),)+
                    $name::Encode(_, why) => write!(f, "Encode(.., {why:?})"),
                    $name::Disconnected(_) => f.write_str("Disconnected(..)"),
                }
            }
        }

        impl<T> fmt::Display for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($name::$variant(_) => f.write_str("the queue is full"),)+
                    $name::Encode(_, why) => write!(f, "the item could not be encoded: {why}"),
                    $name::Disconnected(_) => f.write_str("the queue's broker process is gone"),
                }
            }
        }

        impl<T> Error for $name<T> {}
    };
}

/// Why a blocking [`Queue::put`](super::Queue::put) failed; the item comes back. (It waits for
/// room, so the queue being full is not among the reasons.)
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PutError<T> {
    /// The item does not serialize (the reason is the second field).
    Encode(T, String),
    /// The queue's broker is gone (the process that created the queue has dropped it or ended).
    Disconnected(T),
}

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Encode(item, _) | PutError::Disconnected(item) => item,
        }
    }
}

// Debug without `T: Debug`, like crossbeam-channel: the item is shown as `..`.
impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Encode(_, why) => write!(f, "Encode(.., {why:?})"),
            PutError::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Encode(_, why) => write!(f, "the item could not be encoded: {why}"),
            PutError::Disconnected(_) => f.write_str("the queue's broker process is gone"),
        }
    }
}

impl<T> Error for PutError<T> {}

put_error!(
    /// Why a [`Queue::try_put`](super::Queue::try_put) (Python's `put_nowait`) failed; the item
    /// comes back.
    TryPutError {
        /// The queue holds `maxsize` items (Python's `queue.Full`).
        Full,
    }
);

put_error!(
    /// Why a [`Queue::put_timeout`](super::Queue::put_timeout) failed; the item comes back.
    PutTimeoutError {
        /// The queue stayed full for the whole timeout (Python's `queue.Full`).
        Full,
    }
);

/// Why a blocking [`Queue::get`](super::Queue::get) failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetError {
    /// An item arrived but does not decode as the queue's type (it is consumed).
    Decode(String),
    /// The queue's broker is gone.
    Disconnected,
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Decode(why) => write!(f, "the item could not be decoded: {why}"),
            GetError::Disconnected => f.write_str("the queue's broker process is gone"),
        }
    }
}

impl Error for GetError {}

/// Why a [`Queue::try_get`](super::Queue::try_get) (Python's `get_nowait`) or a
/// [`Queue::get_timeout`](super::Queue::get_timeout) failed. Python raises the same
/// `queue.Empty` for both, so they share this type (as the thread queues' `SimpleQueue`
/// shares its `EmptyError`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryGetError {
    /// The queue was empty (Python's `queue.Empty`): at the moment of the call for `try_get`,
    /// for the whole timeout for `get_timeout`.
    Empty,
    /// An item arrived but does not decode as the queue's type (it is consumed).
    Decode(String),
    /// The queue's broker is gone.
    Disconnected,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::Decode(why) => write!(f, "the item could not be decoded: {why}"),
            TryGetError::Disconnected => f.write_str("the queue's broker process is gone"),
        }
    }
}

impl Error for TryGetError {}

/// Why a [`JoinableQueue::join`](super::JoinableQueue::join) can never return: every item
/// still unfinished was taken by processes that ended (exited, were killed, crashed) without
/// marking it done, and the queue is empty, so no live process holds any of the work.
/// Python's `join` would wait for ever here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abandoned {
    pub(crate) unfinished: usize,
    pub(crate) by: Vec<(ProcessInfo, usize)>,
}

impl Abandoned {
    /// How many items were unfinished when `join` gave up.
    pub fn unfinished(&self) -> usize {
        self.unfinished
    }

    /// The processes that ended holding work, each with how many items it took and never
    /// marked done (their pids and names; [`ProcessInfo::is_daemon`] is not known here and is
    /// false).
    pub fn processes(&self) -> &[(ProcessInfo, usize)] {
        &self.by
    }
}

impl fmt::Display for Abandoned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the queue's join can never return: its {} unfinished item(s) were taken by \
             processes that ended without calling task_done for them:",
            self.unfinished
        )?;
        for (i, (who, items)) in self.by.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}'{}' (pid {}) took {items}", who.name(), who.pid())?;
        }
        Ok(())
    }
}

impl Error for Abandoned {}

/// Why a [`JoinableQueue::join_timeout`](super::JoinableQueue::join_timeout) returned before
/// every item was marked done.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueJoinTimeoutError {
    /// Items were still unfinished when the timeout ran out (join again later).
    Timeout,
    /// The work was abandoned by processes that ended: see [`Abandoned`].
    Abandoned(Abandoned),
}

impl fmt::Display for QueueJoinTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueJoinTimeoutError::Timeout => {
                f.write_str("timed out with items put and not yet marked done")
            }
            QueueJoinTimeoutError::Abandoned(why) => why.fmt(f),
        }
    }
}

impl Error for QueueJoinTimeoutError {}

/// [`Connection::send`](super::Connection::send) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError {
    /// The value does not serialize.
    Encode(String),
    /// The other end is closed, or the socket failed.
    Io(io::Error),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Encode(why) => write!(f, "the value could not be sent: {why}"),
            SendError::Io(err) => write!(f, "the connection failed: {err}"),
        }
    }
}

impl Error for SendError {}

/// [`Connection::recv`](super::Connection::recv) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecvError {
    /// The other end was closed and nothing is left to read (Python's `EOFError`).
    Closed,
    /// A value arrived but does not decode as the type asked for.
    Decode(String),
    /// The bytes are not a valid message (corrupt or cut short).
    Corrupt(String),
    /// The socket failed.
    Io(io::Error),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("the other end of the connection is closed"),
            RecvError::Decode(why) => write!(f, "the value could not be decoded: {why}"),
            RecvError::Corrupt(why) => write!(f, "corrupt message: {why}"),
            RecvError::Io(err) => write!(f, "the connection failed: {err}"),
        }
    }
}

impl Error for RecvError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// No `Debug` on purpose: the errors must not ask for it.
    struct Opaque(u8);

    #[test]
    fn errors_that_carry_an_item_give_it_back_and_debug_without_it() {
        let closed = Closed::new(Opaque(1));
        assert_eq!(format!("{closed:?}"), "Closed(..)");
        assert_eq!(closed.into_inner().0, 1);

        let full = TryPutError::Full(Opaque(2));
        assert_eq!(format!("{full:?}"), "Full(..)");
        assert_eq!(full.to_string(), "the queue is full");
        assert_eq!(full.into_inner().0, 2);

        let gone = PutError::Disconnected(Opaque(3));
        assert_eq!(format!("{gone:?}"), "Disconnected(..)");
        assert_eq!(gone.into_inner().0, 3);

        let bad = PutTimeoutError::Encode(Opaque(4), "no".into());
        assert_eq!(format!("{bad:?}"), "Encode(.., \"no\")");
        assert_eq!(bad.into_inner().0, 4);

        fn is_error<E: Error>(_: &E) {}
        is_error(&Closed::new(Opaque(5)));
        is_error(&PutError::Disconnected(Opaque(6)));
    }

    /// Walks an error chain the way a reporter (anyhow, eyre) prints it.
    fn chain(err: &dyn Error) -> Vec<String> {
        let mut out = vec![err.to_string()];
        let mut next = err.source();
        while let Some(err) = next {
            out.push(err.to_string());
            next = err.source();
        }
        out
    }

    /// No text of a wrapped error appears twice in the chain.
    fn shows_each_cause_once(err: &dyn Error, cause: &str) {
        let chain = chain(err);
        let times: usize = chain.iter().map(|line| line.matches(cause).count()).sum();
        assert_eq!(times, 1, "{chain:?}");
    }

    #[test]
    fn a_wrapped_error_is_shown_once_in_a_chain() {
        let io = io::Error::other("out of pids");
        shows_each_cause_once(&StartError::Spawn(io), "out of pids");
        let task = TaskError::new(3, TaskErrorKind::Panicked("boom".into()));
        shows_each_cause_once(&MapError::Task(task), "boom");
        let timer = crate::TimerError::Spawn(io::Error::other("no threads left"));
        shows_each_cause_once(&timer, "no threads left");
    }
}

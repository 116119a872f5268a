//! [`Thread`]: a cheap, clonable handle to one registered thread.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::deadlock::activity::Activity;
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};

/// What kind of thread a record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The process's main thread (`MainThread`).
    Main,
    /// Started by potok (`spawn`, `start`, `Builder`).
    Spawned,
    /// A thread potok did not start that called `current_thread()` (`Dummy-N`).
    Dummy,
}

/// The shared record behind every [`Thread`] handle.
pub(crate) struct Inner {
    pub(crate) name: Box<str>,
    pub(crate) ident: u64,
    /// The OS thread id; 0 until the thread has started running.
    pub(crate) native_id: AtomicU64,
    pub(crate) daemon: bool,
    pub(crate) kind: Kind,
    /// `true` once the thread has finished (see the lifecycle in `thread/mod.rs`).
    pub(crate) finished: Mutex<bool>,
    /// `*finished`, readable without the lock (a blocking thread asks whether it has
    /// finished while it may hold another thread's `finished` lock).
    pub(crate) done: AtomicBool,
    /// Joiners: a deadlock-aware wait (a join is an edge of the wait-for graph).
    pub(crate) joiners: WaitList,
    /// What the thread is blocked on or sleeping in, for `deadlock::snapshot`.
    pub(crate) activity: Activity,
    /// Locks this thread took that others released (lock-order checking).
    pub(crate) order_inbox: crate::deadlock::order::Inbox,
    /// The deadlock detector's family (see `deadlock/family.rs`): its own ident for a thread
    /// potok did not start, its starter's family for one potok started.
    pub(crate) family: u64,
}

impl Inner {
    pub(crate) fn new(name: Box<str>, ident: u64, daemon: bool, kind: Kind) -> Self {
        Inner {
            name,
            ident,
            native_id: AtomicU64::new(0),
            daemon,
            kind,
            finished: Mutex::new(false),
            done: AtomicBool::new(false),
            joiners: WaitList::new(),
            activity: Activity::new(),
            order_inbox: crate::deadlock::order::Inbox::default(),
            family: ident,
        }
    }

    /// Marks the thread finished and wakes everyone joining it.
    pub(crate) fn mark_finished(&self) {
        *self.finished.lock() = true;
        self.done.store(true, Ordering::Release);
        self.joiners.notify_all();
    }

    /// Waits until the thread has finished, or until `deadline`; returns whether it finished.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when an untimed join would
    /// deadlock (two threads joining each other, or everyone blocked).
    #[track_caller]
    pub(crate) fn wait_finished(&self, deadline: Option<Instant>) -> bool {
        // A short thread is often finished, or about to be, by the time it is joined: look
        // first, and keep looking (yielding the CPU it may need) for a moment before the
        // registered sleep (see `TRY_BEFORE_SLEEP`).
        if try_for(TRY_BEFORE_SLEEP, deadline, || {
            self.done.load(Ordering::Acquire)
        }) {
            return true;
        }
        let what = Wait {
            kind: ResourceKind::Thread,
            name: &self.name,
            detail: None,
            resource: self as *const Inner as usize,
            owner: Owner::Thread(self.ident),
        };
        let (_finished, result) =
            self.joiners
                .wait_while(self.finished.lock(), &what, |finished| !*finished, deadline);
        match result {
            Ok(finished) => finished,
            Err(err) => crate::deadlock::fail(err),
        }
    }
}

/// How long a joiner looks for the thread's end, yielding between looks, before it sleeps
/// where the deadlock detector sees it. That sleep costs a registration with the detector (a
/// global lock and a record), a park and a wake-up from the ending thread; with the OS join
/// that follows, a join of a short thread slept twice where std's sleeps once. Deadlock
/// detection is unchanged: a join that still finds the thread running sleeps and is
/// registered as before, at most this much later.
pub(crate) const TRY_BEFORE_SLEEP: Duration = Duration::from_micros(50);

/// Checks `ready` until it holds, yielding the CPU between checks, for at most `limit` (and not
/// past `deadline`); whether it held.
pub(crate) fn try_for(
    limit: Duration,
    deadline: Option<Instant>,
    ready: impl FnMut() -> bool,
) -> bool {
    matches!(look_for(limit, deadline, None, ready), Looked::Ready)
}

/// How [`look_for`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Looked {
    /// `ready` held.
    Ready,
    /// The limit (or the deadline) passed.
    Expired,
    /// One yield came back later than the `late` given: other threads had the CPU meanwhile.
    LateYield,
}

/// [`try_for`], and with `late` given, it stops at the first yield that takes longer than
/// `late` (a crowded machine: other threads had the CPU meanwhile).
pub(crate) fn look_for(
    limit: Duration,
    deadline: Option<Instant>,
    late: Option<Duration>,
    mut ready: impl FnMut() -> bool,
) -> Looked {
    if ready() {
        return Looked::Ready;
    }
    let mut before = Instant::now();
    let mut until = before + limit;
    if let Some(d) = deadline {
        until = until.min(d);
    }
    while before < until {
        std::thread::yield_now();
        if ready() {
            return Looked::Ready;
        }
        let after = Instant::now();
        if late.is_some_and(|late| after.saturating_duration_since(before) > late) {
            return Looked::LateYield;
        }
        before = after;
    }
    Looked::Expired
}

/// A handle to a thread potok knows about: Python's `threading.Thread` object.
///
/// Cheap to clone (one reference count). Two handles are equal when they describe the same
/// thread. Get one from [`current_thread`](crate::current_thread),
/// [`main_thread`](crate::main_thread), [`enumerate`](crate::enumerate) or
/// [`JoinHandle::thread`](crate::JoinHandle::thread).
///
/// # Examples
///
/// ```
/// let handle = potok::Builder::new().name("worker").spawn(|| 6 * 7).unwrap();
/// let thread = handle.thread().clone();
/// assert_eq!(thread.name(), "worker");
/// assert_eq!(handle.join().unwrap(), 42);
/// assert!(!thread.is_alive());
/// ```
#[derive(Clone)]
pub struct Thread {
    pub(crate) inner: Arc<Inner>,
}

/// Why [`Thread::join`] or [`Thread::join_timeout`] returned without the thread finishing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinError {
    /// A thread cannot join itself (Python raises `RuntimeError("cannot join current thread")`).
    CurrentThread,
    /// The timeout passed and the thread is still alive.
    Timeout,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::CurrentThread => f.write_str("cannot join current thread"),
            JoinError::Timeout => f.write_str("timed out waiting for the thread to finish"),
        }
    }
}

impl std::error::Error for JoinError {}

impl Thread {
    pub(crate) fn from_inner(inner: Inner) -> Self {
        Thread {
            inner: Arc::new(inner),
        }
    }

    /// The thread's name: `MainThread`, `Thread-N`, `Dummy-N`, or the one it was given.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// A number that identifies this thread among all the threads of the process, and is never
    /// reused (Python's `ident`; Python may reuse an ident after a thread exits, potok does not).
    pub fn ident(&self) -> u64 {
        self.inner.ident
    }

    /// The operating system's id for the thread (`gettid()` on Linux), or `None` while a thread
    /// that was just spawned has not started running yet.
    pub fn native_id(&self) -> Option<u64> {
        match self.inner.native_id.load(Ordering::Acquire) {
            0 => None,
            id => Some(id),
        }
    }

    /// Whether this is a daemon thread: [`potok::main`](crate::main) does not wait for those.
    pub fn is_daemon(&self) -> bool {
        self.inner.daemon
    }

    /// Whether the thread is still running: `true` from `spawn` until its closure has returned
    /// or panicked. The main thread is always alive.
    pub fn is_alive(&self) -> bool {
        !self.inner.done.load(Ordering::Acquire)
    }

    /// Waits until the thread has finished, from any handle (not only the spawner's).
    ///
    /// # Errors
    ///
    /// [`JoinError::CurrentThread`] when a thread tries to join itself, which would never end.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when the join would deadlock:
    /// two threads joining each other, or every thread blocked (see [`crate::deadlock`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = potok::spawn(|| ());
    /// let thread = handle.thread().clone();
    /// thread.join().unwrap();
    /// assert!(!thread.is_alive());
    /// assert_eq!(potok::current_thread().join(), Err(potok::JoinError::CurrentThread));
    /// ```
    #[track_caller]
    pub fn join(&self) -> Result<(), JoinError> {
        self.check_not_current()?;
        self.inner.wait_finished(None);
        Ok(())
    }

    /// Like [`join`](Thread::join), but gives up after `timeout`.
    ///
    /// # Errors
    ///
    /// [`JoinError::Timeout`] if the thread is still alive when the timeout passes;
    /// [`JoinError::CurrentThread`] when a thread tries to join itself.
    #[track_caller]
    pub fn join_timeout(&self, timeout: Duration) -> Result<(), JoinError> {
        self.check_not_current()?;
        let deadline = Instant::now().checked_add(timeout);
        if self.inner.wait_finished(deadline) {
            Ok(())
        } else {
            Err(JoinError::Timeout)
        }
    }

    fn check_not_current(&self) -> Result<(), JoinError> {
        if crate::thread::registry::current_ident() == Some(self.inner.ident) {
            Err(JoinError::CurrentThread)
        } else {
            Ok(())
        }
    }
}

impl PartialEq for Thread {
    fn eq(&self, other: &Self) -> bool {
        self.inner.ident == other.inner.ident
    }
}

impl Eq for Thread {}

impl std::hash::Hash for Thread {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.ident.hash(state);
    }
}

impl fmt::Debug for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.inner.kind {
            Kind::Main => "main",
            Kind::Spawned => "spawned",
            Kind::Dummy => "dummy",
        };
        f.debug_struct("Thread")
            .field("name", &self.name())
            .field("kind", &kind)
            .field("alive", &self.is_alive())
            .field("daemon", &self.is_daemon())
            .field("native_id", &self.native_id())
            .finish()
    }
}

/// The thread's name.
impl fmt::Display for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

//! [`DeadlockError`]: the report of a deadlock, as a value (and the payload of the panic).

use std::fmt;

/// What kind of potok primitive a thread waits for or holds, as named in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceKind {
    /// [`crate::Lock`].
    Lock,
    /// [`crate::RLock`].
    RLock,
    /// [`crate::Mutex`].
    Mutex,
    /// [`crate::Condition`].
    Condition,
    /// [`crate::Semaphore`].
    Semaphore,
    /// [`crate::BoundedSemaphore`].
    BoundedSemaphore,
    /// [`crate::Event`].
    Event,
    /// [`crate::Barrier`].
    Barrier,
    /// A thread, waited for by `join`.
    Thread,
    /// A FIFO queue (`Queue`).
    Queue,
    /// A LIFO queue (`LifoQueue`).
    LifoQueue,
    /// A priority queue (`PriorityQueue`).
    PriorityQueue,
    /// An unbounded queue without task tracking (`SimpleQueue`).
    SimpleQueue,
    /// A [`crate::futures::Future`] (or a set of them, waited for by `wait` / `as_completed`).
    Future,
}

impl ResourceKind {
    /// The type's name, as in `Lock 'bank'`; also the prefix of default names (`Lock-3`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Lock => "Lock",
            ResourceKind::RLock => "RLock",
            ResourceKind::Mutex => "Mutex",
            ResourceKind::Condition => "Condition",
            ResourceKind::Semaphore => "Semaphore",
            ResourceKind::BoundedSemaphore => "BoundedSemaphore",
            ResourceKind::Event => "Event",
            ResourceKind::Barrier => "Barrier",
            ResourceKind::Thread => "Thread",
            ResourceKind::Queue => "Queue",
            ResourceKind::LifoQueue => "LifoQueue",
            ResourceKind::PriorityQueue => "PriorityQueue",
            ResourceKind::SimpleQueue => "SimpleQueue",
            ResourceKind::Future => "Future",
        }
    }

    /// Whether a thread owns it while holding it (a cycle through it is a deadlock): `Mutex`,
    /// `RLock`, a held `Lock`, and a thread (its joiners wait for it alone).
    pub fn is_owned(self) -> bool {
        matches!(
            self,
            ResourceKind::Lock | ResourceKind::RLock | ResourceKind::Mutex | ResourceKind::Thread
        )
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One primitive in a report: its kind, its name and, for queues, what it is (`empty`, `full`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub(crate) kind: ResourceKind,
    pub(crate) name: String,
    pub(crate) detail: Option<&'static str>,
}

impl Resource {
    /// What kind of primitive it is.
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// Its name (`bank`, `Lock-3`; for [`ResourceKind::Thread`], the thread's name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the waiter waits for in it, when that says more than the kind (`empty`, `full`).
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }
}

/// `Lock 'bank'`, `Queue 'jobs' (empty)`, `thread 'worker' to finish`.
impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ResourceKind::Thread {
            return write!(f, "thread '{}' to finish", self.name);
        }
        write!(f, "{} '{}'", self.kind, self.name)?;
        if let Some(detail) = self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

/// One thread of a deadlock: what it waits for, who holds that, and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedThread {
    pub(crate) name: String,
    pub(crate) ident: u64,
    pub(crate) waits_for: Resource,
    pub(crate) held_by: Option<String>,
    pub(crate) holds: Vec<Resource>,
}

impl BlockedThread {
    /// The thread's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The thread's ident ([`crate::Thread::ident`]).
    pub fn ident(&self) -> u64 {
        self.ident
    }

    /// What it is blocked on, without a timeout.
    pub fn waits_for(&self) -> &Resource {
        &self.waits_for
    }

    /// The name of the thread that holds what it waits for, for owned locks (and the joined
    /// thread for a join); `None` for signals (`Event`, `Semaphore`, ...).
    pub fn held_by(&self) -> Option<&str> {
        self.held_by.as_deref()
    }

    /// The locks it holds that another blocked thread waits for. (Potok does not keep a list
    /// of every lock a thread holds: that would cost on the uncontended path.)
    pub fn holds(&self) -> &[Resource] {
        &self.holds
    }
}

impl fmt::Display for BlockedThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thread '{}'", self.name)?;
        if !self.holds.is_empty() {
            f.write_str(" holds ")?;
            for (i, r) in self.holds.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{r}")?;
            }
            f.write_str(" and")?;
        }
        write!(f, " waits for {}", self.waits_for)?;
        if let (Some(owner), true) = (&self.held_by, self.waits_for.kind != ResourceKind::Thread) {
            write!(f, " (held by '{owner}')")?;
        }
        Ok(())
    }
}

/// Which kind of deadlock was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeadlockKind {
    /// Threads wait for locks (or joins) held by each other, in a cycle.
    Cycle,
    /// Every live thread is blocked without a timeout on potok primitives: nobody can wake
    /// anybody.
    Stall,
}

/// A deadlock, found by potok instead of hanging: who is blocked, on what, holding what.
///
/// The blocking call whose block closes the cycle or completes the stall panics with this as
/// the payload (under the default [`Policy::Panic`](crate::deadlock::Policy::Panic)); the
/// report is printed once to stderr. Unwinding frees that thread's locks, so the others go
/// on. [`JoinHandle::join`](crate::JoinHandle::join) returns the panic as
/// [`Panicked`](crate::Panicked), which gives this error back with
/// [`Panicked::downcast`](crate::Panicked::downcast).
///
/// Display is the report:
///
/// ```text
/// deadlock: 2 threads wait for each other in a cycle
///   thread 'A' holds Mutex 'a' and waits for Mutex 'b' (held by 'B')
///   thread 'B' holds Mutex 'b' and waits for Mutex 'a' (held by 'A')
///   found when thread 'B' blocked
/// ```
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use potok::{deadlock::DeadlockError, Lock};
///
/// potok::set_excepthook(|_| {}); // keep the doc test quiet
/// let a = Arc::new(potok::Mutex::named("a", ()));
/// let b = Arc::new(potok::Mutex::named("b", ()));
/// let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
/// let ready = Arc::new(potok::Barrier::new(2));
/// let ready2 = Arc::clone(&ready);
/// let t = potok::Builder::new().name("T").spawn(move || {
///     let _b = b2.lock();
///     ready2.wait().unwrap();
///     let _a = a2.lock(); // waits for MainThread... or closes the cycle
/// }).unwrap();
/// let _a = a.lock();
/// ready.wait().unwrap();
/// let mine = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
///     let _b = b.lock();
/// }));
/// drop(_a);
/// let theirs = t.join();
/// // Exactly one of the two blocks closed the cycle and failed.
/// let err: DeadlockError = match (mine, theirs) {
///     (Err(p), Ok(())) => *p.downcast::<DeadlockError>().unwrap(),
///     (Ok(()), Err(p)) => *p.downcast::<DeadlockError>().unwrap(),
///     _ => unreachable!(),
/// };
/// assert_eq!(err.kind(), potok::deadlock::DeadlockKind::Cycle);
/// assert_eq!(err.threads().len(), 2);
/// assert!(err.to_string().contains("Mutex 'a'"));
/// potok::reset_excepthook();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlockError {
    pub(crate) kind: DeadlockKind,
    pub(crate) threads: Vec<BlockedThread>,
    pub(crate) found_by: String,
}

impl DeadlockError {
    /// A cycle or a stall.
    pub fn kind(&self) -> DeadlockKind {
        self.kind
    }

    /// Every thread involved: for a cycle, in cycle order starting with the thread that found
    /// it; for a stall, every blocked thread.
    pub fn threads(&self) -> &[BlockedThread] {
        &self.threads
    }

    /// The involved thread with this name, if any.
    pub fn thread(&self, name: &str) -> Option<&BlockedThread> {
        self.threads.iter().find(|t| t.name == name)
    }

    /// The name of the thread whose block closed the cycle or completed the stall (the one
    /// that panics with this error).
    pub fn found_by(&self) -> &str {
        &self.found_by
    }
}

impl fmt::Display for DeadlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.threads.len();
        match self.kind {
            DeadlockKind::Cycle if n == 1 => {
                f.write_str("deadlock: a thread waits for itself")?;
            }
            DeadlockKind::Cycle => {
                write!(f, "deadlock: {n} threads wait for each other in a cycle")?;
            }
            DeadlockKind::Stall => {
                let threads = if n == 1 { "thread" } else { "threads" };
                write!(
                    f,
                    "deadlock: all {n} {threads} blocked, none can wake another"
                )?;
            }
        }
        for t in &self.threads {
            write!(f, "\n  {t}")?;
        }
        write!(f, "\n  found when thread '{}' blocked", self.found_by)
    }
}

impl std::error::Error for DeadlockError {}

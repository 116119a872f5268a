//! The errors of state shared between processes: [`SharedMemoryError`] (making and opening
//! segments) and [`OwnerDied`] (a lock whose holder died while holding it).

use std::error::Error;
use std::fmt;
use std::io;

/// Why a shared memory segment (or a [`Lock`](super::Lock), [`Value`](super::Value) or
/// [`Array`](super::Array) in one) could not be created or opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum SharedMemoryError {
    /// No segment has this name: it was never created, or its creator dropped it (Python's
    /// `FileNotFoundError`).
    NotFound {
        /// The name looked for.
        name: String,
    },
    /// A segment with this name exists already (Python's `FileExistsError`).
    AlreadyExists {
        /// The name asked for.
        name: String,
    },
    /// The name is empty, too long, or holds a `/` past its first character.
    BadName {
        /// The name given.
        name: String,
    },
    /// A segment of size 0 was asked for (Python's `ValueError`).
    ZeroSize,
    /// The segment's size is not the size the opener expects (a `Value<u64>` opened as a
    /// `Value<u32>`, an `Array` of another length, or a segment that is not potok's).
    SizeMismatch {
        /// The segment's name.
        name: String,
        /// The size the opener expects, when it knows one.
        expected: Option<usize>,
        /// The segment's size.
        found: usize,
    },
    /// The segment is not the kind of potok object the opener expects (not made by potok, or
    /// a `Value` of another type opened as this one).
    WrongKind {
        /// The segment's name.
        name: String,
        /// What the opener expects, such as `Value<u64>`.
        expected: String,
    },
    /// The system refused (the reason is the [`source`](Error::source)).
    Io {
        /// The segment's name.
        name: String,
        /// What was being done: `create`, `open`, `map`, ...
        op: &'static str,
        /// The system's error.
        source: io::Error,
    },
}

impl SharedMemoryError {
    pub(crate) fn io(name: &str, op: &'static str, source: io::Error) -> SharedMemoryError {
        SharedMemoryError::Io {
            name: name.to_owned(),
            op,
            source,
        }
    }
}

impl fmt::Display for SharedMemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SharedMemoryError::NotFound { name } => {
                write!(f, "no shared memory segment named '{name}' exists (never created, or its creator is gone)")
            }
            SharedMemoryError::AlreadyExists { name } => {
                write!(f, "a shared memory segment named '{name}' already exists")
            }
            SharedMemoryError::BadName { name } => write!(
                f,
                "'{name}' is not a shared memory name (it must be non-empty, at most 250 bytes, with no '/' after the first character)"
            ),
            SharedMemoryError::ZeroSize => {
                f.write_str("a shared memory segment must have a size greater than zero")
            }
            SharedMemoryError::SizeMismatch {
                name,
                expected: Some(expected),
                found,
            } => write!(
                f,
                "shared memory segment '{name}' has {found} bytes, not the {expected} expected"
            ),
            SharedMemoryError::SizeMismatch {
                name,
                expected: None,
                found,
            } => write!(f, "shared memory segment '{name}' has {found} bytes"),
            SharedMemoryError::WrongKind { name, expected } => write!(
                f,
                "shared memory segment '{name}' does not hold a potok {expected}"
            ),
            SharedMemoryError::Io { name, op, .. } => {
                write!(f, "could not {op} shared memory segment '{name}'")
            }
        }
    }
}

impl Error for SharedMemoryError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            SharedMemoryError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A process [`Lock`](super::Lock) was taken over from a holder that died while holding it
/// (killed, or ended without releasing): the counterpart of a robust pthread mutex's
/// `EOWNERDEAD`.
///
/// The operation that returns it has succeeded: the caller holds the lock now (`G` is what it
/// would have returned: a guard, a value, or `()`), and gets it with
/// [`into_inner`](Self::into_inner). What is new is only the news: the dead holder may have
/// left the data the lock guards half-updated. Recovering means checking (or resetting) that
/// data while holding the lock, then going on as usual; the lock itself needs no repair, and
/// later acquirers see an ordinary lock. (Python's `multiprocessing.Lock` stays locked forever
/// in this case.)
///
/// # Examples
///
/// ```
/// # fn demo(counter: &potok::process::Value<u64>) {
/// let n = match counter.get() {
///     Ok(n) => n,
///     Err(died) => {
///         eprintln!("{died}; the counter may miss its last increment");
///         died.into_inner()
///     }
/// };
/// # let _ = n; }
/// ```
pub struct OwnerDied<G = ()> {
    pub(crate) lock: String,
    pub(crate) pid: u32,
    pub(crate) tid: u32,
    pub(crate) holder: String,
    pub(crate) inner: G,
}

impl<G> OwnerDied<G> {
    /// The name of the lock (for a `Value` or `Array`, its lock's).
    pub fn lock_name(&self) -> &str {
        &self.lock
    }

    /// The pid of the process that died holding the lock.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The id of the thread that held it.
    pub fn tid(&self) -> u32 {
        self.tid
    }

    /// The dead holder's name: its [`Process`](crate::process::Process) name (`Process-1`,
    /// or the one given) when this process started it, else the name the holder recorded
    /// (its [`current_process`](crate::process::current_process) name).
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// What the operation returned (the lock is held by the caller, as after a plain
    /// success).
    pub fn into_inner(self) -> G {
        self.inner
    }

    pub(crate) fn map<H>(self, f: impl FnOnce(G) -> H) -> OwnerDied<H> {
        OwnerDied {
            lock: self.lock,
            pid: self.pid,
            tid: self.tid,
            holder: self.holder,
            inner: f(self.inner),
        }
    }
}

impl<G> fmt::Debug for OwnerDied<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnerDied")
            .field("lock", &self.lock)
            .field("pid", &self.pid)
            .field("tid", &self.tid)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl<G> fmt::Display for OwnerDied<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "process lock '{}': its holder, process {} ('{}', thread {}), died while holding it; \
             the lock is yours now, but what it guards may be half-updated",
            self.lock, self.pid, self.holder, self.tid
        )
    }
}

impl<G> Error for OwnerDied<G> {}

/// A process [`Semaphore`](super::Semaphore) or [`BoundedSemaphore`](super::BoundedSemaphore)
/// had permits held by a process that died: they were given back, and the acquire that found
/// the dead process succeeded (`G` is what it returns: `()` or a guard).
///
/// Python's semaphores lose such permits for ever (every later acquire may hang). Here each
/// process's acquisitions minus its releases are counted in the semaphore; a waiter that has
/// waited a while looks for a counted process that is gone, gives its permits back to the
/// semaphore and tells the caller, who holds a permit now ([`into_inner`](Self::into_inner)).
/// The work the dead process did under those permits may be unfinished: recovering is the
/// caller's business (redo it, or go on). One limit: a semaphore used as a signal (one process
/// releases what another acquires) counts the acquirer as holding its permits, so an acquirer
/// that dies gives back permits it had consumed.
pub struct HolderDied<G = ()> {
    pub(crate) semaphore: String,
    pub(crate) pid: u32,
    pub(crate) holder: String,
    pub(crate) permits: u32,
    pub(crate) inner: G,
}

impl<G> HolderDied<G> {
    /// The semaphore's name.
    pub fn semaphore_name(&self) -> &str {
        &self.semaphore
    }

    /// The pid of the process that died holding permits.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Its name (its [`Process`](crate::process::Process) name when this process started it,
    /// else what it recorded, as for [`OwnerDied::holder`]).
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// How many permits it held (given back to the semaphore).
    pub fn permits(&self) -> u32 {
        self.permits
    }

    /// What the acquire returned (the caller holds a permit).
    pub fn into_inner(self) -> G {
        self.inner
    }

    pub(crate) fn map<H>(self, f: impl FnOnce(G) -> H) -> HolderDied<H> {
        HolderDied {
            semaphore: self.semaphore,
            pid: self.pid,
            holder: self.holder,
            permits: self.permits,
            inner: f(self.inner),
        }
    }
}

impl<G> fmt::Debug for HolderDied<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HolderDied")
            .field("semaphore", &self.semaphore)
            .field("pid", &self.pid)
            .field("holder", &self.holder)
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

impl<G> fmt::Display for HolderDied<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "process semaphore '{}': process {} ('{}') died holding {} of its permits; they were \
             given back and this acquire took one, but the work done under them may be unfinished",
            self.semaphore, self.pid, self.holder, self.permits
        )
    }
}

impl<G> Error for HolderDied<G> {}

/// Why a process [`Condition`](super::Condition)'s wait failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitError {
    /// The calling thread does not hold the Condition's lock (Python's `RuntimeError: cannot
    /// wait on un-acquired lock`); nothing happened.
    NotOwner,
    /// The wait ended (notified or not) and the lock was taken back from a holder that died
    /// holding it: the caller holds the lock, as after [`OwnerDied`].
    OwnerDied(OwnerDied),
    /// A process that had the Condition open died while this thread waited (it may have been
    /// the one to notify): the wait ended, the lock is held again. Check the state the
    /// Condition guards and decide; waiting again is allowed.
    ProcessDied {
        /// The Condition's name.
        condition: String,
        /// The dead process's pid.
        pid: u32,
        /// Its name, as for [`OwnerDied::holder`].
        name: String,
    },
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::NotOwner => f.write_str("cannot wait on un-acquired lock"),
            WaitError::OwnerDied(died) => died.fmt(f),
            WaitError::ProcessDied {
                condition,
                pid,
                name,
            } => write!(
                f,
                "process condition '{condition}': process {pid} ('{name}'), which had it open, \
                 died while this thread waited; the lock is held again"
            ),
        }
    }
}

impl Error for WaitError {}

/// A process [`Barrier`](super::Barrier) is broken: aborted, reset while this thread waited,
/// timed out, or one of the processes that had it open died (then named here). Python's
/// `BrokenBarrierError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenBarrierError {
    pub(crate) barrier: String,
    pub(crate) died: Option<(u32, String)>,
}

impl BrokenBarrierError {
    /// The barrier's name.
    pub fn barrier_name(&self) -> &str {
        &self.barrier
    }

    /// The pid and name of the process whose death broke it, if a death did.
    pub fn died(&self) -> Option<(u32, &str)> {
        self.died.as_ref().map(|(pid, name)| (*pid, name.as_str()))
    }
}

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process barrier '{}' is broken", self.barrier)?;
        if let Some((pid, name)) = &self.died {
            write!(f, ": process {pid} ('{name}'), which had it open, died")?;
        }
        Ok(())
    }
}

impl Error for BrokenBarrierError {}

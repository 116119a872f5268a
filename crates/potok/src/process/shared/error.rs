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

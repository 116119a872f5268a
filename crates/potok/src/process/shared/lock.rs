//! [`Lock`]: Python's `multiprocessing.Lock`, in shared memory, that survives its holder's
//! death.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::blocked::Blocked;
use super::error::{OwnerDied, SharedMemoryError};
use super::segment::{Expect, Kind, Segment};
use super::word::{self, Died, Failed, NotReleased};
use crate::ReleaseError;

/// A lock shared between processes: Python's `multiprocessing.Lock`, with the thread
/// [`Lock`](crate::Lock)'s method names.
///
/// It lives in a small shared memory segment (a futex word and who holds it); handed to a
/// child in [`Process`](crate::process::Process) or pool-task arguments it travels as the
/// segment's name, and every copy is the same lock. The segment goes away with the creator's
/// last handle (see [`SharedMemory`](super::SharedMemory)).
///
/// # A holder that dies
///
/// Python's lock stays locked for ever when its holder process is killed. This one notices:
/// a waiter checks every few milliseconds (while it sleeps, not on the fast path) whether the
/// holding thread still exists, and if not takes the lock over and returns
/// [`OwnerDied`], which names the dead holder (pid, process name, thread) and carries what the
/// call would have returned: the caller holds the lock, as after a success. It is reported
/// rather than hidden because the data the lock guarded may be half-updated; the caller
/// decides whether that matters (see [`OwnerDied`]). Nothing else needs repair.
///
/// # Differences from Python's
///
/// - Only the thread that acquired it may release it ([`ReleaseError::NotOwner`] otherwise):
///   the lock records its holder, which is how a dead holder is recognised (as a robust
///   pthread mutex).
/// - [`acquire`](Self::acquire) by the thread that holds it panics instead of waiting for
///   ever (nobody else may release it).
///
/// # Examples
///
/// ```
/// use potok::process::Lock;
///
/// let lock = Lock::named("log file").unwrap();
/// {
///     let _guard = lock.lock().unwrap(); // Python's `with lock:`
///     assert!(lock.locked());
/// }
/// assert!(lock.try_acquire().unwrap());
/// lock.release().unwrap();
/// assert_eq!(lock.release(), Err(potok::ReleaseError::Unlocked));
/// ```
#[derive(Clone)]
pub struct Lock {
    seg: Segment,
    name: String,
}

impl Lock {
    /// A new unlocked lock in a fresh segment, named after the segment (`potok_PID_N`).
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if the segment cannot be made.
    pub fn new() -> Result<Lock, SharedMemoryError> {
        Lock::make(None)
    }

    /// A new unlocked lock with a name, shown in errors and reports in every process.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn named(name: impl Into<String>) -> Result<Lock, SharedMemoryError> {
        Lock::make(Some(name.into()))
    }

    fn make(name: Option<String>) -> Result<Lock, SharedMemoryError> {
        let seg = Segment::create(Kind::Lock, 0, 0, 0, name.as_deref())?;
        Ok(Lock::in_segment(seg))
    }

    /// The lock of a segment (every potok segment has one).
    pub(crate) fn in_segment(seg: Segment) -> Lock {
        let name = seg.lock_name();
        Lock { seg, name }
    }

    pub(crate) fn segment(&self) -> &Segment {
        &self.seg
    }

    /// The lock's name (up to 64 bytes of the name it was given).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn died<G>(&self, died: Died, inner: G) -> OwnerDied<G> {
        owner_died(&self.name, died, inner)
    }

    fn wait(&self, deadline: Option<Instant>) -> Result<bool, OwnerDied> {
        let _blocked = Blocked::begin(
            crate::deadlock::ResourceKind::Lock,
            &self.name,
            self.seg.address(),
            deadline,
        );
        match word::lock_until(self.seg.header(), deadline) {
            Ok(None) => Ok(true),
            Ok(Some(died)) => Err(self.died(died, ())),
            Err(Failed::Busy) => Ok(false),
            Err(Failed::SelfWait) => panic!(
                "process lock '{}' acquired again by the thread that holds it: it is not \
                 reentrant, and only its holder may release it, so this would wait for ever",
                self.name
            ),
        }
    }

    /// Waits until the lock is free and takes it: Python's `acquire()`.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the holder died holding it: the lock is taken all the same.
    ///
    /// # Panics
    ///
    /// If the calling thread holds the lock already.
    #[inline]
    pub fn acquire(&self) -> Result<(), OwnerDied> {
        if word::try_lock_fast(self.seg.header()) {
            return Ok(());
        }
        self.wait(None).map(|_| ())
    }

    /// Takes the lock if it is free (or its holder is dead): Python's
    /// `acquire(blocking=False)`. `Ok(false)`: a live holder has it.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the holder died holding it: the lock is taken.
    #[must_use = "Ok(false) means not acquired: do not release what was not acquired"]
    pub fn try_acquire(&self) -> Result<bool, OwnerDied> {
        match word::try_lock(self.seg.header()) {
            Ok(None) => Ok(true),
            Ok(Some(died)) => Err(self.died(died, ())),
            Err(_) => Ok(false),
        }
    }

    /// Waits at most `timeout` for the lock: Python's `acquire(timeout=t)`. `Ok(false)`: not
    /// acquired in time.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the holder died holding it: the lock is taken.
    #[must_use = "Ok(false) means not acquired: do not release what was not acquired"]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<bool, OwnerDied> {
        if word::try_lock_fast(self.seg.header()) {
            return Ok(true);
        }
        let deadline = Instant::now().checked_add(timeout);
        if deadline.is_none() {
            return self.acquire().map(|()| true);
        }
        self.wait(deadline)
    }

    /// Releases the lock: Python's `release()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::Unlocked`] if it is not locked, [`ReleaseError::NotOwner`] if another
    /// thread (of this or another process) holds it; nothing changes.
    #[inline]
    pub fn release(&self) -> Result<(), ReleaseError> {
        word::unlock(&self.seg.header().word).map_err(|err| match err {
            NotReleased::Unlocked => ReleaseError::Unlocked,
            NotReleased::NotOwner => ReleaseError::NotOwner,
        })
    }

    /// Whether the calling thread holds it.
    pub(crate) fn is_mine(&self) -> bool {
        let word = self
            .seg
            .header()
            .word
            .load(std::sync::atomic::Ordering::Relaxed);
        word & !word::WAITERS == word::my_tid()
    }

    /// Whether some thread of some process holds the lock (Python's `locked()`).
    pub fn locked(&self) -> bool {
        self.seg
            .header()
            .word
            .load(std::sync::atomic::Ordering::Relaxed)
            != 0
    }

    #[inline]
    fn guard(&self) -> LockGuard<'_> {
        LockGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Acquires the lock and returns a guard that releases it when dropped: Python's
    /// `with lock:`.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] (with the guard inside) if the holder died holding it.
    ///
    /// # Panics
    ///
    /// As [`acquire`](Self::acquire).
    #[inline]
    pub fn lock(&self) -> Result<LockGuard<'_>, OwnerDied<LockGuard<'_>>> {
        match self.acquire() {
            Ok(()) => Ok(self.guard()),
            Err(died) => Err(died.map(|()| self.guard())),
        }
    }

    /// [`try_acquire`](Self::try_acquire) with a guard.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Self::try_acquire), with the guard inside.
    pub fn try_lock(&self) -> Result<Option<LockGuard<'_>>, OwnerDied<LockGuard<'_>>> {
        match self.try_acquire() {
            Ok(got) => Ok(got.then(|| self.guard())),
            Err(died) => Err(died.map(|()| self.guard())),
        }
    }

    /// [`acquire_timeout`](Self::acquire_timeout) with a guard.
    ///
    /// # Errors
    ///
    /// As [`acquire_timeout`](Self::acquire_timeout), with the guard inside.
    pub fn lock_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<LockGuard<'_>>, OwnerDied<LockGuard<'_>>> {
        match self.acquire_timeout(timeout) {
            Ok(got) => Ok(got.then(|| self.guard())),
            Err(died) => Err(died.map(|()| self.guard())),
        }
    }
}

/// The error for a lock (or RLock) named `lock` taken over from `died`.
pub(crate) fn owner_died<G>(lock: &str, died: Died, inner: G) -> OwnerDied<G> {
    let holder = super::super::proc::name_of(died.pid).unwrap_or(died.label);
    OwnerDied {
        lock: lock.to_owned(),
        pid: died.pid,
        tid: died.tid,
        holder,
        inner,
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("name", &self.name)
            .field("segment", &self.seg.name())
            .field("locked", &self.locked())
            .finish()
    }
}

/// Like Python's repr: `<unlocked process Lock 'log file'>`.
impl fmt::Display for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.locked() { "locked" } else { "unlocked" };
        write!(f, "<{state} process Lock '{}'>", self.name)
    }
}

/// Travels as its segment's name; the other side opens the same lock.
impl Serialize for Lock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.seg.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Lock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        let expect = Expect {
            kind: None,
            type_hash: 0,
            elem_size: 0,
            what: "Lock",
        };
        let seg = Segment::open(&name, &expect).map_err(super::super::data::decode_error)?;
        Ok(Lock::in_segment(seg))
    }
}

/// Holds a process [`Lock`] for a scope; releases it when dropped. Stays on the thread that
/// acquired it (only that thread may release the lock).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
    _not_send: PhantomData<*const ()>,
}

impl LockGuard<'_> {
    /// The lock this guard holds.
    pub fn lock(&self) -> &Lock {
        self.lock
    }
}

impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let _ = self.lock.release();
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("lock", &self.lock.name)
            .finish()
    }
}

//! [`RLock`]: Python's `multiprocessing.RLock`, a reentrant lock in shared memory that
//! survives its holder's death.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::blocked::Blocked;
use super::error::{OwnerDied, SharedMemoryError};
use super::lock::owner_died;
use super::segment::{self, Kind, Segment, State};
use super::word::{self, Failed, NotReleased};
use crate::deadlock::ResourceKind;
use crate::ReleaseError;

/// The RLock's words: its owner is the segment header's lock word (as for
/// [`Lock`](super::Lock)), the recursion depth is here.
#[repr(C)]
struct RLockState {
    /// How many times the owner has acquired it (written by the owner only).
    count: AtomicU32,
}

// SAFETY: repr(C), atomics only.
unsafe impl State for RLockState {}

/// A reentrant lock shared between processes: Python's `multiprocessing.RLock`, with the
/// thread [`RLock`](crate::RLock)'s method names. The thread that holds it may acquire it
/// again; it is free once released as many times.
///
/// It is a process [`Lock`](super::Lock) with a recursion count: the same segment design, the
/// same travel in [`Process`](crate::process::Process) or pool-task arguments, and the same
/// answer to a holder that dies: the next acquirer takes it over (at depth 1) and gets
/// [`OwnerDied`] naming the dead holder (pid, process name, thread); what the lock guarded
/// may be half-updated, the lock itself needs no repair.
///
/// # Examples
///
/// ```
/// use potok::process::RLock;
///
/// let lock = RLock::named("ledger").unwrap();
/// let _outer = lock.lock().unwrap();
/// let _inner = lock.lock().unwrap(); // the holder may enter again
/// assert!(lock.is_owned());
/// ```
#[derive(Clone)]
pub struct RLock {
    seg: Segment,
    name: String,
}

impl RLock {
    /// A new free RLock, named after its segment (`potok_PID_N`).
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if the segment cannot be made.
    pub fn new() -> Result<RLock, SharedMemoryError> {
        RLock::make(None)
    }

    /// A new free RLock with a name shown in errors and reports in every process.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn named(name: impl Into<String>) -> Result<RLock, SharedMemoryError> {
        RLock::make(Some(name.into()))
    }

    fn make(name: Option<String>) -> Result<RLock, SharedMemoryError> {
        let seg = Segment::create_state::<RLockState>(Kind::RLock, name.as_deref())?;
        Ok(RLock::in_segment(seg))
    }

    fn in_segment(seg: Segment) -> RLock {
        let name = seg.lock_name();
        RLock { seg, name }
    }

    fn count(&self) -> &AtomicU32 {
        &self.seg.state::<RLockState>().count
    }

    /// The RLock's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the calling thread holds it (Python's `_is_owned()`).
    pub fn is_owned(&self) -> bool {
        let word = self.seg.header().word.load(Ordering::Relaxed);
        word != 0 && word & !word::WAITERS == word::my_tid()
    }

    fn reenter(&self) -> bool {
        if self.is_owned() {
            self.count().fetch_add(1, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    fn took(&self, got: Result<Option<word::Died>, Failed>) -> Result<bool, OwnerDied> {
        match got {
            Ok(died) => {
                self.count().store(1, Ordering::Relaxed);
                match died {
                    None => Ok(true),
                    Some(died) => Err(owner_died(&self.name, died, ())),
                }
            }
            Err(_) => Ok(false),
        }
    }

    fn wait(&self, deadline: Option<Instant>) -> Result<bool, OwnerDied> {
        if word::try_lock_fast(self.seg.header()) {
            return self.took(Ok(None));
        }
        let _blocked = Blocked::begin(
            ResourceKind::RLock,
            &self.name,
            self.seg.address(),
            deadline,
        );
        self.took(word::lock_until(self.seg.header(), deadline))
    }

    /// Acquires it, once more if this thread already holds it: Python's `acquire()`.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the holder died holding it: it is taken all the same (at depth 1).
    #[track_caller]
    pub fn acquire(&self) -> Result<(), OwnerDied> {
        if self.reenter() {
            return Ok(());
        }
        self.wait(None).map(drop)
    }

    /// Acquires it if it is free, already this thread's, or its holder is dead: Python's
    /// `acquire(blocking=False)`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    #[must_use = "Ok(false) means not acquired: do not release what was not acquired"]
    pub fn try_acquire(&self) -> Result<bool, OwnerDied> {
        if self.reenter() {
            return Ok(true);
        }
        self.took(word::try_lock(self.seg.header()))
    }

    /// Waits at most `timeout` for it: Python's `acquire(timeout=t)`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    #[must_use = "Ok(false) means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<bool, OwnerDied> {
        if self.reenter() {
            return Ok(true);
        }
        self.wait(Instant::now().checked_add(timeout))
    }

    /// Releases it once: Python's `release()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold it (of this or any
    /// process); nothing changes.
    pub fn release(&self) -> Result<(), ReleaseError> {
        if !self.is_owned() {
            return Err(ReleaseError::NotOwner);
        }
        if self.count().fetch_sub(1, Ordering::Relaxed) == 1 {
            self.unlock();
        }
        Ok(())
    }

    fn unlock(&self) {
        match word::unlock(&self.seg.header().word) {
            Ok(()) | Err(NotReleased::Unlocked) | Err(NotReleased::NotOwner) => {}
        }
    }

    /// Releases it completely, returning the depth to restore (for a Condition's wait).
    pub(crate) fn release_all(&self) -> u32 {
        let depth = self.count().swap(0, Ordering::Relaxed);
        self.unlock();
        depth
    }

    /// Acquires it again at `depth` (after [`release_all`](Self::release_all)).
    pub(crate) fn restore(&self, depth: u32) -> Result<(), OwnerDied> {
        let got = self.wait(None);
        self.count().store(depth.max(1), Ordering::Relaxed);
        got.map(drop)
    }

    fn guard(&self) -> RLockGuard<'_> {
        RLockGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Acquires it and returns a guard that releases it once when dropped: Python's
    /// `with rlock:`.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] (with the guard inside) if the holder died holding it.
    #[track_caller]
    pub fn lock(&self) -> Result<RLockGuard<'_>, OwnerDied<RLockGuard<'_>>> {
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
    pub fn try_lock(&self) -> Result<Option<RLockGuard<'_>>, OwnerDied<RLockGuard<'_>>> {
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
    #[track_caller]
    pub fn lock_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<RLockGuard<'_>>, OwnerDied<RLockGuard<'_>>> {
        match self.acquire_timeout(timeout) {
            Ok(got) => Ok(got.then(|| self.guard())),
            Err(died) => Err(died.map(|()| self.guard())),
        }
    }
}

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLock")
            .field("name", &self.name)
            .field("segment", &self.seg.name())
            .field("owned", &self.is_owned())
            .finish()
    }
}

/// Like Python's repr: `<process RLock 'ledger': unlocked>`.
impl fmt::Display for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let locked = self.seg.header().word.load(Ordering::Relaxed) != 0;
        let state = if locked { "locked" } else { "unlocked" };
        write!(f, "<process RLock '{}': {state}>", self.name)
    }
}

/// Travels as its segment's name; the other side opens the same RLock.
impl Serialize for RLock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.seg.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RLock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seg = segment::deserialize_state::<RLockState, D>(deserializer, Kind::RLock, "RLock")?;
        Ok(RLock::in_segment(seg))
    }
}

/// Holds a process [`RLock`] once for a scope; releases it once when dropped. Stays on the
/// thread that acquired it.
#[must_use = "the RLock is released as soon as the guard is dropped"]
pub struct RLockGuard<'a> {
    lock: &'a RLock,
    _not_send: PhantomData<*const ()>,
}

impl RLockGuard<'_> {
    /// The RLock this guard holds.
    pub fn lock(&self) -> &RLock {
        self.lock
    }
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        let _ = self.lock.release();
    }
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard")
            .field("lock", &self.lock.name)
            .finish()
    }
}

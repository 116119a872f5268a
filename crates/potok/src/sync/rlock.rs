//! [`RLock`]: Python's `threading.RLock`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::error::ReleaseError;
use super::name::Name;
use super::raw::RawLock;
use std::panic::Location;

use crate::deadlock::order::{self, Class, Taking};
use crate::deadlock::ResourceKind;
use crate::thread::current_ident_fast;

/// Python's `threading.RLock`: a reentrant lock, owned by the thread that acquired it.
///
/// The owner may acquire it again; it is free when the owner has released it as many times
/// as it acquired it. Only the owner may release it. Cycles of threads waiting for each
/// other's RLocks are reported as deadlocks (see [`crate::deadlock`]).
///
/// # Examples
///
/// ```
/// let lock = potok::RLock::named("tree");
/// lock.acquire();
/// lock.acquire(); // the owner may acquire it again
/// assert!(lock.is_owned());
/// lock.release().unwrap();
/// lock.release().unwrap();
/// assert_eq!(lock.release(), Err(potok::ReleaseError::NotOwner));
/// {
///     let _outer = lock.lock();
///     let _inner = lock.lock();
/// }
/// assert!(!lock.is_owned());
/// ```
pub struct RLock {
    raw: RawLock,
    /// How many times the owner holds it; touched by the owner only.
    count: AtomicUsize,
    name: Name,
    /// Its lock-order class (see `deadlock::order`).
    class: Class,
}

impl Default for RLock {
    #[track_caller]
    fn default() -> Self {
        RLock::new()
    }
}

impl RLock {
    /// A free RLock, named `RLock-N` when a name is first needed.
    #[track_caller]
    pub const fn new() -> Self {
        RLock {
            raw: RawLock::new(),
            count: AtomicUsize::new(0),
            name: Name::new(),
            class: Class::here(),
        }
    }

    /// A free RLock with a name, used in deadlock reports.
    #[track_caller]
    pub fn named(name: impl Into<String>) -> Self {
        RLock {
            raw: RawLock::new(),
            count: AtomicUsize::new(0),
            name: Name::named(name),
            class: Class::here(),
        }
    }

    fn taking(&self) -> Taking<'_> {
        Taking {
            class: &self.class,
            kind: ResourceKind::RLock,
            name: &self.name,
            addr: self as *const RLock as usize,
        }
    }

    /// Takes the word, blocking, with lock-order checking (the first acquisition, or the
    /// retake after a `Condition` wait).
    #[track_caller]
    fn lock_checked(&self) {
        let checked = order::on();
        if checked {
            order::acquiring(&self.taking(), Location::caller());
        }
        if let Err(err) = self.raw.lock(ResourceKind::RLock, &self.name) {
            if checked {
                order::released(self.taking().addr);
            }
            crate::deadlock::fail(err)
        }
    }

    #[track_caller]
    fn took(&self) {
        if order::on() {
            order::took(&self.taking(), Location::caller());
        }
    }

    fn untake(&self) {
        if order::on() {
            order::released(self.taking().addr);
        }
    }

    /// The RLock's name.
    pub fn name(&self) -> &str {
        self.name.get(ResourceKind::RLock)
    }

    /// Whether the calling thread holds it (Python's `_is_owned()`).
    #[inline]
    pub fn is_owned(&self) -> bool {
        self.raw.owner() == Some(current_ident_fast())
    }

    /// Acquires it, once more if this thread already holds it: Python's `acquire()`.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when waiting would deadlock
    /// (see [`crate::deadlock`]).
    #[inline]
    #[track_caller]
    pub fn acquire(&self) {
        if self.reenter() {
            return;
        }
        if crate::instrument::any() || !self.raw.lock_fast() {
            self.lock_checked();
        }
        self.count.store(1, Ordering::Relaxed);
    }

    /// Acquires it if it is free or already this thread's: Python's `acquire(blocking=False)`.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn try_acquire(&self) -> bool {
        if self.reenter() {
            return true;
        }
        let got = self.raw.try_lock_as(ResourceKind::RLock, &self.name);
        if got {
            self.count.store(1, Ordering::Relaxed);
            self.took();
        }
        got
    }

    /// Waits at most `timeout` for it: Python's `acquire(timeout=t)`. Timed waits are never
    /// reported as deadlocks.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        if self.reenter() {
            return true;
        }
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            self.acquire();
            return true;
        };
        let got = self
            .raw
            .lock_until(ResourceKind::RLock, &self.name, deadline);
        if got {
            self.count.store(1, Ordering::Relaxed);
            self.took();
        }
        got
    }

    /// Counts one more acquisition if this thread holds it. The count is the owner's alone
    /// (others only read the lock word), so a plain load and store, not a read-modify-write.
    #[inline]
    fn reenter(&self) -> bool {
        if self.is_owned() {
            let count = self.count.load(Ordering::Relaxed);
            self.count.store(count + 1, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    /// Releases it once: Python's `release()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold it.
    #[inline]
    pub fn release(&self) -> Result<(), ReleaseError> {
        if !self.is_owned() {
            return Err(ReleaseError::NotOwner);
        }
        // The owner's own count: see `reenter`.
        let count = self.count.load(Ordering::Relaxed);
        self.count.store(count.wrapping_sub(1), Ordering::Relaxed);
        if count == 1 && (crate::instrument::any() || !self.raw.unlock_fast()) {
            self.unlock_slow();
        }
        Ok(())
    }

    /// The last release when it has waiters to wake or instrumentation is on.
    #[cold]
    #[inline(never)]
    fn unlock_slow(&self) {
        self.raw.unlock();
        self.untake();
    }

    /// Releases it completely, returning how many times it was held (Python's
    /// `_release_save`, for [`Condition::wait`](crate::Condition::wait)).
    pub(crate) fn release_all(&self) -> Result<usize, ReleaseError> {
        if !self.is_owned() {
            return Err(ReleaseError::NotOwner);
        }
        let count = self.count.swap(0, Ordering::Relaxed);
        self.raw.unlock();
        self.untake();
        Ok(count)
    }

    /// Acquires it and restores the count (Python's `_acquire_restore`).
    #[track_caller]
    pub(crate) fn acquire_restore(&self, count: usize) {
        self.lock_checked();
        self.count.store(count, Ordering::Relaxed);
    }

    /// Acquires it and returns a guard that releases it once when dropped: Python's
    /// `with rlock:`.
    ///
    /// # Panics
    ///
    /// As [`acquire`](RLock::acquire).
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> RLockGuard<'_> {
        self.acquire();
        RLockGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// [`try_acquire`](RLock::try_acquire) with a guard.
    pub fn try_lock(&self) -> Option<RLockGuard<'_>> {
        self.try_acquire().then_some(RLockGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// [`acquire_timeout`](RLock::acquire_timeout) with a guard.
    #[track_caller]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<RLockGuard<'_>> {
        self.acquire_timeout(timeout).then_some(RLockGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }
}

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLock")
            .field("name", &self.name())
            .field("locked", &self.raw.is_locked())
            .finish()
    }
}

/// Like Python's repr: `<unlocked RLock 'tree'>`.
impl fmt::Display for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.raw.is_locked() {
            "locked"
        } else {
            "unlocked"
        };
        write!(f, "<{state} RLock '{}'>", self.name())
    }
}

/// Holds an [`RLock`] once for a scope.
#[must_use = "the RLock is released as soon as the guard is dropped"]
pub struct RLockGuard<'a> {
    lock: &'a RLock,
    /// Released on the thread that acquired it (only the owner may release).
    _not_send: PhantomData<*const ()>,
}

impl Drop for RLockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let _ = self.lock.release();
    }
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RLockGuard").field(self.lock).finish()
    }
}

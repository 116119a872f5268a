//! [`Lock`]: Python's `threading.Lock`.

use std::fmt;
use std::time::{Duration, Instant};

use super::error::ReleaseError;
use super::name::Name;
use super::raw::RawLock;
use std::panic::Location;

use crate::deadlock::order::{self, Class, Taking};
use crate::deadlock::ResourceKind;

/// Python's `threading.Lock`: a lock that any thread may release, not only the one that
/// acquired it (so it also works as a signal, as in the course's bank lesson).
///
/// Not reentrant: a thread that acquires it twice waits for another thread to release it.
/// While held, the lock remembers who acquired it, and the deadlock detector follows that:
/// threads waiting for each other's Locks in a cycle are reported; a thread waiting for a Lock
/// it holds itself is reported only when nobody else is left to release it (a stall).
///
/// `Lock::new` is `const` and free: the default name (`Lock-N`) is given when first needed.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let lock = Arc::new(potok::Lock::named("bank"));
/// lock.acquire();
/// assert!(lock.locked());
/// let other = Arc::clone(&lock);
/// potok::spawn(move || other.release().unwrap()).join().unwrap(); // any thread may release
/// assert!(!lock.locked());
///
/// {
///     let _guard = lock.lock(); // Python's `with lock:`
///     assert!(!lock.try_acquire());
/// }
/// assert_eq!(lock.release(), Err(potok::ReleaseError::Unlocked));
/// ```
pub struct Lock {
    raw: RawLock,
    name: Name,
    /// Its lock-order class (see `deadlock::order`).
    class: Class,
}

impl Default for Lock {
    #[track_caller]
    fn default() -> Self {
        Lock::new()
    }
}

impl Lock {
    /// An unlocked lock, named `Lock-N` when a name is first needed.
    #[track_caller]
    pub const fn new() -> Self {
        Lock {
            raw: RawLock::new(),
            name: Name::new(),
            class: Class::here(),
        }
    }

    /// An unlocked lock with a name, used in deadlock reports (and as its lock-order class).
    #[track_caller]
    pub fn named(name: impl Into<String>) -> Self {
        Lock {
            raw: RawLock::new(),
            name: Name::named(name),
            class: Class::here(),
        }
    }

    fn taking(&self) -> Taking<'_> {
        Taking {
            class: &self.class,
            kind: ResourceKind::Lock,
            name: &self.name,
            addr: self as *const Lock as usize,
        }
    }

    /// The lock's name.
    pub fn name(&self) -> &str {
        self.name.get(ResourceKind::Lock)
    }

    /// Waits until the lock is free and takes it: Python's `acquire()`.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when waiting would deadlock
    /// (see [`crate::deadlock`]).
    #[inline]
    #[track_caller]
    pub fn acquire(&self) {
        if crate::instrument::any() || !self.raw.lock_fast() {
            self.acquire_slow();
        }
    }

    /// [`acquire`](Lock::acquire) when contended or instrumented: lock-order checking, the
    /// trace's hold, the detector's park.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn acquire_slow(&self) {
        let checked = order::on();
        if checked {
            order::acquiring(&self.taking(), Location::caller());
        }
        if let Err(err) = self.raw.lock(ResourceKind::Lock, &self.name) {
            if checked {
                order::released(self.taking().addr);
            }
            crate::deadlock::fail(err)
        }
    }

    /// Takes the lock if it is free: Python's `acquire(blocking=False)`.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn try_acquire(&self) -> bool {
        let got = self.raw.try_lock_as(ResourceKind::Lock, &self.name);
        if got && order::on() {
            order::took(&self.taking(), Location::caller());
        }
        got
    }

    /// Waits at most `timeout` for the lock: Python's `acquire(timeout=t)`. Returns whether it
    /// got the lock. Timed waits are never reported as deadlocks.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => {
                let got = self
                    .raw
                    .lock_until(ResourceKind::Lock, &self.name, deadline);
                if got && order::on() {
                    order::took(&self.taking(), Location::caller());
                }
                got
            }
            None => {
                self.acquire();
                true
            }
        }
    }

    /// Releases the lock, from any thread: Python's `release()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::Unlocked`] if the lock is not locked (nothing changes).
    #[inline]
    pub fn release(&self) -> Result<(), ReleaseError> {
        if !crate::instrument::any() && self.raw.unlock_fast() {
            return Ok(());
        }
        self.release_slow()
    }

    /// [`release`](Lock::release) with waiters to wake, instrumentation on, or nothing held.
    #[cold]
    #[inline(never)]
    fn release_slow(&self) -> Result<(), ReleaseError> {
        let owner = if order::on() { self.raw.owner() } else { None };
        if let Some(owner) = owner {
            // Off the taker's stack before the lock is free, so the taker cannot take another
            // lock in between and seem to hold this one still.
            let addr = self.taking().addr;
            if !order::released(addr) {
                order::released_for(owner, addr);
            }
        }
        if self.raw.unlock() {
            Ok(())
        } else {
            Err(ReleaseError::Unlocked)
        }
    }

    /// Whether the lock is held: Python's `locked()`.
    pub fn locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Acquires the lock and returns a guard that releases it when dropped: Python's
    /// `with lock:`.
    ///
    /// # Panics
    ///
    /// As [`acquire`](Lock::acquire).
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> LockGuard<'_> {
        self.acquire();
        LockGuard { lock: self }
    }

    /// [`try_acquire`](Lock::try_acquire) with a guard.
    #[track_caller]
    pub fn try_lock(&self) -> Option<LockGuard<'_>> {
        self.try_acquire().then_some(LockGuard { lock: self })
    }

    /// [`acquire_timeout`](Lock::acquire_timeout) with a guard.
    #[track_caller]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<LockGuard<'_>> {
        self.acquire_timeout(timeout)
            .then_some(LockGuard { lock: self })
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("name", &self.name())
            .field("locked", &self.locked())
            .finish()
    }
}

/// Like Python's repr: `<unlocked Lock 'bank'>`.
impl fmt::Display for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.locked() { "locked" } else { "unlocked" };
        write!(f, "<{state} Lock '{}'>", self.name())
    }
}

/// Holds a [`Lock`] for a scope; releases it when dropped (unless it was already released,
/// by any thread).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
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
        // Another thread may have released it meanwhile (a Lock is not owned): not an error.
        let _ = self.lock.release();
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LockGuard").field(self.lock).finish()
    }
}

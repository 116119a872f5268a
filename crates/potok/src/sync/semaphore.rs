//! [`Semaphore`] and [`BoundedSemaphore`]: Python's counting semaphores.

use std::fmt;
use std::time::{Duration, Instant};

use parking_lot::Mutex as StateMutex;

use super::error::ReleaseError;
use super::name::Name;
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};

/// The counter and its waiters, shared by both kinds.
struct Core {
    value: StateMutex<usize>,
    waiters: WaitList,
    name: Name,
}

impl Core {
    const fn new(value: usize, name: Name) -> Self {
        Core {
            value: parking_lot::const_mutex(value),
            waiters: WaitList::new(),
            name,
        }
    }

    fn try_acquire(&self) -> bool {
        let mut value = self.value.lock();
        if *value > 0 {
            *value -= 1;
            true
        } else {
            false
        }
    }

    #[track_caller]
    fn acquire_until(&self, kind: ResourceKind, deadline: Option<Instant>) -> bool {
        let what = Wait {
            kind,
            name: self.name.get(kind),
            detail: None,
            resource: self as *const Core as usize,
            owner: Owner::Nobody,
        };
        let (mut value, result) =
            self.waiters
                .wait_while(self.value.lock(), &what, |v| *v == 0, deadline);
        match result {
            Ok(true) => {
                *value -= 1;
                true
            }
            Ok(false) => false,
            Err(err) => {
                drop(value);
                crate::deadlock::fail(err)
            }
        }
    }

    /// Adds `n`, checking `bound`, and wakes up to `n` waiters.
    fn release(&self, n: usize, bound: Option<usize>) -> Result<(), ReleaseError> {
        {
            let mut value = self.value.lock();
            let new = value.checked_add(n).ok_or(ReleaseError::TooManyReleases)?;
            if bound.is_some_and(|b| new > b) {
                return Err(ReleaseError::TooManyReleases);
            }
            *value = new;
        }
        if n == 1 {
            self.waiters.notify_one();
        } else {
            self.waiters.notify(n);
        }
        Ok(())
    }
}

/// Python's `threading.Semaphore`: a counter that `acquire` decrements, waiting while it is
/// zero, and `release` increments.
///
/// An untimed `acquire` that no running thread can satisfy is a stall, reported as a
/// [`DeadlockError`](crate::deadlock::DeadlockError) (see [`crate::deadlock`]).
///
/// # Examples
///
/// ```
/// let slots = potok::Semaphore::named("slots", 2);
/// slots.acquire();
/// assert!(slots.try_acquire());
/// assert!(!slots.try_acquire()); // both taken
/// slots.release(2);
/// assert_eq!(slots.value(), 2);
/// {
///     let _slot = slots.guard(); // Python's `with sem:`
///     assert_eq!(slots.value(), 1);
/// }
/// assert_eq!(slots.value(), 2);
/// ```
pub struct Semaphore {
    core: Core,
}

impl Semaphore {
    /// A semaphore with this initial value, named `Semaphore-N` when a name is first needed.
    pub const fn new(value: usize) -> Self {
        Semaphore {
            core: Core::new(value, Name::new()),
        }
    }

    /// A semaphore with a name, used in deadlock reports.
    pub fn named(name: impl Into<String>, value: usize) -> Self {
        Semaphore {
            core: Core::new(value, Name::named(name)),
        }
    }

    /// The semaphore's name.
    pub fn name(&self) -> &str {
        self.core.name.get(ResourceKind::Semaphore)
    }

    /// The current value (Python's `_value`).
    pub fn value(&self) -> usize {
        *self.core.value.lock()
    }

    /// Waits until the value is positive, then decrements it: Python's `acquire()`.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when no running thread is left
    /// to release it (see [`crate::deadlock`]).
    #[track_caller]
    pub fn acquire(&self) {
        self.core.acquire_until(ResourceKind::Semaphore, None);
    }

    /// Decrements the value if it is positive: Python's `acquire(blocking=False)`.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    pub fn try_acquire(&self) -> bool {
        self.core.try_acquire()
    }

    /// Waits at most `timeout`: Python's `acquire(timeout=t)`; returns whether it acquired.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.core
            .acquire_until(ResourceKind::Semaphore, Instant::now().checked_add(timeout))
    }

    /// Adds `n` to the value and wakes up to `n` waiters: Python's `release(n)`.
    ///
    /// # Panics
    ///
    /// If `n` is 0 (Python raises `ValueError: n must be one or more`), or if the value would
    /// overflow `usize`.
    pub fn release(&self, n: usize) {
        assert!(n >= 1, "potok::Semaphore::release: n must be one or more");
        self.core
            .release(n, None)
            .expect("potok::Semaphore value overflowed");
    }

    /// Acquires and returns a guard that releases once when dropped: Python's `with sem:`.
    ///
    /// # Panics
    ///
    /// As [`acquire`](Semaphore::acquire).
    #[track_caller]
    pub fn guard(&self) -> SemaphoreGuard<'_> {
        self.acquire();
        SemaphoreGuard {
            semaphore: Which::Plain(self),
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("name", &self.name())
            .field("value", &self.value())
            .finish()
    }
}

/// Like Python's repr: `<Semaphore 'slots' value=2>`.
impl fmt::Display for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Semaphore '{}' value={}>", self.name(), self.value())
    }
}

/// Python's `threading.BoundedSemaphore`: a [`Semaphore`] that refuses to be released past
/// its initial value (a release without an acquire is a bug it reports).
///
/// # Examples
///
/// ```
/// let pool = potok::BoundedSemaphore::named("pool", 1);
/// pool.acquire();
/// pool.release().unwrap();
/// assert_eq!(pool.release(), Err(potok::ReleaseError::TooManyReleases));
/// ```
pub struct BoundedSemaphore {
    core: Core,
    initial: usize,
}

impl BoundedSemaphore {
    /// A bounded semaphore with this initial (and largest) value.
    pub const fn new(value: usize) -> Self {
        BoundedSemaphore {
            core: Core::new(value, Name::new()),
            initial: value,
        }
    }

    /// A bounded semaphore with a name, used in deadlock reports.
    pub fn named(name: impl Into<String>, value: usize) -> Self {
        BoundedSemaphore {
            core: Core::new(value, Name::named(name)),
            initial: value,
        }
    }

    /// The semaphore's name.
    pub fn name(&self) -> &str {
        self.core.name.get(ResourceKind::BoundedSemaphore)
    }

    /// The current value.
    pub fn value(&self) -> usize {
        *self.core.value.lock()
    }

    /// Waits until the value is positive, then decrements it: Python's `acquire()`.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when no running thread is left
    /// to release it (see [`crate::deadlock`]).
    #[track_caller]
    pub fn acquire(&self) {
        self.core
            .acquire_until(ResourceKind::BoundedSemaphore, None);
    }

    /// Decrements the value if it is positive.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    pub fn try_acquire(&self) -> bool {
        self.core.try_acquire()
    }

    /// Waits at most `timeout`; returns whether it acquired.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.core.acquire_until(
            ResourceKind::BoundedSemaphore,
            Instant::now().checked_add(timeout),
        )
    }

    /// Increments the value and wakes one waiter: Python's `release()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::TooManyReleases`] if the value would go past the initial one (nothing
    /// changes).
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.release_n(1)
    }

    /// Adds `n` and wakes up to `n` waiters: Python's `release(n)`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::TooManyReleases`] if the value would go past the initial one (nothing
    /// changes).
    ///
    /// # Panics
    ///
    /// If `n` is 0 (Python raises `ValueError: n must be one or more`).
    pub fn release_n(&self, n: usize) -> Result<(), ReleaseError> {
        assert!(
            n >= 1,
            "potok::BoundedSemaphore::release_n: n must be one or more"
        );
        self.core.release(n, Some(self.initial))
    }

    /// Acquires and returns a guard that releases once when dropped.
    ///
    /// # Panics
    ///
    /// As [`acquire`](BoundedSemaphore::acquire).
    #[track_caller]
    pub fn guard(&self) -> SemaphoreGuard<'_> {
        self.acquire();
        SemaphoreGuard {
            semaphore: Which::Bounded(self),
        }
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("name", &self.name())
            .field("value", &self.value())
            .field("initial", &self.initial)
            .finish()
    }
}

/// Like Python's repr: `<BoundedSemaphore 'slots' value=1/2>`.
impl fmt::Display for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<BoundedSemaphore '{}' value={}/{}>",
            self.name(),
            self.value(),
            self.initial
        )
    }
}

/// One unit of a [`Semaphore`] or [`BoundedSemaphore`], released when dropped.
#[must_use = "the semaphore is released as soon as the guard is dropped"]
pub struct SemaphoreGuard<'a> {
    semaphore: Which<'a>,
}

enum Which<'a> {
    Plain(&'a Semaphore),
    Bounded(&'a BoundedSemaphore),
}

impl Drop for SemaphoreGuard<'_> {
    fn drop(&mut self) {
        match self.semaphore {
            Which::Plain(s) => s.release(1),
            // The guard's own acquire made room for this release.
            Which::Bounded(s) => {
                let _ = s.release();
            }
        }
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.semaphore {
            Which::Plain(s) => f.debug_tuple("SemaphoreGuard").field(s).finish(),
            Which::Bounded(s) => f.debug_tuple("SemaphoreGuard").field(s).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BoundedSemaphore, Semaphore};

    // Python: `Semaphore().release(0)` raises ValueError('n must be one or more').
    #[test]
    #[should_panic(expected = "n must be one or more")]
    fn releasing_zero_is_a_mistake() {
        Semaphore::new(1).release(0);
    }

    #[test]
    #[should_panic(expected = "n must be one or more")]
    fn releasing_zero_of_a_bounded_semaphore_is_a_mistake() {
        let _ = BoundedSemaphore::new(1).release_n(0);
    }
}

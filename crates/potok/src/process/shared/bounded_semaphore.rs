//! [`BoundedSemaphore`]: Python's `multiprocessing.BoundedSemaphore`.

use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{HolderDied, SharedMemoryError};
use super::segment::Kind;
use super::semaphore::{Core, SemaphoreGuard};
use crate::ReleaseError;

/// A process [`Semaphore`](super::Semaphore) that refuses to be released past its initial
/// value: Python's `multiprocessing.BoundedSemaphore`, with the thread
/// [`BoundedSemaphore`](crate::BoundedSemaphore)'s method names. A holder that dies is
/// handled as for [`Semaphore`](super::Semaphore) ([`HolderDied`]).
///
/// # Examples
///
/// ```
/// use potok::process::BoundedSemaphore;
///
/// let slots = BoundedSemaphore::named("slots", 1).unwrap();
/// slots.acquire().unwrap();
/// slots.release().unwrap();
/// assert_eq!(slots.release(), Err(potok::ReleaseError::TooManyReleases));
/// ```
#[derive(Clone)]
pub struct BoundedSemaphore {
    core: Core,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `value` permits (and at most that many), named after its
    /// segment.
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if the segment cannot be made.
    ///
    /// # Panics
    ///
    /// If `value` exceeds `u32::MAX`.
    pub fn new(value: usize) -> Result<BoundedSemaphore, SharedMemoryError> {
        Core::make(Kind::BoundedSemaphore, None, value, true).map(|core| BoundedSemaphore { core })
    }

    /// The same with a name shown in reports in every process.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    pub fn named(
        name: impl Into<String>,
        value: usize,
    ) -> Result<BoundedSemaphore, SharedMemoryError> {
        Core::make(Kind::BoundedSemaphore, Some(name.into()), value, true)
            .map(|core| BoundedSemaphore { core })
    }

    /// The semaphore's name.
    pub fn name(&self) -> &str {
        self.core.name()
    }

    /// The permits free now (Python's `get_value()`).
    pub fn value(&self) -> usize {
        self.core.value()
    }

    /// Takes a permit, waiting while there is none: Python's `acquire()`.
    ///
    /// # Errors
    ///
    /// [`HolderDied`] if a process died holding permits: they were given back, and this call
    /// took one.
    #[track_caller]
    pub fn acquire(&self) -> Result<(), HolderDied> {
        self.core.acquire_until(true, None).map(drop)
    }

    /// Takes a permit if one is free: Python's `acquire(blocking=False)`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    #[must_use = "Ok(false) means not acquired: do not release what was not acquired"]
    pub fn try_acquire(&self) -> Result<bool, HolderDied> {
        self.core.acquire_until(false, None)
    }

    /// Waits at most `timeout` for a permit: Python's `acquire(timeout=t)`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    #[must_use = "Ok(false) means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<bool, HolderDied> {
        self.core
            .acquire_until(true, Instant::now().checked_add(timeout))
    }

    /// Gives a permit back: Python's `release()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::TooManyReleases`] past the initial value (Python's `ValueError`);
    /// nothing changes.
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.core.release(1)
    }

    /// Gives `n` permits back at once.
    ///
    /// # Errors
    ///
    /// As [`release`](Self::release).
    ///
    /// # Panics
    ///
    /// If `n` is 0 (Python: `ValueError`).
    pub fn release_n(&self, n: usize) -> Result<(), ReleaseError> {
        self.core.release(n)
    }

    /// Takes a permit and returns a guard that gives it back when dropped: Python's
    /// `with sem:`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire), with the guard inside.
    #[track_caller]
    pub fn guard(&self) -> Result<SemaphoreGuard<'_>, HolderDied<SemaphoreGuard<'_>>> {
        let guard = || SemaphoreGuard { core: &self.core };
        match self.acquire() {
            Ok(()) => Ok(guard()),
            Err(died) => Err(died.map(|()| guard())),
        }
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("name", &self.name())
            .field("segment", &self.core.segment().name())
            .field("value", &self.value())
            .finish()
    }
}

/// Like Python's repr: `<process BoundedSemaphore 'slots': value=1>`.
impl fmt::Display for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<process BoundedSemaphore '{}': value={}>",
            self.name(),
            self.value()
        )
    }
}

/// Travels as its segment's name; the other side opens the same semaphore.
impl Serialize for BoundedSemaphore {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.core.segment().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BoundedSemaphore {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Core::open(deserializer, Kind::BoundedSemaphore, "BoundedSemaphore")
            .map(|core| BoundedSemaphore { core })
    }
}

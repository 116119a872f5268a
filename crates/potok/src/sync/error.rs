//! Errors of the sync primitives: releasing what is not held.

use std::fmt;

/// Why a `release` did nothing. Python raises `RuntimeError`/`ValueError` for these; potok
/// returns them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReleaseError {
    /// A [`Lock`](crate::Lock) released while not locked (`release unlocked lock`).
    Unlocked,
    /// An [`RLock`](crate::RLock) (or a [`Condition`](crate::Condition)'s lock) released by a
    /// thread that does not hold it (`cannot release un-acquired lock`).
    NotOwner,
    /// A [`BoundedSemaphore`](crate::BoundedSemaphore) released past its initial value
    /// (`Semaphore released too many times`).
    TooManyReleases,
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReleaseError::Unlocked => "release unlocked lock",
            ReleaseError::NotOwner => "cannot release un-acquired lock",
            ReleaseError::TooManyReleases => "Semaphore released too many times",
        })
    }
}

impl std::error::Error for ReleaseError {}

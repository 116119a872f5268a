//! The lock word shared by potok's owned locks (`Lock`, `RLock`, `Mutex`), and how the
//! detector reads the owner from it.
//!
//! ```text
//!  63 ............................. 2   1        0
//! [ owner's ident (0 when unlocked) ][ PARKED ][ LOCKED ]
//! ```
//!
//! The owner is written by the same compare-and-swap that takes the lock, so there is no
//! moment when a lock is held by nobody known; releasing clears owner and LOCKED in one
//! `fetch_and`, keeping PARKED.

/// Set while the lock is held.
pub(crate) const LOCKED: u64 = 1;
/// Set while threads may be parked on the lock (releasing must wake one).
pub(crate) const PARKED: u64 = 2;
const SHIFT: u32 = 2;

/// The word of a lock held by `ident`, without PARKED.
#[inline]
pub(crate) fn held_by(ident: u64) -> u64 {
    (ident << SHIFT) | LOCKED
}

/// Who holds the lock with this word, if anyone.
#[inline]
pub(crate) fn decode(word: u64) -> Option<u64> {
    if word & LOCKED == 0 {
        None
    } else {
        Some(word >> SHIFT)
    }
}

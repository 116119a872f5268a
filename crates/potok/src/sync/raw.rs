//! [`RawLock`]: the lock word of `Lock`, `RLock` and `Mutex`, with the deadlock detector on
//! its blocking path only.
//!
//! # States of the word (see [`owner`](crate::deadlock::owner))
//!
//! ```text
//!                 CAS 0 -> owner|LOCKED (fast path)
//!   unlocked  ──────────────────────────────────▶  locked by owner
//!   (0)       ◀──────────────────────────────────  (owner|LOCKED)
//!                 CAS owner|LOCKED -> 0 (fast path)
//!
//!   A thread that finds it locked spins a little, then sets PARKED and parks on the word's
//!   address (the detector checks the block first). Releasing a word with PARKED goes the slow
//!   way: clear owner and LOCKED (keeping PARKED), wake one parked thread, and clear PARKED if
//!   nobody else is parked. The woken thread competes again (no hand-off: barging is allowed,
//!   as in Python).
//! ```
//!
//! An uncontended acquire is one thread-local read and one compare-and-swap; a release is one
//! load and one compare-and-swap.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::deadlock::owner::{self, LOCKED, PARKED};
use crate::deadlock::park::{self, Owner, Parked, Wait};
use crate::deadlock::{DeadlockError, ResourceKind};
use crate::thread::current_ident_fast;

use super::name::Name;

/// A lock word: who holds it, and whether anyone is parked on it.
#[derive(Debug, Default)]
pub(crate) struct RawLock {
    word: AtomicU64,
}

impl RawLock {
    pub(crate) const fn new() -> Self {
        RawLock {
            word: AtomicU64::new(0),
        }
    }

    fn key(&self) -> usize {
        self as *const RawLock as usize
    }

    /// Takes the lock if it is free.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let me = owner::held_by(current_ident_fast());
        match self
            .word
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => true,
            Err(word) => word & LOCKED == 0 && self.try_lock_parked(me),
        }
    }

    /// Free but with parked threads: take it keeping PARKED.
    fn try_lock_parked(&self, me: u64) -> bool {
        let mut word = self.word.load(Ordering::Relaxed);
        while word & LOCKED == 0 {
            match self.word.compare_exchange_weak(
                word,
                word | me,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(w) => word = w,
            }
        }
        false
    }

    /// Takes the lock, blocking while another thread holds it.
    ///
    /// # Errors
    ///
    /// The deadlock, when blocking would close a cycle or complete a stall.
    #[inline]
    pub(crate) fn lock(&self, kind: ResourceKind, name: &Name) -> Result<(), DeadlockError> {
        let me = owner::held_by(current_ident_fast());
        if self
            .word
            .compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return Ok(());
        }
        self.lock_slow(me, kind, name, None).map(|_| ())
    }

    /// Takes the lock, blocking at most until `deadline`; returns whether it got it. Timed
    /// waits are never reported as deadlocks.
    pub(crate) fn lock_until(&self, kind: ResourceKind, name: &Name, deadline: Instant) -> bool {
        let me = owner::held_by(current_ident_fast());
        if self
            .word
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return true;
        }
        // A timed park never reports a deadlock.
        self.lock_slow(me, kind, name, Some(deadline))
            .unwrap_or(false)
    }

    #[cold]
    fn lock_slow(
        &self,
        me: u64,
        kind: ResourceKind,
        name: &Name,
        deadline: Option<Instant>,
    ) -> Result<bool, DeadlockError> {
        let mut spins = 0u32;
        loop {
            let word = self.word.load(Ordering::Relaxed);
            if word & LOCKED == 0 {
                if self
                    .word
                    .compare_exchange_weak(word, word | me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return Ok(true);
                }
                continue;
            }
            if word & PARKED == 0 {
                if spins < 10 {
                    spin(spins);
                    spins += 1;
                    continue;
                }
                if self
                    .word
                    .compare_exchange_weak(
                        word,
                        word | PARKED,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    )
                    .is_err()
                {
                    continue;
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
            let what = Wait {
                kind,
                name: name.get(kind),
                detail: None,
                resource: self.key(),
                owner: Owner::Word(&self.word),
            };
            let parked = park::park(
                self.key(),
                &what,
                || self.word.load(Ordering::Relaxed) & (LOCKED | PARKED) == LOCKED | PARKED,
                || {},
                |_, was_last| {
                    if was_last {
                        self.word.fetch_and(!PARKED, Ordering::Relaxed);
                    }
                },
                deadline,
            )?;
            match parked {
                Parked::TimedOut => return Ok(false),
                Parked::Unparked(_) | Parked::Invalid | Parked::Recheck => spins = 0,
            }
        }
    }

    /// Releases the lock, whoever holds it; returns whether it was held.
    #[inline]
    pub(crate) fn unlock(&self) -> bool {
        let word = self.word.load(Ordering::Relaxed);
        if word & PARKED == 0
            && self
                .word
                .compare_exchange_weak(word, 0, Ordering::Release, Ordering::Relaxed)
                .is_ok()
        {
            return word & LOCKED != 0;
        }
        self.unlock_slow()
    }

    #[cold]
    fn unlock_slow(&self) -> bool {
        let before = self.word.fetch_and(PARKED, Ordering::Release);
        if before & PARKED != 0 {
            park::unpark_one(self.key(), |result| {
                if !result.have_more_threads {
                    self.word.fetch_and(!PARKED, Ordering::Relaxed);
                }
                park::TOKEN_NORMAL
            });
        }
        before & LOCKED != 0
    }

    /// Whether some thread holds the lock.
    pub(crate) fn is_locked(&self) -> bool {
        self.word.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// The ident of the thread holding the lock, if any.
    pub(crate) fn owner(&self) -> Option<u64> {
        owner::decode(self.word.load(Ordering::Relaxed))
    }
}

/// Backs off a little before parking (as parking_lot does): a short critical section is
/// often over before a park would have been.
fn spin(round: u32) {
    if round < 3 {
        for _ in 0..(2u32 << round) {
            std::hint::spin_loop();
        }
    } else {
        std::thread::yield_now();
    }
}

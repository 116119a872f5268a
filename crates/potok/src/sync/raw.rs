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
//! load and one compare-and-swap. With no instrumentation on (one load of the `instrument`
//! word, made by the primitive) they are [`LockWord::lock_fast`] and [`LockWord::unlock_fast`],
//! inlined into the caller; the rest is the full path, out of line.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::deadlock::owner::{self, LOCKED, PARKED};
use crate::deadlock::park::{self, Owner, Parked, Wait};
use crate::deadlock::{DeadlockError, ResourceKind};
use crate::thread::current_ident_fast;

use super::name::Name;

/// What the lock word's protocol needs from below: an atomic `u64`, the caller's ident, and
/// parking by address. [`Os`] is the real one (deadlock-aware parking through
/// `parking_lot_core`); the loom model in this file's tests plugs in loom's atomics and a
/// parking lot made of loom primitives, to check the protocol over every interleaving.
pub(crate) trait Platform {
    /// The word's atomic type.
    type Word: Send + Sync;
    /// Spins before parking (0 under a model checker, where a spin is only more states).
    const SPINS: u32;

    fn load(word: &Self::Word) -> u64;
    fn compare_exchange(
        word: &Self::Word,
        current: u64,
        new: u64,
        weak: bool,
        success: Ordering,
    ) -> Result<u64, u64>;
    fn fetch_and(word: &Self::Word, mask: u64, order: Ordering) -> u64;
    fn current_ident() -> u64;
    /// Parks on `key` (see [`park::park`]); `validate` and `timed_out` run under the queue's
    /// lock.
    fn park(
        key: usize,
        word: &Self::Word,
        kind: ResourceKind,
        name: &Name,
        validate: impl FnOnce() -> bool,
        timed_out: impl FnOnce(bool),
        deadline: Option<Instant>,
    ) -> Result<Parked, DeadlockError>;
    /// Wakes the first thread parked on `key`; `then(have_more_threads)` runs under the
    /// queue's lock, before the woken thread runs.
    fn unpark_one(key: usize, then: impl FnOnce(bool));
}

/// The real platform: std atomics, the registry's ident, and the deadlock-aware park.
#[derive(Debug)]
pub(crate) enum Os {}

impl Platform for Os {
    type Word = AtomicU64;
    const SPINS: u32 = 10;

    #[inline]
    fn load(word: &AtomicU64) -> u64 {
        word.load(Ordering::Relaxed)
    }

    #[inline]
    fn compare_exchange(
        word: &AtomicU64,
        current: u64,
        new: u64,
        weak: bool,
        success: Ordering,
    ) -> Result<u64, u64> {
        if weak {
            word.compare_exchange_weak(current, new, success, Ordering::Relaxed)
        } else {
            word.compare_exchange(current, new, success, Ordering::Relaxed)
        }
    }

    #[inline]
    fn fetch_and(word: &AtomicU64, mask: u64, order: Ordering) -> u64 {
        word.fetch_and(mask, order)
    }

    #[inline]
    fn current_ident() -> u64 {
        current_ident_fast()
    }

    fn park(
        key: usize,
        word: &AtomicU64,
        kind: ResourceKind,
        name: &Name,
        validate: impl FnOnce() -> bool,
        timed_out: impl FnOnce(bool),
        deadline: Option<Instant>,
    ) -> Result<Parked, DeadlockError> {
        let what = Wait {
            kind,
            name: name.get(kind),
            detail: None,
            resource: key,
            owner: Owner::Word(word),
        };
        park::park(
            key,
            &what,
            validate,
            || {},
            |_, was_last| timed_out(was_last),
            deadline,
        )
    }

    fn unpark_one(key: usize, then: impl FnOnce(bool)) {
        park::unpark_one(key, |result| {
            then(result.have_more_threads);
            park::TOKEN_NORMAL
        });
    }
}

/// A lock word on the real platform: what `Lock`, `RLock` and `Mutex` hold.
pub(crate) type RawLock = LockWord<Os>;

/// A lock word: who holds it, and whether anyone is parked on it.
pub(crate) struct LockWord<P: Platform> {
    word: P::Word,
}

impl LockWord<Os> {
    pub(crate) const fn new() -> Self {
        LockWord {
            word: AtomicU64::new(0),
        }
    }
}

impl Default for LockWord<Os> {
    fn default() -> Self {
        LockWord::new()
    }
}

impl std::fmt::Debug for LockWord<Os> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawLock")
            .field("word", &self.word.load(Ordering::Relaxed))
            .finish()
    }
}

/// A lock dropped while held ends its hold in the trace.
impl<P: Platform> Drop for LockWord<P> {
    fn drop(&mut self) {
        if crate::trace::on() && P::load(&self.word) & LOCKED != 0 {
            crate::trace::released(self.key());
        }
    }
}

impl<P: Platform> LockWord<P> {
    fn key(&self) -> usize {
        self as *const Self as usize
    }

    /// The uncontended acquire when no instrumentation is on (the caller checked
    /// `instrument::any`): one compare-and-swap, nothing recorded. False when the lock was
    /// not free (or parked on): the caller then takes its full path.
    #[inline(always)]
    pub(crate) fn lock_fast(&self) -> bool {
        let me = owner::held_by(P::current_ident());
        P::compare_exchange(&self.word, 0, me, false, Ordering::Acquire).is_ok()
    }

    /// The uncontended release by the thread that took the lock, when no instrumentation is
    /// on: one compare-and-swap from "held by me, nobody parked" (as parking_lot's release
    /// from "locked"). False when it must go the full way ([`unlock`](Self::unlock)): someone
    /// is parked, another thread holds it (a `Lock` released for its taker), or nobody does.
    #[inline(always)]
    pub(crate) fn unlock_fast(&self) -> bool {
        let me = owner::held_by(P::current_ident());
        P::compare_exchange(&self.word, me, 0, false, Ordering::Release).is_ok()
    }

    /// Takes the lock if it is free.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let me = owner::held_by(P::current_ident());
        match P::compare_exchange(&self.word, 0, me, false, Ordering::Acquire) {
            Ok(_) => true,
            Err(word) => word & LOCKED == 0 && self.try_lock_parked(me),
        }
    }

    /// Free but with parked threads: take it keeping PARKED.
    fn try_lock_parked(&self, me: u64) -> bool {
        let mut word = P::load(&self.word);
        while word & LOCKED == 0 {
            match P::compare_exchange(&self.word, word, word | me, true, Ordering::Acquire) {
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
        let me = owner::held_by(P::current_ident());
        if P::compare_exchange(&self.word, 0, me, true, Ordering::Acquire).is_err() {
            self.lock_slow(me, kind, name, None)?;
        }
        crate::trace::held(kind, self.key(), || name.get(kind));
        Ok(())
    }

    /// [`try_lock`](Self::try_lock) for a primitive of `kind` named `name` (for the trace).
    #[inline]
    pub(crate) fn try_lock_as(&self, kind: ResourceKind, name: &Name) -> bool {
        let got = self.try_lock();
        if got {
            crate::trace::held(kind, self.key(), || name.get(kind));
        }
        got
    }

    /// Takes the lock, blocking at most until `deadline`; returns whether it got it. Timed
    /// waits are never reported as deadlocks.
    pub(crate) fn lock_until(&self, kind: ResourceKind, name: &Name, deadline: Instant) -> bool {
        let me = owner::held_by(P::current_ident());
        let got = P::compare_exchange(&self.word, 0, me, false, Ordering::Acquire).is_ok()
            // A timed park never reports a deadlock.
            || self
                .lock_slow(me, kind, name, Some(deadline))
                .unwrap_or(false);
        if got {
            crate::trace::held(kind, self.key(), || name.get(kind));
        }
        got
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
            let word = P::load(&self.word);
            if word & LOCKED == 0 {
                if P::compare_exchange(&self.word, word, word | me, true, Ordering::Acquire).is_ok()
                {
                    return Ok(true);
                }
                continue;
            }
            if word & PARKED == 0 {
                if spins < P::SPINS {
                    spin(spins);
                    spins += 1;
                    continue;
                }
                if P::compare_exchange(&self.word, word, word | PARKED, true, Ordering::Relaxed)
                    .is_err()
                {
                    continue;
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
            let parked = P::park(
                self.key(),
                &self.word,
                kind,
                name,
                || P::load(&self.word) & (LOCKED | PARKED) == LOCKED | PARKED,
                |was_last| {
                    if was_last {
                        P::fetch_and(&self.word, !PARKED, Ordering::Relaxed);
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
        crate::trace::released(self.key());
        let word = P::load(&self.word);
        if word & PARKED == 0
            && P::compare_exchange(&self.word, word, 0, true, Ordering::Release).is_ok()
        {
            return word & LOCKED != 0;
        }
        self.unlock_slow()
    }

    #[cold]
    fn unlock_slow(&self) -> bool {
        let before = P::fetch_and(&self.word, PARKED, Ordering::Release);
        if before & PARKED != 0 {
            P::unpark_one(self.key(), |have_more_threads| {
                if !have_more_threads {
                    P::fetch_and(&self.word, !PARKED, Ordering::Relaxed);
                }
            });
        }
        before & LOCKED != 0
    }

    /// Whether some thread holds the lock.
    #[inline]
    pub(crate) fn is_locked(&self) -> bool {
        P::load(&self.word) & LOCKED != 0
    }

    /// The ident of the thread holding the lock, if any.
    #[inline]
    pub(crate) fn owner(&self) -> Option<u64> {
        owner::decode(P::load(&self.word))
    }
}

/// Backs off a little before parking: a short critical section is often over before a park
/// would have been. Round `r` spins `2 << min(r, 4)` times, a few microseconds over all
/// [`Platform::SPINS`] rounds.
///
/// It never yields (parking_lot yields in its later rounds; std's futex mutex does not). On a
/// crowded machine each `yield_now` hands the core to another runnable process for a whole time
/// slice: a `Lock` used as a signal between two threads, released by the other one, then waits
/// out several slices per hand-off (a 20,000-round ping-pong took 34-84 s beside three busy
/// loops with yields, about 3 s without, and 0.2 s on a quiet machine either way).
fn spin(round: u32) {
    for _ in 0..(2u32 << round.min(4)) {
        std::hint::spin_loop();
    }
}

/// loom models of the lock word's protocol: mutual exclusion (loom's `UnsafeCell` checks the
/// Acquire/Release pairs), and no lost wake-up between a thread parking and the holder
/// releasing (loom fails a model in which every thread ends up parked).
#[cfg(test)]
mod loom_model {
    use std::sync::atomic::Ordering;
    use std::time::Instant;

    use loom::cell::UnsafeCell;
    use loom::sync::atomic::{AtomicBool, AtomicU64};
    use loom::sync::{Arc, Mutex};

    use super::{LockWord, Platform};
    use crate::deadlock::park::{Parked, TOKEN_NORMAL};
    use crate::deadlock::{DeadlockError, ResourceKind};
    use crate::sync::name::Name;

    /// A parked thread in the model's parking lot.
    struct Waiter {
        key: usize,
        woken: Arc<AtomicBool>,
        thread: loom::thread::Thread,
    }

    loom::lazy_static! {
        /// The model's parking lot: one queue for every key, FIFO, like parking_lot_core's.
        static ref QUEUE: Mutex<Vec<Waiter>> = Mutex::new(Vec::new());
    }

    /// loom's atomics and a parking lot made of loom's mutex and thread parking, with
    /// `parking_lot_core::park`'s contract: `validate` runs under the queue's lock, and the
    /// thread is queued in the same critical section.
    enum Loom {}

    impl Platform for Loom {
        type Word = AtomicU64;
        const SPINS: u32 = 0;

        fn load(word: &AtomicU64) -> u64 {
            word.load(Ordering::Relaxed)
        }

        fn compare_exchange(
            word: &AtomicU64,
            current: u64,
            new: u64,
            weak: bool,
            success: Ordering,
        ) -> Result<u64, u64> {
            if weak {
                word.compare_exchange_weak(current, new, success, Ordering::Relaxed)
            } else {
                word.compare_exchange(current, new, success, Ordering::Relaxed)
            }
        }

        fn fetch_and(word: &AtomicU64, mask: u64, order: Ordering) -> u64 {
            word.fetch_and(mask, order)
        }

        fn current_ident() -> u64 {
            1
        }

        fn park(
            key: usize,
            _word: &AtomicU64,
            _kind: ResourceKind,
            _name: &Name,
            validate: impl FnOnce() -> bool,
            _timed_out: impl FnOnce(bool),
            deadline: Option<Instant>,
        ) -> Result<Parked, DeadlockError> {
            assert!(deadline.is_none(), "the models use untimed waits");
            let woken = Arc::new(AtomicBool::new(false));
            {
                let mut queue = QUEUE.lock().unwrap();
                if !validate() {
                    return Ok(Parked::Invalid);
                }
                queue.push(Waiter {
                    key,
                    woken: Arc::clone(&woken),
                    thread: loom::thread::current(),
                });
            }
            while !woken.load(Ordering::Acquire) {
                loom::thread::park();
            }
            Ok(Parked::Unparked(TOKEN_NORMAL))
        }

        fn unpark_one(key: usize, then: impl FnOnce(bool)) {
            let mut queue = QUEUE.lock().unwrap();
            let woken = queue
                .iter()
                .position(|w| w.key == key)
                .map(|i| queue.remove(i));
            then(woken.is_some() && queue.iter().any(|w| w.key == key));
            if let Some(w) = woken {
                w.woken.store(true, Ordering::Release);
                w.thread.unpark();
            }
        }
    }

    fn new_word() -> LockWord<Loom> {
        LockWord {
            word: AtomicU64::new(0),
        }
    }

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(f);
    }

    #[test]
    fn two_threads_exclude_each_other_and_both_finish() {
        model(|| {
            let lock = Arc::new(new_word());
            let count = Arc::new(UnsafeCell::new(0_u32));
            let name = Name::new();
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (lock, count) = (Arc::clone(&lock), Arc::clone(&count));
                    loom::thread::spawn(move || {
                        let name = Name::new();
                        lock.lock(ResourceKind::Lock, &name).unwrap();
                        // SAFETY: the lock is held; loom checks that no other access races.
                        count.with_mut(|c| unsafe { *c += 1 });
                        assert!(lock.unlock());
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            lock.lock(ResourceKind::Lock, &name).unwrap();
            // SAFETY: as above.
            assert_eq!(count.with(|c| unsafe { *c }), 2);
            assert!(lock.unlock());
            assert!(!lock.is_locked());
        });
    }

    #[test]
    fn lock_released_by_another_thread_wakes_the_waiter() {
        // Python's Lock as a signal: the waiter blocks on a Lock held by the main thread,
        // which releases it; the waiter must wake whatever the interleaving.
        model(|| {
            let lock = Arc::new(new_word());
            let name = Name::new();
            lock.lock(ResourceKind::Lock, &name).unwrap();
            let waiter = {
                let lock = Arc::clone(&lock);
                loom::thread::spawn(move || {
                    lock.lock(ResourceKind::Lock, &Name::new()).unwrap();
                    assert!(lock.unlock());
                })
            };
            assert!(lock.unlock());
            waiter.join().unwrap();
            assert!(!lock.is_locked());
            assert!(!lock.unlock(), "releasing an unlocked lock reports it");
        });
    }

    #[test]
    fn two_parked_waiters_are_both_woken() {
        // PARKED must stay set while a second thread is parked after the first is woken.
        model(|| {
            let lock = Arc::new(new_word());
            lock.lock(ResourceKind::Lock, &Name::new()).unwrap();
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let lock = Arc::clone(&lock);
                    loom::thread::spawn(move || {
                        lock.lock(ResourceKind::Lock, &Name::new()).unwrap();
                        assert!(lock.unlock());
                    })
                })
                .collect();
            assert!(lock.unlock());
            for w in waiters {
                w.join().unwrap();
            }
            assert!(!lock.is_locked());
        });
    }

    #[test]
    fn try_lock_never_takes_a_held_lock() {
        model(|| {
            let lock = Arc::new(new_word());
            let other = Arc::clone(&lock);
            let t = loom::thread::spawn(move || {
                if other.try_lock() {
                    assert!(other.unlock());
                }
            });
            lock.lock(ResourceKind::Lock, &Name::new()).unwrap();
            assert!(!lock.try_lock());
            assert!(lock.unlock());
            t.join().unwrap();
        });
    }
}

//! [`WaitList`]: where a queue's threads sleep, and the only place they do.
//!
//! Every blocking wait of every queue (a getter on an empty queue, a putter on a full one, a
//! joiner on unfinished tasks) goes through [`WaitList::wait_until`]. It parks through the
//! deadlock detector ([`crate::deadlock::park`]), so an untimed wait that can never end (every
//! potok thread blocked) is reported, naming the queue and saying `empty`, `full` or
//! `unfinished tasks`, and fails with [`DeadlockError`](crate::DeadlockError) by policy.
//!
//! # The protocol (no lost wake-ups, no system call when nobody sleeps)
//!
//! ```text
//!  sleeper                                   waker
//!  ───────                                   ─────
//!  waiters += 1                  (SeqCst)    change the state (push, pop, task_done...)
//!  park, if !ready()  (under the bucket      if waiters > 0:                (SeqCst load)
//!    lock of the parking lot)                    unpark one (bucket lock);
//!  if not woken by a notify: waiters -= 1        if it woke one: waiters -= 1 (same lock)
//! ```
//!
//! This is Dekker's handshake: either the waker sees `waiters > 0`, or the sleeper's `ready()`
//! sees the new state. It holds because both sides' state accesses are sequentially consistent
//! too, which is the contract of [`Store`](super::store::Store) and of the queue's counters (a
//! successful push or pop of potok's `Ring` (`ring.rs`) or `List` (`list.rs`) is a
//! `SeqCst` compare-exchange and their `len` reads `SeqCst`; the `Vec` and heap stores publish their length in a `SeqCst`
//! atomic). `ready()` runs under the parking lot's bucket lock, which the waker's unpark takes
//! too, so a waker that saw `waiters > 0` either finds the sleeper queued or its state change
//! is what `ready()` reads.
//!
//! The waker, not the sleeper, takes a woken thread off `waiters`, under that same lock, so
//! the count drops before the woken thread runs. That matters on a busy queue: a woken
//! consumer may need tens of microseconds to get a CPU, and in that window every further put
//! used to see `waiters > 0` and pay a lock and an unpark that found nobody (the first cause of
//! the 1 producer / 1 consumer gap to crossbeam-channel, whose wakers also dequeue the thread
//! they wake). A thread that wakes any other way (timeout, the detector's re-check, `ready()`
//! true before sleeping) takes itself off.
//!
//! A waker that sees `waiters == 0` pays one plain load: no fence, no lock, no system call (the
//! trap that held a line-for-line port of CPython's `queue.py` on `std::sync` to a fraction of
//! crossbeam's speed). An explicit `fence(SeqCst)` on the waker's side measured at a third of
//! the 2×2 bounded throughput (benches/queue.rs), which is why the handshake leans on the
//! stores' own `SeqCst` operations instead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crossbeam_utils::CachePadded;

use crate::deadlock::park::{self, Parked, Wait, TOKEN_NORMAL};

/// Threads waiting for one condition of one queue (`not_empty`, `not_full` or `all_tasks_done`
/// in CPython's `queue.py`). Its address is the key its threads park on.
pub(crate) struct WaitList {
    /// Threads registered to sleep here and not yet woken by a notify. Read by every waker,
    /// written by sleepers and by wakers that woke one: on its own cache line, so the fast
    /// path of the other side stays local while nobody sleeps.
    waiters: CachePadded<AtomicUsize>,
}

impl WaitList {
    pub(crate) fn new() -> Self {
        WaitList {
            waiters: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    fn key(&self) -> usize {
        self as *const WaitList as usize
    }

    /// Sleeps until woken or until `deadline` (`None`: no deadline), unless `ready()` already
    /// holds once this thread is registered. Wakes up spuriously at times: the caller re-checks
    /// its condition in a loop.
    ///
    /// `ready` runs under the parking lot's bucket lock: it may only read atomics (no lock, no
    /// panic).
    ///
    /// # Panics
    ///
    /// Under the default [`Policy`](crate::deadlock::Policy), an untimed wait that would
    /// complete a stall panics with the [`DeadlockError`](crate::DeadlockError) (after the
    /// report is printed), via [`crate::deadlock::fail`].
    #[track_caller]
    pub(crate) fn wait_until(
        &self,
        ready: impl FnOnce() -> bool,
        what: &Wait<'_>,
        deadline: Option<Instant>,
    ) {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let parked = park::park(self.key(), what, || !ready(), || {}, |_, _| {}, deadline);
        // Only this list's notifies wake with TOKEN_NORMAL (the detector's re-check has its own
        // token), and they took this thread off the count already.
        if !matches!(parked, Ok(Parked::Unparked(TOKEN_NORMAL))) {
            self.waiters.fetch_sub(1, Ordering::SeqCst);
        }
        if let Err(err) = parked {
            crate::deadlock::fail(err);
        }
    }

    /// Whether a thread waits here (a `SeqCst` read: the waker's half of the handshake).
    #[inline]
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::SeqCst) > 0
    }

    /// Wakes one sleeper, if there is one. Call after the state change that may make it ready.
    #[inline]
    pub(crate) fn notify_one(&self) {
        if self.has_waiters() {
            self.wake_one();
        }
    }

    #[cold]
    fn wake_one(&self) {
        park::unpark_one(self.key(), |result| {
            if result.unparked_threads > 0 {
                self.waiters.fetch_sub(1, Ordering::SeqCst);
            }
            TOKEN_NORMAL
        });
    }

    /// Wakes every sleeper. Call after the state change that may make them ready.
    pub(crate) fn notify_all(&self) {
        if self.has_waiters() {
            let woken = park::unpark_all(self.key());
            // Each woken thread left the count to its waker; it may count itself in again
            // before this runs, which only makes a later notify look once more.
            self.waiters.fetch_sub(woken, Ordering::SeqCst);
        }
    }
}

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
//!  under the bucket lock of the parking      change the state (push, pop, task_done...)
//!  lot: waiters += 1, clear ABSENT (SeqCst); if waiters > 0 and not ABSENT:   (SeqCst load)
//!    park if !ready(), else waiters -= 1         unpark one (bucket lock);
//!  if woken but not by a notify:                 woke one: waiters -= 1 (same lock)
//!    waiters -= 1                                woke nobody: set ABSENT (same lock)
//! ```
//!
//! This is Dekker's handshake: either the waker sees the sleeper counted, or the sleeper's
//! `ready()` sees the new state. It holds because both sides' state accesses are sequentially
//! consistent too, which is the contract of [`Store`](super::store::Store) and of the queue's
//! counters (a successful push or pop of potok's `Ring` (`ring.rs`) or `List` (`list.rs`) is
//! a `SeqCst` compare-exchange and their `len` reads `SeqCst`; the `Vec` and heap stores
//! publish their length in a `SeqCst` atomic). The sleeper counts itself in and runs `ready()`
//! under the parking lot's bucket lock, which the waker's unpark takes too, so a waker that
//! saw the sleeper counted finds it queued (or sees that `ready()` held and it left).
//!
//! The waker, not the sleeper, takes a woken thread off `waiters`, under that same lock, so
//! the count drops before the woken thread runs. That matters on a busy queue: a woken
//! consumer may need tens of microseconds to get a CPU, and in that window every further put
//! used to see `waiters > 0` and pay a lock and an unpark that found nobody (the first cause of
//! the 1 producer / 1 consumer gap to crossbeam-channel, whose wakers also dequeue the thread
//! they wake). A thread that wakes any other way (timeout, the detector's re-check) takes itself
//! off once it runs again, which on a loaded machine can be milliseconds later; the first notify
//! that finds nobody queued meanwhile sets `ABSENT`, so the next ones stop at the load, until a
//! thread queues again (clearing it under the lock). Counting in before the bucket lock, as this
//! list did until 2026-12-01, left the same kind of window before every sleep: a sleeper
//! preempted on its way to the parking lot had every put of that while (1,024-11,000 of them in
//! one 100,000-item run of the benchmarks, loaded) take the bucket lock for nobody; counted in
//! under the lock, and with `ABSENT`, such notifies fell to 0-3 per run in the same minutes.
//!
//! A waker that sees `waiters == 0` pays one plain load: no fence, no lock, no system call (the
//! trap that held a line-for-line port of CPython's `queue.py` on `std::sync` to a fraction of
//! crossbeam's speed). An explicit `fence(SeqCst)` on the waker's side measured at a third of
//! the 2×2 bounded throughput (benches/queue.rs), which is why the handshake leans on the
//! stores' own `SeqCst` operations instead.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crossbeam_utils::CachePadded;

use crate::deadlock::park::{self, Parked, Wait, TOKEN_NORMAL};

/// Threads waiting for one condition of one queue (`not_empty`, `not_full` or `all_tasks_done`
/// in CPython's `queue.py`). Its address is the key its threads park on.
pub(crate) struct WaitList {
    /// `ONE` times the threads registered to sleep here and not yet woken by a notify, plus
    /// [`ABSENT`] while none of them is in the parking lot's queue. Read by every waker,
    /// written by sleepers and by wakers that woke one: on its own cache line, so the fast
    /// path of the other side stays local while nobody sleeps.
    waiters: CachePadded<AtomicUsize>,
}

/// One registered thread in [`WaitList::waiters`].
const ONE: usize = 2;
/// In [`WaitList::waiters`]: a notify found none of the counted threads queued. They were
/// woken some other way (the deadlock detector's re-check, a timeout) and take themselves
/// off the count once they run again, which under load can be milliseconds later; until
/// then, or until a thread queues here again, a notify has nobody to wake and skips the
/// parking lot (without this, every put in that while paid a lookup under the bucket lock:
/// up to 38,000 of them in one 100,000-item run of the 2 × 2 benchmark).
const ABSENT: usize = 1;

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
        let registered = Cell::new(false);
        // Under the bucket lock, so a notify that reads the count finds this thread queued
        // (or sees it gone), never on its way there.
        let validate = || {
            let _ = self
                .waiters
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                    Some((w + ONE) & !ABSENT)
                });
            if ready() {
                self.waiters.fetch_sub(ONE, Ordering::SeqCst);
                return false;
            }
            registered.set(true);
            true
        };
        let parked = park::park(self.key(), what, validate, || {}, |_, _| {}, deadline);
        // Only this list's notifies wake with TOKEN_NORMAL (the detector's re-check has its own
        // token), and they took this thread off the count already.
        if registered.get() && !matches!(parked, Ok(Parked::Unparked(TOKEN_NORMAL))) {
            self.waiters.fetch_sub(ONE, Ordering::SeqCst);
        }
        if let Err(err) = parked {
            crate::deadlock::fail(err);
        }
    }

    /// Whether a thread waits here (a `SeqCst` read: the waker's half of the handshake).
    #[inline]
    pub(crate) fn has_waiters(&self) -> bool {
        let waiters = self.waiters.load(Ordering::SeqCst);
        waiters >= ONE && waiters & ABSENT == 0
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
                self.waiters.fetch_sub(ONE, Ordering::SeqCst);
            } else {
                self.waiters.fetch_or(ABSENT, Ordering::SeqCst);
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
            self.waiters.fetch_sub(woken * ONE, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use super::{WaitList, ABSENT, ONE};
    use crate::deadlock::park::{Owner, Wait};
    use crate::deadlock::ResourceKind;

    fn what() -> Wait<'static> {
        Wait {
            kind: ResourceKind::Queue,
            name: "test",
            detail: Some("empty"),
            resource: 0,
            owner: Owner::Nobody,
        }
    }

    #[test]
    fn a_notify_that_finds_nobody_queued_stops_looking_until_a_thread_queues_again() {
        let list = WaitList::new();
        // A thread counted in but off the parking lot's queue (woken by a re-check, say).
        list.waiters.store(ONE, Ordering::SeqCst);
        assert!(list.has_waiters());
        list.notify_one();
        assert_eq!(list.waiters.load(Ordering::SeqCst), ONE | ABSENT);
        assert!(!list.has_waiters(), "the next notifies stop at the load");

        // A thread that queues now must still be woken by the next notify.
        let ready = AtomicBool::new(false);
        let deadline = Instant::now() + Duration::from_secs(20);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                while !ready.load(Ordering::SeqCst) && Instant::now() < deadline {
                    list.wait_until(|| ready.load(Ordering::SeqCst), &what(), Some(deadline));
                }
                Instant::now() < deadline
            });
            while !list.has_waiters() {
                assert!(Instant::now() < deadline, "the waiter never queued");
                std::thread::yield_now();
            }
            ready.store(true, Ordering::SeqCst);
            list.notify_one();
            assert!(waiter.join().unwrap(), "the queued thread was not woken");
        });
        assert_eq!(
            list.waiters.load(Ordering::SeqCst),
            ONE,
            "the waker took the woken thread off; the absent one is still counted"
        );
    }
}

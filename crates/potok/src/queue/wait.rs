//! [`WaitList`]: where a queue's threads sleep, and the only place they do.
//!
//! Every blocking wait of every queue (a getter on an empty queue, a putter on a full one, a
//! joiner on unfinished tasks) goes through [`WaitList::wait_until`]. It sleeps on the deadlock
//! detector's wait list ([`crate::deadlock::WaitList`]), so an untimed wait that can never end
//! (every potok thread blocked) is reported, naming the queue and saying `empty`, `full` or
//! `unfinished tasks`, and fails with [`DeadlockError`](crate::DeadlockError) by policy.
//!
//! # The protocol (no lost wake-ups, no system call when nobody sleeps)
//!
//! ```text
//!  sleeper                                   waker
//!  ───────                                   ─────
//!  lock                                      change the state (push, pop, task_done...)
//!  waiters += 1               (SeqCst)       if waiters > 0:               (SeqCst load)
//!  if !ready(): park, unlocking                  lock, unlock   (the sleeper is parked now)
//!  waiters -= 1                                  notify
//!  unlock
//! ```
//!
//! This is Dekker's handshake: either the waker sees `waiters > 0`, or the sleeper's `ready()`
//! sees the new state. It holds because both sides' state accesses are sequentially consistent
//! too, which is the contract of [`Store`](super::store::Store) and of the queue's counters: a
//! successful crossbeam `ArrayQueue`/`SegQueue` push or pop is a `SeqCst` compare-exchange and
//! their `len` reads `SeqCst`; the `Vec` and heap stores are read and written under one mutex,
//! which `ready()` takes too. The waker's lock/unlock pair waits out a sleeper that is between
//! its check and its park, so the notification cannot slip in between. (The queue's state is
//! not kept under that mutex, unlike the detector's wait list's general contract: the mutex
//! only serialises "check, then park" against "lock, unlock, then notify", which is the part
//! of the contract the handshake needs.)
//!
//! A waker that sees `waiters == 0` pays one plain load: no fence, no lock, no system call (the
//! trap that held a line-for-line port of CPython's `queue.py` on `std::sync` to a fraction of
//! crossbeam's speed). An explicit `fence(SeqCst)` on the waker's side measured at a third of
//! the 2×2 bounded throughput (benches/queue.rs), which is why the handshake leans on the
//! stores' own `SeqCst` operations instead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use crate::deadlock::park::Wait;

/// Threads waiting for one condition of one queue (`not_empty`, `not_full` or `all_tasks_done`
/// in CPython's `queue.py`).
pub(crate) struct WaitList {
    /// How many threads are between "registered" and "done waiting". Read by every waker, written
    /// only by sleepers: on its own cache line, so the fast path of the other side stays local.
    waiters: CachePadded<AtomicUsize>,
    lock: Mutex<()>,
    sleepers: crate::deadlock::WaitList,
}

impl WaitList {
    pub(crate) fn new() -> Self {
        WaitList {
            waiters: CachePadded::new(AtomicUsize::new(0)),
            lock: Mutex::new(()),
            sleepers: crate::deadlock::WaitList::new(),
        }
    }

    /// Sleeps until woken or until `deadline` (`None`: no deadline), unless `ready()` already
    /// holds once this thread is registered. Wakes up spuriously at times: the caller re-checks
    /// its condition in a loop.
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
        let guard = self.lock.lock();
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let result = if ready() {
            Ok(())
        } else {
            let (guard, result) = self.sleepers.wait(guard, what, deadline);
            drop(guard);
            result.map(drop)
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        if let Err(err) = result {
            crate::deadlock::fail(err);
        }
    }

    /// Whether a thread waits here (a `SeqCst` read: the waker's half of the handshake).
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::SeqCst) > 0
    }

    /// Wakes one sleeper, if there is one. Call after the state change that may make it ready.
    pub(crate) fn notify_one(&self) {
        if self.has_waiters() {
            drop(self.lock.lock());
            self.sleepers.notify_one();
        }
    }

    /// Wakes every sleeper. Call after the state change that may make them ready.
    pub(crate) fn notify_all(&self) {
        if self.has_waiters() {
            drop(self.lock.lock());
            self.sleepers.notify_all();
        }
    }
}

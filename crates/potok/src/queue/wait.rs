//! [`WaitList`]: where a queue's threads sleep, and the only place they do.
//!
//! Every blocking wait of every queue (a getter on an empty queue, a putter on a full one, a
//! joiner on unfinished tasks) goes through [`WaitList::wait_until`], so stall detection and
//! tracing hook in at one place.
//!
//! # The protocol (no lost wake-ups, no system call when nobody sleeps)
//!
//! ```text
//!  sleeper                                   waker
//!  ───────                                   ─────
//!  lock                                      change the state (push, pop, task_done...)
//!  waiters += 1               (SeqCst)       if waiters > 0:               (SeqCst load)
//!  if !ready(): wait on the condvar              lock, unlock   (the sleeper is parked now)
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
//! its check and its park, so the notification cannot slip in between.
//!
//! A waker that sees `waiters == 0` pays one plain load: no fence, no lock, no system call (the
//! trap that held a line-for-line port of CPython's `queue.py` on `std::sync` to a fraction of
//! crossbeam's speed). An explicit `fence(SeqCst)` on the waker's side measured at a third of
//! the 2×2 bounded throughput (benches/queue.rs), which is why the handshake leans on the
//! stores' own `SeqCst` operations instead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crossbeam_utils::CachePadded;
use parking_lot::{Condvar, Mutex};

/// Threads waiting for one condition of one queue (`not_empty`, `not_full` or `all_tasks_done`
/// in CPython's `queue.py`).
pub(crate) struct WaitList {
    /// How many threads are between "registered" and "done waiting". Read by every waker, written
    /// only by sleepers: on its own cache line, so the fast path of the other side stays local.
    waiters: CachePadded<AtomicUsize>,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl WaitList {
    pub(crate) fn new() -> Self {
        WaitList {
            waiters: CachePadded::new(AtomicUsize::new(0)),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Sleeps until woken or until `deadline` (`None`: no deadline), unless `ready()` already
    /// holds once this thread is registered. Wakes up spuriously at times: the caller re-checks
    /// its condition in a loop.
    pub(crate) fn wait_until(&self, ready: impl FnOnce() -> bool, deadline: Option<Instant>) {
        let mut guard = self.lock.lock();
        self.waiters.fetch_add(1, Ordering::SeqCst);
        if !ready() {
            match deadline {
                None => self.condvar.wait(&mut guard),
                Some(deadline) => {
                    self.condvar.wait_until(&mut guard, deadline);
                }
            }
        }
        self.waiters.fetch_sub(1, Ordering::Relaxed);
    }

    /// Wakes one sleeper, if there is one. Call after the state change that may make it ready.
    pub(crate) fn notify_one(&self) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            drop(self.lock.lock());
            self.condvar.notify_one();
        }
    }

    /// Wakes every sleeper. Call after the state change that may make them ready.
    pub(crate) fn notify_all(&self) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            drop(self.lock.lock());
            self.condvar.notify_all();
        }
    }
}

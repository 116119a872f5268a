//! [`Collector`]: where finishing futures report, for `wait` and `as_completed`.
//!
//! Python's `concurrent.futures` installs one waiter object on every future it waits for; a
//! future that finishes appends itself to the waiter's list and wakes it. The same here: a
//! collector is registered on each pending future (under that future's lock), and the future's
//! completion pushes its index. Waiting costs nothing per pending future (no polling): the
//! waiter sleeps on the collector's wait list until a push wakes it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::spin::spin_then_yield;
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};

/// What the collector has heard so far.
#[derive(Debug, Default)]
pub(crate) struct Heard {
    /// Indices of futures that finished, in the order they finished, not yet taken.
    pub(crate) ready: VecDeque<usize>,
    /// How many finished futures failed with something other than a cancellation.
    pub(crate) failed: usize,
    /// How many finished, in all.
    pub(crate) finished: usize,
}

/// A set of futures' completions, as they happen.
#[derive(Debug)]
pub(crate) struct Collector {
    heard: Mutex<Heard>,
    waiters: WaitList,
    /// What a waiter waits for, in deadlock reports (`any of 3 futures`).
    name: String,
    /// Pushes so far (written under the lock): what a waiter watches while it waits awake.
    pushes: AtomicUsize,
    /// Whether a waiter waits awake for a moment before it parks (`as_completed` over
    /// futures whose waiters spin; see `spin.rs`).
    spin: bool,
}

/// How long a spinning waiter stays awake before it parks.
const SPIN: Duration = Duration::from_micros(20);

impl Collector {
    pub(crate) fn new(name: String, spin: bool) -> Self {
        Collector {
            heard: Mutex::new(Heard::default()),
            waiters: WaitList::new(),
            name,
            pushes: AtomicUsize::new(0),
            spin,
        }
    }

    /// A future with this index finished (`failed`: with an error that is not a cancellation).
    pub(crate) fn push(&self, index: usize, failed: bool) {
        {
            let mut heard = self.heard.lock();
            heard.ready.push_back(index);
            heard.finished += 1;
            heard.failed += usize::from(failed);
            self.pushes.fetch_add(1, Ordering::Release);
        }
        self.waiters.notify_all();
    }

    /// Waits until `enough` says so or `deadline` passes, then calls `then` on what was heard.
    /// Untimed waits take part in deadlock detection.
    #[track_caller]
    pub(crate) fn wait_for<R>(
        &self,
        deadline: Option<Instant>,
        mut enough: impl FnMut(&Heard) -> bool,
        then: impl FnOnce(&mut Heard) -> R,
    ) -> R {
        let what = Wait {
            kind: ResourceKind::Future,
            name: &self.name,
            detail: None,
            resource: self as *const Collector as usize,
            owner: Owner::Nobody,
        };
        let mut heard = self.heard.lock();
        if self.spin && !enough(&heard) {
            let seen = self.pushes.load(Ordering::Acquire);
            drop(heard);
            spin_then_yield(SPIN, deadline, || {
                self.pushes.load(Ordering::Acquire) != seen
            });
            heard = self.heard.lock();
        }
        let (mut heard, result) = self
            .waiters
            .wait_while(heard, &what, |h| !enough(h), deadline);
        if let Err(err) = result {
            drop(heard);
            crate::deadlock::fail(err);
        }
        then(&mut heard)
    }
}

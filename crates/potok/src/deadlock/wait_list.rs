//! [`WaitList`]: a deadlock-aware condition variable for a `parking_lot::Mutex`-protected
//! state; the building block of every potok primitive that waits for a state to change.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use parking_lot::MutexGuard;

use super::error::DeadlockError;
use super::park::{self, Parked, Wait};

/// Threads waiting for a change of a state kept in a `parking_lot::Mutex<T>`.
///
/// # Contract
///
/// - The state lives in a `parking_lot::Mutex<T>`; a waiter checks its condition with the
///   guard held and calls [`wait`](Self::wait) (or [`wait_while`](Self::wait_while)) with that
///   guard. The guard is released only after the thread is in the wait queue, so a change made
///   under the mutex and followed by a notify is never lost.
/// - A notifier changes the state with the guard held, then calls [`notify_one`](Self::notify_one),
///   [`notify`](Self::notify), [`notify_all`](Self::notify_all) or
///   [`notify_thread`](Self::notify_thread), holding the guard or after dropping it.
/// - Cheap when nobody waits: waiters are counted (under the mutex), and a notify with no
///   waiter is one relaxed load: no lock, no system call.
/// - Wake-ups may be spurious (a notify that raced with a timeout, or the detector asking a
///   thread to check again): always re-check the condition; `wait_while` does.
/// - An untimed wait takes part in deadlock detection, described by a [`Wait`] (kind, name,
///   detail such as `empty`/`full`). The threads a notify wakes stop counting as blocked
///   before they run, so a stall check never counts a thread that is being woken. When the
///   wait would complete a stall, it returns the [`DeadlockError`] (with the guard, so the
///   caller can undo its bookkeeping) instead of sleeping; the caller then usually calls
///   `deadlock::fail` to panic with it. Timed waits are never reported.
///
/// # Examples (crate-internal)
///
/// ```text
/// struct Event { flag: parking_lot::Mutex<bool>, waiters: WaitList, name: Name }
///
/// fn wait(&self) {
///     let what = Wait { kind: ResourceKind::Event, name: self.name(), detail: None,
///                       resource: self as *const _ as usize, owner: Owner::Nobody };
///     let (_flag, result) = self.waiters.wait_while(self.flag.lock(), &what, |set| !*set, None);
///     if let Err(err) = result { crate::deadlock::fail(err) }
/// }
///
/// fn set(&self) {
///     *self.flag.lock() = true;
///     self.waiters.notify_all();
/// }
/// ```
#[derive(Debug, Default)]
pub(crate) struct WaitList {
    /// Threads between registering as a waiter (under the mutex) and re-locking it after the
    /// wake-up; a notify with zero here has nobody to wake.
    waiters: AtomicUsize,
}

/// How one [`WaitList::wait`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Woken by a notify (or spuriously): re-check the condition.
    Notified,
    /// The deadline passed.
    TimedOut,
}

impl WaitList {
    /// An empty wait list.
    pub(crate) const fn new() -> Self {
        WaitList {
            waiters: AtomicUsize::new(0),
        }
    }

    fn key(&self) -> usize {
        self as *const WaitList as usize
    }

    /// Whether any thread waits (or was woken and has not re-locked the mutex yet).
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::Relaxed) != 0
    }

    /// Releases `guard`, sleeps until notified or `deadline`, and locks the mutex again.
    ///
    /// # Errors
    ///
    /// An untimed wait that would complete a stall returns the deadlock instead of sleeping
    /// (with the guard, re-locked).
    pub(crate) fn wait<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        what: &Wait<'_>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, T>, Result<Wake, DeadlockError>) {
        let mutex = MutexGuard::mutex(&guard);
        self.waiters.fetch_add(1, Ordering::Relaxed);
        let parked = park::park(
            self.key(),
            what,
            || true,
            move || drop(guard),
            |_, _| {},
            deadline,
        );
        // If the park did not happen, the closure holding the guard was dropped: the mutex is
        // free either way.
        let guard = mutex.lock();
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        let result = match parked {
            Err(err) => Err(err),
            Ok(Parked::TimedOut) => Ok(Wake::TimedOut),
            Ok(Parked::Unparked(_) | Parked::Invalid | Parked::Recheck) => Ok(Wake::Notified),
        };
        (guard, result)
    }

    /// Waits while `condition` holds (checked with the guard held), or until `deadline`.
    /// The result is `Ok(true)` if the condition no longer holds, `Ok(false)` on timeout.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub(crate) fn wait_while<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        what: &Wait<'_>,
        mut condition: impl FnMut(&mut T) -> bool,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, T>, Result<bool, DeadlockError>) {
        loop {
            if !condition(&mut guard) {
                return (guard, Ok(true));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return (guard, Ok(false));
            }
            let (g, result) = self.wait(guard, what, deadline);
            guard = g;
            if let Err(err) = result {
                return (guard, Err(err));
            }
        }
    }

    /// Wakes one waiter; returns whether there was one.
    pub(crate) fn notify_one(&self) -> bool {
        self.has_waiters()
            && park::unpark_one(self.key(), |_| park::TOKEN_NORMAL).unparked_threads > 0
    }

    /// Wakes up to `n` waiters, oldest first; returns how many.
    pub(crate) fn notify(&self, n: usize) -> usize {
        if self.has_waiters() {
            park::unpark_n(self.key(), n)
        } else {
            0
        }
    }

    /// Wakes every waiter; returns how many.
    pub(crate) fn notify_all(&self) -> usize {
        if self.has_waiters() {
            park::unpark_all(self.key())
        } else {
            0
        }
    }

    /// Wakes the thread with this ident if it waits here; returns whether it did.
    pub(crate) fn notify_thread(&self, ident: u64) -> bool {
        self.has_waiters() && park::unpark_thread(self.key(), ident)
    }
}

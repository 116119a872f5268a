//! Deadlock-aware parking by address: the one place where potok threads go to sleep.
//!
//! [`park`] is `parking_lot_core::park` with the detector inside: an untimed park registers
//! what the thread waits for in the same `validate` callback that puts it in the wait queue,
//! and the `unpark_*` functions here remove the records of the threads they wake before those
//! threads run. Every potok primitive that blocks goes through this module, directly (the
//! locks) or through [`WaitList`](super::WaitList).

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot_core::{FilterOp, ParkResult, ParkToken, UnparkResult, UnparkToken};

use super::detector::{self, Verdict};
use super::error::{DeadlockError, ResourceKind};
use crate::thread;

/// The token of a plain wake-up.
pub(crate) const TOKEN_NORMAL: UnparkToken = UnparkToken(0);
/// The token the detector uses to make a parked thread check again (a spurious wake-up).
pub(crate) const TOKEN_RECHECK: UnparkToken = UnparkToken(2);

/// What a thread is about to block on, for the detector and the report.
pub(crate) struct Wait<'a> {
    /// The kind of primitive.
    pub(crate) kind: ResourceKind,
    /// Its name (`bank`, `Lock-3`).
    pub(crate) name: &'a str,
    /// What the thread waits for in it, if the kind does not say (`empty`, `full`).
    pub(crate) detail: Option<&'static str>,
    /// Its identity among resources: its address.
    pub(crate) resource: usize,
    /// Who holds it.
    pub(crate) owner: Owner<'a>,
}

/// Who holds the resource a thread waits for.
#[derive(Clone, Copy)]
pub(crate) enum Owner<'a> {
    /// Nobody in particular: any thread may wake the waiter (Event, Semaphore, Queue, ...).
    Nobody,
    /// An owned lock: the owner is in this word (see [`owner`](super::owner)), read live.
    Word(&'a AtomicU64),
    /// A thread: the waiter joins it.
    Thread(u64),
    /// Several threads, each of which must let go before the waiter can go on (the readers
    /// of an `RwLock` a writer waits for; the writers a reader queues behind). Read when the
    /// thread parks: the primitive wakes its waiters whenever this set changes.
    Threads(&'a [u64]),
}

/// How a [`park`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parked {
    /// Woken by an `unpark_*` function here, with the waker's token.
    Unparked(UnparkToken),
    /// `validate` returned false: the thread did not sleep.
    Invalid,
    /// The deadline passed.
    TimedOut,
    /// Woken only to check again for a deadlock: behave as on a spurious wake-up (check the
    /// condition, block again).
    Recheck,
}

/// Parks the calling thread on `key` until an `unpark_*` function of this module wakes it,
/// `deadline` passes, or `validate` (called under the queue's lock) returns false.
///
/// Without a deadline the park takes part in deadlock detection: if it would close a cycle
/// or complete a stall, the thread does not sleep and gets the error (under
/// [`Policy::Panic`](super::Policy::Panic); the report is printed first). Timed parks are
/// never reported.
///
/// `key` must be the address of something the caller owns (a primitive's state), so no other
/// code parks on it. `validate` and `timed_out` run under the queue's lock: they must not
/// panic, block, or call into `parking_lot` (its `Mutex` included). `before_sleep` runs after
/// the thread is queued, outside the lock: it may release a mutex (that is how a condition
/// variable releases its lock without losing a wake-up), but not park.
pub(crate) fn park(
    key: usize,
    wait: &Wait<'_>,
    validate: impl FnOnce() -> bool,
    before_sleep: impl FnOnce(),
    timed_out: impl FnOnce(usize, bool),
    deadline: Option<Instant>,
) -> Result<Parked, DeadlockError> {
    // Only an untimed wait is recorded, so only it needs the thread's record (a foreign thread
    // making a timed wait is not registered as a Dummy for it). A thread blocking after its own
    // end (in a thread-local destructor) is no longer in the registry: it must not be counted
    // as one of the blocked live threads.
    let me = deadline
        .is_none()
        .then(thread::current_thread)
        .filter(|me| !me.inner.done.load(Ordering::Acquire));
    if me.is_some() {
        // Read once, here: the check runs under the queue's lock.
        super::statics::prepare();
    }
    // Whose activity slot says what it waits for (for `snapshot`): any registered thread,
    // timed waits included.
    let known = match &me {
        Some(me) => Some(me.clone()),
        None => thread::current_known(),
    };
    let holder = match wait.owner {
        Owner::Nobody => None,
        Owner::Word(word) => super::owner::decode(word.load(Ordering::Acquire)),
        Owner::Thread(id) => Some(id),
        Owner::Threads(ids) => ids.first().copied(),
    };
    let mut verdict = None;
    // Filled under the queue's lock by `validate`, run by `before_sleep` outside it.
    let later: Cell<Option<detector::Later>> = Cell::new(None);
    let token = ParkToken(thread::current_ident_fast() as usize);
    let span = crate::trace::WaitSpan::begin(wait.kind, wait.name, wait.detail);
    // SAFETY: `key` is owned by the caller (see above); the callbacks only touch atomics and
    // the detector's std Mutex, never parking_lot, and do not panic.
    let result = unsafe {
        parking_lot_core::park(
            key,
            || {
                if !validate() {
                    return false;
                }
                let parks = || {
                    if let Some(t) = &known {
                        t.inner.activity.parks(wait, holder, deadline);
                    }
                };
                let Some(me) = &me else {
                    parks();
                    return true;
                };
                match detector::register(me, key, wait) {
                    Verdict::Park(after) => {
                        later.set(after);
                        parks();
                        true
                    }
                    Verdict::Deadlock(err) => {
                        verdict = Some(err);
                        false
                    }
                }
            },
            || {
                if let Some(later) = later.take() {
                    later.run();
                }
                before_sleep();
            },
            timed_out,
            token,
            deadline,
        )
    };
    span.end(!matches!(result, ParkResult::Invalid));
    if let Some(t) = &known {
        t.inner.activity.resumes();
    }
    if let Some(err) = verdict {
        crate::trace::deadlock(&err);
        super::print_report(&err);
        return Err(err);
    }
    Ok(match result {
        ParkResult::Unparked(TOKEN_RECHECK) => Parked::Recheck,
        ParkResult::Unparked(token) => Parked::Unparked(token),
        ParkResult::Invalid => Parked::Invalid,
        ParkResult::TimedOut => Parked::TimedOut,
    })
}

/// Wakes the first thread parked on `key`; `callback` runs under the queue's lock (same rules
/// as `validate`) with the result, and picks the token the woken thread gets.
pub(crate) fn unpark_one(
    key: usize,
    callback: impl FnOnce(UnparkResult) -> UnparkToken,
) -> UnparkResult {
    let woken: Cell<Option<u64>> = Cell::new(None);
    let at = crate::trace::waking();
    // SAFETY: see `park`; the callbacks only touch the detector's std Mutex and the caller's
    // atomics.
    let result = unsafe {
        parking_lot_core::unpark_filter(
            key,
            |token| {
                if woken.get().is_none() {
                    woken.set(Some(token.0 as u64));
                    FilterOp::Unpark
                } else {
                    FilterOp::Stop
                }
            },
            |result| {
                if let Some(id) = woken.get() {
                    detector::woken(&[id]);
                }
                callback(result)
            },
        )
    };
    crate::trace::woke(at, woken.get().as_slice());
    result
}

/// Wakes up to `n` threads parked on `key`, oldest first; returns how many it woke.
pub(crate) fn unpark_n(key: usize, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let woken: RefCell<Vec<u64>> = RefCell::new(Vec::new());
    let at = crate::trace::waking();
    // SAFETY: as in `unpark_one`.
    let result = unsafe {
        parking_lot_core::unpark_filter(
            key,
            |token| {
                let mut woken = woken.borrow_mut();
                if woken.len() < n {
                    woken.push(token.0 as u64);
                    FilterOp::Unpark
                } else {
                    FilterOp::Stop
                }
            },
            |_| {
                detector::woken(&woken.borrow());
                TOKEN_NORMAL
            },
        )
    };
    crate::trace::woke(at, &woken.borrow());
    result.unparked_threads
}

/// Wakes every thread parked on `key`; returns how many it woke.
pub(crate) fn unpark_all(key: usize) -> usize {
    unpark_n(key, usize::MAX)
}

/// Wakes `thread` if it is parked on `key`; returns whether it was.
pub(crate) fn unpark_thread(key: usize, thread: u64) -> bool {
    unpark_thread_with(key, thread, TOKEN_NORMAL)
}

/// Wakes `thread` if it is parked on `key`, with `token`; returns whether it was.
pub(super) fn unpark_thread_with(key: usize, thread: u64, token: UnparkToken) -> bool {
    let mut found = false;
    let at = crate::trace::waking();
    // SAFETY: as in `unpark_one`.
    let result = unsafe {
        parking_lot_core::unpark_filter(
            key,
            |parked| {
                if !found && parked.0 as u64 == thread {
                    found = true;
                    FilterOp::Unpark
                } else {
                    FilterOp::Skip
                }
            },
            |result| {
                if result.unparked_threads > 0 {
                    detector::woken(&[thread]);
                }
                token
            },
        )
    };
    if token != TOKEN_RECHECK && result.unparked_threads > 0 {
        crate::trace::woke(at, &[thread]);
    }
    result.unparked_threads > 0
}

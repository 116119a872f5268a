//! [`Condition`]: Python's `threading.Condition`.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex as StateMutex;

use super::error::ReleaseError;
use super::lock::Lock;
use super::name::Name;
use super::rlock::RLock;
use super::stay_awake::StayAwake;
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};
use crate::thread::current_ident_fast;

/// The lock under a Condition: an [`RLock`] by default, or a [`Lock`], as in Python.
enum CondLock {
    RLock(RLock),
    Lock(Lock),
}

/// Who waits, and who has been notified (Python keeps one lock per waiter; potok keeps the
/// waiters' idents and wakes exactly the notified threads).
///
/// A waiter's life: pushed on `queue` (holding the Condition's lock) -> the lock is released
/// -> it may stay awake a little, watching `Condition::notifies` (see `StayAwake`) -> it
/// sleeps (registered with the deadlock detector only now) -> `notify` moves it from `queue`
/// to `notified` (and, over an RLock, to `to_wake`: the notifier wakes it when it releases
/// the lock; over a Lock, at once) -> it removes itself from `notified` and re-acquires the
/// lock. On a timeout it removes itself from `queue` instead.
#[derive(Default)]
struct Waiters {
    queue: VecDeque<u64>,
    notified: Vec<u64>,
    /// Notified threads not woken yet: they are woken when the lock is next released.
    to_wake: Vec<u64>,
}

/// Python's `threading.Condition`: a lock, and threads that wait under it until notified.
///
/// A thread must hold the Condition's lock to wait or notify; waiting releases it while
/// asleep and takes it back before returning. Methods on the Condition itself check that and
/// return [`ReleaseError::NotOwner`] otherwise; the guard from [`lock`](Condition::lock) has
/// the same methods without that error.
///
/// An untimed `wait` that no running thread can notify is a stall, reported as a
/// [`DeadlockError`](crate::deadlock::DeadlockError) (see [`crate::deadlock`]).
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let cv = Arc::new(potok::Condition::named("items"));
/// let items = Arc::new(AtomicUsize::new(0));
/// let (cv2, items2) = (Arc::clone(&cv), Arc::clone(&items));
/// let consumer = potok::spawn(move || {
///     let mut guard = cv2.lock();
///     guard.wait_for(|| items2.load(Ordering::SeqCst) > 0);
///     items2.fetch_sub(1, Ordering::SeqCst)
/// });
/// {
///     let guard = cv.lock();
///     items.fetch_add(1, Ordering::SeqCst);
///     guard.notify(1);
/// }
/// assert_eq!(consumer.join().unwrap(), 1);
/// ```
pub struct Condition {
    lock: CondLock,
    waiters: StateMutex<Waiters>,
    /// How many notifies chose a waiter so far: a waiter awake before it sleeps watches it
    /// (see [`StayAwake`]), without taking `waiters`' lock.
    notifies: AtomicU64,
    /// Whether `Waiters::to_wake` has threads in it.
    to_wake: AtomicBool,
    /// Whether waiters spin before they sleep (see [`StayAwake`]).
    awake: StayAwake,
    list: WaitList,
    name: Name,
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl Condition {
    /// A Condition over a new [`RLock`]: Python's `Condition()`.
    #[track_caller]
    pub const fn new() -> Self {
        Condition {
            lock: CondLock::RLock(RLock::new()),
            waiters: parking_lot::const_mutex(Waiters {
                queue: VecDeque::new(),
                notified: Vec::new(),
                to_wake: Vec::new(),
            }),
            notifies: AtomicU64::new(0),
            to_wake: AtomicBool::new(false),
            awake: StayAwake::new(),
            list: WaitList::new(),
            name: Name::new(),
        }
    }

    /// A named Condition over a new [`RLock`] of the same name.
    #[track_caller]
    pub fn named(name: impl Into<String>) -> Self {
        let name = name.into();
        Condition {
            lock: CondLock::RLock(RLock::named(name.clone())),
            name: Name::named(name),
            ..Condition::new()
        }
    }

    /// A Condition over a [`Lock`]: Python's `Condition(Lock())`.
    pub fn with_lock(lock: Lock) -> Self {
        Condition {
            lock: CondLock::Lock(lock),
            ..Condition::new()
        }
    }

    /// A Condition over an [`RLock`]: Python's `Condition(RLock())`.
    pub fn with_rlock(lock: RLock) -> Self {
        Condition {
            lock: CondLock::RLock(lock),
            ..Condition::new()
        }
    }

    /// The Condition's name.
    pub fn name(&self) -> &str {
        self.name.get(ResourceKind::Condition)
    }

    /// Acquires the underlying lock: Python's `acquire()`.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when waiting would deadlock.
    #[track_caller]
    pub fn acquire(&self) {
        match &self.lock {
            CondLock::RLock(l) => l.acquire(),
            CondLock::Lock(l) => l.acquire(),
        }
    }

    /// Acquires the underlying lock if it is free: Python's `acquire(False)`.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    pub fn try_acquire(&self) -> bool {
        match &self.lock {
            CondLock::RLock(l) => l.try_acquire(),
            CondLock::Lock(l) => l.try_acquire(),
        }
    }

    /// Waits at most `timeout` for the underlying lock.
    #[must_use = "false means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        match &self.lock {
            CondLock::RLock(l) => l.acquire_timeout(timeout),
            CondLock::Lock(l) => l.acquire_timeout(timeout),
        }
    }

    /// Releases the underlying lock: Python's `release()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] (RLock) or [`ReleaseError::Unlocked`] (Lock) when it is not
    /// held.
    pub fn release(&self) -> Result<(), ReleaseError> {
        match &self.lock {
            CondLock::RLock(l) => l.release(),
            CondLock::Lock(l) => l.release(),
        }?;
        self.wake_notified();
        Ok(())
    }

    /// Wakes the threads notified while the lock was held (see [`notify`](Self::notify)).
    fn wake_notified(&self) {
        if !self.to_wake.load(Ordering::Acquire) {
            return;
        }
        let woken = {
            let mut waiters = self.waiters.lock();
            self.to_wake.store(false, Ordering::Relaxed);
            std::mem::take(&mut waiters.to_wake)
        };
        for id in woken {
            self.list.notify_thread(id);
        }
    }

    /// Acquires the lock and returns a guard (Python's `with cond:`) with the waiting and
    /// notifying methods.
    ///
    /// # Panics
    ///
    /// As [`acquire`](Condition::acquire).
    #[track_caller]
    pub fn lock(&self) -> ConditionGuard<'_> {
        self.acquire();
        ConditionGuard {
            cond: self,
            _not_send: PhantomData,
        }
    }

    /// Whether the calling thread may wait and notify: it owns the RLock, or the Lock is held
    /// (a Lock has no owner that counts, as in Python's `_is_owned`).
    fn is_owned(&self) -> bool {
        match &self.lock {
            CondLock::RLock(l) => l.is_owned(),
            CondLock::Lock(l) => l.locked(),
        }
    }

    /// Releases the lock completely, remembering how to take it back.
    fn release_save(&self) -> Result<usize, ReleaseError> {
        let saved = match &self.lock {
            CondLock::RLock(l) => l.release_all(),
            CondLock::Lock(l) => l.release().map(|()| 1),
        }?;
        self.wake_notified();
        Ok(saved)
    }

    #[track_caller]
    fn acquire_restore(&self, saved: usize) {
        match &self.lock {
            CondLock::RLock(l) => l.acquire_restore(saved),
            CondLock::Lock(l) => l.acquire(),
        }
    }

    /// Releases the lock, waits until notified, and takes the lock back: Python's `wait()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold the lock.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when no running thread is left
    /// to notify it (the lock is taken back first, as Python's `wait` always does).
    #[track_caller]
    pub fn wait(&self) -> Result<(), ReleaseError> {
        self.wait_until(None).map(|_| ())
    }

    /// Like [`wait`](Condition::wait), for at most `timeout`; returns whether it was notified
    /// (Python's `wait(timeout)`). Timed waits are never reported as deadlocks.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold the lock.
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool, ReleaseError> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Waits until `predicate` returns true (checked first, then after every wake-up, with
    /// the lock held): Python's `wait_for(predicate)`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold the lock.
    ///
    /// # Panics
    ///
    /// As [`wait`](Condition::wait).
    #[track_caller]
    pub fn wait_for(&self, mut predicate: impl FnMut() -> bool) -> Result<(), ReleaseError> {
        while !predicate() {
            self.wait()?;
        }
        Ok(())
    }

    /// Like [`wait_for`](Condition::wait_for), for at most `timeout`; returns the predicate's
    /// last value (Python's `wait_for(predicate, timeout)`).
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold the lock.
    #[track_caller]
    pub fn wait_for_timeout(
        &self,
        mut predicate: impl FnMut() -> bool,
        timeout: Duration,
    ) -> Result<bool, ReleaseError> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if predicate() {
                return Ok(true);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
            self.wait_until(deadline)?;
        }
    }

    #[track_caller]
    fn wait_until(&self, deadline: Option<Instant>) -> Result<bool, ReleaseError> {
        if !self.is_owned() {
            return Err(ReleaseError::NotOwner);
        }
        let me = current_ident_fast();
        self.waiters.lock().queue.push_back(me);
        // Read with the lock held: a notify that chooses this thread comes after it.
        let seen = self.notifies.load(Ordering::Relaxed);
        let saved = match self.release_save() {
            Ok(saved) => saved,
            Err(e) => {
                self.waiters.lock().queue.retain(|&id| id != me);
                return Err(e);
            }
        };
        self.awake
            .watch(deadline, || self.notifies.load(Ordering::Acquire) != seen);
        let what = Wait {
            kind: ResourceKind::Condition,
            name: self.name(),
            detail: None,
            resource: self as *const Condition as usize,
            owner: Owner::Nobody,
        };
        let (mut waiters, result) = self.list.wait_while(
            self.waiters.lock(),
            &what,
            |w| !w.notified.contains(&me),
            deadline,
        );
        let notified = match waiters.notified.iter().position(|&id| id == me) {
            Some(i) => {
                waiters.notified.swap_remove(i);
                true
            }
            None => {
                waiters.queue.retain(|&id| id != me);
                false
            }
        };
        drop(waiters);
        self.acquire_restore(saved);
        match result {
            Ok(_) => Ok(notified),
            Err(err) => crate::deadlock::fail(err),
        }
    }

    /// Wakes up to `n` waiting threads, oldest first: Python's `notify(n)`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold the lock.
    pub fn notify(&self, n: usize) -> Result<(), ReleaseError> {
        if !self.is_owned() {
            return Err(ReleaseError::NotOwner);
        }
        // Over an RLock, only this thread can release the lock, and it does so through the
        // Condition: the waiters are woken then, so that they do not wake only to find the
        // lock still held. A Lock may be released by any thread, behind the Condition's back.
        let defer = matches!(self.lock, CondLock::RLock(_));
        let mut chosen = Vec::new();
        {
            let mut waiters = self.waiters.lock();
            let mut count = 0;
            while count < n {
                let Some(id) = waiters.queue.pop_front() else {
                    break;
                };
                count += 1;
                waiters.notified.push(id);
                if defer {
                    waiters.to_wake.push(id);
                } else {
                    chosen.push(id);
                }
            }
            if count > 0 {
                if defer {
                    self.to_wake.store(true, Ordering::Relaxed);
                }
                self.notifies.fetch_add(1, Ordering::Release);
            }
        }
        for id in chosen {
            self.list.notify_thread(id);
        }
        Ok(())
    }

    /// Wakes every waiting thread: Python's `notify_all()`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold the lock.
    pub fn notify_all(&self) -> Result<(), ReleaseError> {
        self.notify(usize::MAX)
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("name", &self.name())
            .field("waiters", &self.waiters.lock().queue.len())
            .finish()
    }
}

/// Like Python's repr: `<Condition 'ready' waiters=2>`.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<Condition '{}' waiters={}>",
            self.name(),
            self.waiters.lock().queue.len()
        )
    }
}

/// The lock of a [`Condition`], held for a scope (Python's `with cond:`), with the waiting
/// and notifying methods, which cannot fail for lack of the lock.
#[must_use = "the Condition's lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a> {
    cond: &'a Condition,
    _not_send: PhantomData<*const ()>,
}

const HELD: &str = "a ConditionGuard holds the Condition's lock";

impl ConditionGuard<'_> {
    /// [`Condition::wait`].
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when no running thread is left
    /// to notify.
    #[track_caller]
    pub fn wait(&mut self) {
        self.cond.wait().expect(HELD);
    }

    /// [`Condition::wait_timeout`]: returns whether it was notified.
    #[must_use = "false means the wait timed out"]
    #[track_caller]
    pub fn wait_timeout(&mut self, timeout: Duration) -> bool {
        self.cond.wait_timeout(timeout).expect(HELD)
    }

    /// [`Condition::wait_for`].
    ///
    /// # Panics
    ///
    /// As [`wait`](ConditionGuard::wait).
    #[track_caller]
    pub fn wait_for(&mut self, predicate: impl FnMut() -> bool) {
        self.cond.wait_for(predicate).expect(HELD);
    }

    /// [`Condition::wait_for_timeout`]: returns the predicate's last value.
    #[must_use = "false means the wait timed out"]
    #[track_caller]
    pub fn wait_for_timeout(&mut self, predicate: impl FnMut() -> bool, timeout: Duration) -> bool {
        self.cond.wait_for_timeout(predicate, timeout).expect(HELD)
    }

    /// [`Condition::notify`].
    pub fn notify(&self, n: usize) {
        self.cond.notify(n).expect(HELD);
    }

    /// [`Condition::notify_all`].
    pub fn notify_all(&self) {
        self.cond.notify_all().expect(HELD);
    }
}

impl Drop for ConditionGuard<'_> {
    fn drop(&mut self) {
        let _ = self.cond.release();
    }
}

impl fmt::Debug for ConditionGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConditionGuard").field(self.cond).finish()
    }
}

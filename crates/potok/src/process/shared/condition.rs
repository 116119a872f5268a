//! [`Condition`]: Python's `multiprocessing.Condition`, over a process [`Lock`] or [`RLock`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::blocked::Blocked;
use super::error::{OwnerDied, SharedMemoryError, WaitError};
use super::futex;
use super::lock::Lock;
use super::rlock::RLock;
use super::segment::{Kind, Segment, State};
use super::table::{Member, Obituary, Table, WithTable};
use super::word::SLICE;
use crate::deadlock::ResourceKind;
use crate::ReleaseError;

/// The Condition's words in its segment.
#[repr(C)]
pub(crate) struct CondState {
    /// Bumped by every notify and every death found: the futex word waiters sleep on.
    seq: AtomicU32,
    /// How many deaths of members were found.
    deaths: AtomicU32,
    /// The waiters' tickets (see [`Queue`]).
    queue: AtomicU64,
    /// The last member found dead.
    obituary: Obituary,
    /// The processes that have the Condition open.
    members: Table,
}

// SAFETY: repr(C), atomics only (Obituary and Table are too).
unsafe impl State for CondState {}

impl WithTable for CondState {
    fn table(&self) -> &Table {
        &self.members
    }
}

/// The ticket counters wrap at 2^24.
const TICKETS: u32 = 1 << 24;

/// The queue word: `entered << 40 | signalled << 16 | cancelled`. Every waiter takes the next
/// ticket (`entered`) under the lock; `notify(n)` moves `signalled` up to `n` tickets on
/// (plus one for each waiter that left unnotified, so a notify is never lost to a departed
/// ticket: at worst it wakes one more, a spurious wake-up); a waiter goes once `signalled` has
/// passed its ticket, so a notify wakes only threads that were waiting when it ran, oldest
/// first.
#[derive(Clone, Copy)]
struct Queue {
    entered: u32,
    signalled: u32,
    cancelled: u32,
}

impl Queue {
    fn unpack(word: u64) -> Queue {
        Queue {
            entered: (word >> 40) as u32 & (TICKETS - 1),
            signalled: (word >> 16) as u32 & (TICKETS - 1),
            cancelled: word as u32 & 0xffff,
        }
    }

    fn pack(self) -> u64 {
        (u64::from(self.entered & (TICKETS - 1)) << 40)
            | (u64::from(self.signalled & (TICKETS - 1)) << 16)
            | u64::from(self.cancelled.min(0xffff))
    }

    /// Tickets taken and not yet signalled.
    fn waiting(self) -> u32 {
        self.entered.wrapping_sub(self.signalled) & (TICKETS - 1)
    }

    /// Whether `ticket` has been signalled.
    fn passed(self, ticket: u32) -> bool {
        let d = self.signalled.wrapping_sub(ticket) & (TICKETS - 1);
        d != 0 && d < TICKETS / 2
    }
}

/// Changes the queue word with `f` (None: leave it), returning what `f` returned.
fn update<T>(word: &AtomicU64, mut f: impl FnMut(Queue) -> Option<(Queue, T)>) -> Option<T> {
    let mut seen = word.load(Ordering::SeqCst);
    loop {
        let (next, out) = f(Queue::unpack(seen))?;
        match word.compare_exchange_weak(seen, next.pack(), Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return Some(out),
            Err(now) => seen = now,
        }
    }
}

/// The lock a Condition waits with.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum CondLock {
    Lock(Lock),
    RLock(RLock),
}

impl CondLock {
    fn is_mine(&self) -> bool {
        match self {
            CondLock::Lock(l) => l.is_mine(),
            CondLock::RLock(r) => r.is_owned(),
        }
    }

    fn release_all(&self) -> u32 {
        match self {
            CondLock::Lock(l) => {
                let _ = l.release();
                1
            }
            CondLock::RLock(r) => r.release_all(),
        }
    }

    fn restore(&self, depth: u32) -> Result<(), OwnerDied> {
        match self {
            CondLock::Lock(l) => l.acquire(),
            CondLock::RLock(r) => r.restore(depth),
        }
    }
}

/// How a wait ended, before the lock is taken back.
enum Woke {
    Notified,
    TimedOut,
    Died(u32, String),
}

/// A condition variable shared between processes: Python's `multiprocessing.Condition`, with
/// the thread [`Condition`](crate::Condition)'s method names. Waiters release its lock
/// (a process [`RLock`] by default, or the [`Lock`] / [`RLock`] given), sleep until
/// notified, and take the lock back.
///
/// It lives in a small shared memory segment beside its lock's; handed to a child in
/// [`Process`](crate::process::Process) or pool-task arguments it travels as both names.
/// `notify(n)` wakes up to `n` of the threads waiting when it ran; as with any condition
/// variable, a waiter may also wake without a notify, so wait for a state with
/// [`wait_for`](Self::wait_for).
///
/// # A participant that dies
///
/// The processes that have the Condition open are counted in it. A waiter that has slept a
/// few milliseconds checks whether one of them is gone; if so, every thread waiting at that
/// moment wakes, takes the lock back and gets [`WaitError::ProcessDied`] naming it (the dead
/// process may have been the only one to notify: waiting for ever is never the answer). A
/// waiter whose lock's holder died gets [`WaitError::OwnerDied`] instead, holding the lock.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use potok::process::Condition;
///
/// let cond = Condition::named("jobs").unwrap();
/// let _guard = cond.lock().unwrap();
/// assert!(!cond.wait_timeout(Duration::from_millis(1)).unwrap()); // nobody notified
/// cond.notify_all().unwrap();
/// ```
#[derive(Clone)]
pub struct Condition {
    member: Member<CondState>,
    lock: CondLock,
    name: String,
}

impl Condition {
    /// A Condition over a new process [`RLock`] (Python's default), named after its segment.
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if a segment cannot be made.
    pub fn new() -> Result<Condition, SharedMemoryError> {
        Condition::make(None, CondLock::RLock(RLock::new()?))
    }

    /// A Condition over a new process [`RLock`], with a name shown in reports (its lock is
    /// named the same).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn named(name: impl Into<String>) -> Result<Condition, SharedMemoryError> {
        let name = name.into();
        let lock = CondLock::RLock(RLock::named(name.clone())?);
        Condition::make(Some(name), lock)
    }

    /// A Condition over `lock` (Python's `Condition(lock)`).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn with_lock(lock: Lock) -> Result<Condition, SharedMemoryError> {
        let name = lock.name().to_owned();
        Condition::make(Some(name), CondLock::Lock(lock))
    }

    /// A Condition over `lock`, a process [`RLock`].
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn with_rlock(lock: RLock) -> Result<Condition, SharedMemoryError> {
        let name = lock.name().to_owned();
        Condition::make(Some(name), CondLock::RLock(lock))
    }

    fn make(name: Option<String>, lock: CondLock) -> Result<Condition, SharedMemoryError> {
        let seg = Segment::create_state::<CondState>(Kind::Condition, name.as_deref())?;
        Ok(Condition::in_segment(seg, lock))
    }

    fn in_segment(seg: Segment, lock: CondLock) -> Condition {
        let name = seg.lock_name();
        Condition {
            member: Member::join(seg),
            lock,
            name,
        }
    }

    fn state(&self) -> &CondState {
        self.member.state()
    }

    /// The Condition's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Acquires its lock (Python's `acquire()`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the lock's holder died holding it (it is taken all the same).
    #[track_caller]
    pub fn acquire(&self) -> Result<(), OwnerDied> {
        match &self.lock {
            CondLock::Lock(l) => l.acquire(),
            CondLock::RLock(r) => r.acquire(),
        }
    }

    /// Releases its lock (Python's `release()`).
    ///
    /// # Errors
    ///
    /// As the lock's `release`.
    pub fn release(&self) -> Result<(), ReleaseError> {
        match &self.lock {
            CondLock::Lock(l) => l.release(),
            CondLock::RLock(r) => r.release(),
        }
    }

    /// Acquires its lock and returns a guard that releases it when dropped: Python's
    /// `with cond:`. Wait and notify with the Condition's methods while it is held.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire), with the guard inside.
    #[track_caller]
    pub fn lock(&self) -> Result<ConditionGuard<'_>, OwnerDied<ConditionGuard<'_>>> {
        let guard = || ConditionGuard {
            cond: self,
            _not_send: PhantomData,
        };
        match self.acquire() {
            Ok(()) => Ok(guard()),
            Err(died) => Err(died.map(|()| guard())),
        }
    }

    /// Releases the lock, waits until notified, and takes the lock back: Python's `wait()`.
    ///
    /// # Errors
    ///
    /// [`WaitError::NotOwner`] if the calling thread does not hold the lock;
    /// [`WaitError::ProcessDied`] / [`WaitError::OwnerDied`] as described on [`Condition`]
    /// (the lock is held again in both cases).
    #[track_caller]
    pub fn wait(&self) -> Result<(), WaitError> {
        self.wait_until(None).map(drop)
    }

    /// Like [`wait`](Self::wait), for at most `timeout`; `Ok(false)` when not notified in
    /// time (Python's `wait(timeout)`).
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool, WaitError> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Waits until `predicate` returns true (checked first, then after every wake-up, with
    /// the lock held): Python's `wait_for(predicate)`.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    #[track_caller]
    pub fn wait_for(&self, mut predicate: impl FnMut() -> bool) -> Result<(), WaitError> {
        while !predicate() {
            self.wait_until(None)?;
        }
        Ok(())
    }

    /// Like [`wait_for`](Self::wait_for), for at most `timeout`; returns the predicate's last
    /// value (Python's `wait_for(predicate, timeout)`).
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    #[track_caller]
    pub fn wait_for_timeout(
        &self,
        mut predicate: impl FnMut() -> bool,
        timeout: Duration,
    ) -> Result<bool, WaitError> {
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

    fn signalled(&self, ticket: u32) -> bool {
        Queue::unpack(self.state().queue.load(Ordering::SeqCst)).passed(ticket)
    }

    /// Leaves without waiting longer: `true` if signalled after all (then: notified), else the
    /// ticket is cancelled (the next notify makes up for it).
    fn leave(&self, ticket: u32) -> bool {
        update(&self.state().queue, |q| {
            if q.passed(ticket) {
                Some((q, true))
            } else {
                let cancelled = q.cancelled + 1;
                Some((Queue { cancelled, ..q }, false))
            }
        })
        .unwrap_or(false)
    }

    /// Checks the members; a dead one wakes every waiter.
    fn look_for_the_dead(&self) {
        let state = self.state();
        if let Some(dead) = state.members.reap() {
            state.obituary.record(&dead);
            state.deaths.fetch_add(1, Ordering::SeqCst);
            state.seq.fetch_add(1, Ordering::SeqCst);
            futex::wake_all(&state.seq);
        }
    }

    fn sleep(&self, ticket: u32, deaths: u32, deadline: Option<Instant>) -> Woke {
        let state = self.state();
        loop {
            let seq = state.seq.load(Ordering::SeqCst);
            if self.signalled(ticket) {
                return Woke::Notified;
            }
            if state.deaths.load(Ordering::SeqCst) != deaths {
                if self.leave(ticket) {
                    return Woke::Notified;
                }
                let (pid, name) = state.obituary.read().unwrap_or_default();
                return Woke::Died(pid, name);
            }
            let Ok(slice) = futex::next_sleep(SLICE, deadline) else {
                return if self.leave(ticket) {
                    Woke::Notified
                } else {
                    Woke::TimedOut
                };
            };
            futex::wait(&state.seq, seq, Some(slice));
            if state.seq.load(Ordering::SeqCst) == seq {
                self.look_for_the_dead();
            }
        }
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<bool, WaitError> {
        if !self.lock.is_mine() {
            return Err(WaitError::NotOwner);
        }
        let state = self.state();
        let deaths = state.deaths.load(Ordering::SeqCst);
        let ticket = update(&state.queue, |q| {
            let entered = q.entered.wrapping_add(1);
            Some((Queue { entered, ..q }, q.entered))
        })
        .unwrap_or(0);
        let depth = self.lock.release_all();
        let woke = {
            let _blocked = Blocked::begin(
                ResourceKind::Condition,
                &self.name,
                self.member.segment().address(),
                deadline,
            );
            self.sleep(ticket, deaths, deadline)
        };
        self.lock.restore(depth).map_err(WaitError::OwnerDied)?;
        match woke {
            Woke::Notified => Ok(true),
            Woke::TimedOut => Ok(false),
            Woke::Died(pid, name) => Err(WaitError::ProcessDied {
                condition: self.name.clone(),
                pid,
                name,
            }),
        }
    }

    /// Wakes up to `n` of the threads (of any process) waiting now: Python's `notify(n)`.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not hold the lock.
    pub fn notify(&self, n: usize) -> Result<(), ReleaseError> {
        if !self.lock.is_mine() {
            return Err(ReleaseError::NotOwner);
        }
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        let state = self.state();
        let signalled = update(&state.queue, |q| {
            let add = n.saturating_add(q.cancelled).min(q.waiting());
            (add > 0).then(|| {
                let signalled = q.signalled.wrapping_add(add);
                (
                    Queue {
                        signalled,
                        cancelled: 0,
                        ..q
                    },
                    (),
                )
            })
        });
        if signalled.is_some() {
            // Every sleeper looks (only the signalled tickets go): the futex cannot pick them.
            state.seq.fetch_add(1, Ordering::SeqCst);
            futex::wake_all(&state.seq);
        }
        Ok(())
    }

    /// Wakes every thread (of any process) waiting now: Python's `notify_all()`.
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
        let queue = Queue::unpack(self.state().queue.load(Ordering::Relaxed));
        f.debug_struct("Condition")
            .field("name", &self.name)
            .field("segment", &self.member.segment().name())
            .field("lock", &self.lock)
            .field("waiting", &queue.waiting())
            .finish()
    }
}

/// Like Python's repr: `<process Condition 'jobs': 0 waiting>`.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queue = Queue::unpack(self.state().queue.load(Ordering::Relaxed));
        write!(
            f,
            "<process Condition '{}': {} waiting>",
            self.name,
            queue.waiting()
        )
    }
}

/// Travels as its segment's name and its lock; the other side opens both.
impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.member.segment(), &self.lock).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (name, lock) = <(String, CondLock)>::deserialize(deserializer)?;
        let seg = Segment::open_state::<CondState>(&name, Kind::Condition, "Condition")
            .map_err(super::super::data::decode_error)?;
        Ok(Condition::in_segment(seg, lock))
    }
}

/// Holds a process [`Condition`]'s lock for a scope; releases it when dropped.
#[must_use = "the Condition's lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a> {
    cond: &'a Condition,
    _not_send: PhantomData<*const ()>,
}

impl ConditionGuard<'_> {
    /// The Condition whose lock this guard holds.
    pub fn condition(&self) -> &Condition {
        self.cond
    }
}

impl Drop for ConditionGuard<'_> {
    fn drop(&mut self) {
        let _ = self.cond.release();
    }
}

impl fmt::Debug for ConditionGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionGuard")
            .field("condition", &self.cond.name)
            .finish()
    }
}

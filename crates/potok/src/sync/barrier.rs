//! [`Barrier`]: Python's `threading.Barrier`.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use parking_lot::{Mutex as StateMutex, MutexGuard};

use super::name::Name;
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};

/// The barrier's state machine (Python's `_state`, plus `Acting`):
///
/// ```text
///            last party arrives                action done
///  Filling ─────────────────────▶ Acting ─────────────────▶ Draining
///     ▲                              │ action panicked         │ last party leaves
///     │                              ▼                         │
///     │ last party leaves       Broken ◀── abort(), a timeout  │
///     │◀──────── Resetting ◀── reset() while parties wait      │
///     └────────────────────────────────────────────────────────┘
/// ```
///
/// `Acting` (the last party runs the action without holding the state's mutex) is potok's:
/// Python runs the action under the Condition's lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Filling,
    Acting,
    Draining,
    Resetting,
    Broken,
}

struct State {
    phase: Phase,
    /// Parties inside `wait` (arrived and not yet left).
    count: usize,
}

type Action = Box<dyn Fn() + Send + Sync>;

/// The barrier was broken (by [`Barrier::abort`], a timeout, a failed action, a deadlock, or
/// a [`Barrier::reset`] while parties waited): Python's `BrokenBarrierError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier is broken")
    }
}

impl std::error::Error for BrokenBarrierError {}

/// Python's `threading.Barrier`: `parties` threads wait until all have arrived, then all go
/// on; it can be used again.
///
/// `wait` returns the arrival index (0 for the first, `parties - 1` for the last); exactly
/// one thread may use that to do something once. Too few parties waiting without a timeout,
/// with nobody left to arrive, is a stall: the thread whose wait completes it panics with the
/// [`DeadlockError`](crate::deadlock::DeadlockError), and the barrier breaks so the other
/// waiters get [`BrokenBarrierError`] instead of hanging.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let start = Arc::new(potok::Barrier::named("start", 3));
/// let runners: Vec<_> = (0..2)
///     .map(|_| {
///         let start = Arc::clone(&start);
///         potok::spawn(move || start.wait().unwrap())
///     })
///     .collect();
/// let mine = start.wait().unwrap();
/// let mut indices: Vec<usize> = runners.into_iter().map(|r| r.join().unwrap()).collect();
/// indices.push(mine);
/// indices.sort();
/// assert_eq!(indices, [0, 1, 2]);
///
/// start.abort();
/// assert!(start.broken());
/// assert_eq!(start.wait(), Err(potok::BrokenBarrierError));
/// start.reset();
/// assert!(!start.broken());
/// ```
pub struct Barrier {
    state: StateMutex<State>,
    list: WaitList,
    parties: usize,
    action: Option<Action>,
    timeout: Option<Duration>,
    name: Name,
}

impl Barrier {
    /// A barrier for `parties` threads: Python's `Barrier(parties)`.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 (Python raises `ValueError`).
    pub fn new(parties: usize) -> Self {
        assert!(parties > 0, "a Barrier needs at least one party");
        Barrier {
            state: parking_lot::const_mutex(State {
                phase: Phase::Filling,
                count: 0,
            }),
            list: WaitList::new(),
            parties,
            action: None,
            timeout: None,
            name: Name::new(),
        }
    }

    /// A named barrier, for deadlock reports.
    ///
    /// # Panics
    ///
    /// If `parties` is 0.
    pub fn named(name: impl Into<String>, parties: usize) -> Self {
        Barrier {
            name: Name::named(name),
            ..Barrier::new(parties)
        }
    }

    /// Runs `action` once per round, in the last thread to arrive, before any thread goes on
    /// (Python's `action=`). If it panics, the barrier breaks and that thread's `wait` panics.
    #[must_use]
    pub fn with_action(mut self, action: impl Fn() + Send + Sync + 'static) -> Self {
        self.action = Some(Box::new(action));
        self
    }

    /// The timeout [`wait`](Barrier::wait) uses (Python's `timeout=`).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The barrier's name.
    pub fn name(&self) -> &str {
        self.name.get(ResourceKind::Barrier)
    }

    /// How many threads must arrive.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many threads wait now (Python's `n_waiting`).
    pub fn n_waiting(&self) -> usize {
        let st = self.state.lock();
        if st.phase == Phase::Filling {
            st.count
        } else {
            0
        }
    }

    /// Whether the barrier is broken.
    pub fn broken(&self) -> bool {
        self.state.lock().phase == Phase::Broken
    }

    /// Waits until `parties` threads have arrived; returns the arrival index. Uses the
    /// barrier's timeout, if it has one.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] if the barrier is or becomes broken while waiting, or the
    /// timeout passes (which breaks it).
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when no thread is left to
    /// arrive (the barrier breaks first); with the action's panic if it panics.
    #[track_caller]
    pub fn wait(&self) -> Result<usize, BrokenBarrierError> {
        self.wait_until(self.timeout.and_then(|t| Instant::now().checked_add(t)))
    }

    /// Like [`wait`](Barrier::wait), with this timeout instead of the barrier's.
    ///
    /// # Errors
    ///
    /// As [`wait`](Barrier::wait).
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BrokenBarrierError> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    fn what(&self) -> Wait<'_> {
        Wait {
            kind: ResourceKind::Barrier,
            name: self.name(),
            detail: None,
            resource: self as *const Barrier as usize,
            owner: Owner::Nobody,
        }
    }

    #[track_caller]
    fn wait_until(&self, deadline: Option<Instant>) -> Result<usize, BrokenBarrierError> {
        let what = self.what();
        // Enter: wait for the previous round to drain or reset.
        let (mut st, entered) = self.list.wait_while(
            self.state.lock(),
            &what,
            |s| matches!(s.phase, Phase::Acting | Phase::Draining | Phase::Resetting),
            None,
        );
        if let Err(err) = entered {
            self.break_locked(&mut st);
            drop(st);
            crate::deadlock::fail(err);
        }
        if st.phase == Phase::Broken {
            return Err(BrokenBarrierError);
        }
        let index = st.count;
        st.count += 1;
        let (mut st, outcome) = if index + 1 == self.parties {
            self.release(st)
        } else {
            self.wait_round(st, &what, deadline)
        };
        // Exit.
        st.count -= 1;
        if st.count == 0 && matches!(st.phase, Phase::Draining | Phase::Resetting) {
            st.phase = Phase::Filling;
            self.list.notify_all();
        }
        drop(st);
        match outcome {
            Outcome::Passed => Ok(index),
            Outcome::Broken => Err(BrokenBarrierError),
            Outcome::Deadlock(err) => crate::deadlock::fail(err),
            Outcome::ActionPanicked(payload) => panic::resume_unwind(payload),
        }
    }

    /// The last party: run the action, then let everyone go.
    fn release<'a>(&'a self, mut st: MutexGuard<'a, State>) -> (MutexGuard<'a, State>, Outcome) {
        let Some(action) = &self.action else {
            st.phase = Phase::Draining;
            self.list.notify_all();
            return (st, Outcome::Passed);
        };
        st.phase = Phase::Acting;
        drop(st);
        let ran = panic::catch_unwind(AssertUnwindSafe(action));
        let mut st = self.state.lock();
        match ran {
            Ok(()) => {
                // A reset() or abort() during the action wins.
                if st.phase == Phase::Acting {
                    st.phase = Phase::Draining;
                }
                self.list.notify_all();
                let outcome = if st.phase == Phase::Draining {
                    Outcome::Passed
                } else {
                    Outcome::Broken
                };
                (st, outcome)
            }
            Err(payload) => {
                self.break_locked(&mut st);
                (st, Outcome::ActionPanicked(payload))
            }
        }
    }

    /// A party that is not the last: wait for the round to complete.
    fn wait_round<'a>(
        &'a self,
        st: MutexGuard<'a, State>,
        what: &Wait<'_>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, State>, Outcome) {
        let (mut st, result) = self.list.wait_while(
            st,
            what,
            |s| matches!(s.phase, Phase::Filling | Phase::Acting),
            deadline,
        );
        let outcome = match result {
            Ok(true) if st.phase == Phase::Draining => Outcome::Passed,
            Ok(true) => Outcome::Broken,
            Ok(false) => {
                self.break_locked(&mut st);
                Outcome::Broken
            }
            Err(err) => {
                self.break_locked(&mut st);
                Outcome::Deadlock(err)
            }
        };
        (st, outcome)
    }

    fn break_locked(&self, st: &mut State) {
        st.phase = Phase::Broken;
        self.list.notify_all();
    }

    /// Breaks the barrier: threads waiting now and later get [`BrokenBarrierError`] until
    /// [`reset`](Barrier::reset). Python's `abort()`.
    pub fn abort(&self) {
        let mut st = self.state.lock();
        self.break_locked(&mut st);
    }

    /// Returns the barrier to its empty state; threads waiting now get [`BrokenBarrierError`].
    /// Python's `reset()`.
    pub fn reset(&self) {
        let mut st = self.state.lock();
        if st.count > 0 {
            if matches!(st.phase, Phase::Filling | Phase::Broken | Phase::Acting) {
                st.phase = Phase::Resetting;
            }
        } else {
            st.phase = Phase::Filling;
        }
        self.list.notify_all();
    }
}

enum Outcome {
    Passed,
    Broken,
    Deadlock(crate::deadlock::DeadlockError),
    ActionPanicked(Box<dyn std::any::Any + Send>),
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        f.debug_struct("Barrier")
            .field("name", &self.name())
            .field("phase", &st.phase)
            .field("waiting", &st.count)
            .field("parties", &self.parties)
            .finish()
    }
}

/// Like Python's repr: `<Barrier 'gate' Filling waiters=1/3>`.
impl fmt::Display for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        write!(
            f,
            "<Barrier '{}' {:?} waiters={}/{}>",
            self.name(),
            st.phase,
            st.count,
            self.parties
        )
    }
}

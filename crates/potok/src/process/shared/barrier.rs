//! [`Barrier`]: Python's `multiprocessing.Barrier`, in shared memory.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::blocked::Blocked;
use super::error::{BrokenBarrierError, SharedMemoryError};
use super::futex;
use super::segment::{Kind, Segment, State};
use super::table::{Member, Obituary, Table, WithTable};
use super::word::SLICE;
use crate::deadlock::ResourceKind;
use crate::process::task;

/// The Barrier's words in its segment.
#[repr(C)]
pub(crate) struct BarrierState {
    /// `generation << 32 | arrived`: one compare-and-swap counts an arrival and, for the last
    /// party, starts the next generation with nobody arrived.
    phase: AtomicU64,
    /// Bumped whenever waiters must look again (a generation released, a break, a reset): the
    /// futex word they sleep on.
    epoch: AtomicU32,
    parties: AtomicU32,
    /// 1 while broken.
    broken: AtomicU32,
    /// How many times it was reset (a waiter of an older reset is broken out).
    resets: AtomicU32,
    /// 1 when [`action`](Self::action) holds an action.
    has_action: AtomicU32,
    /// The action's offset and the layout of the executable that set it (see
    /// `task::plain_fn_id`).
    action: AtomicU64,
    action_layout: AtomicU64,
    /// The default timeout of `wait`, in nanoseconds plus one (0: none).
    timeout: AtomicU64,
    /// Who broke it by dying, if anyone.
    obituary: Obituary,
    /// The processes that have it open.
    members: Table,
}

// SAFETY: repr(C), atomics only (Obituary and Table are too).
unsafe impl State for BarrierState {}

impl WithTable for BarrierState {
    fn table(&self) -> &Table {
        &self.members
    }
}

fn generation(phase: u64) -> u32 {
    (phase >> 32) as u32
}

fn arrived(phase: u64) -> u32 {
    phase as u32
}

/// `parties` processes (or threads of them) wait until all have arrived, then all go on:
/// Python's `multiprocessing.Barrier`, with the thread [`Barrier`](crate::Barrier)'s method
/// names. It can be used again.
///
/// [`wait`](Self::wait) returns the arrival index (0 for the first, `parties - 1` for the
/// last). It lives in a small shared memory segment; handed to a child in
/// [`Process`](crate::process::Process) or pool-task arguments it travels as the segment's
/// name.
///
/// Python's `Barrier(parties, action, timeout)`: [`with_action`](Self::with_action) (a plain
/// `fn()`, run by the last party to arrive, in whichever process that is, before any party
/// goes on) and [`with_timeout`](Self::with_timeout) (the default timeout of `wait`). Both are
/// kept in the shared segment, so every process that opens the barrier has them.
///
/// # A party that dies
///
/// The processes that have the Barrier open are counted in it. A waiter that has slept a few
/// milliseconds checks whether one of them is gone; if so it breaks the barrier, and every
/// waiter (and every later `wait`, until [`reset`](Self::reset)) gets a
/// [`BrokenBarrierError`] naming the dead process: a party that will never arrive breaks the
/// barrier instead of hanging the others, as a thread Barrier's timeout would. A process that
/// ends normally drops its handles and counts no more.
///
/// # Examples
///
/// ```
/// use potok::process::Barrier;
///
/// let alone = Barrier::named("alone", 1).unwrap();
/// assert_eq!(alone.wait().unwrap(), 0); // the only party: released at once
/// alone.abort();
/// assert!(alone.broken());
/// assert!(alone.wait().is_err());
/// alone.reset();
/// assert_eq!(alone.wait().unwrap(), 0);
/// ```
#[derive(Clone)]
pub struct Barrier {
    member: Member<BarrierState>,
    name: String,
}

impl Barrier {
    /// A barrier for `parties` parties, named after its segment.
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if the segment cannot be made.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 (Python: `ValueError`) or exceeds `u32::MAX`.
    pub fn new(parties: usize) -> Result<Barrier, SharedMemoryError> {
        Barrier::make(None, parties)
    }

    /// The same with a name shown in reports in every process.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    pub fn named(name: impl Into<String>, parties: usize) -> Result<Barrier, SharedMemoryError> {
        Barrier::make(Some(name.into()), parties)
    }

    fn make(name: Option<String>, parties: usize) -> Result<Barrier, SharedMemoryError> {
        assert!(parties > 0, "parties must be > 0");
        let parties = u32::try_from(parties).expect("at most u32::MAX parties");
        let seg = Segment::create_state::<BarrierState>(Kind::Barrier, name.as_deref())?;
        seg.state::<BarrierState>()
            .parties
            .store(parties, Ordering::Release);
        Ok(Barrier::in_segment(seg))
    }

    fn in_segment(seg: Segment) -> Barrier {
        let name = seg.lock_name();
        Barrier {
            member: Member::join(seg),
            name,
        }
    }

    fn state(&self) -> &BarrierState {
        self.member.state()
    }

    /// Runs `action` once per round, in the last party to arrive (in that party's process),
    /// before any party goes on: Python's `action=`. If it panics, the barrier breaks (every
    /// waiter gets [`BrokenBarrierError`]) and that party's `wait` panics with it.
    ///
    /// The action is a plain function (it has to mean the same in every process: a closure's
    /// captures cannot travel). It is stored in the shared segment: set it before the
    /// barrier is handed to other processes, or at least before a round in which it must run.
    /// It is named by its place in the executable, so a process of another executable that
    /// opens this barrier by name cannot run it: its `wait`, if last, breaks the barrier and
    /// panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use potok::process::Barrier;
    ///
    /// fn tripped() {
    ///     println!("all arrived");
    /// }
    /// let b = Barrier::new(1).unwrap().with_action(tripped);
    /// assert_eq!(b.wait().unwrap(), 0); // prints "all arrived" first
    /// ```
    #[must_use]
    pub fn with_action(self, action: fn()) -> Self {
        let state = self.state();
        let (offset, layout) = task::plain_fn_id(action);
        state.has_action.store(0, Ordering::SeqCst);
        state.action.store(offset as u64, Ordering::SeqCst);
        state.action_layout.store(layout, Ordering::SeqCst);
        state.has_action.store(1, Ordering::SeqCst);
        self
    }

    /// The timeout [`wait`](Self::wait) uses in every process (Python's `timeout=`): when it
    /// passes before all parties have arrived, the barrier breaks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use potok::process::Barrier;
    ///
    /// let b = Barrier::new(2).unwrap().with_timeout(Duration::from_millis(10));
    /// assert!(b.wait().is_err()); // nobody else came: broken after 10 ms
    /// assert!(b.broken());
    /// ```
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX - 1);
        self.state().timeout.store(nanos + 1, Ordering::SeqCst);
        self
    }

    /// The default timeout of [`wait`](Self::wait), if one was set.
    pub fn timeout(&self) -> Option<Duration> {
        match self.state().timeout.load(Ordering::SeqCst) {
            0 => None,
            n => Some(Duration::from_nanos(n - 1)),
        }
    }

    /// The barrier's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many parties must arrive (Python's `parties`).
    pub fn parties(&self) -> usize {
        self.state().parties.load(Ordering::Relaxed) as usize
    }

    /// How many are waiting now (Python's `n_waiting`).
    pub fn n_waiting(&self) -> usize {
        arrived(self.state().phase.load(Ordering::Relaxed)) as usize
    }

    /// Whether it is broken (Python's `broken`).
    pub fn broken(&self) -> bool {
        self.state().broken.load(Ordering::SeqCst) != 0
    }

    fn error(&self) -> BrokenBarrierError {
        BrokenBarrierError {
            barrier: self.name.clone(),
            died: self.state().obituary.read(),
        }
    }

    fn wake_all(&self) {
        let state = self.state();
        state.epoch.fetch_add(1, Ordering::SeqCst);
        futex::wake_all(&state.epoch);
    }

    /// Waits until all parties have arrived; returns this one's arrival index: Python's
    /// `wait()`. With a default timeout ([`with_timeout`](Self::with_timeout)), as
    /// [`wait_timeout`](Self::wait_timeout) with it.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] if the barrier is or gets broken (aborted, reset, a timed-out
    /// wait, a failed action, or a dead party: see [`Barrier`]).
    ///
    /// # Panics
    ///
    /// With the action's panic, in the party that ran it.
    #[track_caller]
    pub fn wait(&self) -> Result<usize, BrokenBarrierError> {
        self.wait_until(self.timeout().and_then(|t| Instant::now().checked_add(t)))
    }

    /// Like [`wait`](Self::wait), for at most `timeout` (instead of the default): when it
    /// passes, the barrier breaks (as in Python) and this returns [`BrokenBarrierError`].
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    ///
    /// # Panics
    ///
    /// As [`wait`](Self::wait).
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BrokenBarrierError> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<usize, BrokenBarrierError> {
        let state = self.state();
        if self.broken() {
            return Err(self.error());
        }
        let resets = state.resets.load(Ordering::SeqCst);
        let parties = state.parties.load(Ordering::Relaxed);
        let acts = state.has_action.load(Ordering::SeqCst) != 0;
        let mut seen = state.phase.load(Ordering::SeqCst);
        let (generation_at_arrival, index) = loop {
            let (g, n) = (generation(seen), arrived(seen));
            if n >= parties {
                // The last party of this round runs the action: wait for the next round.
                self.sleep_until_changed(deadline)?;
                seen = state.phase.load(Ordering::SeqCst);
                continue;
            }
            let next = if n + 1 >= parties && !acts {
                u64::from(g.wrapping_add(1)) << 32
            } else {
                // With an action, the last party counts itself in (n + 1 == parties:
                // "acting") and lets the others go once the action has run.
                (u64::from(g) << 32) | u64::from(n + 1)
            };
            match state
                .phase
                .compare_exchange_weak(seen, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => break (g, n),
                Err(now) => seen = now,
            }
        };
        if index + 1 >= parties {
            if acts {
                self.act(generation_at_arrival);
            }
            self.wake_all();
            return Ok(index as usize);
        }
        let _blocked = Blocked::begin(
            ResourceKind::Barrier,
            &self.name,
            self.member.segment().address(),
            deadline,
        );
        loop {
            let epoch = state.epoch.load(Ordering::SeqCst);
            if generation(state.phase.load(Ordering::SeqCst)) != generation_at_arrival {
                return Ok(index as usize);
            }
            if self.broken() || state.resets.load(Ordering::SeqCst) != resets {
                return Err(self.error());
            }
            let Ok(slice) = futex::next_sleep(SLICE, deadline) else {
                self.abort();
                return Err(self.error());
            };
            futex::wait(&state.epoch, epoch, Some(slice));
            if state.epoch.load(Ordering::SeqCst) == epoch {
                if let Some(dead) = state.members.reap() {
                    state.obituary.record(&dead);
                    self.abort();
                }
            }
        }
    }

    /// Sleeps until the barrier's epoch moves (a round released, a break, a reset) or a slice
    /// passes; `Err` once broken or past the deadline (which breaks it).
    fn sleep_until_changed(&self, deadline: Option<Instant>) -> Result<(), BrokenBarrierError> {
        let state = self.state();
        let epoch = state.epoch.load(Ordering::SeqCst);
        if self.broken() {
            return Err(self.error());
        }
        let Ok(slice) = futex::next_sleep(SLICE, deadline) else {
            self.abort();
            return Err(self.error());
        };
        futex::wait(&state.epoch, epoch, Some(slice));
        Ok(())
    }

    /// The last party's turn, with an action: runs it, then starts the next round (which
    /// releases the others). A panicking action breaks the barrier first.
    fn act(&self, generation_at_arrival: u32) {
        let state = self.state();
        let action = task::plain_fn_at(
            state.action.load(Ordering::SeqCst) as i64,
            state.action_layout.load(Ordering::SeqCst),
        );
        let ran = match action {
            Some(action) => std::panic::catch_unwind(action),
            None => Err(Box::new(format!(
                "process Barrier '{}': its action was set by another executable and cannot \
                 run in this one",
                self.name
            )) as Box<dyn std::any::Any + Send>),
        };
        let next = u64::from(generation_at_arrival.wrapping_add(1)) << 32;
        let acting = (u64::from(generation_at_arrival) << 32)
            | u64::from(state.parties.load(Ordering::Relaxed));
        match ran {
            Ok(()) => {
                // An abort() during the action keeps the others out; a reset() has emptied
                // the round already: leave it so.
                if self.broken() {
                    return;
                }
                let _ =
                    state
                        .phase
                        .compare_exchange(acting, next, Ordering::SeqCst, Ordering::SeqCst);
            }
            Err(panic) => {
                state.broken.store(1, Ordering::SeqCst);
                let _ = state.phase.compare_exchange(
                    acting,
                    u64::from(generation_at_arrival) << 32,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
                self.wake_all();
                std::panic::resume_unwind(panic);
            }
        }
    }

    /// Breaks the barrier: every waiter, and every later `wait` until [`reset`](Self::reset),
    /// gets [`BrokenBarrierError`] (Python's `abort()`).
    pub fn abort(&self) {
        self.state().broken.store(1, Ordering::SeqCst);
        self.wake_all();
    }

    /// Returns the barrier to its first state; the parties waiting now get
    /// [`BrokenBarrierError`] (Python's `reset()`).
    pub fn reset(&self) {
        let state = self.state();
        state.resets.fetch_add(1, Ordering::SeqCst);
        let mut seen = state.phase.load(Ordering::SeqCst);
        loop {
            let next = u64::from(generation(seen)) << 32;
            match state
                .phase
                .compare_exchange_weak(seen, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => break,
                Err(now) => seen = now,
            }
        }
        state.broken.store(0, Ordering::SeqCst);
        self.wake_all();
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("name", &self.name)
            .field("segment", &self.member.segment().name())
            .field("parties", &self.parties())
            .field("n_waiting", &self.n_waiting())
            .field("broken", &self.broken())
            .finish()
    }
}

/// Like Python's repr: `<process Barrier 'start': 1/3 waiting>`.
impl fmt::Display for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<process Barrier '{}': {}/{} waiting",
            self.name,
            self.n_waiting(),
            self.parties()
        )?;
        if self.broken() {
            f.write_str(", broken")?;
        }
        f.write_str(">")
    }
}

/// Travels as its segment's name; the other side opens the same barrier.
impl Serialize for Barrier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.member.segment().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Barrier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seg = super::segment::deserialize_state::<BarrierState, D>(
            deserializer,
            Kind::Barrier,
            "Barrier",
        )?;
        Ok(Barrier::in_segment(seg))
    }
}

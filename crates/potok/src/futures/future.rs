//! [`Future<T>`]: Python's `concurrent.futures.Future`, the result of a submitted task.
//!
//! # States
//!
//! ```text
//!            a worker takes it            the task returns or panics
//! Pending ───────────────────▶ Running ──────────────────────────────▶ Finished(outcome)
//!    │                                                                      ▲
//!    └── cancel(), shutdown(cancel_futures), a broken executor ─────────────┘
//!        (outcome: Cancelled / Broken / Shutdown)
//! ```
//!
//! The state lives in one `parking_lot::Mutex`; waiters sleep on a deadlock-aware wait list,
//! so a thread blocked in [`Future::result`] is part of the wait-for picture: a running
//! future is held by the worker that runs it, and a pending future of a one-worker executor
//! is held by that worker (nobody else can ever run it). A worker waiting for such a future
//! closes a cycle, reported at once by name.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use super::collector::Collector;
use super::error::{FutureError, TaskPanic};
use super::spin::{self, spin_until};
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};
use crate::sync::name::Name;

type Callback<T> = Box<dyn FnOnce(&Future<T>) + Send>;

/// Where a future is in its life (see the module docs).
enum Status<T> {
    Pending,
    /// Run by the thread with this ident.
    Running(u64),
    /// Done; the outcome is `None` only after [`Future::take`] moved it out.
    Finished(Option<Result<T, FutureError>>),
}

struct State<T> {
    status: Status<T>,
    callbacks: Vec<Callback<T>>,
    watchers: Vec<(Arc<Collector>, usize)>,
    /// Waiters asleep with a description that says "pending": the worker that starts the
    /// future wakes them so that they describe it again (as running, by whom).
    pending_sleepers: usize,
}

/// What a future's allocation carries besides its state: the task, until a worker takes it
/// (see `work.rs`), or nothing.
pub(crate) trait Carried: Send + Sync {}

impl<J: Send + Sync> Carried for J {}

/// A future's state, and the task that fills it: one allocation per submitted task, shared by
/// the executor's queue (as a job) and the future's handles.
pub(crate) struct Shared<T, J: ?Sized = dyn Carried> {
    state: Mutex<State<T>>,
    waiters: WaitList,
    name: Name,
    /// The ident of the only thread that could ever run this future while it is pending (the
    /// worker of a one-worker executor), 0 if there is none or several.
    sole_runner: Option<Arc<AtomicU64>>,
    /// Set once finished (after the status, under the lock): a waiter's lock-free check.
    finished: AtomicBool,
    /// Whether a waiter spins for a moment before it parks (not for process tasks: their
    /// worker process needs the CPU more than the waiter).
    spin: bool,
    /// The CPU of the thread expected to finish it (the worker running it, or while pending
    /// the idle worker expected to take it), `NO_CPU` if unknown (see `spin.rs`).
    peer_cpu: AtomicU32,
    /// The CPU of the thread that last began waiting for it, `NO_CPU` if none did: the
    /// worker that finishes it watches that CPU for the next job (see `work.rs`).
    waiter_cpu: AtomicU32,
    /// The task, for the executor's workers.
    pub(crate) job: J,
}

impl<T, J> Shared<T, J> {
    /// A pending future's state carrying `job`; `sole_runner` as on the field.
    pub(crate) fn pending(
        sole_runner: Option<Arc<AtomicU64>>,
        spin: bool,
        peer_cpu: u32,
        job: J,
    ) -> Self {
        Shared {
            state: Mutex::new(State {
                status: Status::Pending,
                callbacks: Vec::new(),
                watchers: Vec::new(),
                pending_sleepers: 0,
            }),
            waiters: WaitList::new(),
            name: Name::new(),
            sole_runner,
            finished: AtomicBool::new(false),
            spin,
            peer_cpu: AtomicU32::new(peer_cpu),
            waiter_cpu: AtomicU32::new(spin::NO_CPU),
            job,
        }
    }
}

/// How long a waiter stays awake, checking, before it parks (and only then registers with the
/// deadlock detector). A short task's result often comes back within a few microseconds, and
/// a parked thread takes tens of microseconds to wake on a busy VM: waiting awake first saves
/// both wake-ups' cost (see `spin.rs`).
const SPIN: Duration = Duration::from_micros(20);

/// How long a waiter first sleeps without telling the deadlock detector (which then hears of
/// a blocked `result()` this much later).
const FIRST_SLEEP: Duration = Duration::from_millis(1);

/// The result of a task that runs elsewhere: Python's `concurrent.futures.Future`.
///
/// A `Future` is a handle: clones share one future (as Python's references share one object).
/// [`wait`](super::wait) and [`as_completed`](super::as_completed) hand out such clones.
///
/// # Examples
///
/// ```
/// use potok::futures::ThreadPoolExecutor;
///
/// let executor = ThreadPoolExecutor::new(2);
/// let future = executor.submit(|| 6 * 7);
/// assert_eq!(future.result(), Ok(42));
/// assert!(future.done());
/// assert!(!future.cancelled());
/// ```
pub struct Future<T> {
    shared: Arc<Shared<T>>,
}

impl<T: Send + 'static> Future<T> {
    /// A handle to the future whose state (and task) `shared` is.
    pub(crate) fn from_shared<J: Carried + 'static>(shared: Arc<Shared<T, J>>) -> Self {
        Future { shared }
    }
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T: Send + 'static> Future<T> {
    /// The future's name in deadlock reports (`Future-3`).
    pub fn name(&self) -> &str {
        self.shared.name.get(ResourceKind::Future)
    }

    /// Whether the future is finished (with a value, an error, or cancelled): Python's `done()`.
    pub fn done(&self) -> bool {
        matches!(self.shared.state.lock().status, Status::Finished(_))
    }

    /// Whether a worker is running it now: Python's `running()`.
    pub fn running(&self) -> bool {
        matches!(self.shared.state.lock().status, Status::Running(_))
    }

    /// Whether it was cancelled: Python's `cancelled()`.
    pub fn cancelled(&self) -> bool {
        matches!(
            self.shared.state.lock().status,
            Status::Finished(Some(Err(FutureError::Cancelled)))
        )
    }

    /// Cancels the future if it has not started: Python's `cancel()`. Returns whether the
    /// future is cancelled now (`true` also if it already was); `false` when it is running or
    /// finished. A cancelled future's callbacks run, and its waiters wake with
    /// [`FutureError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// use potok::futures::{FutureError, ThreadPoolExecutor};
    ///
    /// let executor = ThreadPoolExecutor::new(1);
    /// let gate = std::sync::Arc::new(potok::Event::new());
    /// let open = std::sync::Arc::clone(&gate);
    /// let busy = executor.submit(move || open.wait());
    /// let queued = executor.submit(|| "never runs");
    /// assert!(queued.cancel());
    /// assert_eq!(queued.result(), Err(FutureError::Cancelled));
    /// gate.set();
    /// busy.result().unwrap();
    /// ```
    #[must_use = "cancel() returns false when the future already started"]
    pub fn cancel(&self) -> bool {
        let state = self.shared.state.lock();
        match state.status {
            Status::Pending => {
                self.finish_locked(state, Err(FutureError::Cancelled));
                true
            }
            Status::Running(_) => false,
            Status::Finished(ref outcome) => {
                matches!(outcome, Some(Err(FutureError::Cancelled)))
            }
        }
    }

    /// Waits for the result: Python's `result()`. Clones the value (Python hands every caller
    /// the same object; return an `Arc` from the task for a value that is not `Clone`).
    ///
    /// # Errors
    ///
    /// [`FutureError::Panicked`] if the task panicked, [`FutureError::Cancelled`],
    /// [`FutureError::Broken`] / [`FutureError::Shutdown`] if it never ran,
    /// [`FutureError::WorkerDied`] for a process worker that died.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::DeadlockError) when the wait can never end: a task
    /// waiting for its own future, or for a future that only its own (blocked) worker could
    /// run, or every thread blocked (see [`crate::deadlock`]).
    #[track_caller]
    pub fn result(&self) -> Result<T, FutureError>
    where
        T: Clone,
    {
        self.wait_until(None);
        self.outcome_cloned()
    }

    /// Waits at most `timeout` for the result: Python's `result(timeout)`.
    ///
    /// # Errors
    ///
    /// [`FutureError::Timeout`] if the future is not finished by then (it may still finish);
    /// otherwise as [`result`](Self::result).
    #[track_caller]
    pub fn result_timeout(&self, timeout: Duration) -> Result<T, FutureError>
    where
        T: Clone,
    {
        if !self.wait_until(Instant::now().checked_add(timeout)) {
            return Err(FutureError::Timeout);
        }
        self.outcome_cloned()
    }

    /// Waits for the future without taking its result; with a `timeout`, returns whether it
    /// finished in time.
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Runs `f` with this future once it is finished: at once, on the calling thread, if it
    /// already is; otherwise on the thread that finishes it (the worker, or the canceller).
    /// Python's `add_done_callback`. A callback that panics is reported on stderr and
    /// otherwise ignored, as Python logs and ignores a callback's exception.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use potok::futures::ThreadPoolExecutor;
    ///
    /// let executor = ThreadPoolExecutor::new(1);
    /// let (tx, rx) = mpsc::channel();
    /// let future = executor.submit(|| 5);
    /// future.add_done_callback(move |f| tx.send(f.result()).unwrap());
    /// assert_eq!(rx.recv().unwrap(), Ok(5));
    /// ```
    pub fn add_done_callback(&self, f: impl FnOnce(&Future<T>) + Send + 'static) {
        {
            let mut state = self.shared.state.lock();
            if !matches!(state.status, Status::Finished(_)) {
                state.callbacks.push(Box::new(f));
                return;
            }
        }
        self.run_callback(Box::new(f));
    }

    fn run_callback(&self, f: Callback<T>) {
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
            let why = TaskPanic::from_payload(&*payload, crate::thread::take_panic_location());
            eprintln!("exception calling callback for {self:?}: {}", why.message());
        }
    }

    fn outcome_cloned(&self) -> Result<T, FutureError>
    where
        T: Clone,
    {
        match &self.shared.state.lock().status {
            Status::Finished(Some(outcome)) => outcome.clone(),
            Status::Finished(None) => unreachable!("a future whose value was moved out is private"),
            _ => unreachable!("waited until finished"),
        }
    }

    /// Waits, then moves the outcome out: for futures no one else can see (`map`'s).
    #[track_caller]
    pub(crate) fn take(self) -> Result<T, FutureError> {
        self.wait_until(None);
        match &mut self.shared.state.lock().status {
            Status::Finished(outcome) => outcome.take().expect("taken once"),
            _ => unreachable!("waited until finished"),
        }
    }

    /// Moves the outcome out of a finished future (in its done callback, say): for futures no
    /// one else can see.
    pub(crate) fn take_finished(&self) -> Result<T, FutureError> {
        match &mut self.shared.state.lock().status {
            Status::Finished(outcome) => outcome.take().expect("taken once"),
            _ => unreachable!("take_finished on a future that is not finished"),
        }
    }

    /// `Some(true)` when finished with a value, `Some(false)` when finished otherwise, `None`
    /// while not finished.
    pub(crate) fn succeeded(&self) -> Option<bool> {
        match &self.shared.state.lock().status {
            Status::Finished(Some(outcome)) => Some(outcome.is_ok()),
            Status::Finished(None) => Some(true),
            _ => None,
        }
    }

    /// A pending future that no executor runs: finished by whoever holds a clone (an
    /// assembly of several futures' results, say).
    pub(crate) fn detached() -> Self {
        Future::from_shared(Arc::new(Shared::pending(None, false, spin::NO_CPU, ())))
    }

    /// Waits until finished or `deadline`; returns whether it is finished.
    #[track_caller]
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> bool {
        if self.shared.finished.load(Ordering::Acquire) {
            return true;
        }
        if self.shared.spin {
            self.shared.waiter_cpu.store(spin::cpu(), Ordering::Relaxed);
        }
        if self.shared.spin
            && spin_until(SPIN, deadline, &self.shared.peer_cpu, || {
                self.shared.finished.load(Ordering::Acquire)
            })
        {
            return true;
        }
        let mut state = self.shared.state.lock();
        if self.shared.spin && !matches!(state.status, Status::Finished(_)) {
            // A short sleep first, unknown to the deadlock detector (a timed wait): most
            // results come within it, and the worker that starts the task need not wake this
            // thread to have it describe its wait again (see `set_running`).
            let first = Instant::now() + FIRST_SLEEP;
            let until = deadline.map_or(first, |d| d.min(first));
            state = self.sleep_until(state, until);
            if matches!(state.status, Status::Finished(_)) {
                return true;
            }
        }
        let me = crate::thread::current_ident_fast();
        loop {
            let (detail, owner) = match state.status {
                Status::Finished(_) => return true,
                Status::Running(worker) => ("running", Owner::Thread(worker)),
                Status::Pending => {
                    let sole = self
                        .shared
                        .sole_runner
                        .as_ref()
                        .map_or(0, |s| s.load(Ordering::Acquire));
                    if sole == me {
                        ("pending; only this thread could run it", Owner::Thread(me))
                    } else {
                        ("pending", Owner::Nobody)
                    }
                }
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            let what = Wait {
                kind: ResourceKind::Future,
                name: self.name(),
                detail: Some(detail),
                resource: Arc::as_ptr(&self.shared) as *const () as usize,
                owner,
            };
            let pending = matches!(state.status, Status::Pending);
            state.pending_sleepers += usize::from(pending);
            let (guard, result) = self.shared.waiters.wait(state, &what, deadline);
            state = guard;
            state.pending_sleepers -= usize::from(pending);
            if let Err(err) = result {
                drop(state);
                crate::deadlock::fail(err);
            }
        }
    }

    /// Sleeps (a timed wait, not seen by the deadlock detector) until the future is finished
    /// or `until` passes.
    fn sleep_until<'a>(
        &'a self,
        mut state: MutexGuard<'a, State<T>>,
        until: Instant,
    ) -> MutexGuard<'a, State<T>> {
        let what = Wait {
            kind: ResourceKind::Future,
            name: self.name(),
            detail: None,
            resource: Arc::as_ptr(&self.shared) as *const () as usize,
            owner: Owner::Nobody,
        };
        while !matches!(state.status, Status::Finished(_)) && Instant::now() < until {
            state = self.shared.waiters.wait(state, &what, Some(until)).0;
        }
        state
    }

    /// A worker takes the future: `Pending -> Running`; false if it is no longer pending
    /// (cancelled).
    pub(crate) fn set_running(&self) -> bool {
        let mut state = self.shared.state.lock();
        if !matches!(state.status, Status::Pending) {
            return false;
        }
        state.status = Status::Running(crate::thread::current_ident_fast());
        let describe_again = state.pending_sleepers > 0;
        drop(state);
        if self.shared.spin {
            self.shared.peer_cpu.store(spin::cpu(), Ordering::Relaxed);
        }
        // Waiters asleep describe what they wait for by state (who runs it): let them look
        // again. Those in their first short sleep describe nothing to the detector yet.
        if describe_again {
            self.shared.waiters.notify_all();
        }
        true
    }

    /// Finishes the future with `outcome` unless it already is; returns whether it did.
    pub(crate) fn finish(&self, outcome: Result<T, FutureError>) -> bool {
        let state = self.shared.state.lock();
        if matches!(state.status, Status::Finished(_)) {
            return false;
        }
        self.finish_locked(state, outcome);
        true
    }

    fn finish_locked(&self, mut state: MutexGuard<'_, State<T>>, outcome: Result<T, FutureError>) {
        let failed = matches!(&outcome, Err(e) if !e.is_cancelled());
        state.status = Status::Finished(Some(outcome));
        self.shared.finished.store(true, Ordering::Release);
        let callbacks = std::mem::take(&mut state.callbacks);
        let watchers = std::mem::take(&mut state.watchers);
        drop(state);
        self.shared.waiters.notify_all();
        for (collector, index) in watchers {
            collector.push(index, failed);
        }
        for f in callbacks {
            self.run_callback(f);
        }
    }

    /// Registers `collector` to hear of this future's end as `index`: `Ok(())` when
    /// registered, `Err(failed)` when the future is already finished (`failed`: with an error
    /// other than a cancellation).
    pub(crate) fn watch(&self, collector: &Arc<Collector>, index: usize) -> Result<(), bool> {
        let mut state = self.shared.state.lock();
        match &state.status {
            Status::Finished(outcome) => Err(matches!(outcome, Some(Err(e)) if !e.is_cancelled())),
            _ => {
                state.watchers.push((Arc::clone(collector), index));
                Ok(())
            }
        }
    }

    /// Removes `collector` from the future's watchers (after a wait).
    pub(crate) fn unwatch(&self, collector: &Arc<Collector>) {
        let mut state = self.shared.state.lock();
        state.watchers.retain(|(c, _)| !Arc::ptr_eq(c, collector));
    }

    /// Whether it is finished, without taking its lock (see `Shared::finished`).
    pub(crate) fn finished(&self) -> bool {
        self.shared.finished.load(Ordering::Acquire)
    }

    /// The CPU of the thread that last began waiting for it (see `Shared::waiter_cpu`).
    pub(crate) fn waiter_cpu(&self) -> u32 {
        self.shared.waiter_cpu.load(Ordering::Relaxed)
    }

    /// Whether its waiters wait awake a moment before they park.
    pub(crate) fn spins(&self) -> bool {
        self.shared.spin
    }

    /// The shared state's address: a future's identity.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.shared) as *const () as usize
    }
}

/// Like Python's repr: `<Future 'Future-3' state=running>`.
impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.shared.state.lock().status {
            Status::Pending => "pending",
            Status::Running(_) => "running",
            Status::Finished(Some(Err(FutureError::Cancelled))) => "cancelled",
            Status::Finished(Some(Err(_))) => "finished with an error",
            Status::Finished(_) => "finished",
        };
        let name = self.shared.name.get(ResourceKind::Future);
        write!(f, "<Future '{name}' state={state}>")
    }
}

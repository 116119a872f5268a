//! The executor's insides: the work queue, its workers, and jobs (a task with its future).
//!
//! # Workers
//!
//! Started as Python starts them: a submit that finds more queued jobs than workers without a
//! job starts one more worker (named `{prefix}_{i}`), up to `max_workers`; otherwise an idle
//! worker is woken. A worker counts itself idle again *before* it finishes its future, so a
//! submit made after a `result()` returned always finds it (idle workers are reused, never
//! doubled by that race). Workers are potok threads (daemon: a leaked executor does not keep
//! the program alive), and an idle worker waits on a deadlock-aware wait list like any potok
//! primitive, so they are part of every stall check.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::error::{FutureError, TaskPanic};
use super::future::{Future, Shared};
use super::spin::{self, spin_until};
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};
use crate::Thread;

/// A task and its future, type-erased for the queue: the future's own allocation
/// ([`Shared`] carrying the task), so a submit allocates once.
pub(crate) trait Job: Send + Sync {
    /// Runs the task unless its future was cancelled, calling `before_finish` exactly once,
    /// before the future finishes (or at once if it does not run). Returns the CPU of the
    /// thread that waited for the future (`NO_CPU` if none did; see `spin.rs`).
    fn run(self: Arc<Self>, before_finish: &mut dyn FnMut()) -> u32;
    /// Finishes the future with `err` without running the task (if it is still pending).
    fn fail(self: Arc<Self>, err: FutureError);
}

/// A task `f` whose value fills its future.
pub(crate) struct Task<F>(Mutex<Option<F>>);

/// A task whose own result may be a [`FutureError`] (a process pool's task, handed over by a
/// feeder thread): its future holds the flattened outcome.
pub(crate) struct FallibleTask<F>(Mutex<Option<F>>);

impl<F> Task<F> {
    pub(crate) fn new(f: F) -> Self {
        Task(Mutex::new(Some(f)))
    }
}

impl<F> FallibleTask<F> {
    pub(crate) fn new(f: F) -> Self {
        FallibleTask(Mutex::new(Some(f)))
    }
}

/// The outcome of a task that panicked.
fn panicked<T>(payload: &(dyn std::any::Any + Send)) -> Result<T, FutureError> {
    let location = crate::thread::take_panic_location();
    Err(FutureError::Panicked(Box::new(TaskPanic::from_payload(
        payload, location,
    ))))
}

impl<F, T> Job for Shared<T, Task<F>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Arc<Self>, before_finish: &mut dyn FnMut()) -> u32 {
        let f = self.job.0.lock().take();
        let future = Future::from_shared(self);
        let Some(f) = f.filter(|_| future.set_running()) else {
            before_finish();
            return spin::NO_CPU;
        };
        // The future's name is made only when a trace records it.
        let span = crate::trace::on()
            .then(|| crate::trace::span(crate::trace::Cat::Task, "Future", future.name(), 0));
        let outcome = panic::catch_unwind(AssertUnwindSafe(f)).or_else(|p| panicked(&*p));
        drop(span);
        before_finish();
        future.finish(outcome);
        future.waiter_cpu()
    }

    fn fail(self: Arc<Self>, err: FutureError) {
        drop(self.job.0.lock().take());
        Future::from_shared(self).finish(err_of(err));
    }
}

impl<F, T> Job for Shared<T, FallibleTask<F>>
where
    F: FnOnce() -> Result<T, FutureError> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Arc<Self>, before_finish: &mut dyn FnMut()) -> u32 {
        let f = self.job.0.lock().take();
        let future = Future::from_shared(self);
        let Some(f) = f.filter(|_| future.set_running()) else {
            before_finish();
            return spin::NO_CPU;
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| panicked(&*p));
        before_finish();
        future.finish(outcome);
        future.waiter_cpu()
    }

    fn fail(self: Arc<Self>, err: FutureError) {
        drop(self.job.0.lock().take());
        Future::from_shared(self).finish(err_of(err));
    }
}

fn err_of<T>(err: FutureError) -> Result<T, FutureError> {
    Err(err)
}

/// The executor's state, under [`Pool::state`].
pub(crate) struct PoolState {
    pub(crate) queue: VecDeque<Arc<dyn Job>>,
    /// Every worker started, to join at shutdown.
    pub(crate) threads: Vec<Thread>,
    pub(crate) shutdown: bool,
    /// Why the executor is broken, once it is.
    pub(crate) broken: Option<String>,
}

/// What the executor and its workers share.
pub(crate) struct Pool {
    pub(crate) state: Mutex<PoolState>,
    /// Workers without a job (waiting, or about to take one). Taken down under the state's
    /// lock when a worker takes a job; put back without it, by the worker, just before it
    /// finishes the job's future (so a submit that follows a `result()` sees it).
    pub(crate) idle: AtomicUsize,
    /// Idle workers wait here.
    pub(crate) work: WaitList,
    pub(crate) max_workers: usize,
    pub(crate) prefix: String,
    pub(crate) initializer: Option<Arc<dyn Fn() + Send + Sync>>,
    /// The ident of the only worker of a one-worker executor (see `Future`'s docs).
    pub(crate) sole_runner: Option<Arc<AtomicU64>>,
    /// `state.queue.len()`, written under the lock, read without it by a worker that waits
    /// awake for a moment before it parks.
    pub(crate) queued: AtomicUsize,
    /// Whether idle workers, and waiters for this executor's futures, spin a moment before
    /// they park (off for a process pool's feeders).
    pub(crate) spin: bool,
    /// The CPU of the last worker that began watching for work.
    pub(crate) watch_cpu: AtomicU32,
    /// Workers watching for work awake (see `watch_for_work`): a submit need not wake a
    /// parked worker for a job one of them will take.
    pub(crate) watching: AtomicUsize,
    /// The deadlock detector's family of the thread that made the executor (see
    /// `deadlock/family.rs`): whoever submits work joins it.
    pub(crate) family: u64,
}

/// How long an idle worker stays awake, watching for work, before it parks (a submit right
/// after a result then needs no wake-up; see `spin.rs`).
const IDLE_SPIN: Duration = Duration::from_micros(20);

/// Takes a watcher off [`Pool::watching`] when it stops watching.
struct Unwatch<'a>(&'a AtomicUsize);

impl Drop for Unwatch<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("prefix", &self.prefix)
            .field("max_workers", &self.max_workers)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Queues `job`, starting or waking a worker; gives the job back if the executor no longer
    /// takes work, with the reason.
    pub(crate) fn push(
        self: &Arc<Self>,
        job: Arc<dyn Job>,
    ) -> Result<(), (Arc<dyn Job>, FutureError)> {
        // The job may carry anything the submitter can reach to the workers.
        crate::deadlock::family::handoff(self.family);
        let mut state = self.state.lock();
        if let Some(why) = &state.broken {
            let why = why.clone();
            return Err((job, FutureError::Broken(why)));
        }
        if state.shutdown {
            return Err((job, FutureError::Shutdown));
        }
        state.queue.push_back(job);
        self.queued.store(state.queue.len(), Ordering::Release);
        let start = state.queue.len() > self.idle.load(Ordering::Acquire)
            && state.threads.len() < self.max_workers;
        if !start {
            // A worker watching awake takes the job without a wake-up; it looks at the queue
            // again, under the lock, before it parks.
            let wake = state.queue.len() > self.watching.load(Ordering::SeqCst);
            drop(state);
            if wake {
                self.work.notify_one();
            }
            return Ok(());
        }
        let index = state.threads.len();
        self.idle.fetch_add(1, Ordering::AcqRel);
        let name = format!("{}_{index}", self.prefix);
        let pool = Arc::clone(self);
        let spawned = crate::Builder::new()
            .name(name)
            .daemon(true)
            .spawn(move || pool.worker());
        match spawned {
            Ok(handle) => {
                state.threads.push(handle.thread().clone());
                Ok(())
            }
            Err(e) => {
                self.idle.fetch_sub(1, Ordering::AcqRel);
                if state.threads.is_empty() {
                    // Nobody will ever run what is queued.
                    self.queued.store(0, Ordering::Release);
                    let jobs: Vec<_> = state.queue.drain(..).collect();
                    drop(state);
                    let why = format!("could not start a worker thread: {e}");
                    for job in jobs {
                        job.fail(FutureError::Broken(why.clone()));
                    }
                }
                Ok(())
            }
        }
    }

    fn worker(self: Arc<Self>) {
        if let Some(sole) = &self.sole_runner {
            sole.store(crate::thread::current_ident_fast(), Ordering::Release);
        }
        if let Some(init) = &self.initializer {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| init())) {
                let why = TaskPanic::from_payload(&*payload, crate::thread::take_panic_location());
                self.initializer_failed(&why);
                return;
            }
        }
        let what = Wait {
            kind: ResourceKind::Queue,
            name: &self.prefix,
            detail: Some("no work"),
            resource: Arc::as_ptr(&self) as usize,
            owner: Owner::Nobody,
        };
        let mut state = self.state.lock();
        let mut spun = false;
        // Where the waiter for the last job's future runs: it submits the next job, likely.
        let waiter = AtomicU32::new(spin::NO_CPU);
        loop {
            if let Some(job) = state.queue.pop_front() {
                self.queued.store(state.queue.len(), Ordering::Release);
                self.idle.fetch_sub(1, Ordering::AcqRel);
                drop(state);
                let cpu = job.run(&mut || {
                    self.idle.fetch_add(1, Ordering::AcqRel);
                });
                waiter.store(cpu, Ordering::Relaxed);
                // Idle again: watch for the next job before parking.
                spun = false;
                state = self.state.lock();
                continue;
            }
            if state.shutdown || state.broken.is_some() {
                self.idle.fetch_sub(1, Ordering::AcqRel);
                return;
            }
            if !spun && self.spin {
                spun = true;
                drop(state);
                self.watch_for_work(&waiter);
                state = self.state.lock();
                continue;
            }
            spun = false;
            let (guard, result) = self.work.wait(state, &what, None);
            state = guard;
            if let Err(err) = result {
                drop(state);
                crate::deadlock::fail(err);
            }
        }
    }

    /// Waits awake up to [`IDLE_SPIN`] for a job to be queued.
    /// Waits awake up to [`IDLE_SPIN`] for a job to be queued. `waiter` is where the thread
    /// that waited for the last job's result runs (it likely submits the next job), `NO_CPU`
    /// if nobody waited (see `spin.rs`).
    fn watch_for_work(&self, waiter: &AtomicU32) {
        self.watch_cpu.store(spin::cpu(), Ordering::Relaxed);
        self.watching.fetch_add(1, Ordering::SeqCst);
        let _done = Unwatch(&self.watching);
        let queued = || self.queued.load(Ordering::Acquire) != 0;
        if waiter.load(Ordering::Relaxed) == spin::NO_CPU {
            spin::spin_then_yield(IDLE_SPIN, None, queued);
        } else {
            spin_until(IDLE_SPIN, None, waiter, queued);
        }
    }

    /// Python's `_initializer_failed`: the executor breaks, and queued work fails.
    fn initializer_failed(&self, why: &TaskPanic) {
        let text = format!(
            "the initializer panicked in thread '{}'{}: {}",
            why.thread(),
            why.location()
                .map(|l| format!(" at {l}"))
                .unwrap_or_default(),
            why.message()
        );
        eprintln!("potok: {text}; the executor {} is broken", self.prefix);
        let jobs: Vec<_> = {
            let mut state = self.state.lock();
            self.idle.fetch_sub(1, Ordering::AcqRel);
            state.broken.get_or_insert(text.clone());
            self.queued.store(0, Ordering::Release);
            state.queue.drain(..).collect()
        };
        self.work.notify_all();
        for job in jobs {
            job.fail(FutureError::Broken(text.clone()));
        }
    }

    /// Python's `shutdown(wait, cancel_futures)`.
    #[track_caller]
    pub(crate) fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let (cancelled, threads) = {
            let mut state = self.state.lock();
            state.shutdown = true;
            let cancelled: Vec<_> = if cancel_futures {
                self.queued.store(0, Ordering::Release);
                state.queue.drain(..).collect()
            } else {
                Vec::new()
            };
            (cancelled, state.threads.clone())
        };
        self.work.notify_all();
        for job in cancelled {
            job.fail(FutureError::Cancelled);
        }
        if wait {
            let me = crate::thread::current_ident_fast();
            for thread in threads {
                // A worker that drops the last handle to its own executor does not join itself.
                if thread.ident() != me {
                    let _ = thread.join();
                }
            }
        }
    }
}

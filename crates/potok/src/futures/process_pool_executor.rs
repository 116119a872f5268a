//! [`ProcessPoolExecutor`]: Python's `concurrent.futures.ProcessPoolExecutor`, over
//! [`process::Pool`](crate::process::Pool).
//!
//! # How it is built
//!
//! Only on the pool's public API. Each submitted task is handed to the pool by a *feeder*:
//! one of `max_workers` potok threads (a [`ThreadPoolExecutor`] named
//! `ProcessPoolExecutor-N_i`) that calls the pool's `apply` and finishes the future. So at most
//! `max_workers` tasks are in the pool at once (Python keeps `max_workers + 1` in its call
//! queue), and a future whose task has not reached the pool yet can still be cancelled, as in
//! Python. A feeder costs one thread hop per task beside the process round trip.

use std::fmt;
use std::sync::Arc;

use super::error::{FutureError, TaskPanic};
use super::future::Future;
use super::thread_pool_executor::ThreadPoolExecutor;
use crate::process::{Data, MapError, Pool, StartError, TaskError, TaskErrorKind};

/// Python's class counter for executor names (`ProcessPoolExecutor-N`).
static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs `fn(T) -> R` tasks in worker processes and hands back [`Future`]s: Python's
/// `concurrent.futures.ProcessPoolExecutor`.
///
/// Tasks are plain functions with serde arguments and results (see
/// [`process::Pool`](crate::process::Pool)); the program must start with
/// [`potok::main`](crate::main) or [`process::init`](crate::process::init), since workers are
/// this executable started again.
///
/// A worker that dies (killed, crashed, aborted) fails **its own** future with
/// [`FutureError::WorkerDied`]; the pool replaces it and the other futures go on. Python
/// marks the whole executor broken instead (`BrokenProcessPool`).
///
/// # Examples
///
/// ```
/// use potok::futures::ProcessPoolExecutor;
///
/// fn cube(x: u64) -> u64 {
///     x * x * x
/// }
///
/// # fn main() {
/// potok::process::init();
/// let executor = ProcessPoolExecutor::new(2).unwrap();
/// let future = executor.submit(cube, 3);
/// assert_eq!(future.result(), Ok(27));
/// let cubes: Vec<u64> = executor.map(cube, 1..=4, 2).map(Result::unwrap).collect();
/// assert_eq!(cubes, [1, 8, 27, 64]);
/// # }
/// ```
pub struct ProcessPoolExecutor {
    pool: Arc<Pool>,
    feeders: ThreadPoolExecutor,
}

/// Sets up a [`ProcessPoolExecutor`]: Python's `ProcessPoolExecutor(max_workers, initializer,
/// initargs, max_tasks_per_child)`.
#[must_use = "a builder does nothing until build() is called"]
pub struct ProcessPoolExecutorBuilder {
    max_workers: Option<usize>,
    pool: crate::process::PoolBuilder,
}

impl fmt::Debug for ProcessPoolExecutorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessPoolExecutorBuilder")
            .field("max_workers", &self.max_workers)
            .field("pool", &self.pool)
            .finish()
    }
}

impl ProcessPoolExecutorBuilder {
    /// The number of worker processes (default: [`cpu_count`](crate::process::cpu_count)).
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Runs `f(arg)` in every worker process when it starts (Python's `initializer`,
    /// `initargs`).
    pub fn initializer<T: Data>(mut self, f: fn(T), arg: T) -> Self {
        self.pool = self.pool.initializer(f, arg);
        self
    }

    /// Replaces a worker process after it ran `n` tasks (Python's `max_tasks_per_child`).
    pub fn max_tasks_per_child(mut self, n: usize) -> Self {
        self.pool = self.pool.maxtasksperchild(n);
        self
    }

    /// Starts the worker processes.
    ///
    /// # Errors
    ///
    /// The pool's [`StartError`]: a worker could not be started, or its initializer failed
    /// (Python reports the latter as `BrokenProcessPool` on the first future).
    ///
    /// # Panics
    ///
    /// If `max_workers` is 0 (Python's `ValueError`).
    pub fn build(self) -> Result<ProcessPoolExecutor, StartError> {
        let n = self.max_workers.unwrap_or_else(crate::process::cpu_count);
        assert!(n > 0, "max_workers must be greater than 0");
        let pool = self.pool.processes(n).build()?;
        let feeders = ThreadPoolExecutor::builder()
            .max_workers(n)
            .thread_name_prefix(format!(
                "ProcessPoolExecutor-{}",
                COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ))
            .no_spin()
            .build();
        Ok(ProcessPoolExecutor {
            pool: Arc::new(pool),
            feeders,
        })
    }
}

impl ProcessPoolExecutor {
    /// An executor of `max_workers` worker processes, started now.
    ///
    /// # Errors
    ///
    /// As [`ProcessPoolExecutorBuilder::build`].
    pub fn new(max_workers: usize) -> Result<Self, StartError> {
        Self::builder().max_workers(max_workers).build()
    }

    /// A builder, for `max_workers`, `initializer` and `max_tasks_per_child`.
    pub fn builder() -> ProcessPoolExecutorBuilder {
        ProcessPoolExecutorBuilder {
            max_workers: None,
            pool: Pool::builder(),
        }
    }

    /// The worker processes' ids.
    pub fn pids(&self) -> Vec<u32> {
        self.pool.pids()
    }

    /// Schedules `f(arg)` in a worker process: Python's `submit(fn, arg)`. After
    /// [`shutdown`](Self::shutdown) the future is already finished with
    /// [`FutureError::Shutdown`].
    pub fn submit<T: Data, R: Data>(&self, f: fn(T) -> R, arg: T) -> Future<R> {
        let pool = Arc::clone(&self.pool);
        self.feeders
            .submit_fallible(move || pool.apply(f, arg).map_err(from_map_error))
    }

    /// Applies `f` to every item in the worker processes, `chunksize` items per message, and
    /// yields the results in input order: Python's `map(fn, items, chunksize=...)`. The items
    /// are sent at once (as Python does).
    pub fn map<T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
        chunksize: usize,
    ) -> impl Iterator<Item = Result<R, FutureError>> {
        // Every item is read and queued at once (an unbounded window), as Python's map does.
        let items: Vec<T> = items.into_iter().collect();
        let results = self
            .pool
            .imap_window(f, items, chunksize.max(1), usize::MAX);
        let (results, closed) = match results {
            Ok(it) => (Some(it), false),
            Err(_) => (None, true),
        };
        results
            .into_iter()
            .flatten()
            .map(|r| r.map_err(from_task_error))
            .chain(closed.then_some(Err(FutureError::Shutdown)))
    }

    /// Stops taking work: Python's `shutdown(wait, cancel_futures)`. Tasks not yet handed to
    /// a worker are cancelled with `cancel_futures`; with `wait`, returns once the running
    /// tasks are done and the worker processes have exited.
    #[track_caller]
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.feeders.shutdown(wait, cancel_futures);
        if wait {
            self.pool.close();
            let _ = self.pool.join();
        }
    }
}

/// Waits for the work and the workers, as Python's `with` block does at its end.
impl Drop for ProcessPoolExecutor {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for ProcessPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessPoolExecutor")
            .field("pool", &self.pool)
            .field("feeders", &self.feeders)
            .finish()
    }
}

fn from_map_error(err: MapError) -> FutureError {
    match err {
        MapError::Task(task) => from_task_error(task),
        MapError::Closed => FutureError::Shutdown,
    }
}

fn from_task_error(err: TaskError) -> FutureError {
    match err.kind() {
        TaskErrorKind::Panicked(message) => FutureError::Panicked(Box::new(TaskPanic {
            message: message.clone(),
            location: None,
            thread: "a worker process".to_owned(),
            deadlock: None,
        })),
        TaskErrorKind::WorkerDied(exit) => FutureError::WorkerDied(exit.to_string()),
        TaskErrorKind::Terminated => FutureError::Shutdown,
        TaskErrorKind::PoolBroken(why) => FutureError::Broken(why.clone()),
        _ => FutureError::Other(err.to_string()),
    }
}

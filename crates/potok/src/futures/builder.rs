//! [`ThreadPoolExecutorBuilder`]: Python's `ThreadPoolExecutor(max_workers,
//! thread_name_prefix, initializer)`.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::thread_pool_executor::ThreadPoolExecutor;
use super::work::{Pool, PoolState};
use crate::deadlock::WaitList;

/// Python's class-level counter behind `ThreadPoolExecutor-N` (the first is 0).
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Sets up a [`ThreadPoolExecutor`].
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let started = Arc::new(AtomicUsize::new(0));
/// let count = Arc::clone(&started);
/// let executor = potok::futures::ThreadPoolExecutor::builder()
///     .max_workers(2)
///     .thread_name_prefix("fetch")
///     .initializer(move || { count.fetch_add(1, Ordering::SeqCst); })
///     .build();
/// let name = executor.submit(|| potok::current_thread().name().to_owned()).result().unwrap();
/// assert_eq!(name, "fetch_0");
/// assert_eq!(started.load(Ordering::SeqCst), 1);
/// ```
#[must_use = "a builder does nothing until build() is called"]
#[derive(Default)]
pub struct ThreadPoolExecutorBuilder {
    max_workers: Option<usize>,
    prefix: Option<String>,
    initializer: Option<Arc<dyn Fn() + Send + Sync>>,
    no_spin: bool,
}

impl fmt::Debug for ThreadPoolExecutorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolExecutorBuilder")
            .field("max_workers", &self.max_workers)
            .field("thread_name_prefix", &self.prefix)
            .field("initializer", &self.initializer.is_some())
            .finish()
    }
}

/// Python's default `max_workers`: `min(32, os.cpu_count() + 4)`.
pub(crate) fn default_max_workers() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    (cpus + 4).min(32)
}

impl ThreadPoolExecutorBuilder {
    /// Python's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most workers the executor starts (default `min(32, cpu_count + 4)`).
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// The prefix of the workers' names, `{prefix}_{i}` (default `ThreadPoolExecutor-N`).
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Runs `f` at the start of every worker. If it panics, the executor is broken: queued
    /// and later futures fail with [`FutureError::Broken`](super::FutureError::Broken), as
    /// Python's `BrokenThreadPool`.
    pub fn initializer(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.initializer = Some(Arc::new(f));
        self
    }

    /// No spinning before parking, for waiters or idle workers (a process pool's feeders).
    pub(crate) fn no_spin(mut self) -> Self {
        self.no_spin = true;
        self
    }

    /// The executor. No worker starts before the first submit.
    ///
    /// # Panics
    ///
    /// If `max_workers` is 0 (Python's `ValueError`).
    pub fn build(self) -> ThreadPoolExecutor {
        let max_workers = self.max_workers.unwrap_or_else(default_max_workers);
        assert!(max_workers > 0, "max_workers must be greater than 0");
        let prefix = self.prefix.unwrap_or_else(|| {
            format!(
                "ThreadPoolExecutor-{}",
                COUNTER.fetch_add(1, Ordering::Relaxed)
            )
        });
        ThreadPoolExecutor::from_pool(Pool {
            state: Mutex::new(PoolState {
                queue: VecDeque::new(),
                threads: Vec::new(),
                shutdown: false,
                broken: None,
            }),
            idle: AtomicUsize::new(0),
            work: WaitList::new(),
            max_workers,
            prefix,
            initializer: self.initializer,
            sole_runner: (max_workers == 1).then(|| Arc::new(AtomicU64::new(0))),
            queued: AtomicUsize::new(0),
            spin: !self.no_spin,
            watch_cpu: AtomicU32::new(super::spin::NO_CPU),
            watching: AtomicUsize::new(0),
            family: crate::deadlock::family::current(),
        })
    }
}

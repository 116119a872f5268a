//! [`ThreadPoolExecutor`]: Python's `concurrent.futures.ThreadPoolExecutor`.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::builder::ThreadPoolExecutorBuilder;
use super::error::{FutureError, TaskPanic};
use super::future::{Future, Shared};
use super::map::{Chunk, Map};
use super::work::{FallibleTask, Job, Pool, Task};

/// A pool of potok threads that runs closures and hands back [`Future`]s: Python's
/// `concurrent.futures.ThreadPoolExecutor`.
///
/// Workers are named `{prefix}_{i}` (`ThreadPoolExecutor-0_0`, ...), started when work
/// arrives and no idle worker can take it, up to `max_workers`, and reused while idle. They
/// are registered potok threads: named in deadlock reports, listed by
/// [`enumerate`](crate::enumerate). Dropping the executor waits for the queued work and the
/// workers, as leaving Python's `with ThreadPoolExecutor() as ex:` block does.
///
/// A task that waits for another task's future of the same one-worker executor (Python's
/// documented executor deadlock) gets a [`DeadlockError`](crate::DeadlockError) naming the
/// worker and the future instead of hanging; its own future fails with it.
///
/// # Examples
///
/// ```
/// use potok::futures::ThreadPoolExecutor;
///
/// let executor = ThreadPoolExecutor::new(4);
/// let squares: Vec<u64> = executor.map(|x: u64| x * x, 1..=5).map(Result::unwrap).collect();
/// assert_eq!(squares, [1, 4, 9, 16, 25]);
/// let name = executor.submit(|| potok::current_thread().name().to_owned());
/// assert!(name.result().unwrap().starts_with("ThreadPoolExecutor-"));
/// ```
pub struct ThreadPoolExecutor {
    pool: Arc<Pool>,
}

impl ThreadPoolExecutor {
    /// An executor of at most `max_workers` threads, with Python's other defaults.
    ///
    /// # Panics
    ///
    /// If `max_workers` is 0 (Python's `ValueError`).
    pub fn new(max_workers: usize) -> Self {
        ThreadPoolExecutor::builder()
            .max_workers(max_workers)
            .build()
    }

    /// A builder, for `max_workers` (default `min(32, cpu_count + 4)`, as Python),
    /// `thread_name_prefix` (default `ThreadPoolExecutor-N`) and `initializer`.
    pub fn builder() -> ThreadPoolExecutorBuilder {
        ThreadPoolExecutorBuilder::new()
    }

    pub(crate) fn from_pool(pool: Pool) -> Self {
        ThreadPoolExecutor {
            pool: Arc::new(pool),
        }
    }

    /// The most workers it starts.
    pub fn max_workers(&self) -> usize {
        self.pool.max_workers
    }

    /// The prefix of its workers' names.
    pub fn thread_name_prefix(&self) -> &str {
        &self.pool.prefix
    }

    /// The workers started so far (they stay until shutdown).
    pub fn threads(&self) -> Vec<crate::Thread> {
        self.pool.state.lock().threads.clone()
    }

    /// Schedules `f` and returns its [`Future`]: Python's `submit(fn)`.
    ///
    /// Python raises at `submit` on a shut-down or broken executor; here the future comes
    /// back already finished with [`FutureError::Shutdown`](super::FutureError::Shutdown) or
    /// [`FutureError::Broken`](super::FutureError::Broken), so `submit(f).result()` reports it.
    ///
    /// # Examples
    ///
    /// ```
    /// let executor = potok::futures::ThreadPoolExecutor::new(1);
    /// assert_eq!(executor.submit(|| "hello").result(), Ok("hello"));
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.queue(Task::new(f))
    }

    /// [`submit`](Self::submit) for a task whose result may be an error: the future holds it
    /// flattened.
    pub(crate) fn submit_fallible<F, T>(&self, f: F) -> Future<T>
    where
        F: FnOnce() -> Result<T, FutureError> + Send + 'static,
        T: Send + 'static,
    {
        self.queue(FallibleTask::new(f))
    }

    /// Puts `task` in a future's shared state and queues it; a task the executor no longer
    /// takes fails at once, with the reason.
    fn queue<T, J>(&self, task: J) -> Future<T>
    where
        T: Send + 'static,
        J: Send + Sync + 'static,
        Shared<T, J>: Job + 'static,
    {
        let shared = Arc::new(Shared::pending(
            self.pool.sole_runner.clone(),
            self.pool.spin,
            self.pool.watch_cpu.load(Ordering::Relaxed),
            task,
        ));
        let future = Future::from_shared(Arc::clone(&shared));
        if let Err((job, why)) = self.pool.push(shared) {
            job.fail(why);
        }
        future
    }

    /// Applies `f` to every item on the workers and yields the results in input order:
    /// Python's `map(fn, items)`. Every item is submitted at once (as Python does), in chunks
    /// of `len / (4 * max_workers)` consecutive items (rounded up) so that a short `f` does
    /// not pay a task hand-over per item; each item still has its own outcome (a panic fails
    /// only that item's result). Dropping the iterator cancels the chunks not yet started.
    ///
    /// # Examples
    ///
    /// ```
    /// let executor = potok::futures::ThreadPoolExecutor::new(2);
    /// let lengths: Result<Vec<usize>, _> = executor.map(|s: &str| s.len(), ["a", "bb"]).collect();
    /// assert_eq!(lengths.unwrap(), [1, 2]);
    /// ```
    pub fn map<F, A, R, I>(&self, f: F, items: I) -> Map<R>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        A: Send + 'static,
        R: Send + 'static,
    {
        let items: Vec<A> = items.into_iter().collect();
        let len = items.len();
        let chunksize = len.div_ceil(4 * self.pool.max_workers).max(1);
        let f = Arc::new(f);
        let mut chunks = VecDeque::with_capacity(len.div_ceil(chunksize));
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let chunk: Vec<A> = items.by_ref().take(chunksize).collect();
            let f = Arc::clone(&f);
            chunks.push_back(self.submit(move || {
                chunk
                    .into_iter()
                    .map(|item| {
                        panic::catch_unwind(AssertUnwindSafe(|| f(item))).map_err(|payload| {
                            let location = crate::thread::take_panic_location();
                            FutureError::Panicked(Box::new(TaskPanic::from_payload(
                                &*payload, location,
                            )))
                        })
                    })
                    .collect::<Chunk<R>>()
            }));
        }
        Map::new(chunks, len)
    }

    /// Stops taking work: Python's `shutdown(wait, cancel_futures)`. Queued tasks still run
    /// unless `cancel_futures` (then their futures are cancelled); with `wait`, returns once
    /// every worker has finished. Calling it again is harmless.
    ///
    /// # Examples
    ///
    /// ```
    /// use potok::futures::{FutureError, ThreadPoolExecutor};
    ///
    /// let executor = ThreadPoolExecutor::new(1);
    /// let before = executor.submit(|| 1);
    /// executor.shutdown(true, false);
    /// assert_eq!(before.result(), Ok(1));
    /// assert_eq!(executor.submit(|| 2).result(), Err(FutureError::Shutdown));
    /// ```
    #[track_caller]
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.pool.shutdown(wait, cancel_futures);
    }
}

/// Waits for the queued work and the workers, as Python's `with` block does at its end.
impl Drop for ThreadPoolExecutor {
    fn drop(&mut self) {
        self.pool.shutdown(true, false);
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.pool.state.lock();
        f.debug_struct("ThreadPoolExecutor")
            .field("thread_name_prefix", &self.pool.prefix)
            .field("max_workers", &self.pool.max_workers)
            .field("threads", &state.threads.len())
            .field("queued", &state.queue.len())
            .field("shutdown", &state.shutdown)
            .field("broken", &state.broken)
            .finish()
    }
}

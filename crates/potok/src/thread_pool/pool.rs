//! [`ThreadPool`]: Python's `multiprocessing.pool.ThreadPool` over potok threads.

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::async_result::AsyncResult;
use super::callbacks::{callbacks, Callbacks};
use super::error::StillRunning;
use super::imap::{IMap, IMapUnordered};
use super::joined::Joined;
use super::star::StarFn;
use crate::futures::{Future, FutureError, ThreadPoolExecutor};

static COUNTER: AtomicUsize = AtomicUsize::new(1);

const RUNNING: u8 = 0;
const CLOSED: u8 = 1;
const TERMINATED: u8 = 2;

/// A pool of potok threads with `multiprocessing.Pool`'s methods, taking closures: Python's
/// `multiprocessing.pool.ThreadPool(n)` (and `multiprocessing.dummy.Pool`).
///
/// The method names are [`process::Pool`](crate::process::Pool)'s: `map`, `map_chunked`,
/// `imap`, `imap_unordered`, `starmap`, `apply`, `apply_async`, `map_async`, `starmap_async`,
/// `close`, `join`, `terminate`. `starmap` and `apply` take functions of up to 6 arguments,
/// given as tuples (see [`StarFn`]). `imap` and `imap_unordered` read their input lazily,
/// a bounded window ahead, so an endless iterator works (Python reads it all first).
///
/// Workers are named `ThreadPool-N_i`, started when work arrives, and reused. Threads cannot
/// be killed: [`terminate`](Self::terminate) cancels the work that has not started and waits
/// for the running tasks. Dropping the pool terminates it, as leaving Python's `with` block.
///
/// # Examples
///
/// ```
/// let pool = potok::ThreadPool::new(4);
/// assert_eq!(pool.map(|x: u64| x * x, 1..=4).unwrap(), [1, 4, 9, 16]);
/// assert_eq!(pool.starmap(|a: i32, b: i32| a * b, [(2, 3), (4, 5)]).unwrap(), [6, 20]);
/// assert_eq!(pool.apply(|a: &str, n: usize| a.repeat(n), ("ab", 2)).unwrap(), "abab");
/// let firsts: Vec<u64> = pool.imap(|x: u64| x * 2, 0..).take(3).map(Result::unwrap).collect();
/// assert_eq!(firsts, [0, 2, 4]); // an endless input
/// pool.close();
/// pool.join().unwrap();
/// ```
pub struct ThreadPool {
    executor: Arc<ThreadPoolExecutor>,
    processes: usize,
    state: AtomicU8,
}

impl ThreadPool {
    /// A pool of at most `processes` threads (Python's name for the count).
    ///
    /// # Panics
    ///
    /// If `processes` is 0 (Python's `ValueError`).
    pub fn new(processes: usize) -> Self {
        assert!(processes > 0, "processes must be at least 1");
        let prefix = format!("ThreadPool-{}", COUNTER.fetch_add(1, Ordering::Relaxed));
        ThreadPool {
            executor: Arc::new(
                ThreadPoolExecutor::builder()
                    .max_workers(processes)
                    .thread_name_prefix(prefix)
                    .build(),
            ),
            processes,
            state: AtomicU8::new(RUNNING),
        }
    }

    /// How many threads the pool runs at most.
    pub fn processes(&self) -> usize {
        self.processes
    }

    /// Python's default chunk size for `map`: `len / (4 * processes)`, rounded up.
    fn default_chunksize(&self, len: usize) -> usize {
        len.div_ceil(4 * self.processes).max(1)
    }

    /// The window of tasks `imap` keeps in flight.
    fn window(&self) -> usize {
        (4 * self.processes).max(8)
    }

    /// Submits `f` over `items` in chunks of `chunksize` consecutive items, in input order.
    ///
    /// The chunks are split off the back of `items`, so the first one is `items` itself, in
    /// its own buffer: its results are computed in that buffer (`collect` reuses it when `R`
    /// fits in `T`'s place) and [`Joined`] appends the other chunks' results there. A map then
    /// writes its results into memory the input already touched instead of a fresh output:
    /// on this kind of VM every fresh 4 KiB page costs 2-3 µs to fault in, and a map over
    /// 100,000 items used to spend most of its time there (see BENCHMARKS.md).
    fn chunks<F, T, R>(&self, f: F, mut items: Vec<T>, chunksize: usize) -> Vec<Future<Vec<R>>>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        let f = Arc::new(f);
        let chunksize = chunksize.max(1);
        let mut parts = Vec::with_capacity(items.len().div_ceil(chunksize));
        while items.len() > chunksize {
            let last = (items.len() - 1) / chunksize * chunksize;
            parts.push(items.split_off(last));
        }
        if !items.is_empty() {
            parts.push(items);
        }
        parts
            .into_iter()
            .rev()
            .map(|chunk| {
                let f = Arc::clone(&f);
                self.executor
                    .submit(move || chunk.into_iter().map(|x| f(x)).collect::<Vec<R>>())
            })
            .collect()
    }

    /// Applies `f` to every item on the pool's threads and returns the results in order:
    /// Python's `map(f, items)`, with its default chunk size (`len / (4 * processes)`,
    /// rounded up).
    ///
    /// # Errors
    ///
    /// The [`FutureError`] of the first failed chunk in input order (a panic in `f`), or
    /// [`FutureError::Shutdown`] once the pool is closed.
    #[track_caller]
    pub fn map<F, T, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Vec<R>, FutureError>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        let items: Vec<T> = items.into_iter().collect();
        let chunksize = self.default_chunksize(items.len());
        self.map_chunked(f, items, chunksize)
    }

    /// [`map`](Self::map) with an explicit chunk size (items per task).
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    #[track_caller]
    pub fn map_chunked<F, T, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = T>,
        chunksize: usize,
    ) -> Result<Vec<R>, FutureError>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        let items: Vec<T> = items.into_iter().collect();
        let len = items.len();
        let mut out = Joined::new(len);
        for chunk in self.chunks(f, items, chunksize) {
            out.push(chunk.take()?);
        }
        Ok(out.finish())
    }

    /// Like [`map`](Self::map), for a function of several arguments given as tuples:
    /// Python's `starmap(f, [(a, b), ...])`.
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    #[track_caller]
    pub fn starmap<F, Args, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
    ) -> Result<Vec<R>, FutureError>
    where
        F: StarFn<Args, R>,
        Args: Send + 'static,
        R: Send + 'static,
    {
        self.map(move |args| f.call_star(args), items)
    }

    /// Calls `f(*args)` on a pool thread and waits for the result: Python's `apply(f, args)`.
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    #[track_caller]
    pub fn apply<F, Args, R>(&self, f: F, args: Args) -> Result<R, FutureError>
    where
        F: StarFn<Args, R>,
        Args: Send + 'static,
        R: Send + 'static,
    {
        self.apply_async(f, args).get()
    }

    /// Starts `f(*args)` on a pool thread and returns at once: Python's `apply_async`.
    pub fn apply_async<F, Args, R>(&self, f: F, args: Args) -> AsyncResult<R>
    where
        F: StarFn<Args, R>,
        Args: Send + 'static,
        R: Send + 'static,
    {
        AsyncResult::new(self.executor.submit(move || f.call_star(args)))
    }

    /// [`map`](Self::map) without waiting: Python's `map_async`. The result is every item's
    /// result in order, or the first failure in input order.
    pub fn map_async<F, T, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = T>,
    ) -> AsyncResult<Vec<R>>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        let items: Vec<T> = items.into_iter().collect();
        let chunksize = self.default_chunksize(items.len());
        AsyncResult::new(assemble(self.chunks(f, items, chunksize), None))
    }

    /// [`map_async`](Self::map_async) with Python's `callback` and `error_callback`: once
    /// every chunk is done, `callback` gets the results in order, or `error_callback` the
    /// first failure in input order. It runs before the [`AsyncResult`] is ready, on the pool
    /// thread that finished the last chunk (or on this thread for an empty input), so keep it
    /// short, as in Python. A callback that panics is reported on stderr and the result is
    /// still delivered.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = potok::ThreadPool::new(2);
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let pending = pool.map_async_with(
    ///     |x: u32| x * 10,
    ///     1..=3,
    ///     move |tens: &[u32]| tx.send(tens.iter().sum::<u32>()).unwrap(),
    ///     |err| eprintln!("failed: {err}"),
    /// );
    /// assert_eq!(rx.recv().unwrap(), 60);
    /// assert_eq!(pending.get().unwrap(), [10, 20, 30]);
    /// ```
    pub fn map_async_with<F, T, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = T>,
        callback: impl FnOnce(&[R]) + Send + 'static,
        error_callback: impl FnOnce(&FutureError) + Send + 'static,
    ) -> AsyncResult<Vec<R>>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        let items: Vec<T> = items.into_iter().collect();
        let chunksize = self.default_chunksize(items.len());
        let callbacks = callbacks(callback, error_callback);
        AsyncResult::new(assemble(self.chunks(f, items, chunksize), Some(callbacks)))
    }

    /// [`starmap`](Self::starmap) without waiting: Python's `starmap_async`.
    pub fn starmap_async<F, Args, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
    ) -> AsyncResult<Vec<R>>
    where
        F: StarFn<Args, R>,
        Args: Send + 'static,
        R: Send + 'static,
    {
        self.map_async(move |args| f.call_star(args), items)
    }

    /// [`starmap_async`](Self::starmap_async) with a `callback` and an `error_callback`, as
    /// [`map_async_with`](Self::map_async_with).
    pub fn starmap_async_with<F, Args, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
        callback: impl FnOnce(&[R]) + Send + 'static,
        error_callback: impl FnOnce(&FutureError) + Send + 'static,
    ) -> AsyncResult<Vec<R>>
    where
        F: StarFn<Args, R>,
        Args: Send + 'static,
        R: Send + 'static,
    {
        self.map_async_with(
            move |args| f.call_star(args),
            items,
            callback,
            error_callback,
        )
    }

    fn feed<'a, F, T, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = T> + 'a,
    ) -> super::imap::Feed<'a, R>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        let f = Arc::new(f);
        let executor = Arc::clone(&self.executor);
        let mut items = items.into_iter();
        Box::new(move || {
            let item = items.next()?;
            let f = Arc::clone(&f);
            Some(executor.submit(move || f(item)))
        })
    }

    /// Applies `f` to every item and yields the results in input order, each once it is
    /// ready: Python's `imap`. The input is read lazily, a bounded window (4 tasks per
    /// thread) ahead of the results taken.
    pub fn imap<'a, F, T, R>(&self, f: F, items: impl IntoIterator<Item = T> + 'a) -> IMap<'a, R>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        IMap::new(self.feed(f, items), self.window())
    }

    /// Like [`imap`](Self::imap), yielding results in the order they finish: Python's
    /// `imap_unordered`.
    pub fn imap_unordered<'a, F, T, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = T> + 'a,
    ) -> IMapUnordered<'a, R>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        IMapUnordered::new(self.feed(f, items), self.window())
    }

    /// Takes no more work; what was submitted still runs: Python's `close()`.
    pub fn close(&self) {
        let _ = self
            .state
            .compare_exchange(RUNNING, CLOSED, Ordering::AcqRel, Ordering::Acquire);
        self.executor.shutdown(false, false);
    }

    /// Cancels the work that has not started and waits for the running tasks: Python's
    /// `terminate()` (threads cannot be killed).
    #[track_caller]
    pub fn terminate(&self) {
        self.state.store(TERMINATED, Ordering::Release);
        self.executor.shutdown(true, true);
    }

    /// Waits for every worker to finish, after [`close`](Self::close) or
    /// [`terminate`](Self::terminate): Python's `join()`.
    ///
    /// # Errors
    ///
    /// [`StillRunning`] if the pool was neither closed nor terminated.
    #[track_caller]
    pub fn join(&self) -> Result<(), StillRunning> {
        if self.state.load(Ordering::Acquire) == RUNNING {
            return Err(StillRunning);
        }
        self.executor.shutdown(true, false);
        Ok(())
    }
}

/// Terminates the pool, as Python's `with Pool() as p:` does at the end of the block.
impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.terminate();
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.load(Ordering::Acquire) {
            RUNNING => "running",
            CLOSED => "closed",
            _ => "terminated",
        };
        f.debug_struct("ThreadPool")
            .field("processes", &self.processes)
            .field("state", &state)
            .finish()
    }
}

/// The parts' results, in order, in one future once all are done (or the first failure in
/// part order); `callbacks` run with it just before the future finishes.
fn assemble<R: Send + 'static>(
    parts: Vec<Future<Vec<R>>>,
    callbacks: Option<Callbacks<R>>,
) -> Future<Vec<R>> {
    struct Assembly<R> {
        parts: Vec<Option<Vec<R>>>,
        left: usize,
        error: Option<(usize, FutureError)>,
    }
    let whole = Future::detached();
    let finish = {
        let whole = whole.clone();
        move |result: Result<Vec<R>, FutureError>| {
            if let Some(callbacks) = callbacks {
                callbacks(&result);
            }
            whole.finish(result);
        }
    };
    if parts.is_empty() {
        finish(Ok(Vec::new()));
        return whole;
    }
    // The last part to finish takes this and finishes the whole.
    let finish = Arc::new(Mutex::new(Some(finish)));
    let assembly = Arc::new(Mutex::new(Assembly {
        parts: parts.iter().map(|_| None).collect(),
        left: parts.len(),
        error: None,
    }));
    for (index, part) in parts.iter().enumerate() {
        let assembly = Arc::clone(&assembly);
        let finish = Arc::clone(&finish);
        part.add_done_callback(move |f| {
            let outcome = f.take_finished();
            let mut a = assembly.lock();
            match outcome {
                Ok(values) => a.parts[index] = Some(values),
                Err(e) => {
                    let earlier = match &a.error {
                        Some((first, _)) => index < *first,
                        None => true,
                    };
                    if earlier {
                        a.error = Some((index, e));
                    }
                }
            }
            a.left -= 1;
            if a.left > 0 {
                return;
            }
            let result = match a.error.take() {
                Some((_, e)) => Err(e),
                None => {
                    let len = a.parts.iter().flatten().map(Vec::len).sum();
                    let mut out = Joined::new(len);
                    for part in &mut a.parts {
                        out.push(part.take().unwrap_or_default());
                    }
                    Ok(out.finish())
                }
            };
            drop(a);
            if let Some(finish) = finish.lock().take() {
                finish(result);
            }
        });
    }
    whole
}

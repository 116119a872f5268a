//! [`Pool`]: Python's `multiprocessing.Pool`, with workers that may crash without taking the
//! pool, or anybody's results, down with them.

use std::sync::Arc;
use std::thread::JoinHandle;

mod async_map;
mod job;
mod lazy;
mod on_complete;
mod results;
mod star;
mod state;
mod submit;
mod worker;

pub use lazy::{IMap, IMapUnordered};
pub use results::{AsyncResult, GetTimeoutError};
pub use star::{Arity, StarTask};

use job::Sink;
use results::{Results, Taken};
use state::Shared;

use crate::process::cpu::cpu_count;
use crate::process::data::{encode_into, Data};
use crate::process::error::{Closed, MapError, StartError, StillRunning, TaskError};
use crate::process::keep::{self, Kept};
use crate::process::task::TaskId;

/// A pool of worker processes: Python's `multiprocessing.Pool`.
///
/// Tasks are plain functions, `fn(T) -> R` with serde `T` and `R` (see [`Task`](crate::process::Task)): the pool
/// sends the function's identity and the encoded argument to a worker, and the result comes
/// back the same way. A worker that panics, aborts, is killed or crashes costs only the task
/// it was running (an error naming its index); the pool starts a new worker, and every other
/// task's result is unaffected. Python's Pool hangs in that case.
///
/// Dropping the pool terminates it (as Python's `with Pool() as p:` does), after which no
/// worker process is left, not even as a zombie.
///
/// Jobs (chunks, or single tasks) are written to a worker ahead of time, up to 32 at once, and
/// it sends its answers back several at a time, so small tasks do not pay a round trip each.
/// How far ahead adapts: after a pause a worker gets one job at a time, and more only while
/// its answers come back quickly (within half a millisecond of each other, the first of the
/// job it started with); one slow task puts
/// it back to one at a time. So a slow task can hold up the jobs already written behind it on
/// its worker (at most those written while it was answering quickly), even while another
/// worker is idle; a worker that dies with jobs in flight costs only the item it was running.
///
/// A program that uses a pool must begin `main` with [`potok::main`](crate::main) or
/// [`init`](crate::process::init): every worker is this executable started again (forked
/// from one such copy, the fork server, started with the first pool and kept: see the
/// [module docs](crate::process#how-a-child-starts)).
///
/// # Examples
///
/// ```no_run
/// // no_run: workers re-run this executable, and rustdoc's wrapper does not dispatch them.
/// use potok::process::Pool;
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// fn add(a: u64, b: u64) -> u64 {
///     a + b
/// }
///
/// fn main() {
///     potok::main(|| {
///         let pool = Pool::new(2).unwrap();
///         assert_eq!(pool.map(square, 0..5).unwrap(), [0, 1, 4, 9, 16]);
///         assert_eq!(pool.starmap(add, [(1, 2), (3, 4)]).unwrap(), [3, 7]);
///         let pending = pool.apply_async(square, 12).unwrap();
///         assert_eq!(pending.get().unwrap(), 144);
///         pool.close();
///         pool.join().unwrap();
///     });
/// }
/// ```
pub struct Pool {
    shared: Arc<Shared>,
    threads: std::sync::Mutex<Vec<JoinHandle<()>>>,
    processes: usize,
    /// The shared memory handles in the initializer's argument.
    _kept: Kept,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (phase, queued_jobs) = self.shared.describe();
        f.debug_struct("Pool")
            .field("processes", &self.processes)
            .field("phase", &phase)
            .field("queued_jobs", &queued_jobs)
            .finish()
    }
}

/// Sets up a [`Pool`]: Python's `Pool(processes, initializer, initargs, maxtasksperchild)`.
///
/// # Examples
///
/// ```no_run
/// // no_run: needs worker processes (see `potok::process::init`).
/// fn greet(who: String) {
///     eprintln!("worker {} ready for {who}", std::process::id());
/// }
///
/// # fn main() {
/// # potok::process::init();
/// let pool = potok::process::Pool::builder()
///     .processes(2)
///     .initializer(greet, "the course".to_string())
///     .maxtasksperchild(100)
///     .build()
///     .unwrap();
/// # drop(pool);
/// # }
/// ```
#[derive(Default)]
#[must_use = "a PoolBuilder does nothing until build() is called"]
pub struct PoolBuilder {
    processes: Option<usize>,
    /// The initializer and its encoded argument, or why the argument did not encode (reported
    /// by `build`).
    initializer: Option<Result<(TaskId, Vec<u8>), String>>,
    maxtasksperchild: Option<usize>,
    /// The shared memory handles in the initializer's argument.
    kept: Kept,
}

impl std::fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("processes", &self.processes)
            .field("initializer", &self.initializer.is_some())
            .field("maxtasksperchild", &self.maxtasksperchild)
            .finish()
    }
}

impl PoolBuilder {
    /// The number of worker processes (default: [`cpu_count`]).
    ///
    /// # Panics
    ///
    /// If `n` is 0 (Python raises `ValueError`).
    pub fn processes(mut self, n: usize) -> Self {
        assert!(n > 0, "a pool needs at least one process");
        self.processes = Some(n);
        self
    }

    /// A function each new worker runs once before taking tasks, with `arg` (Python's
    /// `initializer` and `initargs`). If it panics, [`build`](Self::build) fails with
    /// [`StartError::Initializer`]; in a replacement worker, the pool is broken and its
    /// pending tasks fail. If `arg` does not serialize, `build` fails with
    /// [`StartError::InitializerArgument`].
    pub fn initializer<T: Data>(mut self, f: fn(T), arg: T) -> Self {
        let mut bytes = Vec::new();
        // The pool keeps the shared memory handles in `arg` for as long as it lives: every
        // new worker opens them by name (see `keep.rs`).
        let (encoded, kept) = keep::keeping(|| encode_into(&arg, &mut bytes));
        self.kept = kept;
        self.initializer = Some(match encoded {
            Ok(_) => Ok((TaskId::of(f), bytes)),
            Err(err) => Err(format!(
                "{} does not serialize: {err}",
                std::any::type_name::<T>()
            )),
        });
        self
    }

    /// How many tasks (chunks, for the map family, as in Python) a worker runs before it is
    /// replaced by a fresh one (Python's `maxtasksperchild`; default: no limit).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    pub fn maxtasksperchild(mut self, n: usize) -> Self {
        assert!(n > 0, "maxtasksperchild must be at least 1");
        self.maxtasksperchild = Some(n);
        self
    }

    /// Starts the workers and waits until each has reported for work (and run the initializer).
    ///
    /// # Errors
    ///
    /// [`StartError`] if a worker cannot be started: the executable cannot be run again, its
    /// `main` does not begin with [`potok::main`](crate::main) or [`init`](crate::process::init)
    /// ([`StartError::NotDispatched`], reported within 10 seconds), the initializer's argument
    /// did not serialize ([`StartError::InitializerArgument`], before any worker starts), or the
    /// initializer panicked. Workers already started are stopped.
    pub fn build(self) -> Result<Pool, StartError> {
        let initializer = self
            .initializer
            .transpose()
            .map_err(StartError::InitializerArgument)?;
        let processes = self.processes.unwrap_or_else(cpu_count);
        let shared = Arc::new(Shared::new(processes, initializer, self.maxtasksperchild));
        let children = match worker::start_first(&shared, processes) {
            Ok(children) => children,
            // The fork server died while they started, and they with it: once more, with the
            // new server the next spawn starts.
            Err((_, true)) => worker::start_first(&shared, processes).map_err(|(err, _)| err)?,
            Err((err, false)) => return Err(err),
        };
        let mut threads = Vec::with_capacity(processes);
        for (slot, child) in children.into_iter().enumerate() {
            shared.publish_first_worker(slot, &child);
            let shared = Arc::clone(&shared);
            let thread = std::thread::Builder::new()
                .name(format!("potok-pool-worker-{slot}"))
                .spawn(move || worker::run(shared, slot, child))
                .map_err(StartError::Spawn)?;
            threads.push(thread);
        }
        Ok(Pool {
            shared,
            threads: std::sync::Mutex::new(threads),
            processes,
            _kept: self.kept,
        })
    }
}

impl Pool {
    /// A pool of `processes` workers (Python's `Pool(processes)`).
    ///
    /// # Errors
    ///
    /// [`StartError`], as for [`PoolBuilder::build`].
    ///
    /// # Panics
    ///
    /// If `processes` is 0.
    pub fn new(processes: usize) -> Result<Pool, StartError> {
        Pool::builder().processes(processes).build()
    }

    /// A builder, for the initializer, `maxtasksperchild`, or the default process count.
    pub fn builder() -> PoolBuilder {
        PoolBuilder::default()
    }

    /// The number of worker processes.
    pub fn processes(&self) -> usize {
        self.processes
    }

    /// The pids of the current workers (they change when a worker is replaced).
    pub fn pids(&self) -> Vec<u32> {
        self.shared.pids()
    }

    /// Python's default chunk size for `map`: `len / (4 * processes)`, rounded up.
    fn default_chunksize(&self, len: usize) -> usize {
        len.div_ceil(4 * self.processes).max(1)
    }

    /// Queues `items` for `task` (see [`submit::submit`]), their outcomes going straight to
    /// the call's results.
    fn submit<A: Data, R: Data>(
        &self,
        task: TaskId,
        items: Vec<A>,
        chunksize: usize,
        taken: Taken,
    ) -> Result<Arc<Results<R>>, Vec<A>> {
        submit::submit(&self.shared, task, items, 0, chunksize, taken, |r| {
            Arc::clone(r) as Arc<dyn Sink>
        })
    }

    /// Applies `f` to every item, in parallel, and returns the results in order (Python's
    /// `map`, with its default chunk size: `len / (4 * processes)` rounded up).
    ///
    /// # Errors
    ///
    /// [`MapError::Task`] with the failed task of lowest index (the others still ran), or
    /// [`MapError::Closed`] if the pool no longer takes work.
    pub fn map<T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Vec<R>, MapError> {
        let items: Vec<T> = items.into_iter().collect();
        let chunksize = self.default_chunksize(items.len());
        self.map_chunked(f, items, chunksize)
    }

    /// [`map`](Self::map) with an explicit chunk size (items per message to a worker).
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    pub fn map_chunked<T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
        chunksize: usize,
    ) -> Result<Vec<R>, MapError> {
        self.run_all(TaskId::of(f), items.into_iter().collect(), Some(chunksize))
    }

    /// Like [`map`](Self::map), for functions of up to 6 arguments, each item the tuple of
    /// one call's arguments (Python's `starmap`). A function of one argument takes the
    /// argument itself. See [`StarTask`] for what may be passed.
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    ///
    /// # Panics
    ///
    /// If `f` is a closure that captures a pointer-sized value (it cannot run in another
    /// process; larger captures do not compile).
    pub fn starmap<M, F, Args, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
    ) -> Result<Vec<R>, MapError>
    where
        F: StarTask<M, Args, R>,
        Args: Data,
        R: Data,
    {
        self.run_all(star::task_id(f), items.into_iter().collect(), None)
    }

    fn run_all<A: Data, R: Data>(
        &self,
        task: TaskId,
        items: Vec<A>,
        chunksize: Option<usize>,
    ) -> Result<Vec<R>, MapError> {
        let chunksize = chunksize.unwrap_or_else(|| self.default_chunksize(items.len()));
        let results = self
            .submit(task, items, chunksize, Taken::whole(chunksize))
            .map_err(|_| MapError::Closed)?;
        results.make_list();
        Ok(results.collect()?)
    }

    /// Calls `f(arg)` in a worker and waits for the result (Python's `apply`). A function of
    /// several arguments (up to 6) takes them as a tuple, `apply(f, (a, b))`; see
    /// [`StarTask`].
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    ///
    /// # Panics
    ///
    /// As for [`starmap`](Self::starmap).
    pub fn apply<M, F, Args, R>(&self, f: F, args: Args) -> Result<R, MapError>
    where
        F: StarTask<M, Args, R>,
        Args: Data,
        R: Data,
    {
        let pending = self.apply_async(f, args).map_err(|_| MapError::Closed)?;
        Ok(pending.get()?)
    }

    /// Starts `f(arg)` (or `f(a, b, ...)` for a tuple) in a worker and returns at once
    /// (Python's `apply_async`).
    ///
    /// # Errors
    ///
    /// [`Closed`] with the arguments if the pool no longer takes work.
    ///
    /// # Panics
    ///
    /// As for [`starmap`](Self::starmap).
    pub fn apply_async<M, F, Args, R>(
        &self,
        f: F,
        args: Args,
    ) -> Result<AsyncResult<R>, Closed<Args>>
    where
        F: StarTask<M, Args, R>,
        Args: Data,
        R: Data,
    {
        match submit::submit_one(&self.shared, star::task_id(f), args) {
            Ok((results, direct)) => Ok(AsyncResult::with_direct(results, direct)),
            Err(args) => Err(Closed::new(args)),
        }
    }

    /// Starts [`map`](Self::map) and returns at once (Python's `map_async`): the
    /// [`AsyncResult`]'s value is every item's result in order, or the failed task of lowest
    /// index (the others still ran).
    ///
    /// # Errors
    ///
    /// [`Closed`] with the items if the pool no longer takes work.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: workers re-run this executable, and rustdoc's wrapper does not dispatch them.
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    ///
    /// fn main() {
    ///     potok::main(|| {
    ///         let pool = potok::process::Pool::new(2).unwrap();
    ///         let pending = pool.map_async(square, 0..4).unwrap();
    ///         pending.wait();
    ///         assert_eq!(pending.successful(), Ok(true));
    ///         assert_eq!(pending.get().unwrap(), [0, 1, 4, 9]);
    ///     });
    /// }
    /// ```
    pub fn map_async<T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
    ) -> Result<AsyncResult<Vec<R>>, Closed<Vec<T>>> {
        self.start_async(TaskId::of(f), items.into_iter().collect(), None)
    }

    /// [`map_async`](Self::map_async) with Python's `callback` and `error_callback`: once
    /// every item is done, `callback` gets the results (in order), or `error_callback` the
    /// failed task of lowest index. It runs before the [`AsyncResult`] is ready, on a thread
    /// of the pool that receives the workers' answers (or on this thread, if the pool refused
    /// the work part-way), so keep it short, as in Python. A callback that panics is reported
    /// on stderr and the result is still delivered (Python's result thread would die).
    ///
    /// # Errors
    ///
    /// [`Closed`] with the items if the pool no longer takes work (no callback runs).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: workers re-run this executable, and rustdoc's wrapper does not dispatch them.
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    ///
    /// fn main() {
    ///     potok::main(|| {
    ///         let pool = potok::process::Pool::new(2).unwrap();
    ///         let (tx, rx) = std::sync::mpsc::channel();
    ///         let pending = pool
    ///             .map_async_with(
    ///                 square,
    ///                 0..4,
    ///                 move |squares: &[u64]| tx.send(squares.iter().sum::<u64>()).unwrap(),
    ///                 |err| eprintln!("failed: {err}"),
    ///             )
    ///             .unwrap();
    ///         assert_eq!(rx.recv().unwrap(), 14);
    ///         assert_eq!(pending.get().unwrap(), [0, 1, 4, 9]);
    ///     });
    /// }
    /// ```
    pub fn map_async_with<T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
        callback: impl FnOnce(&[R]) + Send + 'static,
        error_callback: impl FnOnce(&TaskError) + Send + 'static,
    ) -> Result<AsyncResult<Vec<R>>, Closed<Vec<T>>> {
        let callbacks = crate::thread_pool::callbacks::callbacks(callback, error_callback);
        self.start_async(TaskId::of(f), items.into_iter().collect(), Some(callbacks))
    }

    /// Starts [`starmap`](Self::starmap) and returns at once (Python's `starmap_async`).
    ///
    /// # Errors
    ///
    /// As for [`map_async`](Self::map_async).
    ///
    /// # Panics
    ///
    /// As for [`starmap`](Self::starmap).
    pub fn starmap_async<M, F, Args, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
    ) -> Result<AsyncResult<Vec<R>>, Closed<Vec<Args>>>
    where
        F: StarTask<M, Args, R>,
        Args: Data,
        R: Data,
    {
        self.start_async(star::task_id(f), items.into_iter().collect(), None)
    }

    /// [`starmap_async`](Self::starmap_async) with a `callback` and an `error_callback`, as
    /// [`map_async_with`](Self::map_async_with).
    ///
    /// # Errors
    ///
    /// As for [`map_async`](Self::map_async).
    ///
    /// # Panics
    ///
    /// As for [`starmap`](Self::starmap).
    pub fn starmap_async_with<M, F, Args, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
        callback: impl FnOnce(&[R]) + Send + 'static,
        error_callback: impl FnOnce(&TaskError) + Send + 'static,
    ) -> Result<AsyncResult<Vec<R>>, Closed<Vec<Args>>>
    where
        F: StarTask<M, Args, R>,
        Args: Data,
        R: Data,
    {
        let callbacks = crate::thread_pool::callbacks::callbacks(callback, error_callback);
        self.start_async(
            star::task_id(f),
            items.into_iter().collect(),
            Some(callbacks),
        )
    }

    fn start_async<A: Data, R: Data>(
        &self,
        task: TaskId,
        items: Vec<A>,
        callbacks: Option<async_map::Callbacks<R>>,
    ) -> Result<AsyncResult<Vec<R>>, Closed<Vec<A>>> {
        let chunksize = self.default_chunksize(items.len());
        async_map::run_async(&self.shared, chunksize, task, items, callbacks)
    }

    /// Applies `f` to every item and yields the results in order, each as soon as it is ready
    /// (Python's `imap`, chunk size 1).
    ///
    /// Unlike Python's, the input is read lazily, in this thread, at most 8 chunks per worker
    /// process ahead of the results taken: an endless iterator works (take what you need of
    /// the results), and a long one is never held in memory whole.
    ///
    /// # Errors
    ///
    /// [`MapError::Closed`] if the pool no longer takes work; each task's own error comes
    /// from the iterator (and if the pool closes while the input is being read, the items
    /// read after that fail as terminated, and no more are read).
    pub fn imap<'a, T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T> + 'a,
    ) -> Result<IMap<'a, R>, MapError> {
        self.imap_chunked(f, items, 1)
    }

    /// [`imap`](Self::imap) with an explicit chunk size (items per message to a worker; the
    /// window is 8 chunks per worker).
    ///
    /// # Errors
    ///
    /// As for [`imap`](Self::imap).
    pub fn imap_chunked<'a, T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T> + 'a,
        chunksize: usize,
    ) -> Result<IMap<'a, R>, MapError> {
        self.imap_window(f, items, chunksize, lazy::window_chunks(self.processes))
    }

    /// [`imap_chunked`](Self::imap_chunked) reading at most `window` chunks ahead (`usize::MAX`:
    /// all at once, as Python's `Executor.map` does).
    pub(crate) fn imap_window<'a, T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T> + 'a,
        chunksize: usize,
        window: usize,
    ) -> Result<IMap<'a, R>, MapError> {
        if self.shared.closed_or_terminated() {
            return Err(MapError::Closed);
        }
        let feed = lazy::feed(&self.shared, TaskId::of(f), items, chunksize);
        Ok(IMap::new(feed, window))
    }

    /// Like [`imap`](Self::imap), but yields results in the order they finish (Python's
    /// `imap_unordered`); the input is read lazily in the same way.
    ///
    /// # Errors
    ///
    /// As for [`imap`](Self::imap).
    pub fn imap_unordered<'a, T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T> + 'a,
    ) -> Result<IMapUnordered<'a, R>, MapError> {
        self.imap_unordered_chunked(f, items, 1)
    }

    /// [`imap_unordered`](Self::imap_unordered) with an explicit chunk size (the results of a
    /// chunk come once the whole chunk is done).
    ///
    /// # Errors
    ///
    /// As for [`imap`](Self::imap).
    pub fn imap_unordered_chunked<'a, T: Data, R: Data>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T> + 'a,
        chunksize: usize,
    ) -> Result<IMapUnordered<'a, R>, MapError> {
        if self.shared.closed_or_terminated() {
            return Err(MapError::Closed);
        }
        let feed = lazy::feed(&self.shared, TaskId::of(f), items, chunksize);
        Ok(IMapUnordered::new(
            feed,
            lazy::window_chunks(self.processes),
        ))
    }

    /// Takes no more work; the workers finish what is queued, then exit (Python's `close`).
    pub fn close(&self) {
        self.shared.close();
    }

    /// Stops the workers at once (SIGKILL): running and queued tasks fail with
    /// [`TaskErrorKind::Terminated`](crate::process::TaskErrorKind::Terminated) (Python's
    /// `terminate`). Workers forked by the fork server (all of them unless
    /// `POTOK_FORK_SERVER=0`) are reaped before it returns, as Python's `terminate` joins
    /// them; others by the pool's threads, by the time [`join`](Self::join) returns.
    pub fn terminate(&self) {
        self.shared.terminate();
    }

    /// Waits for the workers to exit, after [`close`](Self::close) or
    /// [`terminate`](Self::terminate) (Python's `join`). Every worker process has been reaped
    /// when it returns.
    ///
    /// # Errors
    ///
    /// [`StillRunning`] if the pool was neither closed nor terminated.
    #[track_caller]
    pub fn join(&self) -> Result<(), StillRunning> {
        if !self.shared.closed_or_terminated() {
            return Err(StillRunning);
        }
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for thread in threads {
            let _ = thread.join();
        }
        self.shared.reap_left();
        Ok(())
    }
}

impl Drop for Pool {
    /// Terminates the pool: every worker is killed and reaped before the drop returns (as
    /// Python's `with Pool() as p:` does). The pool's threads are not waited for when
    /// `terminate` reaped every worker itself: each has only to see that it is to stop (on a
    /// loaded machine a thread may wait milliseconds for a CPU to do so), and holds nothing
    /// that outlives the pool but the outcomes of the tasks it was running, which it fails
    /// as terminated (an [`AsyncResult`] of such a task waits for that).
    fn drop(&mut self) {
        if self.shared.terminate() {
            // Detached: each ends on its own, having nothing left to reap.
            self.threads
                .get_mut()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        } else {
            let _ = self.join();
        }
    }
}

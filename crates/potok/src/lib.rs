//! potok ("поток": thread) is Python's `threading`, `queue` and `multiprocessing` model in Rust,
//! with Rust's guarantees and better diagnostics.
//!
//! # Python → potok
//!
//! | Python | potok |
//! |---|---|
//! | `threading.current_thread()` / `main_thread()` | [`current_thread`] / [`main_thread`] → [`Thread`] (main is `MainThread`) |
//! | `threading.enumerate()` / `active_count()` | [`enumerate`] → `Vec<Thread>` / [`active_count`] |
//! | `Thread(target=f).start()` | [`spawn`]`(f)` → [`JoinHandle`] |
//! | `Thread(target=f, name=.., daemon=..).start()` | [`Builder`]`::new().name(..).daemon(..).spawn(f)` |
//! | subclass of `Thread` overriding `run()` | a type implementing [`Run`], started with [`start`] / [`Builder::start`] |
//! | `t.name`, `t.ident`, `t.native_id`, `t.daemon`, `t.is_alive()` | [`Thread::name`], [`Thread::ident`], [`Thread::native_id`], [`Thread::is_daemon`], [`Thread::is_alive`] |
//! | `t.join()`, `t.join(timeout)` | [`JoinHandle::join`] → `Result<T, `[`Panicked`]`>`, [`JoinHandle::join_timeout`]; from any handle: [`Thread::join`], [`Thread::join_timeout`] |
//! | the interpreter waits for non-daemon threads at exit | [`main`]`(body)` |
//! | `threading.excepthook` | [`set_excepthook`], [`reset_excepthook`] |
//! | `time.sleep` | [`sleep`] |
//! | `Lock()`: `acquire()`, `acquire(False)`, `acquire(timeout=t)`, `release()`, `locked()`, `with lock:` | [`Lock`]: [`acquire`](Lock::acquire), [`try_acquire`](Lock::try_acquire), [`acquire_timeout`](Lock::acquire_timeout), [`release`](Lock::release) → `Result<(), `[`ReleaseError`]`>`, [`locked`](Lock::locked), [`lock`](Lock::lock) → [`LockGuard`] |
//! | `RLock()` | [`RLock`] (same methods; [`RLockGuard`]; release by a non-owner is [`ReleaseError::NotOwner`]) |
//! | a lock that guards data (Rust's idiom) | [`Mutex<T>`](Mutex): [`lock`](Mutex::lock), [`try_lock`](Mutex::try_lock), [`lock_timeout`](Mutex::lock_timeout) → [`MutexGuard`]; never poisoned |
//! | a reader-writer lock (Rust's idiom; Python has none) | [`RwLock<T>`](RwLock): [`read`](RwLock::read), [`write`](RwLock::write), [`try_read`](RwLock::try_read), [`try_write`](RwLock::try_write), [`read_timeout`](RwLock::read_timeout), [`write_timeout`](RwLock::write_timeout); readers count as holders in deadlock reports |
//! | `Condition(lock)`: `wait()`, `wait(t)`, `wait_for(pred)`, `notify(n)`, `notify_all()` | [`Condition`] ([`new`](Condition::new), [`with_lock`](Condition::with_lock)): [`wait`](Condition::wait), [`wait_timeout`](Condition::wait_timeout), [`wait_for`](Condition::wait_for), [`notify`](Condition::notify), [`notify_all`](Condition::notify_all); or the same on [`ConditionGuard`] from [`Condition::lock`] |
//! | `Semaphore(n)`, `BoundedSemaphore(n)` | [`Semaphore`], [`BoundedSemaphore`] (over-release is [`ReleaseError::TooManyReleases`]); `with sem:` is [`Semaphore::guard`] |
//! | `Event()`: `set`, `clear`, `is_set`, `wait()`, `wait(t)` | [`Event`]: [`set`](Event::set), [`clear`](Event::clear), [`is_set`](Event::is_set), [`wait`](Event::wait), [`wait_timeout`](Event::wait_timeout) |
//! | `Barrier(n, action, timeout)`: `wait()`, `abort()`, `reset()`, `BrokenBarrierError` | [`Barrier`]: [`wait`](Barrier::wait) → arrival index or [`BrokenBarrierError`], [`abort`](Barrier::abort), [`reset`](Barrier::reset), [`with_action`](Barrier::with_action), [`with_timeout`](Barrier::with_timeout) |
//! | `Timer(interval, f)`: `start()`, `cancel()` | [`Timer`]: [`start`](Timer::start), [`cancel`](Timer::cancel), [`join`](Timer::join) |
//! | a program that hangs in a deadlock | a [`DeadlockError`] naming every thread and lock involved (see [`deadlock`]); [`deadlock::set_policy`] to keep Python's hang, with the report |
//! | `queue.Queue(maxsize)`, `LifoQueue`, `PriorityQueue`, `SimpleQueue()` | [`Queue`]`::new(maxsize)`, [`LifoQueue`], [`PriorityQueue`] (smallest first), [`SimpleQueue`]`::new()`; clonable handles; `maxsize` 0 is unbounded |
//! | `q.put(x)`, `q.put(x, timeout=t)`, `q.put_nowait(x)` | [`Queue::put`], [`Queue::put_timeout`], [`Queue::try_put`]; a failed put gives the item back |
//! | `q.get()`, `q.get(timeout=t)`, `q.get_nowait()` | [`Queue::get`], [`Queue::get_timeout`], [`Queue::try_get`] |
//! | `queue.Full`, `queue.Empty`, `queue.ShutDown` | the variants of [`TryPutError`], [`PutTimeoutError`], [`PutError`], [`TryGetError`], [`GetTimeoutError`], [`GetError`] ([`EmptyError`] for `SimpleQueue`) |
//! | `q.qsize()`, `q.empty()`, `q.full()`, `q.maxsize` | [`Queue::qsize`], [`Queue::is_empty`], [`Queue::is_full`], [`Queue::maxsize`] |
//! | `q.task_done()` (`ValueError` when called too often), `q.join()`, `q.unfinished_tasks` | [`Queue::task_done`] → `Result<(), `[`TaskDoneError`]`>`, [`Queue::join`], [`Queue::unfinished_tasks`] |
//! | `q.shutdown(immediate)`, `q.is_shutdown` (3.13) | [`Queue::shutdown`], [`Queue::is_shut_down`] |
//! | `for x in iter(q.get, None)` | `for x in &q` / [`Queue::iter`]: items until the queue is shut down |
//! | `concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix, initializer)` | [`futures::ThreadPoolExecutor::new`]`(n)`, [`futures::ThreadPoolExecutor::builder`]; workers named `{prefix}_{i}`, started on demand and reused |
//! | `ex.submit(f)`, `ex.map(f, xs)`, `ex.shutdown(wait, cancel_futures)`, `with ... as ex:` | [`futures::ThreadPoolExecutor::submit`] → [`futures::Future`], [`futures::ThreadPoolExecutor::map`] (input order), [`futures::ThreadPoolExecutor::shutdown`], drop waits |
//! | `f.result()`, `result(timeout)`, `done()`, `running()`, `cancelled()`, `cancel()`, `add_done_callback(fn)` | [`futures::Future::result`] → `Result<T, `[`futures::FutureError`]`>`, [`futures::Future::result_timeout`], and the same names on [`futures::Future`] |
//! | `wait(fs, timeout, return_when)`, `as_completed(fs, timeout)` | [`futures::wait`] with [`futures::ReturnWhen`], [`futures::as_completed`], [`futures::as_completed_timeout`] |
//! | `concurrent.futures.ProcessPoolExecutor(max_workers, initializer, max_tasks_per_child)` | [`futures::ProcessPoolExecutor`]: `submit(f, arg)`, `map(f, items, chunksize)`, `shutdown`; a dead worker fails its own future only (Python breaks the whole executor) |
//! | `CancelledError`, `TimeoutError`, `BrokenThreadPool`, `BrokenProcessPool` | variants of [`futures::FutureError`] |
//! | `multiprocessing.pool.ThreadPool(n)`, `multiprocessing.dummy.Pool(n)` | [`ThreadPool::new`]`(n)`: `process::Pool`'s methods over threads, taking closures ([`ThreadPool::map`], [`ThreadPool::imap`] (lazy), [`ThreadPool::starmap`] and [`ThreadPool::apply`] with tuples of up to 6 arguments, [`ThreadPool::apply_async`] / [`ThreadPool::map_async`] / [`ThreadPool::starmap_async`] → [`thread_pool::AsyncResult`], `close`, `join`, `terminate`) |
//! | `threading.local()` | [`Local<T>`](Local): [`with`](Local::with), [`get`](Local::get), [`set`](Local::set) |
//! | `threading.get_ident()`, `get_native_id()` | [`get_ident`], [`get_native_id`] |
//! | (Rust) threads that borrow from the caller (`std::thread::scope`) | [`scope`]`(\|s\| { s.spawn(..); })`, [`Builder::spawn_scoped`]: registered, named, deadlock-checked |
//! | `if __name__ == "__main__":` (children must not run the program) | [`main`] or [`process::init`] first in `fn main` |
//! | `multiprocessing.Pool(n)`, `Pool(n, initializer, initargs, maxtasksperchild)` | [`process::Pool::new`]`(n)`, [`process::Pool::builder`]`()` |
//! | `pool.map(f, xs, chunksize)`, `starmap`, `imap`, `imap_unordered` | [`process::Pool::map`] / `map_chunked`, [`process::Pool::starmap`] (functions of up to 6 arguments, each item a tuple: [`process::StarTask`]), [`process::Pool::imap`], [`process::Pool::imap_unordered`] (both read their input lazily, 8 chunks per worker ahead: an endless iterator works; Python reads it all first) |
//! | `pool.apply(f, (x,))`, `apply(f, (a, b))`, `apply_async` → `AsyncResult` (`get`, `wait`, `ready`, `successful`) | [`process::Pool::apply`]`(f, x)`, `apply(f, (a, b))` (up to 6), [`process::Pool::apply_async`] → [`process::AsyncResult`] |
//! | `pool.map_async(f, xs, callback, error_callback)`, `starmap_async` | [`process::Pool::map_async`], [`process::Pool::starmap_async`] → [`process::AsyncResult`] of the list; [`process::Pool::map_async_with`]`(f, xs, callback, error_callback)` and `starmap_async_with` run a callback before the result is ready (also on [`ThreadPool::map_async_with`]) |
//! | `pool.close()`, `join()`, `terminate()`, `with Pool() as p:` | [`process::Pool::close`], [`process::Pool::join`], [`process::Pool::terminate`], drop |
//! | `Process(target=f, args=(x,))`, subclass overriding `run()` | [`process::Process::new`]`(f, x)`, [`process::Process::from_run`] with [`process::Run`] |
//! | `p.start()`, `pid`, `is_alive()`, `join(timeout)`, `terminate()`, `kill()`, `exitcode` | same names on [`process::Process`]; `join` also returns the result |
//! | `multiprocessing.Queue(maxsize)`: `put/get(block, timeout)`, `put_nowait/get_nowait`, `qsize/empty/full` | [`process::Queue`]: `put`, `put_timeout`, `try_put`, `get`, `get_timeout`, `try_get`, `qsize`, `is_empty`, `is_full` |
//! | `multiprocessing.JoinableQueue(maxsize)`: `task_done()`, `join()` | [`process::JoinableQueue`]: the `Queue` methods plus [`process::JoinableQueue::task_done`] → `Result<(), `[`TaskDoneError`]`>`, [`process::JoinableQueue::join`] → `Result<(), `[`process::Abandoned`]`>` (every unfinished item was taken by processes that died: named, where Python waits for ever), [`process::JoinableQueue::join_timeout`] |
//! | `multiprocessing.SimpleQueue()`: `put`, `get`, `empty`, `close` | [`process::SimpleQueue`]: `put`, `get`, `is_empty`, `close` (consumes the handle), and `get_timeout` |
//! | `current_process()`, `parent_process()` (`name`, `pid`, `daemon`) | [`process::current_process`], [`process::parent_process`] → [`process::ProcessInfo`]: `MainProcess`; children `Process-N` (`Process-N:M` for a child's children), pool workers `SpawnPoolWorker-N` |
//! | `active_children()` | [`process::active_children`] → `Vec<`[`process::ProcessInfo`]`>` (finished children are already reaped) |
//! | `Process(daemon=True)`, `p.daemon`; at exit daemon children terminated, the others joined | [`process::Process::daemon`], [`process::Process::is_daemon`]; [`main`] applies the exit rule; a daemon's children are [`process::StartError::Daemonic`] |
//! | `Pipe()` → two `Connection`s (`send`, `recv`, `poll`) | [`process::Pipe::new`] → [`process::Connection`] |
//! | `os.cpu_count()` | [`process::cpu_count`] |
//! | `multiprocessing.Lock()` (a holder killed mid-hold: locked for ever) | [`process::Lock`]: the thread `Lock`'s methods; the next acquirer of a dead holder's lock gets [`process::OwnerDied`] naming it |
//! | `multiprocessing.RLock()` | [`process::RLock`]: the thread `RLock`'s methods ([`process::RLockGuard`]); a dead holder is [`process::OwnerDied`] too |
//! | `multiprocessing.Semaphore(n)`, `BoundedSemaphore(n)` (a holder killed: its permits lost) | [`process::Semaphore`], [`process::BoundedSemaphore`]: the thread ones' methods; a dead holder's permits come back with [`process::HolderDied`] naming it |
//! | `multiprocessing.Event()` | [`process::Event`]: `set`, `clear`, `is_set`, `wait`, `wait_timeout`, in every process it is handed to |
//! | `multiprocessing.Condition(lock)`: `wait`, `wait_for`, `notify(n)`, `notify_all` | [`process::Condition`] over a process `RLock` (default) or `Lock`: the same names; a process that had it open dying ends the waits with [`process::WaitError::ProcessDied`] |
//! | `multiprocessing.Barrier(n, action, timeout)`: `wait`, `abort`, `reset`, `broken` | [`process::Barrier`]: `wait` → arrival index or [`process::BrokenBarrierError`] (also when a party's process died, naming it); [`with_action`](process::Barrier::with_action) (a plain `fn()`, run in the last party's process), [`with_timeout`](process::Barrier::with_timeout) |
//! | `Value(typecode, v)`, `Array(typecode, xs)`, `get_lock()`, `shared_memory.SharedMemory` | [`process::Value`], [`process::Array`] (`get`, `set`, `lock`, `get_lock`), [`process::SharedMemory`] |
//!
//! # Examples
//!
//! ```
//! potok::main(|| {
//!     let workers: Vec<_> = (0..4)
//!         .map(|i| potok::Builder::new().name(format!("worker-{i}")).spawn(move || i * i).unwrap())
//!         .collect();
//!     let squares: Vec<i32> = workers.into_iter().map(|w| w.join().unwrap()).collect();
//!     assert_eq!(squares, [0, 1, 4, 9]);
//! });
//! ```
#![warn(missing_docs)]

#[cfg(all(target_os = "linux", feature = "cluster"))]
pub mod cluster;
pub mod deadlock;
pub mod futures;
mod instrument;
#[cfg(target_os = "linux")]
pub mod process;
mod queue;
mod sync;
mod thread;
pub mod thread_pool;
pub mod trace;

pub use deadlock::DeadlockError;
pub use queue::{
    EmptyError, GetError, GetTimeoutError, IntoIter, Iter, LifoQueue, PriorityQueue, PutError,
    PutTimeoutError, Queue, SimpleQueue, TaskDoneError, TryGetError, TryPutError,
};
pub use sync::{
    Barrier, BoundedSemaphore, BrokenBarrierError, Condition, ConditionGuard, Event, Lock,
    LockGuard, Mutex, MutexGuard, RLock, RLockGuard, ReleaseError, RwLock, RwLockReadGuard,
    RwLockWriteGuard, Semaphore, SemaphoreGuard, Timer, TimerError,
};
pub use thread::{
    active_count, current_thread, enumerate, get_ident, get_native_id, main, main_thread,
    reset_excepthook, scope, set_excepthook, sleep, spawn, start, Builder, ExceptHookArgs,
    JoinError, JoinHandle, JoinTimeoutError, Local, Panicked, Run, Scope, ScopedJoinHandle, Thread,
};
pub use thread_pool::ThreadPool;

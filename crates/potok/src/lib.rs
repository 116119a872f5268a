//! potok ("поток": thread) is Python's `threading` model in Rust, with Rust's guarantees and
//! better diagnostics.
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
//! | `queue.Queue(maxsize)`, `LifoQueue`, `PriorityQueue`, `SimpleQueue()` | [`Queue`]`::new(maxsize)`, [`LifoQueue`], [`PriorityQueue`] (smallest first), [`SimpleQueue`]`::new()`; clonable handles; `maxsize` 0 is unbounded |
//! | `q.put(x)`, `q.put(x, timeout=t)`, `q.put_nowait(x)` | [`Queue::put`], [`Queue::put_timeout`], [`Queue::try_put`]; a failed put gives the item back |
//! | `q.get()`, `q.get(timeout=t)`, `q.get_nowait()` | [`Queue::get`], [`Queue::get_timeout`], [`Queue::try_get`] |
//! | `queue.Full`, `queue.Empty`, `queue.ShutDown` | the variants of [`TryPutError`], [`PutTimeoutError`], [`PutError`], [`TryGetError`], [`GetTimeoutError`], [`GetError`] ([`EmptyError`] for `SimpleQueue`) |
//! | `q.qsize()`, `q.empty()`, `q.full()`, `q.maxsize` | [`Queue::qsize`], [`Queue::is_empty`], [`Queue::is_full`], [`Queue::maxsize`] |
//! | `q.task_done()` (`ValueError` when called too often), `q.join()`, `q.unfinished_tasks` | [`Queue::task_done`] → `Result<(), `[`TaskDoneError`]`>`, [`Queue::join`], [`Queue::unfinished_tasks`] |
//! | `q.shutdown(immediate)`, `q.is_shutdown` (3.13) | [`Queue::shutdown`], [`Queue::is_shut_down`] |
//! | `for x in iter(q.get, None)` | `for x in &q` / [`Queue::iter`]: items until the queue is shut down |
//!
//! # Examples
//!
//! ```
//! fn main() {
//!     potok::main(|| {
//!         let workers: Vec<_> = (0..4)
//!             .map(|i| potok::Builder::new().name(format!("worker-{i}")).spawn(move || i * i).unwrap())
//!             .collect();
//!         let squares: Vec<i32> = workers.into_iter().map(|w| w.join().unwrap()).collect();
//!         assert_eq!(squares, [0, 1, 4, 9]);
//!     });
//! }
//! # main();
//! ```
#![warn(missing_docs)]

pub mod deadlock;
mod queue;
mod sync;
mod thread;

pub use deadlock::DeadlockError;
pub use queue::{
    EmptyError, GetError, GetTimeoutError, IntoIter, Iter, LifoQueue, PriorityQueue, PutError,
    PutTimeoutError, Queue, SimpleQueue, TaskDoneError, TryGetError, TryPutError,
};
pub use sync::{
    Barrier, BoundedSemaphore, BrokenBarrierError, Condition, ConditionGuard, Event, Lock,
    LockGuard, Mutex, MutexGuard, RLock, RLockGuard, ReleaseError, Semaphore, SemaphoreGuard,
};
pub use thread::{
    active_count, current_thread, enumerate, main, main_thread, reset_excepthook, set_excepthook,
    sleep, spawn, start, Builder, ExceptHookArgs, JoinError, JoinHandle, JoinTimeoutError,
    Panicked, Run, Thread,
};

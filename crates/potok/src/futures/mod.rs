//! Executors and futures: Python's `concurrent.futures`.
//!
//! | Python | potok |
//! |---|---|
//! | `ThreadPoolExecutor(max_workers, thread_name_prefix, initializer)` | [`ThreadPoolExecutor::new`], [`ThreadPoolExecutor::builder`] |
//! | `ex.submit(fn)` → `Future` | [`ThreadPoolExecutor::submit`]`(closure)` → [`Future<T>`](Future) |
//! | `ex.map(fn, items)` | [`ThreadPoolExecutor::map`] → results in input order |
//! | `ex.shutdown(wait, cancel_futures)`, `with ... as ex:` | [`ThreadPoolExecutor::shutdown`]; drop waits |
//! | `f.result()`, `f.result(timeout)` | [`Future::result`], [`Future::result_timeout`] → `Result<T, `[`FutureError`]`>` |
//! | `f.done()`, `running()`, `cancelled()`, `cancel()`, `add_done_callback(fn)` | the same names on [`Future`] |
//! | `wait(fs, timeout, return_when)` | [`wait`]`(&fs, timeout, `[`ReturnWhen`]`)` → [`Waited`] |
//! | `as_completed(fs)`, `as_completed(fs, timeout)` | [`as_completed`], [`as_completed_timeout`] |
//! | `ProcessPoolExecutor(max_workers, initializer, initargs, max_tasks_per_child)` | [`ProcessPoolExecutor::new`], [`ProcessPoolExecutor::builder`]: `submit(f, arg)`, `map(f, items, chunksize)`, `shutdown`; a dead worker fails its own future only |
//! | `CancelledError`, `TimeoutError`, `BrokenThreadPool`, `BrokenProcessPool` | variants of [`FutureError`] |
//!
//! Threads share memory, so a task is a closure; its result is cloned out of the future by
//! [`Future::result`] (return an `Arc` for a value that is not `Clone`).

mod as_completed;
mod builder;
mod collector;
mod error;
mod future;
mod map;
#[cfg(target_os = "linux")]
mod process_pool_executor;
mod spin;
mod thread_pool_executor;
mod wait;
mod work;

pub use as_completed::{as_completed, as_completed_timeout, AsCompleted, AsCompletedTimeout};
pub use builder::ThreadPoolExecutorBuilder;
pub use error::{FutureError, TaskPanic};
pub use future::Future;
pub use map::Map;
#[cfg(target_os = "linux")]
pub use process_pool_executor::{ProcessPoolExecutor, ProcessPoolExecutorBuilder};
pub use thread_pool_executor::ThreadPoolExecutor;
pub use wait::{wait, ReturnWhen, Waited};

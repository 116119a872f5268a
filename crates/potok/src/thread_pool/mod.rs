//! [`ThreadPool`]: Python's `multiprocessing.pool.ThreadPool` (and
//! `multiprocessing.dummy.Pool`), with the types its methods return.

mod async_result;
pub(crate) mod callbacks;
mod error;
mod imap;
mod joined;
mod pool;
mod star;

pub use async_result::AsyncResult;
pub use error::{GetTimeoutError, StillRunning};
pub use imap::{IMap, IMapUnordered};
pub use pool::ThreadPool;
pub use star::StarFn;

//! Queues with the semantics of Python's `queue` module (CPython 3.13, `shutdown` included).
//!
//! | Python | potok | storage |
//! |---|---|---|
//! | `queue.Queue(maxsize)` | [`Queue`] | lock-free FIFO |
//! | `queue.LifoQueue(maxsize)` | [`LifoQueue`] | `Vec` under a lock |
//! | `queue.PriorityQueue(maxsize)` | [`PriorityQueue`] | binary heap under a lock, smallest first |
//! | `queue.SimpleQueue()` | [`SimpleQueue`] | lock-free FIFO, unbounded, no task tracking |
//!
//! Every queue type is a clonable handle around one shared queue. The blocking rules, task
//! counting and shutdown states are the same for all of them and live in `core.rs` (with the
//! state machine; the task counts in `tasks.rs`); every wait goes through `wait.rs`.

mod api;
mod core;
mod error;
mod fifo;
mod iter;
mod lifo;
mod list;
mod list_sync;
#[cfg(test)]
mod list_tests;
mod priority;
mod ring;
#[cfg(test)]
mod ring_tests;
mod simple;
mod spin;
mod store;
#[cfg(test)]
mod store_loom;
mod tasks;
mod wait;

pub use error::{
    EmptyError, GetError, GetTimeoutError, PutError, PutTimeoutError, TaskDoneError, TryGetError,
    TryPutError,
};
pub use fifo::Queue;
pub use iter::{IntoIter, Iter};
pub use lifo::LifoQueue;
pub use priority::PriorityQueue;
pub use simple::SimpleQueue;

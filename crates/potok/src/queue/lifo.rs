//! [`LifoQueue`]: last in, first out (Python's `queue.LifoQueue`).

use std::sync::Arc;

use super::api::task_queue_api;
use super::core::Core;
use super::store::LifoStore;

/// A last-in, first-out queue (a stack) for many threads: Python's `queue.LifoQueue`, with the
/// same API as [`Queue`](crate::Queue): `task_done`/`join`, `shutdown`, a clonable handle.
///
/// Items live in a `Vec` under a lock; the blocking, counting and shutdown are `Queue`'s.
///
/// # Examples
///
/// ```
/// let stack = potok::LifoQueue::new(0);
/// for i in 0..5 {
///     stack.put(i).unwrap();
/// }
/// let order: Vec<i32> = (0..5).map(|_| stack.get().unwrap()).collect();
/// assert_eq!(order, [4, 3, 2, 1, 0]);
/// ```
pub struct LifoQueue<T> {
    core: Arc<Core<T, LifoStore<T>>>,
}

task_queue_api!(LifoQueue, [], "1", "2", "2");

//! [`PriorityQueue`]: smallest first (Python's `queue.PriorityQueue`).

use std::sync::Arc;

use super::api::task_queue_api;
use super::core::Core;
use super::store::HeapStore;

/// A queue that hands out its smallest item first (by `Ord`), for many threads: Python's
/// `queue.PriorityQueue` (a `heapq`), with the same API as [`Queue`](crate::Queue).
///
/// Python's idiom of `(priority, data)` tuples works as is: tuples compare field by field. For
/// largest first, wrap items in [`std::cmp::Reverse`]. Items with equal priority come out in no
/// particular order, as with `heapq`.
///
/// # Examples
///
/// ```
/// let jobs = potok::PriorityQueue::new(0);
/// jobs.put((2, "code")).unwrap();
/// jobs.put((1, "eat")).unwrap();
/// jobs.put((3, "sleep")).unwrap();
/// assert_eq!(jobs.get().unwrap(), (1, "eat"));
/// assert_eq!(jobs.get().unwrap(), (2, "code"));
/// assert_eq!(jobs.get().unwrap(), (3, "sleep"));
/// ```
pub struct PriorityQueue<T> {
    core: Arc<Core<T, HeapStore<T>>>,
}

task_queue_api!(PriorityQueue, [+ Ord], "2", "1", "1");

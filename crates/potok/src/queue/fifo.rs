//! [`Queue`]: first in, first out (Python's `queue.Queue`).

use std::sync::Arc;

use super::api::task_queue_api;
use super::core::Core;
use super::store::FifoStore;

/// A first-in, first-out queue for many producers and many consumers: Python's `queue.Queue`,
/// with `task_done`/`join` and 3.13's `shutdown`.
///
/// A `Queue` is a handle: [`clone`](Clone::clone) it to give each thread its own (all clones are
/// the same queue, as a Python queue object passed to several threads is). The queue lives as
/// long as a handle or an iterator does.
///
/// Items cross threads, so they must be `Send`, as with any channel; a queue of `Rc`s does not
/// compile:
///
/// ```compile_fail
/// let q = potok::Queue::new(0); // error: `Rc<i32>` cannot be sent between threads safely
/// q.put(std::rc::Rc::new(1)).unwrap();
/// ```
///
/// Storage is lock-free (potok's own ring for `maxsize` up to 65,536, its own list of blocks
/// beyond that and for unbounded queues); threads sleep only when they have to, and a
/// put or get that finds nobody asleep on the other side makes no system call.
///
/// # Examples
///
/// Python's worker pattern from the `queue` documentation:
///
/// ```
/// let q = potok::Queue::new(0);
/// let worker = {
///     let q = q.clone();
///     potok::spawn(move || {
///         let mut sum = 0;
///         for item in &q {
///             sum += item;
///             q.task_done().unwrap();
///         }
///         sum
///     })
/// };
/// for item in 1..=30 {
///     q.put(item).unwrap();
/// }
/// q.join(); // every item was processed
/// q.shutdown(false); // the worker's loop ends
/// assert_eq!(worker.join().unwrap(), 465);
/// ```
pub struct Queue<T> {
    core: Arc<Core<T, FifoStore<T>>>,
}

task_queue_api!(Queue, [], "1", "2", "1");

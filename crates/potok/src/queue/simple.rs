//! [`SimpleQueue`]: an unbounded FIFO without task tracking (Python's `queue.SimpleQueue`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::core::{Block, Core};
use super::store::FifoStore;
use crate::deadlock::ResourceKind;
use crate::sync::name::Name;
use crate::EmptyError;

/// An unbounded first-in, first-out queue with no `task_done`/`join`, no `maxsize` and no
/// `shutdown`: Python's `queue.SimpleQueue`. A put never blocks and never fails.
///
/// A `SimpleQueue` is a handle: [`clone`](Clone::clone) it to give each thread its own.
///
/// # Examples
///
/// ```
/// let results = potok::SimpleQueue::new();
/// let workers: Vec<_> = (0..4)
///     .map(|i| {
///         let results = results.clone();
///         potok::spawn(move || results.put(i * i))
///     })
///     .collect();
/// for worker in workers {
///     worker.join().unwrap();
/// }
/// let mut squares: Vec<i32> = (0..4).map(|_| results.get()).collect();
/// squares.sort();
/// assert_eq!(squares, [0, 1, 4, 9]);
/// ```
pub struct SimpleQueue<T> {
    core: Arc<Core<T, FifoStore<T>>>,
}

impl<T: Send> SimpleQueue<T> {
    /// An empty queue named `SimpleQueue-N`: Python's `SimpleQueue()`.
    pub fn new() -> Self {
        Self::with_name(Name::new())
    }

    /// An empty queue with a name for reports and traces.
    ///
    /// # Examples
    ///
    /// ```
    /// let log = potok::SimpleQueue::<String>::named("log");
    /// assert_eq!(log.name(), "log");
    /// ```
    pub fn named(name: impl Into<String>) -> Self {
        Self::with_name(Name::named(name))
    }

    fn with_name(name: Name) -> Self {
        SimpleQueue {
            core: Arc::new(Core::new(ResourceKind::SimpleQueue, name, 0, false)),
        }
    }

    /// The queue's name: the one given to [`named`](Self::named), or `SimpleQueue-N`.
    pub fn name(&self) -> &str {
        self.core.name()
    }

    /// Puts `item` (Python's `put(item)` and `put_nowait(item)`, which never block).
    pub fn put(&self, item: T) {
        // An unbounded store is never full, and a SimpleQueue is never shut down.
        if self.core.put(item, Block::No).is_err() {
            unreachable!("a SimpleQueue is unbounded and never shut down");
        }
    }

    /// Takes the next item, waiting while the queue is empty (Python's `get()`).
    ///
    /// # Panics
    ///
    /// With the default [deadlock policy](crate::deadlock::Policy), panics with a
    /// [`DeadlockError`](crate::DeadlockError) if the wait can never end (every potok thread is
    /// blocked); the report names this queue and says `empty`.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = potok::SimpleQueue::new();
    /// let producer = {
    ///     let q = q.clone();
    ///     potok::spawn(move || q.put("hello"))
    /// };
    /// assert_eq!(q.get(), "hello");
    /// producer.join().unwrap();
    /// ```
    #[track_caller]
    pub fn get(&self) -> T {
        match self.core.get(Block::Until(None)) {
            Ok(item) => item,
            Err(_) => unreachable!("a SimpleQueue is never shut down"),
        }
    }

    /// Takes the next item if there is one now (Python's `get_nowait()`).
    ///
    /// # Errors
    ///
    /// [`EmptyError`] if the queue is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = potok::SimpleQueue::new();
    /// assert_eq!(q.try_get(), Err(potok::EmptyError));
    /// q.put(1);
    /// assert_eq!(q.try_get(), Ok(1));
    /// ```
    pub fn try_get(&self) -> Result<T, EmptyError> {
        self.core.get(Block::No).map_err(|_| EmptyError)
    }

    /// Takes the next item, waiting at most `timeout` for one (Python's `get(timeout=t)`).
    ///
    /// # Errors
    ///
    /// [`EmptyError`] if the queue stayed empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let q = potok::SimpleQueue::<u8>::new();
    /// assert_eq!(q.get_timeout(Duration::from_millis(10)), Err(potok::EmptyError));
    /// ```
    #[track_caller]
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, EmptyError> {
        self.core
            .get(Block::for_timeout(timeout))
            .map_err(|_| EmptyError)
    }

    /// How many items the queue holds now (Python's `qsize()`); other threads may change it at
    /// once.
    pub fn qsize(&self) -> usize {
        self.core.qsize()
    }

    /// Whether the queue holds no items now (Python's `empty()`).
    pub fn is_empty(&self) -> bool {
        self.core.qsize() == 0
    }
}

impl<T> Clone for SimpleQueue<T> {
    /// Another handle to the same queue.
    fn clone(&self) -> Self {
        SimpleQueue {
            core: Arc::clone(&self.core),
        }
    }
}

impl<T: Send> Default for SimpleQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send> fmt::Debug for SimpleQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue")
            .field("name", &self.name())
            .field("qsize", &self.qsize())
            .finish()
    }
}

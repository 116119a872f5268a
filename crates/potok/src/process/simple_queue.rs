//! [`SimpleQueue`]: Python's `multiprocessing.SimpleQueue`, an unbounded FIFO shared by
//! processes with the fewest operations: `put`, `get`, `empty`, `close`.

use std::fmt;
use std::io;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::data::Data;
use super::error::{GetError, PutError, TryGetError};
use super::queue::Queue;

/// An unbounded FIFO shared by processes: Python's `multiprocessing.SimpleQueue()`.
///
/// It is an unbounded [`Queue`] with fewer methods (the items live in the broker of the
/// process that created it, and travel as serde values). Hand it to another process by moving
/// a clone into a [`Process`](super::Process)'s or a pool task's argument.
///
/// # Examples
///
/// ```
/// use potok::process::SimpleQueue;
///
/// let q: SimpleQueue<String> = SimpleQueue::new().unwrap();
/// assert!(q.is_empty());
/// q.put("hello".to_string()).unwrap();
/// assert!(!q.is_empty());
/// assert_eq!(q.get().unwrap(), "hello");
/// q.close(); // Python's close(): the handle cannot be used after it
/// ```
///
/// Across processes:
///
/// ```no_run
/// // no_run: starts a child process (see `potok::process::init`).
/// use potok::process::{Process, SimpleQueue};
///
/// fn reply(q: SimpleQueue<u64>) {
///     q.put(42).unwrap();
/// }
///
/// fn main() {
///     potok::main(|| {
///         let q = SimpleQueue::new().unwrap();
///         let mut p = Process::new(reply, q.clone());
///         p.start().unwrap();
///         assert_eq!(q.get().unwrap(), 42);
///         p.join().unwrap();
///     });
/// }
/// ```
pub struct SimpleQueue<T> {
    queue: Queue<T>,
}

impl<T> fmt::Debug for SimpleQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue")
            .field("queue", &self.queue)
            .finish()
    }
}

impl<T> Clone for SimpleQueue<T> {
    fn clone(&self) -> Self {
        SimpleQueue {
            queue: self.queue.clone(),
        }
    }
}

impl<T: Data> SimpleQueue<T> {
    /// An empty queue (Python's `SimpleQueue()`).
    ///
    /// # Errors
    ///
    /// The system's error if the broker's socket or thread cannot be made.
    pub fn new() -> io::Result<SimpleQueue<T>> {
        Ok(SimpleQueue {
            queue: Queue::new(0)?,
        })
    }

    /// Puts an item (Python's `put(item)`); it never waits (the queue is unbounded).
    ///
    /// # Errors
    ///
    /// [`PutError::Encode`] or [`PutError::Disconnected`], with the item.
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.queue.put(item)
    }

    /// Takes the oldest item, waiting for one (Python's `get()`).
    ///
    /// # Errors
    ///
    /// [`GetError::Decode`] or [`GetError::Disconnected`].
    #[track_caller]
    pub fn get(&self) -> Result<T, GetError> {
        self.queue.get()
    }

    /// Takes the oldest item, waiting at most `timeout` (not in Python's `SimpleQueue`; as
    /// [`Queue::get_timeout`]).
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] after the timeout, [`TryGetError::Decode`] or
    /// [`TryGetError::Disconnected`].
    #[track_caller]
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, TryGetError> {
        self.queue.get_timeout(timeout)
    }

    /// Whether the queue is empty (Python's `empty()`; as there, it may change at once).
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Closes this handle (Python's `close()`, after which the handle must not be used; here
    /// it is consumed, so it cannot be). Other handles, in this process or others, keep
    /// working; the items live while any handle does.
    pub fn close(self) {
        drop(self);
    }
}

impl<T> Serialize for SimpleQueue<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.queue.serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for SimpleQueue<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SimpleQueue {
            queue: Queue::deserialize(d)?,
        })
    }
}

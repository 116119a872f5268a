//! Where a queue keeps its items: the [`Store`] trait and its three kinds (FIFO, LIFO, heap).
//!
//! A store knows order and capacity, nothing else: blocking, task counting and shutdown live in
//! [`Core`](super::core::Core), the same for every kind of queue.
//!
//! | store | used by | how |
//! |---|---|---|
//! | [`FifoStore`] | `Queue`, `SimpleQueue` | lock-free: potok's own ring, [`Ring`] (bounded), or its own block list, [`List`] (unbounded, or bounded too large to preallocate) |
//! | [`LifoStore`] | `LifoQueue` | a `Vec` under a `parking_lot::Mutex` |
//! | [`HeapStore`] | `PriorityQueue` | a `BinaryHeap<Reverse<T>>` under a `parking_lot::Mutex` (smallest first, like `heapq`) |
//!
//! `maxsize` 0 means unbounded, as in Python (not crossbeam's rendezvous `bounded(0)`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use super::list::List;
use super::ring::Ring;

/// The items of one queue, in that queue's order.
///
/// Contract (the wake-up handshake in `wait.rs` depends on it): a successful `push` or `pop`,
/// and `len`, are sequentially consistent (`SeqCst` atomic operations, or a `SeqCst` store of
/// the new length made under the store's lock), and `len` and `has_items` only read atomics:
/// they run under the parking lot's bucket lock, where taking a lock is not allowed.
pub(crate) trait Store<T>: Send + Sync {
    /// An empty store holding at most `maxsize` items (0: unbounded).
    fn new(maxsize: usize) -> Self;
    /// Adds `item`, or gives it back if the store holds `maxsize` items.
    fn push(&self, item: T) -> Result<(), T>;
    /// Takes the next item in the store's order.
    fn pop(&self) -> Option<T>;
    /// How many items it holds (a snapshot: other threads may change it right away).
    fn len(&self) -> usize;
    /// Whether `pop` would find an item now (what a getter waits for). Same as `len() > 0`
    /// except in a store whose `len` counts pushes still in flight.
    fn has_items(&self) -> bool {
        self.len() > 0
    }
}

/// Bounded queues up to this many slots preallocate a ring ([`Ring`]); larger
/// bounds (Python allows `Queue(maxsize=10**9)`, which allocates nothing up front) use the
/// block list with a separate slot count instead.
const RING_LIMIT: usize = 1 << 16;

/// First in, first out, lock-free.
pub(crate) enum FifoStore<T> {
    Unbounded(List<T>),
    Ring(Ring<T>),
    /// `slots` counts items in the queue plus pushes in flight, and never exceeds `maxsize`.
    Large {
        items: List<T>,
        slots: AtomicUsize,
        maxsize: usize,
    },
}

impl<T: Send> Store<T> for FifoStore<T> {
    fn new(maxsize: usize) -> Self {
        match maxsize {
            0 => FifoStore::Unbounded(List::new()),
            1..=RING_LIMIT => FifoStore::Ring(Ring::new(maxsize)),
            _ => FifoStore::Large {
                items: List::new(),
                slots: AtomicUsize::new(0),
                maxsize,
            },
        }
    }

    #[inline]
    fn push(&self, item: T) -> Result<(), T> {
        match self {
            FifoStore::Unbounded(items) => {
                items.push(item);
                Ok(())
            }
            FifoStore::Ring(items) => items.push(item),
            FifoStore::Large {
                items,
                slots,
                maxsize,
            } => {
                let reserved = slots.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n < *maxsize).then_some(n + 1)
                });
                match reserved {
                    Ok(_) => {
                        items.push(item);
                        Ok(())
                    }
                    Err(_) => Err(item),
                }
            }
        }
    }

    #[inline]
    fn pop(&self) -> Option<T> {
        match self {
            FifoStore::Unbounded(items) => items.pop(),
            FifoStore::Ring(items) => items.pop(),
            FifoStore::Large { items, slots, .. } => {
                let item = items.pop()?;
                slots.fetch_sub(1, Ordering::SeqCst);
                Some(item)
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            FifoStore::Unbounded(items) => items.len(),
            FifoStore::Ring(items) => items.len(),
            // Items in the queue plus pushes in flight, so a putter refused for lack of a slot
            // does not see room that is not there; never above `maxsize`.
            FifoStore::Large { slots, .. } => slots.load(Ordering::SeqCst),
        }
    }

    fn has_items(&self) -> bool {
        match self {
            // Not `slots`: a getter woken for a slot whose item has not landed yet would find
            // nothing and spin until it does.
            FifoStore::Large { items, .. } => !items.is_empty(),
            _ => self.len() > 0,
        }
    }
}

/// Last in, first out: a `Vec` under a lock.
pub(crate) struct LifoStore<T> {
    items: Mutex<Vec<T>>,
    /// `items.len()`, stored under the lock after each change, read without it.
    len: AtomicUsize,
    maxsize: usize,
}

impl<T: Send> Store<T> for LifoStore<T> {
    fn new(maxsize: usize) -> Self {
        LifoStore {
            items: Mutex::new(Vec::new()),
            len: AtomicUsize::new(0),
            maxsize,
        }
    }

    fn push(&self, item: T) -> Result<(), T> {
        let mut items = self.items.lock();
        if self.maxsize > 0 && items.len() >= self.maxsize {
            return Err(item);
        }
        items.push(item);
        self.len.store(items.len(), Ordering::SeqCst);
        Ok(())
    }

    fn pop(&self) -> Option<T> {
        let mut items = self.items.lock();
        let item = items.pop();
        self.len.store(items.len(), Ordering::SeqCst);
        item
    }

    fn len(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }
}

/// Smallest first: a binary heap under a lock.
pub(crate) struct HeapStore<T> {
    items: Mutex<BinaryHeap<Reverse<T>>>,
    /// `items.len()`, stored under the lock after each change, read without it.
    len: AtomicUsize,
    maxsize: usize,
}

impl<T: Ord + Send> Store<T> for HeapStore<T> {
    fn new(maxsize: usize) -> Self {
        HeapStore {
            items: Mutex::new(BinaryHeap::new()),
            len: AtomicUsize::new(0),
            maxsize,
        }
    }

    fn push(&self, item: T) -> Result<(), T> {
        let mut items = self.items.lock();
        if self.maxsize > 0 && items.len() >= self.maxsize {
            return Err(item);
        }
        items.push(Reverse(item));
        self.len.store(items.len(), Ordering::SeqCst);
        Ok(())
    }

    fn pop(&self) -> Option<T> {
        let mut items = self.items.lock();
        let item = items.pop();
        self.len.store(items.len(), Ordering::SeqCst);
        item.map(|Reverse(item)| item)
    }

    fn len(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }
}

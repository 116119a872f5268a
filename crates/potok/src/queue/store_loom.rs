//! loom models of the lock-free stores, [`List`](super::list::List) and
//! [`Ring`](super::ring::Ring): the same `list.rs` and `ring.rs`, compiled over loom's atomics,
//! cells and lock (`list_sync` below), with blocks of 2 slots and rings of 2, so a few items
//! cross blocks (wrap around) and every block is freed. loom checks each interleaving (within a
//! preemption bound): the `UnsafeCell` accesses (a value read before its write finished, or a
//! block freed while read: freeing counts as a write, fail the model), values neither lost nor
//! taken twice, and FIFO order per producer. A relaxed `WRITE` or `READ` mark (list) or stamp
//! store (ring) fails a model. Run with `cargo test -p potok --lib loom`.

#[allow(dead_code)]
mod list_sync {
    use std::mem::MaybeUninit;

    pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicUsize};
    pub(crate) use loom::sync::Mutex;

    /// 2 slots per block: a handful of items crosses blocks.
    pub(crate) const LAP: usize = 3;

    /// A wait for another thread is a yield under loom.
    pub(crate) struct Backoff;

    impl Backoff {
        pub(crate) fn new() -> Self {
            Backoff
        }
        pub(crate) fn spin(&self) {}
        pub(crate) fn snooze(&self) {
            loom::thread::yield_now();
        }
    }

    pub(crate) struct ValueCell<T>(loom::cell::UnsafeCell<MaybeUninit<T>>);

    impl<T> ValueCell<T> {
        pub(crate) fn new() -> Self {
            ValueCell(loom::cell::UnsafeCell::new(MaybeUninit::uninit()))
        }

        /// # Safety
        ///
        /// As std's (`queue/list_sync.rs`).
        pub(crate) unsafe fn write(&self, value: T) {
            // SAFETY: exclusive access, by the caller's contract (loom checks it).
            self.0.with_mut(|p| unsafe { (*p).write(value) });
        }

        /// # Safety
        ///
        /// As std's (`queue/list_sync.rs`).
        pub(crate) unsafe fn take(&self) -> T {
            // SAFETY: initialised and exclusively ours, by the caller's contract (loom checks it).
            self.0.with(|p| unsafe { (*p).assume_init_read() })
        }
    }

    impl<T> Drop for ValueCell<T> {
        /// Freeing a block counts as writing its cells: loom then fails a model in which a
        /// block is freed while a reader may still be inside.
        fn drop(&mut self) {
            self.0.with_mut(|_| ());
        }
    }
}

// The same files as `queue::list` and `queue::ring`, on purpose: here over loom's `list_sync`.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "list.rs"]
mod list;
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "ring.rs"]
mod ring;

use list::List;
use loom::sync::Arc;
use ring::Ring;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(f);
}

/// Pops until a value comes (loom yields between tries).
fn pop_one(list: &List<usize>) -> usize {
    loop {
        if let Some(value) = list.pop() {
            return value;
        }
        loom::thread::yield_now();
    }
}

#[test]
fn loom_one_producer_one_consumer_across_blocks() {
    model(|| {
        let list = Arc::new(List::new());
        let producer = {
            let list = Arc::clone(&list);
            loom::thread::spawn(move || (0..3).for_each(|i| list.push(i)))
        };
        for i in 0..3 {
            assert_eq!(pop_one(&list), i);
        }
        producer.join().unwrap();
        assert!(list.is_empty());
        assert_eq!(list.pop(), None);
    });
}

#[test]
fn loom_two_producers_race_for_the_last_slot() {
    model(|| {
        let list = Arc::new(List::new());
        list.push(0);
        let producer = {
            let list = Arc::clone(&list);
            loom::thread::spawn(move || list.push(10))
        };
        list.push(1);
        producer.join().unwrap();
        let got = [0; 3].map(|_| list.pop().unwrap());
        assert_eq!(got[0], 0);
        let mut rest = [got[1], got[2]];
        rest.sort_unstable();
        assert_eq!(rest, [1, 10]);
        assert_eq!(list.pop(), None);
    });
}

#[test]
fn loom_two_consumers_free_each_block_once() {
    model(|| {
        let list = Arc::new(List::new());
        (0..4).for_each(|i| list.push(i));
        let consumer = {
            let list = Arc::clone(&list);
            loom::thread::spawn(move || [pop_one(&list), pop_one(&list)])
        };
        let mine = [pop_one(&list), pop_one(&list)];
        let theirs = consumer.join().unwrap();
        for got in [mine, theirs] {
            assert!(got[0] < got[1], "one consumer's values come in order");
        }
        let mut all = [mine, theirs].concat();
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3]);
        assert_eq!(list.len(), 0);
    });
}

#[test]
fn loom_drop_frees_values_left() {
    model(|| {
        let value = Arc::new(());
        let list = Arc::new(List::new());
        let producer = {
            let (list, value) = (Arc::clone(&list), Arc::clone(&value));
            loom::thread::spawn(move || (0..3).for_each(|_| list.push(Arc::clone(&value))))
        };
        drop(list.pop());
        producer.join().unwrap();
        drop(list);
        assert_eq!(Arc::strong_count(&value), 1);
    });
}

/// Pops from the ring until a value comes.
fn ring_pop(ring: &Ring<usize>) -> usize {
    loop {
        if let Some(value) = ring.pop() {
            return value;
        }
        loom::thread::yield_now();
    }
}

/// Pushes into the ring until there is room.
fn ring_push(ring: &Ring<usize>, value: usize) {
    let mut value = value;
    while let Err(back) = ring.push(value) {
        value = back;
        loom::thread::yield_now();
    }
}

#[test]
fn loom_ring_one_producer_one_consumer_wrapping() {
    model(|| {
        let ring = Arc::new(Ring::new(2));
        let producer = {
            let ring = Arc::clone(&ring);
            loom::thread::spawn(move || (0..3).for_each(|i| ring_push(&ring, i)))
        };
        for i in 0..3 {
            assert_eq!(ring_pop(&ring), i);
        }
        producer.join().unwrap();
        assert_eq!(ring.len(), 0);
        assert_eq!(ring.pop(), None);
    });
}

#[test]
fn loom_ring_full_and_empty_are_never_wrong_once_settled() {
    model(|| {
        let ring = Arc::new(Ring::new(1));
        ring.push(0).unwrap();
        let consumer = {
            let ring = Arc::clone(&ring);
            loom::thread::spawn(move || ring.pop())
        };
        // Racing the pop: either full (the pop has not finished) or room.
        let pushed = ring.push(1).is_ok();
        let popped = consumer.join().unwrap();
        assert_eq!(popped, Some(0));
        // Once the pop has finished, there is room (or the push above took it).
        if !pushed {
            ring.push(1).unwrap();
        }
        assert_eq!(ring.push(2), Err(2));
        assert_eq!(ring.pop(), Some(1));
        assert_eq!(ring.pop(), None);
    });
}

#[test]
fn loom_ring_two_producers_two_consumers() {
    model(|| {
        let ring = Arc::new(Ring::new(2));
        let producer = {
            let ring = Arc::clone(&ring);
            loom::thread::spawn(move || ring_push(&ring, 10))
        };
        let consumer = {
            let ring = Arc::clone(&ring);
            loom::thread::spawn(move || ring_pop(&ring))
        };
        ring_push(&ring, 0);
        let mine = ring_pop(&ring);
        producer.join().unwrap();
        let theirs = consumer.join().unwrap();
        let mut all = [mine, theirs];
        all.sort_unstable();
        assert_eq!(all, [0, 10]);
        assert_eq!(ring.len(), 0);
    });
}

#[test]
fn loom_ring_drop_frees_values_left() {
    model(|| {
        let value = Arc::new(());
        let ring = Arc::new(Ring::new(2));
        let producer = {
            let (ring, value) = (Arc::clone(&ring), Arc::clone(&value));
            loom::thread::spawn(move || {
                let _ = ring.push(Arc::clone(&value));
                let _ = ring.push(Arc::clone(&value));
            })
        };
        drop(ring.pop());
        producer.join().unwrap();
        drop(ring);
        assert_eq!(Arc::strong_count(&value), 1);
    });
}

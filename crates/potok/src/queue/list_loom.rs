//! loom models of [`List`](super::list::List): the same `list.rs`, compiled over loom's atomics,
//! cells and lock (`list_sync` below) with blocks of 2 slots, so a few items cross blocks and
//! every block is freed. loom checks each interleaving (within a preemption bound): the
//! `UnsafeCell` accesses (a value read before its write finished, or a block freed while read:
//! freeing counts as a write, fail the model), values neither lost nor taken twice, and FIFO
//! order per producer. Each model fails if a slot's `WRITE` or `READ` store is made relaxed.
//! Run with `cargo test -p potok --lib loom`.

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

// The same file as `queue::list`, on purpose: here over loom's `list_sync`.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "list.rs"]
mod list;

use list::List;
use loom::sync::Arc;

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

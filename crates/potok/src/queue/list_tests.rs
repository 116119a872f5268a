//! Unit tests of [`List`](super::list::List) on std's atomics (its loom models are in
//! `store_loom.rs`): order across blocks, values dropped with the list, and threads racing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::list::{List, BLOCK_CAP};

#[test]
fn first_in_first_out_across_blocks() {
    let list = List::new();
    let n = 5 * BLOCK_CAP + 3;
    for i in 0..n {
        list.push(i);
        assert_eq!(list.len(), i + 1);
    }
    for i in 0..n {
        assert_eq!(list.pop(), Some(i));
        assert_eq!(list.len(), n - i - 1);
    }
    assert!(list.is_empty());
    assert_eq!(list.pop(), None);
}

#[test]
fn drop_frees_what_is_left() {
    let item = std::sync::Arc::new(());
    let list = List::new();
    for _ in 0..3 * BLOCK_CAP {
        list.push(item.clone());
    }
    for _ in 0..BLOCK_CAP + 1 {
        drop(list.pop());
    }
    drop(list);
    assert_eq!(std::sync::Arc::strong_count(&item), 1);
}

#[test]
fn many_threads_lose_and_duplicate_nothing() {
    let list = List::new();
    three_by_three_exactly_once(|i| list.push(i), || list.pop());
    assert!(list.is_empty());
    assert_eq!(list.len(), 0);
}

/// Items per producer in [`three_by_three_exactly_once`].
pub(super) const PER: usize = 20_000;

/// Three producers `push` `0..3 * PER` (producer `p` the `p`-th `PER` of them), three consumers
/// `pop` until every item is taken (or 60 s have passed): each item is taken exactly once, and
/// one producer's items come out in the order it put them.
pub(super) fn three_by_three_exactly_once(
    push: impl Fn(usize) + Sync,
    pop: impl Fn() -> Option<usize> + Sync,
) {
    const TOTAL: usize = 3 * PER;
    let taken = AtomicUsize::new(0);
    let seen = std::sync::Mutex::new(vec![false; TOTAL]);
    let deadline = Instant::now() + Duration::from_secs(60);
    std::thread::scope(|s| {
        for p in 0..3 {
            let push = &push;
            s.spawn(move || (p * PER..(p + 1) * PER).for_each(push));
        }
        for _ in 0..3 {
            s.spawn(|| {
                let mut last = [None; 3];
                let mut mine = Vec::new();
                while taken.load(Ordering::SeqCst) < TOTAL && Instant::now() < deadline {
                    match pop() {
                        Some(i) => {
                            taken.fetch_add(1, Ordering::SeqCst);
                            assert!(last[i / PER].is_none_or(|l| l < i), "{i} out of order");
                            last[i / PER] = Some(i);
                            mine.push(i);
                        }
                        None => std::thread::yield_now(),
                    }
                }
                let mut seen = seen.lock().unwrap();
                for i in mine {
                    assert!(!seen[i], "{i} taken twice");
                    seen[i] = true;
                }
            });
        }
    });
    assert!(
        seen.into_inner().unwrap().iter().all(|&s| s),
        "an item was lost"
    );
}

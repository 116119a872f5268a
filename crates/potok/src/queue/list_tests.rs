//! Unit tests of [`List`](super::list::List) on std's atomics (its loom models are in
//! `store_loom.rs`): order across blocks, values dropped with the list, and threads racing.

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
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    const PER: usize = 20_000;
    const TOTAL: usize = 3 * PER;
    let list = List::new();
    let taken = AtomicUsize::new(0);
    let seen = std::sync::Mutex::new(vec![false; TOTAL]);
    std::thread::scope(|s| {
        for p in 0..3 {
            let list = &list;
            s.spawn(move || (p * PER..(p + 1) * PER).for_each(|i| list.push(i)));
        }
        for _ in 0..3 {
            s.spawn(|| {
                let mut last = [None; 3];
                let mut mine = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(60);
                while taken.load(Ordering::SeqCst) < TOTAL && Instant::now() < deadline {
                    match list.pop() {
                        Some(i) => {
                            taken.fetch_add(1, Ordering::SeqCst);
                            // Each producer's items come out in the order it put them.
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
    assert!(list.is_empty());
    assert_eq!(list.len(), 0);
}

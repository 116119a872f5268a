//! Unit tests of [`Ring`](super::ring::Ring) on std's atomics (its loom models are in
//! `store_loom.rs`): order and bounds over many laps, values dropped with the ring, and threads
//! racing through a small ring.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ring::Ring;

#[test]
fn first_in_first_out_over_many_laps() {
    for cap in [1, 2, 3, 7, 8, 1024] {
        let ring = Ring::new(cap);
        let mut next_in = 0;
        let mut next_out = 0;
        for round in 0..10 {
            while ring.push(next_in).is_ok() {
                next_in += 1;
            }
            assert_eq!(ring.len(), cap, "cap {cap} round {round}");
            assert_eq!(ring.push(usize::MAX), Err(usize::MAX));
            for _ in 0..(round % cap) + 1 {
                assert_eq!(ring.pop(), Some(next_out));
                next_out += 1;
            }
            assert_eq!(ring.len(), next_in - next_out);
        }
        while let Some(value) = ring.pop() {
            assert_eq!(value, next_out);
            next_out += 1;
        }
        assert_eq!((next_out, ring.len()), (next_in, 0));
    }
}

#[test]
fn drop_frees_what_is_left() {
    let item = Arc::new(());
    let ring = Ring::new(5);
    for _ in 0..12 {
        let _ = ring.push(Arc::clone(&item));
        let _ = ring.push(Arc::clone(&item));
        drop(ring.pop());
    }
    assert_eq!(Arc::strong_count(&item), 1 + ring.len());
    drop(ring);
    assert_eq!(Arc::strong_count(&item), 1);
}

#[test]
fn many_threads_through_a_small_ring_lose_and_duplicate_nothing() {
    const PER: usize = 20_000;
    const TOTAL: usize = 3 * PER;
    let ring = Ring::new(4);
    let taken = AtomicUsize::new(0);
    let seen = std::sync::Mutex::new(vec![false; TOTAL]);
    let deadline = Instant::now() + Duration::from_secs(60);
    std::thread::scope(|s| {
        for p in 0..3 {
            let ring = &ring;
            s.spawn(move || {
                for i in p * PER..(p + 1) * PER {
                    let mut value = i;
                    while let Err(back) = ring.push(value) {
                        assert!(Instant::now() < deadline, "push never found room");
                        value = back;
                        std::thread::yield_now();
                    }
                    assert!(ring.len() <= 4);
                }
            });
        }
        for _ in 0..3 {
            s.spawn(|| {
                let mut last = [None; 3];
                let mut mine = Vec::new();
                while taken.load(Ordering::SeqCst) < TOTAL && Instant::now() < deadline {
                    match ring.pop() {
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
    assert_eq!((ring.len(), ring.pop()), (0, None));
}

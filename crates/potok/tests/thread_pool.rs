//! `potok::ThreadPool`: `multiprocessing.pool.ThreadPool`'s methods over potok threads
//! (CPython's `test_multiprocessing_*` `_TestPool` behaviours for the thread flavour,
//! written again: map order, chunks, starmap, apply, async results, lazy imap, close/join,
//! terminate).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use potok::futures::FutureError;
use potok::thread_pool::{GetTimeoutError, StillRunning};
use potok::{Event, ThreadPool};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn map_in_order_with_default_and_explicit_chunks() {
    let pool = ThreadPool::new(3);
    let expected: Vec<u64> = (0..1000).map(|x| x * x).collect();
    assert_eq!(pool.map(|x: u64| x * x, 0..1000).unwrap(), expected);
    assert_eq!(
        pool.map_chunked(|x: u64| x * x, 0..1000, 7).unwrap(),
        expected
    );
    assert_eq!(pool.map(|x: u64| x, Vec::new()).unwrap(), Vec::<u64>::new());
}

/// The chunks are split off the back of the input and joined in the first one's buffer:
/// every length and chunk size keeps the input order, whether the results fit in the
/// items' place (`u64` to `u64`) or not (`u64` to `String`).
#[test]
fn map_keeps_order_for_every_length_and_chunk_size() {
    let pool = ThreadPool::new(2);
    for len in 0..26u64 {
        let expected: Vec<u64> = (0..len).map(|x| x * 3).collect();
        let names: Vec<String> = (0..len).map(|x| x.to_string()).collect();
        for chunksize in 1..9 {
            assert_eq!(
                pool.map_chunked(|x: u64| x * 3, 0..len, chunksize).unwrap(),
                expected,
                "len {len}, chunks of {chunksize}"
            );
            assert_eq!(
                pool.map_chunked(|x: u64| x.to_string(), 0..len, chunksize)
                    .unwrap(),
                names,
                "len {len}, chunks of {chunksize}"
            );
        }
        assert_eq!(
            pool.map_async(|x: u64| x * 3, 0..len).get().unwrap(),
            expected
        );
    }
}

/// A map from large items to small results does not hand back the items' buffer (whose
/// first chunk the results were computed in) with it.
#[test]
fn map_to_smaller_results_does_not_keep_the_inputs_memory() {
    let pool = ThreadPool::new(2);
    let items: Vec<[u64; 16]> = (0..1000).map(|i| [i; 16]).collect();
    let out = pool.map(|a: [u64; 16]| a[0], items).unwrap();
    assert_eq!(out, (0..1000).collect::<Vec<u64>>());
    assert!(
        out.capacity() <= 2 * out.len(),
        "capacity {}",
        out.capacity()
    );
}

#[test]
fn map_runs_on_the_pool_threads() {
    let pool = ThreadPool::new(2);
    let names: HashSet<String> = pool
        .map_chunked(
            |_: u32| potok::current_thread().name().to_owned(),
            0..100,
            1,
        )
        .unwrap()
        .into_iter()
        .collect();
    assert!(!names.is_empty() && names.len() <= 2, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with("ThreadPool-")),
        "{names:?}"
    );
}

#[test]
fn map_reports_a_panic() {
    potok::set_excepthook(|_| {});
    let pool = ThreadPool::new(2);
    let err = pool
        .map(|x: i32| if x == 50 { panic!("fifty") } else { x }, 0..100)
        .unwrap_err();
    let FutureError::Panicked(p) = err else {
        panic!("{err:?}")
    };
    assert_eq!(p.message(), "fifty");
}

#[test]
fn starmap_and_apply_take_up_to_six_arguments() {
    let pool = ThreadPool::new(2);
    assert_eq!(pool.apply(|| 1, ()).unwrap(), 1);
    assert_eq!(pool.apply(|a: i32| a + 1, (1,)).unwrap(), 2);
    assert_eq!(
        pool.starmap(|a: i32, b: i32| a * b, [(1, 2), (3, 4)])
            .unwrap(),
        [2, 12]
    );
    assert_eq!(
        pool.starmap(|a: u8, b: u8, c: u8| a + b + c, [(1, 2, 3)])
            .unwrap(),
        [6]
    );
    let six = |a: i64, b: i64, c: i64, d: i64, e: i64, f: i64| a + b + c + d + e + f;
    assert_eq!(pool.apply(six, (1, 2, 3, 4, 5, 6)).unwrap(), 21);
    assert_eq!(
        pool.starmap(six, [(1, 1, 1, 1, 1, 1), (2, 2, 2, 2, 2, 2)])
            .unwrap(),
        [6, 12]
    );
    let four = |a: String, b: &str, c: char, d: usize| format!("{a}{b}{c}{d}");
    assert_eq!(pool.apply(four, ("a".into(), "b", 'c', 4)).unwrap(), "abc4");
}

#[test]
fn apply_async_get_wait_ready_successful() {
    let pool = ThreadPool::new(1);
    let gate = Arc::new(Event::new());
    let g = Arc::clone(&gate);
    let pending = pool.apply_async(move || assert!(g.wait_timeout(LIMIT)), ());
    assert!(!pending.ready());
    assert_eq!(pending.successful(), None);
    assert!(!pending.wait_timeout(Duration::from_millis(5)));
    let pending = match pending.get_timeout(Duration::from_millis(5)) {
        Err(GetTimeoutError::Timeout(p)) => p,
        other => panic!("{other:?}"),
    };
    gate.set();
    pending.wait();
    assert!(pending.ready());
    assert_eq!(pending.successful(), Some(true));
    pending.get().unwrap();
}

#[test]
fn map_async_and_starmap_async() {
    potok::set_excepthook(|_| {});
    let pool = ThreadPool::new(2);
    let a = pool.map_async(|x: u32| x * 2, 0..100);
    let b = pool.starmap_async(|x: u32, y: u32| x + y, (0..100).map(|i| (i, i)));
    assert_eq!(
        a.get().unwrap(),
        (0..100).map(|x| x * 2).collect::<Vec<_>>()
    );
    assert_eq!(
        b.get().unwrap(),
        (0..100).map(|x| x * 2).collect::<Vec<_>>()
    );
    let failing = pool.map_async(|x: u32| if x == 3 { panic!("three") } else { x }, 0..10);
    failing.wait();
    assert_eq!(failing.successful(), Some(false));
    assert!(matches!(failing.get(), Err(FutureError::Panicked(_))));
    assert!(pool
        .map_async(|x: u8| x, Vec::new())
        .get()
        .unwrap()
        .is_empty());
}

/// `test_map_async_callbacks`: the callback gets the list (or the error callback the first
/// failure), before `get` returns; a panicking callback does not lose the result.
#[test]
fn map_async_and_starmap_async_callbacks() {
    let pool = ThreadPool::new(2);
    let (tx, rx) = std::sync::mpsc::channel();
    let called = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&called);
    let pending = pool.map_async_with(
        |x: u64| x + 1,
        0..100,
        move |values: &[u64]| {
            count.fetch_add(1, Ordering::SeqCst);
            tx.send(values.iter().sum::<u64>()).unwrap();
        },
        |_| panic!("no error expected"),
    );
    assert_eq!(pending.get().unwrap(), (1..=100).collect::<Vec<u64>>());
    assert_eq!(
        called.load(Ordering::SeqCst),
        1,
        "ran once, before get returned"
    );
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 5050);

    let (etx, erx) = std::sync::mpsc::channel();
    let failing = pool.starmap_async_with(
        |a: u64, b: u64| {
            if a == 5 {
                panic!("five");
            }
            a + b
        },
        (0..10).map(|i| (i, 1)),
        |_: &[u64]| panic!("no success expected"),
        move |err| etx.send(err.to_string()).unwrap(),
    );
    assert!(matches!(failing.get(), Err(FutureError::Panicked(_))));
    assert!(erx.recv_timeout(LIMIT).unwrap().contains("five"));

    let (etx, erx) = std::sync::mpsc::channel();
    let empty = pool.map_async_with(
        |x: u64| x,
        Vec::new(),
        move |v: &[u64]| etx.send(v.len()).unwrap(),
        |_| {},
    );
    assert!(empty.ready());
    assert_eq!(erx.recv_timeout(LIMIT).unwrap(), 0);
    let boom = pool.map_async_with(|x: u64| x, [1], |_: &[u64]| panic!("boom"), |_| {});
    assert_eq!(boom.get().unwrap(), [1]);
}

#[test]
fn imap_keeps_order_and_imap_unordered_yields_all() {
    let pool = ThreadPool::new(3);
    let ordered: Vec<u32> = pool
        .imap(|x: u32| x + 1, 0..200)
        .map(Result::unwrap)
        .collect();
    assert_eq!(ordered, (1..=200).collect::<Vec<_>>());
    let mut unordered: Vec<u32> = pool
        .imap_unordered(|x: u32| x + 1, 0..200)
        .map(Result::unwrap)
        .collect();
    unordered.sort_unstable();
    assert_eq!(unordered, (1..=200).collect::<Vec<_>>());
}

/// Python's imap reads the whole input first; potok's reads a bounded window ahead, so an
/// endless iterator works and only a few items are read beyond the results taken.
#[test]
fn imap_reads_its_input_lazily() {
    let pool = ThreadPool::new(2);
    let read = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&read);
    let endless = (0u64..).inspect(move |_| {
        r.fetch_add(1, Ordering::SeqCst);
    });
    let first: Vec<u64> = pool
        .imap(|x: u64| x * 3, endless)
        .take(5)
        .map(Result::unwrap)
        .collect();
    assert_eq!(first, [0, 3, 6, 9, 12]);
    let n = read.load(Ordering::SeqCst);
    assert!(n < 5 + 4 * 2 + 2, "read {n} items for 5 results");

    let read = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&read);
    let endless = (0u64..).inspect(move |_| {
        r.fetch_add(1, Ordering::SeqCst);
    });
    let got = pool.imap_unordered(|x: u64| x, endless).take(10).count();
    assert_eq!(got, 10);
    assert!(read.load(Ordering::SeqCst) < 10 + 4 * 2 + 2);
}

#[test]
fn imap_borrows_its_input() {
    let pool = ThreadPool::new(2);
    let words = ["a".to_owned(), "bb".to_owned()];
    let lens: Vec<usize> = pool
        .imap(|w: String| w.len(), words.iter().cloned())
        .map(Result::unwrap)
        .collect();
    assert_eq!(lens, [1, 2]);
    assert_eq!(words.len(), 2);
}

#[test]
fn join_before_close_is_an_error_then_close_and_join() {
    let pool = ThreadPool::new(2);
    let done = Arc::new(AtomicUsize::new(0));
    let pending: Vec<_> = (0..20)
        .map(|_| {
            let d = Arc::clone(&done);
            pool.apply_async(move || d.fetch_add(1, Ordering::SeqCst), ())
        })
        .collect();
    assert_eq!(pool.join(), Err(StillRunning));
    pool.close();
    pool.join().unwrap();
    assert_eq!(
        done.load(Ordering::SeqCst),
        20,
        "close lets the queued work finish"
    );
    assert!(pending.into_iter().all(|p| p.get().is_ok()));
    assert_eq!(pool.apply(|| 1, ()), Err(FutureError::Shutdown));
    assert!(matches!(
        pool.map(|x: u8| x, [1]),
        Err(FutureError::Shutdown)
    ));
}

#[test]
fn terminate_cancels_what_has_not_started() {
    let pool = Arc::new(ThreadPool::new(1));
    let (started, gate) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let (s, g) = (Arc::clone(&started), Arc::clone(&gate));
    let running = pool.apply_async(
        move || {
            s.set();
            assert!(g.wait_timeout(LIMIT));
        },
        (),
    );
    let queued = pool.apply_async(|| 2, ());
    assert!(started.wait_timeout(LIMIT), "the first task started");
    // terminate() waits for the running task: call it from another thread, see the queued
    // task cancelled, then let the running one finish.
    let p = Arc::clone(&pool);
    let terminator = potok::spawn(move || p.terminate());
    assert!(
        queued.wait_timeout(LIMIT),
        "terminate cancelled the queued task"
    );
    gate.set();
    terminator.join().unwrap();
    pool.join().unwrap();
    running.get().unwrap();
    assert_eq!(queued.get(), Err(FutureError::Cancelled));
}

#[test]
#[should_panic(expected = "processes must be at least 1")]
fn zero_threads_is_refused() {
    let _ = ThreadPool::new(0);
}

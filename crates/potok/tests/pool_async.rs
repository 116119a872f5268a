//! `process::Pool`: `map_async` / `starmap_async` and their callbacks, `starmap` / `apply` with
//! up to 6 arguments, and the lazy `imap` / `imap_unordered` (an endless input, a bounded
//! window).
//!
//! Provenance: the behaviours follow CPython 3.13's `Lib/test/_test_multiprocessing.py`,
//! `_TestPool` (`test_apply`, `test_map_async`, `test_map_async_callbacks`, `test_starmap`,
//! `test_starmap_async`, `test_async`, `test_async_timeout`, `test_imap`,
//! `test_imap_unordered`, `test_empty_iterable`, `test_map_no_failfast`), rewritten for potok
//! in our own code; the endless-input and window cases are potok's own (Python's `imap` reads
//! its whole input first).
//!
//! Runs with `harness = false` on the shared runner: see `support/mod.rs`.

mod support;

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use potok::process::{GetTimeoutError, Pool, TaskErrorKind, TimedOut};
use support::case;

fn square(x: u64) -> u64 {
    x * x
}

fn nap_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn panic_on_seven(x: u64) -> u64 {
    if x == 7 {
        panic!("seven is not allowed");
    }
    x
}

fn one(a: u64) -> u64 {
    a
}
fn two(a: u64, b: u64) -> u64 {
    a * 10 + b
}
fn three(a: u64, b: u64, c: u64) -> u64 {
    a * 100 + b * 10 + c
}
fn four(a: u64, b: u64, c: u64, d: u64) -> u64 {
    three(a, b, c) * 10 + d
}
fn five(a: u64, b: u64, c: u64, d: u64, e: u64) -> u64 {
    four(a, b, c, d) * 10 + e
}
fn six(a: u64, b: String, c: bool, d: u8, e: (u8, u8), f: Vec<u16>) -> String {
    format!("{a} {b} {c} {d} {e:?} {f:?}")
}
fn pair_product(pair: (u64, u64)) -> u64 {
    pair.0 * pair.1
}

/// `test_starmap`, `test_apply`: every arity from 1 to 6, as fn items, function pointers and
/// a closure without captures; a function of one tuple argument takes the tuple as itself.
fn starmap_and_apply_take_up_to_six_arguments() {
    let pool = Pool::new(2).unwrap();
    assert_eq!(pool.apply(one, 7).unwrap(), 7);
    assert_eq!(pool.apply(two, (1, 2)).unwrap(), 12);
    assert_eq!(pool.apply(three, (1, 2, 3)).unwrap(), 123);
    assert_eq!(pool.apply(four, (1, 2, 3, 4)).unwrap(), 1234);
    assert_eq!(pool.apply(five, (1, 2, 3, 4, 5)).unwrap(), 12345);
    assert_eq!(
        pool.apply(six, (1, "b".to_string(), true, 4, (5, 6), vec![7]))
            .unwrap(),
        "1 b true 4 (5, 6) [7]"
    );
    assert_eq!(pool.apply(pair_product, (6, 7)).unwrap(), 42);
    assert_eq!(
        pool.starmap(three, (0..30).map(|i| (i % 10, 1, 2)))
            .unwrap(),
        (0..30).map(|i| (i % 10) * 100 + 12).collect::<Vec<_>>()
    );
    assert_eq!(
        pool.starmap(five, [(1, 1, 1, 1, 1), (2, 2, 2, 2, 2)])
            .unwrap(),
        [11111, 22222]
    );
    // Function pointers travel as themselves.
    let p3: fn(u64, u64, u64) -> u64 = three;
    let p1: fn(u64) -> u64 = square;
    assert_eq!(pool.starmap(p3, [(4, 5, 6)]).unwrap(), [456]);
    assert_eq!(pool.apply(p1, 9).unwrap(), 81);
    // A closure that captures nothing is a function too.
    assert_eq!(
        pool.starmap(|a: u64, b: u64, c: u64| a + b + c, [(1, 2, 3), (4, 5, 6)])
            .unwrap(),
        [6, 15]
    );
    let pending = pool
        .apply_async(|a: u32, b: u32| a.pow(b), (2, 10))
        .unwrap();
    assert_eq!(pending.get().unwrap(), 1024);
    // A panic in a several-argument task is that task's error.
    let err = pool
        .starmap(
            |a: u64, b: u64| if a == 3 { panic!("no 3") } else { a + b },
            [(1, 1), (3, 1)],
        )
        .unwrap_err();
    assert!(err.to_string().contains("no 3"), "{err}");
}

/// `test_map_async`, `test_async`, `test_async_timeout`: the list comes back whole; `ready`,
/// `wait`, `successful` and `get_timeout` behave as for `apply_async`.
fn map_async_is_an_async_result_of_the_list() {
    let pool = Pool::new(2).unwrap();
    let pending = pool.map_async(square, 0..100).unwrap();
    assert_eq!(
        pending.get().unwrap(),
        (0..100).map(|x| x * x).collect::<Vec<_>>()
    );
    let slow = pool.map_async(nap_ms, [400, 1, 1]).unwrap();
    assert!(!slow.ready());
    assert!(slow.successful().is_err(), "not ready yet: NotReady");
    assert!(!slow.wait_timeout(Duration::from_millis(10)));
    let slow = match slow.get_timeout(Duration::from_millis(10)) {
        Err(GetTimeoutError::Timeout(again)) => again,
        other => panic!("expected a timeout, got {other:?}"),
    };
    slow.wait();
    assert!(slow.ready());
    assert_eq!(slow.successful(), Ok(true));
    assert_eq!(slow.get().unwrap(), [400, 1, 1]);
    // test_map_no_failfast: the failure of lowest index, after every task ran.
    let failing = pool.map_async(panic_on_seven, 0..20).unwrap();
    failing.wait();
    assert_eq!(failing.successful(), Ok(false));
    let err = failing.get().unwrap_err();
    assert_eq!(err.index(), 7);
    assert!(err.panic_message().unwrap().contains("seven"), "{err}");
    // starmap_async, several arguments.
    let star = pool
        .starmap_async(three, (0..5).map(|i| (i, i, i)))
        .unwrap();
    assert_eq!(star.get().unwrap(), [0, 111, 222, 333, 444]);
}

/// `test_map_async_callbacks`: the callback gets the list, the error callback the failure;
/// each has run before `get` returns; only one of the two runs.
fn map_async_callbacks_run_before_the_result_is_ready() {
    let pool = Pool::new(2).unwrap();
    let (tx, rx) = mpsc::channel();
    let called = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&called);
    let erred = Arc::new(AtomicBool::new(false));
    let eflag = Arc::clone(&erred);
    let pending = pool
        .map_async_with(
            square,
            0..10,
            move |values: &[u64]| {
                flag.store(true, Ordering::SeqCst);
                tx.send(values.to_vec()).unwrap();
            },
            move |_| eflag.store(true, Ordering::SeqCst),
        )
        .unwrap();
    assert_eq!(
        pending.get().unwrap(),
        (0..10).map(|x| x * x).collect::<Vec<_>>()
    );
    assert!(
        called.load(Ordering::SeqCst),
        "the callback ran before get returned"
    );
    assert!(!erred.load(Ordering::SeqCst));
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        (0..10).map(|x| x * x).collect::<Vec<_>>()
    );

    let (etx, erx) = mpsc::channel();
    let ok = Arc::new(AtomicBool::new(false));
    let okflag = Arc::clone(&ok);
    let failing = pool
        .starmap_async_with(
            |a: u64, b: u64| panic_on_seven(a + b),
            (0..10).map(|i| (i, 0)),
            move |_: &[u64]| okflag.store(true, Ordering::SeqCst),
            move |err| etx.send(err.index()).unwrap(),
        )
        .unwrap();
    assert_eq!(failing.get().unwrap_err().index(), 7);
    assert_eq!(erx.recv_timeout(Duration::from_secs(10)).unwrap(), 7);
    assert!(!ok.load(Ordering::SeqCst));

    // A callback that panics is reported, and the result still arrives.
    let pending = pool
        .map_async_with(square, [3], |_: &[u64]| panic!("callback boom"), |_| {})
        .unwrap();
    assert_eq!(pending.get().unwrap(), [9]);
    // The pool goes on.
    assert_eq!(pool.map(square, [4]).unwrap(), [16]);
}

/// `test_empty_iterable`: an empty map_async is ready at once with an empty list, and its
/// callback runs; a closed pool refuses the call and gives the items back.
fn map_async_of_nothing_and_on_a_closed_pool() {
    let pool = Pool::new(1).unwrap();
    let (tx, rx) = mpsc::channel();
    let empty = pool
        .map_async_with(
            square,
            [],
            move |v: &[u64]| tx.send(v.len()).unwrap(),
            |_| {},
        )
        .unwrap();
    assert!(empty.ready());
    assert_eq!(empty.get().unwrap(), Vec::<u64>::new());
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 0);
    pool.close();
    let refused = pool.map_async(square, [1, 2, 3]).unwrap_err();
    assert_eq!(refused.into_inner(), [1, 2, 3]);
    assert!(pool.starmap_async(two, [(1, 2)]).is_err());
    assert!(pool.imap(square, 0..).is_err());
    assert!(pool.imap_unordered(square, 0..).is_err());
    pool.join().unwrap();
}

/// The most items an `imap` of `processes` workers reads ahead of the results taken, in
/// chunks of `chunksize` (8 chunks per worker, as documented).
fn window(processes: usize, chunksize: usize) -> usize {
    8 * processes * chunksize
}

/// An endless input: the first results come, and the input is never read further ahead of
/// the results taken than the window.
fn imap_reads_an_endless_input_lazily() {
    let pool = Pool::new(2).unwrap();
    for chunksize in [1, 5] {
        let read = AtomicUsize::new(0);
        let items = (0u64..).inspect(|_| {
            read.fetch_add(1, Ordering::SeqCst);
        });
        let mut results = pool.imap_chunked(square, items, chunksize).unwrap();
        assert_eq!(
            read.load(Ordering::SeqCst),
            0,
            "nothing is read before a result is asked for"
        );
        for taken in 1..=200u64 {
            let x = taken - 1;
            assert_eq!(results.next().unwrap().unwrap(), x * x);
            let ahead = read.load(Ordering::SeqCst) - taken as usize;
            assert!(
                ahead <= window(2, chunksize),
                "chunksize {chunksize}: {ahead} items read ahead after {taken} results"
            );
        }
        drop(results);
        let after = read.load(Ordering::SeqCst);
        assert!(after <= 200 + window(2, chunksize));
    }
}

/// The same for imap_unordered: every result arrives (each once), within the window.
fn imap_unordered_reads_an_endless_input_lazily() {
    let pool = Pool::new(2).unwrap();
    let read = AtomicUsize::new(0);
    let items = (0u64..).inspect(|_| {
        read.fetch_add(1, Ordering::SeqCst);
    });
    let mut seen = HashSet::new();
    let mut results = pool.imap_unordered_chunked(square, items, 3).unwrap();
    for taken in 1..=300 {
        let value = results.next().unwrap().unwrap();
        assert!(seen.insert(value), "{value} came twice");
        let ahead = read.load(Ordering::SeqCst) - taken;
        assert!(
            ahead <= window(2, 3),
            "{ahead} items read ahead after {taken} results"
        );
    }
    // Every value is a square of an item read.
    let read = read.load(Ordering::SeqCst) as u64;
    assert!(seen.iter().all(|v| (0..read).any(|x| x * x == *v)));
}

/// `test_imap`, `test_imap_unordered`: a finite input in full, errors per item with their
/// index, a slow item overtaken in the unordered form, and `next_timeout`.
fn imap_finite_inputs_errors_and_timeouts() {
    let pool = Pool::new(2).unwrap();
    let outcomes: Vec<_> = pool
        .imap_chunked(panic_on_seven, 0..100, 4)
        .unwrap()
        .collect();
    assert_eq!(outcomes.len(), 100);
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(v) => assert_eq!(v, i as u64),
            Err(err) => {
                assert_eq!(i, 7);
                assert_eq!(err.index(), 7, "the index counts across chunks");
            }
        }
    }
    let unordered: Vec<u64> = pool
        .imap_unordered(nap_ms, [400, 1, 1, 1])
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(unordered.len(), 4);
    assert_eq!(*unordered.last().unwrap(), 400, "{unordered:?}");
    let mut slow = pool.imap(nap_ms, [400, 1]).unwrap();
    assert_eq!(slow.next_timeout(Duration::from_millis(10)), Err(TimedOut));
    assert_eq!(slow.next().unwrap().unwrap(), 400);
    assert_eq!(
        slow.next_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap()
            .unwrap(),
        1
    );
    assert_eq!(slow.next_timeout(Duration::from_secs(10)), Ok(None));
    let mut slow = pool.imap_unordered(nap_ms, [400]).unwrap();
    assert_eq!(slow.next_timeout(Duration::from_millis(10)), Err(TimedOut));
    assert_eq!(slow.next().unwrap().unwrap(), 400);
    assert!(slow.next().is_none());
}

/// A pool terminated under an endless imap: the iterator ends (the items in flight fail as
/// terminated, and no more input is read) instead of failing items forever.
fn an_endless_imap_ends_when_the_pool_is_terminated() {
    let pool = Pool::new(2).unwrap();
    let mut results = pool.imap(square, 0u64..).unwrap();
    for x in 0..5 {
        assert_eq!(results.next().unwrap().unwrap(), x * x);
    }
    pool.terminate();
    let rest: Vec<_> = results.by_ref().take(10 * window(2, 1)).collect();
    assert!(
        rest.len() <= window(2, 1) + 1,
        "{} more after terminate",
        rest.len()
    );
    for outcome in rest {
        if let Err(err) = outcome {
            assert_eq!(err.kind(), &TaskErrorKind::Terminated, "{err}");
        }
    }
    assert!(results.next().is_none());
}

fn main() -> ExitCode {
    support::run(
        [
            case!(starmap_and_apply_take_up_to_six_arguments),
            case!(map_async_is_an_async_result_of_the_list),
            case!(map_async_callbacks_run_before_the_result_is_ready),
            case!(map_async_of_nothing_and_on_a_closed_pool),
            case!(imap_reads_an_endless_input_lazily),
            case!(imap_unordered_reads_an_endless_input_lazily),
            case!(imap_finite_inputs_errors_and_timeouts),
            case!(an_endless_imap_ends_when_the_pool_is_terminated),
        ]
        .map(|test| test.limit(Duration::from_secs(60))),
    )
}

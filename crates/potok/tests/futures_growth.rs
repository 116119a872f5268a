//! `potok::futures`: CPython's `test_concurrent_futures` checks that many submits leak no
//! threads (`test_thread_pool.py`); here, in our own code, batches of 100,000 submits stay
//! within `max_workers` threads and later batches do not grow the process's memory.
//!
//! Its own test binary (regression: the test was flaky inside `tests/futures.rs`): the resident
//! set size is the whole process's, so other tests allocating on libtest's threads beside it
//! moved the figure by more than the limit under load. Alone in its process it measures only
//! the executor. Never hangs: every wait has a generous limit.

use std::time::Duration;

use potok::futures::{wait, ReturnWhen, ThreadPoolExecutor};

const LIMIT: Duration = Duration::from_secs(60);

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Batches of 100,000 submits stay within `max_workers` threads, and later batches do not grow
/// the memory the first settled at.
#[test]
fn a_hundred_thousand_submits_without_growth() {
    let ex = ThreadPoolExecutor::new(4);
    let batch = |ex: &ThreadPoolExecutor| {
        let fs: Vec<_> = (0..100_000u32).map(|i| ex.submit(move || i ^ 1)).collect();
        let w = wait(&fs, Some(LIMIT), ReturnWhen::AllCompleted);
        assert!(w.not_done.is_empty());
    };
    // The allocator settles after a batch or two; then three more batches must not grow it
    // by anything like a leak of even 100 bytes a future (30 MB for 300,000).
    batch(&ex);
    batch(&ex);
    let settled = rss_kib();
    for _ in 0..3 {
        batch(&ex);
    }
    let after = rss_kib();
    assert!(ex.threads().len() <= 4);
    if let (Some(a), Some(b)) = (settled, after) {
        assert!(b < a + 16 * 1024, "RSS grew from {a} KiB to {b} KiB");
    }
}

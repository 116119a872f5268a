//! [`wait`]: Python's `concurrent.futures.wait`, with [`ReturnWhen`] and the [`Waited`] sets.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::collector::Collector;
use super::future::Future;

/// When [`wait`] returns: Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any future finishes or is cancelled.
    FirstCompleted,
    /// As soon as any future fails (a cancellation is not a failure), or when all finish.
    FirstException,
    /// When every future has finished (the default, as in Python).
    #[default]
    AllCompleted,
}

/// What [`wait`] found: the futures that are finished and those that are not (Python's
/// `DoneAndNotDoneFutures`). Each future appears once, even if it was given twice.
pub struct Waited<T> {
    /// The finished futures (with a value, an error, or cancelled).
    pub done: Vec<Future<T>>,
    /// The others.
    pub not_done: Vec<Future<T>>,
}

impl<T> std::fmt::Debug for Waited<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waited")
            .field("done", &self.done)
            .field("not_done", &self.not_done)
            .finish()
    }
}

/// Waits for the futures `fs` until `return_when` holds or `timeout` passes (`None`: no
/// limit): Python's `concurrent.futures.wait(fs, timeout, return_when)`.
///
/// No polling: one collector is registered on every pending future, and each future's end
/// wakes the waiter once.
///
/// # Panics
///
/// Without a timeout, with a [`DeadlockError`](crate::DeadlockError) when the wait can never
/// end (see [`crate::deadlock`]).
///
/// # Examples
///
/// ```
/// use potok::futures::{wait, ReturnWhen, ThreadPoolExecutor};
///
/// let executor = ThreadPoolExecutor::new(2);
/// let fs: Vec<_> = (0..4).map(|i| executor.submit(move || i * 10)).collect();
/// let waited = wait(&fs, None, ReturnWhen::AllCompleted);
/// assert_eq!(waited.done.len(), 4);
/// assert!(waited.not_done.is_empty());
/// ```
#[track_caller]
pub fn wait<T: Send + 'static>(
    fs: &[Future<T>],
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> Waited<T> {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let unique = unique(fs);
    let n = unique.len();
    let what = match return_when {
        ReturnWhen::FirstCompleted => format!("any of {n} futures"),
        ReturnWhen::FirstException => format!("a failure among {n} futures"),
        ReturnWhen::AllCompleted => format!("all of {n} futures"),
    };
    let collector = Arc::new(Collector::new(what, false));
    let (mut done_before, mut failed_before) = (0, 0);
    for (index, future) in unique.iter().enumerate() {
        if let Err(failed) = future.watch(&collector, index) {
            done_before += 1;
            failed_before += usize::from(failed);
        }
    }
    collector.wait_for(
        deadline,
        |heard| {
            let done = done_before + heard.finished;
            let failed = failed_before + heard.failed;
            match return_when {
                ReturnWhen::FirstCompleted => done > 0 || n == 0,
                ReturnWhen::FirstException => failed > 0 || done == n,
                ReturnWhen::AllCompleted => done == n,
            }
        },
        |_| (),
    );
    for future in &unique {
        future.unwatch(&collector);
    }
    let (done, not_done) = unique.into_iter().partition(Future::done);
    Waited { done, not_done }
}

/// `fs` without repeats, in first-seen order.
pub(crate) fn unique<T: Send + 'static>(fs: &[Future<T>]) -> Vec<Future<T>> {
    let mut seen =
        HashSet::with_capacity_and_hasher(fs.len(), BuildHasherDefault::<IdHash>::default());
    fs.iter().filter(|f| seen.insert(f.id())).cloned().collect()
}

/// Hashes a future's identity (the address of its state) with one multiplication, instead of
/// SipHash's rounds: the set in [`unique`] holds one per future, and nobody chooses them.
#[derive(Default)]
struct IdHash(u64);

impl Hasher for IdHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b) ^ self.0.rotate_left(8));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing; the high half folded down, since the table indexes by the low
        // bits and an address's low bits are zero.
        let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 32);
    }
}

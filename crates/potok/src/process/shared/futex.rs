//! Sleeping on a word of shared memory until another process changes it: `FUTEX_WAIT` and
//! `FUTEX_WAKE` on shared (not process-private) futexes, and the time slices waiters sleep in.

use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

use rustix::thread::futex;

/// Sleeps while `word` holds `expected`, for at most `timeout` (`None`: until woken). Returns
/// early on a wake-up, a signal, or when the word already differs; the caller re-checks.
pub(crate) fn wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
    let timespec = timeout.map(|t| futex::Timespec {
        tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(t.subsec_nanos()),
    });
    let _ = futex::wait(word, futex::Flags::empty(), expected, timespec.as_ref());
}

/// Wakes up to `n` sleepers on `word`, in any process.
pub(crate) fn wake(word: &AtomicU32, n: u32) {
    let _ = futex::wake(word, futex::Flags::empty(), n);
}

/// Wakes every sleeper on `word`.
pub(crate) fn wake_all(word: &AtomicU32) {
    wake(word, i32::MAX as u32);
}

/// How long the next sleep may last: `slice` at most, less if `deadline` is nearer.
/// `Err(())` once the deadline has passed.
pub(crate) fn next_sleep(slice: Duration, deadline: Option<Instant>) -> Result<Duration, ()> {
    match deadline {
        None => Ok(slice),
        Some(deadline) => {
            let now = Instant::now();
            if now >= deadline {
                Err(())
            } else {
                Ok(slice.min(deadline - now))
            }
        }
    }
}

/// Like [`next_sleep`], but with no slice: `Ok(None)` sleeps until woken.
pub(crate) fn until(deadline: Option<Instant>) -> Result<Option<Duration>, ()> {
    match deadline {
        None => Ok(None),
        Some(_) => next_sleep(Duration::MAX, deadline).map(Some),
    }
}

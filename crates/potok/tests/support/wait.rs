//! Bounded waits: nothing a test waits for can hang the suite.

use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `f` on a thread and returns its result, failing the test if it takes longer than
/// `limit`: a hang fails the test instead of hanging the suite.
pub(crate) fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(_) => panic!("{what}: did not finish within {limit:?}"),
    }
}

/// Gives freshly started threads a moment to reach their blocking call. It only makes the
/// blocked path likely: no assertion may depend on it.
pub(crate) fn settle() {
    std::thread::sleep(Duration::from_millis(20));
}

/// Starts a thread that waits in `join` and then reports on the returned channel.
pub(crate) fn spawn_joiner(
    join: impl FnOnce() + Send + 'static,
) -> (mpsc::Receiver<()>, potok::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let joiner = potok::spawn(move || {
        join();
        let _ = tx.send(());
    });
    (rx, joiner)
}

/// Polls `cond` until it holds or `within` passes.
pub(crate) fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

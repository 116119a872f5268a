//! Helpers shared by the queue test files: a watchdog and a joiner that reports.

use std::sync::mpsc;
use std::time::Duration;

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

/// Starts a thread that waits in `join` and then reports on the returned channel.
#[allow(dead_code)]
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

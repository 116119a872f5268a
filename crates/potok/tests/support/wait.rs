//! Bounded waits: nothing a test waits for can hang the suite. To wait until a thread is
//! blocked where a test says, use `potok::deadlock::wait_until_blocked` (see `blocked` in
//! `support/mod.rs`).

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

/// Waits until `potok::deadlock::snapshot()` shows `thread` blocked (with or without a timeout)
/// on the primitive of this kind named `name` (for a join: `ResourceKind::Thread` and the
/// joined thread's name), and fails the test, showing where every thread was, if it does not
/// within 30 s. A test that must act on a blocked thread calls this first, so it cannot pass
/// without reaching the state its name claims.
pub(crate) fn blocked(
    thread: &potok::Thread,
    kind: potok::deadlock::ResourceKind,
    name: &str,
) -> potok::deadlock::ThreadSnapshot {
    potok::deadlock::wait_until_blocked(thread, kind, name, Duration::from_secs(30))
        .unwrap_or_else(|err| panic!("{err}"))
}

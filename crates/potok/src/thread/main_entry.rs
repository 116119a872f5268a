//! `potok::main`: the interpreter's exit rule (wait for every non-daemon thread).

use std::panic::{self, AssertUnwindSafe};

use super::registry;

/// Runs a program's `main` body the way Python runs a script: then waits for every non-daemon
/// thread before returning, and abandons daemon threads; then terminates the daemon child
/// processes still running and waits for the other children (see
/// [`Process::daemon`](crate::process::Process::daemon)).
///
/// Without it Rust's own rule applies: when `main` returns, the process exits and every other
/// thread dies wherever it is, daemon or not (a half-written file stays half-written).
///
/// Call it first thing in `fn main`, on the process's main thread. If the body panics, the
/// non-daemon threads are still waited for, then the panic goes on.
///
/// It also arranges for `SIGQUIT`, and `POTOK_DUMP_AFTER=SECS`, to print what every thread is
/// doing (see [`deadlock::watch_for_dumps`](crate::deadlock::watch_for_dumps)).
///
/// It also dispatches child processes: in a process started by [`crate::process`] (a pool
/// worker, a `Process`), it runs the child's work instead of `body` and exits
/// (see [`process::init`](crate::process::init)).
///
/// With `POTOK_TRACE=FILE` in the environment it records the run and writes `FILE` at the
/// end: the timeline page for `FILE.html`, Chrome trace JSON otherwise (see [`crate::trace`]).
///
/// # Examples
///
/// ```
/// potok::main(|| {
///     assert_eq!(potok::current_thread().name(), "MainThread");
///     potok::spawn(|| potok::sleep(std::time::Duration::from_millis(10)));
///     // no join: potok::main waits for the thread before returning
/// });
/// assert_eq!(potok::active_count(), 1);
/// ```
pub fn main<R>(body: impl FnOnce() -> R) -> R {
    // A child process started by potok::process runs its worker here and never returns.
    #[cfg(target_os = "linux")]
    crate::process::init();
    // A worker of a cluster pool (POTOK_WORKER=url) serves its broker here and never returns.
    #[cfg(all(target_os = "linux", feature = "cluster"))]
    crate::cluster::init();
    crate::trace::env_start();
    let me = registry::current_thread();
    if let Err(err) = crate::deadlock::watch_for_dumps() {
        eprintln!("potok: {err}");
    }
    let outcome = panic::catch_unwind(AssertUnwindSafe(body));
    wait_for_non_daemon_threads(me.ident());
    // Then Python's rule for child processes: daemon ones terminated, the others joined.
    #[cfg(target_os = "linux")]
    crate::process::at_exit();
    crate::trace::env_finish();
    match outcome {
        Ok(value) => value,
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// Joins non-daemon threads until none is left, including ones they started meanwhile.
fn wait_for_non_daemon_threads(me: u64) {
    loop {
        let pending: Vec<_> = registry::live_threads()
            .into_iter()
            .filter(|t| {
                !t.is_daemon() && t.ident() != me && t.inner.kind == super::handle::Kind::Spawned
            })
            .collect();
        if pending.is_empty() {
            return;
        }
        for thread in pending {
            let _ = thread.join();
        }
    }
}

//! Turning a process into a worker: `POTOK_WORKER=url ./program` runs [`worker`](super::worker)
//! instead of the program, when `main` begins with [`potok::main`](crate::main) or [`init`].

use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable that makes a process a worker: the broker's URL.
pub(crate) const ENV_URL: &str = "POTOK_WORKER";
/// Set by a pool for its local workers: the pool's pid, so that they die with it.
pub(crate) const ENV_PARENT: &str = "POTOK_WORKER_PARENT";

static DISPATCHED: AtomicBool = AtomicBool::new(false);

/// Runs a worker instead of the program if `POTOK_WORKER` is set; returns at once otherwise.
///
/// [`potok::main`](crate::main) calls it first (with the `cluster` feature), so a program that
/// uses `potok::main` needs nothing else; a program that does not calls it as the first line of
/// `main`. A worker never returns from here: it serves the broker until it loses it, then
/// exits with a message and code 1.
///
/// # Examples
///
/// ```no_run
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// fn main() {
///     potok::cluster::init(); // with POTOK_WORKER=redis://... this process is a worker
///     let pool = potok::cluster::Pool::connect("redis://127.0.0.1:6379/0").unwrap();
///     assert_eq!(pool.map(square, 1..=3).unwrap(), [1, 4, 9]);
/// }
/// ```
pub fn init() {
    if DISPATCHED.swap(true, Ordering::AcqRel) {
        return;
    }
    let Some(url) = std::env::var_os(ENV_URL) else {
        return;
    };
    let parent = std::env::var(ENV_PARENT).ok();
    // A task may build pools of its own: it must not see the marker.
    std::env::remove_var(ENV_URL);
    std::env::remove_var(ENV_PARENT);
    let url = url.to_string_lossy().into_owned();
    if let Some(ppid) = parent.and_then(|p| p.parse::<libc::pid_t>().ok()) {
        die_with_parent(ppid);
    }
    match super::worker::serve(&url) {
        Ok(never) => match never {},
        Err(err) => {
            eprintln!("potok worker {}: {err}", std::process::id());
            std::process::exit(1);
        }
    }
}

/// Whether this process was started as a worker but never dispatched (its `main` does not
/// call [`init`]): such a process must not start workers of its own.
pub(crate) fn undispatched_worker() -> bool {
    std::env::var_os(ENV_URL).is_some() && !DISPATCHED.load(Ordering::Acquire)
}

/// A local worker asks for SIGKILL when its pool's process dies, then checks it has not died.
fn die_with_parent(ppid: libc::pid_t) {
    // SAFETY: prctl(PR_SET_PDEATHSIG, sig) only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    }
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != ppid {
        std::process::exit(0);
    }
}

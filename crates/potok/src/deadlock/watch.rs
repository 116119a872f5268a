//! [`watch_for_dumps`]: prints [`dump`](super::dump) on `SIGQUIT` and after
//! `POTOK_DUMP_AFTER` seconds, from watcher threads (nothing runs in a signal handler but
//! signal-hook's own async-signal-safe write to its pipe).
//!
//! The watchers are plain std threads, not potok threads: they never block on potok
//! primitives, and the stall detector does not count them as threads that might wake others
//! (see [`spawn_internal`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Starts one of potok's own helper threads (known to the stall detector by its OS thread id
/// while it runs: it never wakes a program's blocked thread).
pub(crate) fn spawn_internal(
    name: &str,
    body: impl FnOnce() + Send + 'static,
) -> std::io::Result<()> {
    // Known from inside the thread, from its first to its last instruction: before and after
    // that the OS lists a thread potok does not know, which makes the detector suspect (and
    // check again later), never declare, a stall.
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let tid = crate::thread::get_native_id();
            super::family::helper_starts(tid);
            body();
            super::family::helper_ends(tid);
        })
        .map(drop)
}

static WATCHING: AtomicBool = AtomicBool::new(false);

/// The environment variable: print the dump once, after this many seconds (a decimal number).
pub const DUMP_AFTER_VAR: &str = "POTOK_DUMP_AFTER";

/// Prints what every thread is doing ([`dump`](super::dump)) when the process gets `SIGQUIT`
/// (Ctrl-\ in a terminal; `kill -QUIT PID`), every time, and once after `POTOK_DUMP_AFTER`
/// seconds if that variable is set (`POTOK_DUMP_AFTER=10`, `=0.5`): Python's faulthandler for
/// a program that hangs, with potok's locks. [`potok::main`](crate::main) calls it; a program
/// or a test harness without `potok::main` may call it itself. Calling it again does nothing.
///
/// Taking over `SIGQUIT` replaces its default action (quit with a core dump).
///
/// # Errors
///
/// When the signal handler or a watcher thread cannot be set up; or `POTOK_DUMP_AFTER` is not
/// a number of seconds (then the `SIGQUIT` watcher is still running).
///
/// # Examples
///
/// ```
/// potok::deadlock::watch_for_dumps().unwrap();
/// // From now on `kill -QUIT <pid>` prints what every thread is doing, to stderr.
/// ```
pub fn watch_for_dumps() -> std::io::Result<()> {
    if WATCHING.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    #[cfg(unix)]
    {
        let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGQUIT])?;
        spawn_internal("potok-dump-on-sigquit", move || {
            for _ in signals.forever() {
                super::dump();
            }
        })?;
    }
    if let Some(value) = std::env::var_os(DUMP_AFTER_VAR) {
        let after = value
            .to_str()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("{DUMP_AFTER_VAR}={value:?} is not a number of seconds"),
                )
            })?;
        spawn_internal("potok-dump-after", move || {
            std::thread::sleep(after);
            eprintln!(
                "potok: still running after {} s ({DUMP_AFTER_VAR}):",
                after.as_secs_f64()
            );
            super::dump();
        })?;
    }
    Ok(())
}

//! `threading.excepthook`: how a panic in a potok thread is reported (once, with its name).
//!
//! Potok installs a process panic hook the first time it starts a thread. For panics on
//! potok threads it only notes where the panic happened, and the thread's own wrapper reports
//! it after unwinding, through the excepthook, so it is reported once: by default as
//!
//! ```text
//! Exception in thread worker:
//! panicked at src/main.rs:10:5:
//! oops
//! ```
//!
//! Panics anywhere else go to the panic hook that was there before.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::sync::{Arc, Once};

use parking_lot::RwLock;

use super::handle::Thread;
use super::join::Panicked;

type Hook = Arc<dyn Fn(&ExceptHookArgs<'_>) + Send + Sync>;

static HOOK: RwLock<Option<Hook>> = parking_lot::const_rwlock(None);
static INSTALL: Once = Once::new();

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// What the excepthook is told about a panicked thread (Python's `ExceptHookArgs`).
#[derive(Debug)]
#[non_exhaustive]
pub struct ExceptHookArgs<'a> {
    /// The thread that panicked.
    pub thread: &'a Thread,
    /// The panic message.
    pub message: &'a str,
    /// Where it panicked, when known.
    pub location: Option<&'a str>,
    /// The whole panic, to look at its payload.
    pub panicked: &'a Panicked,
}

/// Replaces how a panicking potok thread is reported: Python's `threading.excepthook = hook`.
///
/// The hook runs on the panicking thread after it has unwound, once per panic. Whatever the
/// hook does, [`JoinHandle::join`](crate::JoinHandle::join) still returns the panic.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// potok::set_excepthook(move |args| {
///     log.lock().unwrap().push(format!("{}: {}", args.thread.name(), args.message));
/// });
/// let _ = potok::Builder::new().name("w").spawn(|| panic!("bad")).unwrap().join();
/// potok::reset_excepthook();
/// assert_eq!(*seen.lock().unwrap(), ["w: bad"]);
/// ```
pub fn set_excepthook<F>(hook: F)
where
    F: Fn(&ExceptHookArgs<'_>) + Send + Sync + 'static,
{
    *HOOK.write() = Some(Arc::new(hook));
}

/// Restores the default report (`Exception in thread NAME:` and the panic, on stderr).
pub fn reset_excepthook() {
    *HOOK.write() = None;
}

/// Installs potok's panic hook once per process (see the module docs).
pub(crate) fn install_panic_hook() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = QUIET.try_with(Cell::get).unwrap_or(false);
            if quiet {
                let location = info.location().map(ToString::to_string);
                let _ = LOCATION.try_with(|l| *l.borrow_mut() = location);
            } else if info.payload().is::<crate::deadlock::DeadlockError>() {
                // The report was printed when the deadlock was found (unless reports are
                // off): say only who panics.
                let name = std::thread::current()
                    .name()
                    .unwrap_or("<unnamed>")
                    .to_owned();
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "thread '{name}' panicked with the DeadlockError{}",
                    reported_above()
                );
            } else {
                previous(info);
            }
        }));
    });
}

/// While alive, panics on this thread are left to potok's report.
pub(crate) struct QuietPanics(());

impl QuietPanics {
    pub(crate) fn enter() -> Self {
        QUIET.with(|q| q.set(true));
        QuietPanics(())
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        let _ = QUIET.try_with(|q| q.set(false));
    }
}

pub(crate) fn take_panic_location() -> Option<String> {
    LOCATION.try_with(|l| l.borrow_mut().take()).ok().flatten()
}

/// Reports a thread's panic through the hook, or on stderr by default.
pub(crate) fn report(panicked: &Panicked) {
    let args = ExceptHookArgs {
        thread: panicked.thread(),
        message: panicked.message(),
        location: panicked.location(),
        panicked,
    };
    let hook = HOOK.read().clone();
    match hook {
        Some(hook) => {
            // A hook that panics must not lose the thread's own panic (nor skip the thread's
            // exit bookkeeping): its panic is reported by the panic hook, then the default
            // report stands in for it, as Python falls back to sys.excepthook.
            let hooked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&args)));
            if hooked.is_err() {
                default_report(&args);
            }
        }
        None => default_report(&args),
    }
}

fn default_report(args: &ExceptHookArgs<'_>) {
    if args.panicked.is::<crate::deadlock::DeadlockError>() {
        // The report was printed when the deadlock was found (unless reports are off).
        let text = format!(
            "Exception in thread {}: DeadlockError{}\n",
            args.thread.name(),
            reported_above()
        );
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
        return;
    }
    let mut text = format!("Exception in thread {}:\n", args.thread.name());
    if let Some(location) = args.location {
        text.push_str(&format!("panicked at {location}:\n"));
    }
    text.push_str(args.message);
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// " reported above" when deadlock reports are printed as they are found, else nothing.
fn reported_above() -> &'static str {
    if crate::deadlock::prints_reports() {
        " reported above"
    } else {
        ""
    }
}

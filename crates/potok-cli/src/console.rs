//! Where lessons print: their lines to stdout, explanations and notes to stderr, and a progress
//! bar on stderr while long work runs, drawn only when both stdout and stderr are terminals
//! (never into a pipe, a file, or a terminal whose output is also going to `| tee`).
//!
//! A write to stdout that fails is returned ([`Output`]) up to `main`, which ends a run whose
//! reader went away (`potok tour | head -1`) with exit code 0 after every cleanup has run.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar being drawn, if any.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active() -> std::sync::MutexGuard<'static, Option<ProgressBar>> {
    ACTIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Prints one line on stdout, ignoring a failed write: `say!("✓ {}", title)`. Prefer
/// `say(text)?`, which returns the failure to `main` (a lesson whose reader went away then
/// stops at once, and cleans up on the way out).
macro_rules! say_ignoring_errors {
    ($($arg:tt)*) => {{
        let _ = $crate::console::say(format_args!($($arg)*));
    }};
}
// The macro is `say!` (the name lives in the macro namespace, beside the function `say`).
pub(crate) use say_ignoring_errors as say;

/// A write to stdout failed (the reader went away, or the disk is full).
#[derive(Debug)]
pub(crate) struct Output(pub(crate) std::io::Error);

/// Prints one lesson line on stdout, keeping a progress bar (if one is drawn) out of its way.
pub(crate) fn say(text: impl Display) -> Result<(), Output> {
    let write = || writeln!(std::io::stdout().lock(), "{text}");
    let bar = active().clone();
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
    .map_err(Output)
}

/// Prints a note or an explanation on stderr, out of a progress bar's way. A failed write to
/// stderr is ignored: there is nowhere left to report it.
pub(crate) fn note(text: impl Display) {
    let write = || {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    };
    let bar = active().clone();
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Whether progress may be drawn: stdout and stderr both terminals, and `TERM` not `dumb`.
pub(crate) fn interactive() -> bool {
    std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// A progress bar (or, without a total, a spinner) for the lesson's long work; drawn only when
/// [`interactive`], removed when dropped. Its line fits the terminal's width: the bar takes
/// what the label and figures leave.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar counting to `total`.
    pub(crate) fn new(total: u64, label: &str) -> Progress {
        Self::with(Some(total), label, "{prefix} [{wide_bar}] {pos}/{len}")
    }

    /// A spinner with the time spent so far, for work whose size is not known.
    pub(crate) fn spinner(label: &str) -> Progress {
        let progress = Self::with(None, label, "{spinner} {prefix} {elapsed}");
        progress.bar.enable_steady_tick(Duration::from_millis(120));
        progress
    }

    fn with(total: Option<u64>, label: &str, template: &str) -> Progress {
        let target = if interactive() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(total, target);
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_owned());
        *active() = Some(bar.clone());
        Progress { bar }
    }

    /// Counts `n` more units done.
    pub(crate) fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        *active() = None;
        self.bar.finish_and_clear();
    }
}

//! Where lessons print: their lines to stdout, and a progress bar on stderr while long work runs,
//! only when stderr is a terminal (never in a pipe or a file).

use std::fmt::Display;
use std::io::Write;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::{Mutex, PoisonError};

/// The bar being drawn, if any.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active() -> std::sync::MutexGuard<'static, Option<ProgressBar>> {
    ACTIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Prints one lesson line on stdout: `say!("{name}, на нас напали!")`, the CLI's `print()`.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::console::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Prints one lesson line on stdout, keeping a progress bar (if one is drawn) out of its way.
///
/// When the reader of a pipe has gone (`potok tour | head`), the program ends quietly with
/// exit code 0, as command-line tools do, instead of panicking in every thread.
pub(crate) fn line(text: impl Display) {
    let write = || writeln!(std::io::stdout().lock(), "{text}");
    let bar = active().clone();
    let written = match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    };
    if let Err(err) = written {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("potok: cannot write to stdout: {err}");
        std::process::exit(1);
    }
}

/// A progress bar for the lesson's long work; drawn only on a terminal, removed when dropped.
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub(crate) fn new(total: u64, label: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed}")
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

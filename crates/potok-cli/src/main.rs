//! `potok`: the five lessons of the threading course ("Модуль 10. Мультипоточность") as real
//! programs on the potok library.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | the lesson ran to the end (for `deadlock`: the deadlock was caught and reported); also when the reader of stdout went away (`potok tour \| head -1`) |
//! | 1 | the lesson failed while running (an I/O error, a panicked thread); one line on stderr |
//! | 2 | bad input: an unknown flag, a bad value, a folder that cannot be written; one line on stderr |
//!
//! Every word printed comes from the message catalogue in `msg` (Russian and English).

mod check;
mod cli;
mod console;
mod context;
mod error;
mod lessons;
mod msg;
mod timedelta;
mod trace_files;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic in `main` itself is a bug of potok's code: one line in the chosen language
    // instead of Rust's English report. (A lesson thread's panic comes back through its join
    // and is worded there; potok's own hook, installed at the first thread, passes the other
    // panics on to this one. A child process installs its own.)
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info.location().map(ToString::to_string);
        let thread = std::thread::current();
        let line = msg::m().thread_panicked(
            thread.name().unwrap_or("main"),
            &message,
            location.as_deref(),
        );
        let _ = writeln!(std::io::stderr(), "potok: {line}");
    }));
    potok::main(|| {
        // The CLI words every deadlock report itself, in the chosen language, from the
        // error's data; a lesson thread's panic comes back through its join, so the library's
        // English report and excepthook line would only say it twice.
        potok::deadlock::set_print_reports(false);
        potok::set_excepthook(|_| {});
        // The deadlock lessons invert lock orders on purpose, so the lock-order warning (on in
        // debug builds) is off; POTOK_LOCK_ORDER=1 turns it on (the library reads it), worded by the CLI from the
        // violation's data (the library's own text is English).
        if std::env::var_os("POTOK_LOCK_ORDER").is_none() {
            potok::deadlock::set_lock_order_check(false);
        } else {
            potok::deadlock::set_lock_order_hook(|v| {
                console::note(msg::report::lock_order(msg::m(), v));
            });
        }
        // Errors come back here, after every lesson's cleanup (temporary folders, progress
        // bars) has run on the way out.
        let outcome = cli::parse().and_then(|cli| match cli {
            Some(cli) => trace_files::around(&cli, || lessons::run(&cli)),
            None => Ok(()),
        });
        match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                if !err.is_quiet() {
                    console::note(format!("potok: {err}"));
                }
                ExitCode::from(err.exit_code())
            }
        }
    })
}

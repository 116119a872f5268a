//! `potok`: the five lessons of the threading course ("Модуль 10. Мультипоточность") as real
//! programs on the potok library.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | the lesson ran to the end (for `deadlock`: the deadlock was caught and reported) |
//! | 1 | the lesson failed while running (an I/O error, a panicked thread); one line on stderr |
//! | 2 | bad input: an unknown flag, a bad value, a folder that cannot be written; one line on stderr |

mod check;
mod cli;
mod console;
mod context;
mod error;
mod lessons;
mod timedelta;
mod trace_files;

use std::process::ExitCode;

fn main() -> ExitCode {
    potok::main(|| {
        let outcome =
            cli::parse().and_then(|args| trace_files::around(&args, || lessons::run(&args)));
        match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("potok: {err}");
                ExitCode::from(err.exit_code())
            }
        }
    })
}

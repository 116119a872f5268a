//! One file per lesson (and per tool: `tour`, `show`); `run` sends each command to its file.

pub(crate) mod bank;
pub(crate) mod cafe;
pub(crate) mod deadlock;
pub(crate) mod gil;
pub(crate) mod knights;
pub(crate) mod read_files;
pub(crate) mod show;
pub(crate) mod tour;
pub(crate) mod write_words;

use crate::cli::{Cli, Command, Explain};
use crate::context::Context;
use crate::error::CliResult;
use crate::msg;

/// Runs the command the user asked for.
pub(crate) fn run(cli: &Cli) -> CliResult {
    let lang = cli.global.lang.unwrap_or_else(msg::lang);
    let ctx = |scale: f64, seed: Option<u64>, explain: &Explain| {
        Context::new(lang, scale, seed, !explain.no_explain)
    };
    match &cli.command {
        Command::WriteWords {
            dir, pace, explain, ..
        } => write_words::run(&ctx(pace.scale(), None, explain), dir),
        Command::Knights {
            knights,
            pace,
            explain,
            ..
        } => knights::run(&ctx(pace.scale(), None, explain), knights),
        Command::Bank {
            faithful,
            pace,
            seed,
            explain,
            ..
        } => bank::run(&ctx(pace.scale(), *seed, explain), *faithful),
        Command::Deadlock { scenario, .. } => {
            let (scale, seed) = scenario.pace_and_seed();
            deadlock::run(&Context::new(lang, scale, seed, true), scenario)
        }
        Command::Cafe {
            tables,
            guests,
            pace,
            seed,
            explain,
            ..
        } => cafe::run(&ctx(pace.scale(), *seed, explain), *tables, guests),
        Command::Gil {
            threads,
            work,
            broker,
            explain,
            ..
        } => gil::run(
            &ctx(1.0, None, explain),
            *threads,
            *work,
            None,
            broker.as_deref(),
        ),
        Command::Worker { url } => gil::serve(&Context::new(lang, 1.0, None, false), url),
        Command::ReadFiles {
            dir,
            lines,
            clean,
            explain,
            ..
        } => {
            let ctx = ctx(1.0, None, explain);
            if *clean {
                return read_files::clean(&ctx);
            }
            read_files::run_cli(&ctx, dir.as_deref(), *lines)
        }
        Command::Tour {
            time_scale,
            seed,
            explain,
            ..
        } => tour::run(&ctx(time_scale.unwrap_or(tour::TIME_SCALE), *seed, explain)),
        Command::Show { lesson } => show::run(&Context::new(lang, 1.0, None, false), *lesson),
        Command::Check {
            file,
            lesson,
            time_scale,
            hang_after,
            record,
        } => crate::check::run(
            &Context::new(
                lang,
                time_scale.unwrap_or(crate::check::TIME_SCALE),
                None,
                false,
            ),
            &crate::check::Args {
                file: file.clone(),
                lesson: lesson.clone(),
                hang_after: *hang_after,
                trace: record.trace.clone(),
                timeline: record.timeline.clone(),
            },
        ),
    }
}

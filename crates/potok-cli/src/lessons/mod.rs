//! One file per lesson; `run` sends each command to its lesson.

pub(crate) mod bank;
pub(crate) mod cafe;
pub(crate) mod deadlock;
mod gil;
pub(crate) mod knights;
pub(crate) mod read_files;
mod tour;
pub(crate) mod write_words;

use crate::cli::{Cli, Command};
use crate::context::{Context, Lang};
use crate::error::CliResult;

/// Runs the command the user asked for.
pub(crate) fn run(cli: &Cli) -> CliResult {
    let lang = cli.global.lang.unwrap_or_else(Lang::from_env);
    let default_scale = match cli.command {
        Command::Tour => tour::TIME_SCALE,
        Command::Check { .. } => crate::check::TIME_SCALE,
        _ => 1.0,
    };
    let ctx = Context::new(
        lang,
        cli.global.time_scale.unwrap_or(default_scale),
        cli.global.seed,
    );
    match &cli.command {
        Command::WriteWords { dir } => write_words::run(&ctx, dir),
        Command::Knights { knights } => knights::run(&ctx, knights),
        Command::Bank { faithful } => bank::run(&ctx, *faithful),
        Command::Deadlock { scenario } => deadlock::run(&ctx, scenario),
        Command::Cafe { tables, guests } => cafe::run(&ctx, *tables, guests),
        Command::Gil { threads, work } => gil::run(&ctx, *threads, *work, None),
        Command::ReadFiles { dir, lines } => {
            read_files::run(&ctx, dir, lines.unwrap_or(read_files::DEFAULT_LINES))
        }
        Command::Tour => tour::run(&ctx),
        Command::Check {
            file,
            lesson,
            hang_after,
        } => crate::check::run(
            &ctx,
            &crate::check::Args {
                file: file.clone(),
                lesson: lesson.clone(),
                hang_after: *hang_after,
                trace: cli.global.trace.clone(),
                timeline: cli.global.timeline.clone(),
            },
        ),
    }
}

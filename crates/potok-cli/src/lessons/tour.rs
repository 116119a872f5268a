//! `potok tour`: every lesson, one after another, at a small time scale.

use crate::console::say;
use crate::context::{Context, Lang};
use crate::error::{CliError, CliResult};

/// The tour's default `--time-scale`: a hundred times faster than the course.
pub(super) const TIME_SCALE: f64 = 0.01;

/// How long one Rust thread's share of `gil` takes in the tour (the amount is calibrated to it,
/// since debug and release builds differ thirtyfold), and CPython's fixed share, which takes
/// about as long in CPython 3.11.
const TOUR_GIL_PIECE: std::time::Duration = std::time::Duration::from_millis(40);
const TOUR_GIL_PYTHON_SQUARES: u64 = 600_000;

/// Lines per file for read-files in the tour: small, so it is quick.
const TOUR_LINES: u64 = 20_000;

pub(super) fn run(ctx: &Context) -> CliResult {
    // A fresh private folder (not a guessable name another user could prepare), removed after.
    let dir = tempfile::Builder::new()
        .prefix("potok-tour-")
        .tempdir()
        .map_err(|e| CliError::Failed(format!("cannot make a temporary folder: {e}")))?;
    lessons(ctx, dir.path())
}

fn lessons(ctx: &Context, dir: &std::path::Path) -> CliResult {
    header(
        ctx,
        "10_1",
        "Создание потоков",
        "Creating threads",
        "write-words",
    );
    super::write_words::run(ctx, dir)?;
    header(
        ctx,
        "10_2",
        "Потоки на классах",
        "Threads as classes",
        "knights",
    );
    super::knights::run(ctx, &[])?;
    header(
        ctx,
        "10_3",
        "Блокировки и обработка ошибок",
        "Locks and error handling",
        "bank",
    );
    super::bank::run(ctx, false)?;
    header(
        ctx,
        "10_3",
        "Взаимная блокировка",
        "A deadlock",
        "deadlock abba",
    );
    super::deadlock::run(ctx, &super::deadlock::Scenario::Abba)?;
    header(
        ctx,
        "10_4",
        "Очереди для обмена данными между потоками",
        "Queues for exchanging data between threads",
        "cafe",
    );
    super::cafe::run(ctx, super::cafe::TABLES, &[])?;
    header(ctx, "10_4", "GIL", "The GIL", "gil");
    let work = super::gil::calibrated_work(TOUR_GIL_PIECE);
    super::gil::run(ctx, None, work, Some(TOUR_GIL_PYTHON_SQUARES))?;
    header(
        ctx,
        "10_5",
        "Многопроцессное программирование",
        "Multiprocessing",
        "read-files",
    );
    super::read_files::run(ctx, dir, TOUR_LINES)?;
    Ok(())
}

fn header(ctx: &Context, number: &str, ru: &str, en: &str, command: &str) {
    let title = match ctx.lang {
        Lang::Ru => ru,
        Lang::En => en,
    };
    say!("\n== {number} {title} (potok {command}) ==");
    // The timeline (--timeline) marks where each lesson starts.
    potok::trace::mark(&format!("{number} {command}"));
}

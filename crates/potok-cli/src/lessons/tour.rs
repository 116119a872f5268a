//! `potok tour`: every lesson, one after another, at a small time scale, in a private
//! temporary folder that is removed however the tour ends (a broken pipe included: the error
//! is returned through here, and the folder is dropped on the way).

use std::path::Path;
use std::time::Duration;

use crate::console::say;
use crate::context::Context;
use crate::error::{CliError, CliResult};

/// The tour's default `--time-scale`: a hundred times faster than the course.
pub(crate) const TIME_SCALE: f64 = 0.01;

/// How long one Rust thread's share of `gil` takes in the tour (the amount is calibrated to it,
/// since debug and release builds differ thirtyfold); CPython does a twentieth of it, as
/// `gil --work` says.
const TOUR_GIL_PIECE: Duration = Duration::from_millis(20);

/// Lines per file for read-files in the tour: about 2.6 MB a file, enough reading for the
/// process pool to pay for its start on two cores, still quick.
pub(crate) const TOUR_LINES: u64 = 400_000;

pub(crate) fn run(ctx: &Context) -> CliResult {
    // A fresh private folder (not a guessable name another user could prepare), removed when
    // `dir` is dropped, after the lessons, whether they succeeded or not.
    let dir = tempfile::Builder::new()
        .prefix("potok-tour-")
        .tempdir()
        .map_err(|e| CliError::Failed(ctx.m().cannot_make_temp(&ctx.m().io_error(&e))))?;
    let outcome = lessons(ctx, dir.path());
    drop(dir);
    outcome
}

fn lessons(ctx: &Context, dir: &Path) -> CliResult {
    let m = ctx.m();
    header(ctx, true, "10_1", m.lesson_title("10_1"), "write-words")?;
    super::write_words::run(ctx, dir)?;
    header(ctx, false, "10_2", m.lesson_title("10_2"), "knights")?;
    super::knights::run(ctx, &[])?;
    header(ctx, false, "10_3", m.lesson_title("10_3"), "bank")?;
    super::bank::run(ctx, false)?;
    header(ctx, false, "10_3", m.tour_deadlock_title(), "deadlock abba")?;
    super::deadlock::run(ctx, &super::deadlock::Scenario::Abba)?;
    header(ctx, false, "10_4", m.lesson_title("10_4"), "cafe")?;
    super::cafe::run(ctx, super::cafe::TABLES, &[])?;
    header(ctx, false, "10_4", m.tour_gil_title(), "gil")?;
    let work = super::gil::calibrated_work(TOUR_GIL_PIECE);
    super::gil::run(ctx, None, work, None, None)?;
    header(ctx, false, "10_5", m.lesson_title("10_5"), "read-files")?;
    super::read_files::run(ctx, dir, TOUR_LINES, "")?;
    Ok(())
}

/// The line before each lesson; a blank line before all but the first.
fn header(ctx: &Context, first: bool, number: &str, title: &str, command: &str) -> CliResult {
    if !first {
        say("")?;
    }
    say(ctx.m().tour_header(number, title, command))?;
    // The timeline (--timeline) marks where each lesson starts.
    potok::trace::mark(&format!("{number} {command}"));
    Ok(())
}

//! `potok check FILE.py`: a learner's own Python solution of a task, run under a shim and
//! checked rule by rule.
//!
//! The program runs once, with `python3`, in a fresh temporary working folder (10_5's input
//! files generated there first). The shim (`shim.py`, shipped inside the binary and loaded as
//! `sitecustomize` for that run only) scales `time.sleep` and records what the threads did;
//! the rules (`rules/`, one file per lesson) read the output, the files and the records. A
//! program that stops making progress is asked for its state, reported like potok's own
//! deadlocks (`hang.rs`) and killed with every process it started (`runner.rs`).
//!
//! Exit codes: 0 every rule holds; 1 a rule fails, or the program crashed or hung; 2 bad input
//! (no such file, no `python3`, an unknown lesson).

mod hang;
mod lesson;
mod records;
mod rules;
mod runner;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::console::say;
use crate::context::{Context, Lang};
use crate::error::{CliError, CliResult};

/// `--time-scale` of a check unless given: 10_1's 54 s in about 5.
pub(crate) const TIME_SCALE: f64 = 0.1;

/// Lines in each generated 10_5 input: the linear read of the four takes about a second
/// here in CPython.
const READ_FILES_LINES: u64 = 1_000_000;

/// How many of the program's last lines of stderr a crash shows.
const TRACEBACK_LINES: usize = 8;

/// What `potok check` was asked.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    pub(crate) file: PathBuf,
    pub(crate) lesson: Option<String>,
    pub(crate) hang_after: f64,
    pub(crate) trace: Option<PathBuf>,
    pub(crate) timeline: Option<PathBuf>,
}

pub(crate) fn run(ctx: &Context, args: &Args) -> CliResult {
    let lang = ctx.lang;
    if !args.file.is_file() {
        return Err(CliError::Usage(lang.m().check_no_file(&args.file)));
    }
    let source = std::fs::read_to_string(&args.file).unwrap_or_default();
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lesson = match &args.lesson {
        Some(given) => lesson::Lesson::parse(given)
            .ok_or_else(|| CliError::Usage(lang.m().check_unknown_lesson(given)))?,
        None => lesson::Lesson::from_file_name(&file_name)
            .ok_or_else(|| CliError::Usage(lang.m().check_which_lesson(&args.file)))?
            .refine(&source),
    };
    let python =
        find_python().ok_or_else(|| CliError::Usage(lang.m().check_no_python().to_owned()))?;
    let file = std::fs::canonicalize(&args.file)
        .map_err(|e| CliError::Usage(lang.m().check_cannot_run(&e)))?;

    let failed = |e: std::io::Error| CliError::Failed(lang.m().check_cannot_run(&e));
    let work = tempfile::Builder::new()
        .prefix("potok-check-")
        .tempdir()
        .map_err(failed)?;
    let shim_dir = tempfile::Builder::new()
        .prefix("potok-shim-")
        .tempdir()
        .map_err(failed)?;
    if lesson == lesson::Lesson::L5 {
        crate::lessons::read_files::generate_missing(work.path(), READ_FILES_LINES)
            .map_err(failed)?;
    }

    say!(
        "{}",
        lang.m()
            .check_headline(&file_name, lesson.id(), lesson.title(lang), ctx.time_scale)
    );
    eprintln!("{}", lang.m().check_running(&python, &file_name));
    let load = load_average();
    let run = runner::run(&runner::Plan {
        python: &python,
        file: &file,
        work: work.path(),
        shim_dir: shim_dir.path(),
        time_scale: ctx.time_scale,
        hang_after: Duration::from_secs_f64(args.hang_after),
    })
    .map_err(failed)?;
    let records = records::Records::new(run.events, ctx.time_scale);
    write_records(lang, args, &records)?;

    match &run.end {
        runner::End::Hung(states) => {
            say!("{}", lang.m().check_hung(args.hang_after));
            for line in hang::report(lang, states, args.hang_after) {
                say!("{line}");
            }
            if !run.lines.is_empty() {
                say!("  {}", lang.m().check_last_output());
                for line in run.lines.iter().rev().take(3).rev() {
                    say!("  | {}", line.text);
                }
            }
            return Err(CliError::Failed(lang.m().check_hung_summary().to_owned()));
        }
        runner::End::Exited(code) if *code != Some(0) => {
            say!("{}", lang.m().check_crashed(*code));
            for line in tail(&run.stderr, TRACEBACK_LINES) {
                say!("  | {line}");
            }
            return Err(CliError::Failed(lang.m().check_crash_summary().to_owned()));
        }
        runner::End::Exited(_) => {}
    }
    // Exceptions in threads do not change Python's exit code: show them before the rules.
    if run.stderr.contains("Traceback") || run.stderr.contains("Exception in thread") {
        say!("{}", lang.m().check_stderr_tail());
        for line in tail(&run.stderr, TRACEBACK_LINES) {
            say!("  | {line}");
        }
    }

    let templates = rules::templates(lesson);
    let (msgs, unknown, glued) = rules::classify(&run.lines, &templates);
    let input = rules::Input {
        lang,
        scale: ctx.time_scale,
        msgs,
        unknown,
        glued,
        records: &records,
        work: work.path(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        load,
    };
    let verdicts = rules::check(lesson, &input);
    let failed = print_verdicts(lang, &verdicts);
    if failed == 0 {
        say!("{}", lang.m().check_all_hold(verdicts.len()));
        Ok(())
    } else {
        Err(CliError::Failed(
            lang.m().check_some_fail(failed, verdicts.len()),
        ))
    }
}

/// Prints one line per rule (and the expected and actual lines under a failed one); returns
/// how many failed.
fn print_verdicts(lang: Lang, verdicts: &[rules::Verdict]) -> usize {
    let mut failed = 0;
    for v in verdicts {
        match &v.failure {
            None => {
                say!("✓ {}", v.title);
                if let Some(note) = &v.note {
                    say!("    ({note})");
                }
            }
            Some(f) => {
                failed += 1;
                say!("✗ {}", v.title);
                say!("    {} {}", lang.m().check_expected(), f.expected);
                say!("    {} {}", lang.m().check_actual(), f.actual);
                for why in &f.why {
                    say!("    {why}");
                }
            }
        }
    }
    failed
}

fn tail(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// `--trace F.json` and `--timeline F.html`: the records as a Chrome trace, and drawn on the
/// same timeline page as potok's own lessons.
fn write_records(lang: Lang, args: &Args, records: &records::Records) -> CliResult {
    if args.trace.is_none() && args.timeline.is_none() {
        return Ok(());
    }
    let json = serde_json::to_string(&records.chrome_trace()).unwrap_or_default();
    if let Some(path) = &args.trace {
        std::fs::write(path, &json)
            .map_err(|e| CliError::Failed(lang.m().check_cannot_write(path, &e)))?;
        eprintln!("{}", lang.m().check_trace_written(path));
    }
    if let Some(path) = &args.timeline {
        let trace = potok::trace::Trace::from_json(&json)
            .map_err(|e| CliError::Failed(lang.m().check_bad_records(&e.to_string())))?;
        trace
            .write_html(path)
            .map_err(|e| CliError::Failed(lang.m().check_cannot_write(path, &e)))?;
        eprintln!("{}", lang.m().check_timeline_written(path));
    }
    Ok(())
}

/// `python3` on the PATH.
fn find_python() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("python3"))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The one-minute load average (0 where it cannot be read).
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

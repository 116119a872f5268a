//! The command line: global flags and one subcommand per lesson.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::context::Lang;
use crate::error::{CliError, CliResult};
use crate::lessons::deadlock::Scenario;
use crate::lessons::knights::KnightSpec;

/// The five lessons of the threading course, run as real programs on the potok library.
#[derive(Debug, Parser)]
#[command(
    name = "potok",
    version,
    arg_required_else_help = true,
    after_help = "Exit codes: 0 done; 1 the lesson failed while running; 2 bad input."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every lesson takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Language of the lesson's messages [default: from LC_ALL, LC_MESSAGES or LANG]
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// Multiplies every sleep: 1 is the course's real seconds, 0.01 a hundred times faster
    /// [default: 1; for tour 0.01]
    #[arg(long, global = true, value_name = "F", value_parser = parse_time_scale, allow_negative_numbers = true)]
    pub time_scale: Option<f64>,
    /// Makes every random choice repeatable
    #[arg(long, global = true, value_name = "N")]
    pub seed: Option<u64>,
    /// Records the run and writes it as Chrome trace JSON (Perfetto opens it)
    #[arg(long, global = true, value_name = "F.json")]
    pub trace: Option<PathBuf>,
    /// Records the run and writes its timeline: one HTML page, a row per thread
    #[arg(long, global = true, value_name = "F.html")]
    pub timeline: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// 10_1: write four files one after another, then in four threads, and time both
    WriteWords {
        /// Folder for example1.txt … example8.txt
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// 10_2: knights as thread types (`Run`), each fighting 100 enemies
    Knights {
        /// A knight as "Name:power" (repeatable) [default: "Sir Lancelot:10" and "Sir Galahad:20"]
        #[arg(long = "knight", value_name = "NAME:POWER", value_parser = parse_knight)]
        knights: Vec<KnightSpec>,
    },
    /// 10_3: a bank whose take waits on a Lock that deposit releases (a signal)
    Bank {
        /// Run the course's program as written: it races on the balance and can hang, and
        /// then the deadlock detector reports it
        #[arg(long)]
        faithful: bool,
    },
    /// 10_3: deadlocks caught instead of hanging: abba, ring N, self, bank
    Deadlock {
        #[command(subcommand)]
        scenario: Scenario,
    },
    /// 10_4: a cafe whose waiting line is a potok Queue; guests are thread types
    Cafe {
        /// How many tables the cafe has
        #[arg(long, default_value_t = crate::lessons::cafe::TABLES, value_name = "N",
              value_parser = |s: &str| parse_count(s, 1, 1_000))]
        tables: usize,
        /// A guest's name, in order of arrival (repeatable) [default: the course's twelve]
        #[arg(long = "guest", value_name = "NAME", value_parser = parse_name)]
        guests: Vec<String>,
    },
    /// 10_4: the GIL: CPU-bound work one piece after another, in N threads and in N processes, Rust beside CPython
    Gil {
        /// How many threads, processes and pieces of work [default: the number of cores]
        #[arg(long, value_name = "N", value_parser = |s: &str| parse_count(s, 1, 256))]
        threads: Option<usize>,
        /// Millions of squares each piece sums in Rust (CPython sums a twentieth of that)
        #[arg(long, default_value_t = 100, value_name = "M",
              value_parser = |s: &str| parse_count(s, 1, 100_000).map(|n| n as u64))]
        work: u64,
    },
    /// 10_5: read four files one after another, with a process pool and with threads, and time each
    ReadFiles {
        /// Folder for `file 1.txt` … `file 4.txt` (missing ones are written first)
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Lines in each generated file (consecutive integers) [default: 3000000, about a second of reading here]
        #[arg(long, value_name = "N", value_parser = parse_lines)]
        lines: Option<u64>,
    },
    /// Every lesson, one after another, quickly (time scale 0.01 unless given)
    Tour,
    /// Checks your own Python solution of a task, rule by rule (time scale 0.1 unless given;
    /// --trace and --timeline record your program's threads, not potok's)
    Check {
        /// Your program, like module_10_1.py (the lesson is taken from the name)
        file: PathBuf,
        /// The lesson when the name does not tell it: 10_1 … 10_5, or legacy-10_1,
        /// legacy-10_3, legacy-10_4, legacy-10_5 for the tasks of 2023
        #[arg(long, value_name = "LESSON")]
        lesson: Option<String>,
        /// Seconds without output and without recorded events after which the program is
        /// called hung, reported and stopped
        #[arg(long, default_value_t = 10.0, value_name = "S", value_parser = parse_hang_after)]
        hang_after: f64,
    },
}

/// Parses the command line. Help and version are printed and the process exits 0; bad input
/// becomes one line (exit code 2).
pub(crate) fn parse() -> CliResult<Cli> {
    Cli::try_parse().map_err(|err| {
        use clap::error::ErrorKind;
        match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => err.exit(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                CliError::Usage("a command is missing: 'potok --help' lists the lessons".to_owned())
            }
            _ => {
                let rendered = err.render().to_string();
                let first = rendered.lines().next().unwrap_or("bad arguments");
                CliError::Usage(first.trim_start_matches("error: ").to_owned())
            }
        }
    })
}

/// The largest `--time-scale`: a thousand times the course's seconds (a knight's day would be
/// a quarter of an hour). Larger values only overflow a sleep.
const MAX_TIME_SCALE: f64 = 1_000.0;

fn parse_time_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f <= MAX_TIME_SCALE => Ok(f),
        _ => Err(format!(
            "must be a positive number up to {MAX_TIME_SCALE}, like 1 or 0.01"
        )),
    }
}

fn parse_hang_after(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f <= 3600.0 => Ok(f),
        _ => Err("must be a number of seconds above 0, up to 3600".to_owned()),
    }
}

fn parse_lines(s: &str) -> Result<u64, String> {
    parse_count(s, 1, 50_000_000).map(|n| n as u64)
}

/// A whole number from `min` to `max`.
fn parse_count(s: &str, min: usize, max: usize) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

/// A name that is not blank.
fn parse_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        Err("the name is empty".to_owned())
    } else {
        Ok(name.to_owned())
    }
}

fn parse_knight(s: &str) -> Result<KnightSpec, String> {
    let (name, power) = s
        .rsplit_once(':')
        .ok_or_else(|| "expected NAME:POWER, like \"Sir Lancelot:10\"".to_owned())?;
    let name = name.trim();
    if name.is_empty() {
        return Err("the knight's name is empty".to_owned());
    }
    let power: u32 = power
        .trim()
        .parse()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| {
            format!(
                "power must be a whole number above 0, got '{}'",
                power.trim()
            )
        })?;
    Ok(KnightSpec {
        name: name.to_owned(),
        power,
    })
}

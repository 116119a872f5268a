//! The command line: global flags, one subcommand per lesson, each with only the options it
//! uses, and every word (help, errors) in the chosen language.
//!
//! # Where things go
//!
//! - A flag every command takes: a field of [`Global`] with `global = true`.
//! - Options shared by some lessons: a flattened group ([`Pace`] for `--time-scale`,
//!   [`Explain`] for `--no-explain`); a lesson that does not sleep does not flatten `Pace`, so
//!   its help does not offer `--time-scale`.
//! - A new command: a variant of [`Command`] here, its file under `lessons/` (or its own
//!   module), and its arm in `lessons::run`.
//! - Every help text is `help = m().help_...()` / `about = m().about_...()` from the message
//!   catalogue (`crate::msg`): no doc comments on fields (clap would print them in English).
//!   Defaults are written in the help text (`[default: 5]`), since clap's own `[default: ]` is
//!   English and hidden here.
//!
//! The language is chosen before parsing (`--lang` is looked for in the raw arguments, else
//! the locale), the clap `Command` is built from that language's words, and clap's errors are
//! reworded into one line each (exit code 2).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Args, ColorChoice, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::console::say;
use crate::error::{CliError, CliResult};
use crate::lessons::deadlock::Scenario;
use crate::lessons::knights::KnightSpec;
use crate::lessons::show::Lesson;
use crate::msg::{self, m, Lang};

/// The whole command line.
#[derive(Debug, Parser)]
#[command(name = "potok", version, about = m().about(), after_help = m().after_help())]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command takes (`global = true`). Flags for every lesson that are not about one
/// lesson (tracing, for instance) go here too.
#[derive(Debug, Args)]
pub(crate) struct Global {
    #[arg(long, global = true, value_name = "ru|en", value_parser = parse_lang, help = m().help_lang())]
    pub(crate) lang: Option<Lang>,
}

/// `--time-scale` for the lessons that sleep (default 1: the course's seconds).
#[derive(Debug, Args, Clone, Copy)]
pub(crate) struct Pace {
    #[arg(long, value_name = "F", value_parser = parse_time_scale, allow_negative_numbers = true,
          help = m().help_time_scale(1.0))]
    pub(crate) time_scale: Option<f64>,
}

impl Pace {
    /// The time scale, 1 unless given.
    pub(crate) fn scale(self) -> f64 {
        self.time_scale.unwrap_or(1.0)
    }
}

/// `--trace F.json` and `--timeline F.html` for every lesson (and `check`): what every thread
/// (and process) did.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct Record {
    #[arg(long, global = true, value_name = "F.json", help = m().help_trace())]
    pub(crate) trace: Option<PathBuf>,
    #[arg(long, global = true, value_name = "F.html", help = m().help_timeline())]
    pub(crate) timeline: Option<PathBuf>,
}

/// `check`'s `--trace` and `--timeline`: what the learner's program did (the same fields, in
/// words about that program).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct CheckRecord {
    #[arg(long, value_name = "F.json", help = m().help_check_trace())]
    pub(crate) trace: Option<PathBuf>,
    #[arg(long, value_name = "F.html", help = m().help_check_timeline())]
    pub(crate) timeline: Option<PathBuf>,
}

/// `--no-explain` for the lessons that explain what happened.
#[derive(Debug, Args, Clone, Copy)]
pub(crate) struct Explain {
    #[arg(long, help = m().help_no_explain())]
    pub(crate) no_explain: bool,
}

/// The lessons and tools.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    #[command(about = m().about_write_words())]
    WriteWords {
        #[arg(long, default_value = ".", value_name = m().placeholder_dir(), help = m().help_dir_write_words())]
        dir: PathBuf,
        #[command(flatten)]
        pace: Pace,
        #[command(flatten)]
        explain: Explain,
        #[command(flatten)]
        record: Record,
    },
    #[command(about = m().about_knights())]
    Knights {
        #[arg(long = "knight", value_name = m().placeholder_knight(), value_parser = parse_knight,
              allow_hyphen_values = true, help = m().help_knight())]
        knights: Vec<KnightSpec>,
        #[command(flatten)]
        pace: Pace,
        #[command(flatten)]
        explain: Explain,
        #[command(flatten)]
        record: Record,
    },
    #[command(about = m().about_bank())]
    Bank {
        #[arg(long, help = m().help_faithful())]
        faithful: bool,
        #[command(flatten)]
        pace: Pace,
        #[arg(long, value_name = "N", value_parser = parse_seed, allow_negative_numbers = true,
              help = m().help_seed(m().draws_bank()))]
        seed: Option<u64>,
        #[command(flatten)]
        explain: Explain,
        #[command(flatten)]
        record: Record,
    },
    #[command(about = m().about_deadlock(), subcommand_value_name = m().placeholder_scenario())]
    Deadlock {
        #[command(subcommand)]
        scenario: Scenario,
        #[command(flatten)]
        record: Record,
    },
    #[command(about = m().about_cafe())]
    Cafe {
        #[arg(long, default_value_t = crate::lessons::cafe::TABLES, value_name = "N",
              allow_negative_numbers = true, help = m().help_tables(),
              value_parser = |s: &str| parse_count(s, 1, 1_000))]
        tables: usize,
        #[arg(long = "guest", value_name = m().placeholder_name(), value_parser = parse_name, help = m().help_guest())]
        guests: Vec<String>,
        #[command(flatten)]
        pace: Pace,
        #[arg(long, value_name = "N", value_parser = parse_seed, allow_negative_numbers = true,
              help = m().help_seed(m().draws_cafe()))]
        seed: Option<u64>,
        #[command(flatten)]
        explain: Explain,
        #[command(flatten)]
        record: Record,
    },
    #[command(about = m().about_gil())]
    Gil {
        #[arg(long, value_name = "N", allow_negative_numbers = true, help = m().help_threads(),
              value_parser = |s: &str| parse_count(s, 1, 256))]
        threads: Option<usize>,
        #[arg(long, default_value_t = 100, value_name = "M", allow_negative_numbers = true,
              help = m().help_work(),
              value_parser = |s: &str| parse_count(s, 1, 100_000).map(|n| n as u64))]
        work: u64,
        #[arg(long, value_name = "URL", help = m().help_broker())]
        broker: Option<String>,
        #[command(flatten)]
        explain: Explain,
        #[command(flatten)]
        record: Record,
    },
    #[command(about = m().about_worker())]
    Worker {
        #[arg(value_name = "URL", help = m().help_worker_url())]
        url: String,
    },
    #[command(about = m().about_read_files())]
    ReadFiles {
        #[arg(long, value_name = m().placeholder_dir(), help = m().help_dir_read_files())]
        dir: Option<PathBuf>,
        #[arg(long, value_name = "N", value_parser = parse_lines, allow_negative_numbers = true,
              help = m().help_lines())]
        lines: Option<u64>,
        #[arg(long, conflicts_with_all = ["dir", "lines"], help = m().help_clean())]
        clean: bool,
        #[command(flatten)]
        explain: Explain,
        #[command(flatten)]
        record: Record,
    },
    #[command(about = m().about_tour())]
    Tour {
        #[arg(long, value_name = "F", value_parser = parse_time_scale, allow_negative_numbers = true,
              help = m().help_time_scale(crate::lessons::tour::TIME_SCALE))]
        time_scale: Option<f64>,
        #[arg(long, value_name = "N", value_parser = parse_seed, allow_negative_numbers = true,
              help = m().help_seed(m().draws_tour()))]
        seed: Option<u64>,
        #[command(flatten)]
        explain: Explain,
        #[command(flatten)]
        record: Record,
    },
    #[command(about = m().about_show())]
    Show {
        #[arg(value_name = m().placeholder_lesson(), value_parser = parse_lesson, help = m().help_show_lesson())]
        lesson: Lesson,
    },
    #[command(about = m().about_check())]
    Check {
        #[arg(value_name = m().placeholder_file(), help = m().help_check_file())]
        file: PathBuf,
        #[arg(long, value_name = m().placeholder_lesson(), help = m().help_check_lesson())]
        lesson: Option<String>,
        #[arg(long, value_name = "F", value_parser = parse_time_scale, allow_negative_numbers = true,
              help = m().help_time_scale(crate::check::TIME_SCALE))]
        time_scale: Option<f64>,
        #[arg(long, default_value_t = 10.0, value_name = "S", value_parser = parse_hang_after,
              allow_negative_numbers = true, help = m().help_hang_after())]
        hang_after: f64,
        #[command(flatten)]
        record: CheckRecord,
    },
}

impl Command {
    /// What `--trace` / `--timeline` asked to record of potok's own run (`check` records the
    /// learner's program instead, itself; `show` runs nothing).
    pub(crate) fn recording(&self) -> Option<&Record> {
        match self {
            Command::WriteWords { record, .. }
            | Command::Knights { record, .. }
            | Command::Bank { record, .. }
            | Command::Deadlock { record, .. }
            | Command::Cafe { record, .. }
            | Command::Gil { record, .. }
            | Command::ReadFiles { record, .. }
            | Command::Tour { record, .. } => Some(record),
            Command::Show { .. } | Command::Check { .. } | Command::Worker { .. } => None,
        }
    }
}

/// Parses the command line of this process: `Ok(None)` when help or the version was printed.
pub(crate) fn parse() -> CliResult<Option<Cli>> {
    parse_from(std::env::args_os().collect())
}

fn parse_from(args: Vec<OsString>) -> CliResult<Option<Cli>> {
    msg::set_lang(lang_in(&args).unwrap_or_else(Lang::from_env));
    let cmd = localized(Cli::command(), true);
    let matches = match cmd.clone().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                let text = err.render().to_string();
                let text = text.replace("[OPTIONS]", m().placeholder_options());
                say(text.trim_end())?;
                return Ok(None);
            }
            _ => return Err(CliError::Usage(reword(&err, &cmd, &args))),
        },
    };
    Cli::from_arg_matches(&matches)
        .map(Some)
        .map_err(|err| CliError::Usage(reword(&err, &cmd, &args)))
}

/// `--lang X` or `--lang=X` among the raw arguments, if X is a language potok speaks.
fn lang_in(args: &[OsString]) -> Option<Lang> {
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    args.iter().enumerate().find_map(|(i, arg)| {
        if *arg == "--lang" {
            args.get(i + 1).and_then(|v| Lang::parse(v))
        } else {
            arg.strip_prefix("--lang=").and_then(Lang::parse)
        }
    })
}

/// The command with its help flags, headings and template in the chosen language, on every
/// subcommand too.
fn localized(cmd: clap::Command, top: bool) -> clap::Command {
    let m = m();
    let (options, arguments) = (m.heading_options(), m.heading_arguments());
    let template = format!(
        "{{about-with-newline}}\n{}: {{usage}}\n\n{{all-args}}{{after-help}}",
        m.usage_heading()
    );
    let mut cmd = cmd
        .color(ColorChoice::Never)
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .help_template(template)
        .subcommand_help_heading(m.heading_commands())
        .mut_args(|arg| {
            let heading = if arg.is_positional() {
                arguments
            } else {
                options
            };
            let arg = arg.help_heading(heading);
            if arg.get_action().takes_values() {
                arg.hide_default_value(true).hide_possible_values(true)
            } else {
                arg
            }
        })
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(m.help_help())
                .help_heading(options),
        );
    if cmd.get_subcommand_value_name().is_none() {
        cmd = cmd.subcommand_value_name(m.placeholder_command());
    }
    if top {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(m.help_version())
                .help_heading(options),
        );
    }
    cmd.mut_subcommands(|sub| localized(sub, false))
}

/// The subcommands named on the command line, outermost first (`potok deadlock ring`).
fn command_path<'a>(root: &'a clap::Command, args: &[OsString]) -> Vec<&'a clap::Command> {
    let mut path = vec![root];
    for arg in args.iter().skip(1).filter_map(|a| a.to_str()) {
        let current = path[path.len() - 1];
        if let Some(sub) = current.find_subcommand(arg) {
            path.push(sub);
        }
    }
    path
}

/// The context value of `kind` as text (the first, for a list).
fn context(err: &clap::Error, kind: ContextKind) -> Option<String> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => v.first().cloned(),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => v.first().map(ToString::to_string),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `--seed <N>` → `--seed`; `[N]` → `N`.
fn arg_name(rendered: &str) -> String {
    let first = rendered.split_whitespace().next().unwrap_or(rendered);
    first
        .trim_matches(|c| c == '<' || c == '>' || c == '[' || c == ']')
        .trim_end_matches("...")
        .to_owned()
}

/// One line in the chosen language for what clap refused.
fn reword(err: &clap::Error, root: &clap::Command, args: &[OsString]) -> String {
    let m = m();
    let path = command_path(root, args);
    let current = path[path.len() - 1];
    let command: String = path
        .iter()
        .map(|c| c.get_name())
        .collect::<Vec<_>>()
        .join(" ");
    let arg = context(err, ContextKind::InvalidArg).map(|a| arg_name(&a));
    match err.kind() {
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand
            if path.len() == 1 =>
        {
            m.missing_command().to_owned()
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand
            if current.has_subcommands() =>
        {
            let choices: Vec<String> = current
                .get_subcommands()
                .map(|sub| match sub.get_positionals().next() {
                    Some(p) => format!("{} {}", sub.get_name(), p.get_id().as_str().to_uppercase()),
                    None => sub.get_name().to_owned(),
                })
                .collect();
            m.missing_subcommand(&command, &choices.join(", "))
        }
        ErrorKind::InvalidSubcommand => {
            let name = context(err, ContextKind::InvalidSubcommand).unwrap_or_default();
            let suggestion = context(err, ContextKind::SuggestedSubcommand);
            if path.len() == 1 {
                m.unknown_command(&name, suggestion.as_deref())
            } else {
                m.unknown_scenario(&name, &command, suggestion.as_deref())
            }
        }
        ErrorKind::UnknownArgument => {
            let given = arg.unwrap_or_default();
            if !given.starts_with('-') {
                return m.unexpected_argument(&given, &command);
            }
            if let Some(place) = elsewhere(root, args, &given) {
                return m.misplaced_option(&given, &place);
            }
            let suggestion = context(err, ContextKind::SuggestedArg);
            m.unknown_option(&given, &command, suggestion.as_deref())
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(err)
                .map(ToString::to_string)
                .unwrap_or_default();
            match arg {
                Some(option) if option.starts_with('-') => m.bad_value(&option, &why),
                _ => m.bad_value(&command, &why),
            }
        }
        ErrorKind::InvalidValue
            if context(err, ContextKind::InvalidValue)
                .filter(|v| !v.is_empty())
                .is_none() =>
        {
            m.missing_value(&arg.unwrap_or_default())
        }
        ErrorKind::ArgumentConflict
            if context(err, ContextKind::PriorArg).map(|a| arg_name(&a)) == arg =>
        {
            m.given_twice(&arg.unwrap_or_default())
        }
        ErrorKind::MissingRequiredArgument => {
            m.missing_argument(&arg.unwrap_or_default(), &command)
        }
        _ => {
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            m.bad_arguments(first.trim_start_matches("error: "))
        }
    }
}

/// `option` given before the subcommand that takes it (`potok --time-scale 0.1 knights`):
/// that subcommand (`potok knights`).
fn elsewhere(root: &clap::Command, args: &[OsString], option: &str) -> Option<String> {
    let long = option.split('=').next()?.strip_prefix("--")?;
    let args: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    let (at, sub) = args
        .iter()
        .enumerate()
        .find_map(|(i, a)| root.find_subcommand(a).map(|sub| (i, sub)))?;
    let before = args[..at]
        .iter()
        .any(|a| a.split('=').next() == Some(option));
    (before && sub.get_arguments().any(|a| a.get_long() == Some(long)))
        .then(|| format!("potok {}", sub.get_name()))
}

/// The largest `--time-scale`: a thousand times the course's seconds (a knight's day would be
/// a quarter of an hour). Larger values only overflow a sleep.
const MAX_TIME_SCALE: f64 = 1_000.0;

fn parse_time_scale(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f <= MAX_TIME_SCALE => Ok(f),
        _ => Err(m().not_a_time_scale(s, MAX_TIME_SCALE)),
    }
}

/// The longest `--hang-after`: an hour.
const MAX_HANG_AFTER: f64 = 3_600.0;

fn parse_hang_after(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f <= MAX_HANG_AFTER => Ok(f),
        _ => Err(m().not_a_hang_after(s, MAX_HANG_AFTER)),
    }
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| m().not_a_lang(s))
}

pub(crate) fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| m().not_a_count(s, 0, u64::MAX))
}

fn parse_lines(s: &str) -> Result<u64, String> {
    parse_count(s, 1, 50_000_000).map(|n| n as u64)
}

fn parse_lesson(s: &str) -> Result<Lesson, String> {
    Lesson::parse(s).ok_or_else(|| m().not_a_lesson(s))
}

/// A whole number from `min` to `max`.
pub(crate) fn parse_count(s: &str, min: usize, max: usize) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(m().not_a_count(s, min as u64, max as u64)),
    }
}

/// A name that is not blank.
fn parse_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        Err(m().name_empty().to_owned())
    } else {
        Ok(name.to_owned())
    }
}

/// The strongest knight: 100 defeats all 100 enemies on the first day.
const MAX_POWER: u32 = 100;

fn parse_knight(s: &str) -> Result<KnightSpec, String> {
    let (name, power) = s.rsplit_once(':').ok_or_else(|| m().not_a_knight(s))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(m().knight_name_empty().to_owned());
    }
    let power: u32 = power
        .trim()
        .parse()
        .ok()
        .filter(|p| (1..=MAX_POWER).contains(p))
        .ok_or_else(|| m().not_a_power(power.trim(), MAX_POWER))?;
    Ok(KnightSpec {
        name: name.to_owned(),
        power,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        localized(Cli::command(), true).debug_assert();
    }

    #[test]
    fn lang_is_found_before_parsing() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            lang_in(&args(&["potok", "--lang", "ru", "x"])),
            Some(Lang::Ru)
        );
        assert_eq!(
            lang_in(&args(&["potok", "knights", "--lang=en"])),
            Some(Lang::En)
        );
        assert_eq!(lang_in(&args(&["potok", "--lang", "fr"])), None);
    }
}

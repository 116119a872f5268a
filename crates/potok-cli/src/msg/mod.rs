//! Every word the CLI prints, in each language it speaks: one catalogue per language
//! ([`ru`], [`en`]), both implementing the trait [`Messages`].
//!
//! The lessons' lines, `--help` of every command, progress labels, the seed line, every error,
//! deadlock reports and the explanations after a lesson all come from here; no other file of
//! the CLI holds a word a user reads (names from the course's code, such as `deposit` or
//! `Lock`, and numbers are data, not words).
//!
//! # Adding a message (in both languages)
//!
//! 1. Add a method to [`Messages`] in the section of your command (or a new section at the end,
//!    named after the command), with a doc line saying where it is printed. Arguments carry
//!    the data (`fn finished_writing(&self, file: &str) -> String`); a message without data
//!    returns `&'static str`.
//! 2. Write it in [`ru`] (`impl Messages for Ru`) and in [`en`] (`impl Messages for En`), in
//!    the same section. The trait has no default bodies, so a message missing in one language
//!    does not compile.
//! 3. Use it through the chosen language: `ctx.m().finished_writing(file)` in a lesson, or
//!    [`m()`] where no lesson context exists (clap help attributes:
//!    `#[arg(long, help = m().help_no_explain())]`, parsing, `main`).
//!
//! Russian plurals: `ru::plural(n, "поток", "потока", "потоков")`. Facts a message words
//! (the figures of a run for an explanation) are plain structs in [`facts`].
//!
//! # Choosing the language
//!
//! `--lang ru|en`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: `ru*` is Russian, anything
//! else English). [`set_lang`] is called once, before the command line is parsed, so that even
//! `--help` and the parse errors are in the chosen language.

pub(crate) mod en;
pub(crate) mod facts;
pub(crate) mod failure;
pub(crate) mod report;
pub(crate) mod ru;

use std::sync::OnceLock;

use potok::deadlock::{DeadlockKind, ResourceKind};

/// The language of every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// The course's Russian, word for word.
    Ru,
    /// The same lines in English.
    En,
}

impl Lang {
    /// From the locale: the first of LC_ALL, LC_MESSAGES, LANG that is set; `ru*` is Russian.
    pub(crate) fn from_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        if locale.to_ascii_lowercase().starts_with("ru") {
            Lang::Ru
        } else {
            Lang::En
        }
    }

    /// `ru` or `en`, as given to `--lang`.
    pub(crate) fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// This language's catalogue.
    pub(crate) fn m(self) -> &'static dyn Messages {
        match self {
            Lang::Ru => &ru::Ru,
            Lang::En => &en::En,
        }
    }
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// Chooses the language of the run (the first call wins; later ones are ignored).
pub(crate) fn set_lang(lang: Lang) {
    let _ = LANG.set(lang);
}

/// The run's language: the one [`set_lang`] chose, else the locale's.
pub(crate) fn lang() -> Lang {
    *LANG.get_or_init(Lang::from_env)
}

/// Decimals for a number of seconds: two, or more for a small one, so that a time scaled
/// down (`--time-scale 0.001`) does not print as `0.00 s`.
pub(crate) fn decimals_for(s: f64) -> usize {
    if s == 0.0 || s.abs() >= 0.1 {
        2
    } else if s.abs() >= 0.001 {
        3
    } else {
        4
    }
}

/// An argument as a message shows it: an option (`--seed`) as it is, anything else the user
/// typed in quotes (`'abab'`), so it does not read as a word of the sentence.
pub(crate) fn shown_arg(arg: &str) -> String {
    if arg.starts_with('-') {
        arg.to_owned()
    } else {
        format!("'{arg}'")
    }
}

/// The run's catalogue.
pub(crate) fn m() -> &'static dyn Messages {
    lang().m()
}

/// Every message, in one language. Sections follow the commands; see the module doc for how
/// to add one.
pub(crate) trait Messages: Sync {
    // ==== help: the top level and every command ====

    /// `potok --help`: what potok is.
    fn about(&self) -> &'static str;
    /// `potok --help`, at the end: exit codes and where each lesson's options are.
    fn after_help(&self) -> &'static str;
    /// The heading before the usage line (`Usage`).
    fn usage_heading(&self) -> &'static str;
    /// The heading of the options list.
    fn heading_options(&self) -> &'static str;
    /// The heading of the positional arguments list.
    fn heading_arguments(&self) -> &'static str;
    /// The heading of the subcommands list.
    fn heading_commands(&self) -> &'static str;
    /// `[OPTIONS]` in a usage line.
    fn placeholder_options(&self) -> &'static str;
    /// `COMMAND` in a usage line.
    fn placeholder_command(&self) -> &'static str;
    /// `<DIR>` (a folder).
    fn placeholder_dir(&self) -> &'static str;
    /// `<NAME:POWER>` (a knight).
    fn placeholder_knight(&self) -> &'static str;
    /// `<NAME>` (a guest).
    fn placeholder_name(&self) -> &'static str;
    /// `<LESSON>`.
    fn placeholder_lesson(&self) -> &'static str;
    /// `<FILE.py>`.
    fn placeholder_file(&self) -> &'static str;
    /// `-h, --help`.
    fn help_help(&self) -> &'static str;
    /// `-V, --version`.
    fn help_version(&self) -> &'static str;
    /// `--lang`.
    fn help_lang(&self) -> &'static str;
    /// `--time-scale`, with the command's default.
    fn help_time_scale(&self, default: f64) -> String;
    /// `--seed`, with what the command draws.
    fn help_seed(&self, draws: &str) -> String;
    /// What bank draws (for `--seed`'s help).
    fn draws_bank(&self) -> &'static str;
    /// What cafe draws.
    fn draws_cafe(&self) -> &'static str;
    /// What the tour draws.
    fn draws_tour(&self) -> &'static str;
    /// `--trace`.
    fn help_trace(&self) -> &'static str;
    /// `--timeline`.
    fn help_timeline(&self) -> &'static str;
    /// `--no-explain`.
    fn help_no_explain(&self) -> &'static str;

    /// `potok write-words`.
    fn about_write_words(&self) -> &'static str;
    /// `write-words --dir`.
    fn help_dir_write_words(&self) -> &'static str;
    /// `potok knights`.
    fn about_knights(&self) -> &'static str;
    /// `knights --knight`.
    fn help_knight(&self) -> &'static str;
    /// `potok bank`.
    fn about_bank(&self) -> &'static str;
    /// `bank --faithful`.
    fn help_faithful(&self) -> &'static str;
    /// `potok deadlock`.
    fn about_deadlock(&self) -> &'static str;
    /// `SCENARIO` in deadlock's usage.
    fn placeholder_scenario(&self) -> &'static str;
    /// `potok deadlock abba`.
    fn about_abba(&self) -> &'static str;
    /// `potok deadlock ring`.
    fn about_ring(&self) -> &'static str;
    /// `deadlock ring N`.
    fn help_ring_n(&self) -> &'static str;
    /// `potok deadlock self`.
    fn about_self(&self) -> &'static str;
    /// `potok deadlock bank`.
    fn about_deadlock_bank(&self) -> &'static str;
    /// `potok cafe`.
    fn about_cafe(&self) -> &'static str;
    /// `cafe --tables`.
    fn help_tables(&self) -> &'static str;
    /// `cafe --guest`.
    fn help_guest(&self) -> &'static str;
    /// `potok gil`.
    fn about_gil(&self) -> &'static str;
    /// `gil --threads`.
    fn help_threads(&self) -> &'static str;
    /// `gil --work`.
    fn help_work(&self) -> &'static str;
    /// `potok read-files`.
    fn about_read_files(&self) -> &'static str;
    /// `read-files --dir`.
    fn help_dir_read_files(&self) -> &'static str;
    /// `read-files --lines`.
    fn help_lines(&self) -> &'static str;
    /// `read-files --clean`.
    fn help_clean(&self) -> &'static str;
    /// `potok tour`.
    fn about_tour(&self) -> &'static str;
    /// `potok show`.
    fn about_show(&self) -> &'static str;
    /// `show LESSON`.
    fn help_show_lesson(&self) -> &'static str;

    /// `potok check`.
    fn about_check(&self) -> &'static str;
    /// `check FILE.py`.
    fn help_check_file(&self) -> &'static str;
    /// `check --lesson`.
    fn help_check_lesson(&self) -> &'static str;
    /// `check --hang-after`.
    fn help_hang_after(&self) -> &'static str;
    /// `check --trace`.
    fn help_check_trace(&self) -> &'static str;
    /// `check --timeline`.
    fn help_check_timeline(&self) -> &'static str;

    // ==== bad input (exit code 2): one line each ====

    /// `potok` alone.
    fn missing_command(&self) -> &'static str;
    /// A command that needs a subcommand (`potok deadlock`): `command` is `potok deadlock`.
    fn missing_subcommand(&self, command: &str, choices: &str) -> String;
    /// `potok knigts`.
    fn unknown_command(&self, name: &str, suggestion: Option<&str>) -> String;
    /// A scenario the command does not have (`potok deadlock abab`); `command` is `potok
    /// deadlock`.
    fn unknown_scenario(&self, name: &str, command: &str, suggestion: Option<&str>) -> String;
    /// An option the command does not take; `command` is `potok gil`.
    fn unknown_option(&self, option: &str, command: &str, suggestion: Option<&str>) -> String;
    /// An option given before the command that takes it (`potok --time-scale 1 knights`).
    fn misplaced_option(&self, option: &str, command: &str) -> String;
    /// A stray word on the command line.
    fn unexpected_argument(&self, arg: &str, command: &str) -> String;
    /// An option given without its value.
    fn missing_value(&self, option: &str) -> String;
    /// A positional argument that is missing (`potok show`).
    fn missing_argument(&self, arg: &str, command: &str) -> String;
    /// An option given twice that takes one value.
    fn given_twice(&self, option: &str) -> String;
    /// A bad value: `--seed: 'abc' is not …`.
    fn bad_value(&self, option: &str, why: &str) -> String;
    /// Anything else clap refused (its own words, last resort).
    fn bad_arguments(&self, clap_says: &str) -> String;
    /// Why a count is refused.
    fn not_a_count(&self, value: &str, min: u64, max: u64) -> String;
    /// Why a `--time-scale` is refused.
    fn not_a_time_scale(&self, value: &str, max: f64) -> String;
    /// Why a `--lang` is refused.
    fn not_a_lang(&self, value: &str) -> String;
    /// Why a `--knight` without a colon is refused.
    fn not_a_knight(&self, value: &str) -> String;
    /// A knight without a name.
    fn knight_name_empty(&self) -> &'static str;
    /// A knight's power out of range.
    fn not_a_power(&self, value: &str, max: u32) -> String;
    /// An empty guest name.
    fn name_empty(&self) -> &'static str;
    /// Why `deadlock ring N` refuses N.
    fn not_a_ring(&self, value: &str, min: u16, max: u16) -> String;
    /// Why `check --hang-after` refuses a value.
    fn not_a_hang_after(&self, value: &str, max: f64) -> String;
    /// Why `show` refuses a lesson.
    fn not_a_lesson(&self, value: &str) -> String;
    /// `--dir` that does not exist.
    fn no_such_folder(&self, dir: &str) -> String;
    /// `--dir` that is a file.
    fn not_a_folder(&self, dir: &str) -> String;
    /// `--dir` that cannot be written.
    fn cannot_write_there(&self, dir: &str, err: &str) -> String;

    // ==== failures while running (exit code 1): one line each ====

    /// What an I/O error means, worded by its kind (the OS's own text is English): goes
    /// into the `err` of the messages below.
    fn io_error(&self, err: &std::io::Error) -> String;
    /// `gil --broker`, `potok worker`: what went wrong with the cluster pool, from the
    /// library's error (`failure::connect`, `failure::cluster_map`, `failure::worker`); goes
    /// into [`cluster_failed`](Messages::cluster_failed).
    fn cluster_error(&self, what: &facts::Cluster) -> String;
    /// `read-files`, `gil`: what went wrong with the process pool, from the library's error
    /// (`failure::pool_start`, `failure::pool_map`).
    fn pool_error(&self, what: &facts::Pool) -> String;

    /// A file could not be written.
    fn cannot_write_in(&self, dir: &str, err: &str) -> String;
    /// A file could not be written (`--trace`, `--timeline`).
    fn cannot_write_file(&self, file: &str, err: &str) -> String;
    /// A file could not be read (in any lesson).
    fn cannot_read(&self, file: &str, err: &str) -> String;
    /// A thread could not be started.
    fn cannot_start_thread(&self, name: &str, err: &str) -> String;
    /// The process pool could not be started (`err`: [`pool_error`](Messages::pool_error)).
    fn cannot_start_pool(&self, err: &str) -> String;
    /// The process pool failed a task (`err`: [`pool_error`](Messages::pool_error)).
    fn pool_failed(&self, err: &str) -> String;
    /// A thread of the lesson failed: `detail` is a deadlock report, worded.
    fn thread_failed(&self, detail: &str) -> String;
    /// A thread of the lesson (or `main`) panicked: a bug of potok's own code, not the
    /// learner's; `message` is the code's panic text, shown quoted.
    fn thread_panicked(&self, thread: &str, message: &str, location: Option<&str>) -> String;
    /// The cafe's waiting line was shut down (nothing in the lesson does that).
    fn waiting_line_shut_down(&self) -> &'static str;
    /// The tour's temporary folder.
    fn cannot_make_temp(&self, err: &str) -> String;
    /// stdout could not be written (other than a reader that went away).
    fn cannot_write_stdout(&self, err: &str) -> String;
    /// A deadlock scenario ended without a deadlock.
    fn did_not_deadlock(&self) -> &'static str;
    /// `deadlock bank` found no hang.
    fn bank_never_hung(&self, attempts: u64) -> String;

    // ==== stderr notes, progress labels, the seed line ====

    /// The seed line, printed on stderr when the seed was drawn.
    fn seed_line(&self, seed: u64) -> String;
    /// Progress label: 10_1's words.
    fn progress_words(&self) -> &'static str;
    /// Progress label: read-files writing its files.
    fn progress_writing(&self) -> &'static str;
    /// Progress label: read-files reading, one way (`linear`, ...).
    fn progress_reading(&self, way: &str) -> String;
    /// Progress label: gil measuring a runtime (`Rust`, `CPython`).
    fn progress_measuring(&self, runtime: &str) -> String;
    /// Progress label: `deadlock bank` trying schedules.
    fn progress_bank_attempts(&self) -> &'static str;
    /// read-files, before writing its files.
    fn writing_files(&self, count: usize, megabytes: u64, dir: &str, clean: &str) -> String;
    /// read-files, when the files are already there.
    fn reusing_files(&self, dir: &str, clean: &str) -> String;
    /// `read-files --clean` removed the cache folder.
    fn cleaned(&self, dir: &str) -> String;
    /// `read-files --clean` found nothing.
    fn nothing_to_clean(&self, dir: &str) -> String;
    /// gil: python3 failed.
    fn python_failed(&self, why: &str) -> String;
    /// gil: no python3.
    fn no_python(&self, err: &str) -> String;
    /// gil: python3 printed something unexpected.
    fn python_unexpected(&self, text: &str) -> String;

    /// `--trace`: where the trace was written (stderr).
    fn trace_written(&self, file: &str) -> String;
    /// `--timeline`: where the page was written (stderr).
    fn timeline_written(&self, file: &str) -> String;

    // ==== 10_1 write-words: the course's lines ====

    /// The line written for word number `n` (into the files).
    fn word_line(&self, n: u32) -> String;
    /// `Завершилась запись в файл <file>`.
    fn finished_writing(&self, file: &str) -> String;
    /// `Работа функций <duration>`.
    fn functions_took(&self, took: &str) -> String;
    /// `Работа потоков <duration>`.
    fn threads_took(&self, took: &str) -> String;

    // ==== 10_2 knights ====

    /// `<name>, на нас напали!`.
    fn under_attack(&self, name: &str) -> String;
    /// `<name>, сражается <day> день(дня)..., осталось <left> воинов.`.
    fn fighting(&self, name: &str, day: u32, left: u32) -> String;
    /// `<name> одержал победу спустя <days> дней(дня)!`.
    fn won(&self, name: &str, days: u32) -> String;
    /// `Все битвы закончились!`.
    fn battles_over(&self) -> &'static str;

    // ==== 10_3 bank ====

    /// `Пополнение: <x>. Баланс: <balance>`.
    fn deposit(&self, x: i64, balance: i64) -> String;
    /// `Запрос на <x>`.
    fn request(&self, x: i64) -> String;
    /// `Снятие: <x>. Баланс: <balance>`.
    fn withdrawal(&self, x: i64, balance: i64) -> String;
    /// `Запрос отклонён, недостаточно средств`.
    fn refused(&self) -> &'static str;
    /// `Итоговый баланс: <balance>`.
    fn final_balance(&self, balance: i64) -> String;
    /// `bank --faithful`, before the run (stderr): how often it hangs, where to see the hang.
    fn faithful_note(&self) -> &'static str;
    /// `bank --faithful` hung (stderr, after the report).
    fn faithful_hung(&self) -> &'static str;

    // ==== 10_3 deadlock: the demos ====

    /// `<who> взял <what>`.
    fn took_lock(&self, who: &str, what: &str) -> String;
    /// `<who> ждёт <what>`.
    fn waits_for_lock(&self, who: &str, what: &str) -> String;
    /// self: the worker takes the lock again.
    fn takes_again(&self, who: &str, what: &str) -> String;
    /// After every report: the thread that got the error.
    fn caught(&self, found_by: &str) -> String;
    /// abba and ring: why and the fix (one lock order).
    fn fix_lock_order(&self, first: &str, n: usize) -> String;
    /// self: why and the fix (an RLock).
    fn fix_rlock(&self) -> &'static str;
    /// deadlock bank: what the demo does, before the story.
    fn bank_intro(&self) -> &'static str;
    /// deadlock bank: deposit's part of the story.
    fn bank_deposits(&self, count: usize, sum: i64, balance: i64) -> String;
    /// deadlock bank: how many of take's operations are left out before the shown ones.
    fn bank_skipped(&self, count: usize) -> String;
    /// deadlock bank: note on take's first refusal (the free lock taken).
    fn bank_first_refusal(&self) -> &'static str;
    /// deadlock bank: note on take's second refusal (waits forever).
    fn bank_second_refusal(&self) -> &'static str;
    /// deadlock bank: which run of the faithful bank hung (each draws new amounts).
    fn bank_attempt(&self, attempt: u64) -> String;
    /// deadlock bank: why nobody can release the lock, and the fix.
    fn bank_why_and_fix(&self) -> &'static str;

    // ==== deadlock reports, worded from DeadlockError's data ====

    /// The lock-order warning's first line (`POTOK_LOCK_ORDER=1`): the cycle of locks, joined.
    fn lock_order_head(&self, cycle: &str) -> String;
    /// One acquisition of the cycle: `thread` took `taken` at `taken_at` while holding `held`
    /// (taken at `held_at`).
    fn lock_order_edge(
        &self,
        thread: &str,
        taken: &str,
        taken_at: &str,
        held: &str,
        held_at: &str,
    ) -> String;

    /// The report's first line.
    fn report_head(&self, kind: DeadlockKind, threads: usize) -> String;
    /// A resource in a report (`Lock 'bank.lock'`, `Queue 'jobs' (empty)`).
    fn report_resource(&self, kind: ResourceKind, name: &str, detail: Option<&str>) -> String;
    /// A blocked thread: `holds` is the joined list of what it holds (empty if nothing).
    fn report_thread(
        &self,
        name: &str,
        holds: &str,
        waits_for: &str,
        held_by: Option<&str>,
    ) -> String;
    /// The report's last line.
    fn report_found_by(&self, name: &str) -> String;

    // ==== 10_4 cafe ====

    /// `<name> сел(-а) за стол номер <n>`.
    fn sat_down(&self, name: &str, table: usize) -> String;
    /// `<name> в очереди`.
    fn in_queue(&self, name: &str) -> String;
    /// `<name> покушал(-а) и ушёл(ушла)`.
    fn ate_and_left(&self, name: &str) -> String;
    /// `Стол номер <n> свободен`.
    fn table_free(&self, table: usize) -> String;
    /// `<name> вышел(-ла) из очереди и сел(-а) за стол номер <n>`.
    fn left_queue(&self, name: &str, table: usize) -> String;

    // ==== 10_4 gil ====

    /// The work line at the top of the table.
    fn gil_work(&self, threads: usize, squares: u64, python_squares: u64, repeat: u32) -> String;
    /// Column headers: wall time, speedup.
    fn gil_headers(&self) -> (&'static str, &'static str);
    /// Row label: one after another.
    fn gil_sequential(&self) -> &'static str;
    /// Row label: in n threads.
    fn gil_threads(&self, n: usize) -> String;
    /// Row label: in n processes.
    fn gil_processes(&self, n: usize) -> String;
    /// `gil --broker`.
    fn help_broker(&self) -> &'static str;
    /// Row label: on a cluster pool of n workers (`started_here`: the lesson started them on
    /// this machine); short, it shares the rows' 26-column label field.
    fn gil_cluster(&self, n: usize, started_here: bool) -> String;
    /// The cluster pool could not be used (`gil --broker`, `potok worker`).
    fn cluster_failed(&self, err: &str) -> String;
    /// `potok worker`.
    fn about_worker(&self) -> &'static str;
    /// `potok worker URL`.
    fn help_worker_url(&self) -> &'static str;
    /// `potok worker`: the line printed when it starts serving.
    fn worker_serving(&self, url: &str, pid: u32) -> String;

    // ==== 10_5 read-files ====

    /// `<duration> (линейный)`.
    fn linear(&self, took: &str) -> String;
    /// `<duration> (многопроцессный)`.
    fn multiprocess(&self, took: &str) -> String;
    /// `<duration> (многопоточный)`.
    fn multithreaded(&self, took: &str) -> String;
    /// The three ways' names, for progress labels.
    fn ways(&self) -> [&'static str; 3];

    // ==== tour ====

    /// A lesson's title in the tour (`number` is `10_1`).
    fn lesson_title(&self, number: &str) -> &'static str;
    /// The tour's line before each lesson.
    fn tour_header(&self, number: &str, title: &str, command: &str) -> String;
    /// The tour's deadlock part's title.
    fn tour_deadlock_title(&self) -> &'static str;
    /// The tour's gil part's title.
    fn tour_gil_title(&self) -> &'static str;

    // ==== explanations after a lesson (stderr; --no-explain hides them) ====

    /// The heading line of an explanation.
    fn explain_heading(&self) -> &'static str;
    /// 10_1.
    fn explain_write_words(&self, f: &facts::WriteWords) -> String;
    /// 10_2.
    fn explain_knights(&self, f: &facts::Knights) -> String;
    /// 10_3.
    fn explain_bank(&self, f: &facts::Bank) -> String;
    /// 10_4 cafe.
    fn explain_cafe(&self, f: &facts::Cafe) -> String;
    /// 10_4 gil.
    fn explain_gil(&self, f: &facts::Gil) -> String;
    /// 10_5.
    fn explain_read_files(&self, f: &facts::ReadFiles) -> String;

    // ==== show ====

    /// The heading before the lesson's Rust program.
    fn show_rust(&self, lesson: &str, file: &str) -> String;
    /// The heading before the Python solution.
    fn show_python(&self, lesson: &str, file: &str) -> String;

    // ==== check: a learner's program, checked ====

    /// The first line of a check: the file, the lesson, the time scale.
    fn check_headline(&self, file: &str, lesson: &str, title: &str, scale: f64) -> String;
    /// stderr, before the program runs.
    fn check_running(&self, python: &std::path::Path, file: &str) -> String;
    /// Under a failed rule, before the expected line (padded like `check_actual`).
    fn check_expected(&self) -> &'static str;
    /// Under a failed rule, before the actual line.
    fn check_actual(&self) -> &'static str;
    /// The last line when every rule holds.
    fn check_all_hold(&self, n: usize) -> String;
    /// The error line when some rules fail.
    fn check_some_fail(&self, failed: usize, n: usize) -> String;
    /// Before the traceback of a program that failed (exit code; None: killed by a signal).
    fn check_crashed(&self, code: Option<i32>) -> String;
    /// Before the stderr of a program that printed a traceback but exited 0.
    fn check_stderr_tail(&self) -> &'static str;
    /// The error line after a crash.
    fn check_crash_summary(&self) -> &'static str;
    /// Before the hang report.
    fn check_hung(&self, secs: f64) -> String;
    /// The error line after a hang.
    fn check_hung_summary(&self) -> &'static str;
    /// Before the hung program's last lines of output.
    fn check_last_output(&self) -> &'static str;
    /// Bad input: no python3 on the PATH.
    fn check_no_python(&self) -> &'static str;
    /// Bad input: the file does not exist.
    fn check_no_file(&self, file: &std::path::Path) -> String;
    /// Bad input: `--lesson` names no lesson.
    fn check_unknown_lesson(&self, given: &str) -> String;
    /// Bad input: the file's name tells no lesson.
    fn check_which_lesson(&self, file: &std::path::Path) -> String;
    /// The program could not be started (or its folders made).
    fn check_cannot_run(&self, err: &std::io::Error) -> String;
    /// stderr: where `--trace` went.
    fn check_trace_written(&self, path: &std::path::Path) -> String;
    /// stderr: where `--timeline` went.
    fn check_timeline_written(&self, path: &std::path::Path) -> String;
    /// A `--trace`/`--timeline` file that cannot be written.
    fn check_cannot_write(&self, path: &std::path::Path, err: &std::io::Error) -> String;
    /// The shim's records did not read as a Chrome trace.
    fn check_bad_records(&self, err: &str) -> String;

    /// Hang report headline: the program did not answer the state request.
    fn check_hang_silent(&self, secs: f64) -> String;
    /// Hang report headline: a thread waits for a Lock it holds.
    fn check_hang_self(&self, thread: &str) -> String;
    /// Hang report headline: `n` threads in a cycle.
    fn check_hang_cycle(&self, n: usize) -> String;
    /// Hang report headline: `n` threads wait, no cycle.
    fn check_hang_stall(&self, secs: f64, n: usize) -> String;
    /// One thread of a hang report: its name, its process when there are several, the locks
    /// it holds (quoted, joined; empty for none), and its wait: (kind, object, holder or the
    /// thread joined, the queue operation) or None when no wait was recorded.
    fn check_hang_thread(
        &self,
        name: &str,
        process: Option<(&str, i64)>,
        holds: &str,
        wait: Option<(&str, &str, &str, Option<&str>)>,
    ) -> String;
    /// The fix for a cycle through a join().
    fn check_hang_fix_join(&self) -> &'static str;
    /// The fix for a thread waiting for its own Lock.
    fn check_hang_fix_self(&self) -> &'static str;
    /// The fix for a cycle of locks: one order (the locks quoted, joined).
    fn check_hang_fix_order(&self, locks: &str) -> String;

    /// A lesson's title in the check headline, by its id (`10_1` … `legacy-10_5`).
    fn check_lesson_title(&self, lesson: &str) -> &'static str;
    /// A line of the program's output, quoted under a failed rule.
    fn check_quote(&self, text: &str, line: usize) -> String;
    /// The actual value of a rule that found no line.
    fn check_no_line(&self) -> &'static str;
    /// The actual value of a rule whose output ended too soon.
    fn check_output_ended(&self) -> &'static str;
    /// The print-race rule's title.
    fn check_race_title(&self) -> &'static str;
    /// The print-race rule's expected value: the pieces (quoted, joined) on lines of their own.
    fn check_race_expected(&self, pieces: &str) -> String;
    /// Why lines glue together.
    fn check_race_why(&self) -> &'static str;
    /// The fix for a print race.
    fn check_race_fix(&self) -> &'static str;
    /// How many more lines were glued.
    fn check_race_more(&self, n: usize) -> String;
    /// How many more lines are not lines of the task.
    fn check_unknown_more(&self, n: usize) -> String;

    // ==== check: the rules of each task (check/rules/), their titles, expected/actual, why ====

    /// Seconds as a rule shows them: `3,40 с` / `3.40 s`.
    fn check_secs(&self, s: f64) -> String;
    /// A number as the language writes it (the time scale): `0,05` / `0.05`.
    fn check_num(&self, x: f64) -> String;
    /// A line found `n` times instead of once.
    fn rule_times(&self, n: usize) -> String;
    /// Expected: a duration of about `s` seconds.
    fn rule_about(&self, s: f64) -> String;
    /// Expected: about `s` seconds, at most `at_most`.
    fn rule_about_at_most(&self, s: f64, at_most: f64) -> String;
    /// Expected: less than `s` seconds.
    fn rule_less_than(&self, s: f64) -> String;
    /// Expected: `want` of the program's threads alive at once.
    fn rule_threads_expected(&self, want: usize) -> String;
    /// Actual: `made` threads made, at most `most` alive at once.
    fn rule_threads_actual(&self, made: usize, most: usize) -> String;
    /// Why: fewer threads made than the task runs at once.
    fn rule_threads_too_few(&self, made: usize, want: usize) -> String;
    /// Why: the threads ran one after another.
    fn rule_threads_in_turn(&self) -> &'static str;
    /// Expected: two threads of the program.
    fn rule_two_threads(&self) -> &'static str;
    /// Actual: `made` threads recorded.
    fn rule_threads_recorded(&self, made: usize) -> String;

    /// 10_1: the messages rule.
    fn rule_10_1_messages(&self) -> &'static str;
    /// 10_1: expected two timing lines.
    fn rule_10_1_two_timings(&self) -> &'static str;
    /// 10_1: actual `n` timing lines.
    fn rule_10_1_timings_found(&self, n: usize) -> String;
    /// 10_1: expected the first timing line (either label).
    fn rule_10_1_either_timing(&self) -> &'static str;
    /// 10_1: expected the threads' timing line.
    fn rule_10_1_threads_timing(&self) -> &'static str;
    /// 10_1: the order rule.
    fn rule_10_1_order(&self) -> &'static str;
    /// 10_1: the files rule.
    fn rule_10_1_files(&self) -> &'static str;
    /// 10_1: expected a file `name`.
    fn rule_10_1_file(&self, name: &str) -> String;
    /// 10_1: actual no such file.
    fn rule_10_1_no_file(&self) -> &'static str;
    /// 10_1: actual line `k` of `name` is `got`.
    fn rule_10_1_file_line(&self, got: &str, name: &str, k: u32) -> String;
    /// 10_1: actual `name` ended after `lines` lines.
    fn rule_10_1_file_ended(&self, name: &str, lines: u32) -> String;
    /// 10_1: expected `name` to end after `lines` lines.
    fn rule_10_1_file_ends(&self, name: &str, lines: u32) -> String;
    /// 10_1: the functions' time rule (`sum` writes at `scale`, `expected` seconds).
    fn rule_10_1_functions(&self, sum: u32, scale: f64, expected: f64) -> String;
    /// 10_1: why the functions' time is the sum (`slept`: the records' sleep).
    fn rule_10_1_functions_why(&self, slept: f64) -> String;
    /// 10_1: the threads rule (`longest` writes at `scale`, `expected` seconds).
    fn rule_10_1_threads(&self, longest: u32, scale: f64, expected: f64) -> String;
    /// 10_1: why example8 finishes before example7.
    fn rule_10_1_order_why(&self) -> &'static str;
    /// 10_1: why the threads take as long as the longest file.
    fn rule_10_1_threads_why(&self) -> &'static str;

    /// 10_2: the messages rule.
    fn rule_10_2_messages(&self) -> &'static str;
    /// 10_2: each knight's days rule.
    fn rule_10_2_days(&self) -> &'static str;
    /// 10_2: why a knight of `power` wins after `total` days.
    fn rule_10_2_days_why(&self, name: &str, power: i64, total: i64) -> String;
    /// 10_2: expected no line of `name` after the victory.
    fn rule_10_2_after_victory(&self, name: &str) -> String;
    /// 10_2: the last-line rule.
    fn rule_10_2_last(&self) -> &'static str;
    /// 10_2: why the last line comes last.
    fn rule_10_2_last_why(&self) -> &'static str;
    /// 10_2: the battle rule (`slowest` and `sum` in days).
    fn rule_10_2_battle(&self, slowest: i64, scale: f64, expected: f64, sum: i64) -> String;
    /// 10_2: actual: the battle took `took` seconds.
    fn rule_10_2_battle_took(&self, took: f64) -> String;
    /// 10_2: why the battle lasts as long as the slowest knight.
    fn rule_10_2_battle_why(&self) -> &'static str;

    /// 10_3: the messages rule.
    fn rule_10_3_messages(&self) -> &'static str;
    /// 10_3: the operations rule.
    fn rule_10_3_operations(&self) -> &'static str;
    /// 10_3: `n` deposits.
    fn rule_10_3_deposits(&self, n: usize) -> String;
    /// 10_3: `n` requests.
    fn rule_10_3_requests(&self, n: usize) -> String;
    /// 10_3: expected an amount of 50 to 500.
    fn rule_10_3_amount(&self) -> &'static str;
    /// 10_3: expected an answer to the request `text`.
    fn rule_10_3_answer_to(&self, text: &str) -> String;
    /// 10_3: expected `n` answers to requests.
    fn rule_10_3_answers(&self, n: usize) -> String;
    /// 10_3: the last-line rule.
    fn rule_10_3_last(&self) -> &'static str;
    /// 10_3: expected the final balance line, any balance.
    fn rule_10_3_final_any(&self) -> &'static str;
    /// 10_3: the arithmetic rule.
    fn rule_10_3_arithmetic(&self) -> &'static str;
    /// 10_3: why the printed operations do not add up.
    fn rule_10_3_arithmetic_why(&self, deposited: i64, taken: i64) -> String;
    /// 10_3: the two-threads rule.
    fn rule_10_3_threads(&self) -> &'static str;

    /// 10_4: the messages rule.
    fn rule_10_4_messages(&self) -> &'static str;
    /// 10_4: expected a table number of 1 to 5.
    fn rule_10_4_table_number(&self) -> &'static str;
    /// 10_4: the arrival rule.
    fn rule_10_4_arrival(&self) -> &'static str;
    /// 10_4: why the first twelve lines are the arrivals.
    fn rule_10_4_arrival_why(&self) -> &'static str;
    /// 10_4: expected table `n` free before anyone sits at it.
    fn rule_10_4_table_free(&self, n: usize) -> String;
    /// 10_4: why: `other` still sits at table `n`.
    fn rule_10_4_table_taken_why(&self, n: usize, other: &str) -> String;
    /// 10_4: expected: the queue is empty, nobody can leave it.
    fn rule_10_4_queue_empty(&self) -> &'static str;
    /// 10_4: why: a Queue is FIFO.
    fn rule_10_4_fifo_why(&self) -> &'static str;
    /// 10_4: expected `guest` at a table before leaving.
    fn rule_10_4_seated_before_leaving(&self, guest: &str) -> String;
    /// 10_4: expected «… ate and left» before «table N free».
    fn rule_10_4_ate_before_free(&self) -> &'static str;
    /// 10_4: the seating rule.
    fn rule_10_4_seating(&self) -> &'static str;
    /// 10_4: the everyone-leaves rule.
    fn rule_10_4_everyone(&self) -> &'static str;
    /// 10_4: why everyone leaves.
    fn rule_10_4_everyone_why(&self) -> &'static str;
    /// 10_4: the threads rule.
    fn rule_10_4_threads(&self) -> &'static str;
    /// 10_4: expected `n` puts and gets on a queue.Queue.
    fn rule_10_4_queue_ops(&self, n: usize) -> String;
    /// 10_4: actual `puts` puts and `gets` gets recorded.
    fn rule_10_4_queue_ops_found(&self, puts: usize, gets: usize) -> String;

    /// 10_5: the messages rule.
    fn rule_10_5_messages(&self) -> &'static str;
    /// 10_5: the processes rule.
    fn rule_10_5_processes(&self) -> &'static str;
    /// 10_5: expected at least two child processes at once.
    fn rule_10_5_two_children(&self) -> &'static str;
    /// 10_5: actual `children` child processes recorded, `at_once` at once.
    fn rule_10_5_children_found(&self, children: usize, at_once: usize) -> String;
    /// 10_5: why processes, not threads.
    fn rule_10_5_processes_why(&self) -> &'static str;
    /// 10_5: the faster rule.
    fn rule_10_5_faster(&self) -> &'static str;
    /// 10_5: expected both timings.
    fn rule_10_5_both_timings(&self) -> &'static str;
    /// 10_5: the faster rule not checked on this machine.
    fn rule_10_5_not_checked(&self, cores: usize, load: f64, linear: f64, enough: f64) -> String;
    /// 10_5: the speedup seen.
    fn rule_10_5_speedup(&self, ratio: f64, cores: usize) -> String;
    /// 10_5: actual: the multiprocess read took `s` seconds.
    fn rule_10_5_multi_took(&self, s: f64) -> String;
    /// 10_5: why processes may not be faster.
    fn rule_10_5_faster_why(&self) -> &'static str;

    /// 2023's tasks: the messages rule.
    fn rule_legacy_messages(&self) -> &'static str;
    /// 2023's 10_1: numbers and letters in order.
    fn rule_legacy1_order(&self) -> &'static str;
    /// 2023's 10_1: two printers at once (`expected` seconds at `scale`).
    fn rule_legacy1_printers(&self, scale: f64, expected: f64) -> String;
    /// 2023's 10_3: every line's balance.
    fn rule_legacy3_lines(&self) -> &'static str;
    /// 2023's 10_3: why a balance line is off.
    fn rule_legacy3_lines_why(&self) -> &'static str;
    /// 2023's 10_3: the total rule.
    fn rule_legacy3_total(&self) -> &'static str;
    /// 2023's 10_3: expected five deposits, five withdrawals, 750.
    fn rule_legacy3_total_expected(&self) -> &'static str;
    /// 2023's 10_3: actual counts and the last balance.
    fn rule_legacy3_total_found(
        &self,
        deposits: usize,
        withdrawals: usize,
        last: Option<i64>,
    ) -> String;
    /// 2023's 10_3: the two-threads rule.
    fn rule_legacy3_threads(&self) -> &'static str;
    /// 2023's 10_4: the arrivals rule.
    fn rule_legacy4_arrive(&self) -> &'static str;
    /// 2023's 10_4: the seating rule.
    fn rule_legacy4_seating(&self) -> &'static str;
    /// 2023's 10_4: expected table `table` free (`other` sits there).
    fn rule_legacy4_table_free(&self, table: i64, other: i64) -> String;
    /// 2023's 10_4: why: a queue.Queue is FIFO.
    fn rule_legacy4_fifo_why(&self) -> &'static str;
    /// 2023's 10_4: expected visitor `c` at a table before leaving.
    fn rule_legacy4_seated_before_leaving(&self, c: i64) -> String;
    /// 2023's 10_4: the threads rule.
    fn rule_legacy4_threads(&self) -> &'static str;
    /// 2023's 10_5: the warehouse rule.
    fn rule_legacy5_warehouse(&self) -> &'static str;
    /// 2023's 10_5: why the warehouse is off.
    fn rule_legacy5_why(&self) -> &'static str;
    /// 2023's 10_5: the processes rule.
    fn rule_legacy5_processes(&self) -> &'static str;
    /// 2023's 10_5: expected at least two processes for the requests.
    fn rule_legacy5_two_processes(&self) -> &'static str;
    /// 2023's 10_5: actual `n` processes recorded.
    fn rule_legacy5_processes_found(&self, n: usize) -> String;
}

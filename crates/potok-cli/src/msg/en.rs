//! The English catalogue: the course's lines in English, and every other word potok prints.

use potok::deadlock::{DeadlockKind, ResourceKind};

use super::facts;
use super::Messages;

/// English.
#[derive(Debug)]
pub(crate) struct En;

/// `n` with the English plural of `word` (`1 thread`, `2 threads`).
fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// How many times: `once`, `twice`, `3 times`.
fn times(n: usize) -> String {
    match n {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        _ => format!("{n} times"),
    }
}

/// `1 idle core`, `2 idle cores`.
fn idle_cores(n: usize) -> String {
    format!("{n} idle {}", if n == 1 { "core" } else { "cores" })
}

/// Seconds with two decimals (more when small): `0.34 s`, `0.001 s`.
fn secs(s: f64) -> String {
    format!("{s:.d$} s", d = super::decimals_for(s))
}

impl Messages for En {
    // ==== help ====

    fn about(&self) -> &'static str {
        "The five lessons of the threading course, run as real programs on the potok library"
    }
    fn after_help(&self) -> &'static str {
        "Each lesson's own options: potok COMMAND --help.\n\
         Exit codes: 0 done; 1 the lesson failed while running; 2 bad input."
    }
    fn usage_heading(&self) -> &'static str {
        "Usage"
    }
    fn heading_options(&self) -> &'static str {
        "Options"
    }
    fn heading_arguments(&self) -> &'static str {
        "Arguments"
    }
    fn heading_commands(&self) -> &'static str {
        "Commands"
    }
    fn placeholder_options(&self) -> &'static str {
        "[OPTIONS]"
    }
    fn placeholder_command(&self) -> &'static str {
        "COMMAND"
    }
    fn placeholder_dir(&self) -> &'static str {
        "DIR"
    }
    fn placeholder_knight(&self) -> &'static str {
        "NAME:POWER"
    }
    fn placeholder_name(&self) -> &'static str {
        "NAME"
    }
    fn placeholder_lesson(&self) -> &'static str {
        "LESSON"
    }
    fn placeholder_file(&self) -> &'static str {
        "FILE.py"
    }
    fn help_help(&self) -> &'static str {
        "Print help"
    }
    fn help_version(&self) -> &'static str {
        "Print version"
    }
    fn help_lang(&self) -> &'static str {
        "Language of every message: ru or en [default: from LC_ALL, LC_MESSAGES or LANG]"
    }
    fn help_time_scale(&self, default: f64) -> String {
        format!(
            "Multiplies every sleep: 1 is the course's real seconds, 0.01 a hundred times \
             faster [default: {default}]"
        )
    }
    fn help_seed(&self, draws: &str) -> String {
        format!(
            "Repeats what is drawn at random ({draws}); not the order in which the threads \
             interleave, which the OS chooses [default: drawn, and printed on stderr]"
        )
    }
    fn draws_bank(&self) -> &'static str {
        "the amounts"
    }
    fn draws_cafe(&self) -> &'static str {
        "how long each guest eats"
    }
    fn draws_tour(&self) -> &'static str {
        "the bank's amounts, the cafe's meals"
    }
    fn help_trace(&self) -> &'static str {
        "Records the run and writes it as Chrome trace JSON (Perfetto opens it)"
    }
    fn help_timeline(&self) -> &'static str {
        "Records the run and writes its timeline: one HTML page, a row per thread"
    }
    fn help_no_explain(&self) -> &'static str {
        "Print only the lesson's lines: no explanation on stderr after it"
    }
    fn about_write_words(&self) -> &'static str {
        "10_1: write four files one after another, then in four threads, and time both"
    }
    fn help_dir_write_words(&self) -> &'static str {
        "Folder for example1.txt … example8.txt [default: the current folder, as in the course]"
    }
    fn about_knights(&self) -> &'static str {
        "10_2: knights as thread types (Run), each fighting 100 enemies"
    }
    fn help_knight(&self) -> &'static str {
        "A knight as \"Name:power\", power from 1 to 100 (repeatable) \
         [default: \"Sir Lancelot:10\" and \"Sir Galahad:20\"]"
    }
    fn about_bank(&self) -> &'static str {
        "10_3: a bank whose take waits on a Lock that deposit releases (a signal)"
    }
    fn help_faithful(&self) -> &'static str {
        "Run the course's program as written: it races on the balance and can hang (measured \
         on 1 December 2026: in 2–5 of 100 runs at --time-scale 0.001 and 0.02 on a loaded \
         machine, in none of 1000 at 1; it prints the details); potok deadlock bank forces \
         the schedule that hangs"
    }
    fn about_deadlock(&self) -> &'static str {
        "10_3: deadlocks caught instead of hanging: abba, ring N, self, bank"
    }
    fn placeholder_scenario(&self) -> &'static str {
        "SCENARIO"
    }
    fn about_abba(&self) -> &'static str {
        "Two threads take two locks in opposite order"
    }
    fn about_ring(&self) -> &'static str {
        "N philosophers, each holding the left fork and waiting for the right one"
    }
    fn help_ring_n(&self) -> &'static str {
        "How many philosophers, from 2 to 64 [default: 5]"
    }
    fn about_self(&self) -> &'static str {
        "A thread acquires a non-reentrant Lock it already holds"
    }
    fn about_deadlock_bank(&self) -> &'static str {
        "The course's bank with take starting after deposit has ended: the schedule that hangs"
    }
    fn about_cafe(&self) -> &'static str {
        "10_4: a cafe whose waiting line is a potok Queue; guests are thread types"
    }
    fn help_tables(&self) -> &'static str {
        "How many tables the cafe has, from 1 to 1000 [default: 5]"
    }
    fn help_guest(&self) -> &'static str {
        "A guest's name, in order of arrival (repeatable) [default: the course's twelve]"
    }
    fn about_gil(&self) -> &'static str {
        "10_4: the GIL: CPU-bound work one piece after another, in N threads and in N \
         processes, Rust beside CPython"
    }
    fn help_threads(&self) -> &'static str {
        "How many threads, processes and pieces of work, from 1 to 256 \
         [default: the number of cores]"
    }
    fn help_work(&self) -> &'static str {
        "Millions of squares each piece sums in Rust, from 1 to 100000; CPython sums a \
         twentieth of that [default: 100]"
    }
    fn about_read_files(&self) -> &'static str {
        "10_5: read four files one after another, with a process pool and with threads, and \
         time each"
    }
    fn help_dir_read_files(&self) -> &'static str {
        "Folder for file 1.txt … file 4.txt; missing ones are written first \
         [default: potok's cache folder, emptied by --clean]"
    }
    fn help_lines(&self) -> &'static str {
        "Lines in each generated file (consecutive integers), from 1 to 50000000 \
         [default: 3000000, about a second of reading here]"
    }
    fn help_clean(&self) -> &'static str {
        "Remove the files generated in potok's cache folder, and do nothing else"
    }
    fn about_tour(&self) -> &'static str {
        "Every lesson, one after another, quickly"
    }
    fn about_show(&self) -> &'static str {
        "A lesson's Rust program, then a Python solution of its task, to read side by side"
    }
    fn help_show_lesson(&self) -> &'static str {
        "The lesson: 10_1 … 10_5, or its command (write-words, knights, bank, cafe, read-files)"
    }

    fn about_check(&self) -> &'static str {
        "Checks your own Python solution of a task, rule by rule"
    }
    fn help_check_file(&self) -> &'static str {
        "Your program, like module_10_1.py (the lesson is taken from the name)"
    }
    fn help_check_lesson(&self) -> &'static str {
        "The lesson when the name does not tell it: 10_1 … 10_5, or legacy-10_1, legacy-10_3, \
         legacy-10_4, legacy-10_5 for the tasks of 2023"
    }
    fn help_hang_after(&self) -> &'static str {
        "Seconds without output and without recorded events after which the program is called \
         hung, reported and stopped, from 0 to 3600 [default: 10]"
    }
    fn help_check_trace(&self) -> &'static str {
        "Writes what the program's threads and processes did as a Chrome trace (JSON)"
    }
    fn help_check_timeline(&self) -> &'static str {
        "Draws the program's threads and processes on the timeline page (HTML)"
    }

    // ==== bad input ====

    fn missing_command(&self) -> &'static str {
        "a command is missing: potok --help lists the lessons"
    }
    fn missing_subcommand(&self, command: &str, choices: &str) -> String {
        format!("{command}: which one? {choices} ({command} --help)")
    }
    fn unknown_command(&self, name: &str, suggestion: Option<&str>) -> String {
        match suggestion {
            Some(s) => format!(
                "unknown command '{name}': did you mean '{s}'? (potok --help lists the lessons)"
            ),
            None => format!("unknown command '{name}' (potok --help lists the lessons)"),
        }
    }
    fn unknown_scenario(&self, name: &str, command: &str, suggestion: Option<&str>) -> String {
        match suggestion {
            Some(s) => format!(
                "{command} has no scenario '{name}': did you mean '{s}'? ({command} --help)"
            ),
            None => format!("{command} has no scenario '{name}' ({command} --help)"),
        }
    }
    fn unknown_option(&self, option: &str, command: &str, suggestion: Option<&str>) -> String {
        let option = &super::shown_arg(option);
        let suggestion = suggestion.map(super::shown_arg);
        match suggestion {
            Some(s) => {
                format!("{command} does not take {option}: did you mean {s}? ({command} --help)")
            }
            None => {
                format!("{command} does not take {option} ({command} --help lists what it takes)")
            }
        }
    }
    fn misplaced_option(&self, option: &str, command: &str) -> String {
        format!("{option} goes after the command: {command} {option} …")
    }
    fn unexpected_argument(&self, arg: &str, command: &str) -> String {
        format!("{command}: unexpected '{arg}' ({command} --help)")
    }
    fn missing_value(&self, option: &str) -> String {
        format!("{option} needs a value")
    }
    fn missing_argument(&self, arg: &str, command: &str) -> String {
        format!("{command}: {arg} is missing ({command} --help)")
    }
    fn given_twice(&self, option: &str) -> String {
        format!("{option} is given twice; give it once")
    }
    fn bad_value(&self, option: &str, why: &str) -> String {
        format!("{option}: {why}")
    }
    fn bad_arguments(&self, clap_says: &str) -> String {
        format!("bad arguments: {clap_says}")
    }
    fn not_a_count(&self, value: &str, min: u64, max: u64) -> String {
        format!("'{value}' is not allowed: a whole number from {min} to {max}")
    }
    fn not_a_time_scale(&self, value: &str, max: f64) -> String {
        format!("'{value}' is not allowed: a positive number up to {max}, like 1 or 0.01")
    }
    fn not_a_lang(&self, value: &str) -> String {
        format!("'{value}' is not a language potok speaks: ru or en")
    }
    fn not_a_knight(&self, value: &str) -> String {
        format!("'{value}' is not NAME:POWER, like \"Sir Lancelot:10\"")
    }
    fn knight_name_empty(&self) -> &'static str {
        "the knight's name is empty: NAME:POWER, like \"Sir Lancelot:10\""
    }
    fn not_a_power(&self, value: &str, max: u32) -> String {
        format!("the power '{value}' is not allowed: a whole number from 1 to {max}")
    }
    fn name_empty(&self) -> &'static str {
        "the name is empty"
    }
    fn not_a_ring(&self, value: &str, min: u16, max: u16) -> String {
        format!("'{value}' is not allowed: a ring has from {min} to {max} philosophers")
    }
    fn not_a_hang_after(&self, value: &str, max: f64) -> String {
        format!("'{value}' is not allowed: a number of seconds above 0, up to {max}")
    }
    fn not_a_lesson(&self, value: &str) -> String {
        format!(
            "'{value}' is not a lesson: 10_1, 10_2, 10_3, 10_4, 10_5 or a lesson's command \
             (write-words, knights, bank, cafe, read-files)"
        )
    }
    fn no_such_folder(&self, dir: &str) -> String {
        format!("--dir {dir}: no such folder")
    }
    fn not_a_folder(&self, dir: &str) -> String {
        format!("--dir {dir}: not a folder")
    }
    fn cannot_write_there(&self, dir: &str, err: &str) -> String {
        format!("--dir {dir}: cannot write there: {err}")
    }

    // ==== failures ====

    fn io_error(&self, err: &std::io::Error) -> String {
        use std::io::ErrorKind as K;
        let what = match err.kind() {
            K::NotFound => "no such file or folder",
            K::PermissionDenied => "permission denied",
            K::AlreadyExists => "it already exists",
            K::IsADirectory => "a folder, not a file",
            K::NotADirectory => "not a folder",
            K::ReadOnlyFilesystem => "a read-only file system",
            K::StorageFull => "no space left on the disk",
            K::InvalidData => "not UTF-8 text",
            K::BrokenPipe => "the reader closed the pipe",
            K::WouldBlock | K::TimedOut => "no answer in time",
            _ => "an input/output error",
        };
        match err.raw_os_error() {
            Some(code) => format!("{what} (OS error code {code})"),
            None => what.to_owned(),
        }
    }
    fn cluster_error(&self, what: &facts::Cluster) -> String {
        use facts::Cluster as C;
        // The library's detail is English: shown as it is, after what it means.
        match what {
            C::BadUrl { url } => {
                format!("'{url}' is not a Redis URL (expected redis://host:port/db)")
            }
            C::Unreachable { url } => format!("no Redis broker answers at {url}"),
            C::TooOld { url, version } => format!(
                "the Redis at {url} is version {version}; a cluster pool needs Redis 7 or later"
            ),
            C::Unusable { url, why } => {
                format!(
                    "the Redis at {url} answered with an error, so it cannot be the broker: {why}"
                )
            }
            C::Silent { url, why } => format!("the broker at {url} did not answer: {why}"),
            C::LocalWorkers { why } => {
                format!("the workers on this machine did not start or register in time: {why}")
            }
            C::Closed => "the cluster pool is closed: it takes no more work".to_owned(),
            C::TaskPanicked { task, message } => {
                format!("piece {} panicked in a worker: '{message}'", task + 1)
            }
            C::TaskData { task, why } => format!(
                "piece {} could not be sent to a worker, or its result read: {why}",
                task + 1
            ),
            C::GaveUp { task, why, .. } => format!(
                "piece {} was not done: {why}; it is kept in the stream potok:dead",
                task + 1
            ),
            C::Refused { task, why } => format!(
                "a worker could not find the function piece {} asks for: {why}",
                task + 1
            ),
            C::TaskBrokerLost { task, why } => {
                format!("the broker went away while piece {} ran: {why}", task + 1)
            }
            C::Terminated { task } => {
                format!("the pool was stopped before piece {} finished", task + 1)
            }
            C::WorkerLost { url, why } => {
                format!("the worker lost its broker at {url} and could not get it back: {why}")
            }
        }
    }
    fn pool_error(&self, what: &facts::Pool) -> String {
        use facts::Pool as P;
        match what {
            P::Spawn { os: Some(os) } => format!("could not start a process of the pool: {os}"),
            P::Spawn { os: None } => "could not start a process of the pool".to_owned(),
            P::Handshake { why } => format!(
                "a process of the pool did not answer as a potok child should (a bug of potok): \
                 {why}"
            ),
            P::Daemonic => {
                "this is a daemon process, and daemon processes may not have children".to_owned()
            }
            P::Start { why } => format!("a process of the pool did not start: {why}"),
            P::Closed => "the process pool is closed: it takes no more work".to_owned(),
            P::TaskPanicked { task, message } => format!(
                "task {} panicked in a process of the pool: '{message}'",
                task + 1
            ),
            P::WorkerDied {
                task,
                code: Some(code),
                ..
            } => format!(
                "the process of the pool running task {} died (exit code {code})",
                task + 1
            ),
            P::WorkerDied { task, signal, .. } => format!(
                "the process of the pool running task {} was killed by signal {}",
                task + 1,
                super::ru::signal_name(signal.unwrap_or(0))
            ),
            P::TaskData { task, why } => format!(
                "task {} could not be sent to a process of the pool, or its result read: {why}",
                task + 1
            ),
            P::Terminated { task } => {
                format!(
                    "the process pool was stopped before task {} finished",
                    task + 1
                )
            }
            P::Broken { task, why } => format!(
                "the process pool can no longer start processes, so task {} was not done: {why}",
                task + 1
            ),
        }
    }
    fn cannot_write_in(&self, dir: &str, err: &str) -> String {
        format!("cannot write in {dir}: {err}")
    }
    fn cannot_write_file(&self, file: &str, err: &str) -> String {
        format!("cannot write {file}: {err}")
    }
    fn cannot_read(&self, file: &str, err: &str) -> String {
        format!("cannot read {file}: {err}")
    }
    fn cannot_start_thread(&self, name: &str, err: &str) -> String {
        format!("cannot start thread {name}: {err}")
    }
    fn cannot_start_pool(&self, err: &str) -> String {
        format!("cannot start the process pool: {err}")
    }
    fn pool_failed(&self, err: &str) -> String {
        format!("the process pool: {err}")
    }
    fn thread_failed(&self, detail: &str) -> String {
        format!("a thread of the lesson failed: {detail}")
    }
    fn thread_panicked(&self, thread: &str, message: &str, location: Option<&str>) -> String {
        let at = location.map_or(String::new(), |at| format!(" (at {at})"));
        format!(
            "thread '{thread}' panicked, a bug in potok's code, not in what you did: \
             '{message}'{at}"
        )
    }
    fn waiting_line_shut_down(&self) -> &'static str {
        "the cafe's waiting line (Queue) was shut down, though the lesson never shuts it: a bug \
         in potok's code"
    }
    fn cannot_make_temp(&self, err: &str) -> String {
        format!("cannot make a temporary folder: {err}")
    }
    fn cannot_write_stdout(&self, err: &str) -> String {
        format!("cannot write to stdout: {err}")
    }
    fn did_not_deadlock(&self) -> &'static str {
        "the scenario did not deadlock"
    }
    fn bank_never_hung(&self, attempts: u64) -> String {
        format!(
            "the course's bank did not hang in {}",
            count(attempts as usize, "run")
        )
    }

    // ==== notes, progress, seed ====

    fn seed_line(&self, seed: u64) -> String {
        format!(
            "seed: {seed} (--seed {seed} repeats the amounts drawn; not the order in which the \
             threads interleave, which the OS chooses)"
        )
    }
    fn progress_words(&self) -> &'static str {
        "words"
    }
    fn progress_writing(&self) -> &'static str {
        "writing"
    }
    fn progress_reading(&self, way: &str) -> String {
        format!("reading, {way}")
    }
    fn progress_measuring(&self, runtime: &str) -> String {
        format!("{runtime}: measuring")
    }
    fn progress_bank_attempts(&self) -> &'static str {
        "runs"
    }
    fn writing_files(&self, count: usize, megabytes: u64, dir: &str, clean: &str) -> String {
        format!(
            "potok: writing {}, about {megabytes} MB in all, into {dir} (they are kept for \
             the next run; {clean} removes them)",
            self::count(count, "file")
        )
    }
    fn reusing_files(&self, dir: &str, clean: &str) -> String {
        format!("potok: reading the files an earlier run wrote in {dir} ({clean} removes them)")
    }
    fn cleaned(&self, dir: &str) -> String {
        format!("potok: removed {dir}")
    }
    fn nothing_to_clean(&self, dir: &str) -> String {
        format!("potok: nothing to remove ({dir} does not exist)")
    }
    fn python_failed(&self, why: &str) -> String {
        format!("potok: python3 failed, CPython rows left out: {why}")
    }
    fn no_python(&self, err: &str) -> String {
        format!("potok: no python3 on the PATH ({err}): CPython rows left out")
    }
    fn python_unexpected(&self, text: &str) -> String {
        format!("potok: unexpected output from python3: {text}")
    }

    fn trace_written(&self, file: &str) -> String {
        format!("Chrome trace: {file} (open it in ui.perfetto.dev or chrome://tracing)")
    }
    fn timeline_written(&self, file: &str) -> String {
        format!(
            "Timeline of the threads: {file} (open it in a browser: a row per thread, coloured \
             by what it does)"
        )
    }

    // ==== 10_1 ====

    fn word_line(&self, n: u32) -> String {
        format!("Some word No. {n}")
    }
    fn finished_writing(&self, file: &str) -> String {
        format!("Finished writing to file {file}")
    }
    fn functions_took(&self, took: &str) -> String {
        format!("Functions took {took}")
    }
    fn threads_took(&self, took: &str) -> String {
        format!("Threads took {took}")
    }

    // ==== 10_2 ====

    fn under_attack(&self, name: &str) -> String {
        format!("{name}, we are under attack!")
    }
    fn fighting(&self, name: &str, day: u32, left: u32) -> String {
        format!("{name}, fighting for {day} day(s)..., {left} warriors left.")
    }
    fn won(&self, name: &str, days: u32) -> String {
        format!("{name} won after {days} day(s)!")
    }
    fn battles_over(&self) -> &'static str {
        "All battles are over!"
    }

    // ==== 10_3 bank ====

    fn deposit(&self, x: i64, balance: i64) -> String {
        format!("Deposit: {x}. Balance: {balance}")
    }
    fn request(&self, x: i64) -> String {
        format!("Request for {x}")
    }
    fn withdrawal(&self, x: i64, balance: i64) -> String {
        format!("Withdrawal: {x}. Balance: {balance}")
    }
    fn refused(&self) -> &'static str {
        "Request denied, insufficient funds"
    }
    fn final_balance(&self, balance: i64) -> String {
        format!("Final balance: {balance}")
    }
    fn faithful_note(&self) -> &'static str {
        "potok: the course's program, as written. It hangs when take is refused twice after \
         deposit's last release of the lock: nobody is left to release it. How often depends \
         on the machine's speed and load. Measured on 1 December 2026 (a debug build, 2 cores \
         busy with other work): at --time-scale 0.001, 20 of 1000 runs hung; at 0.02, 51 of \
         1000; at 1 (the course's speed), none of 1000; 100 runs of each at a lighter load: \
         none; the course's Python program: none of 100. The deadlock detector catches a hung \
         run; potok deadlock bank forces the schedule that hangs."
    }
    fn faithful_hung(&self) -> &'static str {
        "potok: here the course's program would hang: take waits for the lock, and deposit has \
         already ended (the deadlock detector caught it; report above; potok deadlock bank \
         explains it)"
    }

    // ==== 10_3 deadlock ====

    fn took_lock(&self, who: &str, what: &str) -> String {
        format!("{who} took {what}")
    }
    fn waits_for_lock(&self, who: &str, what: &str) -> String {
        format!("{who} waits for {what}")
    }
    fn takes_again(&self, who: &str, what: &str) -> String {
        format!("{who} takes {what} again (a Lock is not reentrant)")
    }
    fn caught(&self, found_by: &str) -> String {
        format!("Deadlock caught: thread '{found_by}' got a DeadlockError, and the program did not hang.")
    }
    fn fix_lock_order(&self, first: &str, n: usize) -> String {
        let threads = if n == 2 {
            "both threads".to_owned()
        } else {
            format!("all {n} threads")
        };
        format!(
            "Why: each thread holds one lock and waits for the next one, which another thread \
             holds, around a circle; nobody lets go, so nobody goes on.\n\
             The fix: one lock order for everyone. If {threads} take the locks in the same order \
             ({first} first, then the next by number), the circle cannot close: whoever holds \
             the later lock already has the earlier one."
        )
    }
    fn fix_rlock(&self) -> &'static str {
        "Why: a Lock does not know who holds it, so a second acquire by the same thread waits \
         for a release that only this thread could make.\n\
         The fix: potok::RLock (Python's threading.RLock) counts its owner's acquires and lets \
         the owner in again; each acquire then needs its release."
    }
    fn bank_intro(&self) -> &'static str {
        "The course's bank (potok bank --faithful), with take started after deposit has ended: \
         a schedule the OS may choose, forced here."
    }
    fn bank_deposits(&self, count: usize, sum: i64, balance: i64) -> String {
        format!(
            "deposit: {}, {sum} in all; the balance reached {balance} and deposit ended. The \
             lock was never locked, so it released nothing.",
            self::count(count, "deposit")
        )
    }
    fn bank_skipped(&self, count: usize) -> String {
        format!(
            "take: … {} that went through …",
            self::count(count, "operation")
        )
    }
    fn bank_first_refusal(&self) -> &'static str {
        "   ← take acquires the lock: it is free, so take gets it at once and goes on"
    }
    fn bank_second_refusal(&self) -> &'static str {
        "   ← take acquires the lock again: it is locked, by take itself, and waits"
    }
    fn bank_attempt(&self, attempt: u64) -> String {
        if attempt == 1 {
            "It hung on the first run of the faithful bank.".to_owned()
        } else {
            format!(
                "It hung on run {attempt} of the faithful bank (each run draws new amounts; the \
                 earlier ones ended because take was refused at most once)."
            )
        }
    }
    fn bank_why_and_fix(&self) -> &'static str {
        "Why nobody is left to release the lock: only deposit releases it, and deposit has \
         ended. take's first refusal took the free lock; its second refusal waits for a release \
         that can no longer come.\n\
         The fix (potok bank, the default): when deposit ends it releases the lock one last \
         time, and take no longer waits once deposits have ended. potok show 10_3 prints it."
    }

    // ==== deadlock reports ====

    fn lock_order_head(&self, cycle: &str) -> String {
        format!(
            "potok: a potential deadlock: locks taken in different orders ({cycle}); nothing \
             hangs yet"
        )
    }
    fn lock_order_edge(
        &self,
        thread: &str,
        taken: &str,
        taken_at: &str,
        held: &str,
        held_at: &str,
    ) -> String {
        format!("thread '{thread}' took {taken} at {taken_at} while holding {held} (taken at {held_at})")
    }
    fn report_head(&self, kind: DeadlockKind, threads: usize) -> String {
        match (kind, threads) {
            (DeadlockKind::Cycle, 1) => "deadlock: a thread waits for itself".to_owned(),
            (DeadlockKind::Cycle, 2) => "deadlock: both threads wait for each other".to_owned(),
            (DeadlockKind::Cycle, n) => {
                format!("deadlock: {n} threads wait for each other in a cycle")
            }
            (DeadlockKind::Stall, 1) => {
                "deadlock: the only thread is blocked, and nobody can wake it".to_owned()
            }
            (DeadlockKind::Stall, 2) => {
                "deadlock: both threads are blocked, and neither can wake the other".to_owned()
            }
            (DeadlockKind::Stall, n) => {
                format!("deadlock: all {n} threads are blocked, and none can wake another")
            }
        }
    }
    fn report_resource(&self, kind: ResourceKind, name: &str, detail: Option<&str>) -> String {
        match (kind, detail) {
            (ResourceKind::Thread, _) => format!("thread '{name}' to finish"),
            (kind, Some(detail)) => format!("{kind} '{name}' ({detail})"),
            (kind, None) => format!("{kind} '{name}'"),
        }
    }
    fn report_thread(
        &self,
        name: &str,
        holds: &str,
        waits_for: &str,
        held_by: Option<&str>,
    ) -> String {
        let mut line = format!("thread '{name}'");
        if !holds.is_empty() {
            line.push_str(&format!(" holds {holds} and"));
        }
        line.push_str(&format!(" waits for {waits_for}"));
        if let Some(owner) = held_by {
            line.push_str(&format!(" (held by '{owner}')"));
        }
        line
    }
    fn report_found_by(&self, name: &str) -> String {
        format!("found when thread '{name}' blocked")
    }

    // ==== 10_4 cafe ====

    fn sat_down(&self, name: &str, table: usize) -> String {
        format!("{name} sat down at table number {table}")
    }
    fn in_queue(&self, name: &str) -> String {
        format!("{name} is in the queue")
    }
    fn ate_and_left(&self, name: &str) -> String {
        format!("{name} ate and left")
    }
    fn table_free(&self, table: usize) -> String {
        format!("Table number {table} is free")
    }
    fn left_queue(&self, name: &str, table: usize) -> String {
        format!("{name} left the queue and sat down at table number {table}")
    }

    // ==== 10_4 gil ====

    fn gil_work(&self, threads: usize, squares: u64, python_squares: u64, repeat: u32) -> String {
        format!(
            "Work: {threads} × {squares} squares (Rust), {threads} × {python_squares} (CPython); best of {repeat}"
        )
    }
    fn gil_headers(&self) -> (&'static str, &'static str) {
        ("wall time", "speedup")
    }
    fn gil_sequential(&self) -> &'static str {
        "sequential"
    }
    fn gil_threads(&self, n: usize) -> String {
        count(n, "thread")
    }
    fn gil_processes(&self, n: usize) -> String {
        if n == 1 {
            "1 process".to_owned()
        } else {
            format!("{n} processes")
        }
    }
    fn help_broker(&self) -> &'static str {
        "Also run the work on a cluster pool over the Redis at URL (redis://host:6379/0): on the \
         `potok worker URL` processes running there, or on workers started here when there are \
         none"
    }
    fn gil_cluster(&self, n: usize, started_here: bool) -> String {
        if started_here {
            format!("cluster of {n} (here)")
        } else {
            format!("cluster of {n}")
        }
    }
    fn cluster_failed(&self, err: &str) -> String {
        format!("the cluster pool failed: {err}")
    }
    fn about_worker(&self) -> &'static str {
        "A worker for cluster pools: serves the Redis at URL (for `potok gil --broker URL` on \
         any machine) until the broker is gone"
    }
    fn help_worker_url(&self) -> &'static str {
        "The broker: redis://host:6379/0"
    }
    fn worker_serving(&self, url: &str, pid: u32) -> String {
        format!("worker {pid}: serving {url} (Ctrl-C to stop)")
    }

    // ==== 10_5 ====

    fn linear(&self, took: &str) -> String {
        format!("{took} (linear)")
    }
    fn multiprocess(&self, took: &str) -> String {
        format!("{took} (multiprocess)")
    }
    fn multithreaded(&self, took: &str) -> String {
        format!("{took} (multithreaded)")
    }
    fn ways(&self) -> [&'static str; 3] {
        ["linear", "multiprocess", "multithreaded"]
    }

    // ==== tour ====

    fn lesson_title(&self, number: &str) -> &'static str {
        match number {
            "10_1" => "Creating threads",
            "10_2" => "Threads as classes",
            "10_3" => "Locks and error handling",
            "10_4" => "Queues for exchanging data between threads",
            _ => "Multiprocessing",
        }
    }
    fn tour_header(&self, number: &str, title: &str, command: &str) -> String {
        format!("== {number} {title} (potok {command}) ==")
    }
    fn tour_deadlock_title(&self) -> &'static str {
        "A deadlock"
    }
    fn tour_gil_title(&self) -> &'static str {
        "The GIL"
    }

    // ==== explanations ====

    fn explain_heading(&self) -> &'static str {
        "What happened (potok's note; --no-explain hides it):"
    }
    fn explain_write_words(&self, f: &facts::WriteWords) -> String {
        let sum = f64::from(f.words_sum) * 0.1 * f.scale;
        let max = f64::from(f.words_max) * 0.1 * f.scale;
        let order = f.finish_order.join(", ");
        format!(
            "write_words sleeps 0.1 s after each word (× {scale} here). One after another, the \
             four calls slept in turn: {sum_words} × 0.1 s, the sum, {sum} expected, \
             {functions} measured.\n\
             In four threads they slept at the same time, so the phase lasted about as long as \
             the longest file alone ({max_words} × 0.1 s, {max} expected, {threads} \
             measured), not the sum.\n\
             {finish}\n\
             About the label: the course's example prints \"Работа потоков\" on both timing \
             lines, a slip; potok prints \"Работа функций\" (\"Functions took\") for the first.",
            scale = f.scale,
            sum_words = count(f.words_sum as usize, "word"),
            sum = secs(sum),
            functions = secs(f.functions),
            max_words = count(f.words_max as usize, "word"),
            max = secs(max),
            threads = secs(f.threads),
            finish = if f.eight_before_seven() {
                format!(
                    "The threads finished by size, not by start: {order}. example8 has {} and \
                     example7 {}, so example8 was done first although it started later.",
                    count(f.words_max as usize / 2, "word"),
                    count(f.words_max as usize, "word")
                )
            } else {
                format!(
                    "The threads finished in this order: {order}. By size, example8 ({}) should \
                     have finished before example7 ({}) although it started later; this time \
                     the machine was busy and example8's thread waited longer for a core (at \
                     --time-scale 1 this hardly happens).",
                    count(f.words_max as usize / 2, "word"),
                    count(f.words_max as usize, "word")
                )
            },
        )
    }
    fn explain_knights(&self, f: &facts::Knights) -> String {
        let day = secs(f.scale);
        let days: Vec<String> = f
            .knights
            .iter()
            .map(|(name, power, days)| {
                format!(
                    "{name} (power {power}) fought {}",
                    count(*days as usize, "day")
                )
            })
            .collect();
        let longest = f.knights.iter().map(|k| k.2).max().unwrap_or(0);
        let sum: u32 = f.knights.iter().map(|k| k.2).sum();
        format!(
            "Each knight is a thread: {days}. A day is {day} here.\n\
             They fought at once: the battle took {elapsed}, about the longest knight's \
             {longest} ({expected}), not the sum of {sum} ({sum_secs}). That is why \
             their lines interleave, while each knight's own lines stay in order.",
            days = days.join(", "),
            longest = count(longest as usize, "day"),
            sum = count(sum as usize, "day"),
            elapsed = secs(f.elapsed),
            expected = secs(f64::from(longest) * f.scale),
            sum_secs = secs(f64::from(sum) * f.scale),
        )
    }
    fn explain_bank(&self, f: &facts::Bank) -> String {
        format!(
            "The Lock was a signal, not a guard: take was refused {refusals}, and {waits} it \
             acquired the lock: the first time the lock was free, so take went \
             straight on; after that each acquire slept until deposit, seeing a balance of 500 \
             or more, released it. (Refusals after the deposits had ended, when nobody would \
             release the lock any more: {after}; potok's version does not wait then, the \
             course's would hang.)\n\
             The books add up: {deposited} deposited − {withdrawn} withdrawn in {withdrawals} = \
             {balance}, the final balance (the balance itself is behind a Mutex \
             here; the course's program races on it).",
            refusals = times(f.refusals),
            waits = times(f.waits),
            after = f.refusals_after_end,
            deposited = f.deposited,
            withdrawn = f.withdrawn,
            withdrawals = count(f.withdrawals, "withdrawal"),
            balance = f.balance,
        )
    }
    fn explain_cafe(&self, f: &facts::Cafe) -> String {
        format!(
            "{guests}, {tables}: {queued} waited in the Queue, first come, first served, and \
             sat down as tables freed up.\n\
             The guests ate at the same time, each in its own thread: the evening lasted about \
             {evening:.0} s of the course's time, while the meals add up to {sum} s (the longest \
             {longest} s). The waiter slept in a get() until a guest left, instead of polling.",
            guests = count(f.guests, "guest"),
            tables = count(f.tables, "table"),
            queued = count(f.queued, "guest"),
            evening = f.evening,
            sum = f.meals_sum,
            longest = f.longest_meal,
        )
    }
    fn explain_gil(&self, f: &facts::Gil) -> String {
        let (rt, rp) = f.rust;
        let mut text = if rt.max(rp) >= 1.2 {
            format!(
                "Rust's {threads} ran on {cores} at once: {rt:.2}× with threads, {rp:.2}× with \
                 processes (at most the number of cores; less on a busy machine).",
                threads = count(f.threads, "thread"),
                cores = count(f.cores, "core"),
            )
        } else {
            format!(
                "Rust's {threads} gave only {rt:.2}× (processes {rp:.2}×): the machine had no \
                 free core for them just now, or there is one piece of work. On {idle} Rust's \
                 threads come close to {cores}×: they have no GIL.",
                threads = count(f.threads, "thread"),
                idle = idle_cores(f.cores),
                cores = f.cores,
            )
        };
        match f.python {
            Some((pt, pp)) => {
                if pt < 1.3 {
                    text.push_str(&format!(
                        "\nCPython's threads take turns holding the GIL, so its threads gave \
                         {pt:.2}×: no faster than one after another."
                    ));
                } else {
                    text.push_str(&format!(
                        "\nCPython's threads gave {pt:.2}× here, yet they take turns holding \
                         the GIL: with this little work the timings are mostly noise of a busy \
                         machine (potok gil with its default --work shows the GIL clearly)."
                    ));
                }
                if pp >= 1.2 {
                    text.push_str(&format!(
                        " Its processes each have their own interpreter and GIL: {pp:.2}×."
                    ));
                } else {
                    text.push_str(&format!(
                        " Its processes, each with its own interpreter and GIL, gave {pp:.2}× \
                         here: with no free core (or work too small for their cost) they could \
                         not show it."
                    ));
                }
                text.push_str(
                    " That is the lesson's point: in CPython, CPU-bound work needs processes; \
                     threads help with waiting (files, network, sleep).",
                );
            }
            None => text.push_str(
                "\nWithout python3 there are no CPython rows: there, threads would give about \
                 1× (they take turns holding the GIL) and only processes would help.",
            ),
        }
        text
    }
    fn explain_read_files(&self, f: &facts::ReadFiles) -> String {
        let speedup = f.linear / f.processes.max(1e-9);
        let verdict = if speedup > 1.1 {
            format!(
                "the pool was {speedup:.2}× faster: reading and splitting lines is CPU work, and \
                 {cores} did it at once",
                cores = count(f.cores, "core")
            )
        } else {
            format!(
                "the pool was not faster ({speedup:.2}×): starting processes and sending them \
                 work costs time, and with {mb:.0} MB there is too little to read to pay for it \
                 (or the machine has no free core)",
                mb = f.megabytes
            )
        };
        format!(
            "{mb:.0} MB in four files: one after another {linear}, in a process pool {processes} \
             (its start included, as in the course): {verdict}.\n\
             Processes pay off when each piece of work is large and CPU-bound; for small work \
             their start costs more than they save. Four threads took {threads}: in Rust they \
             run in parallel too (in CPython the GIL would make them take turns).",
            mb = f.megabytes,
            linear = secs(f.linear),
            processes = secs(f.processes),
            threads = secs(f.threads),
        )
    }

    // ==== show ====

    fn show_rust(&self, lesson: &str, file: &str) -> String {
        format!("==== {lesson}: potok's program in Rust ({file}) ====")
    }
    fn show_python(&self, lesson: &str, file: &str) -> String {
        format!("==== {lesson}: a Python solution of the task ({file}) ====")
    }

    // ==== check ====

    fn check_headline(&self, file: &str, lesson: &str, title: &str, scale: f64) -> String {
        format!("potok check {file}: lesson {lesson} {title}, sleeps ×{scale}")
    }
    fn check_running(&self, python: &std::path::Path, file: &str) -> String {
        format!(
            "running {} {file} in a fresh temporary folder…",
            python.display()
        )
    }
    fn check_expected(&self) -> &'static str {
        "expected:"
    }
    fn check_actual(&self) -> &'static str {
        "actual:  "
    }
    fn check_all_hold(&self, n: usize) -> String {
        if n == 1 {
            return "the one rule holds".to_owned();
        }
        format!("all {n} rules hold")
    }
    fn check_some_fail(&self, failed: usize, n: usize) -> String {
        format!("{failed} of {n} rules failed")
    }
    fn check_crashed(&self, code: Option<i32>) -> String {
        match code {
            Some(code) => format!("✗ the program failed (exit code {code}):"),
            None => "✗ the program was stopped by a signal:".to_owned(),
        }
    }
    fn check_stderr_tail(&self) -> &'static str {
        "the program wrote to stderr (its last lines):"
    }
    fn check_crash_summary(&self) -> &'static str {
        "the program crashed; the rules were not checked"
    }
    fn check_hung(&self, secs: f64) -> String {
        format!("✗ the program hung and was stopped after {secs} s without progress:")
    }
    fn check_hung_summary(&self) -> &'static str {
        "the program hung; it and its processes were stopped"
    }
    fn check_last_output(&self) -> &'static str {
        "its last lines of output:"
    }
    fn check_no_python(&self) -> &'static str {
        "python3 is not on the PATH: potok check runs the program with it; install Python 3"
    }
    fn check_no_file(&self, file: &std::path::Path) -> String {
        format!("no such file: {}", file.display())
    }
    fn check_unknown_lesson(&self, given: &str) -> String {
        format!(
            "unknown lesson '{given}': there are 10_1 … 10_5 and legacy-10_1, legacy-10_3, \
             legacy-10_4, legacy-10_5"
        )
    }
    fn check_which_lesson(&self, file: &std::path::Path) -> String {
        format!(
            "the name {} does not tell the lesson: call the file module_10_N.py or give --lesson 10_N",
            file.display()
        )
    }
    fn check_cannot_run(&self, err: &std::io::Error) -> String {
        format!("cannot run the program: {}", self.io_error(err))
    }
    fn check_trace_written(&self, path: &std::path::Path) -> String {
        format!(
            "the threads' records: {} (Chrome trace: chrome://tracing, ui.perfetto.dev)",
            path.display()
        )
    }
    fn check_timeline_written(&self, path: &std::path::Path) -> String {
        format!("the program's threads on the timeline: {}", path.display())
    }
    fn check_cannot_write(&self, path: &std::path::Path, err: &std::io::Error) -> String {
        format!("cannot write {}: {}", path.display(), self.io_error(err))
    }
    fn check_bad_records(&self, err: &str) -> String {
        format!("the shim's records do not read as a Chrome trace: {err}")
    }

    fn check_hang_silent(&self, secs: f64) -> String {
        format!(
            "the program hung: {secs} s without output or records, and it did not answer the \
             state request"
        )
    }
    fn check_hang_self(&self, thread: &str) -> String {
        format!("deadlock: thread '{thread}' waits for a Lock it holds itself")
    }
    fn check_hang_cycle(&self, n: usize) -> String {
        if n == 2 {
            return "deadlock: both threads wait for each other".to_owned();
        }
        format!("deadlock: {n} threads wait for each other in a cycle")
    }
    fn check_hang_stall(&self, secs: f64, n: usize) -> String {
        format!(
            "the program hung: {secs} s without output or records; {}",
            if n == 1 {
                "its one thread waits, and nothing can wake it".to_owned()
            } else {
                format!("{n} threads wait, and none can wake another")
            }
        )
    }
    fn check_hang_thread(
        &self,
        name: &str,
        process: Option<(&str, i64)>,
        holds: &str,
        wait: Option<(&str, &str, &str, Option<&str>)>,
    ) -> String {
        let mut line = format!("thread '{name}'");
        if let Some((process, pid)) = process {
            line.push_str(&format!(" (process '{process}', {pid})"));
        }
        if !holds.is_empty() {
            line.push_str(&format!(" holds Lock {holds} and"));
        }
        line.push_str(&match wait {
            None => " waits for nothing recorded (runs, or waits outside threading)".to_owned(),
            Some((kind, o, on, op)) => match kind {
                "lock" => format!(" waits for Lock '{o}' (held by '{on}')"),
                "join" => format!(" waits for thread '{o}' to finish"),
                "event" => format!(" waits for Event '{o}' (nobody has set it)"),
                "condition" => format!(" waits for a notify on Condition '{o}'"),
                "semaphore" => format!(" waits for Semaphore '{o}' (its count is 0)"),
                "barrier" => format!(" waits for the others at Barrier '{o}'"),
                "queue" if op == Some("put") => {
                    format!(" waits for room in Queue '{o}' (it is full)")
                }
                "queue" => format!(" waits for an item from Queue '{o}' (it is empty)"),
                "sleep" => " sleeps (time.sleep)".to_owned(),
                kind => format!(" waits for {kind} '{o}'"),
            },
        });
        line
    }
    fn check_hang_fix_join(&self) -> &'static str {
        "the fix: do not join() a thread while holding a Lock it needs: release the lock before \
         join()"
    }
    fn check_hang_fix_self(&self) -> &'static str {
        "the fix: do not take again a Lock the thread already holds (an RLock lets one thread do \
         that); a signal between threads is an Event or a Condition"
    }
    fn check_hang_fix_order(&self, locks: &str) -> String {
        format!("the fix: let every thread take these locks in one order ({locks})")
    }
    fn check_lesson_title(&self, lesson: &str) -> &'static str {
        match lesson {
            "10_1" => "\"Creating threads\"",
            "10_2" => "\"Threads as classes\"",
            "10_3" => "\"Locks and error handling\"",
            "10_4" => "\"Queues between threads\"",
            "10_5" => "\"Multiprocess programming\"",
            "legacy-10_1" => "(the 2023 task: two threads, numbers and letters)",
            "legacy-10_3" => "(the 2023 task: BankAccount)",
            "legacy-10_4" => "(the 2023 task: the Customer cafe)",
            "legacy-10_5" => "(the 2023 task: WarehouseManager)",
            _ => "",
        }
    }
    fn check_quote(&self, text: &str, line: usize) -> String {
        format!("{text} (line {line})")
    }
    fn check_no_line(&self) -> &'static str {
        "(no such line)"
    }
    fn check_output_ended(&self) -> &'static str {
        "(the output ended)"
    }
    fn check_race_title(&self) -> &'static str {
        "every line whole: no two threads' prints glued together"
    }
    fn check_race_expected(&self, pieces: &str) -> String {
        format!("{pieces} on lines of their own")
    }
    fn check_race_why(&self) -> &'static str {
        "This is a print race: print(line) writes the text and '\\n' as two separate writes, and \
         another thread printed in between. The lines are right but glued together, and their \
         newlines came out later as empty lines."
    }
    fn check_race_fix(&self) -> &'static str {
        "The fix: print the line in one write, print(f'{line}\\n', end=''), or print under a \
         shared Lock."
    }
    fn check_race_more(&self, n: usize) -> String {
        format!(
            "{} more glued {}.",
            n,
            if n == 1 { "line" } else { "lines" }
        )
    }
    fn check_unknown_more(&self, n: usize) -> String {
        format!(
            "{n} more {} not from the task.",
            if n == 1 { "line" } else { "lines" }
        )
    }

    // ==== check: the rules ====

    fn check_secs(&self, s: f64) -> String {
        secs(s)
    }
    fn check_num(&self, x: f64) -> String {
        x.to_string()
    }
    fn rule_times(&self, n: usize) -> String {
        times(n)
    }
    fn rule_about(&self, s: f64) -> String {
        format!("about {}", secs(s))
    }
    fn rule_about_at_most(&self, s: f64, at_most: f64) -> String {
        format!("about {}, at most {}", secs(s), secs(at_most))
    }
    fn rule_less_than(&self, s: f64) -> String {
        format!("less than {}", secs(s))
    }
    fn rule_threads_expected(&self, want: usize) -> String {
        format!("at least {want} of the program's threads alive at the same time")
    }
    fn rule_threads_actual(&self, made: usize, most: usize) -> String {
        format!(
            "{} made, at most {most} alive at once",
            count(made, "thread")
        )
    }
    fn rule_threads_too_few(&self, made: usize, want: usize) -> String {
        format!(
            "The program made {}, and the task runs {want} at the same time; the task's lines \
             were printed, but not by those threads (the shim's records see every \
             threading.Thread).",
            count(made, "thread")
        )
    }
    fn rule_threads_in_turn(&self) -> &'static str {
        "The threads' records show them running one after another: start() then join() of each \
         in turn is a sequential program. Start them all, then join them all."
    }
    fn rule_two_threads(&self) -> &'static str {
        "two threads of the program"
    }
    fn rule_threads_recorded(&self, made: usize) -> String {
        format!("{} recorded", count(made, "thread"))
    }

    fn rule_10_1_messages(&self) -> &'static str {
        "messages: eight «Завершилась запись в файл exampleN.txt» and two timings, as in the task"
    }
    fn rule_10_1_two_timings(&self) -> &'static str {
        "two timing lines: «Работа функций …» and «Работа потоков …»"
    }
    fn rule_10_1_timings_found(&self, n: usize) -> String {
        count(n, "timing line")
    }
    fn rule_10_1_either_timing(&self) -> &'static str {
        "«Работа функций <time>» (or «Работа потоков <time>», as the course's example)"
    }
    fn rule_10_1_threads_timing(&self) -> &'static str {
        "«Работа потоков <time>»"
    }
    fn rule_10_1_order(&self) -> &'static str {
        "order: example1…example4 one after another, then the functions' time"
    }
    fn rule_10_1_files(&self) -> &'static str {
        "files: example1.txt … example8.txt, each «Какое-то слово № 1 … N»"
    }
    fn rule_10_1_file(&self, name: &str) -> String {
        format!("a file {name}")
    }
    fn rule_10_1_no_file(&self) -> &'static str {
        "(no such file)"
    }
    fn rule_10_1_file_line(&self, got: &str, name: &str, k: u32) -> String {
        format!("{got} ({name}, line {k})")
    }
    fn rule_10_1_file_ended(&self, name: &str, lines: u32) -> String {
        format!(
            "(the end of {name} after {})",
            count(lines as usize, "line")
        )
    }
    fn rule_10_1_file_ends(&self, name: &str, lines: u32) -> String {
        format!("the end of {name} after {}", count(lines as usize, "line"))
    }
    fn rule_10_1_functions(&self, sum: u32, scale: f64, expected: f64) -> String {
        format!(
            "functions' time ≈ the sum of all writes: {sum} × 0.1 s × {scale} = {}",
            secs(expected)
        )
    }
    fn rule_10_1_functions_why(&self, slept: f64) -> String {
        format!(
            "The functions run one after another, so their time is the sum of all 340 writes \
             of 0.1 s (check scales the sleeps: --time-scale). The records show {} of sleep.",
            secs(slept)
        )
    }
    fn rule_10_1_threads(&self, longest: u32, scale: f64, expected: f64) -> String {
        format!(
            "threads at the same time: example5, 6, 8, 7 in that order, the threads' time ≈ the \
             longest file ({longest} × 0.1 s × {scale} = {}), at most 0.7 × the functions' time",
            secs(expected)
        )
    }
    fn rule_10_1_order_why(&self) -> &'static str {
        "In threads the files are written at the same time, so the short example8 (100 words) \
         finishes before the long example7 (200 words). The order 5, 6, 7, 8 means the threads \
         ran one after another."
    }
    fn rule_10_1_threads_why(&self) -> &'static str {
        "The four threads sleep at the same time, so together they take as long as the longest \
         file (200 writes), not the sum of all."
    }

    fn rule_10_2_messages(&self) -> &'static str {
        "messages: Sir Lancelot (10) and Sir Galahad (20) in the task's words"
    }
    fn rule_10_2_days(&self) -> &'static str {
        "each knight's days in order: 100 − power × day left, the victory after ⌈100 / power⌉ \
         days"
    }
    fn rule_10_2_days_why(&self, name: &str, power: i64, total: i64) -> String {
        format!(
            "{name}'s power is {power}: each day (1 s) there are {power} fewer {enemies}, and \
             after {} none are left. Days count from 1; the enemies are subtracted before the \
             line is printed.",
            count(total.max(0) as usize, "day"),
            enemies = if power == 1 { "enemy" } else { "enemies" },
        )
    }
    fn rule_10_2_after_victory(&self, name: &str) -> String {
        format!("no line of {name} after the victory")
    }
    fn rule_10_2_last(&self) -> &'static str {
        "«Все битвы закончились!» is the last line, after both knights"
    }
    fn rule_10_2_last_why(&self) -> &'static str {
        "This line is printed after join() of both knights: then it comes out last."
    }
    fn rule_10_2_battle(&self, slowest: i64, scale: f64, expected: f64, sum: i64) -> String {
        format!(
            "the knights fight at the same time: the battle lasts ≈ the slower knight's days \
             ({slowest} × 1 s × {scale} = {}), not the sum ({})",
            secs(expected),
            count(sum.max(0) as usize, "day")
        )
    }
    fn rule_10_2_battle_took(&self, took: f64) -> String {
        format!("{} from a knight's first line to the last", secs(took))
    }
    fn rule_10_2_battle_why(&self) -> &'static str {
        "Each knight is a thread of its own and their days pass at the same time: the whole \
         battle lasts as long as the slowest knight fights."
    }

    fn rule_10_3_messages(&self) -> &'static str {
        "messages: deposits, requests, withdrawals, refusals and the total in the task's words"
    }
    fn rule_10_3_operations(&self) -> &'static str {
        "operations: 100 deposits and 100 requests of 50 to 500, each request answered by a \
         withdrawal of that sum or a refusal"
    }
    fn rule_10_3_deposits(&self, n: usize) -> String {
        count(n, "deposit")
    }
    fn rule_10_3_requests(&self, n: usize) -> String {
        count(n, "request")
    }
    fn rule_10_3_amount(&self) -> &'static str {
        "an amount of 50 to 500"
    }
    fn rule_10_3_answer_to(&self, text: &str) -> String {
        format!("an answer to «{text}»")
    }
    fn rule_10_3_answers(&self, n: usize) -> String {
        format!("{} to requests", count(n, "answer"))
    }
    fn rule_10_3_last(&self) -> &'static str {
        "«Итоговый баланс: …» is the last line, after both threads"
    }
    fn rule_10_3_final_any(&self) -> &'static str {
        "«Итоговый баланс: <balance>»"
    }
    fn rule_10_3_arithmetic(&self) -> &'static str {
        "arithmetic: the deposits' sum minus the withdrawals' sum equals the final balance"
    }
    fn rule_10_3_arithmetic_why(&self, deposited: i64, taken: i64) -> String {
        format!(
            "Deposits of {deposited} and withdrawals of {taken} were printed: {deposited} − \
             {taken} = {}. The balance differs from what was printed: an operation changed it by \
             another sum, or the two threads changed balance at the same time (balance += x is \
             a read and a write, and the other thread can come in between). Guard balance with \
             a lock.",
            deposited - taken
        )
    }
    fn rule_10_3_threads(&self) -> &'static str {
        "deposit and take run in two threads"
    }

    fn rule_10_4_messages(&self) -> &'static str {
        "messages: the task's twelve guests, tables 1…5, in the task's words"
    }
    fn rule_10_4_table_number(&self) -> &'static str {
        "a table number of 1 to 5"
    }
    fn rule_10_4_arrival(&self) -> &'static str {
        "arrival: the first twelve lines are Maria…Darya at tables 1…5, the other seven queued \
         in order"
    }
    fn rule_10_4_arrival_why(&self) -> &'static str {
        "guest_arrival seats the guests in order at free tables and queues them when none is \
         free: all before anyone has finished eating."
    }
    fn rule_10_4_table_free(&self, n: usize) -> String {
        format!("table number {n} free before anyone sits at it")
    }
    fn rule_10_4_table_taken_why(&self, n: usize, other: &str) -> String {
        format!("{other} still sits at table {n}: one table taken twice.")
    }
    fn rule_10_4_queue_empty(&self) -> &'static str {
        "(the queue is empty: nobody can leave it)"
    }
    fn rule_10_4_fifo_why(&self) -> &'static str {
        "A Queue gives the guests back in the order they were put in (FIFO)."
    }
    fn rule_10_4_seated_before_leaving(&self, guest: &str) -> String {
        format!("{guest} at a table before leaving")
    }
    fn rule_10_4_ate_before_free(&self) -> &'static str {
        "«… покушал(-а) и ушёл(ушла)» before «Стол номер N свободен»"
    }
    fn rule_10_4_seating(&self) -> &'static str {
        "seating: no table taken twice, guests leave the queue in order (FIFO), «покушал(-а)» \
         followed by «Стол номер N свободен» of their table"
    }
    fn rule_10_4_everyone(&self) -> &'static str {
        "all twelve guests ate and left, the queue is empty, the tables are free"
    }
    fn rule_10_4_everyone_why(&self) -> &'static str {
        "discuss_guests serves while the queue is not empty or any table is taken."
    }
    fn rule_10_4_threads(&self) -> &'static str {
        "the guests are threads, eating at five tables at once; the line is a queue.Queue \
         (7 puts, 7 gets)"
    }
    fn rule_10_4_queue_ops(&self, n: usize) -> String {
        format!(
            "{} and {} on a queue.Queue",
            count(n, "put"),
            count(n, "get")
        )
    }
    fn rule_10_4_queue_ops_found(&self, puts: usize, gets: usize) -> String {
        format!("{}, {} recorded", count(puts, "put"), count(gets, "get"))
    }

    fn rule_10_5_messages(&self) -> &'static str {
        "messages: «<time> (линейный)» and «<time> (многопроцессный)», once each"
    }
    fn rule_10_5_processes(&self) -> &'static str {
        "the multiprocess read runs in multiprocessing's child processes"
    }
    fn rule_10_5_two_children(&self) -> &'static str {
        "at least two child processes running at the same time (Pool(processes=4))"
    }
    fn rule_10_5_children_found(&self, children: usize, at_once: usize) -> String {
        let word = if children == 1 {
            "child process"
        } else {
            "child processes"
        };
        format!("{children} {word} recorded, {at_once} at once")
    }
    fn rule_10_5_processes_why(&self) -> &'static str {
        "Reading in threads of one process is held back by the GIL; for the files to be read at \
         the same time, use multiprocessing.Pool and its map."
    }
    fn rule_10_5_faster(&self) -> &'static str {
        "processes are faster than one read after another (where there are the cores and enough \
         work)"
    }
    fn rule_10_5_both_timings(&self) -> &'static str {
        "both timings"
    }
    fn rule_10_5_not_checked(&self, cores: usize, load: f64, linear: f64, enough: f64) -> String {
        format!(
            "not checked: {}, load {load:.1}, the linear read took {} (it takes 2 cores, one of \
             them free, and a read of at least {})",
            count(cores, "core"),
            secs(linear),
            secs(enough)
        )
    }
    fn rule_10_5_speedup(&self, ratio: f64, cores: usize) -> String {
        format!("×{ratio:.1} faster on {}", count(cores, "core"))
    }
    fn rule_10_5_multi_took(&self, s: f64) -> String {
        format!("the multiprocess read took {}", secs(s))
    }
    fn rule_10_5_faster_why(&self) -> &'static str {
        "Processes read the files on different cores at once; if they are not faster, either \
         they work one at a time (map called per file, join right after start), or the time \
         goes into starting them."
    }

    fn rule_legacy_messages(&self) -> &'static str {
        "messages: every line is a line of the task"
    }
    fn rule_legacy1_order(&self) -> &'static str {
        "the numbers 1…10 and the letters a…j, each in order"
    }
    fn rule_legacy1_printers(&self, scale: f64, expected: f64) -> String {
        format!(
            "two threads print at the same time: from the first line to the last ≈ 9 × 1 s × \
             {scale} = {}, not 19",
            secs(expected)
        )
    }
    fn rule_legacy3_lines(&self) -> &'static str {
        "every line: the new balance = the previous one ± the amount, from 1000"
    }
    fn rule_legacy3_lines_why(&self) -> &'static str {
        "If the balance is changed and printed outside one Lock, the other thread can come in \
         between the change and the print."
    }
    fn rule_legacy3_total(&self) -> &'static str {
        "five deposits of 100 and five withdrawals of 150: 750 in the end"
    }
    fn rule_legacy3_total_expected(&self) -> &'static str {
        "5 × Deposited 100, 5 × Withdrew 150, the last balance 750"
    }
    fn rule_legacy3_total_found(
        &self,
        deposits: usize,
        withdrawals: usize,
        last: Option<i64>,
    ) -> String {
        let last = last.map_or("-".to_owned(), |b| b.to_string());
        format!("Deposited 100: {deposits}, Withdrew 150: {withdrawals}, the last balance {last}")
    }
    fn rule_legacy3_threads(&self) -> &'static str {
        "deposits and withdrawals run in two threads"
    }
    fn rule_legacy4_arrive(&self) -> &'static str {
        "visitors 1…20 arrive in order"
    }
    fn rule_legacy4_seating(&self) -> &'static str {
        "seating: no table taken twice, waiting visitors sit in turn, every visitor ate and left"
    }
    fn rule_legacy4_table_free(&self, table: i64, other: i64) -> String {
        format!("table {table} free (visitor number {other} sits there)")
    }
    fn rule_legacy4_fifo_why(&self) -> &'static str {
        "Visitors waiting in a queue.Queue leave it in the order they came."
    }
    fn rule_legacy4_seated_before_leaving(&self, c: i64) -> String {
        format!("visitor number {c} at a table before leaving")
    }
    fn rule_legacy4_threads(&self) -> &'static str {
        "the visitors are threads, eating at the same time"
    }
    fn rule_legacy5_warehouse(&self) -> &'static str {
        "the warehouse after the requests: {'product1': 70, 'product2': 100, 'product3': 200}"
    }
    fn rule_legacy5_why(&self) -> &'static str {
        "Requests for one product must run in order: shipping product1 before it was received \
         ships nothing. And the shared dict (Manager().dict()) is changed under a Lock: \
         data[k] = data[k] + x from two processes loses one of the changes."
    }
    fn rule_legacy5_processes(&self) -> &'static str {
        "the requests run in multiprocessing's processes"
    }
    fn rule_legacy5_two_processes(&self) -> &'static str {
        "at least two processes for the requests"
    }
    fn rule_legacy5_processes_found(&self, n: usize) -> String {
        let word = if n == 1 { "process" } else { "processes" };
        format!("{n} {word} recorded")
    }
}

#[cfg(test)]
mod tests {
    use super::{count, facts, En, Messages};

    /// Where numbers meet nouns, the form follows the number: `1 run`, `2 runs`.
    #[test]
    fn messages_agree_with_their_numbers() {
        assert_eq!(
            [1, 2, 5, 11, 21, 22, 25, 111].map(|n| count(n, "thread")),
            [
                "1 thread",
                "2 threads",
                "5 threads",
                "11 threads",
                "21 threads",
                "22 threads",
                "25 threads",
                "111 threads"
            ]
        );
        assert!(En.bank_never_hung(1).ends_with("in 1 run"));
        assert!(En.bank_never_hung(21).ends_with("in 21 runs"));
        assert_eq!(
            En.bank_skipped(1),
            "take: … 1 operation that went through …"
        );
        assert!(En.bank_deposits(1, 1, 1).starts_with("deposit: 1 deposit,"));
        assert!(En
            .writing_files(1, 1, "d", "rm")
            .starts_with("potok: writing 1 file,"));
        assert_eq!(En.gil_processes(1), "1 process");
        assert_eq!(En.gil_processes(2), "2 processes");
        let knights = En.explain_knights(&facts::Knights {
            scale: 1.0,
            knights: vec![("A".into(), 100, 1), ("B".into(), 50, 2)],
            elapsed: 2.0,
        });
        assert!(
            knights.contains("A (power 100) fought 1 day, B (power 50) fought 2 days"),
            "{knights}"
        );
        assert!(knights.contains("the longest knight's 2 days"), "{knights}");
        assert!(knights.contains("not the sum of 3 days"), "{knights}");
        let cafe = En.explain_cafe(&facts::Cafe {
            tables: 1,
            guests: 2,
            queued: 1,
            longest_meal: 1,
            meals_sum: 2,
            evening: 2.0,
        });
        assert!(
            cafe.starts_with("2 guests, 1 table: 1 guest waited"),
            "{cafe}"
        );
        assert_eq!(En.check_all_hold(1), "the one rule holds");
        assert_eq!(En.check_race_more(1), "1 more glued line.");
        assert_eq!(En.check_unknown_more(2), "2 more lines not from the task.");
        assert!(En.rule_10_1_file_ends("f", 1).ends_with("after 1 line"));
        assert!(En.rule_10_2_days_why("A", 1, 100).contains("1 fewer enemy"));
        assert!(En.rule_10_5_speedup(2.0, 1).ends_with("on 1 core"));
        assert!(En
            .check_hang_stall(1.0, 1)
            .ends_with("its one thread waits, and nothing can wake it"));
    }
}

//! The figures of a run that an explanation words: plain data, filled in by the lessons and
//! read by both catalogues.

/// 10_1: the two phases' times and the order in which the threads finished.
#[derive(Debug, Clone)]
pub(crate) struct WriteWords {
    /// The time scale (1 = the course's seconds).
    pub(crate) scale: f64,
    /// The sequential phase, in seconds.
    pub(crate) functions: f64,
    /// The threaded phase, in seconds.
    pub(crate) threads: f64,
    /// Words written in each phase (the sum of the four files).
    pub(crate) words_sum: u32,
    /// Words of the longest file.
    pub(crate) words_max: u32,
    /// The threaded files in the order they finished.
    pub(crate) finish_order: Vec<String>,
}

impl WriteWords {
    /// Whether example8 (half the words) finished before example7, as it does unless the
    /// machine kept its thread from running.
    pub(crate) fn eight_before_seven(&self) -> bool {
        let at = |name: &str| self.finish_order.iter().position(|f| f == name);
        match (at("example8"), at("example7")) {
            (Some(eight), Some(seven)) => eight < seven,
            _ => true,
        }
    }
}

/// 10_2: each knight's days, and the whole battle's time.
#[derive(Debug, Clone)]
pub(crate) struct Knights {
    /// The time scale (a day is `scale` seconds).
    pub(crate) scale: f64,
    /// (name, power, days) of each knight.
    pub(crate) knights: Vec<(String, u32, u32)>,
    /// Wall time of the whole battle, in seconds.
    pub(crate) elapsed: f64,
}

/// 10_3: what the bank's two threads did.
#[derive(Debug, Clone)]
pub(crate) struct Bank {
    /// Sum of the deposits.
    pub(crate) deposited: i64,
    /// Withdrawals made and their sum.
    pub(crate) withdrawals: usize,
    /// Sum of the withdrawals.
    pub(crate) withdrawn: i64,
    /// Requests refused.
    pub(crate) refusals: usize,
    /// How many times take waited on the lock until deposit released it.
    pub(crate) waits: usize,
    /// Refusals after deposits had ended (take did not wait then).
    pub(crate) refusals_after_end: usize,
    /// The final balance.
    pub(crate) balance: i64,
}

/// 10_4 cafe: the evening in figures.
#[derive(Debug, Clone)]
pub(crate) struct Cafe {
    /// Tables.
    pub(crate) tables: usize,
    /// Guests.
    pub(crate) guests: usize,
    /// Guests who waited in the queue.
    pub(crate) queued: usize,
    /// Longest meal, in the course's seconds.
    pub(crate) longest_meal: u32,
    /// Sum of the meals, in the course's seconds.
    pub(crate) meals_sum: u32,
    /// The whole evening, in the course's seconds (wall time divided by the scale).
    pub(crate) evening: f64,
}

/// 10_4 gil: the speedups of the table.
#[derive(Debug, Clone)]
pub(crate) struct Gil {
    /// Threads (and processes) used.
    pub(crate) threads: usize,
    /// Cores of this machine.
    pub(crate) cores: usize,
    /// Rust's speedups: threads, processes.
    pub(crate) rust: (f64, f64),
    /// CPython's speedups: threads, processes (when python3 ran).
    pub(crate) python: Option<(f64, f64)>,
}

/// 10_5: the three ways' times.
#[derive(Debug, Clone)]
pub(crate) struct ReadFiles {
    /// Cores of this machine.
    pub(crate) cores: usize,
    /// Megabytes read in all.
    pub(crate) megabytes: f64,
    /// Linear, in seconds.
    pub(crate) linear: f64,
    /// The process pool (its start included), in seconds.
    pub(crate) processes: f64,
    /// Four threads, in seconds.
    pub(crate) threads: f64,
}

/// A cluster pool's failure (`gil --broker`, `potok worker`), from the library's error
/// (`msg/failure.rs` reads it). `why` is the library's English detail: the English catalogue
/// shows it; the Russian one words the variant and its data only.
#[derive(Debug, Clone)]
pub(crate) enum Cluster {
    /// The URL is not a Redis URL.
    BadUrl {
        /// The URL as given.
        url: String,
    },
    /// No Redis answered at the URL.
    Unreachable {
        /// The URL (without a password).
        url: String,
    },
    /// The Redis there is older than 7.
    TooOld {
        /// The broker's URL.
        url: String,
        /// Its version, as it reports it.
        version: String,
    },
    /// The server answered, but with an error: it cannot be used as a broker.
    Unusable {
        /// The broker's URL.
        url: String,
        /// The library's detail.
        why: String,
    },
    /// The broker did not answer a query.
    Silent {
        /// The broker's URL.
        url: String,
        /// The library's detail.
        why: String,
    },
    /// The workers the lesson starts on this machine did not start or register.
    LocalWorkers {
        /// The library's detail.
        why: String,
    },
    /// The pool was closed before the work was given.
    Closed,
    /// A task panicked in a worker.
    TaskPanicked {
        /// The task's index in its call.
        task: usize,
        /// The panic message (code's text).
        message: String,
    },
    /// A task's argument or result could not be (de)serialized.
    TaskData {
        /// The task's index in its call.
        task: usize,
        /// The library's detail.
        why: String,
    },
    /// Every attempt at a task failed; it went to the dead-letter stream `potok:dead`.
    GaveUp {
        /// The task's index in its call.
        task: usize,
        /// Attempts made, when the history says.
        attempts: Option<u32>,
        /// Workers (host:pid) that held it past their lease.
        lost: Vec<String>,
        /// Workers (host:pid) that refused it (another build).
        refused: Vec<String>,
        /// The library's detail.
        why: String,
    },
    /// A worker of this build could not find the task's function.
    Refused {
        /// The task's index in its call.
        task: usize,
        /// The library's detail.
        why: String,
    },
    /// The broker went away while the task ran.
    TaskBrokerLost {
        /// The task's index in its call.
        task: usize,
        /// The library's detail.
        why: String,
    },
    /// The pool was terminated before the task finished.
    Terminated {
        /// The task's index in its call.
        task: usize,
    },
    /// `potok worker` lost its broker and could not get it back.
    WorkerLost {
        /// The broker's URL.
        url: String,
        /// The library's detail.
        why: String,
    },
}

/// A process pool's failure (`read-files`, `gil`), from the library's error.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    /// A worker process could not be started; the OS's error, worded.
    Spawn {
        /// `Messages::io_error` of the cause, if there is one.
        os: Option<String>,
    },
    /// A worker process started but did not answer as a potok child of this program.
    Handshake {
        /// The library's detail.
        why: String,
    },
    /// This process is a daemon process, which may not have children.
    Daemonic,
    /// Any other start failure (the lessons set no initializer).
    Start {
        /// The library's detail.
        why: String,
    },
    /// The pool was closed before the work was given.
    Closed,
    /// A task panicked in its worker process.
    TaskPanicked {
        /// The task's index in its call.
        task: usize,
        /// The panic message (code's text).
        message: String,
    },
    /// The worker process running a task died.
    WorkerDied {
        /// The task's index in its call.
        task: usize,
        /// Its exit code, if it exited.
        code: Option<i32>,
        /// The signal that killed it, if one did.
        signal: Option<i32>,
    },
    /// A task's argument or result could not be (de)serialized, or the messages to its
    /// worker went wrong.
    TaskData {
        /// The task's index in its call.
        task: usize,
        /// The library's detail.
        why: String,
    },
    /// The pool was terminated before the task finished.
    Terminated {
        /// The task's index in its call.
        task: usize,
    },
    /// The pool could no longer start workers.
    Broken {
        /// The task's index in its call.
        task: usize,
        /// The library's detail.
        why: String,
    },
}

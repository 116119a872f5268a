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

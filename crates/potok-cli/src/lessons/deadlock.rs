//! 10_3, continued: `potok deadlock abba | ring N | self | bank` shows deadlocks being caught
//! instead of hanging. Each scenario really deadlocks; potok's detector finds it, the thread
//! whose block closed the cycle (or completed the stall) fails with a `DeadlockError`, and the
//! lesson prints the report (worded from the error's data), says why nobody can go on and
//! how to fix it, and exits 0.

use std::sync::{Arc, Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::bank::{self, Op};
use crate::cli::Pace;
use crate::console::{say, Output, Progress};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::msg::{m, report};

/// Which deadlock to show.
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum Scenario {
    #[command(about = m().about_abba())]
    Abba,
    #[command(about = m().about_ring())]
    Ring {
        #[arg(default_value_t = 5, value_parser = parse_ring, help = m().help_ring_n())]
        n: u16,
    },
    #[command(name = "self", about = m().about_self())]
    SelfLock,
    #[command(about = m().about_deadlock_bank())]
    Bank {
        #[command(flatten)]
        pace: Pace,
        #[arg(long, value_name = "N", allow_negative_numbers = true,
              value_parser = crate::cli::parse_seed,
              help = m().help_seed(m().draws_bank()))]
        seed: Option<u64>,
    },
}

impl Scenario {
    /// The time scale and seed the scenario runs with (only `bank` sleeps and draws).
    pub(crate) fn pace_and_seed(&self) -> (f64, Option<u64>) {
        match self {
            Scenario::Bank { pace, seed } => (pace.scale(), *seed),
            _ => (1.0, None),
        }
    }
}

/// Philosophers at one table: at least two (one would be `self`), at most 64.
const RING: std::ops::RangeInclusive<u16> = 2..=64;

fn parse_ring(s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .ok()
        .filter(|n| RING.contains(n))
        .ok_or_else(|| m().not_a_ring(s, *RING.start(), *RING.end()))
}

pub(crate) fn run(ctx: &Context, scenario: &Scenario) -> CliResult {
    let err = match scenario {
        Scenario::Abba => abba(ctx)?,
        Scenario::Ring { n } => ring(ctx, usize::from(*n))?,
        Scenario::SelfLock => self_lock(ctx)?,
        Scenario::Bank { .. } => bank(ctx)?,
    };
    let m = ctx.m();
    say(report::report(m, &err))?;
    say(m.caught(err.found_by()))?;
    match scenario {
        Scenario::Abba => say(m.fix_lock_order("lock_a", 2))?,
        Scenario::Ring { n } => say(m.fix_lock_order("fork-1", usize::from(*n)))?,
        Scenario::SelfLock => say(m.fix_rlock())?,
        Scenario::Bank { .. } => say(m.bank_why_and_fix())?,
    }
    Ok(())
}

/// The one `DeadlockError` among the threads' results.
fn caught(
    ctx: &Context,
    results: Vec<Result<Result<(), Output>, potok::Panicked>>,
) -> CliResult<potok::DeadlockError> {
    let mut found = None;
    for result in results {
        match result {
            Ok(written) => written?,
            Err(panicked) => match panicked.downcast::<potok::DeadlockError>() {
                Ok(err) => found = Some(*err),
                Err(other) => return Err(other.into()),
            },
        }
    }
    found.ok_or_else(|| CliError::Failed(ctx.m().did_not_deadlock().to_owned()))
}

fn spawn(
    ctx: &Context,
    name: String,
    f: impl FnOnce() -> Result<(), Output> + Send + 'static,
) -> CliResult<potok::JoinHandle<Result<(), Output>>> {
    potok::Builder::new()
        .name(name.clone())
        .spawn(f)
        .map_err(|e| CliError::Failed(ctx.m().cannot_start_thread(&name, &ctx.m().io_error(&e))))
}

/// `n` threads in a ring: thread `i` holds lock `i` and then wants lock `i + 1`. A Barrier
/// makes sure every thread holds its first lock before anyone reaches for the second, so the
/// deadlock happens every time.
fn ring_of(
    ctx: &Context,
    names: Vec<String>,
    locks: Vec<String>,
) -> CliResult<potok::DeadlockError> {
    let n = names.len();
    let lock_names = locks.clone();
    let locks: Arc<Vec<potok::Lock>> =
        Arc::new(locks.into_iter().map(potok::Lock::named).collect());
    let all_hold = Arc::new(potok::Barrier::named("all hold their first lock", n));
    let mut handles = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let (locks, all_hold, c) = (Arc::clone(&locks), Arc::clone(&all_hold), ctx.clone());
        let (first, second) = (lock_names[i].clone(), lock_names[(i + 1) % n].clone());
        let who = name.clone();
        handles.push(spawn(ctx, name, move || {
            let _first = locks[i].lock();
            let said = say(c.m().took_lock(&who, &first));
            let _ = all_hold.wait();
            said?;
            say(c.m().waits_for_lock(&who, &second))?;
            let _second = locks[(i + 1) % n].lock();
            Ok(())
        })?);
    }
    caught(
        ctx,
        handles.into_iter().map(potok::JoinHandle::join).collect(),
    )
}

fn abba(ctx: &Context) -> CliResult<potok::DeadlockError> {
    ring_of(
        ctx,
        vec!["A".into(), "B".into()],
        vec!["lock_a".into(), "lock_b".into()],
    )
}

fn ring(ctx: &Context, n: usize) -> CliResult<potok::DeadlockError> {
    ring_of(
        ctx,
        (1..=n).map(|i| format!("philosopher-{i}")).collect(),
        (1..=n).map(|i| format!("fork-{i}")).collect(),
    )
}

fn self_lock(ctx: &Context) -> CliResult<potok::DeadlockError> {
    let lock = Arc::new(potok::Lock::named("lock"));
    let c = ctx.clone();
    let worker = spawn(ctx, "worker".into(), move || {
        lock.acquire();
        say(c.m().took_lock("worker", "lock"))?;
        say(c.m().takes_again("worker", "lock"))?;
        lock.acquire();
        Ok(())
    })?;
    caught(ctx, vec![worker.join()])
}

/// How many times `deadlock bank` runs the faithful bank looking for its hang.
const BANK_ATTEMPTS: u64 = 200;

/// take's operations shown before its first refusal (the rest are counted, not shown).
const SHOWN_BEFORE_REFUSAL: usize = 4;

fn bank(ctx: &Context) -> CliResult<potok::DeadlockError> {
    let mut seeds = ctx.rng();
    let progress = Progress::new(BANK_ATTEMPTS, ctx.m().progress_bank_attempts());
    for attempt in 1..=BANK_ATTEMPTS {
        let rngs = (
            StdRng::seed_from_u64(seeds.random()),
            StdRng::seed_from_u64(seeds.random()),
        );
        let ops = Arc::new(Mutex::new(Vec::new()));
        let schedule = bank::Schedule::TakeAfterDeposit;
        let outcome = bank::faithful(ctx, rngs, bank::Ops::Keep(Arc::clone(&ops)), schedule)?;
        progress.inc(1);
        if let bank::Faithful::Hung(err) = outcome {
            drop(progress);
            let ops = std::mem::take(&mut *ops.lock().unwrap_or_else(PoisonError::into_inner));
            tell_the_story(ctx, &ops, attempt)?;
            return Ok(err);
        }
    }
    Err(CliError::Failed(ctx.m().bank_never_hung(BANK_ATTEMPTS)))
}

/// The operations that led to the hang: deposit's in one line, take's from just before its
/// first refusal, each refusal explained.
fn tell_the_story(ctx: &Context, ops: &[Op], attempt: u64) -> CliResult {
    let m = ctx.m();
    say(m.bank_intro())?;
    say(m.bank_attempt(attempt))?;
    let deposits: Vec<i64> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Deposit { x, .. } => Some(*x),
            _ => None,
        })
        .collect();
    let balance = ops
        .iter()
        .rev()
        .find_map(|op| match op {
            Op::Deposit { balance, .. } => Some(*balance),
            _ => None,
        })
        .unwrap_or(0);
    say(m.bank_deposits(deposits.len(), deposits.iter().sum(), balance))?;
    let take: Vec<Op> = ops
        .iter()
        .copied()
        .filter(|op| !matches!(op, Op::Deposit { .. }))
        .collect();
    let first_refusal = take.iter().position(|op| *op == Op::Refused).unwrap_or(0);
    // Start at a request, a few operations before the first refusal.
    let mut from = first_refusal.saturating_sub(SHOWN_BEFORE_REFUSAL);
    while from > 0 && !matches!(take[from], Op::Request { .. }) {
        from -= 1;
    }
    if from > 0 {
        say(m.bank_skipped(from))?;
    }
    let mut refusals = 0;
    for op in &take[from..] {
        say(format!("take: {}", op.line(ctx)))?;
        if *op == Op::Refused {
            refusals += 1;
            match refusals {
                1 => say(m.bank_first_refusal())?,
                _ => say(m.bank_second_refusal())?,
            }
        }
    }
    Ok(())
}

//! 10_3, continued: `potok deadlock abba | ring N | self | bank` shows deadlocks being caught
//! instead of hanging. Each scenario really deadlocks; potok's detector finds it, the thread
//! whose block closed the cycle (or completed the stall) fails with a `DeadlockError`, and the
//! lesson prints the report and exits 0.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::bank;
use crate::console::say;
use crate::context::{Context, Lang};
use crate::error::{CliError, CliResult};

/// Which deadlock to show.
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum Scenario {
    /// Two threads take two locks in opposite order
    Abba,
    /// N philosophers, each holding the left fork and waiting for the right one
    Ring {
        /// How many philosophers (at least 2)
        #[arg(default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..=64))]
        n: u16,
    },
    /// A thread acquires a non-reentrant Lock it already holds
    #[command(name = "self")]
    SelfLock,
    /// The course's bank (`potok bank --faithful`) with take starting after deposit ended,
    /// run until it hangs
    Bank,
}

pub(crate) fn run(ctx: &Context, scenario: &Scenario) -> CliResult {
    // The lesson prints the report itself, on stdout; the failing thread's panic is expected.
    potok::deadlock::set_print_reports(false);
    potok::set_excepthook(|_| {});
    let caught = match scenario {
        Scenario::Abba => abba(ctx),
        Scenario::Ring { n } => ring(ctx, usize::from(*n)),
        Scenario::SelfLock => self_lock(ctx),
        Scenario::Bank => bank(ctx),
    };
    potok::reset_excepthook();
    potok::deadlock::set_print_reports(true);
    let err = caught?;
    say!("{err}");
    match ctx.lang {
        Lang::Ru => say!(
            "Взаимная блокировка поймана: поток '{}' получил DeadlockError, программа не зависла.",
            err.found_by()
        ),
        Lang::En => say!(
            "Deadlock caught: thread '{}' got a DeadlockError, and the program did not hang.",
            err.found_by()
        ),
    }
    Ok(())
}

/// The one `DeadlockError` among the threads' results.
fn caught(results: Vec<Result<(), potok::Panicked>>) -> CliResult<potok::DeadlockError> {
    let mut found = None;
    for result in results {
        if let Err(panicked) = result {
            match panicked.downcast::<potok::DeadlockError>() {
                Ok(err) => found = Some(*err),
                Err(other) => return Err(other.into()),
            }
        }
    }
    found.ok_or_else(|| CliError::Failed("the scenario did not deadlock".to_owned()))
}

fn spawn(name: String, f: impl FnOnce() + Send + 'static) -> CliResult<potok::JoinHandle<()>> {
    potok::Builder::new()
        .name(name.clone())
        .spawn(f)
        .map_err(|e| CliError::Failed(format!("cannot start thread {name}: {e}")))
}

fn took(ctx: &Context, who: &str, what: &str) {
    match ctx.lang {
        Lang::Ru => say!("{who} взял {what}"),
        Lang::En => say!("{who} took {what}"),
    }
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
        let (locks, all_hold, ctx) = (Arc::clone(&locks), Arc::clone(&all_hold), ctx.clone());
        let (first, second) = (lock_names[i].clone(), lock_names[(i + 1) % n].clone());
        let who = name.clone();
        handles.push(spawn(name, move || {
            let _first = locks[i].lock();
            took(&ctx, &who, &first);
            let _ = all_hold.wait();
            match ctx.lang {
                Lang::Ru => say!("{who} ждёт {second}"),
                Lang::En => say!("{who} waits for {second}"),
            }
            let _second = locks[(i + 1) % n].lock();
        })?);
    }
    caught(handles.into_iter().map(potok::JoinHandle::join).collect())
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
    let ctx2 = ctx.clone();
    let worker = spawn("worker".into(), move || {
        lock.acquire();
        took(&ctx2, "worker", "lock");
        match ctx2.lang {
            Lang::Ru => say!("worker снова берёт lock (Lock не реентерабельный)"),
            Lang::En => say!("worker takes lock again (a Lock is not reentrant)"),
        }
        lock.acquire();
    })?;
    caught(vec![worker.join()])
}

/// How many times `deadlock bank` runs the faithful bank looking for its hang.
const BANK_ATTEMPTS: u64 = 200;

fn bank(ctx: &Context) -> CliResult<potok::DeadlockError> {
    let mut seeds = ctx.rng();
    for attempt in 1..=BANK_ATTEMPTS {
        let rngs = (
            StdRng::seed_from_u64(seeds.random()),
            StdRng::seed_from_u64(seeds.random()),
        );
        let schedule = bank::Schedule::TakeAfterDeposit;
        if let bank::Faithful::Hung(err) = bank::faithful(ctx, rngs, false, schedule)? {
            match ctx.lang {
                Lang::Ru => say!(
                    "Банк из урока (take начал после окончания deposit) завис на попытке {attempt}:"
                ),
                Lang::En => say!(
                    "The course's bank (take starting after deposit finished) hung on attempt {attempt}:"
                ),
            }
            return Ok(err);
        }
    }
    Err(CliError::Failed(format!(
        "the course's bank did not hang in {BANK_ATTEMPTS} attempts"
    )))
}

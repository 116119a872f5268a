//! 10_3 "Блокировки и обработка ошибок": a bank whose `take` waits on a `Lock` that `deposit`
//! releases (a Lock used as a signal).
//!
//! The course's program (`--faithful`) can hang: `take` blocks on the lock after `deposit` has
//! finished, and nobody is left to release it; it also races on `balance`. The default
//! version keeps the lock-as-signal design but guards the balance with a `Mutex` and releases
//! the lock when the deposits end, so it always finishes and its printed operations add up to
//! the final balance.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::console::{note, say, Output};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::msg::{facts, report};

/// Operations per thread, as in the course.
const OPERATIONS: usize = 100;
/// Each deposit or request is a random amount in this range, as in the course.
const AMOUNTS: std::ops::RangeInclusive<i64> = 50..=500;
/// `deposit` releases the lock once the balance reaches this.
const ENOUGH: i64 = 500;

/// One operation of the bank, as its line says it (kept by `deadlock bank` to tell the story).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `Пополнение: x. Баланс: balance`.
    Deposit { x: i64, balance: i64 },
    /// `Запрос на x`.
    Request { x: i64 },
    /// `Снятие: x. Баланс: balance`.
    Withdrawal { x: i64, balance: i64 },
    /// `Запрос отклонён, недостаточно средств`.
    Refused,
}

impl Op {
    /// The operation's line, in the lesson's language.
    pub(crate) fn line(self, ctx: &Context) -> String {
        let m = ctx.m();
        match self {
            Op::Deposit { x, balance } => m.deposit(x, balance),
            Op::Request { x } => m.request(x),
            Op::Withdrawal { x, balance } => m.withdrawal(x, balance),
            Op::Refused => m.refused().to_owned(),
        }
    }
}

/// Where the faithful bank's operations go: printed (`bank --faithful`) or kept
/// (`deadlock bank`).
#[derive(Debug, Clone)]
pub(crate) enum Ops {
    /// Printed on stdout as the course prints them.
    Print,
    /// Kept in order, not printed.
    Keep(Arc<Mutex<Vec<Op>>>),
}

impl Ops {
    fn record(&self, ctx: &Context, op: Op) -> Result<(), Output> {
        match self {
            Ops::Print => say(op.line(ctx)),
            Ops::Keep(ops) => {
                ops.lock().unwrap_or_else(PoisonError::into_inner).push(op);
                Ok(())
            }
        }
    }
}

/// Two generators, one per thread, from the lesson's seed.
fn rngs(ctx: &Context) -> (StdRng, StdRng) {
    let mut rng = ctx.rng();
    (
        StdRng::seed_from_u64(rng.random()),
        StdRng::seed_from_u64(rng.random()),
    )
}

/// `potok bank` and `potok bank --faithful`.
pub(crate) fn run(ctx: &Context, faithful_version: bool) -> CliResult {
    if !faithful_version {
        let figures = correct(ctx, rngs(ctx))?;
        say(ctx.m().final_balance(figures.balance))?;
        ctx.explain(|m| m.explain_bank(&figures));
        return Ok(());
    }
    note(ctx.m().faithful_note());
    match faithful(ctx, rngs(ctx), Ops::Print, Schedule::Together)? {
        Faithful::Finished(balance) => say(ctx.m().final_balance(balance))?,
        Faithful::Hung(err) => {
            note(report::report(ctx.m(), &err));
            note(ctx.m().faithful_hung());
        }
    }
    Ok(())
}

/// What the faithful program did.
#[derive(Debug)]
pub(crate) enum Faithful {
    /// It ended, with this balance.
    Finished(i64),
    /// It hung; the detector caught it.
    Hung(potok::DeadlockError),
}

/// The course's `Bank`, as written: `balance` is read and written without a lock (its races
/// are real: an update may be lost), and the Lock is only a signal.
struct FaithfulBank {
    balance: AtomicI64,
    lock: potok::Lock,
}

impl FaithfulBank {
    fn deposit(&self, ctx: &Context, rng: &mut StdRng, ops: &Ops) -> Result<(), Output> {
        for _ in 0..OPERATIONS {
            let x = rng.random_range(AMOUNTS);
            // self.balance += x: a read, then a write.
            let balance = self.balance.load(Ordering::Relaxed) + x;
            self.balance.store(balance, Ordering::Relaxed);
            let balance = self.balance.load(Ordering::Relaxed);
            ops.record(ctx, Op::Deposit { x, balance })?;
            if self.balance.load(Ordering::Relaxed) >= ENOUGH && self.lock.locked() {
                let _ = self.lock.release();
            }
            ctx.sleep(0.001);
        }
        Ok(())
    }

    fn take(&self, ctx: &Context, rng: &mut StdRng, ops: &Ops) -> Result<(), Output> {
        for _ in 0..OPERATIONS {
            let x = rng.random_range(AMOUNTS);
            ops.record(ctx, Op::Request { x })?;
            if x <= self.balance.load(Ordering::Relaxed) {
                let balance = self.balance.load(Ordering::Relaxed) - x;
                self.balance.store(balance, Ordering::Relaxed);
                let balance = self.balance.load(Ordering::Relaxed);
                ops.record(ctx, Op::Withdrawal { x, balance })?;
            } else {
                ops.record(ctx, Op::Refused)?;
                self.lock.acquire();
            }
        }
        Ok(())
    }
}

/// How the faithful program's two threads are scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schedule {
    /// As the course starts them: both at once.
    Together,
    /// `take` starts once `deposit` has finished (a schedule the OS may choose; the one under
    /// which the course's program hangs as soon as `take` is refused twice).
    TakeAfterDeposit,
}

/// Runs the course's program; `ops` says whether it prints its lines or keeps them.
pub(crate) fn faithful(
    ctx: &Context,
    (mut r1, mut r2): (StdRng, StdRng),
    ops: Ops,
    schedule: Schedule,
) -> CliResult<Faithful> {
    let bank = Arc::new(FaithfulBank {
        balance: AtomicI64::new(0),
        lock: potok::Lock::named("bank.lock"),
    });
    let (b1, c1) = (Arc::clone(&bank), ctx.clone());
    let o1 = ops.clone();
    let th1 = spawn(ctx, "deposit", move || b1.deposit(&c1, &mut r1, &o1))?;
    let (b2, c2) = (Arc::clone(&bank), ctx.clone());
    let start_take = move || spawn(ctx, "take", move || b2.take(&c2, &mut r2, &ops));
    let (first, th2) = match schedule {
        Schedule::Together => {
            let th2 = start_take()?;
            (th1.join(), th2)
        }
        Schedule::TakeAfterDeposit => {
            let first = th1.join();
            (first, start_take()?)
        }
    };
    let second = th2.join();
    for result in [first, second] {
        match result {
            Ok(written) => written?,
            Err(panicked) => {
                return match panicked.downcast::<potok::DeadlockError>() {
                    Ok(err) => Ok(Faithful::Hung(*err)),
                    Err(other) => Err(other.into()),
                };
            }
        }
    }
    Ok(Faithful::Finished(bank.balance.load(Ordering::Relaxed)))
}

/// potok's version: the balance behind a `Mutex` (each line printed under it, so the lines
/// tell the true order of operations), and the Lock released once the deposits end.
struct Bank {
    balance: potok::Mutex<i64>,
    lock: potok::Lock,
    deposits_done: AtomicBool,
    /// What happened, for the explanation.
    figures: Mutex<facts::Bank>,
}

impl Bank {
    fn figures(&self) -> std::sync::MutexGuard<'_, facts::Bank> {
        self.figures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn deposit(&self, ctx: &Context, rng: &mut StdRng) -> Result<(), Output> {
        for _ in 0..OPERATIONS {
            let x = rng.random_range(AMOUNTS);
            {
                let mut balance = self.balance.lock();
                *balance += x;
                self.figures().deposited += x;
                say(ctx.m().deposit(x, *balance))?;
                if *balance >= ENOUGH && self.lock.locked() {
                    let _ = self.lock.release();
                }
            }
            ctx.sleep(0.001);
        }
        // No more deposits: nobody else would release the lock.
        self.deposits_done.store(true, Ordering::SeqCst);
        if self.lock.locked() {
            let _ = self.lock.release();
        }
        Ok(())
    }

    fn take(&self, ctx: &Context, rng: &mut StdRng) -> Result<(), Output> {
        for _ in 0..OPERATIONS {
            let x = rng.random_range(AMOUNTS);
            say(ctx.m().request(x))?;
            let enough = {
                let mut balance = self.balance.lock();
                if x <= *balance {
                    *balance -= x;
                    let mut figures = self.figures();
                    figures.withdrawals += 1;
                    figures.withdrawn += x;
                    say(ctx.m().withdrawal(x, *balance))?;
                    true
                } else {
                    self.figures().refusals += 1;
                    say(ctx.m().refused())?;
                    false
                }
            };
            // Wait for deposits, but only while there will be any: once they have ended,
            // the lock would never be released again.
            if !enough {
                if self.deposits_done.load(Ordering::SeqCst) {
                    self.figures().refusals_after_end += 1;
                } else {
                    self.figures().waits += 1;
                    self.lock.acquire();
                }
            }
        }
        Ok(())
    }
}

fn correct(ctx: &Context, (mut r1, mut r2): (StdRng, StdRng)) -> CliResult<facts::Bank> {
    let bank = Arc::new(Bank {
        balance: potok::Mutex::named("bank.balance", 0),
        lock: potok::Lock::named("bank.lock"),
        deposits_done: AtomicBool::new(false),
        figures: Mutex::new(facts::Bank {
            deposited: 0,
            withdrawals: 0,
            withdrawn: 0,
            refusals: 0,
            waits: 0,
            refusals_after_end: 0,
            balance: 0,
        }),
    });
    let (b1, c1) = (Arc::clone(&bank), ctx.clone());
    let th1 = spawn(ctx, "deposit", move || b1.deposit(&c1, &mut r1))?;
    let (b2, c2) = (Arc::clone(&bank), ctx.clone());
    let th2 = spawn(ctx, "take", move || b2.take(&c2, &mut r2))?;
    let (first, second) = (th1.join(), th2.join());
    first??;
    second??;
    let mut figures = bank.figures().clone();
    figures.balance = *bank.balance.lock();
    Ok(figures)
}

fn spawn<T: Send + 'static>(
    ctx: &Context,
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> CliResult<potok::JoinHandle<T>> {
    potok::Builder::new()
        .name(name)
        .spawn(f)
        .map_err(|e| CliError::Failed(ctx.m().cannot_start_thread(name, &ctx.m().io_error(&e))))
}

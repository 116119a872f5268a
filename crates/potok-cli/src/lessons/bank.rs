//! 10_3 "Блокировки и обработка ошибок": a bank whose `take` waits on a `Lock` that `deposit`
//! releases (a Lock used as a signal).
//!
//! The course's program (`--faithful`) can hang: `take` blocks on the lock after `deposit` has
//! finished, and nobody is left to release it; it also races on `balance`. The default
//! version keeps the lock-as-signal design but guards the balance with a `Mutex` and releases
//! the lock when the deposits end, so it always finishes and its printed operations add up to
//! the final balance.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::console::say;
use crate::context::{Context, Lang};
use crate::error::{CliError, CliResult};

/// Operations per thread, as in the course.
const OPERATIONS: usize = 100;
/// Each deposit or request is a random amount in this range, as in the course.
const AMOUNTS: std::ops::RangeInclusive<i64> = 50..=500;
/// `deposit` releases the lock once the balance reaches this.
const ENOUGH: i64 = 500;

fn deposited(ctx: &Context, x: i64, balance: i64) {
    match ctx.lang {
        Lang::Ru => say!("Пополнение: {x}. Баланс: {balance}"),
        Lang::En => say!("Deposit: {x}. Balance: {balance}"),
    }
}

fn requested(ctx: &Context, x: i64) {
    match ctx.lang {
        Lang::Ru => say!("Запрос на {x}"),
        Lang::En => say!("Request for {x}"),
    }
}

fn taken(ctx: &Context, x: i64, balance: i64) {
    match ctx.lang {
        Lang::Ru => say!("Снятие: {x}. Баланс: {balance}"),
        Lang::En => say!("Withdrawal: {x}. Balance: {balance}"),
    }
}

fn refused(ctx: &Context) {
    match ctx.lang {
        Lang::Ru => say!("Запрос отклонён, недостаточно средств"),
        Lang::En => say!("Request denied, insufficient funds"),
    }
}

fn final_balance(ctx: &Context, balance: i64) {
    match ctx.lang {
        Lang::Ru => say!("Итоговый баланс: {balance}"),
        Lang::En => say!("Final balance: {balance}"),
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
        let balance = correct(ctx, rngs(ctx))?;
        final_balance(ctx, balance);
        return Ok(());
    }
    match faithful(ctx, rngs(ctx), true, Schedule::Together)? {
        Faithful::Finished(balance) => {
            final_balance(ctx, balance);
        }
        Faithful::Hung(_) => {
            // The report is already on stderr (printed by the detector).
            eprintln!("{}", hang_note(ctx));
        }
    }
    Ok(())
}

/// What the faithful program did.
pub(crate) enum Faithful {
    /// It ended, with this balance.
    Finished(i64),
    /// It hung; the detector caught it.
    Hung(potok::DeadlockError),
}

pub(crate) fn hang_note(ctx: &Context) -> &'static str {
    match ctx.lang {
        Lang::Ru => {
            "potok: здесь программа курса зависла бы: take ждёт освобождения замка, \
             а deposit уже закончил (взаимная блокировка поймана детектором, отчёт выше)"
        }
        Lang::En => {
            "potok: the course's program would hang here: take waits for the lock to be \
             released, and deposit has already finished (the deadlock detector caught it, \
             report above)"
        }
    }
}

/// The course's `Bank`, as written: `balance` is read and written without a lock (its races
/// are real: an update may be lost), and the Lock is only a signal.
struct FaithfulBank {
    balance: AtomicI64,
    lock: potok::Lock,
}

impl FaithfulBank {
    fn deposit(&self, ctx: &Context, rng: &mut StdRng, print: bool) {
        for _ in 0..OPERATIONS {
            let x = rng.random_range(AMOUNTS);
            // self.balance += x: a read, then a write.
            let balance = self.balance.load(Ordering::Relaxed) + x;
            self.balance.store(balance, Ordering::Relaxed);
            if print {
                deposited(ctx, x, self.balance.load(Ordering::Relaxed));
            }
            if self.balance.load(Ordering::Relaxed) >= ENOUGH && self.lock.locked() {
                let _ = self.lock.release();
            }
            ctx.sleep(0.001);
        }
    }

    fn take(&self, ctx: &Context, rng: &mut StdRng, print: bool) {
        for _ in 0..OPERATIONS {
            let x = rng.random_range(AMOUNTS);
            if print {
                requested(ctx, x);
            }
            if x <= self.balance.load(Ordering::Relaxed) {
                let balance = self.balance.load(Ordering::Relaxed) - x;
                self.balance.store(balance, Ordering::Relaxed);
                if print {
                    taken(ctx, x, self.balance.load(Ordering::Relaxed));
                }
            } else {
                if print {
                    refused(ctx);
                }
                self.lock.acquire();
            }
        }
    }
}

/// How the faithful program's two threads are scheduled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schedule {
    /// As the course starts them: both at once.
    Together,
    /// `take` starts once `deposit` has finished (a schedule the OS may choose; the one under
    /// which the course's program hangs as soon as `take` is refused twice).
    TakeAfterDeposit,
}

/// Runs the course's program; `print` says whether it prints its lines.
pub(crate) fn faithful(
    ctx: &Context,
    (mut r1, mut r2): (StdRng, StdRng),
    print: bool,
    schedule: Schedule,
) -> CliResult<Faithful> {
    let bank = Arc::new(FaithfulBank {
        balance: AtomicI64::new(0),
        lock: potok::Lock::named("bank.lock"),
    });
    let (b1, c1) = (Arc::clone(&bank), ctx.clone());
    let th1 = spawn("deposit", move || b1.deposit(&c1, &mut r1, print))?;
    let (b2, c2) = (Arc::clone(&bank), ctx.clone());
    let start_take = move || spawn("take", move || b2.take(&c2, &mut r2, print));
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
        if let Err(panicked) = result {
            return match panicked.downcast::<potok::DeadlockError>() {
                Ok(err) => Ok(Faithful::Hung(*err)),
                Err(other) => Err(other.into()),
            };
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
}

impl Bank {
    fn deposit(&self, ctx: &Context, rng: &mut StdRng) {
        for _ in 0..OPERATIONS {
            let x = rng.random_range(AMOUNTS);
            {
                let mut balance = self.balance.lock();
                *balance += x;
                deposited(ctx, x, *balance);
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
    }

    fn take(&self, ctx: &Context, rng: &mut StdRng) {
        for _ in 0..OPERATIONS {
            let x = rng.random_range(AMOUNTS);
            requested(ctx, x);
            let enough = {
                let mut balance = self.balance.lock();
                if x <= *balance {
                    *balance -= x;
                    taken(ctx, x, *balance);
                    true
                } else {
                    refused(ctx);
                    false
                }
            };
            // Wait for deposits, but only while there will be any: once they have ended,
            // the lock would never be released again.
            if !enough && !self.deposits_done.load(Ordering::SeqCst) {
                self.lock.acquire();
            }
        }
    }
}

fn correct(ctx: &Context, (mut r1, mut r2): (StdRng, StdRng)) -> CliResult<i64> {
    let bank = Arc::new(Bank {
        balance: potok::Mutex::named("bank.balance", 0),
        lock: potok::Lock::named("bank.lock"),
        deposits_done: AtomicBool::new(false),
    });
    let (b1, c1) = (Arc::clone(&bank), ctx.clone());
    let th1 = spawn("deposit", move || b1.deposit(&c1, &mut r1))?;
    let (b2, c2) = (Arc::clone(&bank), ctx.clone());
    let th2 = spawn("take", move || b2.take(&c2, &mut r2))?;
    th1.join()?;
    th2.join()?;
    let balance = *bank.balance.lock();
    Ok(balance)
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> CliResult<potok::JoinHandle<()>> {
    potok::Builder::new()
        .name(name)
        .spawn(f)
        .map_err(|e| CliError::Failed(format!("cannot start thread {name}: {e}")))
}

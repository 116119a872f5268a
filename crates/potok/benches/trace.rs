//! potok::trace's cost, beside parking_lot in the same run.
//!
//! - `trace/parking_lot_mutex_guard`: the peer (`*lock() += 1` on a `parking_lot::Mutex<u64>`);
//!   `trace/parking_lot_unit_guard`: `drop(lock())` on a `parking_lot::Mutex<()>`, exactly
//!   what the `Lock` row does.
//! - `trace/potok_lock_guard_off`: `Lock`'s guard with no recording (one relaxed load of the
//!   instrumentation word per acquire and per release): target ≤ 1.15× parking_lot.
//! - `trace/potok_mutex_off`, `trace/potok_rlock_guard_off`: `Mutex<u64>` (`*lock() += 1`, as
//!   the peer) and `RLock`'s guard, the same way.
//! - `trace/potok_lock_guard_on`: the same while recording: two events per guard (the hold's
//!   start and end); target ≤ 50 ns more than `off` per traced operation.
//! - `trace/mark_on`: one event with a name looked up in the thread's cache.
//!
//! A recording is restarted every 200,000 iterations (untimed), so the measured path is the
//! recording one, never the over-the-limit one.
//!
//! Every function here is timed by the measuring thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`),
//! not wall time: on the shared 2-core machine (load average 20 while this was written) wall
//! time mostly measures how long the thread waited for a CPU. The peer is timed the same way.
//!
//! Run: `cargo bench -p potok --bench trace`; `python3 bench/ratios.py trace` prints the ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

/// The calling thread's CPU time.
fn cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `op` `iters` times; the CPU time it took.
fn plain(iters: u64, mut op: impl FnMut()) -> Duration {
    let start = cpu_now();
    for _ in 0..iters {
        op();
    }
    cpu_now() - start
}

/// Runs `op` `iters` times under recordings of at most 200,000 iterations each; the time of
/// the loops alone.
fn recorded(iters: u64, mut op: impl FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(200_000);
        let recording = potok::trace::start();
        let start = cpu_now();
        for _ in 0..n {
            op();
        }
        total += cpu_now() - start;
        drop(recording); // discarded: not built
        left -= n;
    }
    total
}

fn trace(c: &mut Criterion) {
    let mut group = c.benchmark_group("trace");
    let pl_mutex = parking_lot::Mutex::new(0_u64);
    group.bench_function("parking_lot_mutex_guard", |b| {
        b.iter_custom(|iters| plain(iters, || *black_box(&pl_mutex).lock() += 1))
    });
    let pl_unit = parking_lot::Mutex::new(());
    group.bench_function("parking_lot_unit_guard", |b| {
        b.iter_custom(|iters| plain(iters, || drop(black_box(&pl_unit).lock())))
    });
    let lock = potok::Lock::named("bench");
    drop(lock.lock()); // the first call binds the thread's ident
    group.bench_function("potok_lock_guard_off", |b| {
        b.iter_custom(|iters| plain(iters, || drop(black_box(&lock).lock())))
    });
    let mutex = potok::Mutex::named("bench-mutex", 0_u64);
    group.bench_function("potok_mutex_off", |b| {
        b.iter_custom(|iters| plain(iters, || *black_box(&mutex).lock() += 1))
    });
    let rlock = potok::RLock::named("bench-rlock");
    group.bench_function("potok_rlock_guard_off", |b| {
        b.iter_custom(|iters| plain(iters, || drop(black_box(&rlock).lock())))
    });
    group.bench_function("potok_lock_guard_on", |b| {
        b.iter_custom(|iters| recorded(iters, || drop(black_box(&lock).lock())))
    });
    group.bench_function("mark_on", |b| {
        b.iter_custom(|iters| recorded(iters, || potok::trace::mark(black_box("bench"))))
    });
    group.finish();
}

criterion_group!(benches, trace);
criterion_main!(benches);

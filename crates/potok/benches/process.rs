//! Process pool benchmarks, the same workloads as `bench/python/pool.py` (CPython's
//! `multiprocessing.Pool`), so the two can be put side by side from one session:
//!
//! - `pool_ready_2`: `Pool::new(2)`, the first round trip, then the pool is dropped (its workers
//!   killed and reaped);
//! - `map_100k_trivial`: `map` of an identity function over 100,000 integers with the default
//!   chunk size (per-item overhead = time / 100,000), and with chunk size 1 over 10,000;
//! - `apply_async_round_trip`: `apply_async(f, x).get()` on a warm pool (each call crosses to
//!   the other CPU and back: on a 2-vCPU VM that dominates);
//! - `cpu_map`: a CPU-bound `map` of 8 items, in this process one after another, and on a pool
//!   of 2; the speedup is the ratio of the two (also printed at the end, median of 5, when
//!   the filter given to criterion selected both `cpu_map` rows: a filtered run of the other
//!   rows does not load the machine for seconds after them).
//!
//! Children re-run this executable, so `main` calls `potok::process::init()` first.

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use potok::process::Pool;

fn ident(x: u64) -> u64 {
    x
}

/// About 20 ms of integer work on this kind of machine.
fn burn(seed: u64) -> u64 {
    let mut x = seed;
    for i in 0..20_000_000u64 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i) ^ (x >> 29);
    }
    x
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("process");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    g.bench_function("pool_ready_2", |b| {
        b.iter(|| {
            let pool = Pool::new(2).unwrap();
            black_box(pool.apply(ident, 1).unwrap());
        })
    });

    let pool = Pool::new(2).unwrap();
    let items: Vec<u64> = (0..100_000).collect();
    g.bench_function("map_100k_trivial", |b| {
        b.iter(|| black_box(pool.map(ident, items.iter().copied()).unwrap()))
    });
    g.bench_function("map_10k_chunksize_1", |b| {
        b.iter(|| black_box(pool.map_chunked(ident, 0..10_000u64, 1).unwrap()))
    });
    g.bench_function("apply_async_round_trip", |b| {
        b.iter(|| black_box(pool.apply_async(ident, 7).unwrap().get().unwrap()))
    });
    // Whether criterion's filter selected the two CPU-bound rows (it calls a row's closure only
    // then): the speedup below is measured only if so.
    let (ran_sequential, ran_pool) = (Cell::new(false), Cell::new(false));
    g.bench_function("cpu_map_8_sequential", |b| {
        ran_sequential.set(true);
        b.iter(|| black_box((0..8).map(burn).collect::<Vec<_>>()))
    });
    g.bench_function("cpu_map_8_pool_2", |b| {
        ran_pool.set(true);
        b.iter(|| black_box(pool.map(burn, 0..8).unwrap()))
    });
    g.finish();
    if !(ran_sequential.get() && ran_pool.get()) {
        return;
    }

    // The speedup, measured back to back.
    let median = |f: &dyn Fn()| {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        times.sort();
        times[2]
    };
    let seq = median(&|| {
        black_box((0..8).map(burn).collect::<Vec<_>>());
    });
    let par = median(&|| {
        black_box(pool.map(burn, 0..8).unwrap());
    });
    println!(
        "process/cpu_map speedup on 2 processes: {:.2}x (sequential {seq:?}, pool of 2 {par:?})",
        seq.as_secs_f64() / par.as_secs_f64()
    );
}

fn main() {
    potok::process::init();
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}

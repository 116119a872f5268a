//! Executors: potok beside rayon (and std) in the same run, with CPython's figures from
//! `bench/python/executors.py` run right after.
//!
//! - `submit_result`: one task submitted to a 2-worker pool and its result waited for:
//!   `ThreadPoolExecutor::submit(..).result()` beside rayon's `ThreadPool::spawn` sending on a
//!   oneshot channel (crossbeam-channel, bounded 1) and receiving. Target: potok ≤ 1.5× rayon.
//! - `executor_map`: `ThreadPoolExecutor::map` over 1,000 items (per-item throughput).
//! - `as_completed_20k`: 20,000 submits, then `as_completed` over them.
//! - `thread_pool_map`: `ThreadPool::map` (chunked) over 100,000 items beside rayon's
//!   `par_iter().map().collect()` on a 2-thread pool.
//! - `process_submit_result`: `ProcessPoolExecutor(2).submit(f, x).result()` beside the pool's
//!   own `apply`.
//!
//! Children re-run this executable, so `main` calls `potok::process::init()` first.
//! Run: `cargo bench -p potok --bench executors`; `python3 bench/ratios.py` prints the ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use potok::futures::{as_completed, ProcessPoolExecutor, ThreadPoolExecutor};
use rayon::prelude::*;

fn submit_result(c: &mut Criterion) {
    let mut group = c.benchmark_group("submit_result");
    let potok_ex = ThreadPoolExecutor::new(2);
    group.bench_function("potok", |b| {
        b.iter(|| potok_ex.submit(|| black_box(7)).result().unwrap())
    });
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    group.bench_function("rayon", |b| {
        b.iter(|| {
            let (tx, rx) = crossbeam_channel::bounded(1);
            rayon_pool.spawn(move || tx.send(black_box(7)).unwrap());
            rx.recv().unwrap()
        })
    });
    group.finish();
}

fn executor_map(c: &mut Criterion) {
    let mut group = c.benchmark_group("executor_map");
    group.throughput(Throughput::Elements(1000));
    let ex = ThreadPoolExecutor::new(2);
    group.bench_function("potok", |b| {
        b.iter(|| ex.map(|x: u64| black_box(x + 1), 0..1000).count())
    });
    group.finish();
}

fn as_completed_20k(c: &mut Criterion) {
    let mut group = c.benchmark_group("as_completed_20k");
    group.throughput(Throughput::Elements(20_000));
    group.sample_size(10);
    let ex = ThreadPoolExecutor::new(2);
    group.bench_function("potok", |b| {
        b.iter(|| {
            let fs: Vec<_> = (0..20_000u64).map(|i| ex.submit(move || i)).collect();
            as_completed(&fs).count()
        })
    });
    group.finish();
}

fn thread_pool_map(c: &mut Criterion) {
    let mut group = c.benchmark_group("thread_pool_map");
    group.throughput(Throughput::Elements(100_000));
    let items: Vec<u64> = (0..100_000).collect();
    let pool = potok::ThreadPool::new(2);
    group.bench_function("potok", |b| {
        b.iter(|| pool.map(|x: u64| black_box(x + 1), items.clone()).unwrap())
    });
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    group.bench_function("rayon", |b| {
        b.iter(|| {
            rayon_pool.install(|| {
                items
                    .clone()
                    .into_par_iter()
                    .map(|x| black_box(x + 1))
                    .collect::<Vec<u64>>()
            })
        })
    });
    group.finish();
}

fn double(x: u64) -> u64 {
    x * 2
}

fn process_submit_result(c: &mut Criterion) {
    let mut group = c.benchmark_group("process_submit_result");
    let ex = ProcessPoolExecutor::new(2).unwrap();
    group.bench_function("potok_executor", |b| {
        b.iter(|| ex.submit(double, black_box(21)).result().unwrap())
    });
    let pool = potok::process::Pool::new(2).unwrap();
    group.bench_function("potok_pool_apply", |b| {
        b.iter(|| pool.apply(double, black_box(21)).unwrap())
    });
    group.finish();
}

fn main() {
    potok::process::init();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .configure_from_args();
    submit_result(&mut c);
    executor_map(&mut c);
    as_completed_20k(&mut c);
    thread_pool_map(&mut c);
    process_submit_result(&mut c);
    c.final_summary();
}

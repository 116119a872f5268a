//! Threads: potok beside std in the same run.
//!
//! - `spawn_join`: spawn a no-op thread and join it (target: potok ≤ 1.1× std; on a shared
//!   machine `examples/spawn_join_loop.rs`, which interleaves the two, is steadier).
//! - `current_thread`: get the caller's thread handle (target ≤ 10 ns: a thread-local read).
//! - `enumerate_100`: list the threads while 100 potok threads are alive.
//!
//! Every row runs inside `potok::main` (see `main` below), std's too.
//!
//! Run: `cargo bench -p potok --bench threads`; `python3 bench/ratios.py` prints the ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion};

fn spawn_join(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_join");
    group.bench_function("std", |b| {
        b.iter(|| std::thread::spawn(|| black_box(1)).join().unwrap())
    });
    group.bench_function("potok", |b| {
        b.iter(|| potok::spawn(|| black_box(1)).join().unwrap())
    });
    group.finish();
}

fn current_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("current_thread");
    potok::current_thread(); // registered once, as any thread is after its first call
    group.bench_function("std", |b| b.iter(|| black_box(std::thread::current())));
    group.bench_function("potok", |b| b.iter(|| black_box(potok::current_thread())));
    group.finish();

    let mut group = c.benchmark_group("current_thread_name");
    group.bench_function("std", |b| {
        b.iter(|| black_box(std::thread::current().name().map(str::len)))
    });
    group.bench_function("potok", |b| {
        b.iter(|| black_box(potok::current_thread().name().len()))
    });
    group.finish();
}

fn enumerate_100(c: &mut Criterion) {
    let (tx, rx) = gate::release_channel();
    let threads: Vec<_> = (0..100)
        .map(|_| {
            let rx = rx.clone();
            potok::Builder::new()
                .daemon(true)
                .spawn(move || rx.wait())
                .unwrap()
        })
        .collect();
    let mut group = c.benchmark_group("enumerate_100");
    group.bench_function("potok", |b| b.iter(|| black_box(potok::enumerate())));
    group.finish();
    tx.release();
    for t in threads {
        t.join().unwrap();
    }
}

mod gate {
    use std::sync::{Arc, Condvar, Mutex};

    /// Keeps threads alive until released.
    #[derive(Clone)]
    pub(crate) struct Gate(Arc<(Mutex<bool>, Condvar)>);

    pub(crate) fn release_channel() -> (Gate, Gate) {
        let gate = Gate(Arc::new((Mutex::new(false), Condvar::new())));
        (gate.clone(), gate)
    }

    impl Gate {
        pub(crate) fn wait(&self) {
            let (lock, cv) = &*self.0;
            let mut open = lock.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
        }
        pub(crate) fn release(&self) {
            let (lock, cv) = &*self.0;
            *lock.lock().unwrap() = true;
            cv.notify_all();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = spawn_join, current_thread, enumerate_100
}

/// Every row runs inside `potok::main`, as a program's threads do (the main thread is
/// registered, and joins are seen by the deadlock detector as in a real program).
fn main() {
    potok::main(|| {
        benches();
        Criterion::default().configure_from_args().final_summary();
    });
}

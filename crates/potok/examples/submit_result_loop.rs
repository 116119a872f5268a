//! `submit(f).result()` on a 2-worker `ThreadPoolExecutor`, 20,000 times in a loop, beside
//! rayon's `ThreadPool::spawn` sending on a oneshot channel (the same pair as
//! `benches/executors.rs`, `submit_result`), alternating rounds: a loaded machine swings
//! between rounds, so the median of the rounds' ratios is what to read.
//!
//! Run: `cargo run --release -p potok --example submit_result_loop`

use std::hint::black_box;
use std::time::{Duration, Instant};

use potok::futures::ThreadPoolExecutor;

const N: u32 = 20_000;
const ROUNDS: usize = 9;

fn time(mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..N {
        f();
    }
    start.elapsed() / N
}

fn main() {
    let executor = ThreadPoolExecutor::new(2);
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let mut ratios = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let theirs = time(|| {
            let (tx, rx) = crossbeam_channel::bounded(1);
            rayon.spawn(move || tx.send(black_box(7)).unwrap());
            black_box(rx.recv().unwrap());
        });
        let ours = time(|| {
            black_box(executor.submit(|| black_box(7)).result().unwrap());
        });
        let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
        println!("round {round}: rayon {theirs:?}, potok {ours:?}, potok/rayon {ratio:.2}");
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!("median potok/rayon: {:.2}", ratios[ROUNDS / 2]);
}

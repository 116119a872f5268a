//! `submit(f).result()` on a 2-worker `ThreadPoolExecutor` beside rayon's `ThreadPool::spawn`
//! sending on a oneshot channel (the same pair as `benches/executors.rs`, `submit_result`), in
//! short alternating batches: a shared machine's load swings within a second, so each round
//! times one batch of each (in turns, so neither always goes first), and the median of the
//! rounds' ratios is what to read (the quartiles say how much it swung).
//!
//! Run: `cargo run --release -p potok --example submit_result_loop`

use std::hint::black_box;
use std::time::{Duration, Instant};

use potok::futures::ThreadPoolExecutor;

/// Round trips per batch.
const BATCH: u32 = 500;
const ROUNDS: usize = 100;

fn batch(f: &mut dyn FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..BATCH {
        f();
    }
    start.elapsed() / BATCH
}

fn main() {
    let executor = ThreadPoolExecutor::new(2);
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let mut theirs = || {
        let (tx, rx) = crossbeam_channel::bounded(1);
        rayon.spawn(move || tx.send(black_box(7)).unwrap());
        black_box(rx.recv().unwrap());
    };
    let mut ours = || {
        black_box(executor.submit(|| black_box(7)).result().unwrap());
    };
    batch(&mut theirs);
    batch(&mut ours);
    let mut ratios = Vec::with_capacity(ROUNDS);
    let (mut rayon_total, mut potok_total) = (Duration::ZERO, Duration::ZERO);
    for round in 0..ROUNDS {
        let (r, p) = if round % 2 == 0 {
            let r = batch(&mut theirs);
            (r, batch(&mut ours))
        } else {
            let p = batch(&mut ours);
            (batch(&mut theirs), p)
        };
        rayon_total += r;
        potok_total += p;
        ratios.push(p.as_secs_f64() / r.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let rounds = u32::try_from(ROUNDS).expect("few rounds");
    println!(
        "{ROUNDS} rounds of {BATCH}: rayon {:?}, potok {:?} per submit + result (means)",
        rayon_total / rounds,
        potok_total / rounds
    );
    println!(
        "potok/rayon per round: quartiles {:.3} / {:.3}",
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4]
    );
    println!("median potok/rayon: {:.3}", ratios[ROUNDS / 2]);
}

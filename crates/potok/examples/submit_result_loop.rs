//! `submit(f).result()` on a 2-worker `ThreadPoolExecutor` beside rayon's `ThreadPool::spawn`
//! sending on a oneshot channel (the same pair as `benches/executors.rs`, `submit_result`), in
//! short alternating batches: a shared machine's load swings within a second, so each round
//! times one batch of each (in turns, so neither always goes first), and the median of the
//! rounds' ratios is what to read (the quartiles say how much it swung).
//!
//! Run: `cargo run --release -p potok --example submit_result_loop`

#[path = "support/alternate.rs"]
mod alternate;

use std::hint::black_box;

use potok::futures::ThreadPoolExecutor;

fn main() {
    let executor = ThreadPoolExecutor::new(2);
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    alternate::Rounds {
        peer: "rayon",
        what: "submit + result",
        batch: 500,
        rounds: 100,
    }
    .run(
        &mut || {
            let (tx, rx) = crossbeam_channel::bounded(1);
            rayon.spawn(move || tx.send(black_box(7)).unwrap());
            black_box(rx.recv().unwrap());
        },
        &mut || {
            black_box(executor.submit(|| black_box(7)).result().unwrap());
        },
    );
}

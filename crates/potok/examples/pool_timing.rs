//! Times a process pool's start-up and `map` in a small executable, for profiling
//! (`perf stat`, `perf record`, `strace -f`) without criterion around it.
//!
//! ```text
//! cargo run --release -p potok --example pool_timing -- start 200
//! cargo run --release -p potok --example pool_timing -- map 300
//! cargo run --release -p potok --example pool_timing -- map1 20
//! cargo run --release -p potok --example pool_timing -- apply 20
//! ```
//!
//! `start N`: `Pool::new(2)`, the first `apply`, and the drop (workers killed and reaped),
//! each timed, N times; `map N`: `map` of an identity function over 100,000 integers on one
//! pool of 2, N times; `map1 N`: the same over 10,000 with chunk size 1; `apply N`: N rounds
//! of 1,000 `apply_async(..).get()` round trips. Prints medians (per item: per round trip); `start` also means and 90th percentiles (criterion reports means).

use std::time::{Duration, Instant};

fn ident(x: u64) -> u64 {
    x
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn mean(times: &[Duration]) -> Duration {
    times.iter().sum::<Duration>() / times.len() as u32
}

fn quantile(mut times: Vec<Duration>, q: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * q) as usize]
}

fn start(n: usize) {
    let (mut new, mut apply, mut drop) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let t0 = Instant::now();
        let pool = potok::process::Pool::new(2).unwrap();
        let t1 = Instant::now();
        assert_eq!(pool.apply(ident, 1).unwrap(), 1);
        let t2 = Instant::now();
        std::mem::drop(pool);
        let t3 = Instant::now();
        new.push(t1 - t0);
        apply.push(t2 - t1);
        drop.push(t3 - t2);
    }
    println!(
        "median: new {:?}, first apply {:?}, drop {:?}",
        median(new.clone()),
        median(apply.clone()),
        median(drop.clone())
    );
    println!(
        "mean:   new {:?}, first apply {:?}, drop {:?}",
        mean(&new),
        mean(&apply),
        mean(&drop)
    );
    println!(
        "p90:    new {:?}, first apply {:?}, drop {:?}",
        quantile(new, 0.9),
        quantile(apply, 0.9),
        quantile(drop, 0.9)
    );
}

fn map(n: usize) {
    let pool = potok::process::Pool::new(2).unwrap();
    let items: Vec<u64> = (0..100_000).collect();
    let times = (0..n)
        .map(|_| {
            let t = Instant::now();
            let out = pool.map(ident, items.iter().copied()).unwrap();
            let elapsed = t.elapsed();
            assert_eq!(out, items);
            elapsed
        })
        .collect();
    let per_item = median(times).as_nanos() as f64 / items.len() as f64;
    println!("median: map {per_item:.1} ns/item");
}

fn map_chunksize_1(n: usize) {
    let pool = potok::process::Pool::new(2).unwrap();
    let times = (0..n)
        .map(|_| {
            let t = Instant::now();
            let out = pool.map_chunked(ident, 0..10_000u64, 1).unwrap();
            let elapsed = t.elapsed();
            assert_eq!(out.len(), 10_000);
            elapsed
        })
        .collect();
    let per_item = median(times).as_nanos() as f64 / 10_000.0;
    println!("median: map chunksize 1 {per_item:.0} ns/item");
}

fn apply_async(n: usize) {
    let pool = potok::process::Pool::new(2).unwrap();
    let times = (0..n)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..1_000 {
                assert_eq!(pool.apply_async(ident, 7).unwrap().get().unwrap(), 7);
            }
            t.elapsed()
        })
        .collect();
    let per_item = median(times).as_nanos() as f64 / 1_000.0;
    println!("median: apply_async round trip {per_item:.0} ns/item");
}

fn main() {
    potok::process::init();
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_default();
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100)
        .max(1);
    match what.as_str() {
        "start" => start(n),
        "map" => map(n),
        "map1" => map_chunksize_1(n),
        "apply" => apply_async(n),
        _ => eprintln!("usage: pool_timing start|map|map1|apply [N]"),
    }
}

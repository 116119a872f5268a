//! The four queue cells of `benches/queue.rs` (1 producer / 1 consumer bounded 1024, 2 × 2
//! unbounded; on plain std threads and on potok threads), potok's `Queue` beside
//! crossbeam-channel in short alternating rounds: one round moves 100,000 items through each
//! (in turns, so neither always goes first). A shared machine's load swings within a second,
//! so the median of the rounds' ratios is what to read, and the quartiles say how much it
//! swung; criterion's few samples per run hide how often a cell falls into a slow mode.
//!
//! Run: `cargo run --release -p potok --example queue_loop -- [cell] [rounds]`, where `cell`
//! is `spsc`, `spsc_potok`, `mpmc`, `mpmc_potok` or `all` (the default), `rounds` 40 by
//! default. `QUEUE_LOOP_EACH=1` prints every round's two times too; `QUEUE_LOOP_ONLY=potok` (or
//! `crossbeam`) runs one side only, for `perf stat` or `strace -c -f`.

#[path = "support/alternate.rs"]
mod alternate;

use std::time::{Duration, Instant};

const ITEMS: u64 = 100_000;

/// Items `0..ITEMS` split among `producers` threads.
fn share(p: u64, producers: u64) -> impl Iterator<Item = u64> {
    (0..ITEMS).filter(move |i| i % producers == p)
}

/// How the cell's threads are started: `std::thread::scope` or `potok::scope`.
macro_rules! cell {
    ($potok:ident, $crossbeam:ident, $scope:path) => {
        fn $potok(bound: usize, producers: u64, consumers: u64) -> u64 {
            let q = potok::Queue::new(bound);
            $scope(|s| {
                let takers: Vec<_> = (0..consumers)
                    .map(|_| {
                        let q = q.clone();
                        s.spawn(move || (&q).into_iter().sum::<u64>())
                    })
                    .collect();
                let makers: Vec<_> = (0..producers)
                    .map(|p| {
                        let q = q.clone();
                        s.spawn(move || share(p, producers).for_each(|i| q.put(i).unwrap()))
                    })
                    .collect();
                makers.into_iter().for_each(|m| m.join().unwrap());
                q.shutdown(false);
                takers.into_iter().map(|t| t.join().unwrap()).sum()
            })
        }

        fn $crossbeam(bound: usize, producers: u64, consumers: u64) -> u64 {
            let (tx, rx) = match bound {
                0 => crossbeam_channel::unbounded(),
                n => crossbeam_channel::bounded(n),
            };
            $scope(|s| {
                let takers: Vec<_> = (0..consumers)
                    .map(|_| {
                        let rx = rx.clone();
                        s.spawn(move || rx.iter().sum::<u64>())
                    })
                    .collect();
                for p in 0..producers {
                    let tx = tx.clone();
                    s.spawn(move || share(p, producers).for_each(|i| tx.send(i).unwrap()));
                }
                drop(tx);
                takers.into_iter().map(|t| t.join().unwrap()).sum()
            })
        }
    };
}

cell!(potok_std, crossbeam_std, std::thread::scope);
cell!(potok_potok, crossbeam_potok, potok::scope);

type Run = fn(usize, u64, u64) -> u64;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "all".into());
    let rounds = args
        .next()
        .map_or(40, |n| n.parse().expect("rounds: a number"));
    let cells: [(&str, usize, u64, Run, Run); 4] = [
        ("spsc", 1024, 1, potok_std, crossbeam_std),
        ("spsc_potok", 1024, 1, potok_potok, crossbeam_potok),
        ("mpmc", 0, 2, potok_std, crossbeam_std),
        ("mpmc_potok", 0, 2, potok_potok, crossbeam_potok),
    ];
    let each = std::env::var_os("QUEUE_LOOP_EACH").is_some();
    let only = std::env::var("QUEUE_LOOP_ONLY").ok();
    let expected = ITEMS * (ITEMS - 1) / 2;
    for (name, bound, threads, potok_run, peer_run) in cells {
        if which != "all" && which != name {
            continue;
        }
        if let Some(side) = &only {
            let run = if side == "potok" { potok_run } else { peer_run };
            let start = Instant::now();
            for _ in 0..rounds {
                assert_eq!(run(bound, threads, threads), expected);
            }
            println!(
                "{name}: {side} alone, {:?} per round",
                start.elapsed() / rounds as u32
            );
            continue;
        }
        let check = |run: Run| move || assert_eq!(run(bound, threads, threads), expected);
        let times = alternate::Rounds {
            peer: "crossbeam",
            what: "round",
            batch: 1,
            rounds,
        }
        .measure(&mut check(peer_run), &mut check(potok_run));
        let (mut ours, mut theirs, mut ratios) = (vec![], vec![], vec![]);
        for (round, &(peer, potok)) in times.iter().enumerate() {
            if each {
                println!("{name} round {round}: crossbeam {peer:?} potok {potok:?}");
            }
            // Throughput ratio: potok's over crossbeam's (>1: potok faster).
            ratios.push(peer.as_secs_f64() / potok.as_secs_f64());
            ours.push(potok);
            theirs.push(peer);
        }
        let quartiles = |v: &mut Vec<Duration>| {
            v.sort();
            let n = v.len();
            format!(
                "{:?} / {:?} / {:?} (max {:?})",
                v[n / 4],
                v[n / 2],
                v[3 * n / 4],
                v[n - 1]
            )
        };
        ratios.sort_by(f64::total_cmp);
        let n = ratios.len();
        println!("{name}: crossbeam per round {}", quartiles(&mut theirs));
        println!("{name}: potok     per round {}", quartiles(&mut ours));
        println!(
            "{name}: throughput potok/crossbeam per round: min {:.2}, quartiles {:.2} / {:.2} / {:.2}, below 1.0 in {} of {n}",
            ratios[0],
            ratios[n / 4],
            ratios[n / 2],
            ratios[3 * n / 4],
            ratios.iter().filter(|&&r| r < 1.0).count()
        );
    }
}

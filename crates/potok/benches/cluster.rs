//! Cluster pool benchmarks, the workloads of `bench/python/cluster_peers.py` (Ray's
//! `ray.util.multiprocessing.Pool(2)` and RQ with 2 workers), with 2 local workers on a private
//! redis-server over loopback:
//!
//! - `pool_ready_2`: `Pool::builder(url).local_workers(2).build()` (both workers registered)
//!   and a first `apply`, then the pool dropped (workers killed and reaped, keys removed);
//! - `map_100k_trivial`: `map` of an identity function over 100,000 integers, default chunks
//!   (per item = time / 100,000);
//! - `map_2k_chunksize_1`: 2,000 items, one stream entry each (per item = time / 2,000; its
//!   inverse is the jobs/s compared with RQ's);
//! - `apply_async_round_trip`: `apply_async(f, x).get()` on a warm pool.
//!
//! Local workers re-run this executable, so `main` dispatches them first.

#[path = "../tests/redis_server/mod.rs"]
mod redis_server;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use potok::cluster::Pool;

fn ident(x: u64) -> u64 {
    x
}

/// CPU time (user + system) used so far by the processes `pids` (all their threads).
fn cpu_of(pids: &[u32]) -> Duration {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let ticks: u64 = pids
        .iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|stat| {
            // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
            let rest = stat.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .sum();
    Duration::from_secs_f64(ticks as f64 / hz)
}

fn benches(c: &mut Criterion, url: &str, redis_pid: u32) {
    let mut g = c.benchmark_group("cluster");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));

    g.bench_function("pool_ready_2", |b| {
        b.iter(|| {
            let pool = Pool::builder(url).local_workers(2).build().unwrap();
            black_box(pool.apply(ident, 1).unwrap());
        });
    });

    let pool = Pool::builder(url).local_workers(2).build().unwrap();
    g.bench_function("map_100k_trivial", |b| {
        b.iter(|| black_box(pool.map(ident, 0..100_000u64).unwrap()));
    });
    g.bench_function("map_2k_chunksize_1", |b| {
        b.iter(|| black_box(pool.map_chunked(ident, 0..2_000u64, 1).unwrap()));
    });
    g.bench_function("apply_async_round_trip", |b| {
        b.iter(|| black_box(pool.apply_async(ident, 7).unwrap().get().unwrap()));
    });
    g.finish();

    // The same figures as one line each, for BENCHMARKS.md (median of 5).
    let median = |f: &dyn Fn()| {
        let mut t: Vec<Duration> = (0..5)
            .map(|_| {
                let s = Instant::now();
                f();
                s.elapsed()
            })
            .collect();
        t.sort();
        t[2]
    };
    let m = median(&|| {
        black_box(pool.map(ident, 0..100_000u64).unwrap());
    });
    let c1 = median(&|| {
        black_box(pool.map_chunked(ident, 0..2_000u64, 1).unwrap());
    });
    let a = median(&|| {
        for _ in 0..50 {
            black_box(pool.apply_async(ident, 7).unwrap().get().unwrap());
        }
    });
    // Where one Redis saturates: its own CPU time per chunk (INFO cpu, before and after three
    // chunksize-1 maps of 2,000), the ceiling of chunks/s whatever the number of workers.
    let mut con = redis::Client::open(url)
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(5))
        .unwrap();
    let cpu = |con: &mut redis::Connection| -> f64 {
        let info: String = redis::cmd("INFO").arg("cpu").query(con).unwrap();
        info.lines()
            .filter(|l| l.starts_with("used_cpu_sys:") || l.starts_with("used_cpu_user:"))
            .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
            .sum()
    };
    let before = cpu(&mut con);
    for _ in 0..3 {
        black_box(pool.map_chunked(ident, 0..2_000u64, 1).unwrap());
    }
    let redis_per_chunk = (cpu(&mut con) - before) / 6_000.0;
    println!(
        "cluster summary: redis-server CPU {:.1} us per chunk (one Redis tops out near {:.0} chunks/s)",
        redis_per_chunk * 1e6,
        1.0 / redis_per_chunk
    );
    // CPU per operation, of every process involved (this one, both workers, redis-server):
    // what a loaded machine has to find for each, whatever the scheduling.
    let mut pids = pool.local_pids();
    pids.extend([std::process::id(), redis_pid]);
    // 20 blocks of 100 round trips: the best and the median block (a loaded machine's
    // scheduling shows in the median, the code's own cost in the best).
    let before = cpu_of(&pids);
    let each_before: Vec<Duration> = pids.iter().map(|p| cpu_of(&[*p])).collect();
    let t = Instant::now();
    let mut blocks: Vec<Duration> = (0..20)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..100 {
                black_box(pool.apply_async(ident, 7).unwrap().get().unwrap());
            }
            s.elapsed() / 100
        })
        .collect();
    let (wall_a, cpu_a) = (t.elapsed(), cpu_of(&pids) - before);
    let by_process: Vec<String> = pids
        .iter()
        .zip(&each_before)
        .zip(["worker", "worker", "caller", "redis-server"])
        .map(|((p, b), who)| {
            let us = (cpu_of(&[*p]) - *b).as_secs_f64() * 1e6 / 2_000.0;
            format!("{who} {us:.0}")
        })
        .collect();
    println!(
        "cluster summary: CPU per apply_async round trip by process (us, clock ticks): {}",
        by_process.join(", ")
    );
    let mut each: Vec<Duration> = (0..2_000)
        .map(|_| {
            let s = Instant::now();
            black_box(pool.apply_async(ident, 7).unwrap().get().unwrap());
            s.elapsed()
        })
        .collect();
    each.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "cluster summary: apply_async round trips, 2,000 one by one: p10 {:.0} us, p50 {:.0}, p90 {:.0}, p99 {:.0}, max {:.0}",
        us(each[200]),
        us(each[1_000]),
        us(each[1_800]),
        us(each[1_980]),
        us(each[1_999])
    );
    blocks.sort();
    println!(
        "cluster summary: apply_async round trip, best block {:.0} us, median block {:.0} us",
        blocks[0].as_secs_f64() * 1e6,
        blocks[10].as_secs_f64() * 1e6
    );
    let before = cpu_of(&pids);
    let t = Instant::now();
    for _ in 0..3 {
        black_box(pool.map_chunked(ident, 0..2_000u64, 1).unwrap());
    }
    let (wall_c, cpu_c) = (t.elapsed(), cpu_of(&pids) - before);
    println!(
        "cluster summary: CPU of all processes per apply_async round trip {:.0} us (wall {:.0} us); \
         per chunksize-1 item {:.1} us (wall {:.1} us)",
        cpu_a.as_secs_f64() * 1e6 / 2_000.0,
        wall_a.as_secs_f64() * 1e6 / 2_000.0,
        cpu_c.as_secs_f64() * 1e6 / 6_000.0,
        wall_c.as_secs_f64() * 1e6 / 6_000.0
    );
    let per_c1 = c1.as_secs_f64() / 2_000.0;
    println!(
        "cluster summary: map default chunks {:.3} us/item; chunksize 1 {:.1} us/item ({:.0} jobs/s); \
         apply_async round trip {:.0} us",
        m.as_secs_f64() * 1e6 / 100_000.0,
        per_c1 * 1e6,
        1.0 / per_c1,
        a.as_secs_f64() * 1e6 / 50.0
    );
}

fn main() {
    potok::main(|| {
        let server = redis_server::RedisServer::start();
        let mut c = Criterion::default().configure_from_args();
        benches(&mut c, &server.url(), server.pid().expect("running"));
        c.final_summary();
        drop(server);
    });
}

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

fn benches(c: &mut Criterion, url: &str) {
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
        benches(&mut c, &server.url());
        c.final_summary();
        drop(server);
    });
}

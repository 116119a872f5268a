//! State shared between processes, the same workloads as `bench/python/shared_counter.py`
//! (CPython's `multiprocessing.Value` and `Lock`), so the two can be put side by side from one
//! session:
//!
//! - `counter_4x10k`: a warm pool of 4 processes, one task each (chunk size 1), each doing
//!   10,000 increments of a `Value<u64>` under its lock (`*v.lock()? += 1`, CPython's
//!   `with v.get_lock(): v.value += 1`); the counter is checked after every run;
//! - `uncontended/process_lock` and `uncontended/thread_lock`: acquire + release of a
//!   `potok::process::Lock` beside a `potok::Lock`, in the same run;
//! - `wake/event_round_trip` beside `wake/pipe_round_trip`: a child process asleep on a
//!   `process::Event` is woken by `set` and answers by setting another Event the parent sleeps
//!   on (two cross-process wake-ups; set → woken child is about half of it), beside the same
//!   ping-pong of a `u32` over a `process::Pipe` (`send`, the child's `recv`, its `send` back).
//!
//! Children re-run this executable, so `main` calls `potok::process::init()` first.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use potok::process::{Connection, Event, Pipe, Pool, Process, Value};

const INCREMENTS: u64 = 10_000;
const PROCESSES: usize = 4;

fn increment(args: (Value<u64>, u64)) -> u64 {
    let (counter, n) = args;
    for _ in 0..n {
        *counter.lock().expect("no holder dies in the bench") += 1;
    }
    n
}

/// The child of `event_round_trip`: answers every `ping` with a `pong` until `stop`.
fn event_echo(args: (Event, Event, Event)) -> u32 {
    let (ping, pong, stop) = args;
    loop {
        ping.wait();
        ping.clear();
        if stop.is_set() {
            return 0;
        }
        pong.set();
    }
}

/// The child of `pipe_round_trip`: sends every number back until the pipe closes.
fn pipe_echo(conn: Connection) -> u32 {
    while let Ok(x) = conn.recv::<u32>() {
        if conn.send(&x).is_err() {
            break;
        }
    }
    0
}

fn wake(c: &mut Criterion) {
    let mut g = c.benchmark_group("wake");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    let (ping, pong, stop) = (
        Event::new().unwrap(),
        Event::new().unwrap(),
        Event::new().unwrap(),
    );
    let mut child = Process::new(event_echo, (ping.clone(), pong.clone(), stop.clone()));
    child.start().unwrap();
    g.bench_function("event_round_trip", |b| {
        b.iter(|| {
            ping.set();
            pong.wait();
            pong.clear();
        })
    });
    stop.set();
    ping.set();
    child.join().unwrap();

    let (here, there) = Pipe::new().unwrap();
    let mut child = Process::new(pipe_echo, there);
    child.start().unwrap();
    g.bench_function("pipe_round_trip", |b| {
        b.iter(|| {
            here.send(&7u32).unwrap();
            black_box(here.recv::<u32>().unwrap());
        })
    });
    drop(here);
    child.join().unwrap();
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("process_shared");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    let pool = Pool::new(PROCESSES).unwrap();
    let counter = Value::new(0u64).unwrap();
    g.bench_function("counter_4x10k", |b| {
        b.iter(|| {
            counter.set(0).unwrap();
            let tasks = vec![(counter.clone(), INCREMENTS); PROCESSES];
            black_box(pool.map_chunked(increment, tasks, 1).unwrap());
            assert_eq!(counter.get().unwrap(), INCREMENTS * PROCESSES as u64);
        })
    });
    drop(pool);
    g.finish();

    let mut g = c.benchmark_group("uncontended");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let process_lock = potok::process::Lock::new().unwrap();
    g.bench_function("process_lock", |b| {
        b.iter(|| {
            process_lock.acquire().unwrap();
            process_lock.release().unwrap();
        })
    });
    let thread_lock = potok::Lock::new();
    g.bench_function("thread_lock", |b| {
        b.iter(|| {
            thread_lock.acquire();
            thread_lock.release().unwrap();
        })
    });
    g.finish();
}

fn main() {
    potok::process::init();
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    wake(&mut c);
    c.final_summary();
}

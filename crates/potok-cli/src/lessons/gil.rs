//! 10_4, the GIL: the same CPU-bound work (summing squares) one piece after another, in N
//! threads and in N processes (a process pool started beforehand), wall time and speedup in a
//! table; CPython beside it when `python3` is on the PATH. Rust's threads run on every core;
//! CPython's take turns holding the GIL, and only its processes run in parallel.
//!
//! With `--broker URL`, a fourth row runs the same pieces on a cluster pool over Redis: on the
//! workers already serving that broker (`potok worker URL`, on any machine), or on N workers
//! started here when there are none, so the lesson's point goes from threads to processes to
//! machines.
//!
//! Each figure is the best of [`REPEAT`] runs (as Python's `timeit` reports), which keeps the
//! table steady on a busy machine.

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::console::{note, say, Progress};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::msg::{facts, failure, Messages};
use crate::timedelta;

/// Runs of each measurement; the best counts.
pub(crate) const REPEAT: u32 = 3;

/// CPython does this many times less work per thread than Rust (it is about that much slower per
/// square), so both halves of the table take comparable time.
pub(crate) const PYTHON_SHARE: u64 = 20;

/// The same work in CPython: prints the best sequential, threaded and process-pool wall times,
/// in seconds. Arguments: threads (and processes), squares per piece, repeats.
const PYTHON_SCRIPT: &str = r#"
import multiprocessing, sys, threading, time

def sum_of_squares(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

threads, n, repeat = map(int, sys.argv[1:4])

def sequential():
    for _ in range(threads):
        sum_of_squares(n)

def in_threads():
    workers = [threading.Thread(target=sum_of_squares, args=(n,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

def best(f):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)

if __name__ == "__main__":
    # fork: the workers inherit sum_of_squares from this -c script (spawn could not import it).
    with multiprocessing.get_context("fork").Pool(threads) as pool:
        pool.map(sum_of_squares, [1] * threads)  # started and warm before timing, as Rust's
        in_processes = best(lambda: pool.map(sum_of_squares, [n] * threads))
    print(best(sequential), best(in_threads), in_processes)
"#;

/// The CPU-bound work: the sum of `i * i` for `i` below `n` (wrapping). `black_box` keeps the
/// compiler from replacing the loop by the closed formula, and `inline(never)` makes the
/// sequential and the threaded runs execute the very same machine code (inlined copies were
/// compiled differently and made the comparison meaningless).
#[inline(never)]
fn sum_of_squares(n: u64) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total = total.wrapping_add(black_box(i).wrapping_mul(i));
    }
    total
}

/// The best of [`REPEAT`] wall times of `f`.
fn best(mut f: impl FnMut()) -> Duration {
    (0..REPEAT)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .expect("REPEAT > 0")
}

/// Wall times of one runtime's three ways: one after another, in threads, in processes.
struct Times {
    sequential: Duration,
    in_threads: Duration,
    in_processes: Duration,
}

/// The cluster row: the best wall time, the number of workers, whether they were started here.
struct ClusterTimes {
    time: Duration,
    workers: usize,
    started_here: bool,
}

/// The same pieces on a cluster pool over the broker at `url`.
fn cluster_times(
    m: &dyn Messages,
    url: &str,
    threads: usize,
    squares: u64,
) -> CliResult<ClusterTimes> {
    let fail = |e: String| CliError::Failed(m.cluster_failed(&e));
    let expected = sum_of_squares(squares);
    let probe =
        potok::cluster::Pool::connect(url).map_err(|e| fail(failure::connect(m, url, &e)))?;
    let running = probe
        .workers()
        .map_err(|e| fail(failure::broker_silent(m, url, &e)))?
        .len();
    drop(probe);
    let started_here = running == 0;
    let pool = potok::cluster::Pool::builder(url)
        .local_workers(if started_here { threads } else { 0 })
        .name("potok-gil")
        .build()
        .map_err(|e| fail(failure::connect(m, url, &e)))?;
    let workers = if started_here { threads } else { running };
    pool.map_chunked(sum_of_squares, vec![1; workers], 1)
        .map_err(|e| fail(failure::cluster_map(m, &e)))?;
    let mut failed = None;
    let time = best(
        || match pool.map_chunked(sum_of_squares, vec![squares; threads], 1) {
            Ok(sums) => assert!(sums.iter().all(|&sum| sum == expected)),
            Err(err) => failed = Some(failure::cluster_map(m, &err)),
        },
    );
    match failed {
        Some(err) => Err(fail(err)),
        None => Ok(ClusterTimes {
            time,
            workers,
            started_here,
        }),
    }
}

/// `potok worker URL`: serves the broker until it is gone.
pub(crate) fn serve(ctx: &Context, url: &str) -> CliResult {
    let m = ctx.m();
    // A bad URL or an unreachable broker is one line, before the line that says it serves.
    let fail = |e: String| CliError::Failed(m.cluster_failed(&e));
    drop(potok::cluster::Pool::connect(url).map_err(|e| fail(failure::connect(m, url, &e)))?);
    say(m.worker_serving(url, std::process::id()))?;
    match potok::cluster::worker(url) {
        Ok(never) => match never {},
        Err(err) => Err(fail(failure::worker(m, url, &err))),
    }
}

fn rust_times(m: &dyn Messages, threads: usize, squares: u64) -> CliResult<Times> {
    let expected = sum_of_squares(squares);
    let sequential = best(|| {
        for _ in 0..threads {
            assert_eq!(sum_of_squares(squares), expected);
        }
    });
    let mut failed = None;
    let in_threads = best(|| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                potok::Builder::new()
                    .name(format!("squares-{}", i + 1))
                    .spawn(move || sum_of_squares(squares))
            })
            .collect();
        for (i, worker) in workers.into_iter().enumerate() {
            match worker
                .map_err(|e| m.cannot_start_thread(&format!("squares-{}", i + 1), &m.io_error(&e)))
                .and_then(|w| w.join().map_err(|p| failure::panicked(m, &p)))
            {
                Ok(sum) => assert_eq!(sum, expected),
                Err(err) => failed = Some(err),
            }
        }
    });
    if let Some(err) = failed {
        return Err(CliError::Failed(err));
    }
    // The pool is started (and its workers warmed up) before timing: the row is about running
    // in parallel, not about starting processes (`potok read-files` times that).
    let pool = potok::process::Pool::new(threads)
        .map_err(|e| CliError::Failed(m.cannot_start_pool(&failure::pool_start(m, &e))))?;
    pool.map(sum_of_squares, vec![1; threads])
        .map_err(|e| CliError::Failed(m.pool_failed(&failure::pool_map(m, &e))))?;
    let in_processes = best(|| match pool.map(sum_of_squares, vec![squares; threads]) {
        Ok(sums) => assert!(sums.iter().all(|&sum| sum == expected)),
        Err(err) => failed = Some(m.pool_failed(&failure::pool_map(m, &err))),
    });
    match failed {
        Some(err) => Err(CliError::Failed(err)),
        None => Ok(Times {
            sequential,
            in_threads,
            in_processes,
        }),
    }
}

/// Runs the same work in CPython; `None` (with a note on stderr) if `python3` cannot.
fn python_times(m: &dyn Messages, threads: usize, squares: u64) -> Option<Times> {
    let output = Command::new("python3")
        .args(["-c", PYTHON_SCRIPT])
        .args([threads.to_string(), squares.to_string(), REPEAT.to_string()])
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            let why = String::from_utf8_lossy(&output.stderr);
            note(m.python_failed(why.trim()));
            return None;
        }
        Err(err) => {
            note(m.no_python(&m.io_error(&err)));
            return None;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let secs: Vec<f64> = text
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    match secs[..] {
        [sequential, in_threads, in_processes]
            if [sequential, in_threads, in_processes]
                .iter()
                .all(|s| *s >= 0.0) =>
        {
            Some(Times {
                sequential: Duration::from_secs_f64(sequential),
                in_threads: Duration::from_secs_f64(in_threads),
                in_processes: Duration::from_secs_f64(in_processes),
            })
        }
        _ => {
            note(m.python_unexpected(text.trim()));
            None
        }
    }
}

/// The default `--threads`: the number of cores.
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Millions of squares that take a Rust thread at least `target` on this machine and build
/// (a release build is some thirty times faster than a debug one): for the tour, which must be
/// quick and still show the speedup.
pub(crate) fn calibrated_work(target: Duration) -> u64 {
    let per_million = best(|| {
        black_box(sum_of_squares(black_box(1_000_000)));
    });
    let millions = target.as_secs_f64() / per_million.as_secs_f64().max(1e-9);
    (millions.ceil() as u64).clamp(1, 10_000)
}

/// Runs the lesson: `work_millions` millions of squares per thread in Rust, and
/// `python_squares` (default: a [`PYTHON_SHARE`]th of that) per thread in CPython.
pub(crate) fn run(
    ctx: &Context,
    threads: Option<usize>,
    work_millions: u64,
    python_squares: Option<u64>,
    broker: Option<&str>,
) -> CliResult {
    let m = ctx.m();
    let threads = threads.unwrap_or_else(default_threads).max(1);
    let squares = work_millions.max(1) * 1_000_000;
    let python_squares = python_squares.unwrap_or((squares / PYTHON_SHARE).max(1));
    say(m.gil_work(threads, squares, python_squares, REPEAT))?;
    let (time_header, speedup_header) = m.gil_headers();
    say(format!("{:<26}{time_header:<18}{speedup_header}", ""))?;
    let progress = Progress::spinner(&m.progress_measuring("Rust"));
    let rust = rust_times(m, threads, squares)?;
    drop(progress);
    rows(m, "Rust", threads, &rust)?;
    if let Some(url) = broker {
        let progress = Progress::spinner(&m.progress_measuring("Rust"));
        let cluster = cluster_times(m, url, threads, squares)?;
        drop(progress);
        let speedup = rust.sequential.as_secs_f64() / cluster.time.as_secs_f64().max(1e-9);
        let label = format!(
            "Rust, {}",
            m.gil_cluster(cluster.workers, cluster.started_here)
        );
        say(format!(
            "{label:<26}{:<18}{speedup:.2}×",
            timedelta::format(cluster.time)
        ))?;
    }
    let progress = Progress::spinner(&m.progress_measuring("CPython"));
    let python = python_times(m, threads, python_squares);
    drop(progress);
    if let Some(times) = &python {
        rows(m, "CPython", threads, times)?;
    }
    ctx.explain(|m| {
        m.explain_gil(&facts::Gil {
            threads,
            cores: default_threads(),
            rust: rust.speedups(),
            python: python.as_ref().map(Times::speedups),
        })
    });
    Ok(())
}

impl Times {
    /// Speedups of threads and processes over one after another.
    fn speedups(&self) -> (f64, f64) {
        let sequential = self.sequential.as_secs_f64();
        (
            sequential / self.in_threads.as_secs_f64().max(1e-9),
            sequential / self.in_processes.as_secs_f64().max(1e-9),
        )
    }
}

/// Three rows of the table: one after another (speedup 1), in threads, in processes.
fn rows(m: &dyn Messages, runtime: &str, n: usize, times: &Times) -> CliResult {
    let labels = [
        m.gil_sequential().to_owned(),
        m.gil_threads(n),
        m.gil_processes(n),
    ];
    let sequential = times.sequential.as_secs_f64();
    for (label, time) in labels
        .iter()
        .zip([times.sequential, times.in_threads, times.in_processes])
    {
        let speedup = sequential / time.as_secs_f64().max(1e-9);
        let label = format!("{runtime}, {label}");
        say(format!(
            "{label:<26}{:<18}{speedup:.2}×",
            timedelta::format(time)
        ))?;
    }
    Ok(())
}

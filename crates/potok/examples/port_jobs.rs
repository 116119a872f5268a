//! A typical Python `multiprocessing` script, ported line for line: four worker processes,
//! started together by an `Event`, take jobs from a `JoinableQueue`, add each job to a shared
//! counter (a `Value` under its lock) and write a line to a log file under a `Lock`.
//!
//! The Python original is `port_jobs.py` beside this file; `tests/port_example.rs` runs both
//! and checks the counter and the log.
//!
//! ```text
//! cargo run -p potok --example port_jobs -- jobs.log
//! ```
//!
//! Python → potok, line by line:
//!
//! | Python | potok |
//! |---|---|
//! | `def worker(jobs, counter, log_lock, start, log_path):` | `fn worker((jobs, counter, log_lock, start, log_path): Args)` |
//! | `start.wait()` | `start.wait();` |
//! | `job = jobs.get()`; `if job is None:` | `let Some(job) = jobs.get()? else { .. }` |
//! | `with counter.get_lock(): counter.value += job` | `*counter.lock()? += job;` (the guard is the lock held) |
//! | `with log_lock:` | `let _held = log_lock.lock()?;` |
//! | `mp.current_process().name` | `current_process().name()` |
//! | `jobs.task_done()` | `jobs.task_done()?;` |
//! | `if __name__ == "__main__":` | `potok::main(\|\| ..)` |
//! | `mp.JoinableQueue()`, `mp.Value("q", 0)`, `mp.Lock()`, `mp.Event()` | `JoinableQueue::new(0)`, `Value::new(0u64)`, `Lock::new()`, `Event::new()` |
//! | `mp.Process(target=worker, args=(..))` | `Process::new(worker, (..))` (handles are cloned into the argument) |
//! | `w.start()`, `jobs.put(job)`, `start.set()`, `jobs.join()`, `w.join()` | the same names |
//!
//! Errors that Python raises as exceptions are `Result`s here; the port unwraps them where
//! the Python would let the exception end the program.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use potok::process::{current_process, Event, JoinableQueue, Lock, Process, Value};

type Args = (JoinableQueue<Option<u64>>, Value<u64>, Lock, Event, PathBuf);

fn worker((jobs, counter, log_lock, start, log_path): Args) {
    start.wait();
    loop {
        let Some(job) = jobs.get().unwrap() else {
            jobs.task_done().unwrap();
            break;
        };
        *counter.lock().unwrap() += job;
        {
            let _held = log_lock.lock().unwrap();
            let mut log = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .unwrap();
            writeln!(log, "{} did job {job}", current_process().name()).unwrap();
        }
        jobs.task_done().unwrap();
    }
}

/// `pub`: `tests/port_example.rs` compiles this file in and calls it.
pub fn main() {
    potok::main(|| {
        let log_path = PathBuf::from(std::env::args().nth(1).expect("usage: port_jobs LOG_FILE"));
        let jobs = JoinableQueue::new(0).unwrap();
        let counter = Value::new(0u64).unwrap();
        let log_lock = Lock::new().unwrap();
        let start = Event::new().unwrap();
        let mut workers: Vec<Process<()>> = (0..4)
            .map(|_| {
                let args = (
                    jobs.clone(),
                    counter.clone(),
                    log_lock.clone(),
                    start.clone(),
                    log_path.clone(),
                );
                Process::new(worker, args)
            })
            .collect();
        for w in &mut workers {
            w.start().unwrap();
        }
        for job in 1..=100 {
            jobs.put(Some(job)).unwrap();
        }
        start.set();
        jobs.join().unwrap();
        for _ in &workers {
            jobs.put(None).unwrap();
        }
        for w in &mut workers {
            w.join().unwrap();
        }
        println!("total {}", counter.get().unwrap());
    });
}

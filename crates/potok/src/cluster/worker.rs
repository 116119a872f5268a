//! A worker: pulls chunks from `potok:tasks`, runs them, answers; renews its leases while it
//! runs; takes over chunks whose worker died.
//!
//! ```text
//!  connect, register (potok:workers, potok:worker:NAME with a TTL)
//!     ▼
//!  ┌▶ one round trip: the last batch's answers (FINISH / REFUSE), then
//!  │    every 200 ms: RECLAIM (chunks idle past their lease) + XREADGROUP COUNT batch
//!  │    else:         XREADGROUP COUNT batch BLOCK 200 ms
//!  │  per chunk: other build? REFUSE │ run it ─▶ FINISH, queued for the next round trip
//!  │             (sent at once if the batch has run 5 ms; dropped if the pool is gone)
//!  └──────────────────────────────────────────────────────────┘
//!  broker lost: reconnect with backoff (100 ms doubling to 5 s; the group and the
//!  registration made again: a restarted broker may have neither), for up to 10 minutes
//!  a renewal thread: every 100 ms, RENEW the leases older than a third of their length
//! ```
//!
//! Sending a batch's answers in the same write as the next read saves the worker one wake-up
//! per batch: the answer reaches the caller as soon as Redis runs FINISH, and the worker's
//! next read is already waiting behind it.
//!
//! The batch (entries read at once) starts at 1 and doubles while a batch runs in under 5 ms,
//! halving when it takes longer, so trivial tasks are fetched many at a time and slow ones one
//! at a time (a slow chunk never waits behind another in a worker's hands).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::broker::{self, Broker, Conn, Entry, Script};
use super::error::WorkerError;
use super::identity::{build_id, install_quiet_panic_hook, TaskId};

const BLOCK: Duration = Duration::from_millis(200);
const RECLAIM_EVERY: Duration = Duration::from_millis(200);
const MAX_BATCH: usize = 64;
/// A worker's liveness key lives this long unless renewed (every second).
const ALIVE_TTL: Duration = Duration::from_secs(5);
/// How long a worker tries to get its broker back before it gives up.
const RECONNECT_FOR: Duration = Duration::from_secs(600);
/// The first and the longest pause between two attempts to reconnect.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

/// Serves the broker at `url` as a worker, in this thread, until the broker is lost for good.
///
/// A worker serves every pool on the broker whose build matches this executable, pulls work
/// (a chunk at a time, several when they are quick), and names itself `host:pid` in the hash
/// `potok:workers`. Panicking tasks are reported to their caller, not printed.
///
/// # Errors
///
/// [`WorkerError::Connect`] at once for a bad URL or an unreachable broker;
/// [`WorkerError::BrokerLost`] when the broker went away and did not come back within 10
/// minutes. Until then the worker tries again with a growing pause (100 ms to 5 s), and serves
/// again as soon as the broker is back, restarted or not.
///
/// # Examples
///
/// ```no_run
/// potok::main(|| {
///     // A program that is only a worker for pools built from this same executable.
///     let err = potok::cluster::worker("redis://10.0.0.5:6379/0").unwrap_err();
///     eprintln!("{err}");
/// });
/// ```
pub fn worker(url: &str) -> Result<Infallible, WorkerError> {
    serve(url)
}

pub(crate) fn serve(url: &str) -> Result<Infallible, WorkerError> {
    let broker = Broker::parse(url, Duration::from_secs(5)).map_err(WorkerError::Connect)?;
    let conn = broker.connect().map_err(WorkerError::Connect)?;
    install_quiet_panic_hook();
    let name = format!("{}:{}", broker::hostname(), std::process::id());
    let held: Arc<Mutex<HashMap<String, Held>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut w = Worker {
        broker,
        conn,
        name,
        held: Arc::clone(&held),
        answers: redis::pipe(),
    };
    w.register().map_err(WorkerError::BrokerLost)?;
    let renewer = {
        let (broker, name, held, stop) = (
            w.broker.clone(),
            w.name.clone(),
            Arc::clone(&held),
            Arc::clone(&stop),
        );
        std::thread::Builder::new()
            .name("potok-cluster-renew".into())
            .spawn(move || renew_leases(&broker, &name, &held, &stop))
            .map_err(|e| WorkerError::BrokerLost(format!("no renewal thread: {e}")))?
    };
    let out = w.run();
    stop.store(true, Ordering::Release);
    let _ = renewer.join();
    let _ = w
        .conn
        .query(redis::cmd("HDEL").arg(broker::WORKERS).arg(&w.name));
    out
}

/// A lease this worker holds.
struct Held {
    lease: Duration,
    renewed: Instant,
}

struct Worker {
    broker: Broker,
    conn: Conn,
    name: String,
    held: Arc<Mutex<HashMap<String, Held>>>,
    /// Answers not sent yet (their replies ignored): they go with the next read.
    answers: redis::Pipeline,
}

impl Worker {
    fn register(&mut self) -> Result<(), String> {
        let pid = std::process::id();
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let about = format!(
            "host={} pid={pid} build={} started={started}",
            broker::hostname(),
            build_id()
        );
        let mut pipe = redis::pipe();
        pipe.cmd("HSET")
            .arg(broker::WORKERS)
            .arg(&self.name)
            .arg(about);
        pipe.cmd("SET")
            .arg(format!("potok:worker:{}", self.name))
            .arg(1)
            .arg("PX")
            .arg(ALIVE_TTL.as_millis() as u64);
        pipe.cmd("CLIENT")
            .arg("SETNAME")
            .arg(format!("potok-worker-{}", self.name.replace(':', "-")));
        self.conn.pipe(&pipe).map(|_| ())
    }

    fn run(&mut self) -> Result<Infallible, WorkerError> {
        let mut last_reclaim = Instant::now() - RECLAIM_EVERY;
        let mut batch = 1usize;
        let mut lost_at: Option<Instant> = None;
        let mut pause = BACKOFF.0;
        loop {
            let step = self.step(&mut last_reclaim, &mut batch);
            let Err(why) = step else {
                lost_at = None;
                pause = BACKOFF.0;
                continue;
            };
            // What this worker held is the broker's to reclaim after the lease (if it still
            // knows it); the answers not sent are lost with the connection.
            self.held.lock().clear();
            self.answers = redis::pipe();
            let since = *lost_at.get_or_insert_with(Instant::now);
            loop {
                if since.elapsed() > RECONNECT_FOR {
                    return Err(WorkerError::BrokerLost(format!(
                        "{why} (and no broker for {RECONNECT_FOR:?})"
                    )));
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(BACKOFF.1);
                // `connect` makes the consumer group again if the broker lost it.
                if let Ok(conn) = self.broker.connect() {
                    self.conn = conn;
                    if self.register().is_ok() {
                        break;
                    }
                }
            }
        }
    }

    /// One round: send the last answers and take work (reclaimed or new) in one round trip,
    /// run it, queue the answers.
    fn step(&mut self, last_reclaim: &mut Instant, batch: &mut usize) -> Result<(), String> {
        let reclaim = last_reclaim.elapsed() >= RECLAIM_EVERY;
        let mut pipe = std::mem::replace(&mut self.answers, redis::pipe());
        if reclaim {
            *last_reclaim = Instant::now();
            let mut cmd = self
                .conn
                .script_cmd(Script::Reclaim, &[broker::TASKS, broker::DEAD]);
            cmd.arg(broker::GROUP)
                .arg(&self.name)
                .arg(broker::MIN_LEASE.as_millis() as u64)
                .arg(100);
            pipe.add_command(cmd);
        }
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP")
            .arg(broker::GROUP)
            .arg(&self.name)
            .arg("COUNT")
            .arg(*batch);
        if !reclaim {
            // (With a reclaim, no wait: what it took must not sit behind a blocked read.)
            read.arg("BLOCK").arg(BLOCK.as_millis() as u64);
        }
        read.arg("STREAMS").arg(broker::TASKS).arg(">");
        pipe.add_command(read);
        let replies = self.conn.pipe_blocking(&pipe, BLOCK)?;
        let mut entries = Vec::new();
        if reclaim {
            entries = replies.first().map(broker::entries).unwrap_or_default();
        }
        entries.extend(replies.last().map(broker::read_reply).unwrap_or_default());
        if entries.is_empty() {
            return Ok(());
        }
        {
            let mut held = self.held.lock();
            for e in &entries {
                let lease = e
                    .get_str("l")
                    .and_then(|l| l.parse().ok())
                    .map(Duration::from_millis)
                    .unwrap_or(broker::MIN_LEASE);
                held.insert(
                    e.id.clone(),
                    Held {
                        lease,
                        renewed: Instant::now(),
                    },
                );
            }
        }
        let started = Instant::now();
        let mut last_flush = Instant::now();
        for e in &entries {
            // (A chunk of a pool that was dropped meanwhile runs, and FINISH drops its answer:
            // checking first would cost a round trip per batch.)
            let pool = e.get_str("p").unwrap_or("");
            let answer = if e.get_str("b") != Some(build_id()) {
                let reason = format!(
                    "it runs another build (worker build {}, pool build {}): start workers \
                     from the same executable as the pool",
                    build_id(),
                    e.get_str("b").unwrap_or("?")
                );
                let mut cmd = self.conn.script_cmd(Script::Refuse, &[broker::TASKS]);
                cmd.arg(broker::GROUP)
                    .arg(&self.name)
                    .arg(&e.id)
                    .arg(pool)
                    .arg(e.get_str("c").unwrap_or("0"))
                    .arg(reason)
                    .arg(e.get_str("l").unwrap_or("0"));
                cmd
            } else {
                let payload = run_entry(e);
                let mut cmd = self.conn.script_cmd(Script::Finish, &[broker::TASKS]);
                cmd.arg(broker::GROUP)
                    .arg(&self.name)
                    .arg(&e.id)
                    .arg(pool)
                    .arg(e.get_str("c").unwrap_or("0"))
                    .arg(payload);
                cmd
            };
            self.answers.add_command(answer).ignore();
            // Answered: no more renewals (if the answer is lost with the connection, the
            // broker reclaims the chunk after its lease).
            self.held.lock().remove(&e.id);
            // Answers go out at least every 5 ms, so a batch never sits on finished work.
            if last_flush.elapsed() >= Duration::from_millis(5) {
                let answers = std::mem::replace(&mut self.answers, redis::pipe());
                self.conn.pipe(&answers)?;
                last_flush = Instant::now();
            }
        }
        *batch = if started.elapsed() < Duration::from_millis(5) {
            (*batch * 2).min(MAX_BATCH)
        } else {
            (*batch / 2).max(1)
        };
        Ok(())
    }
}

/// Runs one chunk: the answer payload (0 then the outcomes, or 1 then why it was refused).
fn run_entry(e: &Entry) -> Vec<u8> {
    let refuse = |why: String| {
        let mut out = vec![1u8];
        out.extend_from_slice(why.as_bytes());
        out
    };
    let Some(id) = e
        .get("h")
        .and_then(|h| postcard::from_bytes::<TaskId>(h).ok())
    else {
        return refuse("the task's identity is missing or broken".to_owned());
    };
    let (trampoline, function) = match id.resolve() {
        Ok(found) => found,
        Err(why) => return refuse(why),
    };
    let mut out = vec![0u8];
    match trampoline(
        function,
        id.fingerprint,
        e.get("d").unwrap_or(&[]),
        &mut out,
    ) {
        Ok(()) => out,
        Err(why) => refuse(why),
    }
}

/// The renewal thread: keeps the leases of running chunks, and the worker's liveness key.
fn renew_leases(
    broker: &Broker,
    name: &str,
    held: &Mutex<HashMap<String, Held>>,
    stop: &AtomicBool,
) {
    let mut conn: Option<Conn> = None;
    let mut last_alive = Instant::now();
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(100));
        if conn.is_none() {
            conn = broker.connect().ok();
        }
        let Some(c) = conn.as_mut() else {
            continue;
        };
        let due: Vec<String> = held
            .lock()
            .iter()
            .filter(|(_, h)| h.renewed.elapsed() >= h.lease / 3)
            .map(|(id, _)| id.clone())
            .collect();
        let mut ok = true;
        if !due.is_empty() {
            let mut cmd = c.script_cmd(Script::Renew, &[broker::TASKS]);
            cmd.arg(broker::GROUP).arg(name).arg(&due);
            match c.query(&cmd) {
                Ok(lost) => {
                    let lost: Vec<String> = broker::array(&lost).iter().map(broker::text).collect();
                    let mut held = held.lock();
                    for id in &due {
                        if let Some(h) = held.get_mut(id) {
                            // A lost lease is not renewed again; the answer will be refused.
                            h.renewed = if lost.contains(id) {
                                Instant::now() + Duration::from_secs(1 << 20)
                            } else {
                                Instant::now()
                            };
                        }
                    }
                }
                Err(_) => ok = false,
            }
        }
        if ok && last_alive.elapsed() >= Duration::from_secs(1) {
            let r = c.query(
                redis::cmd("SET")
                    .arg(format!("potok:worker:{name}"))
                    .arg(1)
                    .arg("PX")
                    .arg(ALIVE_TTL.as_millis() as u64),
            );
            ok = r.is_ok();
            last_alive = Instant::now();
        }
        if !ok {
            conn = None;
        }
    }
    if let Some(c) = conn.as_mut() {
        let _ = c.query(redis::cmd("DEL").arg(format!("potok:worker:{name}")));
    }
}

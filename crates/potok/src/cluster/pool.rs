//! [`Pool`]: `process::Pool`'s methods, with the work queued in Redis and run by workers on
//! any machine.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::broker::{self, Broker, Conn};
use super::error::{BrokerError, ConnectError, MapError, TaskErrorKind};
use super::identity::{build_id, TaskId};
use super::local::LocalWorkers;
use super::reader::{EntryId, Pump, Reading, Round, Seat, Sent, Turn, READ_BLOCK};
use super::results::{AsyncResult, IMap, IMapUnordered, Results, Sink};
use crate::process::{Closed, Data, StillRunning, Task};

/// The largest chunk (encoded arguments) put in one stream entry.
const MAX_ENTRY_BYTES: usize = 8 << 20;
/// Entries sent per round trip when a call is queued.
const PIPELINE: usize = 256;
/// How long a pool's keys live in Redis unless the pool refreshes them (it does, every
/// second): the tasks of a pool whose process vanished are dropped after this.
const POOL_TTL: Duration = Duration::from_secs(60);

/// A chunk on its way: which call and which items it carries, and its stream entry.
struct Chunk {
    sink: Arc<dyn Sink>,
    first: usize,
    count: usize,
    entry: Option<String>,
}

#[derive(Default)]
struct State {
    chunks: HashMap<u64, Chunk>,
    next_chunk: u64,
    closed: bool,
    terminated: bool,
    /// Set once the broker is lost: the calls in flight failed with it, and a later call
    /// fails with it too unless the pool gets its broker back first (`Pool::revive`).
    broken: Option<String>,
    /// How many times the pool got its broker back: an error seen on a connection of an
    /// earlier generation is stale, and breaks nothing.
    generation: u64,
}

struct Inner {
    id: String,
    name: String,
    /// `potok:pool:ID:results`.
    results_key: String,
    /// Who reads the result stream (a waiting caller or the reader thread).
    reading: Reading,
    broker: Broker,
    lease: Duration,
    retries: u32,
    conn: Mutex<Option<Conn>>,
    state: Mutex<State>,
    idle: Condvar,
    stop: AtomicBool,
    workers_seen: AtomicUsize,
    local_count: usize,
    late_duplicates: AtomicU64,
}

impl Inner {
    /// Takes the results of `chunk` out of the table (the first answer for it wins here too).
    fn take_chunk(&self, chunk: u64) -> Option<Chunk> {
        let mut st = self.state.lock();
        let c = st.chunks.remove(&chunk);
        if st.chunks.is_empty() {
            self.idle.notify_all();
        }
        c
    }

    /// The current generation (see `State::generation`), to hand to [`break_with`].
    fn generation(&self) -> u64 {
        self.state.lock().generation
    }

    /// The broker is gone (seen by an operation begun in generation `generation`): every
    /// chunk in flight fails, and so will later calls until the pool gets its broker back.
    fn break_with(&self, generation: u64, why: String) {
        let chunks: Vec<Chunk> = {
            let mut st = self.state.lock();
            if st.generation != generation {
                // Seen on a connection the pool has replaced since.
                return;
            }
            if st.broken.is_none() {
                st.broken = Some(why.clone());
            }
            let out = st.chunks.drain().map(|(_, c)| c).collect();
            self.idle.notify_all();
            out
        };
        for c in chunks {
            c.sink
                .fail(c.first, c.count, TaskErrorKind::BrokerLost(why.clone()));
        }
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T, String>) -> Result<T, String> {
        let mut guard = self.conn.lock();
        let conn = guard
            .as_mut()
            .ok_or_else(|| "the pool's connection was closed".to_owned())?;
        f(conn)
    }

    fn in_flight(&self) -> bool {
        !self.state.lock().chunks.is_empty()
    }

    /// The XREAD of the result stream from the shared cursor, blocking at most `block`.
    fn xread(&self, block: Duration) -> redis::Cmd {
        let from = self.reading.cursor().to_string();
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(1024)
            .arg("BLOCK")
            .arg(block.as_millis().max(1) as u64)
            .arg("STREAMS")
            .arg(&self.results_key)
            .arg(from);
        cmd
    }

    /// Hands finished chunks to their calls: only the entries past the shared cursor (another
    /// reader may have read the same ones), each once.
    fn hand_out(&self, entries: &[broker::Entry]) {
        let mut cursor = self.reading.cursor();
        for e in entries {
            let Some(id) = EntryId::parse(&e.id) else {
                continue;
            };
            if id <= *cursor {
                continue;
            }
            *cursor = id;
            let Some(no) = e.get_str("c").and_then(|c| c.parse::<u64>().ok()) else {
                continue;
            };
            let Some(chunk) = self.take_chunk(no) else {
                self.late_duplicates.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if let Some(err) = e.get_str("e") {
                chunk.sink.fail(
                    chunk.first,
                    chunk.count,
                    TaskErrorKind::GaveUp(err.to_owned()),
                );
            } else {
                chunk
                    .sink
                    .deliver(chunk.first, chunk.count, e.get("d").unwrap_or(&[]));
            }
        }
    }
}

impl Inner {
    /// The XADD of one chunk (`no`, its encoded arguments `payload`) to `potok:tasks`.
    fn xadd(&self, header: &[u8], no: u64, payload: &[u8]) -> redis::Cmd {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(broker::TASKS)
            .arg("*")
            .arg("p")
            .arg(&self.id)
            .arg("c")
            .arg(no)
            .arg("r")
            .arg(self.retries)
            .arg("l")
            .arg(self.lease.as_millis() as u64)
            .arg("b")
            .arg(build_id())
            .arg("h")
            .arg(header)
            .arg("d")
            .arg(payload);
        cmd
    }

    /// The entry ids the broker gave chunks `nos`: noted on each chunk (for `terminate`);
    /// the entries of chunks that `terminate` took meanwhile (it could not know their ids) are
    /// removed here. A chunk already answered needs nothing.
    fn record_entries(&self, nos: &[u64], ids: &[redis::Value]) {
        let mut orphans = Vec::new();
        {
            let mut st = self.state.lock();
            let terminated = st.terminated;
            for (no, id) in nos.iter().zip(ids) {
                let id = broker::text(id);
                match st.chunks.get_mut(no) {
                    Some(chunk) => chunk.entry = Some(id),
                    None if terminated => orphans.push(id),
                    None => {}
                }
            }
        }
        if !orphans.is_empty() {
            let mut pipe = redis::pipe();
            pipe.cmd("XACK")
                .arg(broker::TASKS)
                .arg(broker::GROUP)
                .arg(&orphans)
                .ignore();
            pipe.cmd("XDEL").arg(broker::TASKS).arg(&orphans).ignore();
            // Best effort, as in `terminate`: workers drop a vanished pool's tasks anyway.
            let _ = self.with_conn(|c| c.pipe(&pipe));
        }
    }

    /// A new seat connection and its client id.
    fn connect_seat(&self) -> Result<(Conn, Option<i64>), String> {
        let mut conn = self.broker.connect_plain().map_err(|e| e.to_string())?;
        let client = conn.query(redis::cmd("CLIENT").arg("ID"))?;
        Ok((conn, broker::int(&client)))
    }

    /// Queues chunks `nos` (their XADDs in `xadds`) and an XREAD of the results in one write
    /// on the seat's connection, without waiting for a reply, if the seat is free and holds
    /// nothing unread (see `Sent` in `reader.rs`). False: send them the usual way.
    fn send_with_read(&self, generation: u64, xadds: Vec<redis::Cmd>, nos: Vec<u64>) -> bool {
        let Some(mut seat) = self.reading.try_seat() else {
            return false;
        };
        if seat.has_sent() {
            return false;
        }
        let mut pipe = redis::pipe();
        let mut skip = 0;
        if let Some(client) = seat.kick {
            // As for a leader's read: the reader thread's XREAD returns, and it parks.
            pipe.cmd("CLIENT").arg("UNBLOCK").arg(client);
            skip = 1;
        }
        for cmd in xadds {
            pipe.add_command(cmd);
        }
        pipe.add_command(self.xread(READ_BLOCK));
        let written = seat
            .conn(|| self.connect_seat())
            .and_then(|conn| conn.send(&pipe));
        match written {
            Ok(()) => seat.set_sent(Sent {
                skip,
                chunks: nos,
                at: Instant::now(),
            }),
            Err(why) => {
                seat.drop_conn();
                drop(seat);
                self.break_with(generation, why);
                return true;
            }
        }
        drop(seat);
        if self.state.lock().terminated {
            // `terminate` may have looked at the seat before this write: the ids are read
            // here, and the entries removed.
            self.drain_sent();
        }
        true
    }

    /// What `terminate` does with the seat: unblocks a leader's read, waits for its round to
    /// end, reads the entry ids of what was sent unanswered (removing those entries, the pool
    /// being terminated), and closes the seat's connection.
    fn drain_sent(&self) {
        if let Some(client) = self.reading.seat_client() {
            let _ = self.with_conn(|c| c.query(redis::cmd("CLIENT").arg("UNBLOCK").arg(client)));
        }
        let mut seat = self.reading.lock_seat();
        if let Some(sent) = seat.take_sent() {
            let _ = self.read_ids(&mut seat, &sent);
        }
        seat.drop_conn();
    }

    /// Reads the replies before the XREAD of what was sent: skipped ones, then the entry ids
    /// (noted on the chunks).
    fn read_ids(&self, seat: &mut Seat<'_>, sent: &Sent) -> Result<(), String> {
        let timeout = self.broker.timeout;
        let conn = seat
            .existing_conn()
            .ok_or_else(|| "the seat's connection was closed".to_owned())?;
        for _ in 0..sent.skip {
            conn.recv(timeout)?;
        }
        let mut ids = Vec::with_capacity(sent.chunks.len());
        for _ in &sent.chunks {
            ids.push(conn.recv(timeout)?);
        }
        self.record_entries(&sent.chunks, &ids);
        Ok(())
    }

    /// Reads every reply of what was sent on the seat: the ids, then the XREAD's entries (at
    /// once if a result came; else when its block ends, or sooner if `deadline` asks: then
    /// it is unblocked from the pool's own connection).
    fn finish_sent(
        &self,
        seat: &mut Seat<'_>,
        sent: &Sent,
        deadline: Option<Instant>,
    ) -> Result<Vec<broker::Entry>, String> {
        self.read_ids(seat, sent)?;
        if deadline.is_some_and(|d| d < sent.at + READ_BLOCK) {
            if let Some(client) = self.reading.seat_client() {
                self.with_conn(|c| c.query(redis::cmd("CLIENT").arg("UNBLOCK").arg(client)))?;
            }
        }
        let conn = seat
            .existing_conn()
            .ok_or_else(|| "the seat's connection was closed".to_owned())?;
        let reply = conn.recv(READ_BLOCK + self.broker.timeout)?;
        Ok(broker::read_reply(&reply))
    }
}

impl Pump for Inner {
    fn read_round(&self, deadline: Option<Instant>) -> Round {
        let generation = self.generation();
        let mut seat = match self.reading.try_lead() {
            Ok(seat) => seat,
            Err(true) => return Round::Follow,
            Err(false) => return Round::Stopped,
        };
        if let Some(sent) = seat.take_sent() {
            // A call's XADDs and XREAD went out together: their replies first.
            match self.finish_sent(&mut seat, &sent, deadline) {
                Ok(entries) => self.hand_out(&entries),
                Err(why) => {
                    seat.drop_conn();
                    drop(seat);
                    if !self.stop.load(Ordering::Acquire) {
                        self.break_with(generation, why);
                    }
                }
            }
            return Round::Read;
        }
        if self.state.lock().broken.is_some() {
            // Every call in flight has failed already; nothing more will come.
            return Round::Stopped;
        }
        let block = match deadline {
            None => READ_BLOCK,
            Some(d) => d.saturating_duration_since(Instant::now()).min(READ_BLOCK),
        };
        if block < Duration::from_millis(1) {
            return Round::Read;
        }
        let mut pipe = redis::pipe();
        if let Some(client) = seat.kick {
            // The reader thread's XREAD returns at once (as if timed out) and it parks: one
            // reader of the stream at a time, in the same round trip as ours.
            pipe.cmd("CLIENT").arg("UNBLOCK").arg(client).ignore();
        }
        pipe.add_command(self.xread(block));
        let read = seat
            .conn(|| self.connect_seat())
            .and_then(|conn| conn.pipe_blocking(&pipe, block));
        match read {
            Ok(replies) => {
                let entries = replies.last().map(broker::read_reply).unwrap_or_default();
                self.hand_out(&entries);
            }
            Err(why) => {
                seat.drop_conn();
                drop(seat);
                if !self.stop.load(Ordering::Acquire) {
                    self.break_with(generation, why);
                }
            }
        }
        Round::Read
    }

    fn unfollow(&self) {
        self.reading.unfollow();
    }
}

/// A pool whose workers are processes on any machine that can reach one Redis (7+): the same
/// methods and semantics as [`process::Pool`](crate::process::Pool), over Redis Streams.
///
/// A task is a plain `fn(T) -> R` with serde `T` and `R`, as for the local pool; workers are
/// this same executable started with `POTOK_WORKER=redis://...` (see [`worker`](super::worker)),
/// on this machine or others, or started by the pool itself with
/// [`PoolBuilder::local_workers`].
///
/// Each call is cut into chunks; each chunk is one entry of the stream `potok:tasks`, leased to
/// one worker, renewed while it runs, taken back and run again elsewhere if its worker dies or
/// stalls past the lease (up to [`retries`](PoolBuilder::retries) times), and answered once.
/// Dropping the pool removes its tasks and results from Redis.
///
/// # Examples
///
/// ```no_run
/// // no_run: needs a Redis server, and a `main` that dispatches workers (potok::main).
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// fn main() {
///     potok::main(|| {
///         let pool = potok::cluster::Pool::builder("redis://127.0.0.1:6379/0")
///             .local_workers(2)
///             .build()
///             .unwrap();
///         assert_eq!(pool.map(square, 1..=3).unwrap(), [1, 4, 9]);
///     })
/// }
/// ```
pub struct Pool {
    inner: Arc<Inner>,
    reader: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Taken by the one caller that tries to get a lost broker back.
    revive: Mutex<()>,
    local: Mutex<Option<LocalWorkers>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("id", &self.inner.id)
            .field("broker", &self.inner.broker.shown)
            .field("lease", &self.inner.lease)
            .field("retries", &self.inner.retries)
            .finish_non_exhaustive()
    }
}

/// Options for a [`Pool`]: local workers, lease, retries, name, broker timeout.
#[derive(Debug, Clone)]
pub struct PoolBuilder {
    url: String,
    local_workers: usize,
    lease: Duration,
    retries: u32,
    name: String,
    broker_timeout: Duration,
}

impl PoolBuilder {
    /// Starts `n` workers on this machine (this executable again, as for `process::Pool`); they
    /// serve any pool on the broker, and stop when this pool is dropped or joined. Default 0:
    /// the work waits for workers started elsewhere.
    pub fn local_workers(mut self, n: usize) -> Self {
        self.local_workers = n;
        self
    }

    /// How long a worker may hold a task without renewing its lease before another worker
    /// takes it (default 10 s; at least 500 ms). Workers renew every third of it while the task
    /// runs, so this bounds how long a dead or stopped worker delays a task, not how long a
    /// task may run.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(broker::MIN_LEASE);
        self
    }

    /// How many times a task whose worker died, stalled or refused it is run again before it
    /// fails with [`TaskErrorKind::GaveUp`] (default 2). A panic is the task's result, not a
    /// reason to retry, as in the local pool.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// A name for the pool, part of its keys in Redis and shown in `potok:dead` (default
    /// `pool`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.replace(char::is_whitespace, "_");
        self
    }

    /// The longest wait for any answer from the broker (default 5 s): connecting, every
    /// command, and beyond each blocking read. A broker that vanishes fails the calls in
    /// flight within about this time.
    pub fn broker_timeout(mut self, timeout: Duration) -> Self {
        self.broker_timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// Connects, registers the pool, and starts the local workers (waiting until each has
    /// registered with the broker).
    ///
    /// # Errors
    ///
    /// [`ConnectError`]: a bad URL, no broker, a broker too old, or local workers that did not
    /// start.
    pub fn build(self) -> Result<Pool, ConnectError> {
        let broker = Broker::parse(&self.url, self.broker_timeout)?;
        let mut conn = broker.connect()?;
        if self.local_workers > 0 && super::dispatch::undispatched_worker() {
            return Err(ConnectError::LocalWorkers(
                "this process was started as a worker (POTOK_WORKER is set) but did not run it: \
                 `main` must begin with `potok::main(|| ...)` or `potok::cluster::init()`"
                    .to_owned(),
            ));
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let host = broker::hostname();
        let pid = std::process::id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let id = format!(
            "{}-{host}-{pid}-{}-{:x}",
            self.name,
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos & 0xff_ffff
        );
        conn.pipe(&register_pool(&id, &self.name))
            .map_err(ConnectError::Broker)?;
        let reader_conn = broker.connect()?;
        let inner = Arc::new(Inner {
            results_key: broker::results_key(&id),
            reading: Reading::new(),
            id,
            name: self.name,
            broker,
            lease: self.lease,
            retries: self.retries,
            conn: Mutex::new(Some(conn)),
            state: Mutex::new(State::default()),
            idle: Condvar::new(),
            stop: AtomicBool::new(false),
            workers_seen: AtomicUsize::new(self.local_workers),
            local_count: self.local_workers,
            late_duplicates: AtomicU64::new(0),
        });
        let reader = {
            let inner = Arc::clone(&inner);
            std::thread::Builder::new()
                .name("potok-cluster-results".into())
                .spawn(move || read_results(&inner, reader_conn, 0))
                .map_err(|e| ConnectError::LocalWorkers(format!("no reader thread: {e}")))?
        };
        let pool = Pool {
            inner,
            reader: std::sync::Mutex::new(Some(reader)),
            revive: Mutex::new(()),
            local: Mutex::new(None),
        };
        if self.local_workers > 0 {
            let local = LocalWorkers::start(&self.url, self.local_workers)
                .map_err(ConnectError::LocalWorkers)?;
            *pool.local.lock() = Some(local);
            pool.wait_for_local_workers()?;
        }
        pool.count_workers();
        Ok(pool)
    }
}

impl Pool {
    /// A pool on the broker at `url` (`redis://host:port/db`), with no local workers and the
    /// default lease (10 s) and retries (2).
    ///
    /// # Errors
    ///
    /// [`ConnectError`], as for [`PoolBuilder::build`].
    pub fn connect(url: &str) -> Result<Pool, ConnectError> {
        Pool::builder(url).build()
    }

    /// A builder, for local workers, the lease, retries, a name.
    pub fn builder(url: &str) -> PoolBuilder {
        PoolBuilder {
            url: url.to_owned(),
            local_workers: 0,
            lease: Duration::from_secs(10),
            retries: 2,
            name: "pool".to_owned(),
            broker_timeout: Duration::from_secs(5),
        }
    }

    /// The pool's id: its name, host, pid and a counter (its keys are `potok:pool:ID...`).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The pids of the workers this pool started here (they change when one is replaced).
    pub fn local_pids(&self) -> Vec<u32> {
        self.local
            .lock()
            .as_ref()
            .map(LocalWorkers::pids)
            .unwrap_or_default()
    }

    /// The names (`host:pid`) of the workers registered with the broker and alive.
    ///
    /// # Errors
    ///
    /// [`BrokerError`] if the broker does not answer.
    pub fn workers(&self) -> Result<Vec<String>, BrokerError> {
        self.inner.with_conn(live_workers).map_err(BrokerError)
    }

    /// How many late answers the broker refused for this pool's tasks (a worker that lost its
    /// lease and finished anyway): counted, never delivered.
    ///
    /// # Errors
    ///
    /// [`BrokerError`] if the broker does not answer.
    pub fn duplicates(&self) -> Result<u64, BrokerError> {
        let key = broker::pool_key(&self.inner.id);
        let v = self
            .inner
            .with_conn(|c| c.query(redis::cmd("HGET").arg(&key).arg("duplicates")))
            .map_err(BrokerError)?;
        Ok(
            broker::int(&v).unwrap_or(0) as u64
                + self.inner.late_duplicates.load(Ordering::Relaxed),
        )
    }

    fn wait_for_local_workers(&self) -> Result<(), ConnectError> {
        let deadline = Instant::now() + self.inner.broker.timeout + Duration::from_secs(20);
        loop {
            let (pids, dead) = {
                let local = self.local.lock();
                let local = local.as_ref().expect("started");
                (local.pids(), local.take_early_exit())
            };
            if let Some(why) = dead {
                return Err(ConnectError::LocalWorkers(why));
            }
            let names: Vec<String> = pids
                .iter()
                .map(|p| format!("{}:{p}", broker::hostname()))
                .collect();
            let live = self.workers().map_err(|e| ConnectError::Broker(e.0))?;
            if names.iter().all(|n| live.contains(n)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ConnectError::LocalWorkers(format!(
                    "the workers {names:?} did not register with the broker in time"
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn count_workers(&self) {
        if let Ok(live) = self.workers() {
            self.inner
                .workers_seen
                .store(live.len().max(self.inner.local_count), Ordering::Relaxed);
        }
    }

    /// Python's default chunk size: `len / (4 * workers)`, rounded up (workers: those alive
    /// on the broker when the pool last looked, at least the local ones, at least 1).
    fn default_chunksize(&self, len: usize) -> usize {
        let workers = self.inner.workers_seen.load(Ordering::Relaxed).max(1);
        len.div_ceil(4 * workers).max(1)
    }

    /// The broker was lost: tries once to get it back (bounded by the broker timeout), for
    /// the call about to be made. On success the pool works as before: its key made again,
    /// new connections, a new reader thread, and the result stream read from past what it
    /// held (the calls that were in flight have failed already and stay failed). On failure
    /// the call fails with [`TaskErrorKind::BrokerLost`], as before.
    fn revive(&self) {
        let _one = self.revive.lock();
        let (generation, why) = {
            let mut st = self.inner.state.lock();
            let Some(why) = st.broken.clone() else {
                return; // another caller got it back meanwhile
            };
            if st.terminated {
                return;
            }
            // From here on, what the old connections report breaks nothing.
            st.generation += 1;
            (st.generation, why)
        };
        let inner = &self.inner;
        let fail = |again: String| {
            let mut st = inner.state.lock();
            st.broken = Some(format!("{why}; reconnecting failed: {again}"));
        };
        let mut conn = match inner.broker.connect() {
            Ok(conn) => conn,
            Err(e) => return fail(e.to_string()),
        };
        let mut pipe = register_pool(&inner.id, &inner.name);
        // The newest result: what the stream holds up to it answers calls that failed already.
        pipe.cmd("XREVRANGE")
            .arg(&inner.results_key)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1);
        let newest = match conn.pipe(&pipe) {
            Ok(replies) => replies.last().map(broker::entries).unwrap_or_default(),
            Err(e) => return fail(e),
        };
        let reader_conn = match inner.broker.connect() {
            Ok(conn) => conn,
            Err(e) => return fail(e.to_string()),
        };
        // The old reader thread stops (unblocked if it waits on a live connection).
        if let Some(client) = inner.reading.nudge() {
            let _ = conn.query(redis::cmd("CLIENT").arg("UNBLOCK").arg(client));
        }
        let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = reader.take() {
            let _ = old.join();
        }
        // The seat's connection is made again on first use.
        inner.reading.lock_seat().drop_conn();
        if let Some(id) = newest.first().and_then(|e| EntryId::parse(&e.id)) {
            inner.reading.skip_to(id);
        }
        *inner.conn.lock() = Some(conn);
        let spawned = {
            let inner = Arc::clone(inner);
            std::thread::Builder::new()
                .name("potok-cluster-results".into())
                .spawn(move || read_results(&inner, reader_conn, generation))
        };
        match spawned {
            Ok(handle) => {
                *reader = Some(handle);
                inner.state.lock().broken = None;
            }
            Err(e) => fail(format!("no reader thread: {e}")),
        }
    }

    /// Cuts the items into chunks of `chunksize`, registers each and queues it in Redis.
    fn submit<F: Task>(
        &self,
        f: F,
        items: Vec<F::Args>,
        chunksize: usize,
        track_arrival: bool,
    ) -> Result<Arc<Results<F::Output>>, Vec<F::Args>> {
        {
            let st = self.inner.state.lock();
            if st.closed || st.terminated {
                return Err(items);
            }
        }
        if self.inner.state.lock().broken.is_some() {
            self.revive();
        }
        let len = items.len();
        let pump: Arc<dyn Pump> = self.inner.clone();
        let results = Results::<F::Output>::new(len, track_arrival, pump);
        let sink: Arc<dyn Sink> = results.clone();
        if let Some(why) = self.inner.state.lock().broken.clone() {
            sink.fail(0, len, TaskErrorKind::BrokerLost(why));
            return Ok(results);
        }
        let header = postcard::to_allocvec(&TaskId::of(f)).expect("a TaskId encodes");
        let chunksize = chunksize.max(1);
        let mut batch: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut batch_bytes = 0;
        let mut chunk_items: Vec<u8> = Vec::new();
        let mut chunk_first = 0;
        let mut chunk_count = 0;
        // Registers a chunk, under the lock `terminate` and a lost broker take to fail every
        // registered chunk: a chunk is either registered before (and failed by them) or, after
        // them, failed here and never queued. Nothing falls between, so no call waits for an
        // answer nobody will give.
        let flush_chunk =
            |first: usize, count: usize, items: &mut Vec<u8>| -> Option<(u64, Vec<u8>)> {
                let mut payload = postcard::to_allocvec(&(count as u64)).expect("a count encodes");
                payload.append(items);
                let mut st = self.inner.state.lock();
                let gone = if st.terminated {
                    Some(TaskErrorKind::Terminated)
                } else {
                    st.broken.clone().map(TaskErrorKind::BrokerLost)
                };
                if let Some(kind) = gone {
                    drop(st);
                    sink.fail(first, count, kind);
                    return None;
                }
                let no = st.next_chunk;
                st.next_chunk += 1;
                st.chunks.insert(
                    no,
                    Chunk {
                        sink: Arc::clone(&sink),
                        first,
                        count,
                        entry: None,
                    },
                );
                Some((no, payload))
            };
        let mut scratch: Vec<u8> = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            scratch.clear();
            match postcard::to_extend(&item, std::mem::take(&mut scratch)) {
                Ok(bytes) => {
                    scratch = bytes;
                    if scratch.len() > MAX_ENTRY_BYTES {
                        sink.fail(
                            index,
                            1,
                            TaskErrorKind::Encode(format!(
                                "the argument takes {} bytes encoded, more than one entry may \
                                 carry ({MAX_ENTRY_BYTES})",
                                scratch.len()
                            )),
                        );
                        continue;
                    }
                    if chunk_count > 0 && chunk_items.len() + scratch.len() > MAX_ENTRY_BYTES {
                        // Too much for one entry: the chunk ends before this item.
                        if let Some(c) = flush_chunk(chunk_first, chunk_count, &mut chunk_items) {
                            batch_bytes += c.1.len();
                            batch.push(c);
                        }
                        chunk_count = 0;
                    }
                    if chunk_count == 0 {
                        chunk_first = index;
                    }
                    chunk_items.extend_from_slice(&scratch);
                    chunk_count += 1;
                }
                Err(err) => {
                    sink.fail(
                        index,
                        1,
                        TaskErrorKind::Encode(format!(
                            "the argument could not be encoded as {}: {err}",
                            std::any::type_name::<F::Args>()
                        )),
                    );
                    // A chunk covers consecutive items: the one before the gap goes now.
                    if chunk_count > 0 {
                        if let Some(c) = flush_chunk(chunk_first, chunk_count, &mut chunk_items) {
                            batch_bytes += c.1.len();
                            batch.push(c);
                        }
                        chunk_count = 0;
                    }
                }
            }
            if chunk_count == chunksize {
                if let Some(c) = flush_chunk(chunk_first, chunk_count, &mut chunk_items) {
                    batch_bytes += c.1.len();
                    batch.push(c);
                }
                chunk_count = 0;
            }
            if batch.len() >= PIPELINE || batch_bytes >= MAX_ENTRY_BYTES {
                self.send(&header, std::mem::take(&mut batch), false);
                batch_bytes = 0;
            }
        }
        if chunk_count > 0 {
            batch.extend(flush_chunk(chunk_first, chunk_count, &mut chunk_items));
        }
        if !batch.is_empty() {
            self.send(&header, batch, true);
        }
        Ok(results)
    }

    /// XADDs a batch of chunks in one round trip and records their entry ids. The `last`
    /// batch of a call goes with an XREAD of the results on the seat's connection when the
    /// seat is free, and returns without waiting for the broker (see `reader.rs`).
    fn send(&self, header: &[u8], batch: Vec<(u64, Vec<u8>)>, last: bool) {
        let inner = &self.inner;
        let xadds: Vec<redis::Cmd> = batch
            .iter()
            .map(|(no, payload)| inner.xadd(header, *no, payload))
            .collect();
        let nos: Vec<u64> = batch.iter().map(|(no, _)| *no).collect();
        drop(batch);
        let generation = inner.generation();
        if last && inner.send_with_read(generation, xadds.clone(), nos.clone()) {
            return;
        }
        let mut pipe = redis::pipe();
        for cmd in xadds {
            pipe.add_command(cmd);
        }
        match inner.with_conn(|c| c.pipe(&pipe)) {
            Ok(ids) => {
                inner.record_entries(&nos, &ids);
                // Lost meanwhile (by a reader): nobody reads any more, so these fail too.
                let broken = inner.state.lock().broken.clone();
                if let Some(why) = broken {
                    inner.break_with(generation, why);
                }
            }
            Err(why) => inner.break_with(generation, why),
        }
    }

    /// Applies `f` to every item on the workers and returns the results in order (Python's
    /// `map`, with its default chunk size: `len / (4 * workers)` rounded up).
    ///
    /// # Errors
    ///
    /// [`MapError::Task`] with the failed task of lowest index (the others still ran; a lost
    /// broker fails them all with [`TaskErrorKind::BrokerLost`]), or [`MapError::Closed`] if
    /// the pool no longer takes work.
    pub fn map<T, R>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Vec<R>, MapError>
    where
        T: Data,
        R: Data,
    {
        let items: Vec<T> = items.into_iter().collect();
        let chunksize = self.default_chunksize(items.len());
        self.map_chunked(f, items, chunksize)
    }

    /// [`map`](Self::map) with an explicit chunk size (items per stream entry).
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    pub fn map_chunked<T, R>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
        chunksize: usize,
    ) -> Result<Vec<R>, MapError>
    where
        T: Data,
        R: Data,
    {
        self.run_all(f, items.into_iter().collect(), Some(chunksize))
    }

    /// Like [`map`](Self::map), for functions of two arguments given as pairs (Python's
    /// `starmap`).
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    pub fn starmap<A, B, R>(
        &self,
        f: fn(A, B) -> R,
        items: impl IntoIterator<Item = (A, B)>,
    ) -> Result<Vec<R>, MapError>
    where
        A: Data,
        B: Data,
        R: Data,
    {
        self.run_all(f, items.into_iter().collect(), None)
    }

    fn run_all<F: Task>(
        &self,
        f: F,
        items: Vec<F::Args>,
        chunksize: Option<usize>,
    ) -> Result<Vec<F::Output>, MapError> {
        let chunksize = chunksize.unwrap_or_else(|| self.default_chunksize(items.len()));
        let results = self
            .submit(f, items, chunksize, false)
            .map_err(|_| MapError::Closed)?;
        Ok(results.collect()?)
    }

    /// Calls `f(arg)` on a worker and waits for the result (Python's `apply`).
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    pub fn apply<T, R>(&self, f: fn(T) -> R, arg: T) -> Result<R, MapError>
    where
        T: Data,
        R: Data,
    {
        let pending = self.apply_async(f, arg).map_err(|_| MapError::Closed)?;
        Ok(pending.get()?)
    }

    /// Queues `f(arg)` and returns at once (Python's `apply_async`).
    ///
    /// # Errors
    ///
    /// [`Closed`] with `arg` if the pool no longer takes work.
    pub fn apply_async<T, R>(&self, f: fn(T) -> R, arg: T) -> Result<AsyncResult<R>, Closed<T>>
    where
        T: Data,
        R: Data,
    {
        match self.submit(f, vec![arg], 1, false) {
            Ok(results) => Ok(AsyncResult::new(results)),
            Err(mut items) => Err(Closed::new(items.pop().expect("one item"))),
        }
    }

    /// Applies `f` to every item and yields the results in order, each as soon as it is ready
    /// (Python's `imap`, chunk size 1).
    ///
    /// # Errors
    ///
    /// [`MapError::Closed`] if the pool no longer takes work; each task's own error comes
    /// from the iterator.
    pub fn imap<T, R>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
    ) -> Result<IMap<R>, MapError>
    where
        T: Data,
        R: Data,
    {
        self.imap_chunked(f, items, 1)
    }

    /// [`imap`](Self::imap) with an explicit chunk size.
    ///
    /// # Errors
    ///
    /// As for [`imap`](Self::imap).
    pub fn imap_chunked<T, R>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
        chunksize: usize,
    ) -> Result<IMap<R>, MapError>
    where
        T: Data,
        R: Data,
    {
        let items: Vec<T> = items.into_iter().collect();
        let len = items.len();
        let results = self
            .submit(f, items, chunksize, false)
            .map_err(|_| MapError::Closed)?;
        Ok(IMap::new(results, len))
    }

    /// Like [`imap`](Self::imap), but yields results in the order they finish (Python's
    /// `imap_unordered`).
    ///
    /// # Errors
    ///
    /// As for [`imap`](Self::imap).
    pub fn imap_unordered<T, R>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
    ) -> Result<IMapUnordered<R>, MapError>
    where
        T: Data,
        R: Data,
    {
        self.imap_unordered_chunked(f, items, 1)
    }

    /// [`imap_unordered`](Self::imap_unordered) with an explicit chunk size.
    ///
    /// # Errors
    ///
    /// As for [`imap`](Self::imap).
    pub fn imap_unordered_chunked<T, R>(
        &self,
        f: fn(T) -> R,
        items: impl IntoIterator<Item = T>,
        chunksize: usize,
    ) -> Result<IMapUnordered<R>, MapError>
    where
        T: Data,
        R: Data,
    {
        let items: Vec<T> = items.into_iter().collect();
        let len = items.len();
        let results = self
            .submit(f, items, chunksize, true)
            .map_err(|_| MapError::Closed)?;
        Ok(IMapUnordered::new(results, len))
    }

    /// Takes no more work; what is queued still runs (Python's `close`).
    pub fn close(&self) {
        self.inner.state.lock().closed = true;
    }

    /// Removes the pool's queued tasks and results from Redis and stops its local workers;
    /// the tasks in flight fail with [`TaskErrorKind::Terminated`] (Python's `terminate`).
    /// Workers running one of its tasks finish it, and the answer is dropped.
    pub fn terminate(&self) {
        let chunks: Vec<Chunk> = {
            let mut st = self.inner.state.lock();
            if st.terminated {
                Vec::new()
            } else {
                st.terminated = true;
                st.closed = true;
                st.chunks.drain().map(|(_, c)| c).collect()
            }
        };
        self.inner.idle.notify_all();
        // A call sent with its read may not have its entry ids read yet: read them now (the
        // entries are removed, their chunks being gone from the table).
        self.inner.drain_sent();
        let id = &self.inner.id;
        let mut pipe = redis::pipe();
        // The pool's key first: a worker that sees it gone drops the pool's tasks.
        pipe.cmd("DEL")
            .arg(broker::pool_key(id))
            .arg(broker::results_key(id))
            .arg(broker::who_key(id));
        for ids in chunks
            .iter()
            .filter_map(|c| c.entry.as_deref())
            .collect::<Vec<_>>()
            .chunks(500)
        {
            pipe.cmd("XACK")
                .arg(broker::TASKS)
                .arg(broker::GROUP)
                .arg(ids);
            pipe.cmd("XDEL").arg(broker::TASKS).arg(ids);
        }
        let _ = self.inner.with_conn(|c| c.pipe(&pipe));
        for c in chunks {
            c.sink.fail(c.first, c.count, TaskErrorKind::Terminated);
        }
        self.stop_threads();
    }

    fn stop_threads(&self) {
        self.inner.stop.store(true, Ordering::Release);
        if let Some(client) = self.inner.reading.stop() {
            // Not to wait out the reader thread's XREAD.
            let _ = self
                .inner
                .with_conn(|c| c.query(redis::cmd("CLIENT").arg("UNBLOCK").arg(client)));
        }
        if let Some(reader) = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = reader.join();
        }
        if let Some(local) = self.local.lock().take() {
            let names: Vec<String> = local
                .pids()
                .iter()
                .map(|p| format!("{}:{p}", broker::hostname()))
                .collect();
            local.stop();
            // Killed workers cannot say goodbye: take them off the registry (else they would
            // be counted until their liveness key expires).
            if !names.is_empty() {
                let mut pipe = redis::pipe();
                pipe.cmd("HDEL").arg(broker::WORKERS).arg(&names);
                for n in &names {
                    pipe.cmd("DEL").arg(format!("potok:worker:{n}"));
                }
                let _ = self.inner.with_conn(|c| c.pipe(&pipe));
            }
        }
    }

    /// Waits until every task queued before [`close`](Self::close) has its answer (or the
    /// broker is lost), then stops the local workers and removes the pool from Redis (Python's
    /// `join`).
    ///
    /// # Errors
    ///
    /// [`StillRunning`] if the pool was neither closed nor terminated.
    pub fn join(&self) -> Result<(), StillRunning> {
        {
            let st = self.inner.state.lock();
            if !st.closed && !st.terminated {
                return Err(StillRunning);
            }
        }
        // The reader thread reads for a waiting follower at once.
        self.inner.reading.follow();
        {
            let mut st = self.inner.state.lock();
            while !st.chunks.is_empty() {
                self.inner.idle.wait(&mut st);
            }
        }
        self.inner.reading.unfollow();
        self.terminate();
        Ok(())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.terminate();
        *self.inner.conn.lock() = None;
    }
}

/// The commands that make (or make again) the pool's key `potok:pool:ID`, with its TTL.
fn register_pool(id: &str, name: &str) -> redis::Pipeline {
    let key = broker::pool_key(id);
    let mut pipe = redis::pipe();
    pipe.cmd("HSET")
        .arg(&key)
        .arg("name")
        .arg(name)
        .arg("host")
        .arg(broker::hostname())
        .arg("pid")
        .arg(std::process::id())
        .arg("build")
        .arg(build_id());
    // Kept if the broker still had it (it only stalled).
    pipe.cmd("HSETNX").arg(&key).arg("duplicates").arg(0);
    pipe.cmd("PEXPIRE")
        .arg(&key)
        .arg(POOL_TTL.as_millis() as u64);
    pipe
}

/// The workers alive on the broker (and forgets those whose liveness key expired).
fn live_workers(conn: &mut Conn) -> Result<Vec<String>, String> {
    let names = conn.query(redis::cmd("HKEYS").arg(broker::WORKERS))?;
    let names: Vec<String> = broker::array(&names).iter().map(broker::text).collect();
    if names.is_empty() {
        return Ok(names);
    }
    let mut pipe = redis::pipe();
    for n in &names {
        pipe.cmd("EXISTS").arg(format!("potok:worker:{n}"));
    }
    let alive = conn.pipe(&pipe)?;
    let mut live = Vec::new();
    let mut gone = Vec::new();
    for (n, a) in names.into_iter().zip(alive) {
        if broker::int(&a) == Some(1) {
            live.push(n);
        } else {
            gone.push(n);
        }
    }
    if !gone.is_empty() {
        conn.query(redis::cmd("HDEL").arg(broker::WORKERS).arg(&gone))?;
    }
    Ok(live)
}

/// The reader thread: takes finished chunks off the pool's result stream when no waiting
/// caller does (see `reader.rs`); keeps the pool's keys alive; fails everything if the broker
/// goes.
fn read_results(inner: &Inner, mut conn: Conn, generation: u64) {
    let meta = broker::pool_key(&inner.id);
    let who = broker::who_key(&inner.id);
    let client = conn
        .query(redis::cmd("CLIENT").arg("ID"))
        .ok()
        .and_then(|v| broker::int(&v));
    inner.reading.set_thread_client(client);
    let results = &inner.results_key;
    let mut last_upkeep = Instant::now();
    loop {
        let turn = inner.reading.thread_turn(
            || inner.in_flight(),
            last_upkeep + Duration::from_secs(1),
            || inner.generation() != generation,
        );
        match turn {
            Turn::Stop => return,
            Turn::Upkeep => {}
            Turn::Read => {
                let reply = conn.query_blocking(&inner.xread(READ_BLOCK), READ_BLOCK);
                inner.reading.thread_read_done();
                match reply {
                    Ok(r) => inner.hand_out(&broker::read_reply(&r)),
                    Err(why) => {
                        if !inner.stop.load(Ordering::Acquire) {
                            inner.break_with(generation, why);
                        }
                        return;
                    }
                }
            }
        }
        // Once a second (not after every read, which would put a round trip between one
        // answer and the next): trim what was read, and keep the pool's keys alive.
        let upkeep = last_upkeep.elapsed() >= Duration::from_secs(1);
        if upkeep {
            let mut pipe = redis::pipe();
            let last = inner.reading.cursor().to_string();
            pipe.cmd("XTRIM").arg(results).arg("MINID").arg(last);
            let ttl = POOL_TTL.as_millis() as u64;
            pipe.cmd("PEXPIRE").arg(&meta).arg(ttl);
            pipe.cmd("PEXPIRE").arg(results).arg(ttl);
            pipe.cmd("PEXPIRE").arg(&who).arg(ttl);
            pipe.cmd("EXISTS").arg(&meta);
            match conn.pipe(&pipe) {
                Ok(replies) => {
                    if broker::int(replies.last().unwrap_or(&redis::Value::Nil)) == Some(0) {
                        inner.break_with(
                            generation,
                            format!(
                            "{}: the pool's state is gone from the broker (restarted, flushed, \
                             or the pool stalled for more than {POOL_TTL:?})",
                            conn.shown
                        ),
                        );
                        return;
                    }
                }
                Err(why) => {
                    if !inner.stop.load(Ordering::Acquire) {
                        inner.break_with(generation, why);
                    }
                    return;
                }
            }
            last_upkeep = Instant::now();
            if let Ok(live) = live_workers(&mut conn) {
                inner
                    .workers_seen
                    .store(live.len().max(inner.local_count), Ordering::Relaxed);
            }
        }
    }
}

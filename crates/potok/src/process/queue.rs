//! [`Queue`]: Python's `multiprocessing.Queue`, a FIFO shared by processes.
//!
//! The items live in the process that created the queue, in a *broker*: the queue's state
//! plus a Unix socket in the abstract namespace (`potok-queue-<pid>-<n>-<nonce>`) that handles
//! in other processes connect to, one broker thread per connection. The creating process works
//! on the state directly; another process sends one message per `put` (no reply needed on an
//! unbounded queue, so puts stream) and one round trip per `get`. A handle in another process
//! keeps two connections, one for puts (and `qsize`) and one for gets, each behind its own
//! lock, so that a `get` waiting for an item in one thread does not block a `put` from another
//! thread on the same handle.
//!
//! A handle reaches another process by serialization (inside a [`Process`](super::Process)'s
//! argument, a pool task's argument, or down a [`Connection`](super::Connection)): it encodes
//! as the broker's address. The broker lives while the creating process holds a handle, while
//! any other process is connected, and while an encoded handle has not yet connected; then its
//! thread ends.
//!
//! The abstract namespace has no file permissions, so the broker closes at once every
//! connection from a process whose uid (`SO_PEERCRED`) is not its own.
//!
//! # Broker state machine (per connection)
//!
//! ```text
//!  accept ──▶ HELLO ──▶ serve: PUT ─▶ (bounded: wait for room, then OK / FULL) ─┐
//!                              GET ─▶ wait for an item: ITEM / EMPTY ───────────┤
//!                              SIZE ─▶ COUNT ───────────────────────────────────┤
//!                         ▲                                                     │
//!                         └─────────────────────────────────────────────────────┘
//!                         EOF or a broken frame ─▶ connection closed, count drops
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::data::{decode_exact, encode_into, Data};
use super::error::{GetError, PutError, PutTimeoutError, TryGetError, TryPutError};
use super::timeout::millis_up;
use super::wire::tag::queue as tag;
use super::wire::{self, Fields, FrameBuf};

/// Why a put did not happen, before it is shaped into the error of the operation.
enum PutFail {
    Full,
    Encode(String),
    Disconnected,
}

/// Why a get did not happen, before it is shaped into the error of the operation.
enum GetFail {
    Empty,
    Decode(String),
    Disconnected,
}

impl From<GetFail> for TryGetError {
    fn from(fail: GetFail) -> Self {
        match fail {
            GetFail::Empty => TryGetError::Empty,
            GetFail::Decode(why) => TryGetError::Decode(why),
            GetFail::Disconnected => TryGetError::Disconnected,
        }
    }
}

/// "Wait without a limit", in a message's timeout field.
const FOREVER: u64 = u64::MAX;

struct State {
    items: VecDeque<Vec<u8>>,
    /// Handles in this process.
    owners: usize,
    /// Open connections from other handles.
    connections: usize,
    /// Handles encoded but not yet connected.
    in_flight: usize,
    shut: bool,
}

struct Broker {
    name: String,
    maxsize: usize,
    state: Mutex<State>,
    not_empty: Condvar,
    not_full: Condvar,
    listener: UnixListener,
}

impl Broker {
    fn is_full(&self, st: &State) -> bool {
        self.maxsize > 0 && st.items.len() >= self.maxsize
    }

    /// Puts encoded bytes, waiting for room until `deadline` (`None`: forever); false if full.
    fn put(&self, bytes: Vec<u8>, deadline: Option<Instant>) -> bool {
        let mut st = self.state.lock();
        while self.is_full(&st) {
            match deadline {
                Some(d) => {
                    if self.not_full.wait_until(&mut st, d).timed_out() && self.is_full(&st) {
                        return false;
                    }
                }
                None => self.not_full.wait(&mut st),
            }
        }
        st.items.push_back(bytes);
        drop(st);
        self.not_empty.notify_one();
        true
    }

    /// Takes the oldest item, waiting until `deadline` (`None`: forever).
    fn get(&self, deadline: Option<Instant>) -> Option<Vec<u8>> {
        let mut st = self.state.lock();
        loop {
            if let Some(item) = st.items.pop_front() {
                drop(st);
                if self.maxsize > 0 {
                    self.not_full.notify_one();
                }
                return Some(item);
            }
            match deadline {
                Some(d) => {
                    if self.not_empty.wait_until(&mut st, d).timed_out() && st.items.is_empty() {
                        return None;
                    }
                }
                None => self.not_empty.wait(&mut st),
            }
        }
    }

    fn len(&self) -> usize {
        self.state.lock().items.len()
    }

    /// Stops accepting once nobody can use the queue any more.
    fn release(&self, f: impl FnOnce(&mut State)) {
        let mut st = self.state.lock();
        f(&mut st);
        if !st.shut && st.owners == 0 && st.connections == 0 && st.in_flight == 0 {
            st.shut = true;
            // Wakes the accept() below (std has no shutdown for a listener).
            let _ = rustix::net::shutdown(&self.listener, rustix::net::Shutdown::Both);
        }
    }
}

fn deadline_of(timeout_ms: u64) -> Option<Instant> {
    if timeout_ms == FOREVER {
        return None;
    }
    Instant::now().checked_add(Duration::from_millis(timeout_ms))
}

/// Whether the process at the other end of `stream` runs as our effective uid. The broker's
/// socket is in the abstract namespace, which has no file permissions: anyone on the machine
/// can connect, so the credentials the kernel recorded at `connect` decide.
fn peer_is_same_user(stream: &UnixStream) -> bool {
    rustix::net::sockopt::socket_peercred(stream)
        .is_ok_and(|cred| cred.uid == rustix::process::geteuid())
}

fn accept_loop(broker: Arc<Broker>) {
    loop {
        match broker.listener.accept() {
            Ok((stream, _)) => {
                if broker.state.lock().shut {
                    return;
                }
                if !peer_is_same_user(&stream) {
                    // Another user's process: closed unanswered.
                    continue;
                }
                broker.state.lock().connections += 1;
                let broker = Arc::clone(&broker);
                let spawned = std::thread::Builder::new()
                    .name(format!("{}-conn", broker.name))
                    .spawn({
                        let broker = Arc::clone(&broker);
                        move || serve(&broker, stream)
                    });
                if spawned.is_err() {
                    broker.release(|st| st.connections -= 1);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn serve(broker: &Broker, stream: UnixStream) {
    let mut buf = Vec::new();
    let mut reader = match stream.try_clone() {
        Ok(r) => r,
        Err(_) => return broker.release(|st| st.connections -= 1),
    };
    while let Ok(true) = wire::read_frame(&mut reader, &mut buf) {
        let reply = match buf[0] {
            tag::HELLO => {
                let from_encoded = Fields::new(&buf).u64().unwrap_or(0) == 1;
                if from_encoded {
                    broker.release(|st| st.in_flight = st.in_flight.saturating_sub(1));
                }
                None
            }
            tag::PUT => {
                let mut fields = Fields::new(&buf);
                let timeout = fields.u64().unwrap_or(FOREVER);
                let ok = broker.put(fields.rest().to_vec(), deadline_of(timeout));
                // An unbounded queue never refuses, so its puts get no reply.
                (broker.maxsize > 0).then(|| FrameBuf::new(if ok { tag::OK } else { tag::FULL }))
            }
            tag::GET => {
                let timeout = Fields::new(&buf).u64().unwrap_or(FOREVER);
                Some(match broker.get(deadline_of(timeout)) {
                    Some(item) => {
                        let mut frame = FrameBuf::with_capacity(tag::ITEM, item.len());
                        frame.bytes(&item);
                        frame
                    }
                    None => FrameBuf::new(tag::EMPTY),
                })
            }
            // Everything this connection sent before is in the queue now.
            tag::SYNC => Some(FrameBuf::new(tag::OK)),
            tag::SIZE => {
                let mut frame = FrameBuf::new(tag::COUNT);
                frame.u64(broker.len() as u64);
                Some(frame)
            }
            _ => break,
        };
        if let Some(reply) = reply {
            let Ok(bytes) = reply.finish() else { break };
            if wire::send_all(&stream, &bytes).is_err() {
                break;
            }
        }
    }
    broker.release(|st| st.connections -= 1);
}

/// Which of a remote handle's two connections a request uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Channel {
    /// Puts, `SYNC` and `SIZE`.
    Puts,
    /// Gets, which may wait long for an item: on their own connection, so that a blocked
    /// `get` in one thread never holds up a `put` from another thread on the same handle.
    Gets,
}

/// One connection to the broker and its read buffer; `None` until (re)connected.
type Conn = Mutex<Option<(UnixStream, Vec<u8>)>>;

/// A handle in another process: two connections to the broker, one for puts and one for
/// gets, each behind its own lock (Python allows `put` and `get` from different threads).
struct Remote {
    name: String,
    maxsize: usize,
    puts: Conn,
    gets: Conn,
    /// Puts sent without a reply (unbounded queue) since the last round trip on `puts`.
    unconfirmed: std::sync::atomic::AtomicBool,
}

impl Drop for Remote {
    /// Waits until the broker has taken every put this handle streamed, so that whatever
    /// happens after the handle is gone (the process ends, its parent joins it and puts a
    /// sentinel) comes after those items in the queue.
    fn drop(&mut self) {
        if self.unconfirmed.load(Ordering::Relaxed) {
            if let Some((stream, _)) = self.puts.get_mut() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            }
            let _ = self.request(Channel::Puts, FrameBuf::new(tag::SYNC), true, |_| ());
        }
    }
}

impl Remote {
    fn new(name: String, maxsize: usize, puts: Option<UnixStream>) -> Remote {
        Remote {
            name,
            maxsize,
            puts: Mutex::new(puts.map(|s| (s, Vec::new()))),
            gets: Mutex::new(None),
            unconfirmed: false.into(),
        }
    }

    fn connect(name: &str, from_encoded: bool) -> io::Result<UnixStream> {
        let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
        let stream = UnixStream::connect_addr(&addr)?;
        let mut hello = FrameBuf::new(tag::HELLO);
        hello.u64(u64::from(from_encoded));
        let bytes = hello
            .finish()
            .map_err(|e| io::Error::other(e.to_string()))?;
        wire::send_all(&stream, &bytes)?;
        Ok(stream)
    }

    /// Before a get: makes sure every put this handle streamed on the other connection has
    /// reached the queue, so a handle still sees its own puts in order.
    fn confirm_puts(&self) -> io::Result<()> {
        if self.unconfirmed.load(Ordering::Relaxed) {
            self.request(Channel::Puts, FrameBuf::new(tag::SYNC), true, |_| ())?;
        }
        Ok(())
    }

    /// Sends a request on one connection and reads the reply (if one is expected) into that
    /// connection's buffer.
    fn request<R>(
        &self,
        channel: Channel,
        frame: FrameBuf,
        expect_reply: bool,
        on_reply: impl FnOnce(&[u8]) -> R,
    ) -> io::Result<Option<R>> {
        let bytes = frame
            .finish()
            .map_err(|e| io::Error::other(e.to_string()))?;
        let mut guard = match channel {
            Channel::Puts => self.puts.lock(),
            Channel::Gets => self.gets.lock(),
        };
        if guard.is_none() {
            *guard = Some((Remote::connect(&self.name, false)?, Vec::new()));
        }
        let (stream, buf) = guard.as_mut().expect("connected above");
        let outcome = (|| {
            wire::send_all(stream, &bytes)?;
            if !expect_reply {
                // Only puts stream without a reply.
                self.unconfirmed.store(true, Ordering::Relaxed);
                return Ok(None);
            }
            if channel == Channel::Puts {
                // The reply comes after every earlier message on this connection was handled.
                self.unconfirmed.store(false, Ordering::Relaxed);
            }
            match wire::read_frame(stream, buf) {
                Ok(true) => Ok(Some(on_reply(buf))),
                Ok(false) => Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
                Err(err) => Err(io::Error::other(err.to_string())),
            }
        })();
        if outcome.is_err() {
            *guard = None;
        }
        outcome
    }
}

enum Side {
    Owner(Arc<Broker>),
    Remote(Remote),
}

/// A FIFO queue shared by processes: Python's `multiprocessing.Queue(maxsize)`.
///
/// Hand it to another process by moving a clone into a [`Process`](super::Process)'s or a
/// pool task's argument. Items are serde values (postcard bytes); they live in the process
/// that created the queue (see the module notes for the trade-offs).
///
/// # Examples
///
/// ```
/// use potok::process::{Queue, TryGetError};
/// use std::time::Duration;
///
/// let q: Queue<String> = Queue::new(2).unwrap();
/// q.put("first".to_string()).unwrap();
/// q.try_put("second".to_string()).unwrap();
/// assert!(q.try_put("third".to_string()).is_err()); // full
/// assert_eq!(q.qsize(), 2);
/// assert_eq!(q.get().unwrap(), "first");
/// assert_eq!(q.get_timeout(Duration::from_millis(10)).unwrap(), "second");
/// assert_eq!(q.try_get(), Err(TryGetError::Empty));
/// ```
///
/// Across processes:
///
/// ```no_run
/// // no_run: starts a child process (see `potok::process::init`).
/// use potok::process::{Process, Queue};
///
/// fn produce(q: Queue<u64>) {
///     for i in 0..10 {
///         q.put(i).unwrap();
///     }
/// }
///
/// fn main() {
///     potok::main(|| {
///         let q = Queue::new(0).unwrap();
///         let mut p = Process::new(produce, q.clone());
///         p.start().unwrap();
///         let got: Vec<u64> = (0..10).map(|_| q.get().unwrap()).collect();
///         assert_eq!(got, (0..10).collect::<Vec<_>>());
///         p.join().unwrap();
///     });
/// }
/// ```
pub struct Queue<T> {
    side: Side,
    _marker: PhantomData<fn(T) -> T>,
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, owner) = match &self.side {
            Side::Owner(b) => (&b.name, true),
            Side::Remote(r) => (&r.name, false),
        };
        f.debug_struct("Queue")
            .field("name", name)
            .field("owner", &owner)
            .finish()
    }
}

impl<T: Data> Queue<T> {
    /// A new queue holding at most `maxsize` items (0: unbounded, as in Python).
    ///
    /// # Errors
    ///
    /// The system's error if the broker's socket or thread cannot be made.
    pub fn new(maxsize: usize) -> io::Result<Queue<T>> {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        // Names must not collide with a queue of an earlier process that had the same pid.
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let name = format!(
            "potok-queue-{}-{}-{nonce:x}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
        let listener = UnixListener::bind_addr(&addr)?;
        let broker = Arc::new(Broker {
            name: name.clone(),
            maxsize,
            state: Mutex::new(State {
                items: VecDeque::new(),
                owners: 1,
                connections: 0,
                in_flight: 0,
                shut: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            listener,
        });
        let accept = Arc::clone(&broker);
        std::thread::Builder::new()
            .name(name)
            .spawn(move || accept_loop(accept))?;
        Ok(Queue {
            side: Side::Owner(broker),
            _marker: PhantomData,
        })
    }

    fn maxsize(&self) -> usize {
        match &self.side {
            Side::Owner(b) => b.maxsize,
            Side::Remote(r) => r.maxsize,
        }
    }

    fn put_until(&self, item: T, timeout_ms: u64) -> Result<(), (T, PutFail)> {
        let mut bytes = Vec::new();
        if let Err(err) = encode_into(&item, &mut bytes) {
            let why = format!("{} does not serialize: {err}", std::any::type_name::<T>());
            return Err((item, PutFail::Encode(why)));
        }
        match &self.side {
            Side::Owner(broker) => {
                if broker.put(bytes, deadline_of(timeout_ms)) {
                    Ok(())
                } else {
                    Err((item, PutFail::Full))
                }
            }
            Side::Remote(remote) => {
                let mut frame = FrameBuf::with_capacity(tag::PUT, 8 + bytes.len());
                frame.u64(timeout_ms).bytes(&bytes);
                let bounded = remote.maxsize > 0;
                match remote.request(Channel::Puts, frame, bounded, |reply| reply[0] == tag::OK) {
                    Ok(None) | Ok(Some(true)) => Ok(()),
                    Ok(Some(false)) => Err((item, PutFail::Full)),
                    Err(_) => Err((item, PutFail::Disconnected)),
                }
            }
        }
    }

    /// Puts an item, waiting for room if the queue is bounded and full (Python's `put(item)`).
    ///
    /// # Errors
    ///
    /// [`PutError::Encode`] or [`PutError::Disconnected`], with the item.
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_until(item, FOREVER)
            .map_err(|(item, fail)| match fail {
                PutFail::Encode(why) => PutError::Encode(item, why),
                // A put without a deadline waits for room: only a broker that went away ends it.
                PutFail::Full | PutFail::Disconnected => PutError::Disconnected(item),
            })
    }

    /// Puts an item, waiting at most `timeout` for room (Python's `put(item, timeout=t)`); a
    /// timeout below a millisecond is rounded up to one, one too long to represent waits
    /// forever.
    ///
    /// # Errors
    ///
    /// [`PutTimeoutError::Full`] after the timeout, [`PutTimeoutError::Encode`] or
    /// [`PutTimeoutError::Disconnected`]; with the item.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutTimeoutError<T>> {
        let ms = millis_up(timeout, FOREVER).unwrap_or(FOREVER);
        self.put_until(item, ms).map_err(|(item, fail)| match fail {
            PutFail::Full => PutTimeoutError::Full(item),
            PutFail::Encode(why) => PutTimeoutError::Encode(item, why),
            PutFail::Disconnected => PutTimeoutError::Disconnected(item),
        })
    }

    /// Puts an item if there is room now (Python's `put_nowait`).
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`], [`TryPutError::Encode`] or [`TryPutError::Disconnected`]; with
    /// the item.
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        self.put_until(item, 0).map_err(|(item, fail)| match fail {
            PutFail::Full => TryPutError::Full(item),
            PutFail::Encode(why) => TryPutError::Encode(item, why),
            PutFail::Disconnected => TryPutError::Disconnected(item),
        })
    }

    fn get_until(&self, timeout_ms: u64) -> Result<T, GetFail> {
        let decode = |bytes: &[u8]| decode_exact::<T>(bytes).map_err(GetFail::Decode);
        match &self.side {
            Side::Owner(broker) => match broker.get(deadline_of(timeout_ms)) {
                Some(bytes) => decode(&bytes),
                None => Err(GetFail::Empty),
            },
            Side::Remote(remote) => {
                let mut frame = FrameBuf::new(tag::GET);
                frame.u64(timeout_ms);
                if remote.confirm_puts().is_err() {
                    return Err(GetFail::Disconnected);
                }
                let reply = remote.request(Channel::Gets, frame, true, |reply| match reply[0] {
                    tag::ITEM => decode(&reply[1..]),
                    tag::EMPTY => Err(GetFail::Empty),
                    _ => Err(GetFail::Disconnected),
                });
                match reply {
                    Ok(Some(outcome)) => outcome,
                    Ok(None) | Err(_) => Err(GetFail::Disconnected),
                }
            }
        }
    }

    /// Takes the oldest item, waiting for one (Python's `get()`).
    ///
    /// # Errors
    ///
    /// [`GetError::Decode`] or [`GetError::Disconnected`].
    pub fn get(&self) -> Result<T, GetError> {
        self.get_until(FOREVER).map_err(|fail| match fail {
            GetFail::Decode(why) => GetError::Decode(why),
            // A get without a deadline waits for an item: only a broker that went away ends it.
            GetFail::Empty | GetFail::Disconnected => GetError::Disconnected,
        })
    }

    /// Takes the oldest item, waiting at most `timeout` (Python's `get(timeout=t)`); a timeout
    /// below a millisecond is rounded up to one, one too long to represent waits forever.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] after the timeout (Python raises the same `queue.Empty` for
    /// `get(timeout=t)` and `get_nowait()`, so the two share their error type),
    /// [`TryGetError::Decode`] or [`TryGetError::Disconnected`].
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, TryGetError> {
        let ms = millis_up(timeout, FOREVER).unwrap_or(FOREVER);
        self.get_until(ms).map_err(TryGetError::from)
    }

    /// Takes the oldest item if there is one now (Python's `get_nowait`).
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`], [`TryGetError::Decode`] or [`TryGetError::Disconnected`].
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.get_until(0).map_err(TryGetError::from)
    }

    /// The number of items (Python's `qsize()`; as there, it may change at once). 0 if the
    /// broker is gone.
    pub fn qsize(&self) -> usize {
        match &self.side {
            Side::Owner(broker) => broker.len(),
            Side::Remote(remote) => {
                // On the puts connection: the count includes this handle's streamed puts.
                let reply =
                    remote.request(Channel::Puts, FrameBuf::new(tag::SIZE), true, |reply| {
                        Fields::new(reply).u64().unwrap_or(0) as usize
                    });
                reply.ok().flatten().unwrap_or(0)
            }
        }
    }

    /// Whether the queue is empty (Python's `empty()`).
    pub fn is_empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the queue is full (Python's `full()`); never for an unbounded queue.
    pub fn is_full(&self) -> bool {
        let max = self.maxsize();
        max > 0 && self.qsize() >= max
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        let side = match &self.side {
            Side::Owner(broker) => {
                broker.state.lock().owners += 1;
                Side::Owner(Arc::clone(broker))
            }
            Side::Remote(remote) => {
                Side::Remote(Remote::new(remote.name.clone(), remote.maxsize, None))
            }
        };
        Queue {
            side,
            _marker: PhantomData,
        }
    }
}

impl<T> Drop for Queue<T> {
    fn drop(&mut self) {
        if let Side::Owner(broker) = &self.side {
            broker.release(|st| st.owners -= 1);
        }
    }
}

impl<T> Serialize for Queue<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (name, maxsize) = match &self.side {
            Side::Owner(broker) => {
                broker.state.lock().in_flight += 1;
                (&broker.name, broker.maxsize)
            }
            Side::Remote(remote) => (&remote.name, remote.maxsize),
        };
        (name, maxsize as u64).serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for Queue<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (name, maxsize) = <(String, u64)>::deserialize(d)?;
        // Connect at once, so the broker knows this handle exists.
        let stream = Remote::connect(&name, true).map_err(|e| {
            serde::de::Error::custom(format!("cannot reach the queue's broker: {e}"))
        })?;
        Ok(Queue {
            side: Side::Remote(Remote::new(name, maxsize as usize, Some(stream))),
            _marker: PhantomData,
        })
    }
}

//! [`Pipe`] and [`Connection`]: Python's `multiprocessing.Pipe()`, a two-way channel between
//! processes for serde values.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::data::{decode_exact, encode_into};
use super::error::{RecvError, SendError};
use super::fdpass;
use super::wire::{self, tag, FrameBuf, WireError};

/// Makes a connected pair of [`Connection`]s (Python's `Pipe()`, duplex).
///
/// # Examples
///
/// ```
/// let (left, right) = potok::process::Pipe::new().unwrap();
/// left.send(&("ping", 1)).unwrap();
/// assert!(right.poll(Some(std::time::Duration::from_secs(1))).unwrap());
/// assert_eq!(right.recv::<(String, i32)>().unwrap(), ("ping".to_string(), 1));
/// right.send(&vec![1.5, 2.5]).unwrap();
/// assert_eq!(left.recv::<Vec<f64>>().unwrap(), [1.5, 2.5]);
/// ```
///
/// Handing one end to a child process (it travels inside the `Process`'s argument):
///
/// ```no_run
/// // no_run: starts a child process (see `potok::process::init`).
/// use potok::process::{Connection, Pipe, Process};
///
/// fn echo(conn: Connection) {
///     while let Ok(word) = conn.recv::<String>() {
///         conn.send(&word.to_uppercase()).unwrap();
///     }
/// }
///
/// fn main() {
///     potok::main(|| {
///         let (here, there) = Pipe::new().unwrap();
///         let mut child = Process::new(echo, there);
///         child.start().unwrap();
///         here.send("hi").unwrap();
///         assert_eq!(here.recv::<String>().unwrap(), "HI");
///         drop(here); // the child's recv() fails: it returns
///         child.join().unwrap();
///     });
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Pipe;

impl Pipe {
    /// Two connected ends; each can send and receive.
    ///
    /// # Errors
    ///
    /// The system's error if no socket pair can be made (out of descriptors).
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> io::Result<(Connection, Connection)> {
        let (a, b) = UnixStream::pair()?;
        Ok((Connection::from_stream(a), Connection::from_stream(b)))
    }
}

/// One end of a [`Pipe`]: sends and receives serde values (Python's `Connection`).
///
/// Values are postcard bytes in the same checksummed frames as potok's other messages. A
/// `Connection` can be moved into a [`Process`](super::Process)'s argument, which hands the
/// socket to the child; it cannot travel in a pool task or a queue (sending it there is a
/// serialization error).
pub struct Connection {
    sock: UnixStream,
    send_lock: Mutex<()>,
    recv_buf: Mutex<Vec<u8>>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("fd", &self.sock.as_raw_fd())
            .finish()
    }
}

impl Connection {
    fn from_stream(sock: UnixStream) -> Connection {
        Connection {
            sock,
            send_lock: Mutex::new(()),
            recv_buf: Mutex::new(Vec::new()),
        }
    }

    /// Sends a value (Python's `send(obj)`).
    ///
    /// # Errors
    ///
    /// [`SendError::Encode`] if the value does not serialize (nothing is sent);
    /// [`SendError::Io`] if the other end is closed.
    pub fn send<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), SendError> {
        let mut frame = FrameBuf::new(tag::VALUE);
        encode_into(value, frame.vec()).map_err(|e| {
            SendError::Encode(format!(
                "{} does not serialize: {e}",
                std::any::type_name::<T>()
            ))
        })?;
        let frame = frame
            .finish()
            .map_err(|e| SendError::Encode(e.to_string()))?;
        let _guard = self.send_lock.lock();
        wire::send_all(&self.sock, &frame).map_err(SendError::Io)
    }

    /// Waits for the next value and decodes it as `T` (Python's `recv()`).
    ///
    /// # Errors
    ///
    /// [`RecvError::Closed`] once the other end is closed and everything sent was read;
    /// [`RecvError::Decode`] if the value is not a `T` (the value is consumed);
    /// [`RecvError::Corrupt`] or [`RecvError::Io`] if the stream is broken.
    pub fn recv<T: DeserializeOwned>(&self) -> Result<T, RecvError> {
        let mut buf = self.recv_buf.lock();
        match wire::read_frame(&mut &self.sock, &mut buf) {
            Ok(true) => {}
            Ok(false) => return Err(RecvError::Closed),
            Err(WireError::Io(err)) => return Err(RecvError::Io(err)),
            Err(err) => return Err(RecvError::Corrupt(err.to_string())),
        }
        if buf.first() != Some(&tag::VALUE) {
            return Err(RecvError::Corrupt("not a value message".into()));
        }
        decode_exact(&buf[1..]).map_err(RecvError::Decode)
    }

    /// Whether there is something to read, waiting at most `timeout` (`None`: wait until there
    /// is); Python's `poll(timeout)`. A closed other end counts as readable (`recv` then
    /// returns [`RecvError::Closed`]).
    ///
    /// # Errors
    ///
    /// The system's error if polling fails.
    pub fn poll(&self, timeout: Option<Duration>) -> io::Result<bool> {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        // A timeout too long for a timespec waits forever; the kernel rounds a short one up
        // to its clock's granularity, never down to "do not wait".
        let timespec = timeout.and_then(|t| Timespec::try_from(t).ok());
        loop {
            let mut fds = [PollFd::new(&self.sock, PollFlags::IN)];
            match poll(&mut fds, timespec.as_ref()) {
                Ok(n) => return Ok(n > 0),
                Err(rustix::io::Errno::INTR) => continue,
                Err(err) => return Err(err.into()),
            }
        }
    }
}

impl Serialize for Connection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match fdpass::offer(self.sock.as_raw_fd()) {
            Some(index) => s.serialize_u64(index),
            None => Err(serde::ser::Error::custom(
                "a Connection can only be sent inside a Process's argument",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Connection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let index = u64::deserialize(d)?;
        match fdpass::claim(index) {
            Some(fd) => Ok(Connection::from_stream(UnixStream::from(fd))),
            None => Err(serde::de::Error::custom(
                "no socket came with this Connection (it was not sent in a Process's argument)",
            )),
        }
    }
}

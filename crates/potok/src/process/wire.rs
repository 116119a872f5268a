//! The wire format: length-prefixed, checksummed frames carrying serde values as postcard bytes.
//!
//! Every message between a parent and a child is one frame:
//!
//! ```text
//! +----------------+------------------+---------------------------+
//! | length: u32 LE | checksum: u32 LE | payload: `length` bytes   |
//! +----------------+------------------+---------------------------+
//! ```
//!
//! The payload starts with a one-byte tag that says what the message is, then fixed-width
//! little-endian fields, then (for jobs and results) postcard bytes. A frame whose checksum does
//! not match, whose length is absurd, or that ends early is an error ([`WireError`]), never a
//! guess: the connection it came from is treated as broken. A corrupted length that is still
//! plausible (at most [`MAX_FRAME`]) cannot be told from a long frame still arriving: the
//! reader waits for that many bytes, and reports the error only once the peer closes the
//! connection (or a read timeout, where one is set, expires).
//!
//! postcard was chosen for the values: a documented, stable encoding (postcard 1.0), varints
//! (a small integer is one byte, which matters when a map sends 100,000 of them), and no
//! allocation besides the output buffer. Plain numbers are written and read without serde
//! (`plain.rs`), in the same bytes.

use std::fmt;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;

/// The largest frame accepted: anything longer is taken as corruption.
pub(crate) const MAX_FRAME: usize = 1 << 30;

/// The buffer a worker reads its jobs through, and a pool thread its worker's answers: many
/// small frames per read, while most of a large frame (a chunk of a `map`) is read straight
/// into the frame's own buffer (a reader whose buffer is empty reads a request at least as
/// large as it into the request's memory), not copied through this one. At 64 KiB, a
/// `map`'s chunks of ~40 KiB were all copied twice: 2.6% of the CPU of a `map` of small
/// numbers, in the workers, measured.
pub(crate) const READ_BUFFER: usize = 8 * 1024;

/// Bytes before the payload: the length and the checksum.
pub(crate) const HEADER: usize = 8;

/// What went wrong with a frame or the stream that carries it.
#[derive(Debug)]
pub(crate) enum WireError {
    /// The stream ended in the middle of a frame.
    Truncated,
    /// The stream failed.
    Io(io::Error),
    /// The frame's checksum or length does not add up, or its content is not a known message.
    Corrupt(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated => f.write_str("the stream ended in the middle of a frame"),
            WireError::Io(err) => write!(f, "I/O error: {err}"),
            WireError::Corrupt(why) => write!(f, "corrupt frame: {why}"),
        }
    }
}

impl From<io::Error> for WireError {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            WireError::Truncated
        } else {
            WireError::Io(err)
        }
    }
}

/// A checksum over the payload: four independent lanes of eight bytes, so it runs at memory
/// speed (it is computed on both sides of every frame).
pub(crate) fn checksum(bytes: &[u8]) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let mut lanes = [K, K.rotate_left(16), K.rotate_left(32), K.rotate_left(48)];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, chunk) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            *lane = (*lane ^ word(chunk)).wrapping_mul(K).rotate_left(29);
        }
    }
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    for lane in lanes {
        h = (h ^ lane).wrapping_mul(K).rotate_left(31);
    }
    let mut words = blocks.remainder().chunks_exact(8);
    for w in &mut words {
        h = (h ^ word(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    (h ^ (h >> 32)) as u32
}

/// A frame being built: starts with room for the header, so sending it is one write.
pub(crate) struct FrameBuf {
    buf: Vec<u8>,
}

impl FrameBuf {
    /// A new frame whose payload starts with `tag`.
    pub(crate) fn new(tag: u8) -> Self {
        Self::with_capacity(tag, 64)
    }

    /// Like [`new`](Self::new), with room for `capacity` payload bytes.
    pub(crate) fn with_capacity(tag: u8, capacity: usize) -> Self {
        Self::reusing(Vec::new(), tag, capacity)
    }

    /// Like [`with_capacity`](Self::with_capacity), in `buf`'s memory (its bytes are dropped).
    pub(crate) fn reusing(mut buf: Vec<u8>, tag: u8, capacity: usize) -> Self {
        buf.clear();
        buf.reserve(HEADER + 1 + capacity);
        buf.extend_from_slice(&[0; HEADER]);
        buf.push(tag);
        FrameBuf { buf }
    }

    /// Appends the frame's bytes so far to `out` (header to be filled in by [`seal`]), and
    /// returns where it starts there: to write a frame straight into a buffer of several.
    pub(crate) fn start_in(&self, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        out.extend_from_slice(&self.buf);
        start
    }

    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// How many bytes the frame has so far, its header included.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The bytes after the header so far, to append postcard data to.
    pub(crate) fn vec(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Fills in the header and returns the whole frame.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, WireError> {
        seal(&mut self.buf)?;
        Ok(self.buf)
    }
}

/// Fills in the header of the frame that `frame` holds (header first, then the payload).
pub(crate) fn seal(frame: &mut [u8]) -> Result<(), WireError> {
    let len = frame.len() - HEADER;
    if len > MAX_FRAME {
        return Err(WireError::Corrupt(format!(
            "a message of {len} bytes is larger than the limit of {MAX_FRAME}"
        )));
    }
    let sum = checksum(&frame[HEADER..]);
    frame[..4].copy_from_slice(&(len as u32).to_le_bytes());
    frame[4..8].copy_from_slice(&sum.to_le_bytes());
    Ok(())
}

/// Checks a header and returns the payload length it announces.
pub(crate) fn parse_header(header: &[u8; HEADER]) -> Result<(usize, u32), WireError> {
    let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let sum = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
    if len == 0 || len > MAX_FRAME {
        return Err(WireError::Corrupt(format!("impossible frame length {len}")));
    }
    Ok((len, sum))
}

/// Reads the payload that follows a header already read, and checks it.
pub(crate) fn read_payload(
    r: &mut impl Read,
    len: usize,
    sum: u32,
    buf: &mut Vec<u8>,
) -> Result<(), WireError> {
    // The buffer is reused frame after frame: only bytes beyond the longest frame so far are
    // zeroed before the read overwrites them (zeroing every frame whole was about a tenth of
    // the CPU a worker spends outside its items, in a `map` of small numbers).
    if buf.len() < len {
        buf.resize(len, 0);
    } else {
        buf.truncate(len);
    }
    r.read_exact(buf)?;
    if checksum(buf) != sum {
        return Err(WireError::Corrupt("checksum mismatch".into()));
    }
    Ok(())
}

/// Writes all of `bytes` to a socket with `MSG_NOSIGNAL`: a peer that is gone is an `EPIPE`
/// error, never a `SIGPIPE` (which would end a host program that does not ignore it).
pub(crate) fn send_all(sock: &UnixStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match rustix::net::send(sock, bytes, rustix::net::SendFlags::NOSIGNAL) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(rustix::io::Errno::INTR) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}

/// Reads one frame's payload into `buf`. `Ok(false)` means the stream ended cleanly, between
/// frames. Blocks until the whole frame the header announces has arrived, so a corrupted but
/// plausible length is noticed only when the stream ends (or a read timeout expires).
pub(crate) fn read_frame(r: &mut impl Read, buf: &mut Vec<u8>) -> Result<bool, WireError> {
    let mut header = [0u8; HEADER];
    let mut got = 0;
    while got < HEADER {
        match r.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(WireError::Truncated),
            Ok(n) => got += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err.into()),
        }
    }
    let (len, sum) = parse_header(&header)?;
    read_payload(r, len, sum, buf)?;
    Ok(true)
}

/// Reads the fixed-width fields of a payload.
pub(crate) struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The payload after its tag byte.
    pub(crate) fn new(payload: &'a [u8]) -> Self {
        Fields {
            rest: payload.get(1..).unwrap_or(&[]),
        }
    }

    pub(crate) fn u64(&mut self) -> Result<u64, WireError> {
        if self.rest.len() < 8 {
            return Err(WireError::Corrupt("message too short".into()));
        }
        let (head, rest) = self.rest.split_at(8);
        self.rest = rest;
        Ok(u64::from_le_bytes(head.try_into().expect("8 bytes")))
    }

    pub(crate) fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// Message tags (the first payload byte).
pub(crate) mod tag {
    /// child -> parent: ready for work (`pid`, `binary fingerprint`).
    pub(crate) const HELLO: u8 = 1;
    /// parent -> child: run a job (`seq`, `trampoline`, `function`, `fingerprint`, the
    /// recording to follow (0: none), items).
    pub(crate) const JOB: u8 = 2;
    /// child -> parent: a job's results (`seq`, outcomes).
    pub(crate) const DONE: u8 = 3;
    /// child -> parent: a job could not run at all (`seq`, reason as UTF-8).
    pub(crate) const REFUSED: u8 = 4;
    /// a value sent over a `Connection` or a queue.
    pub(crate) const VALUE: u8 = 5;

    /// The tags between the pool's process and its fork server (see `forkserver.rs`).
    pub(crate) mod server {
        /// parent -> server: fork a worker (no fields: it learns who it is from IDENTITY).
        pub(crate) const FORK: u8 = 40;
        /// server -> parent: forked (`pid`), with the parent's end of the worker's socket and
        /// its progress memfd attached (`SCM_RIGHTS`).
        pub(crate) const FORKED: u8 = 41;
        /// server -> parent: could not fork (reason as UTF-8).
        pub(crate) const FORK_FAILED: u8 = 42;
        /// parent -> server: reap the worker that has ended (`pid`).
        pub(crate) const REAP: u8 = 43;
        /// server -> parent: how it ended (`pid`, then `0` and the exit code, or `1` and the
        /// signal). Answered before the FORKs that wait with it.
        pub(crate) const REAPED: u8 = 44;
        /// pool's process -> forked worker, on the worker's own socket, before its first job:
        /// its environment (name, value, ... as length-prefixed strings).
        pub(crate) const IDENTITY: u8 = 45;
    }

    /// The tags of a [`Queue`](crate::process::Queue)'s broker protocol (see `queue.rs`).
    pub(crate) mod queue {
        pub(crate) const HELLO: u8 = 20;
        pub(crate) const PUT: u8 = 21;
        pub(crate) const GET: u8 = 22;
        pub(crate) const SIZE: u8 = 23;
        pub(crate) const OK: u8 = 24;
        pub(crate) const FULL: u8 = 25;
        pub(crate) const ITEM: u8 = 26;
        pub(crate) const EMPTY: u8 = 27;
        pub(crate) const COUNT: u8 = 28;
        pub(crate) const SYNC: u8 = 29;
    }
}

/// Appends postcard's varint encoding of `n` (how postcard writes a sequence's length).
pub(crate) fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a varint written by [`push_varint`].
pub(crate) fn take_varint(bytes: &[u8]) -> Result<(u64, &[u8]), WireError> {
    let mut n = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((n, &bytes[i + 1..]));
        }
    }
    Err(WireError::Corrupt("bad sequence length".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut f = FrameBuf::new(payload[0]);
        f.bytes(&payload[1..]);
        f.finish().unwrap()
    }

    #[test]
    fn round_trip() {
        let bytes = frame(b"\x05hello, world");
        let mut buf = Vec::new();
        let mut r = &bytes[..];
        assert!(read_frame(&mut r, &mut buf).unwrap());
        assert_eq!(buf, b"\x05hello, world");
        assert!(!read_frame(&mut r, &mut buf).unwrap());
    }

    #[test]
    fn a_flipped_bit_is_caught() {
        let mut bytes = frame(b"\x05some payload bytes");
        bytes[12] ^= 0x10;
        let err = read_frame(&mut &bytes[..], &mut Vec::new()).unwrap_err();
        assert!(matches!(err, WireError::Corrupt(_)), "{err}");
    }

    #[test]
    fn a_cut_frame_is_truncated() {
        let bytes = frame(b"\x05some payload bytes");
        for cut in 1..bytes.len() {
            let err = read_frame(&mut &bytes[..cut], &mut Vec::new()).unwrap_err();
            assert!(matches!(err, WireError::Truncated), "cut at {cut}: {err}");
        }
    }

    #[test]
    fn every_flipped_bit_changes_the_checksum() {
        let data: Vec<u8> = (0..100u8).collect();
        let sum = checksum(&data);
        for i in 0..data.len() {
            for bit in 0..8 {
                let mut flipped = data.clone();
                flipped[i] ^= 1 << bit;
                assert_ne!(checksum(&flipped), sum, "byte {i} bit {bit}");
            }
        }
        assert_ne!(checksum(&data[..99]), sum);
    }

    #[test]
    fn absurd_lengths_are_corrupt() {
        let mut bytes = [0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0];
        let err = read_frame(&mut &bytes[..], &mut Vec::new()).unwrap_err();
        assert!(matches!(err, WireError::Corrupt(_)));
        bytes[..4].copy_from_slice(&0u32.to_le_bytes());
        let err = read_frame(&mut &bytes[..], &mut Vec::new()).unwrap_err();
        assert!(matches!(err, WireError::Corrupt(_)));
    }

    #[test]
    fn varints_match_postcard() {
        for n in [0u64, 1, 127, 128, 300, 1 << 40, u64::MAX] {
            let mut mine = Vec::new();
            push_varint(&mut mine, n);
            assert_eq!(mine, postcard::to_allocvec(&n).unwrap());
            assert_eq!(take_varint(&mine).unwrap().0, n);
        }
    }
}

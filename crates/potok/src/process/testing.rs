//! Hooks for potok's own tests of the wire protocol (corrupt frames, unknown functions). Not
//! part of the API: hidden from the docs, may change at any time.
//!
//! A worker runs the function a job frame names by address, so handing it crafted bytes is
//! unsafe: [`send_raw_to_worker`] is an `unsafe fn` whose contract says which frames may go.

use std::time::{Duration, Instant};

use super::data::{encode_into, Data};
use super::env::ChildKind;
use super::error::ChildExit;
use super::spawn;
use super::task::TaskId;
use super::wire::{self, push_varint, tag, FrameBuf};

/// What a worker did with raw bytes.
#[derive(Debug)]
pub struct RawReply {
    /// Its answer: `DONE` or `REFUSED: <reason>`, if it sent one.
    pub answer: Option<String>,
    /// How it ended after the parent closed its side.
    pub exit: ChildExit,
}

/// A valid job frame for `f(arg)`.
pub fn job_frame<T: Data, R: Data>(f: fn(T) -> R, arg: T) -> Vec<u8> {
    let id = TaskId::of(f);
    job_frame_with_offsets(id.trampoline, id.function, id.fingerprint, &one_item(arg))
}

fn one_item<T: Data>(arg: T) -> Vec<u8> {
    let mut items = Vec::new();
    push_varint(&mut items, 1);
    encode_into(&arg, &mut items).expect("the argument serializes");
    items
}

/// Like [`job_frame`], with a type fingerprint that does not match.
pub fn job_frame_with_wrong_fingerprint<T: Data, R: Data>(f: fn(T) -> R, arg: T) -> Vec<u8> {
    let id = TaskId::of(f);
    job_frame_with_offsets(id.trampoline, id.function, !id.fingerprint, &one_item(arg))
}

/// A well-formed job frame with the given identity and item bytes.
///
/// Building it is harmless; sending it to a worker is not (see [`send_raw_to_worker`]).
pub fn job_frame_with_offsets(
    trampoline: i64,
    function: i64,
    fingerprint: u64,
    items: &[u8],
) -> Vec<u8> {
    let mut frame = FrameBuf::new(tag::JOB);
    frame
        .u64(1)
        .u64(trampoline as u64)
        .u64(function as u64)
        .u64(fingerprint)
        .u64(0) // no recording to follow
        .bytes(items);
    frame.finish().expect("a small frame")
}

/// Starts a worker, writes `bytes` to it, closes the parent's side, and reports what the worker
/// answered and how it ended (within 10 seconds, or it is killed).
///
/// # Panics
///
/// If the worker cannot be started.
///
/// # Safety
///
/// The worker transmutes the trampoline offset of every intact `JOB` frame that lies inside
/// this executable's code and calls it (and the trampoline calls the function offset once the
/// type fingerprint matches). So every intact `JOB` frame in `bytes` must be one of:
///
/// * made by [`job_frame`] or [`job_frame_with_wrong_fingerprint`] in this executable;
/// * made by [`job_frame_with_offsets`] with a trampoline or function offset outside this
///   executable's code (the worker refuses it), or with offsets and fingerprint copied from a
///   frame of the first kind.
///
/// Frames that are corrupt or cut short are always fine: the worker rejects them unread.
pub unsafe fn send_raw_to_worker(bytes: &[u8]) -> RawReply {
    let mut child = spawn::start(ChildKind::Worker).expect("a worker starts");
    let _ = child.sock.send_all(bytes);
    let _ = child.sock.stream().shutdown(std::net::Shutdown::Write);
    let _ = child
        .sock
        .stream()
        .set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    let answer = match wire::read_frame(&mut child.sock.stream(), &mut buf) {
        Ok(true) => Some(match buf.first() {
            Some(&tag::DONE) => "DONE".to_string(),
            Some(&tag::REFUSED) => format!("REFUSED: {}", String::from_utf8_lossy(&buf[9..])),
            other => format!("unexpected tag {other:?}"),
        }),
        _ => None,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait() {
            break exit;
        }
        if Instant::now() > deadline {
            break child.kill_and_reap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    RawReply { answer, exit }
}

/// The pid of the fork server that forks pool workers, if one is running.
pub fn fork_server_pid() -> Option<u32> {
    spawn::fork_server_pid()
}

/// The pids of the workers the fork server forked ahead of need that no pool has taken yet
/// (they are the server's children, waiting to be handed to a pool).
pub fn fork_server_stock() -> Vec<u32> {
    spawn::fork_server_stock()
}

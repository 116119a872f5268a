//! Child processes' events: a file per process id, appended to as the child goes, read by the
//! recording process when it finishes.
//!
//! The recording process names a fresh directory in the environment of the children it starts
//! ([`ENV`]); a child that finds it records into `DIR/PID.potok-trace`. Each batch is one
//! `write` of a frame: a little-endian `u32` length, then the batch in postcard. A child killed
//! in the middle of a write leaves a short last frame, which the reader skips. The parent never
//! waits for a child to hand its trace over: it reads whatever the files hold at its finish.
//!
//! # Workers started before the recording
//!
//! A pool's workers live longer than a recording: a pool made before [`start`](super::start)
//! has workers that saw no directory in their environment. So every job a pool sends carries
//! the current recording's id ([`job_id`]: 0 while none, else the number in its directory's
//! name, `potok-trace-ID`), and a worker compares it with the recording it follows
//! ([`follow`]: one relaxed load when they agree). A new id makes the worker begin recording
//! into `potok-trace-ID/PID.potok-trace` before it runs the job; 0 (or another id) ends its
//! recording, as the parent has finished (or replaced) it. The parent stops giving the id
//! before it reads the files, so a worker that learns of a recording too late finds its
//! directory gone and records nothing.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use parking_lot::Mutex;

use super::buffer;
use super::event::Batch;

/// The environment variable naming the directory for children's files.
pub(crate) const ENV: &str = "POTOK_TRACE_CHILDREN";

/// Appends one batch to a child's file (errors are ignored: a trace must not break the
/// program).
pub(crate) fn append(file: &Mutex<File>, batch: &Batch) {
    let Ok(body) = postcard::to_allocvec(batch) else {
        return;
    };
    let Ok(len) = u32::try_from(body.len()) else {
        return;
    };
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&body);
    let _ = file.lock().write_all(&frame);
}

const DIR_PREFIX: &str = "potok-trace-";

/// The directory of the recording numbered `id`.
fn dir_of(id: u64) -> PathBuf {
    std::env::temp_dir().join(format!("{DIR_PREFIX}{id:016x}"))
}

/// The recording id in a directory's name (see [`dir_of`]).
fn id_of(dir: &Path) -> Option<u64> {
    let name = dir.file_name()?.to_str()?;
    u64::from_str_radix(name.strip_prefix(DIR_PREFIX)?, 16)
        .ok()
        .filter(|&id| id != 0)
}

/// A fresh directory for the children of a recording, and the recording's id (never 0).
pub(crate) fn make_dir() -> Option<(u64, PathBuf)> {
    static N: AtomicU64 = AtomicU64::new(0);
    for _ in 0..16 {
        let n = N.fetch_add(1, Ordering::Relaxed);
        // Unique enough across processes and runs; a directory that exists is skipped.
        let id =
            (super::clock::wall_ns() ^ (u64::from(std::process::id()) << 40) ^ (n << 20)).max(1);
        let dir = dir_of(id);
        match fs::create_dir(&dir) {
            Ok(()) => return Some((id, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => return None,
        }
    }
    None
}

/// The id of the recording this process's pool workers are to follow (0: none).
static RECORDING_ID: AtomicU64 = AtomicU64::new(0);

/// Sets what [`job_id`] gives (0 when the recording ends, before its files are read).
pub(crate) fn set_recording_id(id: u64) {
    RECORDING_ID.store(id, Ordering::Release);
}

/// For every job a pool sends: the recording its worker is to follow (0: none).
#[inline]
pub(crate) fn job_id() -> u64 {
    RECORDING_ID.load(Ordering::Relaxed)
}

/// What a child records as (its process label), set once it is known to be a potok child.
static LABEL: OnceLock<String> = OnceLock::new();
/// The recording id the child follows (0: none) and its own recording's number.
static FOLLOWING: AtomicU64 = AtomicU64::new(0);
static CHILD_GEN: AtomicU64 = AtomicU64::new(0);

/// In a child process (started by `potok::process`): records into the file of the directory
/// its environment names, if the parent was recording when it started; remembers `label`
/// for recordings the parent starts later ([`follow`]).
pub(crate) fn init(label: &str) {
    let _ = LABEL.set(label.to_owned());
    let Some(dir) = std::env::var_os(ENV) else {
        return;
    };
    std::env::remove_var(ENV);
    let dir = PathBuf::from(dir);
    begin_in(&dir, id_of(&dir).unwrap_or(0));
}

fn begin_in(dir: &Path, id: u64) {
    let Some(label) = LABEL.get() else {
        return;
    };
    if let Some(file) = open_file(dir) {
        let gen = buffer::begin(label.clone(), buffer::Sink::File(Mutex::new(file)));
        CHILD_GEN.store(gen, Ordering::Relaxed);
        FOLLOWING.store(id, Ordering::Relaxed);
    }
}

/// A pool worker is about to run a job that came with recording id `id`: follows the parent
/// into a recording it started, or out of one it finished.
#[inline]
pub(crate) fn follow(id: u64) {
    if id != FOLLOWING.load(Ordering::Relaxed) {
        follow_slow(id);
    }
}

#[cold]
fn follow_slow(id: u64) {
    if LABEL.get().is_none() {
        return; // not a potok child (a job run in-process by a test harness)
    }
    if FOLLOWING.swap(0, Ordering::Relaxed) != 0 {
        let _ = buffer::end(CHILD_GEN.load(Ordering::Relaxed));
    }
    if id != 0 {
        begin_in(&dir_of(id), id);
    }
}

/// This child's file in `dir`.
pub(crate) fn open_file(dir: &Path) -> Option<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{}.potok-trace", std::process::id())))
        .ok()
}

/// Every whole batch in the files of `dir`; then removes the directory.
pub(crate) fn read_dir_and_remove(dir: &Path) -> Vec<Batch> {
    let mut batches = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if let Ok(bytes) = fs::read(&path) {
                batches.extend(parse(&bytes));
            }
        }
    }
    remove_dir(dir);
    batches
}

/// Removes a recording's directory. A child may create its file in it between the listing
/// and the removal of the emptied directory (a worker started while recording, just
/// starting up): then the removal is tried again (once the directory is gone, no child can
/// create a file in it).
pub(crate) fn remove_dir(dir: &Path) {
    for _ in 0..5 {
        if fs::remove_dir_all(dir).is_ok() || !dir.exists() {
            return;
        }
    }
}

/// The whole frames of a file, in order; a short or unreadable frame ends it.
pub(crate) fn parse(mut bytes: &[u8]) -> Vec<Batch> {
    let mut batches = Vec::new();
    while bytes.len() >= 4 {
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let Some(body) = bytes.get(4..4 + len) else {
            break;
        };
        match postcard::from_bytes::<Batch>(body) {
            Ok(batch) => batches.push(batch),
            Err(_) => break,
        }
        bytes = &bytes[4 + len..];
    }
    batches
}

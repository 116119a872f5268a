//! How a task is named on another machine, and how a worker checks that it runs the same
//! program.
//!
//! A worker is the same executable as the pool's program, so every function sits at the same
//! distance from any other function in both, wherever each process was loaded. A task travels
//! as two offsets from an anchor function in this file: the user's `fn(T) -> R`, and the
//! monomorphised [`run_chunk`] that knows `T` and `R` (decodes the arguments, calls, encodes the
//! outcomes), plus a fingerprint of the function's type.
//!
//! Offsets only mean something between processes of *one* build, and across machines nothing
//! guarantees that the file is the same, so each side hashes its own executable ([`build_id`])
//! and a worker refuses a task whose build differs. Then, as in the local pool, both addresses
//! must fall inside the executable's code and the trampoline compares the type fingerprint
//! before it touches the function address.
//!
//! What this does not do is authenticate the sender: anyone who can write to the broker can ask
//! a worker to run any `fn` of the program (not arbitrary code: only functions with a serde
//! signature that the program contains). Keep the broker private, as for Celery's or RQ's.

use std::any::type_name;
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::process::Task;

/// Why one item has no result, as a worker reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) enum ItemFailure {
    /// The function panicked: its message and where.
    Panicked(String),
    /// The argument did not decode in the worker.
    Decode(String),
    /// The result did not encode in the worker.
    Encode(String),
}

/// Runs a chunk: `func` and `fingerprint` name the function; `input` is a postcard sequence of
/// arguments (count, then items); appends the postcard sequence of `Result<R, ItemFailure>`.
pub(crate) type Trampoline =
    fn(func: usize, fingerprint: u64, input: &[u8], out: &mut Vec<u8>) -> Result<(), String>;

/// A task as it travels: offsets from the anchor, and the type fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TaskId {
    pub(crate) trampoline: i64,
    pub(crate) function: i64,
    pub(crate) fingerprint: u64,
}

impl TaskId {
    /// The identity of `f` in this process.
    pub(crate) fn of<F: Task>(f: F) -> TaskId {
        let trampoline: Trampoline = run_chunk::<F>;
        TaskId {
            trampoline: offset(trampoline as usize),
            function: offset(f.addr()),
            fingerprint: fingerprint::<F>(),
        }
    }

    /// Finds the trampoline here, refusing addresses outside the executable's code.
    pub(crate) fn resolve(&self) -> Result<(Trampoline, usize), String> {
        let trampoline = address(self.trampoline);
        let function = address(self.function);
        for (what, addr, off) in [
            ("trampoline", trampoline, self.trampoline),
            ("function", function, self.function),
        ] {
            if !in_code(addr) {
                return Err(format!(
                    "unknown function identity: the {what} offset {off:#x} is outside this \
                     executable's code"
                ));
            }
        }
        // SAFETY: the worker only resolves tasks whose build id equals its own, so the offset
        // was produced by `TaskId::of` in a process of this very executable, where it named a
        // `run_chunk::<F>` (every one has the type `Trampoline`); it lies inside the code.
        let trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(trampoline) };
        Ok((trampoline, function))
    }
}

/// The anchor that offsets are measured from; never inlined, so it has one address.
#[inline(never)]
fn anchor() -> u64 {
    0x6b_6f74_6f70_636c // "clpotok"
}

fn anchor_addr() -> usize {
    let f: fn() -> u64 = anchor;
    f as usize
}

fn offset(addr: usize) -> i64 {
    addr.wrapping_sub(anchor_addr()) as i64
}

fn address(offset: i64) -> usize {
    anchor_addr().wrapping_add(offset as usize)
}

fn fingerprint<F: Task>() -> u64 {
    hash(type_name::<F>().as_bytes(), 0)
}

/// A 64-bit hash (FNV-1a over 8-byte words, then bytes): fast enough for a whole executable.
fn hash(bytes: &[u8], seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
        h ^= h >> 29;
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A hash of this process's executable file (`/proc/self/exe`), as 16 hex digits; computed
/// once. Two processes agree on it exactly when they run the same bytes.
pub(crate) fn build_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let mut h: u64 = 0;
        let mut len: u64 = 0;
        match std::fs::File::open("/proc/self/exe") {
            Ok(mut file) => {
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    match file.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            h = hash(&buf[..n], h.rotate_left(17));
                            len += n as u64;
                        }
                        Err(_) => break,
                    }
                }
            }
            // No readable executable: the layout fingerprint alone (weaker, never equal to a
            // file hash by accident in practice).
            Err(_) => h = offset(hash as fn(&[u8], u64) -> u64 as usize) as u64,
        }
        format!("{:016x}", h ^ len.rotate_left(40))
    })
}

/// The executable's code segments in this process (start, end), from `/proc/self/maps`.
fn code_ranges() -> &'static [(usize, usize)] {
    static RANGES: OnceLock<Vec<(usize, usize)>> = OnceLock::new();
    RANGES.get_or_init(|| {
        let exe = std::fs::read_link("/proc/self/exe").ok();
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        let mut ranges = Vec::new();
        for line in maps.lines() {
            let mut parts = line.split_whitespace();
            let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
                continue;
            };
            let path = parts.nth(3);
            let ours = match (&exe, path) {
                (Some(exe), Some(path)) => std::path::Path::new(path) == exe.as_path(),
                _ => false,
            };
            if !ours || !perms.contains('x') {
                continue;
            }
            if let Some((a, b)) = range.split_once('-') {
                if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                {
                    ranges.push((a, b));
                }
            }
        }
        ranges
    })
}

fn in_code(addr: usize) -> bool {
    code_ranges()
        .iter()
        .any(|&(start, end)| (start..end).contains(&addr))
}

thread_local! {
    static LAST_PANIC_AT: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// In a worker, a panicking task is reported to the caller, not printed: the hook only notes
/// where it happened.
pub(crate) fn install_quiet_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
        LAST_PANIC_AT.with(|slot| *slot.borrow_mut() = at);
    }));
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let msg = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    };
    match LAST_PANIC_AT.with(|slot| slot.borrow_mut().take()) {
        Some(at) => format!("{msg} (at {at})"),
        None => msg,
    }
}

/// Runs a chunk in a worker (see [`Trampoline`]).
fn run_chunk<F: Task>(
    func: usize,
    fingerprint_sent: u64,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    if fingerprint_sent != fingerprint::<F>() {
        return Err(format!(
            "unknown function identity: the task's type fingerprint does not match {}",
            type_name::<F>()
        ));
    }
    // SAFETY: the fingerprint says the pool took `func` from a function of type `F` in this
    // same executable (the build ids matched), and `TaskId::resolve` checked that it lies
    // inside the executable's code.
    let f = unsafe { F::from_addr(func) };
    let (count, mut rest) =
        postcard::take_from_bytes::<u64>(input).map_err(|e| format!("a broken chunk: {e}"))?;
    out.extend_from_slice(&postcard::to_allocvec(&count).map_err(|e| e.to_string())?);
    for _ in 0..count {
        let outcome: Result<F::Output, ItemFailure> =
            match postcard::take_from_bytes::<F::Args>(rest) {
                Ok((args, tail)) => {
                    rest = tail;
                    match panic::catch_unwind(AssertUnwindSafe(|| f.call(args))) {
                        Ok(value) => Ok(value),
                        Err(payload) => Err(ItemFailure::Panicked(panic_text(&*payload))),
                    }
                }
                Err(err) => {
                    // The rest of the chunk cannot be found either: every remaining item fails.
                    rest = &[];
                    Err(ItemFailure::Decode(format!(
                        "the argument could not be decoded as {}: {err}",
                        type_name::<F::Args>()
                    )))
                }
            };
        let bytes = postcard::to_allocvec(&outcome).or_else(|err| {
            let failure: Result<F::Output, ItemFailure> = Err(ItemFailure::Encode(format!(
                "the result could not be encoded as {}: {err}",
                type_name::<F::Output>()
            )));
            postcard::to_allocvec(&failure)
        });
        out.extend_from_slice(&bytes.map_err(|e| e.to_string())?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(x: u64) -> u64 {
        x * 2
    }

    #[test]
    fn a_task_resolves_and_runs_here() {
        let f: fn(u64) -> u64 = double;
        let id = TaskId::of(f);
        let (tramp, func) = id.resolve().expect("resolves");
        let mut input = postcard::to_allocvec(&2u64).unwrap();
        input.extend(postcard::to_allocvec(&21u64).unwrap());
        input.extend(postcard::to_allocvec(&4u64).unwrap());
        let mut out = Vec::new();
        tramp(func, id.fingerprint, &input, &mut out).unwrap();
        let (n, rest) = postcard::take_from_bytes::<u64>(&out).unwrap();
        assert_eq!(n, 2);
        let (a, rest) = postcard::take_from_bytes::<Result<u64, ItemFailure>>(rest).unwrap();
        let (b, _) = postcard::take_from_bytes::<Result<u64, ItemFailure>>(rest).unwrap();
        assert_eq!((a, b), (Ok(42), Ok(8)));
        assert_eq!(build_id().len(), 16);
    }

    #[test]
    fn offsets_outside_the_code_are_refused() {
        let id = TaskId {
            trampoline: 1 << 46,
            function: 0,
            fingerprint: 0,
        };
        assert!(id.resolve().unwrap_err().contains("outside"));
    }
}

//! Task identity: how a plain `fn(T) -> R` is named across processes.
//!
//! A child runs the same executable as its parent, so every function sits at the same distance
//! from any other function in both processes, even though each process loads the executable at
//! its own (randomised) address. A task is therefore sent as two offsets from an anchor
//! function in this module:
//!
//! - the *function*: the user's `fn(T) -> R`;
//! - the *trampoline*: `run_items::<F>`, the monomorphised code that decodes the `T`s, calls
//!   the function on each under `catch_unwind`, and encodes the results. Only it knows `T` and
//!   `R`, which is why it travels too.
//!
//! # Trade-offs, and the checks that make it safe in practice
//!
//! The alternative is a registry (a macro that names each task, collected before `main`). Offsets
//! need no registration and no macro: any `fn` with serde argument and result types is a task,
//! as in Python. What they give up is a way for the child to *prove* an offset names a task.
//! Three checks stand in for it:
//!
//! 1. every frame carries a checksum, so line noise cannot turn into an address;
//! 2. in the child both addresses must fall inside the executable's code segment, or the job
//!    is refused as an unknown function;
//! 3. the trampoline compares a fingerprint of its own type (`fn(T) -> R`, spelled out) with
//!    the one the parent sent before it touches the function address.
//!
//! The child is started from `/proc/self/exe`, which is the parent's executable even if the file
//! on disk has since been rebuilt, and its first message carries a fingerprint of the layout
//! that the parent checks. A wrong offset that passes all of this can only come from a bug in
//! potok itself.

use std::any::type_name;
use std::panic::{self, AssertUnwindSafe};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::data::{encode_into, room_for, Data};
use super::plain;
use super::progress::Progress;
use super::wire::{push_varint, tag, take_varint, FrameBuf};

/// A function that can run in a child: an `fn` pointer with serde argument and result.
///
/// Implemented for `fn(T) -> R` (one argument, used by `map`, `apply`, `Process`) and
/// `fn(A, B) -> R` to `fn(A, B, C, D, E, G) -> R` (several, taken as a tuple: what `starmap`
/// and `apply` run for a function pointer of several arguments). It is sealed: the identity scheme depends on `Self`
/// being a plain function pointer.
pub trait Task: Copy + Send + Sync + 'static + sealed::Sealed {
    /// What the function takes (a tuple for several arguments).
    type Args: Data;
    /// What it returns.
    type Output: Data;

    /// Calls the function.
    fn call(self, args: Self::Args) -> Self::Output;

    /// The function's address.
    #[doc(hidden)]
    fn addr(self) -> usize;

    /// Rebuilds the function pointer from an address.
    ///
    /// # Safety
    ///
    /// `addr` must be the address of a function of exactly this type, in this process.
    #[doc(hidden)]
    unsafe fn from_addr(addr: usize) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl<T, R> Sealed for fn(T) -> R {}
}

impl<T: Data, R: Data> Task for fn(T) -> R {
    type Args = T;
    type Output = R;

    fn call(self, args: T) -> R {
        self(args)
    }

    fn addr(self) -> usize {
        self as usize
    }

    unsafe fn from_addr(addr: usize) -> Self {
        // SAFETY: the caller promises `addr` is a function of this type; a fn pointer has the
        // size of a usize (checked at compile time by transmute).
        unsafe { std::mem::transmute::<usize, fn(T) -> R>(addr) }
    }
}

/// `Task` for functions of several arguments, which take their arguments as a tuple.
macro_rules! task_of_arity {
    ($($a:ident),+) => {
        impl<$($a,)+ R> sealed::Sealed for fn($($a),+) -> R {}

        impl<$($a: Data,)+ R: Data> Task for fn($($a),+) -> R {
            type Args = ($($a,)+);
            type Output = R;

            #[allow(non_snake_case)]
            fn call(self, ($($a,)+): ($($a,)+)) -> R {
                self($($a),+)
            }

            fn addr(self) -> usize {
                self as usize
            }

            unsafe fn from_addr(addr: usize) -> Self {
                // SAFETY: as for `fn(T) -> R`.
                unsafe { std::mem::transmute::<usize, fn($($a),+) -> R>(addr) }
            }
        }
    };
}

task_of_arity!(A, B);
task_of_arity!(A, B, C);
task_of_arity!(A, B, C, D);
task_of_arity!(A, B, C, D, E);
task_of_arity!(A, B, C, D, E, G);

/// Why one item of a job has no result (sent from the child, per item).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) enum ItemError {
    /// The function panicked; the message and where.
    Panicked(String),
    /// The argument could not be decoded in the child.
    Decode(String),
    /// The result could not be encoded in the child.
    Encode(String),
}

/// The code that runs a job in the child: decode items, call, encode outcomes.
pub(crate) type Trampoline = fn(
    func: usize,
    fingerprint: u64,
    input: &[u8],
    out: &mut Vec<u8>,
    progress: &Progress,
) -> Result<(), String>;

/// A task as it travels: offsets from the anchor plus the type fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskId {
    pub trampoline: i64,
    pub function: i64,
    pub fingerprint: u64,
}

impl TaskId {
    /// The identity of `f` in this process.
    pub(crate) fn of<F: Task>(f: F) -> TaskId {
        let trampoline: Trampoline = run_items::<F>;
        TaskId {
            trampoline: offset(trampoline as usize),
            function: offset(f.addr()),
            fingerprint: fingerprint::<F>(),
        }
    }

    /// A JOB frame asking for this task on `count` items, numbered `seq`; the items' bytes
    /// (`capacity` of them) are appended by the caller.
    pub(crate) fn job_frame(&self, seq: u64, count: usize, capacity: usize) -> FrameBuf {
        let mut frame = FrameBuf::with_capacity(tag::JOB, 50 + capacity);
        frame
            .u64(seq)
            .u64(self.trampoline as u64)
            .u64(self.function as u64)
            .u64(self.fingerprint)
            // The recording the worker is to follow (see `trace::follow`).
            .u64(crate::trace::job_id());
        push_varint(frame.vec(), count as u64);
        frame
    }

    /// Finds the trampoline in this process, refusing addresses outside the executable's code.
    pub(crate) fn resolve(&self) -> Result<(Trampoline, usize), String> {
        let trampoline = address(self.trampoline);
        let function = address(self.function);
        for (what, addr) in [("trampoline", trampoline), ("function", function)] {
            if !in_code(addr) {
                return Err(format!(
                    "unknown function identity: the {what} offset {:#x} is outside this executable's code",
                    if what == "trampoline" { self.trampoline } else { self.function }
                ));
            }
        }
        // SAFETY: `trampoline` was produced by `TaskId::of` in a process running this very
        // executable (the handshake checks the layout fingerprint and the frame checksum guards
        // the bytes in between), and it lies inside the executable's code; every trampoline has
        // the type `Trampoline`. The one way to send other bytes to a worker is the `unsafe fn`
        // `testing::send_raw_to_worker`, whose caller promises the same.
        let trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(trampoline) };
        Ok((trampoline, function))
    }
}

/// The anchor that offsets are measured from. Never inlined, so it has one address.
#[inline(never)]
fn anchor() -> u64 {
    0x0070_6f74_6f6b // "potok"
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

/// A plain `fn()` named across processes of this executable, for state kept in shared memory
/// (a process `Barrier`'s action): its offset from the anchor and this executable's layout.
pub(crate) fn plain_fn_id(f: fn()) -> (i64, u64) {
    (offset(f as usize), layout_fingerprint())
}

/// The `fn()` that [`plain_fn_id`] named, in this process; `None` when it was named by another
/// executable or falls outside this one's code.
pub(crate) fn plain_fn_at(offset: i64, layout: u64) -> Option<fn()> {
    let addr = address(offset);
    if layout != layout_fingerprint() || !in_code(addr) {
        return None;
    }
    // SAFETY: the layout fingerprint says the offset was taken by `plain_fn_id` in a process
    // running this very executable, where it was the address of an `fn()`; the same distance
    // from the anchor is that function here, and it lies inside this executable's code.
    Some(unsafe { std::mem::transmute::<usize, fn()>(addr) })
}

/// A fingerprint of this executable's layout, compared in the handshake: the distance between
/// two functions of this crate and the code segment's size.
pub(crate) fn layout_fingerprint() -> u64 {
    let other: fn(&[u8]) -> u64 = hash_bytes;
    let size: usize = code_ranges().iter().map(|(a, b)| b - a).sum();
    (offset(other as usize) as u64) ^ ((size as u64) << 20)
}

/// A stable hash of a type's name (FNV-1a).
pub(crate) fn fingerprint<F: Task>() -> u64 {
    hash_bytes(type_name::<F>().as_bytes())
}

#[inline(never)]
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The executable's code segments in this process (start, end).
fn code_ranges() -> &'static [(usize, usize)] {
    static RANGES: OnceLock<Vec<(usize, usize)>> = OnceLock::new();
    RANGES.get_or_init(find_code_ranges)
}

fn in_code(addr: usize) -> bool {
    code_ranges()
        .iter()
        .any(|&(start, end)| (start..end).contains(&addr))
}

fn find_code_ranges() -> Vec<(usize, usize)> {
    unsafe extern "C" fn callback(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: `data` is the `&mut Vec` passed to dl_iterate_phdr below, and `info` points to
        // a valid record for the duration of the callback (dl_iterate_phdr's contract).
        let (ranges, info) = unsafe { (&mut *(data as *mut Vec<(usize, usize)>), &*info) };
        for i in 0..usize::from(info.dlpi_phnum) {
            // SAFETY: `dlpi_phdr` points to `dlpi_phnum` program headers.
            let ph = unsafe { &*info.dlpi_phdr.add(i) };
            if ph.p_type == libc::PT_LOAD && ph.p_flags & libc::PF_X != 0 {
                let start = (info.dlpi_addr as usize).wrapping_add(ph.p_vaddr as usize);
                ranges.push((start, start + ph.p_memsz as usize));
            }
        }
        1 // the first object is the executable itself: stop there
    }
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    // SAFETY: the callback only reads the records it is given and writes to `ranges`, which
    // outlives the call.
    unsafe {
        libc::dl_iterate_phdr(Some(callback), &mut ranges as *mut _ as *mut libc::c_void);
    }
    ranges
}

/// Runs a job in the child: `input` is a postcard sequence of `F::Args`; appends to `out` a
/// sequence of `Result<F::Output, ItemError>`, one per item, in order.
fn run_items<F: Task>(
    func: usize,
    fingerprint_sent: u64,
    input: &[u8],
    out: &mut Vec<u8>,
    progress: &Progress,
) -> Result<(), String> {
    if fingerprint_sent != fingerprint::<F>() {
        return Err(format!(
            "unknown function identity: the job's type fingerprint does not match {}",
            type_name::<F>()
        ));
    }
    // SAFETY: the fingerprint says the parent took `func` from a function of type `F`, and
    // `TaskId::resolve` checked that it lies inside this executable's code.
    let f = unsafe { F::from_addr(func) };
    let (count, rest) = take_varint(input).map_err(|e| e.to_string())?;
    push_varint(out, count);
    // Whether this job is recorded is looked up once, not once per item.
    let traced = crate::trace::on();
    let mut at = 0u64;
    let mut rest = rest;
    if !traced && plain::is_plain::<F::Args>() && plain::is_plain::<F::Output>() {
        let used = run_plain(f, count, rest, &mut at, out, progress);
        rest = &rest[used..];
    }
    let mut de = postcard::Deserializer::from_bytes(rest);
    // One `catch_unwind` for a run of items rather than one per item: it is left only when an
    // item's function panics, and the loop then goes on with the next item. `at` is the item
    // being run and `stage` what it is doing, so a panic is blamed exactly as with one
    // `catch_unwind` around each call: in the function, the item's outcome is `Panicked`; in
    // decoding an argument or encoding a result (a panicking serde impl), the panic goes on
    // and ends the worker, which blames the item through the progress page.
    let mut stage = Stage::Decode;
    let mut decoded_ok = true;
    while at < count {
        let run = panic::catch_unwind(AssertUnwindSafe(|| {
            while at < count {
                progress.set_item(at);
                let _task = traced.then(|| crate::trace::task(type_name::<F>(), at));
                if decoded_ok {
                    stage = Stage::Decode;
                    match F::Args::deserialize(&mut de) {
                        Ok(args) => {
                            stage = Stage::Call;
                            let result = f.call(args);
                            stage = Stage::Encode;
                            encode_ok(&result, out);
                        }
                        Err(err) => {
                            decoded_ok = false;
                            encode_err(
                                ItemError::Decode(format!(
                                    "the argument could not be decoded as {}: {err}{}",
                                    type_name::<F::Args>(),
                                    super::data::take_reason()
                                )),
                                out,
                            );
                        }
                    }
                } else {
                    encode_err(
                        ItemError::Decode(
                            "an earlier argument of the same chunk could not be decoded".into(),
                        ),
                        out,
                    );
                }
                at += 1;
            }
        }));
        if let Err(payload) = run {
            if stage != Stage::Call {
                panic::resume_unwind(payload);
            }
            encode_err(
                ItemError::Panicked(super::unwind::panic_text(&*payload)),
                out,
            );
            at += 1;
        }
    }
    Ok(())
}

/// The loop of [`run_items`] for a task whose argument and result are plain numbers (see
/// `plain.rs`): from item `*at` on, while the arguments decode as plain values; returns how
/// many input bytes it used (an argument that does not decode is left to the serde loop, which
/// says what is wrong with it). As there, one `catch_unwind` covers a run of items, and a panic
/// in the function is the outcome of its item (decoding and encoding a plain value cannot
/// panic).
fn run_plain<F: Task>(
    f: F,
    count: u64,
    input: &[u8],
    at: &mut u64,
    out: &mut Vec<u8>,
    progress: &Progress,
) -> usize {
    let mut used = 0;
    let mut len = out.len();
    while *at < count {
        let run = panic::catch_unwind(AssertUnwindSafe(|| {
            while *at < count {
                progress.set_item(*at);
                let mut arg = None;
                let Some(n) = plain::take::<F::Args>(&input[used..], &mut arg) else {
                    return false;
                };
                used += n;
                let result = f.call(arg.expect("a decoded argument"));
                let window = room_for::<{ 1 + plain::MAX_LEN }>(out, len);
                let [variant, value @ ..] = window;
                *variant = OK_VARIANT;
                len += 1 + plain::put(&result, value).expect("a plain result");
                *at += 1;
            }
            true
        }));
        out.truncate(len);
        match run {
            Ok(true) => break,
            Ok(false) => return used,
            Err(payload) => {
                encode_err(
                    ItemError::Panicked(super::unwind::panic_text(&*payload)),
                    out,
                );
                len = out.len();
                *at += 1;
            }
        }
    }
    used
}

/// What the item loop of `run_items` is doing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Decode,
    Call,
    Encode,
}

/// Appends `Ok(result)` as postcard encodes a `Result` (variant 0, then the value); a result
/// that fails to encode is replaced by an `Encode` error.
#[inline]
fn encode_ok<R: Serialize>(result: &R, out: &mut Vec<u8>) {
    let mark = out.len();
    out.push(OK_VARIANT);
    if let Err(err) = encode_into(result, out) {
        out.truncate(mark);
        encode_err(
            ItemError::Encode(format!(
                "the result could not be encoded as {}: {err}",
                type_name::<R>()
            )),
            out,
        );
    }
}

/// Appends `Err(err)`: it encodes the same whatever the `Ok` type is.
fn encode_err(err: ItemError, out: &mut Vec<u8>) {
    let outcome: Result<(), ItemError> = Err(err);
    encode_into(&outcome, out).expect("an error message always encodes");
}

/// postcard's encoding of `Result::Ok`'s variant index (a varint, one byte).
pub(crate) const OK_VARIANT: u8 = 0;

/// postcard's encoding of `Result::Err`'s variant index.
pub(crate) const ERR_VARIANT: u8 = 1;

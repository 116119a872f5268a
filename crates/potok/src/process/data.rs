//! How values are encoded: the bound every value that crosses a process boundary satisfies
//! ([`Data`]), and postcard in and out of plain byte buffers.

use std::panic;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::plain;

/// Data that can cross a process boundary: serde both ways, sendable, owned. Every type with
/// `Serialize`, `DeserializeOwned` and `Send` is `Data`: task arguments and results, a
/// [`Process`](crate::process::Process)'s argument and result, a process
/// [`Queue`](crate::process::Queue)'s items, a [`Connection`](crate::process::Connection)'s
/// messages.
///
/// (The name `Value` is kept free for a value in memory shared between processes, as Python's
/// `multiprocessing.Value`.)
///
/// # Examples
///
/// ```
/// use potok::process::Data;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Point {
///     x: i32,
///     y: i32,
/// }
///
/// fn crosses<T: Data>() {}
/// crosses::<Point>();
/// crosses::<(String, Vec<u64>)>();
/// ```
pub trait Data: Serialize + DeserializeOwned + Send + 'static {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Data for T {}

/// Appends the postcard encoding of `value` to `out`.
///
/// Inlined, with the serializer built here rather than in `postcard::serialize_with_flavor`, so
/// that encoding a small value is a few instructions in the caller's loop.
#[inline]
pub(crate) fn encode_into<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), postcard::Error> {
    value.serialize(&mut postcard::Serializer {
        output: Appender(out),
    })
}

/// Lets postcard append straight to a borrowed buffer.
struct Appender<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Appender<'_> {
    type Output = ();

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        // Most calls carry a varint of one to three bytes: copies of a fixed length compile to
        // a store or two, where a byte-by-byte push loop reloaded the length every byte
        // (measured: 16% of a map's CPU in the caller, before).
        match *data {
            [a] => self.0.push(a),
            [a, b] => self.0.extend_from_slice(&[a, b]),
            [a, b, c] => self.0.extend_from_slice(&[a, b, c]),
            _ => self.0.extend_from_slice(data),
        }
        Ok(())
    }

    #[inline]
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Why [`encode_run`] stopped before it had encoded as many items as it was asked to.
pub(crate) enum RunStop {
    /// The item last taken made the bytes longer than the limit; its bytes start at this
    /// offset (they are still in the buffer, after the items encoded before it).
    Over(usize),
    /// The item last taken could not be encoded; nothing of it is in the buffer.
    Failed(postcard::Error),
}

/// Encodes up to `max` items taken from `items` into `out`, one after another, each as
/// [`encode_into`] would; returns how many were encoded, and why it stopped early, if it did
/// (the item it stopped at has been taken). `limit` is the most bytes `out` may hold.
///
/// This is the caller's hot loop in a `map` (a fifth of its CPU was encoding). Plain numbers
/// are written straight into a zero-filled window of `out`'s capacity, at a position kept in a
/// register (see `plain.rs`), not byte by byte through serde and `Vec::push`.
#[inline]
pub(crate) fn encode_run<T: Serialize + 'static>(
    items: &mut impl Iterator<Item = T>,
    max: usize,
    limit: usize,
    out: &mut Vec<u8>,
) -> (usize, Option<RunStop>) {
    if plain::is_plain::<T>() {
        return encode_plain_run(items, max, limit, out);
    }
    let mut done = 0;
    while done < max {
        let Some(item) = items.next() else {
            break;
        };
        let mark = out.len();
        if let Err(err) = encode_into(&item, out) {
            out.truncate(mark);
            return (done, Some(RunStop::Failed(err)));
        }
        if out.len() > limit {
            return (done, Some(RunStop::Over(mark)));
        }
        done += 1;
    }
    (done, None)
}

/// [`encode_run`] for a plain `T`.
#[inline]
fn encode_plain_run<T: 'static>(
    items: &mut impl Iterator<Item = T>,
    max: usize,
    limit: usize,
    out: &mut Vec<u8>,
) -> (usize, Option<RunStop>) {
    let mut len = out.len();
    let mut done = 0;
    while done < max {
        let Some(item) = items.next() else {
            break;
        };
        let end = {
            let window = room_for::<{ plain::MAX_LEN }>(out, len);
            len + plain::put(&item, window).expect("a plain value")
        };
        if end > limit {
            out.truncate(end);
            return (done, Some(RunStop::Over(len)));
        }
        len = end;
        done += 1;
    }
    out.truncate(len);
    (done, None)
}

/// The `N` bytes of `out` from `len` on, its zero-filled window (its length is the window's
/// end, `len` where the bytes written so far end) made larger first if need be. Callers
/// truncate `out` to their `len` once done.
#[inline(always)]
pub(crate) fn room_for<const N: usize>(out: &mut Vec<u8>, len: usize) -> &mut [u8; N] {
    if out.len() < len + N {
        grow(out, len + N);
    }
    (&mut out[len..len + N])
        .try_into()
        .expect("a window of N bytes")
}

/// Makes the window at least `end` bytes long, zero-filled: all of `out`'s capacity, which is
/// doubled first if it is short. (Small: a job of one item must not pay for kilobytes, which
/// made `map` with chunk size 1 twice as slow when the least was 4 KiB.)
#[cold]
fn grow(out: &mut Vec<u8>, end: usize) {
    if out.capacity() < end {
        out.reserve(end.max(2 * out.len()).max(64) - out.len());
    }
    out.resize(out.capacity(), 0);
}

thread_local! {
    /// Why the last `Deserialize` of this thread that gave a custom reason failed: postcard
    /// keeps only "Serde Deserialization Error", so a type whose decoding can fail for a reason
    /// of its own (a shared-memory segment that is gone) leaves it here, and the decoder's
    /// error message appends it.
    static REASON: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// A serde decoding error with `reason`, which reaches the error message even through postcard
/// (see [`take_reason`]).
pub(crate) fn decode_error<E: serde::de::Error>(reason: impl std::fmt::Display) -> E {
    let reason = reason.to_string();
    REASON.with(|r| *r.borrow_mut() = Some(reason.clone()));
    E::custom(reason)
}

/// `": REASON"` for the last custom decoding failure of this thread, once; else nothing.
pub(crate) fn take_reason() -> String {
    REASON
        .with(|r| r.borrow_mut().take())
        .map(|reason| format!(" ({reason})"))
        .unwrap_or_default()
}

/// Decodes a whole message as one `T`: bytes left over mean it was something else.
pub(crate) fn decode_exact<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(format!(
            "not a {}: {} bytes left over",
            std::any::type_name::<T>(),
            rest.len()
        )),
        Err(e) => Err(format!(
            "not a {}: {e}{}",
            std::any::type_name::<T>(),
            take_reason()
        )),
    }
}

/// Where each of the `count` encoded `T`s in `bytes` starts (used only to split a chunk after
/// its worker died); `None` if they do not decode.
///
/// A `Deserialize` that panics counts as not decoding: this runs on a pool's worker thread,
/// which must survive it.
pub(crate) fn item_offsets<T: Data>(bytes: &[u8], count: usize) -> Option<Vec<usize>> {
    panic::catch_unwind(|| {
        let mut offsets = Vec::with_capacity(count);
        let mut rest = bytes;
        for _ in 0..count {
            offsets.push(bytes.len() - rest.len());
            rest = postcard::take_from_bytes::<T>(rest).ok()?.1;
        }
        Some(offsets)
    })
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `encode_into` (its own serializer and appending flavor) writes exactly postcard's bytes,
    /// whatever the lengths of the pieces it is handed.
    #[test]
    fn encode_into_matches_postcard() {
        fn check<T: Serialize + ?Sized>(value: &T) {
            let mut out = vec![0xAA];
            encode_into(value, &mut out).unwrap();
            assert_eq!(out[1..], postcard::to_allocvec(value).unwrap()[..]);
        }
        for n in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            u64::MAX,
        ] {
            check(&n);
            check(&(n as i64).wrapping_neg());
            check(&Ok::<u64, String>(n));
        }
        check(&Err::<u64, String>("x".repeat(200)));
        check(&("a string", 1.5f64, [1u8, 2, 3], vec![Some(7u32), None]));
        check(&u128::MAX);
        check("");
    }
}

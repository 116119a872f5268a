//! Plain numbers (`u8` to `u64`, `usize`, `i8` to `i64`, `isize`, `f32`, `f64`, `bool`) in
//! postcard's bytes, written and read here without going through serde.
//!
//! The bytes are exactly postcard's (a varint for the wider integers, zig-zagged when signed;
//! one byte for `u8`, `i8` and `bool`; little-endian bits for the floats), so nothing on the
//! wire changes: this is only a faster way to produce and check them. A `map` over numbers
//! spends most of its CPU encoding and decoding them, and through serde each byte goes through
//! a staging buffer and the output's length in memory; here a value is a few instructions on
//! registers. Which type a value has is told by its `TypeId`, which the compiler resolves, so
//! for any other type these functions are not reached (callers ask [`is_plain`] first).

use std::any::{Any, TypeId};

/// The most bytes a plain value takes (a `u64` varint).
pub(crate) const MAX_LEN: usize = 10;

/// Whether `T` is one of the plain types.
#[inline(always)]
pub(crate) fn is_plain<T: 'static>() -> bool {
    let t = TypeId::of::<T>();
    [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
        TypeId::of::<i8>(),
        TypeId::of::<i16>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
        TypeId::of::<isize>(),
        TypeId::of::<f32>(),
        TypeId::of::<f64>(),
        TypeId::of::<bool>(),
    ]
    .contains(&t)
}

/// Writes `value`'s postcard bytes at the start of `dst` and returns how many; `None` if `T`
/// is not plain.
#[inline(always)]
pub(crate) fn put<T: 'static>(value: &T, dst: &mut [u8; MAX_LEN]) -> Option<usize> {
    let any: &dyn Any = value;
    macro_rules! unsigned {
        ($($t:ty),*) => {$(
            if let Some(&v) = any.downcast_ref::<$t>() {
                return Some(put_varint(v as u64, dst));
            }
        )*};
    }
    macro_rules! signed {
        ($($t:ty),*) => {$(
            if let Some(&v) = any.downcast_ref::<$t>() {
                let v = v as i64;
                return Some(put_varint(((v << 1) ^ (v >> 63)) as u64, dst));
            }
        )*};
    }
    unsigned!(u16, u32, u64, usize);
    signed!(i16, i32, i64, isize);
    let byte = if let Some(&v) = any.downcast_ref::<u8>() {
        v
    } else if let Some(&v) = any.downcast_ref::<i8>() {
        v as u8
    } else if let Some(&v) = any.downcast_ref::<bool>() {
        u8::from(v)
    } else if let Some(&v) = any.downcast_ref::<f32>() {
        dst[..4].copy_from_slice(&v.to_bits().to_le_bytes());
        return Some(4);
    } else if let Some(&v) = any.downcast_ref::<f64>() {
        dst[..8].copy_from_slice(&v.to_bits().to_le_bytes());
        return Some(8);
    } else {
        return None;
    };
    dst[0] = byte;
    Some(1)
}

#[inline(always)]
fn put_varint(mut v: u64, dst: &mut [u8; MAX_LEN]) -> usize {
    if v < 1 << 21 {
        // One to three bytes (most numbers a map is given), without a loop or a branch: the
        // 7-bit groups spread to bytes, the continuation bits on all but the last, one store.
        let n = 1 + usize::from(v >= 1 << 7) + usize::from(v >= 1 << 14);
        let groups = (v & 0x7f) | ((v << 1) & 0x7f00) | ((v << 2) & 0x7f_0000);
        let more = (0x8080u64 >> (8 * (3 - n))) & 0x8080;
        dst[..4].copy_from_slice(&((groups | more) as u32).to_le_bytes());
        return n;
    }
    let mut i = 0;
    while v >= 0x80 && i < MAX_LEN - 1 {
        dst[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    dst[i] = v as u8;
    i + 1
}

/// Reads a plain `T` from the start of `src` into `out` and returns how many bytes it took;
/// `None` if the bytes are not a `T` as postcard writes it (or `T` is not plain): the caller
/// then decodes them with postcard, which says what is wrong.
#[inline(always)]
pub(crate) fn take<T: 'static>(src: &[u8], out: &mut Option<T>) -> Option<usize> {
    let any: &mut dyn Any = out;
    macro_rules! unsigned {
        ($($t:ty),*) => {$(
            if let Some(out) = any.downcast_mut::<Option<$t>>() {
                let (v, n) = take_varint::<$t>(src)?;
                *out = Some(<$t>::try_from(v).ok()?);
                return Some(n);
            }
        )*};
    }
    macro_rules! signed {
        ($($t:ty),*) => {$(
            if let Some(out) = any.downcast_mut::<Option<$t>>() {
                let (v, n) = take_varint::<$t>(src)?;
                let v = ((v >> 1) as i64) ^ -((v & 1) as i64);
                *out = Some(<$t>::try_from(v).ok()?);
                return Some(n);
            }
        )*};
    }
    unsigned!(u64, u32, usize, u16);
    signed!(i64, i32, isize, i16);
    let first = *src.first()?;
    if let Some(out) = any.downcast_mut::<Option<u8>>() {
        *out = Some(first);
    } else if let Some(out) = any.downcast_mut::<Option<i8>>() {
        *out = Some(first as i8);
    } else if let Some(out) = any.downcast_mut::<Option<bool>>() {
        *out = Some(match first {
            0 => false,
            1 => true,
            _ => return None,
        });
    } else if let Some(out) = any.downcast_mut::<Option<f32>>() {
        let bits = src.get(..4)?.try_into().ok()?;
        *out = Some(f32::from_bits(u32::from_le_bytes(bits)));
        return Some(4);
    } else if let Some(out) = any.downcast_mut::<Option<f64>>() {
        let bits = src.get(..8)?.try_into().ok()?;
        *out = Some(f64::from_bits(u64::from_le_bytes(bits)));
        return Some(8);
    } else {
        return None;
    }
    Some(1)
}

/// A varint of an integer as wide as `T`, checked as postcard checks it: at most as many
/// bytes as that width needs, and no bits beyond it in the last one.
#[inline(always)]
fn take_varint<T>(src: &[u8]) -> Option<(u64, usize)> {
    // Where ten bytes are left (all but the last values of a job), the loop below reads them
    // without a bounds check per byte.
    match src.first_chunk::<MAX_LEN>() {
        Some(head) => varint_in::<T>(head),
        None => varint_in::<T>(src),
    }
}

#[inline(always)]
fn varint_in<T>(src: &[u8]) -> Option<(u64, usize)> {
    let bits = 8 * std::mem::size_of::<T>();
    let max = bits.div_ceil(7);
    let last_max = (1u8 << (bits % 7)) - 1;
    // A loop, whose branches the CPU predicts (the lengths of neighbouring numbers tend to be
    // alike): each value's end is known at once. Gathering the bytes without branches was
    // measured slower (twice the pool thread's decoding time), as the next value's start
    // then waits for the whole computation.
    let mut v = 0u64;
    for i in 0..max {
        let b = *src.get(i)?;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (i + 1 < max || b <= last_max).then_some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde::Serialize;

    /// Every value writes postcard's bytes and reads back from them; postcard's own bytes read
    /// back the same.
    fn check<T: Serialize + DeserializeOwned + PartialEq + Copy + std::fmt::Debug + 'static>(v: T) {
        assert!(is_plain::<T>());
        let theirs = postcard::to_allocvec(&v).unwrap();
        let mut dst = [0u8; MAX_LEN];
        let n = put(&v, &mut dst).unwrap();
        assert_eq!(&dst[..n], &theirs[..], "{v:?}");
        let mut back = None;
        // What follows is not read: one byte (the bytes near a job's end), or ten.
        for pad in [1, MAX_LEN] {
            let mut src = theirs.clone();
            src.extend(std::iter::repeat_n(0xEE, pad));
            assert_eq!(take::<T>(&src, &mut back), Some(n), "{v:?}");
            assert_eq!(back.take(), Some(v));
        }
        // Cut short: not a value.
        assert_eq!(take::<T>(&theirs[..n - 1], &mut None), None);
    }

    #[test]
    fn plain_values_are_postcards_bytes() {
        let edges = (0..64).flat_map(|bit| [(1u64 << bit) - 1, 1 << bit, (1 << bit) + 1]);
        for v in [0u64, 1, 127, 128, 300, 16_383, 16_384, 1 << 40, u64::MAX]
            .into_iter()
            .chain(edges)
        {
            check(v);
            check(v as usize);
            check(v as u32);
            check(v as u16);
            check(v as u8);
        }
        let edges =
            (0..63).flat_map(|bit| [1i64 << bit, -(1 << bit), (1 << bit) - 1, -(1 << bit) - 1]);
        for v in [0i64, 1, -1, 63, -64, 64, -65, 1 << 40, i64::MIN, i64::MAX]
            .into_iter()
            .chain(edges)
        {
            check(v);
            check(v as isize);
            check(v as i32);
            check(v as i16);
            check(v as i8);
        }
        for v in [0.0f64, -1.5, f64::MAX, f64::INFINITY] {
            check(v);
            check(v as f32);
        }
        check(true);
        check(false);
    }

    #[test]
    fn what_postcard_refuses_is_refused() {
        // A u32 varint of six bytes, or with bits past 32 in its fifth byte.
        assert_eq!(
            take::<u32>(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], &mut None),
            None
        );
        assert_eq!(
            take::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x1f], &mut None),
            None
        );
        assert!(postcard::from_bytes::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x1f]).is_err());
        assert_eq!(
            take::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x0f], &mut None),
            Some(5)
        );
        // A u64 varint with more than one bit in its tenth byte.
        let mut long = [0xffu8; 10];
        long[9] = 0x02;
        assert_eq!(take::<u64>(&long, &mut None), None);
        assert!(postcard::from_bytes::<u64>(&long).is_err());
        assert_eq!(take::<bool>(&[2], &mut None), None);
        assert!(!is_plain::<String>());
        assert!(!is_plain::<(u64, u64)>());
        assert_eq!(put(&String::new(), &mut [0; MAX_LEN]), None);
    }
}

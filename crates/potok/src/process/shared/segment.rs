//! The layout of a potok object in shared memory: the lock (its word, who holds it) in the
//! first cache line, with a small value beside it; what the segment holds on the next line;
//! the data at [`DATA_OFFSET`].

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::error::SharedMemoryError;
use super::memory::SharedMemory;

/// Where the data starts: past the header, aligned for any plain type up to 256 bytes.
pub(crate) const DATA_OFFSET: usize = 256;

/// "POTK": the segment was made by potok.
const MAGIC: u32 = 0x4b54_4f50;

/// What a segment holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A bare [`Lock`](super::Lock).
    Lock = 1,
    /// A [`Value`](super::Value).
    Value = 2,
    /// An [`Array`](super::Array).
    Array = 3,
    /// An [`Event`](super::Event).
    Event = 4,
    /// An [`RLock`](super::RLock).
    RLock = 5,
    /// A [`Semaphore`](super::Semaphore).
    Semaphore = 6,
    /// A [`BoundedSemaphore`](super::BoundedSemaphore).
    BoundedSemaphore = 7,
    /// A [`Condition`](super::Condition).
    Condition = 8,
    /// A [`Barrier`](super::Barrier).
    Barrier = 9,
    /// The task count of a [`JoinableQueue`](crate::process::JoinableQueue) (`tasks.rs`);
    /// numbered apart from the synchronisation primitives'.
    Tasks = 16,
}

/// The state of a synchronisation primitive, laid out in its segment's data.
///
/// # Safety
///
/// The type must be `#[repr(C)]`, at most 256-byte aligned, and made of atomics only (or
/// arrays of them), so that the all-zero bytes of a fresh segment and whatever another
/// process wrote are a valid value, and sharing it between processes is sound.
pub(crate) unsafe trait State: Sized {}

/// The lock's part of a segment, at offset 0: everything an acquire and a release touch, in
/// one cache line (the word, who holds it, what the holder's process calls itself), so a lock
/// handed from one process to another moves one line between caches. The rest of the line,
/// from [`INLINE_OFFSET`], holds a small [`Value`](super::Value)'s data, so a counter under its
/// lock moves with it. All atomics: every process may read and write it at any time; a fresh
/// segment is zero-filled, which is a valid (free) lock.
#[repr(C)]
pub(crate) struct Header {
    /// The lock word (see `word.rs`): 0 when free, else the holder's thread id, with
    /// `WAITERS` set when someone may sleep on it.
    pub(crate) word: AtomicU32,
    /// The pid whose name [`label`](Self::label) holds (0: none yet, or being rewritten).
    pub(crate) label_pid: AtomicU32,
    /// `pid << 32 | tid` of the holder, one store by the holder right after it takes the
    /// word (stale when its tid is not the word's holder).
    pub(crate) holder: AtomicU64,
    /// What process [`label_pid`](Self::label_pid) calls itself (`MainProcess`,
    /// `Process-1`, ...), written again only when a lock is taken by another process than
    /// the last one recorded.
    pub(crate) label: [AtomicU64; 4],
}

/// Where a small [`Value`](super::Value)'s data sits: in the lock's cache line, right after
/// the [`Header`].
pub(crate) const INLINE_OFFSET: usize = 48;

/// The largest value (size and alignment) kept at [`INLINE_OFFSET`].
pub(crate) const INLINE_MAX: usize = 16;

/// What the segment is, at [`META_OFFSET`]: written once by the creator, read by openers.
#[repr(C)]
struct Meta {
    magic: AtomicU32,
    kind: AtomicU32,
    /// Identifies the element type of a `Value` or `Array` (0 for a bare lock).
    type_hash: AtomicU64,
    /// The number of elements (1 for a `Value`, 0 for a bare lock).
    len: AtomicU64,
    lock_name: [AtomicU64; 8],
}

/// Where [`Meta`] starts: on the line after the lock's.
const META_OFFSET: usize = 64;

const _: () = assert!(std::mem::size_of::<Header>() == INLINE_OFFSET);
const _: () = assert!(INLINE_OFFSET + INLINE_MAX <= META_OFFSET);
const _: () = assert!(META_OFFSET + std::mem::size_of::<Meta>() <= DATA_OFFSET);

/// Packs the first bytes of `s` (cut at a character boundary) into `slots`, zero-terminated
/// unless it fills them.
pub(crate) fn store_str(slots: &[AtomicU64], s: &str) {
    let mut end = s.len().min(slots.len() * 8);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut bytes = [0u8; 64];
    bytes[..end].copy_from_slice(&s.as_bytes()[..end]);
    for (i, slot) in slots.iter().enumerate() {
        let word = u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        slot.store(word, Ordering::Relaxed);
    }
}

/// Packs `s` into words as [`store_str`] would (to store them again quickly).
pub(crate) fn pack_str(s: &str) -> [u64; 4] {
    let slots: [AtomicU64; 4] = Default::default();
    store_str(&slots, s);
    slots.map(AtomicU64::into_inner)
}

/// Reads back what [`store_str`] stored.
pub(crate) fn load_str(slots: &[AtomicU64]) -> String {
    let mut bytes = Vec::with_capacity(slots.len() * 8);
    for slot in slots {
        bytes.extend_from_slice(&slot.load(Ordering::Relaxed).to_le_bytes());
    }
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// An FNV-1a hash of the element type's name and size: tells a `Value<u64>` from a
/// `Value<i64>` (the same executable names types the same way in every process).
pub(crate) fn type_hash<T>() -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let name = std::any::type_name::<T>();
    for b in name.bytes().chain(std::mem::size_of::<T>().to_le_bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash | 1
}

/// A mapped potok segment.
#[derive(Clone, Debug)]
pub(crate) struct Segment {
    mem: SharedMemory,
}

/// What an opener expects to find.
pub(crate) struct Expect<'a> {
    /// `None`: any kind (every potok segment has a lock).
    pub(crate) kind: Option<Kind>,
    pub(crate) type_hash: u64,
    /// The element size, to check the segment's size against its recorded length.
    pub(crate) elem_size: usize,
    /// For messages: `Value<u64>`.
    pub(crate) what: &'a str,
}

impl Segment {
    /// Creates a segment for `len` elements of `elem_size` bytes.
    pub(crate) fn create(
        kind: Kind,
        type_hash: u64,
        elem_size: usize,
        len: usize,
        lock_name: Option<&str>,
    ) -> Result<Segment, SharedMemoryError> {
        let bytes = elem_size
            .checked_mul(len)
            .and_then(|b| b.checked_add(DATA_OFFSET))
            .ok_or(SharedMemoryError::ZeroSize)?;
        let mem = SharedMemory::create(bytes)?;
        let seg = Segment { mem };
        let meta = seg.meta();
        meta.kind.store(kind as u32, Ordering::Relaxed);
        meta.type_hash.store(type_hash, Ordering::Relaxed);
        meta.len.store(len as u64, Ordering::Relaxed);
        store_str(&meta.lock_name, lock_name.unwrap_or(seg.name()));
        meta.magic.store(MAGIC, Ordering::Release);
        Ok(seg)
    }

    /// Opens the segment `name` and checks it holds what the caller expects.
    pub(crate) fn open(name: &str, expect: &Expect<'_>) -> Result<Segment, SharedMemoryError> {
        let mem = SharedMemory::open(name)?;
        let bare = mem.name().to_owned();
        let wrong = || SharedMemoryError::WrongKind {
            name: bare.clone(),
            expected: expect.what.to_owned(),
        };
        if mem.size() < DATA_OFFSET {
            return Err(wrong());
        }
        let seg = Segment { mem };
        let meta = seg.meta();
        if meta.magic.load(Ordering::Acquire) != MAGIC {
            return Err(wrong());
        }
        if let Some(kind) = expect.kind {
            if meta.kind.load(Ordering::Relaxed) != kind as u32
                || meta.type_hash.load(Ordering::Relaxed) != expect.type_hash
            {
                return Err(wrong());
            }
            let len = usize::try_from(meta.len.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
            let expected = len
                .checked_mul(expect.elem_size)
                .and_then(|b| b.checked_add(DATA_OFFSET));
            if expected != Some(seg.mem.size()) {
                return Err(SharedMemoryError::SizeMismatch {
                    name: seg.name().to_owned(),
                    expected,
                    found: seg.mem.size(),
                });
            }
        }
        Ok(seg)
    }

    /// Creates a segment holding a zeroed `S` (`what` the kind of primitive).
    pub(crate) fn create_state<S: State>(
        kind: Kind,
        name: Option<&str>,
    ) -> Result<Segment, SharedMemoryError> {
        Segment::create(kind, type_hash::<S>(), std::mem::size_of::<S>(), 1, name)
    }

    /// Opens a segment made by [`create_state`](Self::create_state) with the same `kind`.
    pub(crate) fn open_state<S: State>(
        name: &str,
        kind: Kind,
        what: &str,
    ) -> Result<Segment, SharedMemoryError> {
        let expect = Expect {
            kind: Some(kind),
            type_hash: type_hash::<S>(),
            elem_size: std::mem::size_of::<S>(),
            what,
        };
        Segment::open(name, &expect)
    }

    /// The primitive's state in the data (the segment was made or opened with `S`'s size).
    pub(crate) fn state<S: State>(&self) -> &S {
        assert!(
            DATA_OFFSET + std::mem::size_of::<S>() <= self.mem.size()
                && std::mem::align_of::<S>() <= DATA_OFFSET,
            "segment too small for its state"
        );
        // SAFETY: in bounds (checked above) and aligned (the mapping is page aligned,
        // DATA_OFFSET is a multiple of S's alignment); `S: State` promises that any bytes are a
        // valid S made of atomics; the reference borrows `self.mem`, which keeps the mapping.
        unsafe { &*self.data().cast::<S>() }
    }

    /// Where the mapping is in this process: the object's identity in reports.
    pub(crate) fn address(&self) -> usize {
        self.mem.as_ptr() as usize
    }

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the mapping is at least DATA_OFFSET bytes (checked in `open`, made so in
        // `create`) and page aligned, so the header is in bounds and aligned; it is all
        // atomics, for which zero and any other bit pattern are valid; the mapping lives as
        // long as `self.mem`, which the returned reference borrows.
        unsafe { &*self.mem.as_ptr().cast::<Header>() }
    }

    fn meta(&self) -> &Meta {
        // SAFETY: as for `header`: META_OFFSET + size_of::<Meta>() <= DATA_OFFSET (asserted at
        // compile time) is within the mapping, META_OFFSET (64) is a multiple of Meta's
        // alignment (8), and Meta is all atomics.
        unsafe { &*self.mem.as_ptr().add(META_OFFSET).cast::<Meta>() }
    }

    /// Where a small value's data is (see [`INLINE_OFFSET`]): inside the mapping, outside
    /// [`Header`] and [`Meta`].
    #[inline]
    pub(crate) fn inline_data(&self) -> *mut u8 {
        // SAFETY: INLINE_OFFSET is within the mapping (see `header`).
        unsafe { self.mem.as_ptr().add(INLINE_OFFSET) }
    }

    /// The first byte of the data.
    #[inline]
    pub(crate) fn data(&self) -> *mut u8 {
        // SAFETY: DATA_OFFSET is within the mapping (see `header`).
        unsafe { self.mem.as_ptr().add(DATA_OFFSET) }
    }

    /// The number of elements recorded.
    pub(crate) fn len(&self) -> usize {
        usize::try_from(self.meta().len.load(Ordering::Relaxed)).unwrap_or(0)
    }

    pub(crate) fn name(&self) -> &str {
        self.mem.name()
    }

    pub(crate) fn lock_name(&self) -> String {
        load_str(&self.meta().lock_name)
    }
}

/// Travels as the segment's name; the handle is kept alive with the argument being encoded
/// (see `keep.rs`), so the other side can still open it.
impl serde::Serialize for Segment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.mem.serialize(serializer)
    }
}

/// Reads a segment's name and opens it as a `kind` primitive with state `S`.
pub(crate) fn deserialize_state<'de, S: State, D: serde::Deserializer<'de>>(
    deserializer: D,
    kind: Kind,
    what: &str,
) -> Result<Segment, D::Error> {
    let name = <String as serde::Deserialize>::deserialize(deserializer)?;
    Segment::open_state::<S>(&name, kind, what).map_err(super::super::data::decode_error)
}

//! [`Array`]: Python's `multiprocessing.Array`, a fixed-length array of plain values in
//! shared memory with its own process [`Lock`].

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use bytemuck::Pod;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{OwnerDied, SharedMemoryError};
use super::lock::{Lock, LockGuard};
use super::segment::{type_hash, Expect, Kind, Segment, DATA_OFFSET};

/// A fixed-length array of plain data (`T: Pod`) shared between processes, with a process
/// [`Lock`]: Python's `multiprocessing.Array(typecode, xs)`.
///
/// The same rules as [`Value`](super::Value): it travels as its segment's name; methods take
/// the lock (and say so with [`OwnerDied`] when its holder died holding it); the segment goes
/// away with the creator's last handle. Its length is fixed when it is made.
///
/// # Examples
///
/// ```
/// use potok::process::Array;
///
/// let xs = Array::new(&[1u32, 2, 3]).unwrap();
/// xs.lock().unwrap().iter_mut().for_each(|x| *x *= 2); // with xs.get_lock(): ...
/// assert_eq!(xs.to_vec().unwrap(), vec![2, 4, 6]);
/// assert_eq!(xs.len(), 3);
/// ```
pub struct Array<T> {
    lock: Lock,
    len: usize,
    _type: PhantomData<T>,
}

impl<T: Pod> Array<T> {
    fn expect() -> Expect<'static> {
        Expect {
            kind: Some(Kind::Array),
            type_hash: type_hash::<T>(),
            elem_size: std::mem::size_of::<T>(),
            what: "Array",
        }
    }

    /// A new shared array holding a copy of `items`, in a fresh segment.
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if the segment cannot be made.
    ///
    /// # Panics
    ///
    /// If `T` needs an alignment above 256 bytes.
    pub fn new(items: &[T]) -> Result<Array<T>, SharedMemoryError> {
        assert!(
            std::mem::align_of::<T>() <= DATA_OFFSET,
            "alignment above 256"
        );
        let seg = Segment::create(
            Kind::Array,
            type_hash::<T>(),
            std::mem::size_of::<T>(),
            items.len(),
            None,
        )?;
        // SAFETY: the segment was just made, nobody else has its name yet; it has room for
        // `items.len()` values after DATA_OFFSET, aligned (checked above), and does not overlap
        // `items`.
        unsafe {
            std::ptr::copy_nonoverlapping(items.as_ptr(), seg.data().cast::<T>(), items.len());
        }
        Ok(Array {
            len: items.len(),
            lock: Lock::in_segment(seg),
            _type: PhantomData,
        })
    }

    /// A new shared array of `len` zeroes (Python's `Array('i', 10)`).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn zeroed(len: usize) -> Result<Array<T>, SharedMemoryError> {
        Array::new(&vec![T::zeroed(); len])
    }

    /// Opens the array another process created, by its [`name`](Self::name).
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError::NotFound`] if no segment has that name,
    /// [`SharedMemoryError::WrongKind`] if it holds something else than an `Array<T>`,
    /// [`SharedMemoryError::SizeMismatch`] if its size does not match its length.
    pub fn open(name: &str) -> Result<Array<T>, SharedMemoryError> {
        let seg = Segment::open(name, &Array::<T>::expect())?;
        Ok(Array {
            len: seg.len(),
            lock: Lock::in_segment(seg),
            _type: PhantomData,
        })
    }

    /// The segment's name.
    pub fn name(&self) -> &str {
        self.lock.segment().name()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The array's lock (Python's `get_lock()`).
    pub fn get_lock(&self) -> &Lock {
        &self.lock
    }

    fn guard<'a>(&'a self, guard: LockGuard<'a>) -> ArrayGuard<'a, T> {
        ArrayGuard {
            _guard: guard,
            ptr: self.lock.segment().data().cast::<T>(),
            len: self.len,
            _type: PhantomData,
        }
    }

    /// Takes the lock and returns a guard that gives `&mut [T]` until dropped.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] (with the guard inside) if the lock's holder died holding it.
    ///
    /// # Panics
    ///
    /// If this thread holds the array's lock already.
    pub fn lock(&self) -> Result<ArrayGuard<'_, T>, OwnerDied<ArrayGuard<'_, T>>> {
        match self.lock.lock() {
            Ok(guard) => Ok(self.guard(guard)),
            Err(died) => Err(died.map(|guard| self.guard(guard))),
        }
    }

    /// A copy of element `i`, read under the lock (Python's `xs[i]`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] (with the element inside) if the lock's holder died holding it.
    ///
    /// # Panics
    ///
    /// If `i` is out of bounds, or this thread holds the lock already.
    pub fn get(&self, i: usize) -> Result<T, OwnerDied<T>> {
        match self.lock() {
            Ok(guard) => Ok(guard[i]),
            Err(died) => Err(died.map(|guard| guard[i])),
        }
    }

    /// Sets element `i` under the lock (Python's `xs[i] = x`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the lock's holder died holding it (the element is set all the same).
    ///
    /// # Panics
    ///
    /// If `i` is out of bounds, or this thread holds the lock already.
    pub fn set(&self, i: usize, value: T) -> Result<(), OwnerDied> {
        match self.lock() {
            Ok(mut guard) => {
                guard[i] = value;
                Ok(())
            }
            Err(died) => Err(died.map(|mut guard| guard[i] = value)),
        }
    }

    /// A copy of the whole array, read under the lock (Python's `xs[:]`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] (with the copy inside) if the lock's holder died holding it.
    ///
    /// # Panics
    ///
    /// If this thread holds the lock already.
    pub fn to_vec(&self) -> Result<Vec<T>, OwnerDied<Vec<T>>> {
        match self.lock() {
            Ok(guard) => Ok(guard.to_vec()),
            Err(died) => Err(died.map(|guard| guard.to_vec())),
        }
    }
}

impl<T> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array {
            lock: self.lock.clone(),
            len: self.len,
            _type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Array")
            .field("type", &std::any::type_name::<T>())
            .field("len", &self.len)
            .field("segment", &self.lock.segment().name())
            .field("locked", &self.lock.locked())
            .finish()
    }
}

/// Travels as its segment's name; the other side opens the same array.
impl<T> Serialize for Array<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.lock.segment().serialize(serializer)
    }
}

impl<'de, T: Pod> Deserialize<'de> for Array<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Array::open(&name).map_err(super::super::data::decode_error)
    }
}

/// The lock of an [`Array`], held, with access to the elements; releases the lock when
/// dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ArrayGuard<'a, T> {
    _guard: LockGuard<'a>,
    ptr: *mut T,
    len: usize,
    _type: PhantomData<&'a mut [T]>,
}

impl<T> Deref for ArrayGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: this thread holds the array's lock (the guard cannot leave the thread and
        // only the holder may release the lock), so no other potok handle touches the elements
        // until the guard drops; `len` elements are in bounds and aligned (checked when the
        // segment was made or opened); `T: Pod`, so whatever bytes are there are valid.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<T> DerefMut for ArrayGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference through the guard.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl<T> fmt::Debug for ArrayGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrayGuard")
            .field("type", &std::any::type_name::<T>())
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

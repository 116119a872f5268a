//! [`Value`]: Python's `multiprocessing.Value`, one plain value in shared memory with its
//! own process [`Lock`].

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use bytemuck::Pod;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{OwnerDied, SharedMemoryError};
use super::lock::{Lock, LockGuard};
use super::segment::{type_hash, Expect, Kind, Segment, DATA_OFFSET, INLINE_MAX};

/// One value of plain data (`T: Pod`: numbers, bools as `u8`, fixed-size arrays of them, or
/// your own `#[repr(C)]` struct deriving `Pod`) shared between processes, with a process
/// [`Lock`]: Python's `multiprocessing.Value(typecode, v)`.
///
/// Handed to a child in [`Process`](crate::process::Process) or pool-task arguments it travels
/// as its segment's name; every copy is the same value. [`get`](Self::get) and
/// [`set`](Self::set) take the lock for the copy, as Python's `v.value` does; a
/// read-modify-write needs the lock across it: [`lock`](Self::lock) (a guard giving `&mut T`),
/// the Rust spelling of `with v.get_lock(): v.value += 1`.
///
/// `Pod` (from bytemuck) is what makes this safe: any bytes are a valid `T`, so neither another
/// process nor a holder killed half-way through a write can leave an invalid value behind.
///
/// The segment goes away with the creator's last handle (see
/// [`SharedMemory`](super::SharedMemory)): keep it alive until the children are joined.
///
/// # Errors
///
/// Every method that takes the lock returns [`OwnerDied`] when it had to take the lock over
/// from a holder that died holding it: the operation went through all the same (its result is
/// inside), but the dead holder's last update may be half done.
///
/// # Examples
///
/// ```
/// use potok::process::Value;
///
/// let counter = Value::new(0u64).unwrap();
/// *counter.lock().unwrap() += 1; // with counter.get_lock(): counter.value += 1
/// counter.set(counter.get().unwrap() * 10).unwrap();
/// assert_eq!(counter.get().unwrap(), 10);
/// ```
pub struct Value<T> {
    lock: Lock,
    _type: PhantomData<T>,
}

impl<T: Pod> Value<T> {
    fn expect() -> Expect<'static> {
        Expect {
            kind: Some(Kind::Value),
            type_hash: type_hash::<T>(),
            elem_size: std::mem::size_of::<T>(),
            what: "Value",
        }
    }

    /// A new shared value holding `value`, in a fresh segment.
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if the segment cannot be made.
    ///
    /// # Panics
    ///
    /// If `T` needs an alignment above 256 bytes.
    pub fn new(value: T) -> Result<Value<T>, SharedMemoryError> {
        assert!(
            std::mem::align_of::<T>() <= DATA_OFFSET,
            "alignment above 256"
        );
        let seg = Segment::create(
            Kind::Value,
            type_hash::<T>(),
            std::mem::size_of::<T>(),
            1,
            None,
        )?;
        // SAFETY: the segment was just made, nobody else has its name yet; the data is in
        // bounds (size_of::<T>() bytes after DATA_OFFSET) and aligned (checked above).
        unsafe { Value::<T>::data(&seg).write(value) };
        Ok(Value {
            lock: Lock::in_segment(seg),
            _type: PhantomData,
        })
    }

    /// Opens the value another process created, by its [`name`](Self::name) (what
    /// deserializing does).
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError::NotFound`] if no segment has that name,
    /// [`SharedMemoryError::WrongKind`] if it holds something else than a `Value<T>` (another
    /// `T` included), [`SharedMemoryError::SizeMismatch`] if its size is not a `Value<T>`'s.
    pub fn open(name: &str) -> Result<Value<T>, SharedMemoryError> {
        let seg = Segment::open(name, &Value::<T>::expect())?;
        Ok(Value {
            lock: Lock::in_segment(seg),
            _type: PhantomData,
        })
    }

    /// Where the value is: beside the lock word, in the same cache line, when it is small
    /// (a counter under its lock then moves between processes with the lock), else after the
    /// header. Every process computes the same place from `T`, which `open` checks.
    #[inline]
    fn data(seg: &Segment) -> *mut T {
        let small =
            std::mem::size_of::<T>() <= INLINE_MAX && std::mem::align_of::<T>() <= INLINE_MAX;
        if small {
            seg.inline_data().cast::<T>()
        } else {
            seg.data().cast::<T>()
        }
    }

    /// The segment's name.
    pub fn name(&self) -> &str {
        self.lock.segment().name()
    }

    /// The value's lock (Python's `get_lock()`).
    pub fn get_lock(&self) -> &Lock {
        &self.lock
    }

    #[inline]
    fn guard<'a>(&'a self, guard: LockGuard<'a>) -> ValueGuard<'a, T> {
        ValueGuard {
            _guard: guard,
            ptr: Value::<T>::data(self.lock.segment()),
            _type: PhantomData,
        }
    }

    /// Takes the lock and returns a guard that gives `&mut T` until dropped.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] (with the guard inside) if the lock's holder died holding it.
    ///
    /// # Panics
    ///
    /// If this thread holds the value's lock already.
    #[inline]
    pub fn lock(&self) -> Result<ValueGuard<'_, T>, OwnerDied<ValueGuard<'_, T>>> {
        match self.lock.lock() {
            Ok(guard) => Ok(self.guard(guard)),
            Err(died) => Err(died.map(|guard| self.guard(guard))),
        }
    }

    /// A copy of the value, read under the lock (Python's `v.value`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] (with the value inside) if the lock's holder died holding it.
    ///
    /// # Panics
    ///
    /// If this thread holds the value's lock already.
    pub fn get(&self) -> Result<T, OwnerDied<T>> {
        match self.lock() {
            Ok(guard) => Ok(*guard),
            Err(died) => Err(died.map(|guard| *guard)),
        }
    }

    /// Replaces the value under the lock (Python's `v.value = x`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the lock's holder died holding it (the value is set all the same).
    ///
    /// # Panics
    ///
    /// If this thread holds the value's lock already.
    pub fn set(&self, value: T) -> Result<(), OwnerDied> {
        match self.lock() {
            Ok(mut guard) => {
                *guard = value;
                Ok(())
            }
            Err(died) => Err(died.map(|mut guard| *guard = value)),
        }
    }
}

impl<T> Clone for Value<T> {
    fn clone(&self) -> Self {
        Value {
            lock: self.lock.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Value")
            .field("type", &std::any::type_name::<T>())
            .field("segment", &self.lock.segment().name())
            .field("locked", &self.lock.locked())
            .finish()
    }
}

/// Travels as its segment's name; the other side opens the same value.
impl<T> Serialize for Value<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.lock.segment().serialize(serializer)
    }
}

impl<'de, T: Pod> Deserialize<'de> for Value<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Value::open(&name).map_err(super::super::data::decode_error)
    }
}

/// The lock of a [`Value`], held, with access to the value; releases the lock when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ValueGuard<'a, T> {
    _guard: LockGuard<'a>,
    ptr: *mut T,
    _type: PhantomData<&'a mut T>,
}

impl<T> Deref for ValueGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this thread holds the value's lock (the guard cannot leave the thread and
        // only the holder may release the lock), so no other potok handle touches the value
        // until the guard drops; the pointer is in bounds and aligned (checked when the
        // segment was made or opened); `T: Pod`, so whatever bytes are there are a valid `T`.
        unsafe { &*self.ptr }
    }
}

impl<T> DerefMut for ValueGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference through the guard.
        unsafe { &mut *self.ptr }
    }
}

impl<T> fmt::Debug for ValueGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueGuard")
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

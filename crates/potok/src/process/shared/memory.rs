//! [`SharedMemory`]: Python's `multiprocessing.shared_memory.SharedMemory`, a POSIX shared
//! memory segment (`/dev/shm/NAME`) opened by name from any process.

use std::fmt;
use std::os::fd::AsFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::SharedMemoryError;

/// A block of memory shared between processes by name: Python's
/// `multiprocessing.shared_memory.SharedMemory`.
///
/// [`create`](Self::create) makes a new segment (a file under `/dev/shm`, zero-filled);
/// [`open`](Self::open) maps an existing one by its [`name`](Self::name) from any process. A
/// `SharedMemory` handed to a child in [`Process`](crate::process::Process) or pool-task
/// arguments travels as its name and is opened again on the other side.
///
/// # Lifetime of the segment
///
/// The segment belongs to the handle that created it: when the creator's last handle (it and
/// its clones) is dropped, the name is unlinked, so nothing is left in `/dev/shm` (Python leaves
/// that to a resource tracker). Handles opened elsewhere keep their mapping until they drop, but
/// the name is gone: open it by name only while the creator still holds it. (A segment in a
/// [`Process`](crate::process::Process) argument is held by the parent until the child ends,
/// and one in a pool task's argument until the task is answered, so a child always finds it.)
/// [`persist`](Self::persist) keeps the segment after the creator is gone;
/// [`unlink`](Self::unlink) removes the name at once.
///
/// A creator killed by a signal it cannot handle (`SIGKILL`) cannot clean up: its segments
/// stay in `/dev/shm` until unlinked (as Python's, when its resource tracker is killed too).
/// The unnamed ones are called `potok_PID_N` after the creator's pid, so what a dead process
/// left is `rm /dev/shm/potok_PID_*` with its pid; potok does not remove them by itself.
///
/// The bytes themselves are reached through [`as_ptr`](Self::as_ptr): the operating system
/// lets every process write them at any time, so reading them while another process writes is
/// a race that only the program can rule out (with a [`Lock`](super::Lock)). For typed data
/// with its own lock, use [`Value`](super::Value) or [`Array`](super::Array).
///
/// # Examples
///
/// ```
/// use potok::process::SharedMemory;
///
/// let shm = SharedMemory::create(4096).unwrap();
/// let other = SharedMemory::open(shm.name()).unwrap(); // as another process would
/// assert_eq!(other.size(), 4096);
/// // SAFETY: nobody else touches these bytes while this runs.
/// unsafe {
///     shm.as_ptr().write(42);
///     assert_eq!(other.as_ptr().read(), 42);
/// }
/// let name = shm.name().to_owned();
/// drop(other);
/// drop(shm); // the creator's last handle: the segment is unlinked
/// assert!(SharedMemory::open(&name).is_err());
/// ```
#[derive(Clone)]
pub struct SharedMemory {
    map: Arc<Mapping>,
}

/// One process's mapping of a segment.
struct Mapping {
    ptr: NonNull<u8>,
    size: usize,
    /// Without the leading slash (as Python prints it).
    name: String,
    /// Whether this mapping created the segment (and so unlinks it when dropped).
    creator: bool,
    /// Set by `persist` or `unlink`: do not unlink in `drop`.
    keep: AtomicBool,
}

// SAFETY: the mapping is plain shared memory that lives as long as the value; potok's own
// accesses to it go through atomics or are made under a lock (see `Value` and `Array`).
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

/// Tells the names made by `create` apart within a process.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// The path `shm_open` wants: one leading slash, no other.
fn path_of(name: &str) -> Result<String, SharedMemoryError> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    if bare.is_empty() || bare.contains('/') || bare.contains('\0') || bare.len() > 250 {
        return Err(SharedMemoryError::BadName {
            name: name.to_owned(),
        });
    }
    Ok(format!("/{bare}"))
}

impl SharedMemory {
    /// Creates a new zero-filled segment of `size` bytes under a fresh name (`potok_PID_N`).
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError::ZeroSize`] if `size` is 0 (as Python's `ValueError`), or
    /// [`SharedMemoryError::Io`] if the system refuses (no space in `/dev/shm`, no permission).
    pub fn create(size: usize) -> Result<SharedMemory, SharedMemoryError> {
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("potok_{}_{n}", std::process::id());
            match SharedMemory::create_named(&name, size) {
                // A leftover of an earlier process with the same pid: try the next number.
                Err(SharedMemoryError::AlreadyExists { .. }) => continue,
                other => return other,
            }
        }
    }

    /// Creates a new zero-filled segment of `size` bytes called `name` (Python's
    /// `SharedMemory(name, create=True, size=size)`).
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError::AlreadyExists`] if a segment has that name,
    /// [`SharedMemoryError::BadName`] if `name` is empty or holds a `/` past the first
    /// character, [`SharedMemoryError::ZeroSize`] if `size` is 0, [`SharedMemoryError::Io`]
    /// if the system refuses.
    pub fn create_named(name: &str, size: usize) -> Result<SharedMemory, SharedMemoryError> {
        use rustix::fs::Mode;
        use rustix::shm::OFlags;
        if size == 0 {
            return Err(SharedMemoryError::ZeroSize);
        }
        let path = path_of(name)?;
        let bare = path[1..].to_owned();
        let fd = rustix::shm::open(
            path.as_str(),
            OFlags::CREATE | OFlags::EXCL | OFlags::RDWR,
            Mode::RUSR | Mode::WUSR,
        )
        .map_err(|errno| match errno {
            rustix::io::Errno::EXIST => SharedMemoryError::AlreadyExists { name: bare.clone() },
            _ => SharedMemoryError::io(&bare, "create", errno.into()),
        })?;
        let map = rustix::fs::ftruncate(&fd, size as u64)
            .map_err(|errno| SharedMemoryError::io(&bare, "set the size of", errno.into()))
            .and_then(|()| Mapping::new(fd.as_fd(), size, bare.clone(), true));
        match map {
            Ok(map) => Ok(SharedMemory { map: Arc::new(map) }),
            Err(err) => {
                let _ = rustix::shm::unlink(path.as_str());
                Err(err)
            }
        }
    }

    /// Maps the existing segment called `name` (Python's `SharedMemory(name)`), whatever its
    /// size; [`size`](Self::size) says it. This handle never unlinks the segment when dropped.
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError::NotFound`] if no segment has that name (it was never created, or
    /// its creator is gone), [`SharedMemoryError::BadName`] for a malformed name,
    /// [`SharedMemoryError::Io`] if the system refuses.
    pub fn open(name: &str) -> Result<SharedMemory, SharedMemoryError> {
        use rustix::fs::Mode;
        use rustix::shm::OFlags;
        let path = path_of(name)?;
        let bare = path[1..].to_owned();
        let fd =
            rustix::shm::open(path.as_str(), OFlags::RDWR, Mode::empty()).map_err(|errno| {
                match errno {
                    rustix::io::Errno::NOENT => SharedMemoryError::NotFound { name: bare.clone() },
                    _ => SharedMemoryError::io(&bare, "open", errno.into()),
                }
            })?;
        let stat = rustix::fs::fstat(&fd)
            .map_err(|errno| SharedMemoryError::io(&bare, "read the size of", errno.into()))?;
        let size = usize::try_from(stat.st_size).unwrap_or(0);
        if size == 0 {
            return Err(SharedMemoryError::SizeMismatch {
                name: bare,
                expected: None,
                found: 0,
            });
        }
        let map = Mapping::new(fd.as_fd(), size, bare, false)?;
        Ok(SharedMemory { map: Arc::new(map) })
    }

    /// The segment's name, without the leading slash (`potok_1234_0`): what
    /// [`open`](Self::open) takes in another process.
    pub fn name(&self) -> &str {
        &self.map.name
    }

    /// The segment's size in bytes.
    pub fn size(&self) -> usize {
        self.map.size
    }

    /// The first byte of this process's mapping; [`size`](Self::size) bytes follow, page
    /// aligned. Reading and writing them is `unsafe` because other processes may write them
    /// at the same time.
    #[inline]
    pub fn as_ptr(&self) -> *mut u8 {
        self.map.ptr.as_ptr()
    }

    /// Removes the segment's name now (Python's `unlink()`): nobody can open it any more, and
    /// the memory is freed once every process has dropped its mapping. Mappings stay valid.
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError::NotFound`] if the name was already removed.
    pub fn unlink(&self) -> Result<(), SharedMemoryError> {
        self.map.keep.store(true, Ordering::Relaxed);
        let path = format!("/{}", self.map.name);
        rustix::shm::unlink(path.as_str()).map_err(|errno| match errno {
            rustix::io::Errno::NOENT => SharedMemoryError::NotFound {
                name: self.map.name.clone(),
            },
            _ => SharedMemoryError::io(&self.map.name, "unlink", errno.into()),
        })
    }

    /// Keeps the segment after the creator's last handle is dropped (until
    /// [`unlink`](Self::unlink) or a reboot). Has no effect on a handle made by
    /// [`open`](Self::open), which never unlinks.
    pub fn persist(&self) {
        self.map.keep.store(true, Ordering::Relaxed);
    }
}

impl Mapping {
    fn new(
        fd: std::os::fd::BorrowedFd<'_>,
        size: usize,
        name: String,
        creator: bool,
    ) -> Result<Mapping, SharedMemoryError> {
        use rustix::mm::{mmap, MapFlags, ProtFlags};
        // SAFETY: a fresh shared mapping of `size` bytes of `fd` at an address the kernel
        // picks, so it overlaps no memory of ours; it is unmapped only in `drop`.
        let ptr = unsafe {
            mmap(
                std::ptr::null_mut(),
                size,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                fd,
                0,
            )
        }
        .map_err(|errno| SharedMemoryError::io(&name, "map", errno.into()))?;
        let ptr = NonNull::new(ptr.cast::<u8>()).expect("mmap never returns null on success");
        Ok(Mapping {
            ptr,
            size,
            name,
            creator,
            keep: AtomicBool::new(false),
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping the `size` bytes mapped in `new`; every reference into the mapping
        // borrows a handle that holds this `Arc`, so none outlives it.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.size) };
        if self.creator && !self.keep.load(Ordering::Relaxed) {
            let _ = rustix::shm::unlink(format!("/{}", self.name).as_str());
        }
    }
}

impl fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMemory")
            .field("name", &self.name())
            .field("size", &self.size())
            .field("creator", &self.map.creator)
            .finish()
    }
}

/// Travels as its name; the other side opens the segment again.
impl Serialize for SharedMemory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        super::super::keep::keep(self.clone());
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SharedMemory {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        SharedMemory::open(&name).map_err(super::super::data::decode_error)
    }
}

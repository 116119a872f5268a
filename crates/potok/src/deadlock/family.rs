//! Families of threads: who could hold a handle to what a blocked thread waits for, so that a
//! stall can be declared inside one `#[test]` while other tests run beside it (see "Stalls
//! among some threads: families" in the module docs, which state the rule and its limits).
//!
//! # What a family is
//!
//! - A thread potok did not start (a `cargo test` thread, a plain `std::thread`, the main
//!   thread) starts a family when potok registers it (`Dummy-N`, `MainThread`).
//! - A thread potok starts joins the family of the thread that started it (it can only have
//!   been given what its parent could reach). Starting a thread registers the parent, so a
//!   family's root is always counted while it runs.
//! - A `Dummy-N` whose OS thread name (`/proc/thread-self/comm`) is the OS name of a thread of
//!   a family joins that family: a plain `std::thread` started without a name inherits its
//!   starter's OS name, so a helper thread a test starts with `std::thread::spawn` is in the
//!   test's family. The same holds the other way round: the main thread, or a test's thread,
//!   registering after a helper it started joins the helper's family.
//! - Families are merged (union-find, never split) when work crosses between them through
//!   potok: [`handoff`] (an executor or pool created in one family given work by another).
//!
//! # State
//!
//! [`FAMILIES`] is a `std::sync::Mutex` (the detector reads it inside `parking_lot_core`
//! callbacks, under its own state lock: the order is always detector state, then families).
//! It holds, per family, its live registered threads and the OS names its threads had; and
//! the OS thread ids potok knows (registered threads once running, potok's own helper
//! threads), so that the detector can list the threads of the process potok does not know.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A family keeps at most this many distinct OS names; past it, it is *wide*: a `Dummy-N`
/// that matches no family then joins every wide family (it might have been started by any of
/// their threads).
const MAX_COMMS: usize = 1024;

/// The kernel keeps this many bytes of a thread's name (`TASK_COMM_LEN` - 1).
const COMM_LEN: usize = 15;

/// The family of potok's own plain std helper threads (`potok-pool-worker-1`, ...) once they
/// register: they serve whoever uses their pool, so every family's check includes it.
pub(crate) const HELPERS: u64 = u64::MAX;

/// The OS name prefix of potok's own helper threads.
const HELPER_PREFIX: &[u8] = b"potok-";

struct Family {
    /// Union-find parent (itself for a root).
    parent: u64,
    /// Live registered threads of the family (valid at a root: merged counts add up).
    live: usize,
    /// OS names of the family's threads, past and present (at a root).
    comms: BTreeSet<Box<[u8]>>,
    wide: bool,
}

pub(crate) struct Families {
    map: BTreeMap<u64, Family>,
    /// OS thread ids of the threads potok knows: registered threads once running, and
    /// potok's own helper threads.
    tids: BTreeSet<u64>,
    /// Of those, potok's own helper threads (the detector's rechecker, the dump watchers):
    /// they never wake a blocked thread of a program.
    helpers: BTreeSet<u64>,
}

static FAMILIES: Mutex<Families> = Mutex::new(Families {
    map: BTreeMap::new(),
    tids: BTreeSet::new(),
    helpers: BTreeSet::new(),
});

pub(crate) fn lock() -> MutexGuard<'static, Families> {
    FAMILIES.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Families {
    fn entry(&mut self, id: u64) -> &mut Family {
        self.map.entry(id).or_insert_with(|| Family {
            parent: id,
            live: 0,
            comms: BTreeSet::new(),
            wide: false,
        })
    }

    /// The family `id` belongs to now (after merges).
    pub(crate) fn find(&self, mut id: u64) -> u64 {
        while let Some(f) = self.map.get(&id) {
            if f.parent == id {
                break;
            }
            id = f.parent;
        }
        id
    }

    /// Live registered threads of the family `root` (a result of [`find`](Self::find)).
    pub(crate) fn live(&self, root: u64) -> usize {
        self.map.get(&root).map_or(0, |f| f.live)
    }

    fn merge(&mut self, a: u64, b: u64) -> u64 {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return ra;
        }
        let (keep, gone) = (ra.min(rb), ra.max(rb));
        let moved = {
            let g = self.entry(gone);
            g.parent = keep;
            (
                std::mem::take(&mut g.live),
                std::mem::take(&mut g.comms),
                g.wide,
            )
        };
        let k = self.entry(keep);
        k.live += moved.0;
        k.wide |= moved.2;
        for c in moved.1 {
            add_comm(k, c);
        }
        keep
    }

    /// Whether `tid` is a thread potok knows.
    pub(crate) fn knows_tid(&self, tid: u64) -> bool {
        self.tids.contains(&tid)
    }

    /// Whether `tid` is one of potok's own helper threads (started by `spawn_internal`).
    pub(crate) fn is_helper(&self, tid: u64) -> bool {
        self.helpers.contains(&tid)
    }
}

fn add_comm(f: &mut Family, comm: Box<[u8]>) {
    if f.wide {
        return;
    }
    f.comms.insert(comm);
    if f.comms.len() > MAX_COMMS {
        f.comms.clear();
        f.wide = true;
    }
}

/// The OS name the kernel keeps for a thread named `name` by std (NUL bytes are replaced as
/// potok's builder does; the name cut at 15 bytes).
pub(crate) fn comm_of_name(name: &str) -> Box<[u8]> {
    let os = name.replace('\0', "\u{2400}");
    let bytes = os.as_bytes();
    bytes[..bytes.len().min(COMM_LEN)].into()
}

/// The calling thread's OS name, if the OS says.
pub(crate) fn current_comm() -> Option<Box<[u8]>> {
    read_comm("/proc/thread-self/comm")
}

/// The OS name of the thread `tid` of this process, if the OS says.
pub(crate) fn comm_of_tid(tid: u64) -> Option<Box<[u8]>> {
    read_comm(&format!("/proc/self/task/{tid}/comm"))
}

fn read_comm(path: &str) -> Option<Box<[u8]>> {
    let mut bytes = std::fs::read(path).ok()?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    Some(bytes.into_boxed_slice())
}

/// How a registered thread came to be, for [`joined`].
pub(crate) enum Origin {
    /// Started by potok, from a thread of its family: its OS name is its potok name.
    Spawned,
    /// A thread potok did not start, registered from inside itself (`Dummy-N`): its OS name
    /// is read, and it joins a family whose threads had that name.
    Foreign,
    /// The process's main thread (possibly registered from another thread).
    Main,
}

/// A thread was registered: it counts as a live thread of `family`.
pub(crate) fn joined(family: u64, name: &str, origin: Origin) {
    // A spawn's usual name is borrowed: it is copied only if it is new to the family.
    let comm: Option<Cow<'_, [u8]>> = match origin {
        Origin::Spawned if !name.contains('\0') => {
            Some(Cow::Borrowed(&name.as_bytes()[..name.len().min(COMM_LEN)]))
        }
        Origin::Spawned => Some(Cow::Owned(comm_of_name(name).into_vec())),
        Origin::Foreign => current_comm().map(|c| Cow::Owned(c.into_vec())),
        Origin::Main => {
            comm_of_tid(u64::from(std::process::id())).map(|c| Cow::Owned(c.into_vec()))
        }
    };
    let mut fams = lock();
    let mut root = fams.find(family);
    if let (Origin::Foreign | Origin::Main, Some(comm)) = (&origin, &comm) {
        // A plain std thread inherits the OS name of the thread that started it: it may hold
        // anything that thread's family holds. Either may register first: a Dummy-N joins
        // the family of a thread with its name, and a thread potok did not start that
        // registers after such a Dummy-N (the main thread too, which a program's unnamed
        // helper may beat to its first potok call) joins the Dummy-N's family.
        let matching: Vec<u64> = fams
            .map
            .iter()
            .filter(|(id, f)| {
                f.parent == **id && *id != &root && (f.wide || f.comms.contains(&**comm))
            })
            .map(|(id, _)| *id)
            .collect();
        for other in matching {
            root = fams.merge(root, other);
        }
        if comm.starts_with(HELPER_PREFIX) {
            root = fams.merge(root, HELPERS);
        }
    }
    let f = fams.entry(root);
    f.live += 1;
    if let Some(comm) = comm {
        if !f.wide && !f.comms.contains(&*comm) {
            add_comm(f, comm.into_owned().into_boxed_slice());
        }
    }
}

/// A registered thread finished.
pub(crate) fn left(family: u64, tid: u64) {
    let mut fams = lock();
    let root = fams.find(family);
    let f = fams.entry(root);
    f.live = f.live.saturating_sub(1);
    if tid != 0 {
        fams.tids.remove(&tid);
    }
}

/// The calling thread (registered, or one of potok's helpers) runs as OS thread `tid`.
pub(crate) fn running(tid: u64) {
    lock().tids.insert(tid);
}

/// One of potok's own helper threads runs as OS thread `tid`.
pub(crate) fn helper_starts(tid: u64) {
    let mut fams = lock();
    fams.tids.insert(tid);
    fams.helpers.insert(tid);
}

/// One of potok's helper threads with OS thread id `tid` ends.
pub(crate) fn helper_ends(tid: u64) {
    let mut fams = lock();
    fams.tids.remove(&tid);
    fams.helpers.remove(&tid);
}

/// Work made in the caller's family is handed to something of `family` (an executor's or
/// pool's workers): from now on the two families are one. Registers the caller, so that it
/// counts while it runs.
pub(crate) fn handoff(family: u64) {
    let mine = current();
    if mine == family {
        return;
    }
    let mut fams = lock();
    if fams.find(mine) != fams.find(family) {
        fams.merge(mine, family);
    }
}

/// The family of the calling thread (registering it if potok did not know it).
pub(crate) fn current() -> u64 {
    match crate::thread::current_family() {
        Some(family) => family,
        None => crate::thread::current_thread().inner.family,
    }
}

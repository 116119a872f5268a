//! The detector's state: who is blocked on what, the cycle and stall checks, and the rechecker.
//!
//! # State
//!
//! One record per thread blocked *without a timeout* on a potok primitive, in [`STATE`]
//! (a `std::sync::Mutex`: it is taken inside `parking_lot_core` callbacks, which must not call
//! into `parking_lot`). A record is
//!
//! - inserted by the blocking thread itself, inside `park`'s `validate` callback, that is
//!   under the wait queue's lock, atomically with joining the queue;
//! - removed by whoever wakes the thread, inside `unpark_filter`'s callback (so before the
//!   thread runs again), or by the thread itself when it does not park after all.
//!
//! So a thread being woken is never counted as blocked, and a check never sees a record of a
//! thread that can still run: that is what makes the stall check free of false alarms.
//!
//! # Checks (on the blocking path only)
//!
//! - Cycle: from the new record, follow `waiter -> owner of what it waits for -> what that
//!   owner waits for ...`. Reaching the new waiter again is a deadlock at once when the cycle
//!   is made of `Mutex`es and `RLock`s (only their owners can release them). Python's `Lock`
//!   may be released by any thread, so a cycle through a held `Lock` is reported only when
//!   the stall condition below holds too (no other thread could release it), and a thread
//!   waiting for a `Lock` it holds itself is left to the stall check alone.
//! - Stall: as many records as live registered threads (every record belongs to a live
//!   registered thread, so the sets are equal), and every thread the OS lists for the process
//!   (`/proc/self/task`) is one of the blocked (by OS thread id) or one of potok's own helpers.
//!   The list is compared with the records, which cannot change during the check (it holds
//!   the state's lock), never with a count read at another moment: a thread that registers
//!   while the check runs is listed and not blocked, so it holds the verdict back (comparing
//!   the OS's thread count with the registry's, read one after the other, once declared a
//!   consumer stuck while a second consumer registered between the two reads). With unknown
//!   threads, or with a thread that is still exiting, the stall is *suspected*: the
//!   rechecker wakes the newest waiter later, with a growing delay, and it checks again.
//! - Family stall (when the whole-program stall does not hold): the blocked threads of the
//!   new waiter's family, with the families of the owners they wait for, make up every live
//!   registered thread of those families; no owner followed runs; none waits without an owner
//!   on a primitive in static memory; the OS lists no thread potok does not know; and the
//!   main thread is one of the stuck threads or asleep in a timed futex wait, as libtest's
//!   is (else suspected, and the newest waiter of the set is rechecked later). The
//!   rule and its limits are in the module docs; the families in `family.rs`. A cycle through
//!   a held `Lock` is declared when its threads make up such a stuck set.
//! - When a thread exits and every remaining thread is blocked, or every remaining thread of
//!   its family, the newest waiter is woken to check again (its block now completes the
//!   stall).
//! - A stall completed by a `join` is failed at the newest thread that does not join: its
//!   panic reaches its joiners through `join` (which returns it), instead of unwinding the
//!   joiner and leaving the joined thread blocked forever.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::error::{BlockedThread, DeadlockError, DeadlockKind, Resource, ResourceKind};
use super::owner;
use super::park::{self, Owner, Wait, TOKEN_RECHECK};
use crate::thread::{self, Thread};

/// Who holds what a record waits for.
enum OwnerRef {
    Nobody,
    /// A lock word (see [`owner`]); read live during checks.
    Word(*const AtomicU64),
    /// A joined thread.
    Thread(u64),
    /// Threads that must all let go (see `Owner::Threads`), as they were when it parked.
    Threads(Box<[u64]>),
}

struct Record {
    thread: Thread,
    seq: u64,
    /// The park key, to wake this thread for a recheck.
    key: usize,
    /// Identity of the resource (its address), to list what a thread holds.
    resource: usize,
    kind: ResourceKind,
    name: Box<str>,
    detail: Option<&'static str>,
    owner: OwnerRef,
    reported: bool,
    /// Its thread's family (see `family.rs`), as it was born; `Families::find` gives the
    /// family it belongs to now.
    family: u64,
    /// Why its last check declared nothing, and when (for `snapshot` and `dump`).
    held_back: Option<(HeldBack, Instant)>,
}

impl Record {
    /// Who must let go for this thread to go on (nobody, one thread, or several).
    fn owners(&self) -> Vec<u64> {
        match &self.owner {
            OwnerRef::Threads(ids) => ids.to_vec(),
            _ => self.owner().into_iter().collect(),
        }
    }

    /// The owner, or the first of several.
    fn owner(&self) -> Option<u64> {
        match self.owner {
            OwnerRef::Nobody => None,
            OwnerRef::Thread(id) => Some(id),
            OwnerRef::Threads(ref ids) => ids.first().copied(),
            // SAFETY: a record with a `Word` is made from a `&AtomicU64` borrowed by the blocking
            // call of its thread, and removed (under STATE's lock) before that call returns:
            // by the thread itself when it does not park, or by its waker before the thread
            // is unparked. This is only called under STATE's lock while the record exists, so
            // the word is alive.
            OwnerRef::Word(word) => owner::decode(unsafe { &*word }.load(Ordering::Acquire)),
        }
    }

    fn resource(&self) -> Resource {
        Resource {
            kind: self.kind,
            name: self.name.to_string(),
            detail: self.detail,
        }
    }
}

struct State {
    blocked: BTreeMap<u64, Record>,
    seq: u64,
    /// How many records belong to threads born in each family (`Record::family`): the family
    /// rule's first, cheap count, without looking at every record.
    by_family: BTreeMap<u64, usize>,
}

impl State {
    fn insert(&mut self, ident: u64, record: Record) {
        let family = record.family;
        match self.blocked.insert(ident, record) {
            Some(old) => self.forget_family(old.family),
            None => {
                BLOCKED.fetch_add(1, Ordering::Relaxed);
            }
        }
        *self.by_family.entry(family).or_insert(0) += 1;
    }

    fn remove(&mut self, ident: u64) {
        if let Some(old) = self.blocked.remove(&ident) {
            BLOCKED.fetch_sub(1, Ordering::Relaxed);
            self.forget_family(old.family);
        }
    }

    fn forget_family(&mut self, family: u64) {
        if let Some(n) = self.by_family.get_mut(&family) {
            *n -= 1;
            if *n == 0 {
                self.by_family.remove(&family);
            }
        }
    }
}

// SAFETY: the only non-Send part is `OwnerRef::Word`, a pointer that is dereferenced only under
// STATE's lock while it is valid (see `Record::owner`).
unsafe impl Send for State {}

static STATE: Mutex<State> = Mutex::new(State {
    blocked: BTreeMap::new(),
    seq: 0,
    by_family: BTreeMap::new(),
});

/// Number of records, read without the lock by wakers (no record: nothing to remove).
static BLOCKED: AtomicUsize = AtomicUsize::new(0);

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What [`register`] decided.
pub(crate) enum Verdict {
    /// Park, after doing what [`Later`] says (if anything) once out of the queue's lock.
    Park(Option<Later>),
    /// Do not park: this block closes a cycle or completes a stall.
    Deadlock(DeadlockError),
}

/// What a blocking thread must do after its check, outside the wait queue's lock (where no
/// I/O, thread start or possibly blocking call belongs): in `park`'s `before_sleep`.
pub(crate) enum Later {
    /// Print the report (the `ReportAndWait` policy: the thread waits on).
    Report(DeadlockError),
    /// A stall is suspected: ask the rechecker to check again later (the newest waiter of
    /// everyone blocked, or this thread, parked on this key, with this ident).
    Recheck(Option<(usize, u64)>),
    /// Wake this thread (park key, ident) to check again at once.
    Wake(usize, u64),
}

impl Later {
    pub(crate) fn run(self) {
        match self {
            Later::Report(err) => {
                crate::trace::deadlock(&err);
                super::print_report(&err);
            }
            Later::Recheck(who) => request_recheck(who),
            Later::Wake(key, ident) => request_wake(key, ident),
        }
    }
}

/// Records that `me` blocks without a timeout on `wait`, then checks. Called inside `park`'s
/// `validate` callback.
pub(crate) fn register(me: &Thread, key: usize, wait: &Wait<'_>) -> Verdict {
    let mut st = state();
    st.seq += 1;
    let seq = st.seq;
    let owner = match wait.owner {
        Owner::Nobody => OwnerRef::Nobody,
        Owner::Word(w) => OwnerRef::Word(w),
        Owner::Thread(id) => OwnerRef::Thread(id),
        Owner::Threads(ids) => OwnerRef::Threads(ids.into()),
    };
    let ident = me.ident();
    let record = Record {
        thread: me.clone(),
        seq,
        key,
        resource: wait.resource,
        kind: wait.kind,
        name: wait.name.into(),
        detail: wait.detail,
        owner,
        reported: false,
        family: me.inner.family,
        held_back: None,
    };
    st.insert(ident, record);
    let check = st.check(ident);
    if let Check::Clear(why) | Check::Suspected(_, why) = &check {
        if let Some(r) = st.blocked.get_mut(&ident) {
            r.held_back = Some((why.clone(), Instant::now()));
        }
    }
    match check {
        Check::Clear(_) => Verdict::Park(None),
        Check::Suspected(who, _) => Verdict::Park(Some(Later::Recheck(who))),
        Check::Redirect(key, ident) => Verdict::Park(Some(Later::Wake(key, ident))),
        Check::Deadlock(err) => match super::policy() {
            super::Policy::Panic => {
                st.remove(ident);
                Verdict::Deadlock(err)
            }
            super::Policy::ReportAndWait => {
                let involved: Vec<u64> = err.threads.iter().map(|t| t.ident).collect();
                let new = involved
                    .iter()
                    .any(|id| st.blocked.get(id).is_some_and(|r| !r.reported));
                for id in &involved {
                    if let Some(r) = st.blocked.get_mut(id) {
                        r.reported = true;
                    }
                }
                Verdict::Park(new.then_some(Later::Report(err)))
            }
        },
    }
}

/// Marks threads as no longer blocked: called by wakers before the threads run.
pub(crate) fn woken(idents: &[u64]) {
    if idents.is_empty() || BLOCKED.load(Ordering::Relaxed) == 0 {
        return;
    }
    let mut st = state();
    for id in idents {
        st.remove(*id);
    }
}

/// A thread of `family` left the registry: if everyone left is blocked, or everyone left of
/// its family, the newest waiter checks again.
pub(crate) fn thread_exited(family: u64) {
    if BLOCKED.load(Ordering::Relaxed) == 0 {
        return;
    }
    let newest = newest_if_all_blocked().or_else(|| {
        let st = state();
        let fams = super::family::lock();
        let root = fams.find(family);
        let blocked: usize = st
            .by_family
            .iter()
            .filter(|(born, _)| fams.find(**born) == root)
            .map(|(_, n)| n)
            .sum();
        if blocked == 0 || blocked < fams.live(root) {
            return None;
        }
        st.blocked
            .values()
            .filter(|r| fams.find(r.family) == root)
            .max_by_key(|r| r.seq)
            .map(|r| (r.key, r.thread.ident()))
    });
    if let Some((key, ident)) = newest {
        wake_for_recheck(key, ident);
    }
}

enum Check {
    /// No stall, for this reason: nothing to do until a thread blocks or exits.
    Clear(HeldBack),
    /// Maybe a stall, held back for this reason: check again later (see [`Later::Recheck`]).
    Suspected(Option<(usize, u64)>, HeldBack),
    /// A stall completed by a join: the joined side should fail instead (see `check`).
    Redirect(usize, u64),
    Deadlock(DeadlockError),
}

impl State {
    fn check(&self, me: u64) -> Check {
        let cycle = self.find_cycle(me);
        if let Some(cycle) = &cycle {
            // A cycle of Mutexes and RLocks is final: only their owners can release them. A
            // Python Lock may be released by any thread, so a cycle through a held Lock is
            // final only when no other thread can run (the stall conditions below).
            if !self.through_lock(cycle) {
                return Check::Deadlock(self.report(DeadlockKind::Cycle, cycle, me));
            }
        }
        let all_blocked = self.all_blocked();
        if all_blocked && self.only_blocked_threads_run() {
            // The whole program is stuck (`potok::main`, or every thread potok knows).
            let mut all: Vec<(u64, u64)> = self
                .blocked
                .values()
                .map(|r| (r.seq, r.thread.ident()))
                .collect();
            all.sort_unstable();
            let idents: Vec<u64> = all.into_iter().map(|(_, id)| id).collect();
            return self.stuck(me, cycle.as_deref(), &idents);
        }
        // Some threads are stuck while others run: a family's stall (see `family.rs`).
        match self.family_stall(me) {
            FamilyCheck::Running(why) => {
                if all_blocked {
                    Check::Suspected(None, why)
                } else {
                    Check::Clear(why)
                }
            }
            FamilyCheck::Unknown(newest, why) => Check::Suspected(Some(newest), why),
            FamilyCheck::Stall(idents) => self.stuck(me, cycle.as_deref(), &idents),
        }
    }

    /// The verdict on `idents` (ordered by when they blocked), none of whom anyone can wake.
    fn stuck(&self, me: u64, cycle: Option<&[u64]>, idents: &[u64]) -> Check {
        if let Some(cycle) = cycle {
            return Check::Deadlock(self.report(DeadlockKind::Cycle, cycle, me));
        }
        // A stall completed by a join is failed at another thread, woken to check again so
        // that its own block completes the stall. If the stuck threads hold a cycle (through a
        // Lock, or it would have failed when it closed), that is the cycle's newest member,
        // the one whose block closed it: the same thread fails whether the join came before
        // or after it. Else it is a thread that does not join (the newest): its panic reaches
        // the joiners through `join`, which can handle it, and the joiners go on.
        if self
            .blocked
            .get(&me)
            .is_some_and(|r| r.kind == ResourceKind::Thread)
        {
            if let Some(closer) = idents
                .iter()
                .filter(|&&id| id != me && self.find_cycle(id).is_some())
                .filter_map(|id| self.blocked.get(id))
                .max_by_key(|r| r.seq)
            {
                return Check::Redirect(closer.key, closer.thread.ident());
            }
            if let Some(leaf) = idents
                .iter()
                .filter_map(|id| self.blocked.get(id))
                .filter(|r| r.kind != ResourceKind::Thread)
                .max_by_key(|r| r.seq)
            {
                return Check::Redirect(leaf.key, leaf.thread.ident());
            }
        }
        Check::Deadlock(self.report(DeadlockKind::Stall, idents, me))
    }

    /// The family rule: `me`'s family, with the families of the owners of what its blocked
    /// threads wait for (and of theirs), is stuck when every live registered thread of those
    /// families is blocked here, none of them waits without an owner for something in static
    /// memory, and the process runs no thread potok does not know but its main thread.
    fn family_stall(&self, me: u64) -> FamilyCheck {
        if !cfg!(target_os = "linux") {
            // No list of the process's threads: unknown threads cannot be ruled out.
            return FamilyCheck::Running(HeldBack::NoThreadList);
        }
        let Some(first) = self.blocked.get(&me) else {
            return FamilyCheck::Running(HeldBack::NoThreadList);
        };
        let fams = super::family::lock();
        let root = fams.find(first.family);
        // The common case, cheaply: some thread of the family is not blocked.
        let blocked: usize = self
            .by_family
            .iter()
            .filter(|(born, _)| fams.find(**born) == root)
            .map(|(_, n)| n)
            .sum();
        if blocked < fams.live(root) {
            return FamilyCheck::Running(HeldBack::FamilyRuns {
                blocked,
                live: fams.live(root),
            });
        }
        let mut roots = vec![root];
        // potok's own helper threads, if any registered, may serve any family.
        let helpers = fams.find(super::family::HELPERS);
        if helpers != root && fams.live(helpers) > 0 {
            roots.push(helpers);
        }
        let mut members: Vec<&Record> = Vec::new();
        let mut done = 0;
        while done < roots.len() {
            let root = roots[done];
            done += 1;
            let start = members.len();
            members.extend(
                self.blocked
                    .values()
                    .filter(|r| fams.find(r.family) == root),
            );
            if members.len() - start < fams.live(root) {
                // A live thread of the family is not blocked: it may wake the others.
                return FamilyCheck::Running(HeldBack::FamilyRuns {
                    blocked: members.len() - start,
                    live: fams.live(root),
                });
            }
            for r in &members[start..] {
                if !owner_only(r.kind) && super::statics::contains(r.resource) {
                    return FamilyCheck::Running(HeldBack::Static(r.resource()));
                }
                for owner in r.owners() {
                    // An owner that is not blocked runs (or is not potok's to judge).
                    let Some(o) = self.blocked.get(&owner) else {
                        return FamilyCheck::Running(HeldBack::OwnerRuns(owner));
                    };
                    let f = fams.find(o.family);
                    if !roots.contains(&f) {
                        roots.push(f);
                    }
                }
            }
        }
        let newest = members
            .iter()
            .max_by_key(|r| r.seq)
            .map_or((first.key, me), |r| (r.key, r.thread.ident()));
        let main = u64::from(std::process::id());
        let main_stuck = members.iter().any(|r| r.thread.native_id() == Some(main));
        if let Some(why) = foreign_thread(&fams, main_stuck) {
            return FamilyCheck::Unknown(newest, why);
        }
        members.sort_unstable_by_key(|r| r.seq);
        FamilyCheck::Stall(members.iter().map(|r| r.thread.ident()).collect())
    }

    /// Whether a thread on `cycle` waits for a `Lock` (which any thread may release).
    fn through_lock(&self, cycle: &[u64]) -> bool {
        cycle.iter().any(|id| {
            self.blocked
                .get(id)
                .is_some_and(|r| r.kind == ResourceKind::Lock)
        })
    }

    fn all_blocked(&self) -> bool {
        let live = thread::live_count();
        live > 0 && self.blocked.len() >= live
    }

    /// The cycle through `me` (in order, starting at `me`), if its block closes one: a path
    /// `me -> an owner of what it waits for -> an owner of what that one waits for ... -> me`
    /// (depth first; a waiter with several owners, like a writer waiting for readers, cannot go
    /// on while any of them is stuck behind it).
    fn find_cycle(&self, me: u64) -> Option<Vec<u64>> {
        let mut path = vec![me];
        let mut seen = vec![me];
        self.cycle_from(me, me, &mut path, &mut seen)
            .then_some(path)
    }

    fn cycle_from(&self, me: u64, cur: u64, path: &mut Vec<u64>, seen: &mut Vec<u64>) -> bool {
        let Some(record) = self.blocked.get(&cur) else {
            return false;
        };
        for owner in record.owners() {
            if owner == me {
                // A thread waiting for a Lock it holds: a signal another thread may give.
                if path.len() == 1 && record.kind == ResourceKind::Lock {
                    continue;
                }
                return true;
            }
            if seen.contains(&owner) {
                // Visited already (or a cycle that does not go through `me`: found when it
                // closed).
                continue;
            }
            seen.push(owner);
            path.push(owner);
            if self.cycle_from(me, owner, path, seen) {
                return true;
            }
            path.pop();
        }
        false
    }

    fn report(&self, kind: DeadlockKind, idents: &[u64], me: u64) -> DeadlockError {
        let name_of = |id: u64| -> String {
            match self.blocked.get(&id) {
                Some(r) => r.thread.name().to_owned(),
                // Not blocked (and so not named in a record): a thread that is running foreign
                // code, or that finished while holding a Lock. The registry cannot be asked
                // here (this runs under a wait queue's lock, where parking_lot is off limits).
                None => format!("thread #{id}"),
            }
        };
        let threads = idents
            .iter()
            .filter_map(|&id| {
                let record = self.blocked.get(&id)?;
                let mut holds: Vec<(usize, Resource)> = Vec::new();
                for other in self.blocked.values() {
                    if other.kind != ResourceKind::Thread
                        && other.owners().contains(&id)
                        && !holds.iter().any(|(res, _)| *res == other.resource)
                    {
                        // What it holds, without what the waiter wants of it ("to write").
                        let mut held = other.resource();
                        held.detail = None;
                        holds.push((other.resource, held));
                    }
                }
                Some(BlockedThread {
                    name: record.thread.name().to_owned(),
                    ident: id,
                    waits_for: record.resource(),
                    held_by: {
                        // The owner that is next on the cycle, else the first.
                        let owners = record.owners();
                        let next = idents
                            .iter()
                            .skip_while(|&&x| x != id)
                            .nth(1)
                            .or(idents.first())
                            .filter(|n| owners.contains(n));
                        next.copied().or(owners.first().copied()).map(name_of)
                    },
                    holds: holds.into_iter().map(|(_, r)| r).collect(),
                })
            })
            .collect();
        DeadlockError {
            kind,
            threads,
            found_by: name_of(me),
        }
    }
}

/// What [`State::family_stall`] found.
enum FamilyCheck {
    /// Some thread that might wake them runs (this one).
    Running(HeldBack),
    /// Everyone of the families is blocked, but the process has threads potok does not know
    /// (one might wake them: this one): check again later, at the newest waiter.
    Unknown((usize, u64), HeldBack),
    /// They are stuck: these threads, by when they blocked.
    Stall(Vec<u64>),
}

/// Why a check of a blocked thread declared nothing: shown for that thread by
/// [`snapshot`](super::snapshot) and [`dump`](super::dump), so that a hang explains itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeldBack {
    /// Not every live registered thread of its family (with the families it waits on) is
    /// blocked: one of them may wake it.
    FamilyRuns { blocked: usize, live: usize },
    /// The owner (this ident) of what a thread of the set waits for is not blocked.
    OwnerRuns(u64),
    /// A thread of the set waits on this primitive, which lives in static memory: any thread
    /// may reach it.
    Static(Resource),
    /// A thread potok does not know runs in the process (OS thread id, OS name).
    Unknown(u64, Option<Box<str>>),
    /// The main thread, outside the set, is not asleep in a timed futex wait (what its
    /// `/proc/.../syscall` said).
    Main(Box<str>),
    /// The OS's list of the process's threads cannot be read (or this is not Linux).
    NoThreadList,
}

impl std::fmt::Display for HeldBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeldBack::FamilyRuns { blocked, live } => write!(
                f,
                "{blocked} of the {live} live threads of its family are blocked; the others may \
                 wake it"
            ),
            HeldBack::OwnerRuns(id) => write!(
                f,
                "thread #{id}, which holds what a thread of its family waits for, is not blocked"
            ),
            HeldBack::Static(r) => write!(
                f,
                "a thread of its family waits on {r}, which is in static memory (any thread may \
                 wake it)"
            ),
            HeldBack::Unknown(tid, comm) => {
                write!(f, "a thread potok does not know runs: tid {tid}")?;
                match comm {
                    Some(comm) => write!(f, " '{comm}'"),
                    None => f.write_str(" (gone)"),
                }
            }
            HeldBack::Main(call) => write!(
                f,
                "the main thread is not asleep in a timed wait (its system call: {call})"
            ),
            HeldBack::NoThreadList => {
                f.write_str("the OS's list of the process's threads cannot be read")
            }
        }
    }
}

/// Why the last check of each blocked thread (by ident) declared nothing, and when: for
/// [`snapshot`](super::snapshot).
pub(crate) fn held_back() -> Vec<(u64, HeldBack, Instant)> {
    state()
        .blocked
        .iter()
        .filter_map(|(id, r)| {
            r.held_back
                .as_ref()
                .map(|(why, at)| (*id, why.clone(), *at))
        })
        .collect()
}

/// Kinds only their owner can let go of (a thread, for a join): a wait on one is as stuck as
/// its owner, wherever the primitive lives.
fn owner_only(kind: ResourceKind) -> bool {
    matches!(
        kind,
        ResourceKind::Mutex | ResourceKind::RLock | ResourceKind::RwLock | ResourceKind::Thread
    )
}

/// A thread of the process that may wake a stuck set, if there is one: a thread that is
/// neither registered and running nor one of potok's helpers, by OS thread id; and the main
/// thread, known or not, unless it is in the set (`main_stuck`) or asleep in a timed futex
/// wait as libtest's is. A program's own `main` (a benchmark's, say) started the threads of
/// every family and may still hold a handle of any of them, even when potok knows it under a
/// family of its own.
fn foreign_thread(fams: &super::family::Families, main_stuck: bool) -> Option<HeldBack> {
    let Some(tasks) = os_threads() else {
        return Some(HeldBack::NoThreadList);
    };
    let main = u64::from(std::process::id());
    for tid in tasks {
        if tid == main {
            if !main_stuck {
                if let Err(syscall) = main_waits_with_a_limit(main) {
                    return Some(HeldBack::Main(syscall));
                }
            }
        } else if !fams.knows_tid(tid) {
            let comm = super::family::comm_of_tid(tid)
                .map(|c| String::from_utf8_lossy(&c).into_owned().into_boxed_str());
            return Some(HeldBack::Unknown(tid, comm));
        }
    }
    None
}

/// Whether the process's main thread is asleep in the kernel on a futex *with a time limit*,
/// as libtest's main thread is (in `recv_timeout`, for the results of the test threads it
/// started). Only then is a main thread outside the stuck set taken to hold nothing it waits
/// on. A main thread that runs (a benchmark's or a program's own `main`, still starting the
/// producers its consumers wait for), sleeps, or waits without a limit may wake them. Read
/// from `/proc/self/task/MAIN/syscall`: the call's number, then its arguments; `futex`'s
/// fourth argument is the timeout's address, `0x0` when there is none. When it is not, the
/// error is what the file said (`running`, or the call and its arguments).
fn main_waits_with_a_limit(main: u64) -> Result<(), Box<str>> {
    const FUTEX: Option<&str> = if cfg!(target_arch = "x86_64") {
        Some("202")
    } else if cfg!(target_arch = "aarch64") {
        Some("98")
    } else {
        None
    };
    let Some(futex) = FUTEX else {
        return Err("(not read on this architecture)".into());
    };
    let Ok(call) = std::fs::read_to_string(format!("/proc/self/task/{main}/syscall")) else {
        return Err("(unreadable)".into());
    };
    let mut fields = call.split_whitespace();
    if fields.next() == Some(futex) && fields.nth(3).is_some_and(|timeout| timeout != "0x0") {
        Ok(())
    } else {
        Err(call.trim().into())
    }
}

/// The newest record (key, ident), if every live thread is blocked.
fn newest_if_all_blocked() -> Option<(usize, u64)> {
    let st = state();
    if !st.all_blocked() {
        return None;
    }
    st.blocked
        .values()
        .max_by_key(|r| r.seq)
        .map(|r| (r.key, r.thread.ident()))
}

/// Wakes `ident` parked on `key` with [`TOKEN_RECHECK`]: it blocks again and so checks again.
fn wake_for_recheck(key: usize, ident: u64) {
    park::unpark_thread_with(key, ident, TOKEN_RECHECK);
}

impl State {
    /// Whether every thread of the process is blocked here or is one of potok's own helpers,
    /// by the OS's list of the process's threads against the OS ids of the blocked records:
    /// then nobody can wake anybody. The records cannot change while the caller holds the
    /// state's lock; a thread that starts or registers meanwhile is listed and not blocked,
    /// so the answer errs only towards "no". Without the list (not Linux) the registry is
    /// trusted.
    fn only_blocked_threads_run(&self) -> bool {
        if !cfg!(target_os = "linux") {
            return true;
        }
        let Some(listed) = os_threads() else {
            return false;
        };
        let blocked: BTreeSet<u64> = self
            .blocked
            .values()
            .filter_map(|r| r.thread.native_id())
            .collect();
        let fams = super::family::lock();
        first_other_thread(listed, &blocked, |tid| fams.is_helper(tid)).is_none()
    }
}

/// The OS thread ids of the process's threads (`/proc/self/task`), if the OS lists them.
fn os_threads() -> Option<Vec<u64>> {
    std::fs::read_dir("/proc/self/task")
        .ok()?
        .map(|task| task.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The first of `listed` (OS thread ids) that is neither `blocked` nor a helper.
fn first_other_thread(
    listed: impl IntoIterator<Item = u64>,
    blocked: &BTreeSet<u64>,
    is_helper: impl Fn(u64) -> bool,
) -> Option<u64> {
    listed
        .into_iter()
        .find(|tid| !blocked.contains(tid) && !is_helper(*tid))
}

// The rechecker: a plain std thread (not a potok thread, never blocked on potok primitives),
// started the first time it is needed. It wakes parked threads so that they check again:
// at once when asked to (`Check::Redirect`), or after a growing delay while a stall is only
// suspected.

static RECHECKER_STARTED: AtomicBool = AtomicBool::new(false);
static REQUESTS: Mutex<Requests> = Mutex::new(Requests {
    recheck: false,
    wake: Vec::new(),
    suspects: Vec::new(),
});
static REQUESTS_CV: Condvar = Condvar::new();

struct Requests {
    /// A stall is suspected: check again after the current delay.
    recheck: bool,
    /// Threads to wake at once, to check again: (park key, ident).
    wake: Vec<(usize, u64)>,
    /// Threads to wake after the delay, to check again: the newest waiters of families that
    /// are all blocked while the process has threads potok does not know.
    suspects: Vec<(usize, u64)>,
}

const FIRST_DELAY: Duration = Duration::from_micros(200);
const MAX_DELAY: Duration = Duration::from_millis(50);

fn requests() -> MutexGuard<'static, Requests> {
    REQUESTS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn request(change: impl FnOnce(&mut Requests)) {
    let mut r = requests();
    change(&mut r);
    if !RECHECKER_STARTED.swap(true, Ordering::AcqRel) {
        let spawned = super::spawn_internal("potok-deadlock-recheck", recheck_loop);
        if spawned.is_err() {
            RECHECKER_STARTED.store(false, Ordering::Release);
        }
    }
    REQUESTS_CV.notify_one();
}

fn request_recheck(who: Option<(usize, u64)>) {
    request(|r| {
        r.recheck = true;
        if let Some(who) = who {
            if !r.suspects.contains(&who) {
                r.suspects.push(who);
            }
        }
    });
}

fn request_wake(key: usize, ident: u64) {
    request(|r| r.wake.push((key, ident)));
}

/// The rechecker's timing: its loop's state machine, apart from its lock and its sleeps (so
/// that it can be tested without threads or clocks).
///
/// A suspected stall asks for a check *after the current delay* (`Requests::recheck`): the
/// first such request sets `due`, and when `due` has passed, every suspect asked for so far
/// is woken (with the newest waiter, if every live thread is blocked), the delay doubles (up
/// to [`MAX_DELAY`]) if anyone was woken, and `due` is cleared until the next request. A
/// request to wake a thread at once (`Requests::wake`) is served as soon as it comes, and
/// never takes the place of the suspects' round: when both are ready, both are served
/// (each suspect re-blocks, checks again and asks again while it is still suspected, so no
/// suspect may be dropped, or it would sleep undeclared for good).
struct Schedule {
    delay: Duration,
    due: Option<Instant>,
}

/// What the rechecker does next (from [`Schedule::step`]).
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Sleep until a request comes, or until this instant.
    Sleep(Option<Instant>),
    /// Wake `wake` now; and if `round`, the suspects' delay has passed: wake `suspects`
    /// (and the newest waiter, if every live thread is blocked), then
    /// [`Schedule::round_done`].
    Run {
        wake: Vec<(usize, u64)>,
        suspects: Vec<(usize, u64)>,
        round: bool,
    },
}

impl Schedule {
    const fn new() -> Self {
        Schedule {
            delay: FIRST_DELAY,
            due: None,
        }
    }

    /// The next step at `now`, taking what it serves out of `r`.
    fn step(&mut self, r: &mut Requests, now: Instant) -> Step {
        if r.recheck {
            r.recheck = false;
            self.due.get_or_insert(now + self.delay);
        }
        let round = self.due.is_some_and(|at| now >= at);
        if !round && r.wake.is_empty() {
            return Step::Sleep(self.due);
        }
        let suspects = if round {
            self.due = None;
            std::mem::take(&mut r.suspects)
        } else {
            Vec::new()
        };
        Step::Run {
            wake: std::mem::take(&mut r.wake),
            suspects,
            round,
        }
    }

    /// A round is done; `woke` says whether it woke anyone (then the stall is still
    /// suspected: check less often), else the delay starts again from [`FIRST_DELAY`].
    fn round_done(&mut self, woke: bool) {
        self.delay = if woke {
            (self.delay * 2).min(MAX_DELAY)
        } else {
            FIRST_DELAY
        };
    }
}

fn recheck_loop() {
    let mut schedule = Schedule::new();
    loop {
        let (wake, suspects, round) = {
            let mut r = requests();
            loop {
                match schedule.step(&mut r, Instant::now()) {
                    Step::Run {
                        wake,
                        suspects,
                        round,
                    } => break (wake, suspects, round),
                    Step::Sleep(Some(at)) => {
                        let left = at.saturating_duration_since(Instant::now());
                        r = REQUESTS_CV
                            .wait_timeout(r, left)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                    }
                    Step::Sleep(None) => {
                        r = REQUESTS_CV.wait(r).unwrap_or_else(PoisonError::into_inner);
                    }
                }
            }
        };
        for (key, ident) in wake {
            wake_for_recheck(key, ident);
        }
        if round {
            // A suspect woken checks again, and asks again if it is still suspected.
            let mut woke = !suspects.is_empty();
            for (key, ident) in suspects {
                wake_for_recheck(key, ident);
            }
            if let Some((key, ident)) = newest_if_all_blocked() {
                wake_for_recheck(key, ident);
                woke = true;
            }
            schedule.round_done(woke);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{first_other_thread, Requests, Schedule, Step, FIRST_DELAY, MAX_DELAY};
    use std::collections::BTreeSet;
    use std::time::Instant;

    /// The threads listed when the count-based rule declared a consumer stuck alone (the
    /// queue's 2 × 2 cell on plain std threads): `main` (not known), the rechecker (a helper),
    /// the blocked consumer, the second consumer (registered during the check, running) and
    /// two producers (not known). Any of the running ones may wake the consumer.
    #[test]
    fn a_listed_thread_that_is_not_blocked_holds_the_whole_program_verdict_back() {
        let (main, rechecker, waiting, second, producers) = (4023, 4037, 4136, 4137, [4138, 4139]);
        let blocked = BTreeSet::from([waiting]);
        let helper = |tid| tid == rechecker;
        let listed = [main, rechecker, waiting, second, producers[0], producers[1]];
        assert_eq!(first_other_thread(listed, &blocked, helper), Some(main));
        let listed = [rechecker, waiting, second];
        assert_eq!(
            first_other_thread(listed, &blocked, helper),
            Some(second),
            "a registered thread that runs is no less able to wake it than an unknown one"
        );
        assert_eq!(
            first_other_thread([rechecker, waiting], &blocked, helper),
            None
        );
        let both = BTreeSet::from([waiting, second]);
        assert_eq!(
            first_other_thread([waiting, rechecker, second], &both, helper),
            None
        );
    }

    fn suspected(who: (usize, u64)) -> Requests {
        Requests {
            recheck: true,
            wake: Vec::new(),
            suspects: vec![who],
        }
    }

    /// What hung `deadlock_libtest::stall_event_alone` under load: the test's thread was a
    /// suspect (a thread potok did not know yet ran beside it), and a join in the test beside
    /// it asked the rechecker to wake another thread at once. The rechecker, running late,
    /// served that wake and cleared the suspects' round without waking them: the suspect slept
    /// undeclared until the next suspected stall anywhere, which never came.
    #[test]
    fn a_wake_served_after_the_suspects_delay_wakes_the_suspects_too() {
        let t0 = Instant::now();
        let mut schedule = Schedule::new();
        let mut r = suspected((1, 10));
        assert_eq!(
            schedule.step(&mut r, t0),
            Step::Sleep(Some(t0 + FIRST_DELAY))
        );
        r.wake.push((2, 20));
        let late = t0 + FIRST_DELAY * 5;
        assert_eq!(
            schedule.step(&mut r, late),
            Step::Run {
                wake: vec![(2, 20)],
                suspects: vec![(1, 10)],
                round: true,
            }
        );
        schedule.round_done(true);
        assert_eq!(schedule.step(&mut r, late), Step::Sleep(None));
    }

    /// A wake served before the suspects' delay passes leaves their round due.
    #[test]
    fn a_wake_served_before_the_suspects_delay_keeps_their_round() {
        let t0 = Instant::now();
        let mut schedule = Schedule::new();
        let mut r = suspected((1, 10));
        let due = t0 + FIRST_DELAY;
        assert_eq!(schedule.step(&mut r, t0), Step::Sleep(Some(due)));
        r.wake.push((2, 20));
        let early = t0 + FIRST_DELAY / 2;
        assert_eq!(
            schedule.step(&mut r, early),
            Step::Run {
                wake: vec![(2, 20)],
                suspects: Vec::new(),
                round: false,
            }
        );
        // Serving the wake took past the due time: the round still comes.
        assert_eq!(
            schedule.step(&mut r, due),
            Step::Run {
                wake: Vec::new(),
                suspects: vec![(1, 10)],
                round: true,
            }
        );
    }

    /// While a stall stays suspected the delay doubles up to its cap; a round that wakes
    /// nobody starts it again from the first delay.
    #[test]
    fn the_delay_doubles_while_suspected_and_starts_again_after_a_quiet_round() {
        let mut now = Instant::now();
        let mut schedule = Schedule::new();
        let mut delays = Vec::new();
        for _ in 0..12 {
            let mut r = suspected((1, 10));
            let Step::Sleep(Some(at)) = schedule.step(&mut r, now) else {
                panic!("a suspect waits for its delay");
            };
            delays.push(at - now);
            now = at;
            assert!(matches!(
                schedule.step(&mut r, now),
                Step::Run { round: true, .. }
            ));
            schedule.round_done(true);
        }
        assert_eq!(delays[0], FIRST_DELAY);
        assert_eq!(delays[1], FIRST_DELAY * 2);
        assert_eq!(*delays.last().unwrap(), MAX_DELAY);
        schedule.round_done(false);
        let mut r = suspected((1, 10));
        assert_eq!(
            schedule.step(&mut r, now),
            Step::Sleep(Some(now + FIRST_DELAY))
        );
    }
}

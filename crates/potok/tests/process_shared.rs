//! State shared between processes: `potok::process::{SharedMemory, Lock, Value, Array}`.
//!
//! Provenance: the behaviours are CPython's `Lib/test/_test_multiprocessing.py`, written again
//! for potok (no code copied): `_TestValue` (a child changes a `Value` the parent sees;
//! `get_lock()`), `_TestArray` (a child changes an `Array`), `_TestLock` (acquire, release,
//! releasing an unlocked lock is an error), `_TestSharedMemory.test_shared_memory_basics`
//! (open by name from elsewhere, `FileNotFoundError` for a name that does not exist,
//! `ValueError` for size 0, `FileExistsError` for a name taken, the segment gone after
//! `unlink`), and the classic counter under `with v.get_lock(): v.value += 1` across 4
//! processes, exact. What Python does not have: a holder killed with SIGKILL mid-hold (Python's
//! lock stays locked for ever) gives the next acquirer an error naming it, in bounded time.
//!
//! Runs with `harness = false` on the shared runner (children are this executable started
//! again): see `support/mod.rs`.

mod support;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use potok::process::{Array, Lock, Pool, Process, SharedMemory, SharedMemoryError, Value};
use potok::ReleaseError;
use support::case;

const LIMIT: Duration = Duration::from_secs(60);

fn shm_path(name: &str) -> String {
    format!("/dev/shm/{name}")
}

/// A child: `n` increments of the counter, each under its lock.
fn increment(args: (Value<u64>, u32)) -> u32 {
    let (counter, n) = args;
    for _ in 0..n {
        *counter.lock().expect("no holder dies here") += 1;
    }
    n
}

/// A child: holds the lock, then sleeps long (to be killed while holding it).
fn hold_forever(lock: Lock) -> u32 {
    let _guard = lock.lock().expect("a fresh lock");
    std::thread::sleep(Duration::from_secs(120));
    0
}

/// A child: takes a lock whose holder (a sibling) died, and says whom the error names.
fn take_from_the_dead(lock: Lock) -> String {
    match lock.acquire() {
        Ok(()) => "acquired without being told the holder died".to_owned(),
        Err(died) => format!("{} {}", died.holder(), died.pid()),
    }
}

/// A child: starts an update of the pair under its lock, then sleeps long (killed half-way).
fn half_update(args: (Value<[u64; 2]>, potok::process::Event)) -> u32 {
    let (pair, half_done) = args;
    let mut guard = pair.lock().expect("a fresh value");
    guard[0] = 1;
    half_done.set();
    std::thread::sleep(Duration::from_secs(120));
    guard[1] = 1;
    0
}

/// A child: squares every element of its slot range.
fn square_slots(args: (Array<u32>, usize, usize)) -> u32 {
    let (xs, from, to) = args;
    let mut guard = xs.lock().unwrap();
    for x in &mut guard[from..to] {
        *x *= *x;
    }
    0
}

/// A pool task: one increment under the lock.
fn bump(counter: Value<u64>) -> u64 {
    let mut guard = counter.lock().unwrap();
    *guard += 1;
    *guard
}

fn counter_under_lock_four_processes_is_exact() {
    let counter = Value::new(0u64).unwrap();
    let mut children: Vec<Process<u32>> = (0..4)
        .map(|i| Process::new(increment, (counter.clone(), 2_500)).with_name(format!("adder-{i}")))
        .collect();
    for child in &mut children {
        child.start().unwrap();
    }
    for child in &mut children {
        assert_eq!(child.join_timeout(LIMIT).unwrap(), 2_500);
    }
    assert_eq!(counter.get().unwrap(), 10_000);
    assert!(!counter.get_lock().locked());
}

/// A pool task: reads the value it was handed.
fn read_value(v: Value<u64>) -> u64 {
    v.get().expect("no holder dies")
}

/// A pool initializer's argument, kept in each worker.
static FROM_INIT: std::sync::OnceLock<Value<u64>> = std::sync::OnceLock::new();

fn keep_for_tasks(v: Value<u64>) {
    let _ = FROM_INIT.set(v);
}

fn read_init_value(_: ()) -> u64 {
    FROM_INIT
        .get()
        .expect("the initializer ran")
        .get()
        .expect("no holder dies")
}

/// A Value whose only handle is a pool task's argument (moved into `apply_async` or `map`)
/// or an initializer's: the pool keeps it until the worker has answered (the pool's life, for
/// the initializer's), so the worker always finds the segment, as a `Process` child does.
fn pool_task_arguments_are_kept_alive() {
    let pool = Pool::new(2).unwrap();
    let pending: Vec<_> = (0..20u64)
        .map(|i| {
            pool.apply_async(read_value, Value::new(i).unwrap())
                .unwrap()
        })
        .collect();
    for (i, result) in (0..20u64).zip(pending) {
        assert_eq!(result.get_timeout(LIMIT).expect("the value was found"), i);
    }
    let values: Vec<Value<u64>> = (0..20u64).map(|i| Value::new(i * 10).unwrap()).collect();
    let read = pool.map(read_value, values).expect("every value was found");
    assert_eq!(read, (0..20u64).map(|i| i * 10).collect::<Vec<_>>());
    drop(pool);
    let pool = Pool::builder()
        .processes(2)
        .initializer(keep_for_tasks, Value::new(42u64).unwrap())
        .build()
        .expect("the initializer found its value");
    assert_eq!(pool.map(read_init_value, vec![(); 4]).unwrap(), vec![42; 4]);
}

fn pool_tasks_share_a_value() {
    let counter = Value::new(0u64).unwrap();
    let pool = Pool::new(2).unwrap();
    let mut seen = pool.map(bump, vec![counter.clone(); 40]).unwrap();
    seen.sort_unstable();
    // Every task saw a different count: the increments never overlapped.
    assert_eq!(seen, (1..=40).collect::<Vec<u64>>());
    assert_eq!(counter.get().unwrap(), 40);
}

fn child_changes_an_array_the_parent_sees() {
    let xs = Array::new(&[1u32, 2, 3, 4, 5, 6]).unwrap();
    let mut a = Process::new(square_slots, (xs.clone(), 0, 3));
    let mut b = Process::new(square_slots, (xs.clone(), 3, 6));
    a.start().unwrap();
    b.start().unwrap();
    a.join_timeout(LIMIT).unwrap();
    b.join_timeout(LIMIT).unwrap();
    assert_eq!(xs.to_vec().unwrap(), vec![1, 4, 9, 16, 25, 36]);
    assert_eq!(xs.get(5).unwrap(), 36);
    xs.set(0, 7).unwrap();
    assert_eq!(xs.get(0).unwrap(), 7);
    assert_eq!(
        Array::<u32>::zeroed(3).unwrap().to_vec().unwrap(),
        vec![0; 3]
    );
}

/// Waits (bounded) until some holder has `lock`.
fn wait_locked(lock: &Lock) {
    assert!(
        support::eventually(LIMIT, || lock.locked()),
        "the child never took the lock"
    );
}

fn sigkill_holder_is_named_not_a_hang() {
    let lock = Lock::named("log file").unwrap();
    let mut holder = Process::new(hold_forever, lock.clone()).with_name("holder");
    holder.start().unwrap();
    let pid = holder.pid().unwrap();
    wait_locked(&lock);
    // A live holder: a bounded wait times out, a try fails, a release is refused.
    assert!(!lock.acquire_timeout(Duration::from_millis(100)).unwrap());
    assert!(!lock.try_acquire().unwrap());
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
    holder.kill();
    let started = Instant::now();
    let lock2 = lock.clone();
    let died = support::within(
        "acquire after the holder's death",
        LIMIT,
        move || match lock2.acquire() {
            Ok(()) => panic!("acquired without being told the holder died"),
            Err(died) => (died.pid(), died.holder().to_owned(), died.to_string()),
        },
    );
    assert_eq!(died.0, pid);
    assert_eq!(died.1, "holder");
    assert!(
        died.2.contains("'log file'")
            && died.2.contains(&pid.to_string())
            && died.2.contains("'holder'"),
        "{}",
        died.2
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    // The lock was taken over (by the `within` thread, which has ended: that holder is dead
    // too, and the next acquirer is told again); after that it is an ordinary lock.
    let again = lock.acquire_timeout(LIMIT);
    assert!(
        again.is_err(),
        "the thread that took it over ended holding it"
    );
    lock.release().unwrap();
    assert!(lock.try_acquire().unwrap());
    lock.release().unwrap();
    let _ = holder.join_timeout(LIMIT);
}

fn sigkill_mid_update_gives_the_value_back() {
    let pair = Value::new([0u64; 2]).unwrap();
    let half_done = potok::process::Event::new().unwrap();
    let mut child =
        Process::new(half_update, (pair.clone(), half_done.clone())).with_name("updater");
    child.start().unwrap();
    let pid = child.pid().unwrap();
    // The child has written the first half and still holds the lock.
    assert!(
        half_done.wait_timeout(LIMIT),
        "the child never wrote the first half"
    );
    child.kill();
    let err = pair.get().expect_err("the holder died");
    assert_eq!(err.pid(), pid);
    assert_eq!(err.holder(), "updater");
    // Recovery: the value as the dead holder left it, half-updated, and the lock is ours
    // until the error (with its guard) is dropped.
    assert_eq!(err.into_inner(), [1, 0]);
    pair.set([2, 2]).unwrap();
    assert_eq!(pair.get().unwrap(), [2, 2]);
    let _ = child.join_timeout(LIMIT);
}

/// The holder's name comes from the lock itself when the taker did not start the holder (a
/// sibling): it is rewritten when another process than the last one takes the lock.
fn a_sibling_names_the_dead_holder() {
    let lock = Lock::named("shared log").unwrap();
    // The parent holds it first, so the name recorded in the lock is MainProcess's.
    lock.acquire().unwrap();
    lock.release().unwrap();
    let mut holder = Process::new(hold_forever, lock.clone()).with_name("first holder");
    holder.start().unwrap();
    let pid = holder.pid().unwrap();
    wait_locked(&lock);
    holder.kill();
    let _ = holder.join_timeout(LIMIT);
    let mut taker = Process::new(take_from_the_dead, lock.clone()).with_name("taker");
    taker.start().unwrap();
    let said = taker.join_timeout(LIMIT).expect("the taker ends");
    assert_eq!(said, format!("first holder {pid}"));
}

fn no_segment_left_after_drop() {
    let value = Value::new(5u64).unwrap();
    let lock = Lock::new().unwrap();
    let xs = Array::new(&[1u8; 100]).unwrap();
    let shm = SharedMemory::create(1000).unwrap();
    let names: Vec<String> = vec![
        value.name().to_owned(),
        lock.name().to_owned(),
        xs.name().to_owned(),
        shm.name().to_owned(),
    ];
    for name in &names {
        assert!(
            Path::new(&shm_path(name)).exists(),
            "{name} not in /dev/shm"
        );
    }
    // A child opens and drops the value: that does not remove it.
    let mut child = Process::new(increment, (value.clone(), 1));
    child.start().unwrap();
    child.join_timeout(LIMIT).unwrap();
    assert_eq!(value.get().unwrap(), 5 + 1);
    let opened = SharedMemory::open(shm.name()).unwrap();
    drop(opened);
    assert!(Path::new(&shm_path(&names[3])).exists());
    drop((value, lock, xs, shm));
    for name in &names {
        assert!(
            !Path::new(&shm_path(name)).exists(),
            "{name} left in /dev/shm"
        );
    }
    // Nothing of this process is left at all (the counter of the child included).
    let prefix = format!("potok_{}_", std::process::id());
    let left: Vec<_> = std::fs::read_dir("/dev/shm")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Told to persist: it stays until unlinked.
    let kept = SharedMemory::create(64).unwrap();
    kept.persist();
    let name = kept.name().to_owned();
    drop(kept);
    let reopened = SharedMemory::open(&name).unwrap();
    assert_eq!(reopened.size(), 64);
    reopened.unlink().unwrap();
    assert!(!Path::new(&shm_path(&name)).exists());
    assert!(matches!(
        SharedMemory::open(&name),
        Err(SharedMemoryError::NotFound { .. })
    ));
}

fn bad_open_is_a_clear_error() {
    let err = SharedMemory::open("potok_no_such_segment").unwrap_err();
    assert!(matches!(err, SharedMemoryError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "no shared memory segment named 'potok_no_such_segment' exists (never created, or its creator is gone)"
    );
    let err = Value::<u64>::open("potok_no_such_segment").unwrap_err();
    assert!(matches!(err, SharedMemoryError::NotFound { .. }), "{err:?}");
    assert!(matches!(
        SharedMemory::create(0),
        Err(SharedMemoryError::ZeroSize)
    ));
    assert!(matches!(
        SharedMemory::open("a/b"),
        Err(SharedMemoryError::BadName { .. })
    ));
    let taken = SharedMemory::create(16).unwrap();
    let err = SharedMemory::create_named(taken.name(), 16).unwrap_err();
    assert!(
        matches!(err, SharedMemoryError::AlreadyExists { .. }),
        "{err:?}"
    );

    // Another type, another kind, not potok's at all.
    let small = Value::new(1u32).unwrap();
    let err = Value::<u64>::open(small.name()).unwrap_err();
    assert!(
        matches!(err, SharedMemoryError::WrongKind { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("does not hold a potok Value"),
        "{err}"
    );
    let err = Array::<u32>::open(small.name()).unwrap_err();
    assert!(
        matches!(err, SharedMemoryError::WrongKind { .. }),
        "{err:?}"
    );
    let err = Value::<u64>::open(taken.name()).unwrap_err();
    assert!(
        matches!(err, SharedMemoryError::WrongKind { .. }),
        "{err:?}"
    );

    // A size mismatch: a copy of a Value<u64>'s header in a segment 8 bytes short.
    let real = Value::new(7u64).unwrap();
    let raw = SharedMemory::open(real.name()).unwrap();
    let fake = SharedMemory::create(256).unwrap();
    // SAFETY: both mappings are at least 256 bytes; nobody else writes `fake`.
    unsafe { std::ptr::copy_nonoverlapping(raw.as_ptr(), fake.as_ptr(), 256) };
    let err = Value::<u64>::open(fake.name()).unwrap_err();
    match &err {
        SharedMemoryError::SizeMismatch {
            expected, found, ..
        } => {
            assert_eq!((*expected, *found), (Some(264), 256));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("has 256 bytes, not the 264 expected"),
        "{err}"
    );

    // What a child handed a name that is gone would see: the argument does not decode, and
    // the reason names the segment.
    let err = serde_json::from_str::<Value<u64>>("\"potok_no_such_segment\"").unwrap_err();
    assert!(
        err.to_string()
            .contains("no shared memory segment named 'potok_no_such_segment'"),
        "{err}"
    );
}

fn lock_basics_and_release_rules() {
    let lock = Lock::named("basics").unwrap();
    assert_eq!(lock.name(), "basics");
    assert_eq!(lock.to_string(), "<unlocked process Lock 'basics'>");
    lock.acquire().unwrap();
    assert!(lock.locked());
    assert!(!lock.try_acquire().unwrap());
    assert!(!lock.acquire_timeout(Duration::from_millis(30)).unwrap());
    let other = lock.clone();
    let refused = std::thread::spawn(move || other.release()).join().unwrap();
    assert_eq!(refused, Err(ReleaseError::NotOwner));
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
    // A waiter on another thread is woken by the release.
    let guard = lock.lock().unwrap();
    let other = lock.clone();
    let waiter = std::thread::spawn(move || {
        let got = other.acquire_timeout(LIMIT);
        other.release().unwrap();
        got
    });
    drop(guard);
    assert!(waiter.join().unwrap().unwrap());
}

fn main() -> ExitCode {
    support::run(vec![
        case!(counter_under_lock_four_processes_is_exact),
        case!(pool_tasks_share_a_value),
        case!(pool_task_arguments_are_kept_alive),
        case!(child_changes_an_array_the_parent_sees),
        case!(sigkill_holder_is_named_not_a_hang),
        case!(sigkill_mid_update_gives_the_value_back),
        case!(a_sibling_names_the_dead_holder),
        case!(no_segment_left_after_drop),
        case!(bad_open_is_a_clear_error),
        case!(lock_basics_and_release_rules),
    ])
}

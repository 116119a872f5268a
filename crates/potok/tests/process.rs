//! Process (function and class way, pid, is_alive, join, join_timeout, terminate, kill,
//! exitcode), Pipe and Connection across processes, and the IPC Queue with several producer and
//! consumer processes.
//!
//! Runs with `harness = false` on the shared runner: see `support/mod.rs`.

mod support;

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use potok::process::{
    Connection, JoinTimeoutError, Pipe, Pool, Process, ProcessError, PutTimeoutError, Queue,
    RecvError, Run, TaskErrorKind, TryGetError, TryPutError,
};
use serde::{Deserialize, Serialize};
use support::case;

fn shout(word: String) -> String {
    word.to_uppercase()
}

fn panics(_: ()) -> u8 {
    panic!("the child gives up");
}

fn exits_with_three(_: ()) -> u8 {
    std::process::exit(3);
}

fn sleeps(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

#[derive(Serialize, Deserialize)]
struct Knight {
    name: String,
    power: u32,
}

impl Run for Knight {
    type Output = String;

    fn run(self) -> String {
        let days = 100_u32.div_ceil(self.power);
        format!("{} won after {days} days", self.name)
    }
}

fn process_function_way() {
    let mut p = Process::new(shout, "hello".to_string()).with_name("shouter");
    assert_eq!(p.name(), "shouter");
    assert_eq!(p.pid(), None);
    assert!(!p.is_alive());
    p.start().unwrap();
    let pid = p.pid().unwrap();
    assert_ne!(pid, std::process::id());
    assert_eq!(p.join().unwrap(), "HELLO");
    assert!(!p.is_alive());
    assert_eq!(p.exitcode(), Some(0));
    assert_eq!(p.join(), Err(ProcessError::AlreadyJoined));
    support::assert_no_children(Duration::from_secs(2));
}

fn process_class_way() {
    let mut p = Process::from_run(Knight {
        name: "Sir Galahad".into(),
        power: 20,
    });
    assert!(p.name().starts_with("Process-"));
    p.start().unwrap();
    assert_eq!(p.join().unwrap(), "Sir Galahad won after 5 days");
}

fn process_failures() {
    let mut p = Process::new(panics, ());
    p.start().unwrap();
    let err = p.join().unwrap_err();
    assert!(
        matches!(&err, ProcessError::Panicked(m) if m.contains("the child gives up")),
        "{err}"
    );
    assert_eq!(p.exitcode(), Some(1));

    let mut p = Process::new(exits_with_three, ());
    p.start().unwrap();
    assert_eq!(p.join(), Err(ProcessError::Exited(3)));
    assert_eq!(p.exitcode(), Some(3));

    let mut never = Process::new(shout, "x".to_string());
    assert_eq!(never.join(), Err(ProcessError::NotStarted));
    assert_eq!(never.exitcode(), None);
    support::assert_no_children(Duration::from_secs(2));
}

fn terminate_and_kill() {
    let mut p = Process::new(sleeps, 30_000);
    p.start().unwrap();
    assert_eq!(
        p.join_timeout(Duration::from_millis(50)),
        Err(JoinTimeoutError::Timeout)
    );
    assert!(p.is_alive());
    assert_eq!(p.exitcode(), None);
    let t = Instant::now();
    p.terminate();
    assert_eq!(p.join(), Err(ProcessError::Killed(libc::SIGTERM)));
    assert_eq!(p.exitcode(), Some(-libc::SIGTERM));
    assert!(t.elapsed() < Duration::from_secs(5));
    p.terminate(); // after the end: nothing happens

    let mut p = Process::new(sleeps, 30_000);
    p.start().unwrap();
    p.kill();
    assert_eq!(
        p.join_timeout(Duration::from_secs(5)),
        Err(JoinTimeoutError::Failed(ProcessError::Killed(
            libc::SIGKILL
        )))
    );
    assert_eq!(p.exitcode(), Some(-libc::SIGKILL));

    let mut quick = Process::new(sleeps, 10);
    quick.start().unwrap();
    assert_eq!(quick.join_timeout(Duration::from_secs(5)), Ok(10));
    support::assert_no_children(Duration::from_secs(2));
}

fn dropped_process_is_reaped() {
    let mut p = Process::new(sleeps, 50);
    p.start().unwrap();
    drop(p);
    // The watcher thread reaps it when it ends: no zombie.
    support::assert_no_children(Duration::from_secs(5));
}

/// Starts a grandchild that sleeps, reports its pid through `path`, then sleeps itself.
fn parent_of_a_sleeper(path: String) -> u8 {
    let mut grandchild = Process::new(sleeps, 30_000);
    grandchild.start().unwrap();
    std::fs::write(&path, grandchild.pid().unwrap().to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(30));
    0
}

/// Whether `pid` is gone (or a zombie waiting for init, which is just as dead).
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 2..].split(' ').next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

fn a_child_dies_with_its_parent() {
    let path = std::env::temp_dir().join(format!("potok-orphan-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut parent = Process::new(parent_of_a_sleeper, path.to_string_lossy().into_owned());
    parent.start().unwrap();
    assert!(
        support::eventually(Duration::from_secs(10), || std::fs::read_to_string(&path)
            .is_ok_and(|s| !s.is_empty())),
        "the grandchild never started"
    );
    let grandchild: u32 = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    assert!(!is_gone(grandchild));
    parent.kill();
    assert_eq!(
        parent.join_timeout(Duration::from_secs(5)),
        Err(JoinTimeoutError::Failed(ProcessError::Killed(
            libc::SIGKILL
        )))
    );
    assert!(
        support::eventually(Duration::from_secs(5), || is_gone(grandchild)),
        "the grandchild {grandchild} outlived its parent"
    );
    let _ = std::fs::remove_file(&path);
}

fn pipe_in_one_process() {
    let (a, b) = Pipe::new().unwrap();
    assert!(!b.poll(Some(Duration::from_millis(10))).unwrap());
    a.send(&(1u8, "two".to_string())).unwrap();
    assert!(b.poll(Some(Duration::ZERO)).unwrap());
    assert_eq!(b.recv::<(u8, String)>().unwrap(), (1, "two".to_string()));
    b.send(&vec![1.5f64, 2.5]).unwrap();
    assert_eq!(a.recv::<Vec<f64>>().unwrap(), [1.5, 2.5]);
    // A value of the wrong type is an error, not garbage.
    a.send("not a number").unwrap();
    assert!(matches!(b.recv::<u64>(), Err(RecvError::Decode(_))));
    drop(a);
    assert!(
        b.poll(Some(Duration::from_secs(1))).unwrap(),
        "EOF is readable"
    );
    assert!(matches!(b.recv::<u8>(), Err(RecvError::Closed)));
    assert!(b.send(&1u8).is_err());
}

fn echo(conn: Connection) -> u64 {
    let mut n = 0;
    while let Ok(x) = conn.recv::<u64>() {
        conn.send(&(x * 2)).unwrap();
        n += 1;
    }
    n
}

fn pipe_across_processes() {
    let (here, there) = Pipe::new().unwrap();
    let mut child = Process::new(echo, there);
    child.start().unwrap();
    for x in 0..1000u64 {
        here.send(&x).unwrap();
        assert_eq!(here.recv::<u64>().unwrap(), x * 2);
    }
    drop(here);
    assert_eq!(child.join_timeout(Duration::from_secs(10)).unwrap(), 1000);
}

fn takes_connection(_: Connection) -> u8 {
    0
}

fn connection_cannot_travel_in_a_pool_task() {
    let pool = Pool::new(1).unwrap();
    let (a, _b) = Pipe::new().unwrap();
    let err = pool.apply(takes_connection, a).unwrap_err();
    assert!(
        matches!(&err, potok::process::MapError::Task(e) if matches!(e.kind(), TaskErrorKind::Encode(_))),
        "{err}"
    );
}

fn queue_in_one_process() {
    let q: Queue<u32> = Queue::new(2).unwrap();
    assert!(q.is_empty());
    q.put(1).unwrap();
    q.try_put(2).unwrap();
    assert!(q.is_full());
    assert!(matches!(q.try_put(3), Err(TryPutError::Full(3))));
    let t = Instant::now();
    assert!(matches!(
        q.put_timeout(4, Duration::from_millis(50)),
        Err(PutTimeoutError::Full(4))
    ));
    assert!(t.elapsed() >= Duration::from_millis(45));
    assert_eq!(q.qsize(), 2);
    assert_eq!(q.get().unwrap(), 1);
    assert_eq!(q.try_get().unwrap(), 2);
    assert_eq!(q.try_get(), Err(TryGetError::Empty));
    let t = Instant::now();
    assert_eq!(
        q.get_timeout(Duration::from_millis(50)),
        Err(TryGetError::Empty)
    );
    assert!(t.elapsed() >= Duration::from_millis(45));

    // A timeout below a millisecond still waits (rounded up, not down to a poll), and one too
    // long to represent waits forever instead of panicking.
    let t = Instant::now();
    assert_eq!(
        q.get_timeout(Duration::from_micros(300)),
        Err(TryGetError::Empty)
    );
    assert!(
        t.elapsed() >= Duration::from_micros(300),
        "{:?}",
        t.elapsed()
    );
    q.put_timeout(5, Duration::MAX).unwrap();
    assert_eq!(q.get_timeout(Duration::MAX).unwrap(), 5);
}

/// Producer `id` puts `count` items `id * 1_000_000 + i`, in order.
fn produce((q, id, count): (Queue<Option<u64>>, u64, u64)) -> u64 {
    for i in 0..count {
        q.put(Some(id * 1_000_000 + i)).unwrap();
    }
    count
}

/// Takes items until a `None`; returns them in the order taken.
fn consume(q: Queue<Option<u64>>) -> Vec<u64> {
    let mut got = Vec::new();
    while let Some(x) = q.get().unwrap() {
        got.push(x);
    }
    got
}

fn run_producers_consumers(maxsize: usize, per_producer: u64) {
    let q: Queue<Option<u64>> = Queue::new(maxsize).unwrap();
    let mut consumers: Vec<_> = (0..2).map(|_| Process::new(consume, q.clone())).collect();
    let mut producers: Vec<_> = (0..2u64)
        .map(|id| Process::new(produce, (q.clone(), id, per_producer)))
        .collect();
    for c in &mut consumers {
        c.start().unwrap();
    }
    for p in &mut producers {
        p.start().unwrap();
    }
    for p in &mut producers {
        assert_eq!(
            p.join_timeout(Duration::from_secs(60)).unwrap(),
            per_producer
        );
    }
    q.put(None).unwrap();
    q.put(None).unwrap();
    let mut all = Vec::new();
    for c in &mut consumers {
        let got = c.join_timeout(Duration::from_secs(60)).unwrap();
        // FIFO: each producer's items reach each consumer in the order they were put.
        for id in 0..2 {
            let mine: Vec<u64> = got
                .iter()
                .copied()
                .filter(|x| x / 1_000_000 == id)
                .collect();
            assert!(
                mine.windows(2).all(|w| w[0] < w[1]),
                "producer {id} out of order"
            );
        }
        all.extend(got);
    }
    let total = 2 * per_producer as usize;
    assert_eq!(all.len(), total, "items lost or duplicated");
    let distinct: HashSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), total, "duplicates");
    for id in 0..2 {
        for i in 0..per_producer {
            assert!(distinct.contains(&(id * 1_000_000 + i)));
        }
    }
    assert!(q.is_empty());
    support::assert_no_children(Duration::from_secs(2));
}

fn queue_two_producers_two_consumers_100k() {
    run_producers_consumers(0, 50_000);
}

fn bounded_queue_two_producers_two_consumers() {
    run_producers_consumers(64, 5_000);
}

fn put_from_a_pool_task((q, x): (Queue<u64>, u64)) -> u64 {
    q.put(x * 10).unwrap();
    x
}

fn queue_through_pool_tasks() {
    let pool = Pool::new(2).unwrap();
    let q: Queue<u64> = Queue::new(0).unwrap();
    let args: Vec<_> = (0..20).map(|x| (q.clone(), x)).collect();
    assert_eq!(
        pool.map(put_from_a_pool_task, args).unwrap(),
        (0..20).collect::<Vec<_>>()
    );
    let mut got: Vec<u64> = (0..20)
        .map(|_| q.get_timeout(Duration::from_secs(5)).unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..20).map(|x| x * 10).collect::<Vec<_>>());
}

/// In a child: one thread gets while another puts on the same handle. The getter keeps
/// catching up with the putter and waiting on an empty queue; a handle whose one connection
/// stays locked during a waiting get would block the putter for ever.
fn get_and_put_from_two_threads(q: Queue<u64>) -> u64 {
    const N: u64 = 2_000;
    std::thread::scope(|s| {
        let getter = s.spawn(|| (0..N).map(|_| q.get().unwrap()).sum::<u64>());
        s.spawn(|| {
            for i in 0..N {
                q.put(i).unwrap();
            }
        });
        getter.join().unwrap()
    })
}

fn queue_get_and_put_from_two_threads_of_a_child() {
    let q: Queue<u64> = Queue::new(0).unwrap();
    let mut p = Process::new(get_and_put_from_two_threads, q.clone());
    p.start().unwrap();
    let outcome = p.join_timeout(Duration::from_secs(20));
    if outcome.is_err() {
        p.kill();
    }
    assert_eq!(outcome, Ok((0..2_000).sum::<u64>()));
}

/// In a child whose SIGPIPE has the default action (as in a host that does not ignore it):
/// sends to a Connection whose other end is gone. Ok(false): an error, as it should be.
fn send_to_a_closed_pipe_with_default_sigpipe(_: ()) -> bool {
    // SAFETY: signal(2) with SIG_DFL, in this single-purpose child process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let (a, b) = Pipe::new().unwrap();
    drop(b);
    a.send(&1u8).is_ok()
}

fn a_dead_peer_is_an_error_not_sigpipe() {
    let mut p = Process::new(send_to_a_closed_pipe_with_default_sigpipe, ());
    p.start().unwrap();
    assert_eq!(p.join_timeout(Duration::from_secs(10)), Ok(false));
}

/// In a child: becomes user `nobody`, connects to the queue broker named `name`, and reports
/// whether the broker closed the connection (EOF) rather than waiting for requests.
fn connect_as_another_user(name: String) -> bool {
    use std::io::Read;
    use std::os::linux::net::SocketAddrExt;
    // SAFETY: setgid/setuid in this single-purpose child (run as root).
    unsafe {
        assert_eq!(libc::setgid(65534), 0);
        assert_eq!(libc::setuid(65534), 0);
    }
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    // The abstract namespace has no permissions: the connect itself succeeds.
    let mut stream = std::os::unix::net::UnixStream::connect_addr(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // Closed by the broker: EOF at once. Accepted: no data ever comes, the read times out.
    matches!(stream.read(&mut [0u8; 16]), Ok(0))
}

fn queue_broker_refuses_other_users() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("(skipped: needs root to connect as another user)");
        return;
    }
    let q: Queue<u64> = Queue::new(0).unwrap();
    let debug = format!("{q:?}");
    let name = debug.split('"').nth(1).unwrap().to_string();
    assert!(name.starts_with("potok-queue-"), "{debug}");
    let mut p = Process::new(connect_as_another_user, name);
    p.start().unwrap();
    assert_eq!(p.join_timeout(Duration::from_secs(15)), Ok(true));
    // The queue still works for its own user.
    q.put(5).unwrap();
    assert_eq!(q.get_timeout(Duration::from_secs(5)), Ok(5));
}

/// Process-side timeouts as on the thread side: `Duration::MAX` means no limit (it panicked in
/// `Instant::now() + timeout`), and a sub-millisecond timeout waits instead of rounding down
/// to "do not wait".
fn process_side_timeouts_round_up_and_max_means_forever() {
    let mut p = Process::new(shout, "max".to_string());
    p.start().unwrap();
    assert_eq!(p.join_timeout(Duration::MAX).unwrap(), "MAX");

    let short = Duration::from_micros(500);
    let q: Queue<u32> = Queue::new(1).unwrap();
    q.put_timeout(1, Duration::MAX).unwrap();
    let t = Instant::now();
    assert!(matches!(
        q.put_timeout(2, short),
        Err(PutTimeoutError::Full(2))
    ));
    assert!(t.elapsed() >= short, "put waited {:?}", t.elapsed());
    assert_eq!(q.get_timeout(Duration::MAX).unwrap(), 1);
    let t = Instant::now();
    assert_eq!(q.get_timeout(short), Err(TryGetError::Empty));
    assert!(t.elapsed() >= short, "get waited {:?}", t.elapsed());

    let (a, b) = Pipe::new().unwrap();
    let t = Instant::now();
    assert!(!b.poll(Some(short)).unwrap());
    assert!(t.elapsed() >= short, "poll waited {:?}", t.elapsed());
    a.send(&1u8).unwrap();
    assert!(b.poll(Some(Duration::MAX)).unwrap());
    support::assert_no_children(Duration::from_secs(2));
}

fn main() -> ExitCode {
    support::run(
        [
            case!(process_function_way),
            case!(process_class_way),
            case!(process_failures),
            case!(terminate_and_kill),
            case!(dropped_process_is_reaped),
            case!(a_child_dies_with_its_parent),
            case!(pipe_in_one_process),
            case!(pipe_across_processes),
            case!(connection_cannot_travel_in_a_pool_task),
            case!(queue_in_one_process),
            case!(queue_two_producers_two_consumers_100k),
            case!(bounded_queue_two_producers_two_consumers),
            case!(queue_through_pool_tasks),
            case!(queue_get_and_put_from_two_threads_of_a_child),
            case!(a_dead_peer_is_an_error_not_sigpipe),
            case!(queue_broker_refuses_other_users),
            case!(process_side_timeouts_round_up_and_max_means_forever),
        ]
        .map(|test| test.limit(Duration::from_secs(120))),
    )
}

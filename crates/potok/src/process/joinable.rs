//! [`JoinableQueue`]: Python's `multiprocessing.JoinableQueue`, a [`Queue`] whose items are
//! marked done with `task_done`, and `join` waits until every item put was; both work from any
//! process the queue is handed to.
//!
//! The items travel through the queue's broker (see `queue.rs`); the count of unfinished items
//! lives in shared memory beside it (`shared/tasks.rs`), so `task_done` is an atomic operation
//! in whichever process calls it, and `join` sleeps on a futex that the last `task_done` wakes.

use std::fmt;
use std::io;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::data::{decode_error, Data};
use super::error::{
    Abandoned, GetError, PutError, PutTimeoutError, QueueJoinTimeoutError, TryGetError, TryPutError,
};
use super::identity::ProcessInfo;
use super::queue::Queue;
use super::shared::{JoinFail, Tasks};
use super::timeout::deadline;
use crate::TaskDoneError;

/// A FIFO shared by processes whose items are marked done: Python's
/// `multiprocessing.JoinableQueue(maxsize)`.
///
/// It has [`Queue`]'s methods (and its errors, which give a refused item back), plus
/// [`task_done`](Self::task_done) and [`join`](Self::join), which count across processes: an
/// item put in the parent and marked done in a child counts as done in the parent. Hand it to
/// another process by moving a clone into a [`Process`](super::Process)'s or a pool task's
/// argument.
///
/// `join` returning means every item was marked done; it says nothing of what the workers put
/// elsewhere before marking: a put from another process travels to its queue's broker on its
/// own (as Python's puts go through a feeder thread), so the parent reads those results with
/// a blocking `get`, not a `try_get`, after `join`. Shared memory ([`Value`](super::Value),
/// [`Array`](super::Array)) written before `task_done` is seen at once.
///
/// # A worker that dies
///
/// Python's `join` waits for ever when a worker process dies before marking its item done.
/// potok's notices it: when every unfinished item was taken by processes that have ended and
/// the queue is empty, `join` returns [`Abandoned`], naming those processes and how many items
/// each took. [`join_timeout`](Self::join_timeout) bounds the wait in any case. (Limits: only
/// the first 64 processes that take items from a queue are counted, the others' work is
/// waited for as in Python; an item handed on by a dead process to a live one counts as
/// abandoned until the live one marks it done.)
///
/// # Examples
///
/// ```
/// use potok::process::JoinableQueue;
///
/// let q: JoinableQueue<u32> = JoinableQueue::new(0).unwrap();
/// q.put(1).unwrap();
/// q.put(2).unwrap();
/// assert_eq!(q.unfinished_tasks(), 2);
/// assert_eq!(q.get().unwrap() + q.get().unwrap(), 3);
/// q.task_done().unwrap();
/// q.task_done().unwrap();
/// assert!(q.task_done().is_err()); // Python's ValueError: called too many times
/// q.join().unwrap(); // nothing unfinished: returns at once
/// ```
///
/// Across processes:
///
/// ```no_run
/// // no_run: starts a child process (see `potok::process::init`).
/// use potok::process::{JoinableQueue, Process};
///
/// fn worker(jobs: JoinableQueue<u64>) {
///     while let Ok(job) = jobs.get() {
///         println!("job {job}");
///         jobs.task_done().unwrap();
///     }
/// }
///
/// fn main() {
///     potok::main(|| {
///         let jobs = JoinableQueue::new(0).unwrap();
///         let mut p = Process::new(worker, jobs.clone()).daemon(true);
///         p.start().unwrap();
///         for job in 0..10 {
///             jobs.put(job).unwrap();
///         }
///         jobs.join().unwrap(); // every job marked done by the child
///     }); // the daemon child is terminated here
/// }
/// ```
pub struct JoinableQueue<T> {
    queue: Queue<T>,
    tasks: Tasks,
}

impl<T> fmt::Debug for JoinableQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinableQueue")
            .field("name", &self.tasks.name())
            .field("queue", &self.queue)
            .field("unfinished", &self.tasks.unfinished())
            .finish()
    }
}

impl<T> Clone for JoinableQueue<T> {
    fn clone(&self) -> Self {
        JoinableQueue {
            queue: self.queue.clone(),
            tasks: self.tasks.clone(),
        }
    }
}

fn abandoned(unfinished: u32, by: Vec<(u32, String, u64)>) -> Abandoned {
    Abandoned {
        unfinished: unfinished as usize,
        by: by
            .into_iter()
            .map(|(pid, name, n)| (ProcessInfo::new(name, pid, false), n as usize))
            .collect(),
    }
}

impl<T: Data> JoinableQueue<T> {
    /// A new queue holding at most `maxsize` items (0: unbounded, as in Python).
    ///
    /// # Errors
    ///
    /// The system's error if the broker's socket or thread, or the shared memory for the task
    /// count, cannot be made.
    pub fn new(maxsize: usize) -> io::Result<JoinableQueue<T>> {
        JoinableQueue::with_name(maxsize, None)
    }

    /// [`new`](Self::new), with a name for reports (shown by
    /// [`deadlock::snapshot`](crate::deadlock::snapshot) while a thread waits in
    /// [`join`](Self::join)); the default is the name of its shared memory segment.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// # Examples
    ///
    /// ```
    /// let jobs = potok::process::JoinableQueue::<u32>::named(0, "jobs").unwrap();
    /// assert_eq!(jobs.name(), "jobs");
    /// ```
    pub fn named(maxsize: usize, name: impl Into<String>) -> io::Result<JoinableQueue<T>> {
        JoinableQueue::with_name(maxsize, Some(&name.into()))
    }

    fn with_name(maxsize: usize, name: Option<&str>) -> io::Result<JoinableQueue<T>> {
        let tasks = Tasks::create(name).map_err(io::Error::other)?;
        Ok(JoinableQueue {
            queue: Queue::new(maxsize)?,
            tasks,
        })
    }

    /// The queue's name (see [`named`](Self::named)); every handle, in every process, has the
    /// same.
    pub fn name(&self) -> &str {
        self.tasks.name()
    }

    /// Runs a put, counting the item as unfinished first (so `join` never sees it done before
    /// it is even in the queue) and taking it back if the put fails.
    fn counted<E>(&self, put: impl FnOnce(&Queue<T>) -> Result<(), E>) -> Result<(), E> {
        self.tasks.add();
        put(&self.queue).inspect_err(|_| self.tasks.undo())
    }

    /// Puts an item, waiting for room if the queue is bounded and full (Python's `put(item)`);
    /// it counts as unfinished until a [`task_done`](Self::task_done).
    ///
    /// # Errors
    ///
    /// As [`Queue::put`], with the item.
    ///
    /// # Panics
    ///
    /// With 4,294,967,295 items unfinished.
    #[track_caller]
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.counted(|q| q.put(item))
    }

    /// Puts an item, waiting at most `timeout` for room (Python's `put(item, timeout=t)`).
    ///
    /// # Errors
    ///
    /// As [`Queue::put_timeout`], with the item.
    ///
    /// # Panics
    ///
    /// With 4,294,967,295 items unfinished.
    #[track_caller]
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutTimeoutError<T>> {
        self.counted(|q| q.put_timeout(item, timeout))
    }

    /// Puts an item if there is room now (Python's `put_nowait`).
    ///
    /// # Errors
    ///
    /// As [`Queue::try_put`], with the item.
    ///
    /// # Panics
    ///
    /// With 4,294,967,295 items unfinished.
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        self.counted(|q| q.try_put(item))
    }

    /// Counts a taken item as this process's (for [`Abandoned`]).
    fn took<R, E>(&self, got: Result<R, E>) -> Result<R, E> {
        if got.is_ok() {
            self.tasks.took();
        }
        got
    }

    /// Takes the oldest item, waiting for one (Python's `get()`). Mark it done with
    /// [`task_done`](Self::task_done) once handled.
    ///
    /// # Errors
    ///
    /// As [`Queue::get`].
    #[track_caller]
    pub fn get(&self) -> Result<T, GetError> {
        self.took(self.queue.get())
    }

    /// Takes the oldest item, waiting at most `timeout` (Python's `get(timeout=t)`).
    ///
    /// # Errors
    ///
    /// As [`Queue::get_timeout`].
    #[track_caller]
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, TryGetError> {
        self.took(self.queue.get_timeout(timeout))
    }

    /// Takes the oldest item if there is one now (Python's `get_nowait`).
    ///
    /// # Errors
    ///
    /// As [`Queue::try_get`].
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.took(self.queue.try_get())
    }

    /// The number of items in the queue (Python's `qsize()`), not counting items taken and not
    /// yet marked done (see [`unfinished_tasks`](Self::unfinished_tasks)).
    pub fn qsize(&self) -> usize {
        self.queue.qsize()
    }

    /// Whether the queue is empty (Python's `empty()`).
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether the queue is full (Python's `full()`).
    pub fn is_full(&self) -> bool {
        self.queue.is_full()
    }

    /// Marks one item taken from the queue as done (Python's `task_done()`), from any process.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] when nothing is unfinished: called more times than items were put
    /// (Python's `ValueError: task_done() called too many times`).
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        if self.tasks.done() {
            Ok(())
        } else {
            Err(TaskDoneError)
        }
    }

    /// How many items put have not been marked done yet, in all processes (Python's
    /// `_unfinished_tasks`).
    pub fn unfinished_tasks(&self) -> usize {
        self.tasks.unfinished() as usize
    }

    /// Waits until every item put (by any process) has been marked done (Python's `join()`).
    ///
    /// A thread waiting here shows in [`deadlock::snapshot`](crate::deadlock::snapshot) as
    /// blocked on `Queue '…' (across processes)`, and is never reported as a deadlock: another
    /// process may finish the work at any time (a dead one is [`Abandoned`] instead).
    ///
    /// # Errors
    ///
    /// [`Abandoned`] when it can never happen: every unfinished item was taken by processes
    /// that ended without marking it done, and the queue is empty (found within about 20 ms of
    /// the last such process ending). Python waits for ever there.
    #[track_caller]
    pub fn join(&self) -> Result<(), Abandoned> {
        self.join_until(None).map_err(|err| match err {
            QueueJoinTimeoutError::Abandoned(why) => why,
            QueueJoinTimeoutError::Timeout => unreachable!("no deadline"),
        })
    }

    /// [`join`](Self::join), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`QueueJoinTimeoutError::Timeout`] with items still unfinished after `timeout`, or
    /// [`QueueJoinTimeoutError::Abandoned`] as for [`join`](Self::join).
    #[track_caller]
    pub fn join_timeout(&self, timeout: Duration) -> Result<(), QueueJoinTimeoutError> {
        self.join_until(deadline(timeout))
    }

    fn join_until(
        &self,
        deadline: Option<std::time::Instant>,
    ) -> Result<(), QueueJoinTimeoutError> {
        let unfinished = || self.tasks.unfinished();
        self.tasks
            .join(deadline, || self.queue.is_empty())
            .map_err(|fail| match fail {
                JoinFail::Timeout => QueueJoinTimeoutError::Timeout,
                JoinFail::Abandoned(by) => {
                    QueueJoinTimeoutError::Abandoned(abandoned(unfinished(), by))
                }
            })
    }
}

impl<T> Serialize for JoinableQueue<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.queue, &self.tasks).serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for JoinableQueue<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (queue, name) = <(Queue<T>, String)>::deserialize(d)?;
        let tasks = Tasks::open(&name).map_err(|err| {
            decode_error(format!("cannot open the JoinableQueue's task count: {err}"))
        })?;
        Ok(JoinableQueue { queue, tasks })
    }
}

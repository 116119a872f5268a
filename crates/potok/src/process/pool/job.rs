//! A job: a chunk of one call's items, encoded, on its way to a worker, and the [`Sink`] its
//! results go to.

use std::sync::Arc;

use crate::process::error::TaskErrorKind;
use crate::process::keep::Kept;
use crate::process::task::TaskId;
use crate::process::wire::{self, MAX_FRAME};

/// The indices (in their call) of a job's items: a range in the common case, a list once an
/// item was left out (it did not encode) or the job was split.
#[derive(Debug, Clone)]
pub(crate) enum Indices {
    Range { start: usize, len: usize },
    List(Vec<usize>),
}

impl Indices {
    pub(crate) fn len(&self) -> usize {
        match self {
            Indices::Range { len, .. } => *len,
            Indices::List(list) => list.len(),
        }
    }

    pub(crate) fn get(&self, i: usize) -> usize {
        match self {
            Indices::Range { start, .. } => start + i,
            Indices::List(list) => list[i],
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Pushes the `n` indices `first..first + n`.
    #[inline]
    pub(crate) fn push_range(&mut self, first: usize, n: usize) {
        match self {
            Indices::Range { start, len } if *start + *len == first || *len == 0 => {
                if *len == 0 {
                    *start = first;
                }
                *len += n;
            }
            _ => (first..first + n).for_each(|index| self.push(index)),
        }
    }

    pub(crate) fn push(&mut self, index: usize) {
        match self {
            Indices::Range { start, len } if *len == 0 => {
                *start = index;
                *len = 1;
            }
            Indices::Range { start, len } if *start + *len == index => *len += 1,
            Indices::Range { start, len } => {
                let mut list: Vec<usize> = (*start..*start + *len).collect();
                list.push(index);
                *self = Indices::List(list);
            }
            Indices::List(list) => list.push(index),
        }
    }
}

/// The most item bytes one job carries, leaving room for its header within a frame.
pub(crate) const MAX_JOB_BYTES: usize = MAX_FRAME - 64;

/// Finds where each of `count` encoded items starts (see `task::item_offsets`).
pub(crate) type Offsets = fn(&[u8], usize) -> Option<Vec<usize>>;

/// Receives the outcomes of jobs; type-erased so the worker threads need not know `R`.
pub(crate) trait Sink: Send + Sync {
    /// The child's encoded outcomes for the items at `indices`, in order.
    fn deliver(&self, indices: &Indices, outcomes: &[u8]);
    /// The item at `index` has no result.
    fn fail(&self, index: usize, kind: TaskErrorKind);
}

/// A chunk of items for one worker: their encoded arguments and their indices.
pub(crate) struct Job {
    pub(crate) task: TaskId,
    /// The items' postcard bytes, one after another.
    pub(crate) bytes: Vec<u8>,
    pub(crate) indices: Indices,
    pub(crate) sink: Arc<dyn Sink>,
    offsets: Offsets,
    /// Times the job went back to the queue because a worker died before starting any item.
    pub(crate) attempts: u32,
    /// The shared memory handles in its items, kept until the job is answered (or dropped):
    /// the worker opens them by name (see `keep.rs`).
    pub(crate) kept: Option<Arc<Kept>>,
}

impl Job {
    pub(crate) fn new(task: TaskId, sink: Arc<dyn Sink>, offsets: Offsets) -> Job {
        Job {
            task,
            bytes: Vec::new(),
            indices: Indices::Range { start: 0, len: 0 },
            sink,
            offsets,
            attempts: 0,
            kept: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.indices.len()
    }

    pub(crate) fn fail_all(&self, kind: TaskErrorKind) {
        for index in self.indices.iter() {
            self.sink.fail(index, kind.clone());
        }
    }

    /// The items before and after item `k`, as new jobs; `None` for an empty side. If the
    /// items cannot be told apart, every item but `k` fails with `kind`.
    pub(crate) fn split_around(&self, k: usize, kind: &TaskErrorKind) -> [Option<Job>; 2] {
        let Some(offsets) = (self.offsets)(&self.bytes, self.len()) else {
            for (i, index) in self.indices.iter().enumerate() {
                if i != k {
                    self.sink.fail(index, kind.clone());
                }
            }
            return [None, None];
        };
        let end = |i: usize| offsets.get(i).copied().unwrap_or(self.bytes.len());
        let part = |range: std::ops::Range<usize>| {
            if range.is_empty() {
                return None;
            }
            let mut job = Job::new(self.task, Arc::clone(&self.sink), self.offsets);
            job.bytes = self.bytes[offsets[range.start]..end(range.end)].to_vec();
            for i in range {
                job.indices.push(self.indices.get(i));
            }
            Some(job)
        };
        [part(0..k), part(k + 1..self.len())]
    }

    /// The frame that asks a worker to run this job as number `seq`.
    pub(crate) fn frame(&self, seq: u64) -> Vec<u8> {
        let mut frame = Vec::new();
        self.frame_into(seq, &mut frame);
        frame
    }

    /// Appends [`frame`](Self::frame) to `out` (frames gathered for one write), without a
    /// frame of its own in between.
    pub(crate) fn frame_into(&self, seq: u64, out: &mut Vec<u8>) {
        let head = self.task.job_frame(seq, self.len(), 0);
        out.reserve(head.len() + self.bytes.len());
        let start = head.start_in(out);
        out.extend_from_slice(&self.bytes);
        wire::seal(&mut out[start..]).expect("submit keeps every job's bytes under MAX_JOB_BYTES");
    }
}

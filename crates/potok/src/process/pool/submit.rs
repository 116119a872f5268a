//! Queuing a call's items: encoding them into jobs of a chunk size and handing the jobs to the
//! pool's queue, with the call's [`Results`] (or a sink wrapped around them) as where the
//! outcomes go. Every form of call (`map`, `apply_async`, `map_async`, the lazy `imap`) ends
//! here.

use std::sync::Arc;

use super::job::{Job, Offsets, Sink, MAX_JOB_BYTES};
use super::results::{Results, Taken};
use super::state::Shared;
use super::worker::DirectRead;

use crate::process::data::{encode_into, encode_run, item_offsets, Data, RunStop};
use crate::process::error::TaskErrorKind;
use crate::process::keep;
use crate::process::task::TaskId;

/// Encodes `items` (numbered from `first`) into jobs of `chunksize` and queues them; their
/// outcomes go to the returned [`Results`] through the sink `wrap` makes of it (the results
/// themselves, or something that also watches them). The items come back if the pool no
/// longer takes work.
pub(super) fn submit<A: Data, R: Data>(
    shared: &Shared,
    task: TaskId,
    items: Vec<A>,
    first: usize,
    chunksize: usize,
    taken: Taken,
    wrap: impl FnOnce(&Arc<Results<R>>) -> Arc<dyn Sink>,
) -> Result<Arc<Results<R>>, Vec<A>> {
    if shared.closed_or_terminated() {
        return Err(items);
    }
    let len = items.len();
    let results = Results::<R>::new(len, taken);
    let sink: Arc<dyn Sink> = wrap(&results);
    let chunksize = chunksize.max(1);
    let offsets: Offsets = item_offsets::<A>;
    let mut job = Job::new(task, Arc::clone(&sink), offsets);
    let closed = |sink: &Arc<dyn Sink>| {
        // The pool closed while the call was being queued: its items fail as terminated
        // (those already queued keep their first outcome).
        for index in first..first + len {
            sink.fail(index, TaskErrorKind::Terminated);
        }
    };
    // The shared memory handles in the items are kept with the job that carries them, until
    // it is answered (see `keep.rs`); collected as they are encoded, taken once per job.
    let collecting = keep::Collecting::start();
    let mut items = items.into_iter();
    let mut index = first;
    // The bytes of the last full chunk: the next one gets as much room from the start.
    let mut room = 0;
    while items.len() > 0 {
        // The items encode into the job as one run, until the chunk is full or an item is
        // out of the ordinary (too large, or not encodable).
        let (done, stop) = encode_run(
            &mut items,
            chunksize - job.len(),
            MAX_JOB_BYTES,
            &mut job.bytes,
        );
        job.indices.push_range(index, done);
        index += done;
        match stop {
            None => {}
            Some(RunStop::Over(mark)) => {
                // Too much for one frame: the chunk ends before this item.
                let item_bytes = job.bytes.split_off(mark);
                if item_bytes.len() > MAX_JOB_BYTES {
                    sink.fail(index, too_large(item_bytes.len()));
                    index += 1;
                    continue;
                }
                if job.len() > 0 {
                    let mut full =
                        std::mem::replace(&mut job, Job::new(task, Arc::clone(&sink), offsets));
                    // The handles of this item were collected with the full job's: both
                    // jobs keep them all.
                    full.kept = collecting.take().with(full.kept.take());
                    job.kept = full.kept.clone();
                    if shared.submit(full).is_err() {
                        closed(&sink);
                        return Ok(results);
                    }
                }
                job.bytes = item_bytes;
                job.indices.push(index);
                index += 1;
            }
            Some(RunStop::Failed(err)) => {
                sink.fail(index, not_encoded::<A>(&err));
                index += 1;
            }
        }
        // Each chunk is queued as soon as it is encoded, so workers start on it while the
        // rest is being encoded.
        if job.len() == chunksize {
            room = room.max(job.bytes.len() + job.bytes.len() / 8);
            let mut next = Job::new(task, Arc::clone(&sink), offsets);
            // (At least a plain value's window: a chunk of one item allocates once.)
            next.bytes.reserve(room.max(64));
            let mut full = std::mem::replace(&mut job, next);
            full.kept = collecting.take().with(full.kept.take());
            if shared.submit(full).is_err() {
                closed(&sink);
                return Ok(results);
            }
        }
    }
    job.kept = collecting.take().with(job.kept.take());
    if job.len() > 0 && shared.submit(job).is_err() {
        closed(&sink);
    }
    Ok(results)
}

/// An argument too large for one message.
fn too_large(len: usize) -> TaskErrorKind {
    TaskErrorKind::Encode(format!(
        "the argument takes {len} bytes encoded, more than a message may carry \
         ({MAX_JOB_BYTES})"
    ))
}

fn not_encoded<A>(err: &impl std::fmt::Display) -> TaskErrorKind {
    TaskErrorKind::Encode(format!(
        "the argument could not be encoded as {}: {err}",
        std::any::type_name::<A>()
    ))
}

/// One call of one item (`apply_async`): like [`submit`], and if the job went straight to an
/// idle worker, the caller's right to read the answer itself.
pub(super) fn submit_one<A: Data, R: Data>(
    shared: &Arc<Shared>,
    task: TaskId,
    item: A,
) -> Result<(Arc<Results<R>>, Option<DirectRead>), A> {
    if shared.closed_or_terminated() {
        return Err(item);
    }
    let results = Results::<R>::new(1, Taken::ByIndex);
    let sink: Arc<dyn Sink> = Arc::clone(&results) as Arc<dyn Sink>;
    let mut job = Job::new(task, Arc::clone(&sink), item_offsets::<A>);
    let (encoded, kept) = keep::keeping(|| encode_into(&item, &mut job.bytes));
    job.kept = kept.with(None);
    let failed = match encoded {
        Ok(()) if job.bytes.len() <= MAX_JOB_BYTES => None,
        Ok(()) => Some(too_large(job.bytes.len())),
        Err(err) => Some(not_encoded::<A>(&err)),
    };
    if let Some(kind) = failed {
        sink.fail(0, kind);
        return Ok((results, None));
    }
    job.indices.push(0);
    match shared.submit_direct(job) {
        Ok(ticket) => Ok((
            results,
            ticket.map(|ticket| DirectRead::new(Arc::clone(shared), ticket)),
        )),
        Err(_) => {
            // Closed while the call was being queued, as in `submit`.
            sink.fail(0, TaskErrorKind::Terminated);
            Ok((results, None))
        }
    }
}

//! [`Pool::map_async`](super::Pool::map_async) and
//! [`Pool::starmap_async`](super::Pool::starmap_async), with or without callbacks: a whole map
//! started without waiting, its result an [`AsyncResult`] of the list, as Python's.
//!
//! The items' outcomes land in the call's [`Results`] as for `map`; an [`OnComplete`] sink
//! notices the last one, and the pool thread that stored it assembles the list (or takes the
//! failure of lowest index), runs the callback, and then stores the list as the one outcome
//! of the [`AsyncResult`]'s own results. So the callback has run before `get` returns, as in
//! Python, and no thread waits for the map.

use std::sync::Arc;

use super::on_complete::OnComplete;
use super::results::{AsyncResult, Results, Taken};
use super::state::Shared;
use super::submit::submit;

use crate::process::data::Data;
use crate::process::error::{Closed, TaskError};
use crate::process::task::TaskId;
use crate::thread_pool::callbacks::Callbacks as Both;

/// What a `map_async` result is: every value in order, or the failure of lowest index.
pub(super) type MapOutcome<R> = Result<Vec<R>, TaskError>;

/// Queues a whole map whose list is one [`AsyncResult`] (see the module's notes), with
/// `map`'s chunk size for `items.len()`.
pub(super) fn run_async<A: Data, R: Data>(
    shared: &Shared,
    chunksize: usize,
    task: TaskId,
    items: Vec<A>,
    callbacks: Option<Callbacks<R>>,
) -> Result<AsyncResult<Vec<R>>, Closed<Vec<A>>> {
    let whole = Results::<Vec<R>>::new(1, Taken::ByIndex);
    let finish = {
        let whole = Arc::clone(&whole);
        move |outcome: MapOutcome<R>| {
            if let Some(callbacks) = callbacks {
                callbacks(&outcome);
            }
            whole.put(0, outcome);
        }
    };
    if items.is_empty() {
        // No worker will answer: the empty list is ready now (Python's too).
        if shared.closed_or_terminated() {
            return Err(Closed::new(items));
        }
        finish(Ok(Vec::new()));
        return Ok(AsyncResult::new(whole));
    }
    let wrap = |results: &Arc<Results<R>>| {
        OnComplete::sink(results, Box::new(move |results| finish(results.collect())))
    };
    match submit(
        shared,
        task,
        items,
        0,
        chunksize,
        Taken::whole(chunksize).list_now(),
        wrap,
    ) {
        Ok(_) => Ok(AsyncResult::new(whole)),
        Err(items) => Err(Closed::new(items)),
    }
}

/// `map_async_with`'s callback and error callback as one (made by
/// `thread_pool::callbacks::callbacks`, shared with `ThreadPool`).
pub(super) type Callbacks<R> = Both<R, TaskError>;

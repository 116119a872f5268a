//! A `map_async`'s `callback` and `error_callback` (Python's), as one call with the outcome:
//! shared by [`ThreadPool`](crate::ThreadPool) and [`process::Pool`](crate::process::Pool).

use std::panic::{self, AssertUnwindSafe};

use crate::futures::{FutureError, TaskPanic};

/// A `map_async`'s callback and error callback as one, called with the outcome (`E` is the
/// pool's error: [`FutureError`] here, `process::TaskError` for `process::Pool`).
pub(crate) type Callbacks<R, E = FutureError> = Box<dyn FnOnce(&Result<Vec<R>, E>) + Send>;

/// Makes [`Callbacks`]: `callback` gets the values, `error_callback` the error; one that
/// panics is reported on stderr, and the caller goes on to deliver the result.
pub(crate) fn callbacks<R: 'static, E: 'static>(
    callback: impl FnOnce(&[R]) + Send + 'static,
    error_callback: impl FnOnce(&E) + Send + 'static,
) -> Callbacks<R, E> {
    Box::new(move |outcome: &Result<Vec<R>, E>| {
        let (which, run) = match outcome {
            Ok(values) => (
                "callback",
                panic::catch_unwind(AssertUnwindSafe(|| callback(values))),
            ),
            Err(err) => (
                "error_callback",
                panic::catch_unwind(AssertUnwindSafe(|| error_callback(err))),
            ),
        };
        if let Err(payload) = run {
            let why = TaskPanic::from_payload(&*payload, None);
            eprintln!(
                "potok: a map_async {which} panicked (the result is still delivered): {}",
                why.message()
            );
        }
    })
}

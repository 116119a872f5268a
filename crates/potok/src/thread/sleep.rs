//! `time.sleep`.

use std::time::{Duration, Instant};

/// Sleeps the calling thread: Python's `time.sleep`. The same as `std::thread::sleep`, but
/// [`deadlock::snapshot`](crate::deadlock::snapshot) shows the thread as sleeping.
///
/// # Examples
///
/// ```
/// let start = std::time::Instant::now();
/// potok::sleep(std::time::Duration::from_millis(5));
/// assert!(start.elapsed() >= std::time::Duration::from_millis(5));
/// ```
pub fn sleep(duration: Duration) {
    let _span = crate::trace::sleep(duration);
    let me = super::current_known();
    if let Some(me) = &me {
        me.inner
            .activity
            .sleeps(Instant::now().checked_add(duration));
    }
    std::thread::sleep(duration);
    if let Some(me) = &me {
        me.inner.activity.resumes();
    }
}

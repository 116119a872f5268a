//! `time.sleep`.

use std::time::Duration;

/// Sleeps the calling thread: Python's `time.sleep`. The same as `std::thread::sleep`.
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
    std::thread::sleep(duration);
}

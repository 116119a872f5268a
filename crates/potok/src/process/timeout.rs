//! How a timeout becomes a deadline or a count of milliseconds, the same way everywhere in
//! `process`: a timeout too long to represent waits forever (never a panic on overflow), and a
//! timeout shorter than the unit is rounded up (a 0.4 ms wait waits, it does not just poll).

use std::time::{Duration, Instant};

/// The instant `timeout` from now; `None` (no deadline) if that is past what an `Instant` can
/// hold.
pub(crate) fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// `timeout` in whole milliseconds, rounded up; `None` if it does not fit below `limit`
/// (callers treat that as "wait forever").
pub(crate) fn millis_up(timeout: Duration, limit: u64) -> Option<u64> {
    let ms = timeout.as_nanos().div_ceil(1_000_000);
    u64::try_from(ms).ok().filter(|&ms| ms < limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_timeout_is_no_deadline_and_no_panic() {
        assert_eq!(deadline(Duration::MAX), None);
        assert_eq!(millis_up(Duration::MAX, u64::MAX), None);
        assert!(deadline(Duration::from_secs(1)).is_some());
    }

    #[test]
    fn sub_millisecond_timeouts_round_up() {
        assert_eq!(millis_up(Duration::from_micros(400), 100), Some(1));
        assert_eq!(millis_up(Duration::from_micros(1000), 100), Some(1));
        assert_eq!(millis_up(Duration::from_micros(1001), 100), Some(2));
        assert_eq!(millis_up(Duration::ZERO, 100), Some(0));
        assert_eq!(millis_up(Duration::from_millis(100), 100), None);
    }
}

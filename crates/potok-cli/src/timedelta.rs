//! Durations printed the way Python prints a `timedelta`: `0:00:34.003411`.

use std::time::Duration;

/// Python's `str(timedelta)`: `H:MM:SS` plus `.ffffff` when there are microseconds, and
/// `N day(s), ` in front past a day.
pub(crate) fn format(d: Duration) -> String {
    let micros = d.as_micros();
    let (secs, frac) = (micros / 1_000_000, micros % 1_000_000);
    let (days, secs) = (secs / 86_400, secs % 86_400);
    let mut out = String::new();
    if days > 0 {
        let plural = if days == 1 { "" } else { "s" };
        out.push_str(&format!("{days} day{plural}, "));
    }
    out.push_str(&format!(
        "{}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ));
    if frac > 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format;
    use std::time::Duration;

    #[test]
    fn matches_python_str_of_timedelta() {
        // str(timedelta(seconds=34.003411)) == '0:00:34.003411'
        assert_eq!(format(Duration::from_micros(34_003_411)), "0:00:34.003411");
        // str(timedelta(seconds=20)) == '0:00:20' (no fraction when it is zero)
        assert_eq!(format(Duration::from_secs(20)), "0:00:20");
        // str(timedelta(hours=1, minutes=2, seconds=3, microseconds=40)) == '1:02:03.000040'
        assert_eq!(
            format(Duration::from_micros(3_723_000_040)),
            "1:02:03.000040"
        );
        // str(timedelta(days=1, seconds=5)) == '1 day, 0:00:05'
        assert_eq!(format(Duration::from_secs(86_405)), "1 day, 0:00:05");
        assert_eq!(format(Duration::from_secs(2 * 86_400)), "2 days, 0:00:00");
        // sub-microsecond parts are dropped, as timedelta cannot hold them
        assert_eq!(format(Duration::from_nanos(999)), "0:00:00");
    }
}

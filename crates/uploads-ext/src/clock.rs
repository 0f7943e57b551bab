//! Times for people in messages: Unix seconds or nanoseconds as a UTC date and time.

/// `2026-11-30 22:34:01 UTC` for Unix seconds.
pub(crate) fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The same for a modification time in nanoseconds (`None`: unknown), to the millisecond.
pub(crate) fn utc_ns(ns: Option<i128>) -> String {
    match ns {
        None => "unknown".into(),
        Some(ns) => {
            let secs = ns.div_euclid(1_000_000_000);
            let ms = ns.rem_euclid(1_000_000_000) / 1_000_000;
            let text = utc(i64::try_from(secs).unwrap_or(i64::MAX / 2));
            format!("{}.{ms:03} UTC", text.trim_end_matches(" UTC"))
        }
    }
}

/// What changed of a file between two looks: its size and modification time, only those that
/// differ, as dates.
pub(crate) fn change(size: (u64, u64), mtime_ns: (Option<i128>, Option<i128>)) -> String {
    let mut parts = Vec::new();
    if size.0 != size.1 {
        parts.push(format!("size {} -> {} bytes", size.0, size.1));
    }
    if mtime_ns.0 != mtime_ns.1 {
        parts.push(format!(
            "modified {} -> {}",
            utc_ns(mtime_ns.0),
            utc_ns(mtime_ns.1)
        ));
    }
    parts.join(", ")
}

/// The calendar date of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_063_808), "2026-11-30 18:36:48 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(
            utc_ns(Some(1_796_063_808_093_763_637)),
            "2026-11-30 18:36:48.093 UTC"
        );
        assert_eq!(
            change((10, 10), (Some(0), Some(1_500_000_000))),
            "modified 1970-01-01 00:00:00.000 UTC -> 1970-01-01 00:00:01.500 UTC"
        );
        assert_eq!(change((10, 11), (None, None)), "size 10 -> 11 bytes");
    }

    /// Day after day from 1600 to 2501, the calendar steps as the Gregorian rules say: the
    /// next day, or the first of the next month after a month's last day.
    #[test]
    fn every_day_follows_the_one_before() {
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_len = |y: i64, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let start = -135_140; // 1600-01-01
        let mut prev = civil(start);
        assert_eq!(prev, (1600, 1, 1));
        for days in start + 1..=194_000 {
            let (y, m, d) = prev;
            let expected = if d < month_len(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            let got = civil(days);
            assert_eq!(got, expected, "day {days}");
            prev = got;
        }
        assert_eq!(prev.0, 2501);
    }

    #[test]
    fn a_time_past_any_calendar_is_still_a_date_not_the_epoch() {
        let far = utc_ns(Some(i128::MAX));
        assert!(!far.starts_with("1970"), "{far}");
        assert!(far.ends_with(" UTC"), "{far}");
    }
}

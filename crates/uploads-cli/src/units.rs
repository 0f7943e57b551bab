//! Sizes (`8MiB`, `64MB`, `1048576`) and durations (`2h`, `30d`, `3600s`) as people write
//! them: parsed for options, and written back the same way for defaults and messages.

use std::time::Duration;

/// A byte count: a number with an optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB;
/// case-insensitive).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| {
        format!("{text:?} is not a size: use a number with an optional unit, like 8MiB or 64MB")
    })?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?}: use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
            ));
        }
    };
    let out_of_range = || format!("{text:?} is out of range");
    if !num.contains('.') {
        // A whole number is taken exactly: past 2^53 an f64 would round it to a neighbour.
        return num
            .parse::<u128>()
            .ok()
            .and_then(|n| n.checked_mul(u128::from(mult)))
            .and_then(|bytes| u64::try_from(bytes).ok())
            .ok_or_else(out_of_range);
    }
    // Never negative: the number has only digits and dots. u64::MAX as f64 is 2^64, itself
    // out of range.
    let bytes = value * mult as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(out_of_range());
    }
    if bytes.fract() != 0.0 {
        return Err(format!(
            "{text:?} is {bytes} bytes: a size is a whole number of bytes (write it in a smaller unit)"
        ));
    }
    Ok(bytes as u64)
}

/// A duration: a whole number with a unit (s, m, h, d), or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: u64 = num.parse().map_err(|_| {
        format!("{text:?} is not a duration: use a number with a unit, like 90s, 30m, 2h or 30d")
    })?;
    let secs = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" => 1,
        "ms" => return Ok(Duration::from_millis(value)),
        "m" | "min" | "mins" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {text:?}: use ms, s, m, h or d"
            ));
        }
    };
    value
        .checked_mul(secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is out of range"))
}

/// A rate for people, in decimal units as network rates are given (`--bwlimit 100KB`,
/// `--assume-rate 50MB`): `50.0 MB/s`.
pub fn human_rate(bytes_per_sec: f64) -> String {
    let (value, unit) = match bytes_per_sec {
        r if r >= 1e9 => (r / 1e9, "GB"),
        r if r >= 1e6 => (r / 1e6, "MB"),
        r if r >= 1e3 => (r / 1e3, "KB"),
        r => (r, "B"),
    };
    format!("{value:.1} {unit}/s")
}

/// A duration for people: `2h 23m 10s`, `4m 05s`, `12s`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, s) => format!("{h}h {m:02}m {s:02}s"),
    }
}

const BINARY_UNITS: [(&str, u64); 4] = [
    ("TiB", 1 << 40),
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
];

/// A size as an option takes it: the largest binary unit that divides it (`64MiB`, `8GiB`),
/// else plain bytes. `parse_size` reads it back to the same number.
pub fn format_size(n: u64) -> String {
    BINARY_UNITS
        .iter()
        .find(|(_, unit)| n != 0 && n.is_multiple_of(*unit))
        .map_or_else(
            || n.to_string(),
            |(name, unit)| format!("{}{name}", n / unit),
        )
}

/// A duration as an option takes it: the largest unit that divides it (`1h`, `30d`, `1s`),
/// else milliseconds. `parse_duration` reads it back to the same duration.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ]
    .iter()
    .find(|(_, unit)| ms.is_multiple_of(*unit))
    .map_or_else(
        || format!("{ms}ms"),
        |(name, unit)| format!("{}{name}", ms / unit),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_whole_bytes_and_times_and_rates_read_as_people_write_them() {
        assert!(
            parse_size("6.4KiB")
                .unwrap_err()
                .contains("whole number of bytes")
        );
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(clock(Duration::from_secs(8590)), "2h 23m 10s");
        assert_eq!(clock(Duration::from_secs(245)), "4m 05s");
        assert_eq!(clock(Duration::from_millis(12_400)), "12s");
        assert_eq!(human_rate(50e6), "50.0 MB/s");
        assert_eq!(human_rate(100e3), "100.0 KB/s");
        assert_eq!(human_rate(2.5e9), "2.5 GB/s");
        assert_eq!(human_rate(512.0), "512.0 B/s");
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("64MB"), Ok(64_000_000));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("1.5 GiB"), Ok(3 << 29));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5XB").is_err());
        assert!(parse_size("-5").unwrap_err().contains("is not a size"));
        for too_big in [
            "99999999999GiB",
            "18446744073709551616",
            "16777216TiB",
            "18446744073709551616.0",
            "99999999999999999999999999999999999999999",
        ] {
            assert!(
                parse_size(too_big).unwrap_err().contains("out of range"),
                "{too_big}"
            );
        }
        // Whole numbers are exact past 2^53, where an f64 rounds.
        assert_eq!(parse_size("9007199254740993"), Ok(9_007_199_254_740_993));
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_size("2TiB"), Ok(2 << 40));
        assert_eq!(parse_size("3tb"), Ok(3_000_000_000_000));
        assert_eq!(parse_size("1.5MB"), Ok(1_500_000));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(2_592_000)));
        assert_eq!(parse_duration("3600"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(format_size(64 << 20), "64MiB");
        assert_eq!(format_size(8 << 30), "8GiB");
        assert_eq!(format_size(1000), "1000");
        assert_eq!(format_size(3 << 10), "3KiB");
        assert_eq!(format_size(5 << 40), "5TiB");
        assert_eq!(format_size(0), "0");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }

    proptest::proptest! {
        #[test]
        fn formatted_values_parse_back(
            n in 0u64..(1 << 50),
            count in 0u64..(1 << 20),
            shift in proptest::sample::select(vec![0u32, 10, 20, 30, 40]),
            ms in 0u64..(1 << 40),
        ) {
            proptest::prop_assert_eq!(parse_size(&format_size(n)), Ok(n));
            // Every unit format_size writes, parse_size reads.
            let whole = count << shift;
            proptest::prop_assert_eq!(parse_size(&format_size(whole)), Ok(whole));
            let d = Duration::from_millis(ms);
            proptest::prop_assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }
}

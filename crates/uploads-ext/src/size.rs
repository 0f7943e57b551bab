//! How the engine's messages write sizes (`1.5 GiB`); the CLI writes them the same way.

/// `1.5 GiB`-style text for people: binary units, one decimal, up to TiB.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn binary_units_up_to_tib() {
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1023), "1023 B");
        // TiB is the largest unit, however large the number.
        assert_eq!(human_bytes(u64::MAX), "16777216.0 TiB");
    }
}

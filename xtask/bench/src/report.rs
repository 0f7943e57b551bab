//! The printed report: the table the README quotes, the ratios, and the machine's own figures.

use crate::machine::{BwlimitRow, Md5Row};
use crate::upload::{Row, Variant};

pub(crate) fn print_table(rows: &[Row]) {
    println!(
        "| profile | size | variant | wall (s, median) | MB/s | client CPU s/GiB | client peak RSS MiB |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: |");
    for r in rows {
        let name = match r.variant {
            Variant::Put => "(a) put, defaults",
            Variant::Baseline => "(b) bare reqwest",
            Variant::Sequential => "(c) put --concurrency 1",
            Variant::PutNoMd5 => "(a') put --no-md5",
            Variant::PutPart64 => "(a64) put --part-size 64MiB",
        };
        println!(
            "| {} | {} | {name} | {:.2} | {:.0} | {:.2} | {:.1} |",
            r.profile, r.size, r.median_wall_s, r.mb_per_s, r.cpu_s_per_gib, r.peak_rss_mib
        );
    }
    println!();
    for r in rows.iter().filter(|r| r.variant == Variant::Put) {
        let find = |v: Variant| {
            rows.iter()
                .find(|o| o.profile == r.profile && o.size == r.size && o.variant == v)
        };
        let ab = find(Variant::Baseline).map(|b| format!("{:.2}", r.mb_per_s / b.mb_per_s));
        let ac = find(Variant::Sequential).map(|c| format!("{:.2}", r.mb_per_s / c.mb_per_s));
        let a2b = find(Variant::PutNoMd5)
            .zip(find(Variant::Baseline))
            .map(|(a2, b)| format!("{:.2}", a2.mb_per_s / b.mb_per_s));
        let a_a64 = find(Variant::PutPart64).map(|f| format!("{:.2}", r.mb_per_s / f.mb_per_s));
        println!(
            "{} {}: a/b = {}, a/c = {}, a'/b = {}, a/a64 = {}",
            r.profile,
            r.size,
            ab.as_deref().unwrap_or("-"),
            ac.as_deref().unwrap_or("-"),
            a2b.as_deref().unwrap_or("-"),
            a_a64.as_deref().unwrap_or("-")
        );
    }
    for r in rows.iter().filter(|r| r.variant == Variant::Put) {
        if let Some(no_md5) = rows
            .iter()
            .find(|o| o.profile == r.profile && o.size == r.size && o.variant == Variant::PutNoMd5)
        {
            println!(
                "{} {}: md5 costs the client {:.2} CPU s/GiB ((a) - (a'))",
                r.profile,
                r.size,
                r.cpu_s_per_gib - no_md5.cpu_s_per_gib
            );
        }
    }
}

/// The plain copy, md5-alone and bandwidth-cap lines after the table.
pub(crate) fn print_measures(copies: &[(String, f64)], md5: &[Md5Row], bwlimit: &[BwlimitRow]) {
    for (size, mbps) in copies {
        println!("plain local file copy of {size} (std::fs::copy, synced): {mbps:.0} MB/s");
    }
    for m in md5 {
        match m.md5sum_s {
            Some(sum) => println!(
                "md5 alone, {}: engine {:.2} s, md5sum {:.2} s, engine/md5sum = {:.2}",
                m.size,
                m.engine_s,
                sum,
                m.engine_s / sum
            ),
            None => println!(
                "md5 alone, {}: engine {:.2} s (no md5sum here)",
                m.size, m.engine_s
            ),
        }
    }
    for b in bwlimit {
        println!(
            "put --bwlimit {}: {:.1} MB/s achieved ({:.1}% of the cap), the CLI reported {}",
            b.limit,
            b.achieved_mb_per_s,
            100.0 * b.achieved_mb_per_s / b.limit_mb_per_s,
            b.reported_mb_per_s
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.1} MB/s"))
        );
    }
}

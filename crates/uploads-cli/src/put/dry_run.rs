//! `--dry-run`: everything up to the first request (selection, validation, the part plan,
//! the type warnings, the content check), then the plan: what would be uploaded, in how many
//! parts, and how long it would take at `--assume-rate` (or `--bwlimit`, if lower) next to the
//! hour each upload lives. The uploads are prepared against [`Offline`]: no client is built,
//! no key is needed, and nothing can be sent.

use uploads_ext::{Offline, PartBudget, PreparedUpload, Uploader, human_bytes};

use super::args::PutArgs;
use super::job::Job;
use super::prepare::prepare_all;
use crate::output::{exit, fail, out, shown};

pub(super) async fn run(args: &PutArgs, jobs: Vec<Job>) -> u8 {
    let uploader = Uploader::new(Offline)
        .part_budget(PartBudget::new(args.concurrency))
        .bandwidth_limit(args.bwlimit);
    let count = jobs.len();
    let mut code = exit::OK;
    let (ready, _refused) = prepare_all(&uploader, args, jobs, &mut code, true).await;
    let mut total = 0u64;
    // An upload the hour may not fit (a failed content check is another failure).
    let mut over_the_hour = false;
    let header = format!(
        "{:>12} {:>10} {:>6} {:>9} {:>10}  {:<10} FILE",
        "BYTES", "PART", "PARTS", "IN FLIGHT", "TIME", "EXPIRY"
    );
    if let Err(lost) = out(header) {
        return lost.code;
    }
    for (job, plan) in &ready {
        let estimate = plan.estimate(args.assume_rate);
        let expiry = if estimate.fits {
            "fits 1h"
        } else {
            code = code.max(exit::FAILED);
            over_the_hour = true;
            "OVER 1h"
        };
        total += plan.size();
        let row = format!(
            "{:>12} {:>10} {:>6} {:>9} {:>10}  {:<10} {}",
            plan.size(),
            human_bytes(plan.part_size()),
            plan.part_count(),
            plan.parts_in_flight(),
            crate::units::clock(estimate.duration),
            expiry,
            shown(&file_column(&job.label, plan.filename()))
        );
        if let Err(lost) = out(row) {
            return lost.code;
        }
        code = code.max(check_contents(job, plan).await);
    }
    let rate = ready
        .first()
        .map_or(args.assume_rate, |(_, p)| p.estimate(args.assume_rate).rate);
    let secs = std::time::Duration::from_secs_f64(total as f64 / rate.max(1) as f64);
    let capped = if rate < args.assume_rate {
        " (the --bwlimit cap)"
    } else {
        ""
    };
    eprintln!(
        "dry run: {} of {count} upload(s) planned, {} ({total} bytes), about {} at {}{capped}; nothing was sent",
        ready.len(),
        human_bytes(total),
        crate::units::clock(secs),
        crate::units::human_rate(rate as f64),
    );
    if let Some(then) = crate::then::plan(&args.then) {
        eprintln!("then: {then}");
    }
    if over_the_hour {
        eprintln!(
            "an upload that needs more than about 54 minutes at this rate may expire (an Upload lives 1 hour): raise -j, or split the file"
        );
    }
    code
}

/// The input, and the name its File gets when that is not the input's own name (`--filename`,
/// an object behind a URL with a query); a piece of `--split` shows its name already.
/// The label is shown escaped already; so is the name.
fn file_column(label: &str, filename: &str) -> String {
    let name = crate::output::name_shown(filename);
    let own = std::path::Path::new(label).file_name();
    if own.is_some_and(|n| n == name.as_str()) || label.contains(&format!("({name}:")) {
        label.to_owned()
    } else {
        format!("{label} (as {name})")
    }
}

/// The content check of one file (or piece), as the upload would run it.
async fn check_contents(job: &Job, plan: &PreparedUpload<Offline>) -> u8 {
    if !job.source.is_replayable() {
        // Reading an object here would fetch it twice: its check rides on the upload's read.
        eprintln!(
            "{}: contents not checked by a dry run (an object is read once, by its upload)",
            shown(&job.label)
        );
        return exit::OK;
    }
    match plan.check_contents().await {
        Ok(None) => exit::OK,
        Ok(Some(r)) => {
            eprintln!("{}", shown(&crate::check::heading(&job.path, &r)));
            eprintln!("{}", shown(&r.to_string()));
            if r.is_ok() { exit::OK } else { exit::FAILED }
        }
        Err(e) => fail(exit::FAILED, format!("{}: {e}", job.label)),
    }
}

#[cfg(test)]
mod tests {
    use super::file_column;

    #[test]
    fn the_file_column_adds_the_files_name_when_it_is_not_the_inputs_own() {
        assert_eq!(file_column("docs/a.txt", "a.txt"), "docs/a.txt");
        assert_eq!(file_column("docs/a.txt", "x.txt"), "docs/a.txt (as x.txt)");
        assert_eq!(
            file_column("docs/xa.txt", "a.txt"),
            "docs/xa.txt (as a.txt)"
        );
        let piece = "big.jsonl piece 1/2 (big.01.jsonl: 3 requests, bytes 0..90)";
        assert_eq!(file_column(piece, "big.01.jsonl"), piece);
        assert_eq!(
            file_column("https://example.com/get?id=7", "get"),
            "https://example.com/get?id=7 (as get)"
        );
        assert_eq!(
            file_column("d/two\\nlines.txt", "two\nlines.txt"),
            "d/two\\nlines.txt"
        );
        assert_eq!(file_column("d/a.txt", "x\ny"), "d/a.txt (as x\\ny)");
    }
}

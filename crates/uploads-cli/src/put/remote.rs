//! Objects as `put` inputs: each URL opened (one HEAD, or the first byte of an HTTP(S) URL)
//! or listed (a prefix), its objects filtered as a folder's files are, each one a job read by
//! ranges: fetched once, in parallel blocks, never written to local disk.

use std::path::{Path, PathBuf};

use uploads_client::rules::MAX_BATCH_FILE_BYTES;
use uploads_ext::{Prefetch, Source};
use uploads_remote::{Fetched, StoreOptions};

use super::args::PutArgs;
use super::job::Job;
use super::select::Filters;

/// What the URLs gave: jobs, objects passed over (with why), and URLs that failed.
#[derive(Default)]
pub struct Opened {
    pub jobs: Vec<Job>,
    pub skipped: Vec<(PathBuf, String)>,
    pub errors: Vec<String>,
}

/// Opens or lists each URL; the filters see a listed object's path under its prefix, or a
/// named object's name.
pub async fn open_all(
    urls: &[String],
    args: &PutArgs,
    filters: &Filters,
    fetched: &Fetched,
) -> Opened {
    let options: StoreOptions = args.store_option.iter().cloned().collect();
    let mut out = Opened::default();
    let batch_limits = !args.no_check && args.purpose == uploads_ext::Purpose::Batch;
    for url in urls {
        if args.split {
            out.errors.push(format!(
                "{}: --split cuts local files; download the object first to split it",
                uploads_remote::shown(url)
            ));
            continue;
        }
        let found = match uploads_remote::find(url, &options, fetched).await {
            Ok(found) => found,
            Err(e) => {
                out.errors.push(e.to_string());
                continue;
            }
        };
        let listed = uploads_remote::is_prefix(url);
        if listed && found.is_empty() {
            out.skipped.push((
                PathBuf::from(uploads_remote::shown(url)),
                "no object under this prefix".into(),
            ));
        }
        for object in found {
            if !filters.admits(Path::new(&object.relative)) {
                continue;
            }
            let size = object.reader.len();
            if size == 0 {
                out.skipped.push((
                    PathBuf::from(&object.url),
                    "empty (the API takes no empty file)".into(),
                ));
                continue;
            }
            if batch_limits && size > MAX_BATCH_FILE_BYTES {
                out.errors.push(format!(
                    "{}: {size} bytes, more than the {MAX_BATCH_FILE_BYTES} bytes (200 MiB) a batch file may hold; --split cuts local files only",
                    object.url
                ));
                continue;
            }
            let name = object
                .relative
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .unwrap_or("object")
                .to_owned();
            out.jobs.push(Job {
                label: crate::output::name_shown(&object.url),
                source: Source::ranged(object.reader, Prefetch::default()),
                filename: Some(args.filename.clone().unwrap_or(name)),
                path: PathBuf::from(&object.url),
                order: 0,
            });
        }
    }
    out
}

//! Open file descriptors: the soft limit raised to the hard one, and `-j` lowered to fit what
//! is left, so a high `-j` under a low `ulimit -n` strands nothing (each part in flight holds
//! a connection and a read of its file, each upload its journal's lock).

/// Descriptors one unit of `-j` may hold at once: a connection, a file read, a journal lock.
const PER_SLOT: u64 = 3;
/// Kept for everything else: stdio, the runtime, the manifest, DNS, TLS roots, logs.
const RESERVE: u64 = 48;

/// The `-j` that fits the open-file limit, and a warning if `wanted` was lowered.
pub(super) fn fit(wanted: usize) -> (usize, Option<String>) {
    match limit() {
        Some(limit) => fit_within(wanted, limit),
        None => (wanted, None),
    }
}

fn fit_within(wanted: usize, limit: u64) -> (usize, Option<String>) {
    let most = (limit.saturating_sub(RESERVE) / PER_SLOT).max(1) as usize;
    if wanted <= most {
        return (wanted, None);
    }
    (
        most,
        Some(format!(
            "-j {wanted} lowered to {most}: the open-file limit (ulimit -n) is {limit}, and each part in flight holds up to {PER_SLOT} descriptors; raise the limit for more"
        )),
    )
}

/// The soft limit on open files, first raised as far as the hard limit allows.
#[cfg(unix)]
fn limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let now = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: now.maximum,
        maximum: now.maximum,
    };
    if now.current != now.maximum && setrlimit(Resource::Nofile, raised).is_ok() {
        return now.maximum.or(Some(u64::MAX));
    }
    now.current
}

#[cfg(not(unix))]
fn limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn j_is_lowered_only_past_the_limit() {
        assert_eq!(fit_within(8, 1024), (8, None));
        let (j, warning) = fit_within(500, 256);
        assert_eq!(j, 69);
        assert!(warning.unwrap().contains("-j 500 lowered to 69"));
        assert_eq!(fit_within(500, 10).0, 1, "never below one");
    }
}

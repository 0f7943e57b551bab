//! `--shard K/N`: a deterministic share of the selection, by a hash of each path, so N
//! machines running one command split the files between them with no coordination.

use sha2::{Digest, Sha256};

/// Share `index` of `count` (`index` from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// True if `path` (its bytes as given: the same on every machine) falls in this share.
    pub fn takes(&self, path: &[u8]) -> bool {
        let digest = Sha256::digest(path);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index)
    }
}

/// `K/N`, with K from 0 to N-1.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: a shard is K/N, e.g. 0/4 (K from 0 to N-1)"))?;
    let count: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: N must be a whole number"))?;
    let index: u32 = k
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: K must be a whole number"))?;
    of(index, count).map_err(|why| format!("{text:?}: {why}"))
}

/// Share `index` of `count`, checked.
pub fn of(index: u32, count: u32) -> Result<Shard, String> {
    if count == 0 {
        return Err("N must be at least 1".into());
    }
    if index >= count {
        return Err(format!(
            "K counts from 0, so it is 0 to {} for {count} shards",
            count - 1
        ));
    }
    Ok(Shard { index, count })
}

/// The shard `--shard`, or `--shards N` with the index from JOB_COMPLETION_INDEX.
pub fn from_args(shard: Option<Shard>, shards: Option<u32>) -> Result<Option<Shard>, String> {
    let Some(count) = shards else {
        return Ok(shard);
    };
    let index = std::env::var("JOB_COMPLETION_INDEX").map_err(|_| {
        "--shards N takes its index from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), which is not set: use --shard K/N".to_owned()
    })?;
    let index: u32 = index
        .trim()
        .parse()
        .map_err(|_| format!("JOB_COMPLETION_INDEX={index:?} is not a whole number"))?;
    of(index, count)
        .map(Some)
        .map_err(|why| format!("--shards {count} with JOB_COMPLETION_INDEX={index}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_shards_are_disjoint_and_cover_every_path(
            paths in proptest::collection::hash_set("[a-z/._-]{1,30}", 1..200),
            count in 1u32..12,
        ) {
            for path in &paths {
                let takers = (0..count)
                    .filter(|&k| of(k, count).unwrap().takes(path.as_bytes()))
                    .count();
                prop_assert_eq!(takers, 1, "{} is taken by one shard", path);
            }
        }
    }

    #[test]
    fn the_share_is_even_and_stable() {
        let count = 4;
        let mut sizes = [0usize; 4];
        for i in 0..4000 {
            let path = format!("corpus/doc-{i}.txt");
            let k = (0..count)
                .find(|&k| of(k, count).unwrap().takes(path.as_bytes()))
                .unwrap();
            sizes[k as usize] += 1;
        }
        for s in sizes {
            assert!((850..1150).contains(&s), "{sizes:?}");
        }
        // Fixed forever: machines running different builds must agree.
        let fixed: Vec<u32> = ["a.jsonl", "b.jsonl", "s3://bucket/x.jsonl"]
            .iter()
            .map(|p| {
                (0..7)
                    .find(|&k| of(k, 7).unwrap().takes(p.as_bytes()))
                    .unwrap()
            })
            .collect();
        insta::assert_debug_snapshot!(fixed);
    }

    #[test]
    fn bad_shards_say_how_to_write_one() {
        assert_eq!(parse_shard("2/4"), Ok(Shard { index: 2, count: 4 }));
        for (text, says) in [
            ("4/4", "K counts from 0, so it is 0 to 3"),
            ("1/0", "N must be at least 1"),
            ("x/4", "K must be a whole number"),
            ("3", "a shard is K/N"),
        ] {
            let e = parse_shard(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}

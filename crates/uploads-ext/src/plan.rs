//! Splitting a file into parts: the part size chosen for the file and the link, and the plan
//! itself, each byte in exactly one part, no part over the limit.

/// One part of the plan: its position in the file order, and its byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PartSpec {
    pub(crate) index: usize,
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

const MIB: u64 = 1024 * 1024;

/// The smallest part size a caller may ask for (1 MiB): below it a file of any size becomes
/// thousands of requests, each with its round trip, part record and journal write, for no
/// gain. Tests lower it with [`UploadBuilder::min_part_size`](crate::UploadBuilder).
pub const MIN_PART_BYTES: u64 = MIB;

/// The smallest part the automatic plan chooses: per-request overhead (a round trip, a part
/// record, a journal write) stays small next to the bytes.
pub const AUTO_MIN_PART_BYTES: u64 = 8 * MIB;

/// The part size for a `size`-byte file with `concurrency` parts in flight, when none is
/// given: about two parts per part in flight, so the parallelism is used, in whole MiB,
/// between [`AUTO_MIN_PART_BYTES`] and `max_part` (the API's 64 MiB).
pub fn auto_part_size(size: u64, concurrency: usize, max_part: u64) -> u64 {
    let parts = 2 * concurrency.max(1) as u64;
    let per_part = size.div_ceil(parts).div_ceil(MIB) * MIB;
    per_part.clamp(AUTO_MIN_PART_BYTES.min(max_part), max_part.max(1))
}

/// The parts of a `total`-byte file cut into `part_size`-byte parts (the last may be shorter).
/// `part_size` must be above zero (validation refuses zero before this is called).
pub(crate) fn plan(total: u64, part_size: u64) -> Vec<PartSpec> {
    let part_size = part_size.max(1);
    let count = total.div_ceil(part_size);
    (0..count)
        .map(|i| {
            let offset = i * part_size;
            PartSpec {
                index: i as usize,
                offset,
                len: part_size.min(total - offset),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_plan_covers_the_file_exactly_once(total in 0u64..(1 << 40), part_size in 1u64..(1 << 30)) {
            prop_assume!(total / part_size < 100_000);
            let parts = plan(total, part_size);
            let mut next = 0u64;
            for (i, p) in parts.iter().enumerate() {
                prop_assert_eq!(p.index, i);
                prop_assert_eq!(p.offset, next);
                prop_assert!(p.len > 0 && p.len <= part_size);
                next += p.len;
            }
            prop_assert_eq!(next, total);
        }
    }

    #[test]
    fn the_automatic_part_size_fills_the_parallelism_within_its_bounds() {
        let max = 64 * MIB;
        // (file size, parts in flight) -> (part size, part count)
        let table = [
            (20 * MIB, 16, 8 * MIB, 3),
            (200 * MIB, 16, 8 * MIB, 25),
            (200_000_000, 16, 8 * MIB, 24),
            (512 * MIB, 16, 16 * MIB, 32),
            (1024 * MIB, 16, 32 * MIB, 32),
            (4096 * MIB, 16, 64 * MIB, 64),
            (8192 * MIB, 16, 64 * MIB, 128),
            (512 * MIB, 4, 64 * MIB, 8),
            (512 * MIB, 64, 8 * MIB, 64),
            (1, 16, 8 * MIB, 1),
        ];
        for (size, concurrency, part, count) in table {
            let chosen = auto_part_size(size, concurrency, max);
            assert_eq!(chosen, part, "{size} bytes, {concurrency} in flight");
            assert_eq!(
                plan(size, chosen).len(),
                count,
                "{size} bytes, {concurrency} in flight"
            );
        }
        // Scaled-down limits (tests, compatible servers): never over the limit.
        assert_eq!(auto_part_size(10 * MIB, 16, 64 * 1024), 64 * 1024);
    }

    proptest! {
        #[test]
        fn the_automatic_part_size_is_whole_mib_and_within_bounds(size in 1u64..(8 << 30), concurrency in 1usize..256) {
            let part = auto_part_size(size, concurrency, 64 * MIB);
            prop_assert!(part.is_multiple_of(MIB));
            prop_assert!((AUTO_MIN_PART_BYTES..=64 * MIB).contains(&part));
            prop_assert!(plan(size, part).len() <= 128.max(2 * concurrency));
        }
    }

    #[test]
    fn edges() {
        assert!(plan(0, 10).is_empty());
        assert_eq!(
            plan(10, 10),
            vec![PartSpec {
                index: 0,
                offset: 0,
                len: 10
            }]
        );
        assert_eq!(
            plan(11, 10).last(),
            Some(&PartSpec {
                index: 1,
                offset: 10,
                len: 1
            })
        );
    }
}

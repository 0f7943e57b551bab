//! Splitting a file into parts: each byte in exactly one part, no part over the limit.

/// One part of the plan: its position in the file order, and its byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PartSpec {
    pub(crate) index: usize,
    pub(crate) offset: u64,
    pub(crate) len: u64,
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

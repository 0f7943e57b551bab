//! The `custom_id`s seen, for the duplicate check: every id's text in one growing buffer and a
//! table of where each stands, so that a file of 50,000 requests costs no allocation per id.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// `custom_id`s remembered for the duplicate check; past this (four times the request limit,
/// an error already) a file's ids are no longer compared, so memory stays bounded.
pub(super) const MAX_TRACKED_IDS: usize = 4 * uploads_client::rules::MAX_BATCH_REQUESTS as usize;
/// And at most this many bytes of their text (a file of huge ids stops being compared here).
pub(super) const MAX_TRACKED_ID_BYTES: usize = 64 << 20;

/// Where one id's text stands in the buffer, and the line it was first used on: 16 bytes, so
/// that the table of a file's 50,000 ids stays small (the buffer is at most `max_bytes`,
/// which fits in 32 bits).
#[derive(Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    line: u64,
}

impl Entry {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

/// The ids seen so far, up to a number of them and a number of bytes in all.
pub(super) struct IdSet {
    text: String,
    table: HashTable<Entry>,
    /// Seeded per process: a file cannot be made to collide on purpose.
    hasher: foldhash::fast::RandomState,
    max_ids: usize,
    max_bytes: usize,
}

/// Ids the table holds before it first grows.
const PRESIZED: usize = uploads_client::rules::MAX_BATCH_REQUESTS as usize;

/// What became of an id.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Seen {
    /// New: remembered.
    New,
    /// Used before, first on this line.
    Before(u64),
    /// New, but past the limits: not remembered.
    Untracked,
}

impl IdSet {
    pub(super) fn new(max_ids: usize, max_bytes: usize) -> Self {
        Self {
            text: String::new(),
            // Sized for a file within the request limit up front: growing it is a tenth of
            // a short request's check. (Its control bytes are all it writes until used.)
            table: HashTable::with_capacity(max_ids.min(PRESIZED)),
            hasher: foldhash::fast::RandomState::default(),
            max_ids,
            max_bytes,
        }
    }

    /// Looks `id` up, first used at `line` if it is new.
    pub(super) fn see(&mut self, id: &str, line: u64) -> Seen {
        let Self {
            text,
            table,
            hasher,
            ..
        } = self;
        let hash = hasher.hash_one(id);
        let end = text.len() + id.len();
        let full =
            table.len() >= self.max_ids || end > self.max_bytes || u32::try_from(end).is_err();
        // One probe: the slot the id is found in, or the one it goes to.
        let found = table.entry(
            hash,
            |e| &text[e.range()] == id,
            |e| hasher.hash_one(&text[e.range()]),
        );
        let slot = match found {
            hashbrown::hash_table::Entry::Occupied(e) => return Seen::Before(e.get().line),
            hashbrown::hash_table::Entry::Vacant(_) if full => return Seen::Untracked,
            hashbrown::hash_table::Entry::Vacant(slot) => slot,
        };
        slot.insert(Entry {
            start: text.len() as u32,
            len: id.len() as u32,
            line,
        });
        text.push_str(id);
        Seen::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_remembered_with_their_first_line_within_the_limits() {
        let mut ids = IdSet::new(3, 100);
        assert_eq!(ids.see("a", 1), Seen::New);
        assert_eq!(ids.see("b", 2), Seen::New);
        assert_eq!(ids.see("a", 3), Seen::Before(1));
        assert_eq!(ids.see("", 4), Seen::New);
        assert_eq!(ids.see("c", 5), Seen::Untracked, "three ids already");
        assert_eq!(ids.see("", 6), Seen::Before(4));
        // Many ids, growing the table through rehashes: each still found.
        let mut many = IdSet::new(10_000, 1 << 20);
        for i in 0..5_000u64 {
            assert_eq!(many.see(&format!("request-{i}"), i + 1), Seen::New);
        }
        for i in (0..5_000u64).step_by(7) {
            assert_eq!(many.see(&format!("request-{i}"), 0), Seen::Before(i + 1));
        }
        // The byte limit.
        let mut small = IdSet::new(100, 5);
        assert_eq!(small.see("abc", 1), Seen::New);
        assert_eq!(small.see("def", 2), Seen::Untracked);
        assert_eq!(small.see("de", 3), Seen::New);
    }
}

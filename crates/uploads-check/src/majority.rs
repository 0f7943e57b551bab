//! What a file's lines mostly say (its batch endpoint, its model, its fine-tuning method),
//! decided from all of them at the end, so that one odd line (even the first) gets the error
//! and the lines that agree get none. Memory stays bounded: a few dozen distinct values, and
//! the first lines of each.

use super::report::{Findings, Severity};

/// Distinct values tallied; past this, new values are counted together as "others".
const MAX_VALUES: usize = 64;
/// Line numbers kept per value, to name in findings; the rest are counted.
pub(crate) const LINES_KEPT: usize = super::report::SHOWN_FINDINGS;

/// One value and the lines that said it.
#[derive(Debug)]
pub(crate) struct Tally {
    pub(crate) value: String,
    pub(crate) count: u64,
    /// The first [`LINES_KEPT`] lines, in order.
    pub(crate) lines: Vec<u64>,
}

/// The values lines gave, tallied.
#[derive(Debug, Default)]
pub(crate) struct Majority {
    tallies: Vec<Tally>,
    /// Lines whose value was past [`MAX_VALUES`] distinct ones.
    untracked: u64,
}

impl Majority {
    /// Line `line` says `value`; false if it was past the values tracked (counted only).
    pub(crate) fn add(&mut self, value: &str, line: u64) -> bool {
        if let Some(t) = self.tallies.iter_mut().find(|t| t.value == value) {
            t.count += 1;
            if t.lines.len() < LINES_KEPT {
                t.lines.push(line);
            }
            return true;
        }
        if self.tallies.len() >= MAX_VALUES {
            self.untracked += 1;
            return false;
        }
        self.tallies.push(Tally {
            value: value.to_owned(),
            count: 1,
            lines: vec![line],
        });
        true
    }

    /// Adds each tracked value's count to `counts` (a summary's per-value counts, which the
    /// tally keeps for the values it tracks; the others are counted there as they come).
    pub(crate) fn add_counts(&self, counts: &mut std::collections::BTreeMap<String, u64>) {
        for t in &self.tallies {
            *counts.entry(t.value.clone()).or_default() += t.count;
        }
    }

    /// The value most lines gave (on a tie, the one seen first), if any line gave one.
    pub(crate) fn winner(&self) -> Option<&Tally> {
        // Tallies are in the order first seen: max_by_key keeps the last maximum, so scan
        // for the first.
        let best = self.tallies.iter().map(|t| t.count).max()?;
        self.tallies.iter().find(|t| t.count == best)
    }

    /// Every value but the winner, in the order first seen.
    pub(crate) fn others(&self) -> impl Iterator<Item = &Tally> {
        let winner = self.winner().map(|w| w.value.as_str());
        self.tallies
            .iter()
            .filter(move |t| Some(t.value.as_str()) != winner)
    }

    /// Lines that gave a value past the tracked ones (all of them differ from the winner).
    pub(crate) fn untracked(&self) -> u64 {
        self.untracked
    }
}

impl Majority {
    /// An error of `kind` at each line whose value is not the winner's (the first lines named,
    /// the rest counted): `say(value, the winner's value, how many lines give it)`.
    pub(crate) fn report_others(
        &self,
        out: &mut Findings,
        kind: &'static str,
        say: impl Fn(&str, &str, u64) -> String,
    ) {
        let Some(file) = self.winner() else { return };
        for other in self.others() {
            for &line in &other.lines {
                out.error(line, kind, say(&other.value, &file.value, file.count));
            }
            out.count_more(
                Severity::Error,
                kind,
                other.count - other.lines.len() as u64,
            );
        }
        out.count_more(Severity::Error, kind, self.untracked());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_said_value_wins_and_a_tie_goes_to_the_first() {
        let mut m = Majority::default();
        assert!(m.winner().is_none());
        m.add("a", 1);
        m.add("b", 2);
        assert_eq!(m.winner().unwrap().value, "a", "a tie: the first");
        m.add("b", 3);
        let w = m.winner().unwrap();
        assert_eq!(
            (w.value.as_str(), w.count, w.lines.clone()),
            ("b", 2, vec![2, 3])
        );
        let others: Vec<_> = m
            .others()
            .map(|t| (t.value.as_str(), t.lines.clone()))
            .collect();
        assert_eq!(others, [("a", vec![1])]);
    }

    #[test]
    fn memory_is_bounded() {
        let mut m = Majority::default();
        for i in 0..1000u64 {
            m.add(&format!("v{}", i % 100), i + 1);
            m.add("common", i + 1);
        }
        assert_eq!(m.winner().unwrap().value, "common");
        assert_eq!(m.winner().unwrap().count, 1000);
        assert_eq!(m.winner().unwrap().lines.len(), LINES_KEPT);
        assert_eq!(m.others().count(), MAX_VALUES - 1);
        assert_eq!(m.untracked(), 1000 - 10 * (MAX_VALUES as u64 - 1));
    }
}

//! Which fine-tuning method each example fits, and the file's method decided from all of them:
//! the one every example fits, else the one most fit, whose misfits are then the errors.

use crate::majority::LINES_KEPT;
use crate::report::{Findings, Severity};
use crate::rules::FineTuneMethod;

/// Whether an example fits a method. Made for every example and method, so it allocates
/// nothing: the message is written only for a finding that is reported.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Fit {
    Yes,
    /// It does not: a finding for its line.
    No {
        severity: Severity,
        kind: &'static str,
        message: Message,
    },
}

/// A misfit's message: fixed text, or an example's format next to the job's method.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Message {
    Text(&'static str),
    /// "a {format} example, which a {method} job does not take".
    OtherFormat(&'static str, FineTuneMethod),
}

impl Message {
    fn write(self) -> String {
        match self {
            Self::Text(text) => text.to_owned(),
            Self::OtherFormat(format, method) => format!(
                "a {format} example, which a {method} job does not take: a job trains one way; keep one format per file"
            ),
        }
    }
}

impl Fit {
    pub(super) fn error(kind: &'static str, message: impl Into<Message>) -> Self {
        Self::No {
            severity: Severity::Error,
            kind,
            message: message.into(),
        }
    }

    pub(super) fn warning(kind: &'static str, message: impl Into<Message>) -> Self {
        Self::No {
            severity: Severity::Warning,
            kind,
            message: message.into(),
        }
    }

    /// Its finding at line `n`, if it does not fit.
    pub(super) fn report(self, n: u64, out: &mut Findings) {
        if let Self::No {
            severity,
            kind,
            message,
        } = self
        {
            match severity {
                Severity::Error => out.error(n, kind, message.write()),
                Severity::Warning => out.warning(n, kind, message.write()),
            }
        }
    }
}

impl From<&'static str> for Message {
    fn from(text: &'static str) -> Self {
        Self::Text(text)
    }
}

/// The examples that do not fit one method.
#[derive(Debug, Default)]
struct Tally {
    errors: u64,
    warnings: u64,
    /// The first ones, with their findings, in line order.
    kept: Vec<(u64, Fit)>,
    /// Examples seen.
    seen: u64,
}

/// Per method, the examples that do not fit it.
#[derive(Debug, Default)]
pub(super) struct Misfits {
    by_method: [Tally; 3],
}

impl Misfits {
    pub(super) fn add(&mut self, method: FineTuneMethod, n: u64, fit: Fit) {
        let tally = &mut self.by_method[method as usize];
        tally.seen += 1;
        if let Fit::No { severity, .. } = &fit {
            match severity {
                Severity::Error => tally.errors += 1,
                Severity::Warning => tally.warnings += 1,
            }
            if tally.kept.len() < LINES_KEPT {
                tally.kept.push((n, fit));
            }
        }
    }

    /// The file's method, and the findings that follow: a warning if several methods fit
    /// every example, else the misfits of the method most examples fit.
    pub(super) fn decide(&mut self, out: &mut Findings) {
        if self.by_method[0].seen == 0 {
            return;
        }
        let clean: Vec<FineTuneMethod> = FineTuneMethod::ALL
            .into_iter()
            .filter(|m| {
                let t = &self.by_method[*m as usize];
                t.errors == 0 && t.warnings == 0
            })
            .collect();
        // One clean method is the file's, with nothing to say (its misfits, below, are none).
        match clean.as_slice() {
            [first, _, ..] => {
                let names: Vec<&str> = clean.iter().map(|m| m.as_str()).collect();
                out.warning(
                    0,
                    "fits_several_methods",
                    format!(
                        "every example fits {} fine-tuning: say which the job uses with --method (checked here as {first})",
                        names.join(" and ")
                    ),
                );
            }
            _ => {
                // Fewest examples that do not fit, then fewest errors among them; a tie goes to
                // the order of ALL.
                let best = FineTuneMethod::ALL
                    .into_iter()
                    .min_by_key(|m| {
                        let t = &self.by_method[*m as usize];
                        (t.errors + t.warnings, t.errors)
                    })
                    .unwrap_or(FineTuneMethod::Supervised);
                let tally = std::mem::take(&mut self.by_method[best as usize]);
                let mut kept = (0u64, 0u64);
                for (n, fit) in tally.kept {
                    if let Fit::No { severity, .. } = &fit {
                        match severity {
                            Severity::Error => kept.0 += 1,
                            Severity::Warning => kept.1 += 1,
                        }
                    }
                    fit.report(n, out);
                }
                let kind = "mixed_formats";
                out.count_more(Severity::Error, kind, tally.errors - kept.0);
                out.count_more(Severity::Warning, kind, tally.warnings - kept.1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_method_most_examples_fit_is_the_files() {
        let mut m = Misfits::default();
        for n in 1..=10 {
            let supervised = if n == 1 {
                Fit::error("no_assistant_message", "no reply")
            } else {
                Fit::Yes
            };
            m.add(FineTuneMethod::Supervised, n, supervised);
            m.add(
                FineTuneMethod::Preference,
                n,
                Fit::error("mixed_formats", "chat"),
            );
            let reinforcement = if n == 1 {
                Fit::Yes
            } else {
                Fit::warning("reinforcement_ends_with_reply", "reply")
            };
            m.add(FineTuneMethod::Reinforcement, n, reinforcement);
        }
        let mut out = Findings::default();
        m.decide(&mut out);
        assert_eq!((out.errors, out.warnings), (1, 0));
        assert_eq!(out.shown[0].line, 1);
        assert_eq!(out.shown[0].kind, "no_assistant_message");
    }

    #[test]
    fn several_clean_methods_are_a_warning_and_one_is_nothing() {
        let mut m = Misfits::default();
        for method in FineTuneMethod::ALL {
            let fit = if method == FineTuneMethod::Preference {
                Fit::error("mixed_formats", "chat")
            } else {
                Fit::Yes
            };
            m.add(method, 1, fit);
        }
        let mut out = Findings::default();
        m.decide(&mut out);
        assert_eq!((out.errors, out.warnings), (0, 1));
        assert!(
            out.shown[0]
                .message
                .contains("supervised and reinforcement")
        );

        let mut m = Misfits::default();
        m.add(FineTuneMethod::Supervised, 1, Fit::Yes);
        m.add(
            FineTuneMethod::Preference,
            1,
            Fit::error("mixed_formats", "x"),
        );
        m.add(FineTuneMethod::Reinforcement, 1, Fit::warning("r", "x"));
        let mut out = Findings::default();
        m.decide(&mut out);
        assert_eq!((out.errors, out.warnings), (0, 0));
    }

    #[test]
    fn misfits_past_those_kept_are_counted() {
        let mut m = Misfits::default();
        let total = LINES_KEPT as u64 + 5;
        for n in 1..=total * 3 {
            let odd = n % 3 == 0;
            for method in FineTuneMethod::ALL {
                let fit = if method == FineTuneMethod::Supervised && !odd {
                    Fit::Yes
                } else {
                    Fit::error("mixed_formats", "x")
                };
                m.add(method, n, fit);
            }
        }
        let mut out = Findings::default();
        m.decide(&mut out);
        assert_eq!(out.errors, total);
        assert_eq!(out.counts["mixed_formats"], total);
        assert_eq!(out.shown.len(), LINES_KEPT);

        // Warnings past those kept are counted as warnings.
        let mut m = Misfits::default();
        for n in 1..=total {
            m.add(FineTuneMethod::Supervised, n, Fit::warning("w", "x"));
            m.add(FineTuneMethod::Preference, n, Fit::error("e", "x"));
            m.add(FineTuneMethod::Reinforcement, n, Fit::error("e", "x"));
        }
        let mut out = Findings::default();
        m.decide(&mut out);
        assert_eq!((out.errors, out.warnings), (0, total));
        assert_eq!(out.counts["w"], LINES_KEPT as u64);
        assert_eq!(out.counts["mixed_formats"], total - LINES_KEPT as u64);
    }

    #[test]
    fn a_misfit_of_another_format_names_it_and_the_method() {
        let mut out = Findings::default();
        let message = Message::OtherFormat("preference", FineTuneMethod::Supervised);
        Fit::error("mixed_formats", message).report(3, &mut out);
        assert_eq!(
            out.shown[0].message,
            "a preference example, which a supervised job does not take: a job trains one way; keep one format per file"
        );
        Fit::warning("k", "as written").report(4, &mut out);
        assert_eq!(out.shown[1].message, "as written");
        assert_eq!((out.errors, out.warnings), (1, 1));
    }
}

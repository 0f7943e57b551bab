//! The rules of each field of a request: its `custom_id` (unique), its `url` (a batch
//! endpoint, the file's one), its `body` (a model, the file's one; parameters against the
//! spec; embedding inputs within the limit).

use uploads_client::rules::{self, BatchEndpoint};

use super::BatchRules;
use super::ids::{MAX_TRACKED_IDS, Seen};
use super::schema::body_schema;
use super::shapes::Body;
use crate::json::Scalar;
use crate::report::{Findings, Summary, bump};
use crate::rules::did_you_mean;

impl BatchRules {
    pub(super) fn custom_id(&mut self, n: u64, id: Option<&Scalar<'_>>, out: &mut Findings) {
        let id = match id {
            None => {
                return out.error(
                    n,
                    "missing_custom_id",
                    "no custom_id: every request needs a custom_id string, unique in the file, to match it with its result",
                );
            }
            Some(Scalar::Str(id)) => id,
            Some(other) => {
                return out.error(
                    n,
                    "bad_custom_id",
                    format!("custom_id is {}; it must be a string", other.json_type()),
                );
            }
        };
        if id.is_empty() {
            out.warning(
                n,
                "empty_custom_id",
                "custom_id is empty: results are matched to requests by it",
            );
        }
        // Past the ids remembered, as the warning says, ids are not compared at all: such a
        // file is four times over the request limit, and each piece `--split` cuts is checked
        // on its own.
        if self.ids_full {
            return;
        }
        match self.ids.see(id, n) {
            Seen::New => {}
            Seen::Before(first) => out.error(
                n,
                "duplicate_custom_id",
                format!(
                    "custom_id {id:?} is already used on line {first}: each request needs its own"
                ),
            ),
            Seen::Untracked => self.ids_not_tracked(n, out),
        }
    }

    pub(super) fn ids_not_tracked(&mut self, n: u64, out: &mut Findings) {
        if !self.ids_full {
            self.ids_full = true;
            out.warning(
                n,
                "ids_not_tracked",
                format!(
                    "custom_ids past the first {MAX_TRACKED_IDS} (or 64 MiB of them) are not checked for duplicates"
                ),
            );
        }
    }

    /// The line's endpoint, if its `url` is one; findings for a bad or changed `url`.
    pub(super) fn url(
        &mut self,
        n: u64,
        url: Option<&Scalar<'_>>,
        out: &mut Findings,
        summary: &mut Summary,
    ) -> Option<&'static BatchEndpoint> {
        let url = match url {
            None => {
                out.error(
                    n,
                    "missing_url",
                    format!(
                        "no url: give the endpoint, one of {}",
                        rules::batch_endpoint_names()
                    ),
                );
                return None;
            }
            Some(Scalar::Str(url)) => url,
            Some(other) => {
                out.error(
                    n,
                    "bad_url",
                    format!("url is {}; it must be a string", other.json_type()),
                );
                return None;
            }
        };
        // Most files name one endpoint: the last one found is tried first.
        let endpoint = match self.last_endpoint {
            Some(last) if last.url == url.as_ref() => Some(last),
            _ => rules::batch_endpoint(url),
        };
        if endpoint.is_some() {
            self.last_endpoint = endpoint;
        }
        // Only a real endpoint votes for the file's: a typo gets its own error, not the file.
        // The tally counts what it tracks for the summary; the rest is counted here.
        if endpoint.is_none() || !self.urls.add(url, n) {
            bump(&mut summary.by_kind, url);
        }
        if endpoint.is_none() {
            let known = rules::BATCH_ENDPOINTS.iter().map(|e| e.url);
            let hint = match did_you_mean(url, known) {
                Some(k) => format!("did you mean {k:?}?"),
                None => format!("the batch endpoints are {}", rules::batch_endpoint_names()),
            };
            out.error(
                n,
                "unknown_url",
                format!("url {url:?} is not a batch endpoint: {hint}"),
            );
        }
        endpoint
    }

    pub(super) fn body(
        &mut self,
        n: u64,
        body: Option<&Body<'_>>,
        endpoint: Option<&BatchEndpoint>,
        out: &mut Findings,
        summary: &mut Summary,
    ) {
        let body = match body {
            None => return out.error(n, "missing_body", "no body: give the request's parameters"),
            Some(b) => b,
        };
        if let Some(t) = body.wrong {
            return out.error(
                n,
                "bad_body",
                format!("body is {t}; it must be an object of the request's parameters"),
            );
        }
        let requires = |p: &str| endpoint.is_none_or(|e| e.required.contains(&p));
        match &body.model {
            Some(Scalar::Str(model)) => {
                if !self.models.add(model, n) {
                    bump(&mut summary.by_model, model);
                }
            }
            Some(other) => out.error(
                n,
                "bad_model",
                format!("body.model is {}; it must be a string", other.json_type()),
            ),
            None if requires("model") => out.error(
                n,
                "missing_model",
                "body has no model: name the model for the request",
            ),
            None => out.warning(
                n,
                "missing_model",
                "body has no model: the endpoint's default applies, if it has one",
            ),
        }
        let Some(endpoint) = endpoint else { return };
        if self.body_schema {
            // Most bodies of a file have the same parameters: a list found clean for this
            // endpoint is not looked up again.
            let same = body.same_keys
                || (self.last_keys.len() == body.keys.len()
                    && self
                        .last_keys
                        .iter()
                        .zip(&body.keys)
                        .all(|(a, b)| **a == *b.0));
            if !(same && self.clean_for == Some(endpoint.url)) {
                let before = out.warnings;
                if body.same_keys {
                    body_schema(n, self.last_keys.iter().map(|k| &**k), endpoint, out);
                } else {
                    body_schema(n, body.keys.iter().map(|k| &*k.0), endpoint, out);
                }
                self.clean_for = (out.warnings == before).then_some(endpoint.url);
                if !same {
                    self.last_keys = body.keys.iter().map(|k| k.0.as_ref().into()).collect();
                }
            }
        }
        if !body.same_keys && !self.body_schema {
            let same = self.last_keys.len() == body.keys.len()
                && self
                    .last_keys
                    .iter()
                    .zip(&body.keys)
                    .all(|(a, b)| **a == *b.0);
            if !same {
                self.last_keys = body.keys.iter().map(|k| k.0.as_ref().into()).collect();
            }
        }
        if endpoint.url == "/v1/embeddings" {
            let before = self.embedding_inputs;
            self.embedding_inputs += body.inputs;
            summary.embedding_inputs = self.embedding_inputs;
            let max = rules::MAX_BATCH_EMBEDDING_INPUTS;
            if self.limits && before <= max && self.embedding_inputs > max {
                out.error(
                    n,
                    "too_many_embedding_inputs",
                    format!(
                        "the file passes {max} embedding inputs here ({}): an embeddings batch takes at most {max}; split the file",
                        self.embedding_inputs
                    ),
                );
            }
        }
    }
}

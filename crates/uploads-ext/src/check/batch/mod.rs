//! The Batch API's input format: one request per line, `{"custom_id", "method": "POST",
//! "url", "body": {"model", ...}}`, one `url` for the file, unique ids, and the file's limits;
//! each body's parameters against the spec's schema of its endpoint (warnings).

mod fast;
mod ids;
mod schema;
mod shapes;

use uploads_client::rules::{self, BatchEndpoint};

use ids::{IdSet, MAX_TRACKED_ID_BYTES, MAX_TRACKED_IDS, Seen};
use schema::body_schema;
use shapes::{Body, RequestLine};

use super::json::{Scalar, parse_line};
use super::majority::Majority;
use super::report::{Findings, Summary, bump};
use super::rules::{At, CheckOptions, LineRules, did_you_mean};

/// The fields of a request line.
const LINE_FIELDS: [&str; 4] = ["custom_id", "method", "url", "body"];

/// The state of a batch file's check.
pub(crate) struct BatchRules {
    /// Whether the file's own limits (requests, bytes, embedding inputs) are checked.
    limits: bool,
    /// Whether body parameters are checked against the spec.
    body_schema: bool,
    /// The batch endpoints lines name: the file's is the one most name.
    urls: Majority,
    /// The models of the bodies: the file's is the one most name.
    models: Majority,
    /// The `custom_id`s seen, with the line each was first used on.
    ids: IdSet,
    ids_full: bool,
    embedding_inputs: u64,
    bytes_reported: bool,
    /// The endpoint of the last line that named one.
    last_endpoint: Option<&'static BatchEndpoint>,
    /// The last body's parameter names (a fast reading of a body with the same ones does
    /// not list them), and the endpoint they were found clean for against the spec.
    last_keys: Vec<Box<str>>,
    clean_for: Option<&'static str>,
}

impl BatchRules {
    pub(crate) fn new(options: CheckOptions) -> Self {
        Self {
            limits: options.file_limits,
            body_schema: options.body_schema,
            urls: Majority::default(),
            models: Majority::default(),
            ids: IdSet::new(MAX_TRACKED_IDS, MAX_TRACKED_ID_BYTES),
            ids_full: false,
            embedding_inputs: 0,
            bytes_reported: false,
            last_endpoint: None,
            last_keys: Vec::new(),
            clean_for: None,
        }
    }

    fn custom_id(&mut self, n: u64, id: Option<&Scalar<'_>>, out: &mut Findings) {
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

    fn ids_not_tracked(&mut self, n: u64, out: &mut Findings) {
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
    fn url(
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

    fn body(
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

impl LineRules for BatchRules {
    fn line(&mut self, at: At, line: &[u8], out: &mut Findings, summary: &mut Summary) {
        let n = at.line;
        let max_bytes = rules::MAX_BATCH_FILE_BYTES;
        if self.limits && !self.bytes_reported && at.end > max_bytes {
            self.bytes_reported = true;
            out.error(
                n,
                "file_too_large",
                format!(
                    "the file passes {max_bytes} bytes (200 MiB) here, the most a batch file may hold: split the file (`put --split` does it)"
                ),
            );
        }
        // Most lines: read in one pass into the same shape (see `fast`); the rest in full.
        let fast = simdutf8::basic::from_utf8(line)
            .ok()
            .and_then(|line| fast::request(line, &self.last_keys));
        let parsed: RequestLine<'_> = match fast {
            Some(parsed) => parsed,
            None => match parse_line(line) {
                Ok(v) => v,
                Err(e) => return out.error(n, "invalid_json", super::json::parse_error(line, &e)),
            },
        };
        if let Some(t) = parsed.wrong {
            return out.error(
                n,
                "not_an_object",
                format!("the line is {t}, not a request object (custom_id, method, url, body)"),
            );
        }
        if parsed.custom_id.is_none()
            && parsed.url.is_none()
            && parsed.body.is_none()
            && parsed.unknown.iter().any(|k| {
                matches!(
                    &**k,
                    "messages"
                        | "prompt"
                        | "completion"
                        | "preferred_output"
                        | "non_preferred_output"
                )
            })
        {
            return out.error(
                n,
                "foreign_format",
                "a fine-tuning example, not a batch request: is this a fine-tune file? upload it with --purpose fine-tune (batch lines are {\"custom_id\", \"method\": \"POST\", \"url\", \"body\"})",
            );
        }
        if parsed.custom_id.is_none()
            && parsed.url.is_none()
            && parsed.unknown.iter().any(|k| &**k == "request")
        {
            return out.error(
                n,
                "foreign_format",
                "a Gemini batch line ({\"request\": {...}}): OpenAI's batch lines are {\"custom_id\", \"method\": \"POST\", \"url\", \"body\"}",
            );
        }
        // A request: a line that parses as an object.
        summary.records += 1;
        let max = rules::MAX_BATCH_REQUESTS;
        if self.limits && summary.records == max + 1 {
            out.error(
                n,
                "too_many_requests",
                format!(
                    "request {} of a batch that takes at most {max}: split the file (`put --split` does it)",
                    max + 1
                ),
            );
        }
        self.custom_id(n, parsed.custom_id.as_ref(), out);
        match &parsed.method {
            Some(Scalar::Str(m)) if m == rules::BATCH_METHOD => {}
            None => out.error(
                n,
                "missing_method",
                "no method: batch requests use \"POST\"",
            ),
            Some(other) => out.error(
                n,
                "bad_method",
                format!(
                    "method is {}; batch requests use \"POST\"",
                    other
                        .as_str()
                        .map_or_else(|| other.json_type().to_string(), |s| format!("{s:?}"))
                ),
            ),
        }
        let endpoint = self.url(n, parsed.url.as_ref(), out, summary);
        self.body(n, parsed.body.as_ref(), endpoint, out, summary);
        for key in &parsed.unknown {
            let hint = did_you_mean(key, LINE_FIELDS)
                .map(|k| format!(": did you mean {k:?}?"))
                .unwrap_or_default();
            out.warning(
                n,
                "unknown_field",
                format!(
                    "field {:?} is not part of a request line (custom_id, method, url, body){hint}",
                    &**key
                ),
            );
        }
    }

    fn finish(&mut self, out: &mut Findings, summary: &mut Summary) {
        self.urls.add_counts(&mut summary.by_kind);
        self.models.add_counts(&mut summary.by_model);
        if summary.records == 0 {
            out.error(0, "no_requests", "the file holds no requests");
        }
        let near = rules::BATCH_FILE_BYTES_DOCUMENTED;
        if self.limits && summary.bytes > near && summary.bytes <= rules::MAX_BATCH_FILE_BYTES {
            out.warning(
                0,
                "file_near_limit",
                format!(
                    "the file is {} bytes: over the 200 MB ({near} bytes) the batch guide states, within the 200 MiB ({} bytes) the service is reported to take; split it to be sure",
                    summary.bytes,
                    rules::MAX_BATCH_FILE_BYTES
                ),
            );
        }
        self.urls.report_others(out, "mixed_urls", |value, file, count| {
            format!(
                "url {value:?} differs from the file's {file:?} ({count} requests): a batch goes to one endpoint; put each endpoint's requests in a file of its own"
            )
        });
        self.models.report_others(out, "model_mismatch", |value, file, count| {
            format!(
                "model {value:?} differs from the file's {file:?} ({count} requests): each batch input file can only include requests to a single model; put each model's requests in a file of its own"
            )
        });
    }
}

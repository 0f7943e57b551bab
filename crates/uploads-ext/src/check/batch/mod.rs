//! The Batch API's input format: one request per line, `{"custom_id", "method": "POST",
//! "url", "body": {"model", ...}}`, one `url` for the file, unique ids, and the file's limits;
//! each body's parameters against the spec's schema of its endpoint (warnings).

mod shapes;

use std::collections::HashMap;

use uploads_client::rules::{self, BatchEndpoint};

use shapes::{Body, RequestLine};

use super::json::{Scalar, parse_line};
use super::report::{Findings, Summary};
use super::rules::{At, CheckOptions, LineRules, did_you_mean};

/// `custom_id`s remembered for the duplicate check; past this (four times the request limit,
/// an error already) a file's ids are no longer compared, so memory stays bounded.
const MAX_TRACKED_IDS: usize = 4 * rules::MAX_BATCH_REQUESTS as usize;

/// The fields of a request line.
const LINE_FIELDS: [&str; 4] = ["custom_id", "method", "url", "body"];

/// The state of a batch file's check.
pub(crate) struct BatchRules {
    /// Whether the file's own limits (requests, bytes, embedding inputs) are checked.
    limits: bool,
    /// Whether body parameters are checked against the spec.
    body_schema: bool,
    /// The first line's `url` and its line: every line must name the same.
    url: Option<(String, u64)>,
    /// `custom_id` -> the line it was first used on.
    ids: HashMap<Box<str>, u64>,
    ids_full: bool,
    embedding_inputs: u64,
    bytes_reported: bool,
}

impl BatchRules {
    pub(crate) fn new(options: CheckOptions) -> Self {
        Self {
            limits: options.file_limits,
            body_schema: options.body_schema,
            url: None,
            ids: HashMap::new(),
            ids_full: false,
            embedding_inputs: 0,
            bytes_reported: false,
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
        if let Some(first) = self.ids.get(id.as_ref()) {
            out.error(
                n,
                "duplicate_custom_id",
                format!(
                    "custom_id {id:?} is already used on line {first}: each request needs its own"
                ),
            );
        } else if self.ids.len() < MAX_TRACKED_IDS {
            self.ids.insert(id.as_ref().into(), n);
        } else if !self.ids_full {
            self.ids_full = true;
            out.warning(
                n,
                "ids_not_tracked",
                format!(
                    "custom_ids after the first {MAX_TRACKED_IDS} are not checked for duplicates"
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
        *summary.by_kind.entry(url.to_string()).or_default() += 1;
        match &self.url {
            None => self.url = Some((url.to_string(), n)),
            Some((first, line)) if first != url.as_ref() => out.error(
                n,
                "mixed_urls",
                format!(
                    "url {url:?} differs from {first:?} (line {line}): a batch goes to one endpoint; put each endpoint's requests in a file of its own"
                ),
            ),
            Some(_) => {}
        }
        let endpoint = rules::batch_endpoint(url);
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
                *summary.by_model.entry(model.to_string()).or_default() += 1;
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
            body_schema(n, body, endpoint, out);
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
        // Every non-blank line is a request: the summary has counted this one already.
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
        let parsed: RequestLine<'_> = match parse_line(line) {
            Ok(v) => v,
            Err(e) => return out.error(n, "invalid_json", format!("not valid JSON: {e}")),
        };
        if let Some(t) = parsed.wrong {
            return out.error(
                n,
                "not_an_object",
                format!("the line is {t}, not a request object (custom_id, method, url, body)"),
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
        if summary.records == 0 {
            out.error(0, "no_requests", "the file holds no requests");
        }
    }
}

/// The body's parameters against the spec's schema of the endpoint: unknown ones (only when
/// the schema lists all) and missing required ones are warnings, since the spec can lag the
/// service.
fn body_schema(n: u64, body: &Body<'_>, endpoint: &BatchEndpoint, out: &mut Findings) {
    for key in &body.keys {
        if endpoint.certain && endpoint.parameters.binary_search(&&**key).is_err() {
            let hint = did_you_mean(key, endpoint.parameters.iter().copied())
                .map(|k| format!(": did you mean {k:?}?"))
                .unwrap_or_default();
            out.warning(
                n,
                "unknown_parameter",
                format!(
                    "body parameter {:?} is not in the spec's {}{hint}",
                    &**key, endpoint.request_schema
                ),
            );
        }
    }
    for required in endpoint.required {
        if *required != "model" && !body.keys.iter().any(|k| &**k == *required) {
            out.warning(
                n,
                "missing_parameter",
                format!(
                    "body has no {required:?}, which the spec's {} requires",
                    endpoint.request_schema
                ),
            );
        }
    }
}

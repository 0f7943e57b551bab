//! The Batch API's input format: one request per line, `{"custom_id", "method": "POST",
//! "url", "body": {"model", ...}}`, one `url` for the file, unique ids, and the file's limits;
//! each body's parameters against the spec's schema of its endpoint (warnings).

mod fast;
mod fields;
mod ids;
mod schema;
mod shapes;

use uploads_client::rules::{self, BatchEndpoint};

use ids::{IdSet, MAX_TRACKED_ID_BYTES, MAX_TRACKED_IDS};
use shapes::RequestLine;

use super::json::{Scalar, parse_line};
use super::majority::Majority;
use super::report::{Findings, Summary};
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
        let mut parsed = RequestLine::default();
        let fast = simdutf8::basic::from_utf8(line)
            .is_ok_and(|text| fast::read_into(text, &self.last_keys, &mut parsed));
        if !fast {
            parsed = match parse_line(line) {
                Ok(v) => v,
                Err(e) => return out.error(n, "invalid_json", super::json::parse_error(line, &e)),
            };
        }
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

//! The Batch API's rules for an input file: its limits, and the endpoints (with their request
//! parameters) generated from the spec by `cargo xtask generate`.

/// Most requests in one batch input file (the spec's `CreateBatchRequest`: "up to 50,000").
pub const MAX_BATCH_REQUESTS: u64 = 50_000;
/// Most embedding inputs across all requests of a `/v1/embeddings` batch (the same spec text).
pub const MAX_BATCH_EMBEDDING_INPUTS: u64 = 50_000;
/// Largest batch input file. The spec says "200 MB"; public reports of the live service put
/// the refusal at exactly 209,715,200 bytes (200 MiB). We use the larger reading so that we
/// are never stricter than the service.
pub const MAX_BATCH_FILE_BYTES: u64 = 200 * 1024 * 1024;
/// The batch guide's "200 MB", read in decimal: a file between this and
/// [`MAX_BATCH_FILE_BYTES`] is warned about, not refused.
pub const BATCH_FILE_BYTES_DOCUMENTED: u64 = 200_000_000;
/// The only method a batch request line may give.
pub const BATCH_METHOD: &str = "POST";

/// One endpoint a batch may target, and what its request body takes (from the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchEndpoint {
    /// The line's `url`, e.g. `/v1/chat/completions`.
    pub url: &'static str,
    /// The spec's schema of the request body, e.g. `CreateChatCompletionRequest`.
    pub request_schema: &'static str,
    /// True if `parameters` is the whole list (no `anyOf`/`oneOf` or open properties).
    pub certain: bool,
    /// Parameters the schema requires.
    pub required: &'static [&'static str],
    /// Every top-level parameter the schema names, sorted.
    pub parameters: &'static [&'static str],
}

include!("../generated_batch.rs");

/// The endpoint a batch line's `url` names, if the spec lists it.
pub fn batch_endpoint(url: &str) -> Option<&'static BatchEndpoint> {
    BATCH_ENDPOINTS.iter().find(|e| e.url == url)
}

/// The batch endpoints, comma-separated, for messages.
pub fn batch_endpoint_names() -> String {
    BATCH_ENDPOINTS
        .iter()
        .map(|e| e.url)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_table_has_the_endpoints_and_their_parameters() {
        let chat = batch_endpoint("/v1/chat/completions").unwrap();
        assert_eq!(chat.request_schema, "CreateChatCompletionRequest");
        assert!(chat.required.contains(&"model") && chat.required.contains(&"messages"));
        assert!(chat.parameters.contains(&"max_completion_tokens"));
        let emb = batch_endpoint("/v1/embeddings").unwrap();
        assert!(emb.parameters.contains(&"input"));
        assert!(batch_endpoint("/v1/responses").is_some());
        assert!(batch_endpoint("/v1/chat/completion").is_none());
        assert!(batch_endpoint_names().starts_with("/v1/responses, /v1/chat/completions"));
        for e in BATCH_ENDPOINTS {
            assert!(e.parameters.windows(2).all(|w| w[0] < w[1]), "{e:?} sorted");
        }
    }
}

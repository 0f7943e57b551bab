//! The Uploads API's rules, in one place: the server enforces them and the engine checks them
//! before sending anything, so both say the same thing in the same words.

mod batch;
mod purpose;
mod purposes;

pub use batch::{
    BATCH_ENDPOINTS, BATCH_FILE_BYTES_DOCUMENTED, BATCH_METHOD, BatchEndpoint,
    MAX_BATCH_EMBEDDING_INPUTS, MAX_BATCH_FILE_BYTES, MAX_BATCH_REQUESTS, batch_endpoint,
    batch_endpoint_names,
};

pub use purpose::Purpose;
pub use purposes::{
    Accepts, ContentFormat, PURPOSES, PurposeRule, check_type, mime_for_filename, purpose_names,
    purpose_rule,
};

/// Largest part the API takes (64 MB; we use the binary MiB, as OpenAI's SDKs do).
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// Largest upload the API takes (8 GB, binary).
pub const MAX_UPLOAD_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// Shortest `expires_after.seconds` the API takes: one hour.
pub const MIN_EXPIRES_AFTER_SECS: i64 = 3600;
/// Longest `expires_after.seconds` the API takes: 30 days.
pub const MAX_EXPIRES_AFTER_SECS: i64 = 30 * 24 * 3600;
/// How long a batch input File lives when no `expires_after` is given: 30 days (the live
/// service's default, seen in Files responses: `expires_at = created_at + 2592000`).
pub const BATCH_FILE_EXPIRES_AFTER_SECS: i64 = 30 * 24 * 3600;
/// How long an Upload stays pending after creation.
pub const UPLOAD_TTL_SECS: i64 = 3600;

/// Now, in the Unix seconds the API's timestamps (`created_at`, `expires_at`) use.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Size limits; the defaults are the real API's, compatible servers (and tests) may differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest part, in bytes.
    pub max_part_bytes: u64,
    /// The largest upload, in bytes.
    pub max_upload_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_part_bytes: MAX_PART_BYTES,
            max_upload_bytes: MAX_UPLOAD_BYTES,
        }
    }
}

/// A request the API would refuse, with the parameter at fault and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleViolation {
    /// The request parameter at fault (`purpose`, `mime_type`, ...), as OpenAI's `param`.
    pub param: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

fn violation(param: &'static str, message: impl Into<String>) -> RuleViolation {
    RuleViolation {
        param,
        message: message.into(),
    }
}

/// Checks what a createUpload request certainly needs: a filename without a path, a purpose
/// and a MIME type, a size within the limit, an expiry in range. Whether the MIME type and
/// extension fit the purpose is [`check_type`]'s: a model of the service, which the engine
/// only warns about.
pub fn check_create(
    filename: &str,
    purpose: &str,
    mime_type: &str,
    bytes: i64,
    expires_after_secs: Option<i64>,
    limits: &Limits,
) -> Result<(), RuleViolation> {
    if filename.trim().is_empty() {
        return Err(violation(
            "filename",
            "the filename is empty: give the file a name",
        ));
    }
    if filename.contains(['/', '\\', '\0']) {
        return Err(violation(
            "filename",
            format!("the filename {filename:?} contains a path separator or NUL: give a bare name"),
        ));
    }
    if purpose.trim().is_empty() {
        return Err(violation("purpose", "the purpose is empty"));
    }
    if mime_type.trim().is_empty() {
        return Err(violation("mime_type", "the MIME type is empty"));
    }
    if bytes < 0 {
        return Err(violation("bytes", format!("bytes is negative ({bytes})")));
    }
    if bytes as u64 > limits.max_upload_bytes {
        return Err(violation(
            "bytes",
            format!(
                "the file is {bytes} bytes, over the Upload limit of {} bytes: split it into several files",
                limits.max_upload_bytes
            ),
        ));
    }
    if let Some(secs) = expires_after_secs
        && !(MIN_EXPIRES_AFTER_SECS..=MAX_EXPIRES_AFTER_SECS).contains(&secs)
    {
        return Err(violation(
            "expires_after",
            format!(
                "expires_after.seconds is {secs}: it must be between {MIN_EXPIRES_AFTER_SECS} (1 hour) and {MAX_EXPIRES_AFTER_SECS} (30 days)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both checks, as the local server runs them.
    fn check_create(
        filename: &str,
        purpose: &str,
        mime_type: &str,
        bytes: i64,
        expires: Option<i64>,
        l: &Limits,
    ) -> Result<(), RuleViolation> {
        super::check_create(filename, purpose, mime_type, bytes, expires, l)?;
        check_type(filename, purpose, mime_type)
    }

    #[test]
    fn the_limits_are_the_services() {
        assert_eq!(MAX_PART_BYTES, 67_108_864);
        assert_eq!(MAX_UPLOAD_BYTES, 8_589_934_592);
        assert_eq!(Limits::default().max_part_bytes, MAX_PART_BYTES);
        assert_eq!(Limits::default().max_upload_bytes, MAX_UPLOAD_BYTES);
        // The size limit is inclusive: exactly 8 GiB is taken, one byte more is not.
        let l = Limits::default();
        let at = MAX_UPLOAD_BYTES as i64;
        assert!(super::check_create("a.jsonl", "batch", "text/jsonl", at, None, &l).is_ok());
        assert!(super::check_create("a.jsonl", "batch", "text/jsonl", at + 1, None, &l).is_err());
        // Sizes: 0 bytes is a request the rules take (the service refuses an empty complete,
        // not the create); a negative size is not.
        assert!(super::check_create("a.jsonl", "batch", "text/jsonl", 0, None, &l).is_ok());
        let negative = super::check_create("a.jsonl", "batch", "text/jsonl", -1, None, &l);
        assert_eq!(negative.unwrap_err().param, "bytes");
        // Expiry: one hour to 30 days, both ends included.
        assert_eq!(MIN_EXPIRES_AFTER_SECS, 3_600);
        assert_eq!(MAX_EXPIRES_AFTER_SECS, 2_592_000);
        assert_eq!(BATCH_FILE_EXPIRES_AFTER_SECS, 2_592_000);
        assert_eq!(UPLOAD_TTL_SECS, 3_600);
        for (secs, ok) in [
            (3_599, false),
            (3_600, true),
            (2_592_000, true),
            (2_592_001, false),
        ] {
            let r = super::check_create("a.jsonl", "batch", "text/jsonl", 1, Some(secs), &l);
            assert_eq!(r.is_ok(), ok, "{secs}");
        }
        // The Batch API's limits.
        assert_eq!(MAX_BATCH_FILE_BYTES, 209_715_200);
        assert_eq!(
            (MAX_BATCH_REQUESTS, MAX_BATCH_EMBEDDING_INPUTS),
            (50_000, 50_000)
        );
        // Unix seconds of today, not of 1970.
        let now = unix_now();
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((now - system).abs() <= 2, "{now} vs {system}");
    }

    #[test]
    fn purposes_take_their_types() {
        let l = Limits::default();
        assert!(check_create("a.jsonl", "fine-tune", "text/jsonl", 10, None, &l).is_ok());
        assert_eq!(
            check_create("a.jsonl", "fine-tune", "image/png", 10, None, &l)
                .unwrap_err()
                .param,
            "mime_type"
        );
        assert_eq!(
            check_create("a.png", "batch", "image/png", 10, None, &l)
                .unwrap_err()
                .param,
            "filename"
        );
        assert!(check_create("a.PNG", "vision", "image/png", 10, None, &l).is_ok());
        assert!(check_create("a.pdf", "assistants", "application/pdf", 10, None, &l).is_ok());
        assert!(
            check_create(
                "a.bin",
                "user_data",
                "application/octet-stream",
                10,
                None,
                &l
            )
            .is_ok()
        );
        assert!(
            check_create(
                "a.bin",
                "brand_new",
                "application/octet-stream",
                10,
                None,
                &l
            )
            .is_ok()
        );
        assert_eq!(
            check_create("a.jsonl", "batch", "text/jsonl", 10, Some(60), &l)
                .unwrap_err()
                .param,
            "expires_after"
        );
        let over = MAX_UPLOAD_BYTES as i64 + 1;
        assert_eq!(
            check_create("a.jsonl", "batch", "text/jsonl", over, None, &l)
                .unwrap_err()
                .param,
            "bytes"
        );
        assert_eq!(mime_for_filename("x.JSONL"), Some("text/jsonl"));
        assert_eq!(mime_for_filename("x"), None);
    }
}

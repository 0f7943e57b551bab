//! Pre-flight checks: what is certain to fail or would waste work is refused before any request,
//! with a message that says how to fix it (a missing, unreadable, empty or non-regular file, a
//! size over the limit, a bad part size or expiry, an unknown purpose). What only our tables of
//! the service dislike (a MIME type or extension the purpose is not known to take) is a
//! warning: createUpload refuses before any byte moves, so trying costs nothing.

use uploads_client::rules::{self, Limits};

use crate::error::ValidationError;
use crate::source::{Identity, Source};
use uploads_client::rules::Purpose;

/// The options the checks need.
#[derive(Clone, Debug)]
pub(crate) struct Request<'a> {
    pub(crate) source: &'a Source,
    pub(crate) filename: Option<&'a str>,
    pub(crate) purpose: &'a Purpose,
    pub(crate) allow_unknown_purpose: bool,
    pub(crate) mime_type: Option<&'a str>,
    /// The part size asked for, if any (an automatic one is always in range).
    pub(crate) part_size: Option<u64>,
    /// The smallest part size asked for that is taken.
    pub(crate) min_part_size: u64,
    pub(crate) concurrency: usize,
    pub(crate) expires_after: Option<i64>,
    pub(crate) limits: &'a Limits,
    /// No warning when the MIME type and filename do not fit the purpose.
    pub(crate) skip_type_check: bool,
}

/// What passed the checks.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Checked {
    pub(crate) identity: Identity,
    pub(crate) filename: String,
    pub(crate) mime_type: String,
    /// What our tables of the service expect otherwise: said, not refused.
    pub(crate) warnings: Vec<String>,
}

/// Runs every check; the first failure is returned.
pub(crate) async fn preflight(req: &Request<'_>) -> Result<Checked, ValidationError> {
    if let Purpose::Other(p) = req.purpose
        && !req.allow_unknown_purpose
    {
        return Err(ValidationError::UnknownPurpose { purpose: p.clone() });
    }
    if let Some(size) = req.part_size
        && (size == 0 || size < req.min_part_size || size > req.limits.max_part_bytes)
    {
        return Err(ValidationError::PartSize {
            size,
            min: req.min_part_size.max(1),
            max: req.limits.max_part_bytes,
        });
    }
    if req.concurrency == 0 {
        return Err(ValidationError::Concurrency);
    }
    let identity = match req.source.path() {
        Some(path) => {
            let meta =
                tokio::fs::metadata(path)
                    .await
                    .map_err(|e| ValidationError::Unreadable {
                        path: path.to_owned(),
                        reason: e.to_string(),
                        not_found: e.kind() == std::io::ErrorKind::NotFound,
                    })?;
            if !meta.is_file() {
                return Err(ValidationError::NotAFile {
                    path: path.to_owned(),
                });
            }
            // Opening proves we can read it, before anything is created.
            tokio::fs::File::open(path)
                .await
                .map_err(|e| ValidationError::Unreadable {
                    path: path.to_owned(),
                    reason: e.to_string(),
                    not_found: false,
                })?;
            req.source
                .identity()
                .await
                .map_err(|e| ValidationError::Unreadable {
                    path: path.to_owned(),
                    reason: e.to_string(),
                    not_found: false,
                })?
        }
        None => req
            .source
            .identity()
            .await
            .map_err(|e| ValidationError::Unreadable {
                path: Default::default(),
                reason: e.to_string(),
                not_found: false,
            })?,
    };
    if identity.size == 0 {
        return Err(ValidationError::Empty {
            what: describe(req.source),
        });
    }
    if identity.size > req.limits.max_upload_bytes {
        return Err(ValidationError::TooLarge {
            what: describe(req.source),
            size: identity.size,
            max: req.limits.max_upload_bytes,
        });
    }
    let filename = match (req.filename, req.source.path()) {
        (Some(name), _) => name.to_owned(),
        (None, Some(path)) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        (None, None) => String::new(),
    };
    if filename.is_empty() {
        return Err(ValidationError::NoFilename);
    }
    // No type known for the extension: send the generic one and let the service decide (the
    // type check below says which types the purpose is known to take).
    let mime_type = req
        .mime_type
        .or_else(|| rules::mime_for_filename(&filename))
        .unwrap_or("application/octet-stream")
        .to_owned();
    rules::check_create(
        &filename,
        req.purpose.as_str(),
        &mime_type,
        i64::try_from(identity.size).unwrap_or(i64::MAX),
        req.expires_after,
        req.limits,
    )?;
    let mut warnings = Vec::new();
    if !req.skip_type_check
        && let Err(v) = rules::check_type(&filename, req.purpose.as_str(), &mime_type)
    {
        warnings.push(format!("{v}; sending it anyway: the service decides"));
    }
    Ok(Checked {
        warnings,
        identity,
        filename,
        mime_type,
    })
}

fn describe(source: &Source) -> String {
    match source.path() {
        Some(p) => p.display().to_string(),
        None => "the source".to_owned(),
    }
}

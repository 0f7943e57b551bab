//! Pre-flight checks: everything the API would refuse, refused here before any request, with a
//! message that says how to fix it.

use uploads_client::rules::{self, Limits};

use crate::error::ValidationError;
use crate::purpose::Purpose;
use crate::source::{Identity, Source};

/// The options the checks need.
#[derive(Clone, Debug)]
pub(crate) struct Request<'a> {
    pub(crate) source: &'a Source,
    pub(crate) filename: Option<&'a str>,
    pub(crate) purpose: &'a Purpose,
    pub(crate) allow_unknown_purpose: bool,
    pub(crate) mime_type: Option<&'a str>,
    pub(crate) part_size: u64,
    pub(crate) concurrency: usize,
    pub(crate) expires_after: Option<i64>,
    pub(crate) limits: &'a Limits,
    /// Send the MIME type and filename even if they do not fit the purpose.
    pub(crate) skip_type_check: bool,
}

/// What passed the checks.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Checked {
    pub(crate) identity: Identity,
    pub(crate) filename: String,
    pub(crate) mime_type: String,
}

/// Runs every check; the first failure is returned.
pub(crate) async fn preflight(req: &Request<'_>) -> Result<Checked, ValidationError> {
    if let Purpose::Other(p) = req.purpose
        && !req.allow_unknown_purpose
    {
        return Err(ValidationError::UnknownPurpose { purpose: p.clone() });
    }
    if req.part_size == 0 || req.part_size > req.limits.max_part_bytes {
        return Err(ValidationError::PartSize {
            size: req.part_size,
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
    let mime_type = match req.mime_type {
        Some(m) => m.to_owned(),
        None => match rules::mime_for_filename(&filename) {
            Some(m) => m.to_owned(),
            None if rules::Accepts::for_purpose(req.purpose.as_str())
                == rules::Accepts::Anything =>
            {
                "application/octet-stream".to_owned()
            }
            None => return Err(ValidationError::NoMimeType { filename }),
        },
    };
    let check = rules::check_create(
        &filename,
        req.purpose.as_str(),
        &mime_type,
        identity.size as i64,
        req.expires_after,
        req.limits,
    );
    match check {
        Err(v) if req.skip_type_check && matches!(v.param, "mime_type" | "filename") => {}
        other => other?,
    }
    Ok(Checked {
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

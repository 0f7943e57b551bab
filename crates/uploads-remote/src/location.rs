//! Source URLs: which ones are remote, which store reads them, and how a URL is shown (a
//! presigned URL's query is a credential: it is kept for the requests, never printed).

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::path::Path;
use url::Url;

use crate::error::RemoteError;

/// Options for the stores, as `key=value` pairs in each store's own names (`aws_endpoint`,
/// `aws_region`, `allow_http`, `azure_storage_use_emulator`, `google_service_account`, …):
/// given on top of what each store's standard environment variables say.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    pairs: Vec<(String, String)>,
}

impl StoreOptions {
    /// No option beyond the environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key=value`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.pairs.push((key.into(), value.into()));
        self
    }

    /// Parses `key=value`.
    pub fn parse_pair(text: &str) -> Result<(String, String), String> {
        match text.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
            _ => Err(format!("{text:?}: a store option is KEY=VALUE")),
        }
    }
}

impl FromIterator<(String, String)> for StoreOptions {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self {
            pairs: iter.into_iter().collect(),
        }
    }
}

/// What reads a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `s3://BUCKET/KEY` (and `s3a://`).
    S3,
    /// `az://CONTAINER/PATH` and the other forms `object_store` takes for Azure.
    Azure,
    /// `gs://BUCKET/KEY`.
    Gcs,
    /// `http(s)://…`, presigned or public: plain ranged GETs, the query kept.
    Http,
}

/// True if `arg` names a remote source rather than a local path.
pub fn is_remote(arg: &str) -> bool {
    scheme_of(arg).is_some()
}

/// The scheme `arg` starts with, if it is one this crate reads.
pub fn scheme_of(arg: &str) -> Option<Scheme> {
    let (scheme, rest) = arg.split_once("://")?;
    if rest.is_empty() {
        return None;
    }
    match scheme.to_ascii_lowercase().as_str() {
        "s3" | "s3a" => Some(Scheme::S3),
        "az" | "adl" | "azure" | "abfs" | "abfss" => Some(Scheme::Azure),
        "gs" => Some(Scheme::Gcs),
        "http" | "https" => Some(Scheme::Http),
        _ => None,
    }
}

/// The URL as messages show it: without its query (a presigned URL's signature) or any
/// user and password.
pub fn shown(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let had_query = u.query().is_some();
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_username("");
            let _ = u.set_password(None);
            let mut s = u.to_string();
            if had_query {
                s.push_str("?…");
            }
            s
        }
        Err(_) => url.split('?').next().unwrap_or(url).to_owned(),
    }
}

/// A store and the object path (or prefix) a store URL names.
pub(crate) struct StoreAt {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) path: Path,
    /// The URL's bucket or container part, for the URLs of listed objects.
    pub(crate) root: String,
}

/// Builds the store for `url` from its environment (each store's standard variables and
/// credential chain) and `options`.
pub(crate) fn store_for(url: &str, options: &StoreOptions) -> Result<StoreAt, RemoteError> {
    uploads_client::install_tls_provider();
    let bad = |why: String| RemoteError::Url {
        url: url.to_owned(),
        why,
    };
    let parsed = Url::parse(url).map_err(|e| bad(e.to_string()))?;
    let (_, path) =
        object_store::ObjectStoreScheme::parse(&parsed).map_err(|e| bad(e.to_string()))?;
    let root = format!(
        "{}://{}{}",
        parsed.scheme(),
        match parsed.username() {
            "" => String::new(),
            user => format!("{user}@"),
        },
        parsed.host_str().unwrap_or_default()
    );
    let option_error = |key: &str, why: String| RemoteError::Option {
        url: url.to_owned(),
        key: key.to_owned(),
        why,
    };
    let store: Arc<dyn ObjectStore> = match scheme_of(url) {
        Some(Scheme::S3) => {
            let mut b = AmazonS3Builder::from_env().with_url(url);
            for (k, v) in &options.pairs {
                let key: AmazonS3ConfigKey =
                    k.parse().map_err(|e| option_error(k, format!("{e}")))?;
                b = b.with_config(key, v);
            }
            Arc::new(b.build().map_err(|e| bad(e.to_string()))?)
        }
        Some(Scheme::Azure) => {
            let mut b = MicrosoftAzureBuilder::from_env().with_url(url);
            for (k, v) in &options.pairs {
                let key: AzureConfigKey = k.parse().map_err(|e| option_error(k, format!("{e}")))?;
                b = b.with_config(key, v);
            }
            Arc::new(b.build().map_err(|e| bad(e.to_string()))?)
        }
        Some(Scheme::Gcs) => {
            let mut b = GoogleCloudStorageBuilder::from_env().with_url(url);
            for (k, v) in &options.pairs {
                let key: GoogleConfigKey =
                    k.parse().map_err(|e| option_error(k, format!("{e}")))?;
                b = b.with_config(key, v);
            }
            Arc::new(b.build().map_err(|e| bad(e.to_string()))?)
        }
        Some(Scheme::Http) | None => {
            return Err(bad("not a store URL (s3://, az://, gs://)".into()));
        }
    };
    Ok(StoreAt { store, path, root })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_what_is_local() {
        assert_eq!(scheme_of("s3://b/k"), Some(Scheme::S3));
        assert_eq!(scheme_of("S3A://b/k"), Some(Scheme::S3));
        assert_eq!(
            scheme_of("abfss://c@acct.dfs.core.windows.net/p"),
            Some(Scheme::Azure)
        );
        assert_eq!(scheme_of("gs://b/k"), Some(Scheme::Gcs));
        assert_eq!(scheme_of("https://x/y?sig=1"), Some(Scheme::Http));
        for local in ["data.jsonl", "./s3:/x", "ftp://x/y", "s3://", "-"] {
            assert_eq!(scheme_of(local), None, "{local}");
            assert!(!is_remote(local), "{local}");
        }
        assert!(is_remote("gs://b/k") && is_remote("https://x/y"));
    }

    #[test]
    fn a_presigned_query_and_a_password_are_never_shown() {
        assert_eq!(
            shown("https://b.s3.amazonaws.com/k.jsonl?X-Amz-Signature=abc&X-Amz-Credential=x"),
            "https://b.s3.amazonaws.com/k.jsonl?…"
        );
        assert_eq!(shown("https://u:pw@host/p"), "https://host/p");
        assert_eq!(shown("s3://bucket/a/b.jsonl"), "s3://bucket/a/b.jsonl");
    }

    #[test]
    fn an_option_the_store_does_not_take_is_named() {
        let opts = StoreOptions::new().with("aws_no_such_thing", "1");
        let e = store_for("s3://bucket/key", &opts).err().unwrap();
        assert!(
            e.to_string().contains("store option \"aws_no_such_thing\""),
            "{e}"
        );
        assert_eq!(
            StoreOptions::parse_pair("aws_region=eu-west-1").unwrap(),
            ("aws_region".into(), "eu-west-1".into())
        );
        assert!(StoreOptions::parse_pair("novalue").is_err());
        assert!(
            StoreOptions::parse_pair(" =value").is_err(),
            "a key is needed"
        );
        // Collected pairs are options like any others.
        let collected: StoreOptions = [("aws_no_such_thing".to_owned(), "1".to_owned())]
            .into_iter()
            .collect();
        let e = store_for("s3://bucket/key", &collected).err().unwrap();
        assert!(e.to_string().contains("aws_no_such_thing"), "{e}");
    }
}

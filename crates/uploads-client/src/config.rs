//! Client configuration, read the way OpenAI's own SDKs read it.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use crate::{Client, USER_AGENT};

/// Where requests go unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// An API key. It never appears in `Debug` output, `Display` or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the `Authorization` header. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Everything needed to build a [`Client`]. `Debug` redacts the key.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The key sent as `Authorization: Bearer`.
    pub api_key: Option<ApiKey>,
    /// The API's base URL, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Sent as `OpenAI-Organization`.
    pub organization: Option<String>,
    /// Sent as `OpenAI-Project`.
    pub project: Option<String>,
    /// Send requests over plain `http://` to a host other than loopback. Off by default, so a
    /// key is never sent in clear by accident.
    pub allow_insecure_http: bool,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest time one request may take, body included. Parts get more, in proportion to
    /// their size (see [`part_timeout`](crate::part_timeout)).
    pub request_timeout: Duration,
    /// More headers sent with every request (an SDK client's `default_headers`); the key,
    /// organization and project above win over a header of the same name. Their values are
    /// kept out of `Debug`.
    pub extra_headers: ExtraHeaders,
}

/// Headers sent with every request; `Debug` shows their names only (a value may be a secret).
#[derive(Clone, Default)]
pub struct ExtraHeaders(pub Vec<(String, String)>);

impl fmt::Debug for ExtraHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            organization: None,
            project: None,
            allow_insecure_http: false,
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(600),
            extra_headers: ExtraHeaders::default(),
        }
    }
}

/// Why a [`Client`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No key was given.
    #[error("no API key: set OPENAI_API_KEY (or pass one explicitly)")]
    MissingApiKey,
    /// The base URL does not parse or has the wrong scheme.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Plain `http://` to a host that is not loopback, not explicitly allowed.
    #[error(
        "refusing to send the API key in clear to {url}: use https, or allow insecure http explicitly"
    )]
    InsecureBaseUrl {
        /// The URL given.
        url: String,
    },
    /// A value that cannot be sent as a header.
    #[error("{name} contains characters not allowed in an HTTP header")]
    InvalidHeader {
        /// The variable it came from.
        name: &'static str,
    },
    /// reqwest refused to build the client.
    #[error("could not build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

impl ClientConfig {
    /// Reads `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) with any source of variables (tests, config files).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Self {
            api_key: non_empty("OPENAI_API_KEY").map(ApiKey::new),
            base_url: non_empty("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
            organization: non_empty("OPENAI_ORG_ID"),
            project: non_empty("OPENAI_PROJECT_ID"),
            ..Self::default()
        }
    }

    /// The key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// The base URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The organization.
    pub fn organization(mut self, org: impl Into<String>) -> Self {
        self.organization = Some(org.into());
        self
    }

    /// The project.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// Allow plain `http://` to any host (the key travels in clear).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The longest time one request may take.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Adds a header sent with every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers.0.push((name.into(), value.into()));
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(&self) -> Result<Client, ConfigError> {
        let key = self.api_key.as_ref().ok_or(ConfigError::MissingApiKey)?;
        let base = self.checked_base_url()?;

        let mut headers = HeaderMap::new();
        for (name, value) in &self.extra_headers.0 {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ConfigError::InvalidHeader {
                    name: "a default header's name",
                }
            })?;
            let mut value =
                HeaderValue::try_from(value.as_str()).map_err(|_| ConfigError::InvalidHeader {
                    name: "a default header's value",
                })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let mut auth = HeaderValue::try_from(format!("Bearer {}", key.expose())).map_err(|_| {
            ConfigError::InvalidHeader {
                name: "OPENAI_API_KEY",
            }
        })?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        for (name, value, var) in [
            ("openai-organization", &self.organization, "OPENAI_ORG_ID"),
            ("openai-project", &self.project, "OPENAI_PROJECT_ID"),
        ] {
            if let Some(value) = value {
                let value = HeaderValue::try_from(value.as_str())
                    .map_err(|_| ConfigError::InvalidHeader { name: var })?;
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        crate::install_tls_provider();
        let mut http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout);
        // Traffic that never leaves the machine never goes through a proxy, whatever
        // http_proxy, HTTPS_PROXY or all_proxy say (a local server behind a proxy is
        // unreachable, and curl and the SDKs' HTTP clients skip loopback alike).
        if reqwest::Url::parse(&base).is_ok_and(|url| is_loopback(&url)) {
            http = http.no_proxy();
        }
        let http = http.build()?;
        Ok(Client::new_with_client(&base, http))
    }

    /// True if the base URL is plain `http://` to a host other than loopback: allowed only with
    /// [`allow_insecure_http`](Self::allow_insecure_http), and worth a warning then.
    pub fn sends_key_in_clear(&self) -> bool {
        reqwest::Url::parse(&self.base_url)
            .is_ok_and(|url| url.scheme() == "http" && !is_loopback(&url))
    }

    /// The base URL without a trailing slash, refused if it would send the key in clear.
    fn checked_base_url(&self) -> Result<String, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
            url: masked(&self.base_url),
            reason: reason.to_owned(),
        };
        let url = reqwest::Url::parse(&self.base_url).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => invalid(
                "it has no scheme: write it in full, like https://api.openai.com/v1 or http://127.0.0.1:8080/v1",
            ),
            e => invalid(&e.to_string()),
        })?;
        // Userinfo would turn the bearer key into Basic auth; a query or fragment would be
        // glued onto every path. None of them belongs in a base URL.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "it holds a user name or password: give the key with OPENAI_API_KEY instead",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "it has a query (?...) or fragment (#...): give the bare base, like https://api.openai.com/v1",
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" => {
                if !is_loopback(&url) && !self.allow_insecure_http {
                    return Err(ConfigError::InsecureBaseUrl {
                        url: masked(&self.base_url),
                    });
                }
            }
            _ => return Err(invalid("the scheme must be https (or http for loopback)")),
        }
        Ok(self.base_url.trim_end_matches('/').to_owned())
    }
}

/// The URL with any user name and password before its host replaced by `***`, so that an
/// error never echoes a secret given there.
fn masked(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

/// True for `localhost` and loopback addresses: traffic that never leaves the machine.
fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

//! Configuration: environment variables, the insecure-http guard, and the key kept secret.

use std::collections::HashMap;

use uploads_client::{ClientConfig, ConfigError};

fn from(vars: &[(&str, &str)]) -> ClientConfig {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ClientConfig::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn reads_the_same_variables_as_openais_sdks() {
    let cfg = from(&[
        ("OPENAI_API_KEY", "sk-abc"),
        ("OPENAI_BASE_URL", "https://example.test/v1/"),
        ("OPENAI_ORG_ID", "org-1"),
        ("OPENAI_PROJECT_ID", "proj-1"),
    ]);
    assert_eq!(cfg.api_key.as_ref().unwrap().expose(), "sk-abc");
    assert_eq!(cfg.base_url, "https://example.test/v1/");
    assert_eq!(cfg.organization.as_deref(), Some("org-1"));
    assert_eq!(cfg.project.as_deref(), Some("proj-1"));
    let defaults = from(&[]);
    assert_eq!(defaults.base_url, "https://api.openai.com/v1");
    assert!(matches!(defaults.build(), Err(ConfigError::MissingApiKey)));
}

#[test]
fn plain_http_is_refused_except_on_loopback_or_when_allowed() {
    let base = |url: &str| ClientConfig::default().api_key("k").base_url(url);
    assert!(base("http://127.0.0.1:8080/v1").build().is_ok());
    assert!(base("http://localhost:8080/v1").build().is_ok());
    assert!(base("http://[::1]:8080/v1").build().is_ok());
    let err = base("http://example.com/v1").build().unwrap_err();
    assert!(matches!(err, ConfigError::InsecureBaseUrl { .. }), "{err}");
    assert!(
        base("http://example.com/v1")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    assert!(matches!(
        base("ftp://x/v1").build(),
        Err(ConfigError::InvalidBaseUrl { .. })
    ));
    for url in [
        "https://user:pass@api.example.com/v1",
        "https://user@api.example.com/v1",
        "https://api.example.com/v1?x=1",
        "https://api.example.com/v1#frag",
    ] {
        assert!(
            matches!(base(url).build(), Err(ConfigError::InvalidBaseUrl { .. })),
            "{url}"
        );
    }
    // A secret in the URL is never echoed; a URL without a scheme says so.
    for url in [
        "http://user:sk-pw@example.com/v1",
        "https://user:sk-pw@api.example.com/v1",
        "http://user:sk-pw@example.com:99999/v1",
    ] {
        let err = base(url).build().unwrap_err().to_string();
        assert!(!err.contains("sk-pw") && !err.contains("user:"), "{err}");
        assert!(err.contains("***@"), "{err}");
    }
    let err = base("api.example.com/v1").build().unwrap_err().to_string();
    assert!(err.contains("it has no scheme"), "{err}");
    // What the CLI warns about once allowed.
    assert!(base("http://example.com/v1").sends_key_in_clear());
    assert!(!base("http://127.0.0.1:8080/v1").sends_key_in_clear());
    assert!(!base("https://example.com/v1").sends_key_in_clear());
    // https to anywhere is the normal case.
    assert!(base("https://api.example.com/v1/").build().is_ok());
}

#[test]
fn the_key_never_appears_in_debug_or_errors() {
    let secret = "sk-very-secret-value";
    let cfg = ClientConfig::default()
        .api_key(secret)
        .base_url("http://example.com/v1")
        .header("X-Custom-Auth", "hdr-very-secret");
    assert!(!format!("{cfg:?}").contains(secret));
    assert!(!format!("{cfg:?}").contains("hdr-very-secret"));
    assert!(format!("{cfg:?}").contains("X-Custom-Auth"));
    let client = cfg.clone().allow_insecure_http(true).build().unwrap();
    assert!(!format!("{client:?}").contains(secret), "{client:?}");
    let err = cfg.build().unwrap_err();
    assert!(!format!("{err} {err:?}").contains(secret));
    // The key's own Debug names what it hides.
    let key = cfg.api_key.as_ref().unwrap();
    assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    let bad = ClientConfig::default()
        .api_key("sk-bad\nkey")
        .build()
        .unwrap_err();
    assert!(!format!("{bad} {bad:?}").contains("sk-bad"));
}

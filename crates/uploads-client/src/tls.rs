//! The TLS crypto provider, chosen by feature: reqwest is built without one, so the process
//! needs one installed before any HTTP client is built.

#[cfg(not(any(feature = "tls-ring", feature = "tls-aws-lc-rs")))]
compile_error!("uploads-client needs a TLS provider: enable feature `tls-ring` or `tls-aws-lc-rs`");

/// Installs this crate's TLS crypto provider as the process default, unless one is already
/// installed (an application's own choice wins). Cheap and idempotent; [`ClientConfig::build`]
/// calls it, so only code that builds a `reqwest::Client` itself needs to.
///
/// [`ClientConfig::build`]: crate::ClientConfig::build
pub fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_some() {
        return;
    }
    #[cfg(feature = "tls-ring")]
    let provider = rustls::crypto::ring::default_provider();
    #[cfg(all(feature = "tls-aws-lc-rs", not(feature = "tls-ring")))]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    // `Err` means another thread installed one first, which is just as good.
    let _ = provider.install_default();
}

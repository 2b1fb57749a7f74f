//! The network between the runner and its target, as the HTTP client is built for it: the
//! certificates trusted (the platform's roots, plus the PEM files of
//! [`ClientConfig::ca_certs`], or none checked with [`ClientConfig::insecure`]), the proxy
//! ([`ProxyChoice`]), and the extra headers of every request. A configuration that cannot
//! work is a [`ClientError`] here, before any request.
//!
//! Proxies: by default a target that is not on loopback goes through the proxy the
//! environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, except `NO_PROXY`'s hosts),
//! and a loopback target is always reached directly, so a CI job's proxy never captures the
//! embedded reference server; an explicit proxy ([`ProxyChoice::Explicit`]) is used for every
//! target. See [`ProxyChoice`].
//!
//! It builds the client once; it never sends a request.

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use reqwest::header::{HeaderName, HeaderValue};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::config::{ClientConfig, HeaderError, ProxyChoice, checked_header};
use super::secret::{Redactor, Secret};

/// Why the client for a configuration cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A CA file could not be read.
    #[error("{path}: cannot read the CA file: {source}")]
    CaFileUnreadable {
        /// The file.
        path: Utf8PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A CA file holds no PEM certificate.
    #[error("{path}: the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    CaFileEmpty {
        /// The file.
        path: Utf8PathBuf,
    },
    /// A certificate of a CA file cannot be used as a root.
    #[error("{path}: certificate {index} of the CA file cannot be used: {message}")]
    CaFileInvalid {
        /// The file.
        path: Utf8PathBuf,
        /// Which certificate of the file (1-based).
        index: usize,
        /// What is wrong with it.
        message: String,
    },
    /// An extra header cannot be sent.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The explicit proxy cannot be used.
    #[error("the proxy cannot be used: {0}")]
    Proxy(String),
    /// The HTTP client could not be built.
    #[error("the HTTP client cannot be built: {0}")]
    Build(String),
}

/// The HTTP client for `config`, and the extra headers of every request as they go on the
/// wire. Secrets of the configuration (header values, the proxy) are registered with
/// `redactor` first.
pub(super) fn http_client(
    config: &ClientConfig,
    redactor: &Redactor,
) -> Result<(reqwest::Client, Vec<(HeaderName, HeaderValue)>), ClientError> {
    let builder = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("rc-conform/", env!("CARGO_PKG_VERSION")));
    let builder = tls(proxy(builder, config, redactor)?, config)?;
    let mut headers = Vec::with_capacity(config.headers.len());
    for (name, value) in &config.headers {
        redactor.register(value);
        headers.push(checked_header(name, value)?);
    }
    let http = builder
        .build()
        .map_err(|e| ClientError::Build(redactor.scrub(&error_chain(&e))))?;
    Ok((http, headers))
}

fn proxy(
    builder: reqwest::ClientBuilder,
    config: &ClientConfig,
    redactor: &Redactor,
) -> Result<reqwest::ClientBuilder, ClientError> {
    match &config.proxy {
        // reqwest reads the environment's proxies when none is configured.
        ProxyChoice::Environment if !is_loopback(&config.base_url) => Ok(builder),
        ProxyChoice::Environment | ProxyChoice::Direct => Ok(builder.no_proxy()),
        ProxyChoice::Explicit { url, no_proxy } => {
            redactor.register(url);
            if let Some(password) = reqwest::Url::parse(url.expose())
                .ok()
                .and_then(|u| u.password().map(str::to_owned))
            {
                redactor.register(&Secret::new(password));
            }
            let proxy = reqwest::Proxy::all(url.expose())
                .map_err(|e| ClientError::Proxy(redactor.scrub(&error_chain(&e))))?
                .no_proxy(no_proxy.as_deref().and_then(reqwest::NoProxy::from_string));
            Ok(builder.proxy(proxy))
        }
    }
}

fn tls(
    mut builder: reqwest::ClientBuilder,
    config: &ClientConfig,
) -> Result<reqwest::ClientBuilder, ClientError> {
    let mut roots = Vec::new();
    for path in &config.ca_certs {
        roots.extend(ca_file(path)?);
    }
    if config.base_url.starts_with("http://") {
        // Plain HTTP never verifies a certificate: skip loading the system's roots (a few
        // milliseconds of PEM parsing per run).
        return Ok(builder.tls_certs_only(roots));
    }
    if config.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if !roots.is_empty() {
        builder = builder.tls_certs_merge(roots);
    }
    Ok(builder)
}

/// The certificates of the PEM file at `path`, each checked to be usable as a root.
fn ca_file(path: &Utf8Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let bytes = std::fs::read(path).map_err(|source| ClientError::CaFileUnreadable {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |index: usize, message: String| ClientError::CaFileInvalid {
        path: path.to_owned(),
        index,
        message,
    };
    let mut check = rustls::RootCertStore::empty();
    let mut certificates = Vec::new();
    for (n, der) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let der = der.map_err(|e| invalid(n + 1, e.to_string()))?;
        check
            .add(der.clone())
            .map_err(|e| invalid(n + 1, e.to_string()))?;
        let certificate =
            reqwest::Certificate::from_der(&der).map_err(|e| invalid(n + 1, e.to_string()))?;
        certificates.push(certificate);
    }
    if certificates.is_empty() {
        return Err(ClientError::CaFileEmpty {
            path: path.to_owned(),
        });
    }
    Ok(certificates)
}

/// Whether `url` names a loopback host.
pub(super) fn is_loopback(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    host == "localhost" || host.starts_with("127.") || url.contains("://[::1]")
}

/// `error` and every error under it, joined with `: `.
pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:3000"));
        assert!(is_loopback("http://localhost:3000/x"));
        assert!(is_loopback("http://[::1]:3000"));
        assert!(!is_loopback("https://chat.example.org"));
        assert!(!is_loopback("https://localhost.example.org"));
    }
}

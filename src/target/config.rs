//! How a [`super::Client`] talks to its target: the server root, timeouts, body limit and
//! retry bounds, and what the network between needs ([`ClientConfig`]): certificates of an
//! internal CA, `insecure`, extra headers for a gateway ([`parse_header`]), and the proxy
//! ([`ProxyChoice`]).
//!
//! Configuration only: it builds nothing and sends nothing (the client's `connect` module
//! turns it into an HTTP client).

use std::time::Duration;

use camino::Utf8PathBuf;
use reqwest::header::{HeaderName, HeaderValue};

use super::secret::Secret;

/// How the client talks to the target.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Server root, e.g. `https://chat.example.org` (no trailing slash).
    pub base_url: String,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Largest response body read; a larger one is a transport failure with evidence.
    pub max_body: usize,
    /// Attempts per request for connection failures, 429 and 503 (1 = no retry).
    pub attempts: u32,
    /// Longest wait before a retry (Retry-After beyond it is capped).
    pub max_retry_wait: Duration,
    /// PEM files whose certificates are trusted besides the platform's roots (a staging
    /// server behind an internal CA); each file may hold several certificates.
    pub ca_certs: Vec<Utf8PathBuf>,
    /// Accept any certificate and any host name. Only for a target whose certificate cannot
    /// be verified at all: the connection is then open to interception.
    pub insecure: bool,
    /// Headers sent on every request (a gateway's key, say). Their values are secrets: they
    /// are registered with the run's redactor and every record shows them redacted.
    pub headers: Vec<(String, Secret)>,
    /// Which proxy requests go through.
    pub proxy: ProxyChoice,
}

impl ClientConfig {
    /// Defaults for `base_url`: 30 s timeout, 4 MiB bodies, 4 attempts, waits up to 65 s,
    /// the platform's roots, no extra header, proxies from the environment.
    pub fn new(base_url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(30),
            max_body: 4 * 1024 * 1024,
            attempts: 4,
            max_retry_wait: Duration::from_secs(65),
            ca_certs: Vec::new(),
            insecure: false,
            headers: Vec::new(),
            proxy: ProxyChoice::Environment,
        }
    }
}

/// What the network between the runner and a target needs: an internal CA's certificates,
/// `insecure`, a gateway's headers, the proxy (the `--cacert`, `--insecure`, `--header`,
/// `--proxy` flags).
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// PEM files trusted besides the platform's roots.
    pub ca_certs: Vec<Utf8PathBuf>,
    /// Accept any certificate and host name.
    pub insecure: bool,
    /// Headers sent on every request; their values are secrets.
    pub headers: Vec<(String, Secret)>,
    /// Which proxy requests go through.
    pub proxy: ProxyChoice,
}

impl ClientConfig {
    /// This configuration with `network`'s certificates, headers and proxy.
    pub fn with_network(mut self, network: &Network) -> ClientConfig {
        self.ca_certs.clone_from(&network.ca_certs);
        self.insecure = network.insecure;
        self.headers.clone_from(&network.headers);
        self.proxy = network.proxy.clone();
        self
    }
}

/// Which proxy the client goes through.
///
/// With [`ProxyChoice::Environment`] (the default), a target on another host goes through the
/// proxy the environment names, as curl and reqwest read it: `HTTPS_PROXY` for `https://`
/// targets, `HTTP_PROXY` for `http://` ones, `ALL_PROXY` for both (lower-case names too),
/// except the hosts `NO_PROXY` lists. A loopback target (`localhost`, `127.0.0.0/8`, `[::1]`:
/// the embedded reference server, or a server on the runner's own machine) is always reached
/// directly: a proxy set for a CI job's outbound traffic must not capture it, and a proxy
/// elsewhere would resolve "localhost" to itself. To send loopback traffic through a proxy
/// (a local debugging proxy), name it with [`ProxyChoice::Explicit`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// The environment's proxies for a target that is not on loopback (see above).
    #[default]
    Environment,
    /// No proxy, whatever the environment says.
    Direct,
    /// This proxy for every target, loopback included, whatever the environment says.
    Explicit {
        /// The proxy, e.g. `http://proxy.internal:3128` (it may hold credentials).
        url: Secret,
        /// Hosts reached directly, in `NO_PROXY`'s syntax (comma-separated names, which
        /// match their subdomains too, IP addresses and CIDR ranges, or `*`).
        no_proxy: Option<String>,
    },
}

/// Why a header given as `Name: value` cannot be sent. It never shows the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// No colon between the name and the value.
    #[error("a header is given as `Name: value`, and this one has no colon")]
    NoColon,
    /// Nothing before the colon.
    #[error("a header needs a name before its colon")]
    EmptyName,
    /// The name holds characters a header name cannot (spaces, say).
    #[error("`{0}` is not a valid header name")]
    InvalidName(String),
    /// The value holds characters a header value cannot (a line break, say).
    #[error("the value of header `{0}` holds characters a header cannot carry")]
    InvalidValue(String),
    /// The client sets this header itself.
    #[error("header `{0}` is set by the client itself and cannot be given")]
    Reserved(String),
}

/// Headers the client sets itself on each request: a second value would contradict it.
const RESERVED: [&str; 9] = [
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "x-user-id",
    "x-auth-token",
    "x-2fa-method",
    "x-2fa-code",
];

/// A header given as `Name: value` (e.g. `--header 'X-Gateway-Key: abc'`): the name, and the
/// value as a secret. Spaces around both are dropped; the value may be empty.
pub fn parse_header(text: &str) -> Result<(String, Secret), HeaderError> {
    let (name, value) = text.split_once(':').ok_or(HeaderError::NoColon)?;
    let (name, value) = (name.trim(), Secret::new(value.trim()));
    checked_header(name, &value)?;
    Ok((name.to_owned(), value))
}

/// `name` and `value` as they go on the wire (the value marked sensitive), or why they
/// cannot.
pub(super) fn checked_header(
    name: &str,
    value: &Secret,
) -> Result<(HeaderName, HeaderValue), HeaderError> {
    if name.is_empty() {
        return Err(HeaderError::EmptyName);
    }
    let header = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| HeaderError::InvalidName(name.into()))?;
    if RESERVED.contains(&header.as_str()) {
        return Err(HeaderError::Reserved(name.to_owned()));
    }
    let mut value = HeaderValue::from_str(value.expose())
        .map_err(|_| HeaderError::InvalidValue(name.to_owned()))?;
    value.set_sensitive(true);
    Ok((header, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_as_name_and_secret_value() {
        let (name, value) = parse_header("X-Gateway-Key:  k3y: with colon ").unwrap_or_else(|e| {
            panic!("a header: {e}");
        });
        assert_eq!(name, "X-Gateway-Key");
        assert_eq!(value.expose(), "k3y: with colon");
        assert_eq!(
            parse_header("X-Empty:").map(|(n, v)| (n, v.expose().to_owned())),
            Ok(("X-Empty".to_owned(), String::new()))
        );
    }

    #[test]
    fn malformed_headers_say_why_without_the_value() {
        let cases = [
            ("X-Key=secret-value", HeaderError::NoColon),
            (": secret-value", HeaderError::EmptyName),
            ("  : secret-value", HeaderError::EmptyName),
            (
                "X Key: secret-value",
                HeaderError::InvalidName("X Key".into()),
            ),
            (
                "X-Key: secret\u{7}value",
                HeaderError::InvalidValue("X-Key".into()),
            ),
            (
                "x-auth-token: secret-value",
                HeaderError::Reserved("x-auth-token".into()),
            ),
            (
                "Content-Type: text/plain",
                HeaderError::Reserved("Content-Type".into()),
            ),
        ];
        for (text, expected) in cases {
            let error = parse_header(text).map(|(n, _)| n);
            assert_eq!(error, Err(expected.clone()), "{text}");
            assert!(!expected.to_string().contains("secret"), "{expected}");
        }
    }
}

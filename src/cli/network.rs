//! The flags of the network between the runner and a target, shared by `run` and
//! `cleanup`: an internal CA's certificates, `--insecure`, a gateway's headers, the proxy.

use camino::Utf8PathBuf;

use crate::target::{Network, ProxyChoice, Secret, parse_header};

/// Network flags.
#[derive(Debug, Clone, clap::Args)]
pub struct NetworkArgs {
    /// A PEM file of certificates to trust besides the platform's roots (an internal CA;
    /// repeatable).
    #[arg(long = "cacert", value_name = "FILE", env = "RC_CONFORM_CACERT")]
    pub ca_certs: Vec<Utf8PathBuf>,
    /// Accept any certificate and host name of the target (the connection can then be
    /// intercepted; every report says so).
    #[arg(long, env = "RC_CONFORM_INSECURE")]
    pub insecure: bool,
    /// A header sent on every request to the target, `Name: value` (a gateway's key;
    /// repeatable; the value is redacted like every secret).
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = header, hide_env_values = true)]
    pub headers: Vec<(String, Secret)>,
    /// Send every request through this proxy (default: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY
    /// and NO_PROXY for a target not on loopback).
    #[arg(long, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,
    /// Reach the target directly, whatever the environment's proxies say.
    #[arg(long)]
    pub no_proxy: bool,
}

fn header(text: &str) -> Result<(String, Secret), crate::target::HeaderError> {
    parse_header(text)
}

impl NetworkArgs {
    /// The network these flags describe.
    pub fn network(&self) -> Network {
        let proxy = match (&self.proxy, self.no_proxy) {
            (Some(url), _) => ProxyChoice::Explicit {
                url: Secret::new(url.clone()),
                no_proxy: None,
            },
            (None, true) => ProxyChoice::Direct,
            (None, false) => ProxyChoice::Environment,
        };
        Network {
            ca_certs: self.ca_certs.clone(),
            insecure: self.insecure,
            headers: self.headers.clone(),
            proxy,
        }
    }
}

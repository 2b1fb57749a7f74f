//! The network of a staging deployment, in miniature, for the target client's tests: a CA
//! and server certificates made on the spot ([`Pki`]), an HTTPS server on a free loopback
//! port that notes the headers it was sent ([`HttpsServer`]), and an HTTP CONNECT proxy that
//! counts the tunnels it opened ([`ConnectProxy`]).
//!
//! Everything runs over real sockets; the client under test is never mocked.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use camino::Utf8PathBuf;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The name the proxy resolves to loopback: a host only the proxy can reach.
pub(crate) const PROXIED_HOST: &str = "rcc-proxied.test";

/// A test CA, and a server certificate it issued.
pub(crate) struct Pki {
    /// The CA's certificate, PEM.
    pub(crate) ca_pem: String,
    /// The server's certificate.
    pub(crate) server_cert: CertificateDer<'static>,
    /// The server's key.
    pub(crate) server_key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    /// A new CA and a certificate it issued for `names` (host names or IP addresses).
    pub(crate) fn new(names: &[&str]) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "rc-conform test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a CA key"))
            .expect("a CA");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let server_key = KeyPair::generate().expect("a server key");
        let server = CertificateParams::new(names)
            .expect("server params")
            .signed_by(&server_key, &ca)
            .expect("a server certificate");
        Pki {
            ca_pem: ca.pem(),
            server_cert: server.der().clone(),
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
        }
    }

    /// The usual one: for `localhost`, `127.0.0.1` and [`PROXIED_HOST`].
    pub(crate) fn local() -> Pki {
        Pki::new(&["localhost", "127.0.0.1", PROXIED_HOST])
    }

    /// The CA certificate written to `name` in `dir`.
    pub(crate) fn write_ca(&self, dir: &tempfile::TempDir, name: &str) -> Utf8PathBuf {
        write(dir, name, &self.ca_pem)
    }
}

/// `text` written to `name` in `dir`.
pub(crate) fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> Utf8PathBuf {
    let path = Utf8PathBuf::from_path_buf(dir.path().join(name)).expect("a UTF-8 path");
    std::fs::write(&path, text).expect("written");
    path
}

/// An HTTPS server on a free loopback port. Every path answers 200 with a Rocket.Chat-like
/// `/api/info` body that echoes the `X-Gateway-Key` header it got.
pub(crate) struct HttpsServer {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// The headers of every request it answered.
    pub(crate) seen: Arc<Mutex<Vec<HeaderMap>>>,
}

impl HttpsServer {
    /// Serves with `pki`'s server certificate.
    pub(crate) async fn start(pki: &Pki) -> HttpsServer {
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![pki.server_cert.clone()],
                PrivateKeyDer::Pkcs8(pki.server_key.clone_key()),
            )
            .expect("a TLS server configuration");
        let tcp = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a free port");
        let addr = tcp.local_addr().expect("the address");
        let seen: Arc<Mutex<Vec<HeaderMap>>> = Arc::default();
        let noted = seen.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap| {
            let noted = noted.clone();
            async move {
                let key = headers
                    .get("x-gateway-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                noted.lock().expect("the log").push(headers);
                axum::Json(serde_json::json!({
                    "success": true, "version": "8.5.0", "gatewayKey": key,
                }))
            }
        });
        let listener = TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        };
        tokio::spawn(async move { axum::serve(listener, app).await });
        HttpsServer { addr, seen }
    }

    /// Its root URL with `host` for a name.
    pub(crate) fn url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.addr.port())
    }
}

/// TLS over a TCP listener, for `axum::serve`: connections whose handshake fails (a client
/// that does not trust the certificate) are dropped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An HTTP proxy that only tunnels (`CONNECT host:port`), resolving [`PROXIED_HOST`] to
/// loopback, and notes every tunnel's target.
pub(crate) struct ConnectProxy {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// The `host:port` of every CONNECT.
    pub(crate) connects: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// Starts it on a free loopback port.
    pub(crate) async fn start() -> ConnectProxy {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("the address");
        let connects: Arc<Mutex<Vec<String>>> = Arc::default();
        let noted = connects.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(tunnel(stream, noted.clone()));
            }
        });
        ConnectProxy { addr, connects }
    }

    /// Its URL, as `HTTPS_PROXY` names it.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The tunnels opened so far.
    pub(crate) fn connects(&self) -> Vec<String> {
        self.connects.lock().expect("the log").clone()
    }
}

async fn tunnel(mut client: TcpStream, connects: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut words = head.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    connects.lock().expect("the log").push(target.to_owned());
    let reach = match target.rsplit_once(':') {
        Some((host, port)) if host == PROXIED_HOST => format!("127.0.0.1:{port}"),
        _ => target.to_owned(),
    };
    let Ok(mut server) = TcpStream::connect(reach).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_ok()
    {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}

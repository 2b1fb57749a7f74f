//! The target client against an HTTPS server whose certificate an internal CA issued, over
//! real sockets: not trusted by default (a TLS error with evidence, not retried), trusted with
//! the CA's PEM file (`ca_certs`), accepted blindly with `insecure`; CA files that cannot be
//! used are errors that name the file; extra headers reach the server and never a record.

use crate::target_support::{HttpsServer, Pki, write};
use rc_conform::target::api::{Api, ApiError};
use rc_conform::target::{
    Client, ClientConfig, ClientError, Purpose, Redactor, Request, Secret, TransportError,
    parse_header,
};

fn config(url: String) -> ClientConfig {
    ClientConfig::new(url)
}

async fn get(config: ClientConfig) -> rc_conform::target::Sent {
    let client = Client::new(config, Redactor::default()).expect("a client");
    client
        .dispatch(&Request::get("/api/info", Purpose::Preflight))
        .await
}

#[tokio::test]
async fn an_unknown_ca_is_a_tls_error_with_evidence_and_no_retry() {
    let pki = Pki::local();
    let server = HttpsServer::start(&pki).await;
    let sent = get(config(server.url("localhost"))).await;
    let Err(TransportError::Tls(message)) = &sent.outcome else {
        panic!("expected a TLS error, got {:?}", sent.outcome);
    };
    assert!(message.contains("certificate"), "{message}");
    let exchange = sent.exchange();
    assert_eq!(exchange.status, None);
    assert_eq!(exchange.attempts, 1, "a certificate error is not retried");
    assert!(exchange.retries.is_empty());
    let error = exchange.error.unwrap_or_default();
    assert!(error.starts_with("TLS handshake failed: "), "{error}");
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert!(server.seen.lock().expect("log").is_empty());

    // Through the API, it is a transport failure carrying that exchange.
    let client = Client::new(config(server.url("127.0.0.1")), Redactor::default());
    let api = Api::new(client.expect("a client"));
    match api.server_version(None).await {
        Err(e @ ApiError::Transport { .. }) => {
            assert!(e.is_transport());
            assert!(e.exchange().url.ends_with("/api/info"));
            assert!(e.to_string().contains("TLS handshake failed"), "{e}");
        }
        other => panic!("expected a transport failure, got {other:?}"),
    }
}

#[tokio::test]
async fn the_ca_file_makes_the_server_trusted() {
    let pki = Pki::local();
    let server = HttpsServer::start(&pki).await;
    let dir = tempfile::tempdir().expect("a directory");
    let ca = pki.write_ca(&dir, "ca.pem");
    for host in ["localhost", "127.0.0.1"] {
        let mut c = config(server.url(host));
        c.ca_certs = vec![ca.clone()];
        let sent = get(c).await;
        assert_eq!(sent.status(), Some(200), "{host}: {:?}", sent.outcome);
    }
    // One file with several certificates (another CA first), and repeated files.
    let other = Pki::new(&["elsewhere.example"]);
    let bundle = write(
        &dir,
        "bundle.pem",
        &format!("{}\n{}", other.ca_pem, pki.ca_pem),
    );
    let mut c = config(server.url("localhost"));
    c.ca_certs = vec![bundle];
    assert_eq!(get(c).await.status(), Some(200));
    let mut c = config(server.url("localhost"));
    c.ca_certs = vec![other.write_ca(&dir, "other.pem"), ca];
    let sent = get(c).await;
    assert_eq!(sent.status(), Some(200), "{:?}", sent.outcome);
    let api = Api::new(
        Client::new(
            {
                let mut c = config(server.url("localhost"));
                c.ca_certs = vec![pki.write_ca(&dir, "again.pem")];
                c
            },
            Redactor::default(),
        )
        .expect("a client"),
    );
    assert_eq!(
        api.server_version(None).await.expect("an answer"),
        Some("8.5.0".to_owned())
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_unless_insecure() {
    let pki = Pki::new(&["elsewhere.example"]);
    let server = HttpsServer::start(&pki).await;
    let dir = tempfile::tempdir().expect("a directory");
    let mut c = config(server.url("localhost"));
    c.ca_certs = vec![pki.write_ca(&dir, "ca.pem")];
    let sent = get(c).await;
    match &sent.outcome {
        Err(TransportError::Tls(m)) => assert!(m.contains("not valid for name"), "{m}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }

    // `insecure` accepts a certificate of an unknown CA for another name.
    let mut c = config(server.url("localhost"));
    c.insecure = true;
    let sent = get(c).await;
    assert_eq!(sent.status(), Some(200), "{:?}", sent.outcome);
    let mut c = config(server.url("127.0.0.1"));
    c.insecure = true;
    assert_eq!(get(c).await.status(), Some(200));
}

#[test]
fn ca_files_that_cannot_be_used_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("a directory");
    let build = |path| {
        let mut c = config("https://chat.example.org".into());
        c.ca_certs = vec![path];
        Client::new(c, Redactor::default()).err()
    };
    let missing = write(&dir, "x", "").with_file_name("missing.pem");
    let error = build(missing.clone());
    assert!(
        matches!(&error, Some(ClientError::CaFileUnreadable { path, .. }) if *path == missing),
        "{error:?}"
    );
    assert!(
        error
            .map(|e| e.to_string())
            .unwrap_or_default()
            .starts_with(missing.as_str())
    );

    let key_only = write(
        &dir,
        "key.pem",
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    );
    let error = build(key_only.clone());
    assert!(
        matches!(&error, Some(ClientError::CaFileEmpty { path }) if *path == key_only),
        "{error:?}"
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("holds no PEM certificate"), "{message}");
    assert!(message.starts_with(key_only.as_str()), "{message}");

    let garbage = write(
        &dir,
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
    );
    let error = build(garbage.clone());
    assert!(
        matches!(&error, Some(ClientError::CaFileInvalid { path, index: 1, .. }) if *path == garbage),
        "{error:?}"
    );
}

#[tokio::test]
async fn extra_headers_reach_the_server_and_are_redacted_in_records() {
    let pki = Pki::local();
    let server = HttpsServer::start(&pki).await;
    let dir = tempfile::tempdir().expect("a directory");
    let mut c = config(server.url("localhost"));
    c.ca_certs = vec![pki.write_ca(&dir, "ca.pem")];
    c.headers = vec![
        parse_header("X-Gateway-Key: gw-secret-0123456789").expect("a header"),
        parse_header("X-Tenant:staging-eu").expect("a header"),
    ];
    let redactor = Redactor::default();
    let client = Client::new(c, redactor.clone()).expect("a client");
    let request = Request::get("/api/info", Purpose::Preflight);
    let sent = client.dispatch(&request).await;
    assert_eq!(sent.status(), Some(200), "{:?}", sent.outcome);

    let seen = server.seen.lock().expect("log").clone();
    let last = seen.last().expect("a request");
    assert_eq!(
        last.get("x-gateway-key").and_then(|v| v.to_str().ok()),
        Some("gw-secret-0123456789")
    );
    assert_eq!(
        last.get("x-tenant").and_then(|v| v.to_str().ok()),
        Some("staging-eu")
    );

    // The record lists the headers with redacted values; the server echoed the key in its
    // body, and the record scrubs it there too.
    let exchange = sent.exchange();
    assert!(
        exchange
            .request_headers
            .contains(&("X-Gateway-Key".to_owned(), "<redacted>".to_owned())),
        "{:?}",
        exchange.request_headers
    );
    assert!(
        exchange
            .request_headers
            .contains(&("X-Tenant".to_owned(), "<redacted>".to_owned()))
    );
    let json = serde_json::to_string(&exchange).expect("json");
    assert!(!json.contains("gw-secret-0123456789"), "{json}");
    assert!(!json.contains("staging-eu"), "{json}");
    assert!(json.contains(r#"\"gatewayKey\":\"<redacted>\""#), "{json}");
    assert_eq!(redactor.scrub("key gw-secret-0123456789"), "key <redacted>");

    // A header set by hand that cannot go on the wire fails the client's construction.
    let mut c = config(server.url("localhost"));
    c.headers = vec![("Bad Name".to_owned(), Secret::new("v"))];
    let error = Client::new(c, Redactor::default()).err();
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("`Bad Name` is not a valid header name".to_owned())
    );
}

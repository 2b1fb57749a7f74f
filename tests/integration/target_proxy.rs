//! The target client through an HTTP CONNECT proxy, over real sockets: an explicit proxy
//! (with its no-proxy list), and the environment's `HTTPS_PROXY` / `NO_PROXY`.
//!
//! Tests never change this process's environment (other tests run beside them): the
//! environment's proxies are tested in a child process, this same test binary running
//! [`environment_child`] with the variables set, while the proxy and the server run here.

use std::process::Command;

use crate::target_support::{ConnectProxy, HttpsServer, PROXIED_HOST, Pki};
use rc_conform::target::{
    Client, ClientConfig, ClientError, ProxyChoice, Purpose, Redactor, Request, Secret,
    TransportError,
};

/// The variables that choose proxies (curl's and reqwest's names), cleared for a child.
const PROXY_VARIABLES: [&str; 9] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// Tells [`environment_child`] it was started by a test here: the target URL.
const CHILD_TARGET: &str = "RC_CONFORM_TEST_PROXY_TARGET";
/// The CA file of the child's target.
const CHILD_CA: &str = "RC_CONFORM_TEST_PROXY_CA";
/// `ok` when the child's request must succeed, `unreachable` when it must fail to connect.
const CHILD_EXPECT: &str = "RC_CONFORM_TEST_PROXY_EXPECT";

#[tokio::test]
async fn an_explicit_proxy_tunnels_every_target_except_its_no_proxy_hosts() {
    let pki = Pki::local();
    let server = HttpsServer::start(&pki).await;
    let proxy = ConnectProxy::start().await;
    let dir = tempfile::tempdir().expect("a directory");
    let ca = pki.write_ca(&dir, "ca.pem");
    let send = |host: &str, no_proxy: Option<&str>| {
        let mut config = ClientConfig::new(server.url(host));
        config.ca_certs = vec![ca.clone()];
        config.attempts = 1;
        config.proxy = ProxyChoice::Explicit {
            url: Secret::new(proxy.url()),
            no_proxy: no_proxy.map(str::to_owned),
        };
        async move {
            let client = Client::new(config, Redactor::default()).expect("a client");
            client
                .dispatch(&Request::get("/api/info", Purpose::Preflight))
                .await
        }
    };
    let port = server.addr.port();

    // A host only the proxy can reach, and loopback too: an explicit proxy is used for both.
    let sent = send(PROXIED_HOST, None).await;
    assert_eq!(sent.status(), Some(200), "{:?}", sent.outcome);
    let sent = send("localhost", None).await;
    assert_eq!(sent.status(), Some(200), "{:?}", sent.outcome);
    assert_eq!(
        proxy.connects(),
        [
            format!("{PROXIED_HOST}:{port}"),
            format!("localhost:{port}")
        ]
    );

    // Its no-proxy hosts are reached directly.
    let sent = send("localhost", Some("example.org, localhost")).await;
    assert_eq!(sent.status(), Some(200), "{:?}", sent.outcome);
    let sent = send("127.0.0.1", Some("127.0.0.0/8")).await;
    assert_eq!(sent.status(), Some(200), "{:?}", sent.outcome);
    assert_eq!(proxy.connects().len(), 2, "{:?}", proxy.connects());
    assert_eq!(server.seen.lock().expect("log").len(), 4);
}

#[tokio::test]
async fn a_proxy_that_cannot_be_reached_is_a_connection_failure_with_evidence() {
    let mut config = ClientConfig::new("https://chat.example.org");
    config.attempts = 1;
    config.proxy = ProxyChoice::Explicit {
        url: Secret::new("http://user:proxy-pass-123@127.0.0.1:9"),
        no_proxy: None,
    };
    let client = Client::new(config, Redactor::default()).expect("a client");
    let sent = client
        .dispatch(&Request::get("/api/info", Purpose::Preflight))
        .await;
    assert!(
        matches!(sent.outcome, Err(TransportError::Connection(_))),
        "{:?}",
        sent.outcome
    );
    let json = serde_json::to_string(&sent.exchange()).expect("json");
    assert!(!json.contains("proxy-pass-123"), "{json}");

    let mut config = ClientConfig::new("https://chat.example.org");
    config.proxy = ProxyChoice::Explicit {
        url: Secret::new("http://[not-a-host"),
        no_proxy: None,
    };
    let error = Client::new(config, Redactor::default()).err();
    assert!(matches!(error, Some(ClientError::Proxy(_))), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_proxies_serve_other_hosts_but_never_loopback() {
    let pki = Pki::local();
    let server = HttpsServer::start(&pki).await;
    let proxy = ConnectProxy::start().await;
    let dir = tempfile::tempdir().expect("a directory");
    let ca = pki.write_ca(&dir, "ca.pem");
    let port = server.addr.port();
    let child = |host: &str, vars: &[(&str, String)], expect: &str| {
        let mut command = Command::new(std::env::current_exe().expect("this test binary"));
        command.args([
            "target_proxy::environment_child",
            "--exact",
            "--ignored",
            "--nocapture",
        ]);
        for name in PROXY_VARIABLES {
            command.env_remove(name);
        }
        command
            .envs(vars.iter().map(|(k, v)| (*k, v)))
            .env(CHILD_TARGET, server.url(host))
            .env(CHILD_CA, ca.as_str())
            .env(CHILD_EXPECT, expect);
        async move {
            let output = tokio::task::spawn_blocking(move || command.output())
                .await
                .expect("the child ran")
                .expect("the child started");
            let text = String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{text}");
            assert!(text.contains("1 passed"), "{text}");
        }
    };
    let https_proxy = ("HTTPS_PROXY", proxy.url());

    // HTTPS_PROXY carries a request for another host through a CONNECT tunnel.
    child(PROXIED_HOST, std::slice::from_ref(&https_proxy), "ok").await;
    assert_eq!(proxy.connects(), [format!("{PROXIED_HOST}:{port}")]);

    // NO_PROXY names that host: the client goes to it directly, and (outside the proxy's
    // network) cannot resolve it.
    let no_proxy = ("NO_PROXY", format!("example.org,{PROXIED_HOST}"));
    child(
        PROXIED_HOST,
        &[https_proxy.clone(), no_proxy],
        "unreachable",
    )
    .await;
    assert_eq!(proxy.connects().len(), 1, "{:?}", proxy.connects());

    // A loopback target is reached directly whatever the environment's proxies say.
    let all = [
        https_proxy.clone(),
        ("HTTP_PROXY", proxy.url()),
        ("ALL_PROXY", proxy.url()),
    ];
    child("localhost", &all, "ok").await;
    child("127.0.0.1", &all, "ok").await;
    assert_eq!(proxy.connects().len(), 1, "{:?}", proxy.connects());
    assert_eq!(server.seen.lock().expect("log").len(), 3);
}

/// The request of [`environment_proxies_serve_other_hosts_but_never_loopback`], made in a
/// child process whose environment names the proxies. Run alone, it does nothing.
#[tokio::test]
#[ignore = "run by environment_proxies_serve_other_hosts_but_never_loopback in a child process"]
async fn environment_child() {
    let (Ok(target), Ok(ca), Ok(expect)) = (
        std::env::var(CHILD_TARGET),
        std::env::var(CHILD_CA),
        std::env::var(CHILD_EXPECT),
    ) else {
        return;
    };
    let mut config = ClientConfig::new(target);
    config.ca_certs = vec![ca.into()];
    config.attempts = 1;
    config.timeout = std::time::Duration::from_secs(5);
    let client = Client::new(config, Redactor::default()).expect("a client");
    let sent = client
        .dispatch(&Request::get("/api/info", Purpose::Preflight))
        .await;
    match expect.as_str() {
        "ok" => assert_eq!(sent.status(), Some(200), "{:?}", sent.outcome),
        _ => assert!(
            matches!(
                sent.outcome,
                Err(TransportError::Connection(_) | TransportError::Timeout(_))
            ),
            "{:?}",
            sent.outcome
        ),
    }
}

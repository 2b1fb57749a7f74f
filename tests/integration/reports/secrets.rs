//! Redaction: no secret reaches any report file or the terminal.

use camino::Utf8Path;
use rc_conform::report::{json, render};
use serde_json::{Value, json};
use std::process::Output;

use super::{binary, output_text, scratch};

const SECRET_PASSWORD: &str = "s3cret-Pa55word-xyz";

#[test]
fn no_secret_reaches_any_report_file_or_the_terminal() {
    use rc_conform::reference::{ServerConfig, start};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(start(
            ServerConfig {
                admin_password: SECRET_PASSWORD.into(),
                ..ServerConfig::default()
            },
            "127.0.0.1:0".parse().expect("address"),
        ))
        .expect("the reference server starts");
    let url = server.url().to_owned();
    let before = login(&rt, &url);

    let dir = scratch("redaction");
    let out = run_with_the_secret(&url, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let after = login(&rt, &url);
    let report = json::read(&dir.join("report.json")).expect("report.json");
    render::write_all(&dir, &report).expect("the reports render");
    rt.block_on(server.shutdown());

    assert!(token_shaped(&before) && token_shaped(&after));
    let digest = sha256_hex(SECRET_PASSWORD);
    let texts = terminal_and_files(&out, &dir);
    every_report_was_written(&texts);
    for (name, text) in &texts {
        for (what, secret) in [
            ("the admin password", SECRET_PASSWORD),
            ("its SHA-256 (the 2FA code)", &digest),
            ("a login token", &before),
            ("a login token", &after),
        ] {
            assert_eq!(text.matches(secret).count(), 0, "{name} contains {what}");
        }
        let leaked: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .filter(|w| token_shaped(w) && !w.starts_with("rcc-"))
            .collect();
        assert_eq!(
            leaked,
            Vec::<&str>::new(),
            "{name} contains token-shaped words"
        );
    }
    assert!(
        texts.iter().any(|(_, t)| t.contains("<redacted>")),
        "the transcripts show where secrets were"
    );
}

/// Logs the admin in at `url` with the secret password; returns the login token.
fn login(rt: &tokio::runtime::Runtime, url: &str) -> String {
    rt.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let answer: Value = http
            .post(format!("{url}/api/v1/login"))
            .json(&json!({"user": "rc-admin", "password": SECRET_PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login body");
        answer["data"]["authToken"]
            .as_str()
            .expect("authToken")
            .to_owned()
    })
}

/// Runs the suite verbosely against `url`, the admin's password in the environment, its
/// reports into `dir`.
fn run_with_the_secret(url: &str, dir: &Utf8Path) -> Output {
    binary()
        .args([
            "run",
            "--target",
            url,
            "--grant-settle-ms",
            "0",
            "-v",
            "--report-dir",
        ])
        .arg(dir)
        .env("RC_CONFORM_ADMIN_USER", "rc-admin")
        .env("RC_CONFORM_ADMIN_PASSWORD", SECRET_PASSWORD)
        .output()
        .expect("the binary runs")
}

/// Tokens are 43 characters of URL-safe base64; any such word in a report is a leak.
fn token_shaped(t: &str) -> bool {
    t.len() == 43
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The SHA-256 of `text`, in lowercase hex.
fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Everything the run showed or wrote, as (name, text): its stdout, its stderr and every file
/// under `dir`.
fn terminal_and_files(out: &Output, dir: &Utf8Path) -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = vec![
        (
            "stdout".into(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        (
            "stderr".into(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    ];
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).expect("read");
            texts.push((
                entry.path().display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    texts
}

/// The four reports and the ledger are among the texts searched.
fn every_report_was_written(texts: &[(String, String)]) {
    let names: Vec<&str> = texts
        .iter()
        .map(|(n, _)| n.rsplit('/').next().unwrap_or(""))
        .collect();
    for expected in [
        "report.json",
        "junit.xml",
        "summary.md",
        "report.html",
        "ledger.jsonl",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} was not written: {names:?}"
        );
    }
}

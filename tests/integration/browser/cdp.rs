//! A headless Chromium driven over the DevTools protocol, for the report tests: open a page,
//! record its console errors, exceptions and network requests, evaluate script in it and take
//! screenshots.
//!
//! No driver or package is needed besides Debian's `chromium`: the protocol runs over
//! `--remote-debugging-pipe` (NUL-separated JSON on descriptors 3 and 4), which a shell
//! connects to two named pipes. It must not reach any network: the browser starts with a fresh
//! profile and background networking off, and the tests only load `file://` pages.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Where Chromium is: `$RC_CONFORM_CHROMIUM`, else `chromium` or `chromium-browser` on the
/// PATH. Fails the test, with what to install, when there is none.
pub(crate) fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("RC_CONFORM_CHROMIUM") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "headless Chromium is required by this test and was not found on the PATH: install it \
         with `apt-get install -y chromium` (CI's .ci/run does), or point RC_CONFORM_CHROMIUM \
         at a Chromium binary"
    );
}

/// A running browser with one page.
pub(crate) struct Browser {
    child: Child,
    input: File,
    messages: Receiver<Value>,
    backlog: Vec<Value>,
    next_id: u64,
    session: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// What a page did while it loaded and ran.
#[derive(Debug, Default)]
pub(crate) struct PageLog {
    /// Console errors, uncaught exceptions and browser log errors.
    pub(crate) errors: Vec<String>,
    /// Every URL the page requested (fragments removed).
    pub(crate) requests: Vec<String>,
}

impl Browser {
    /// Starts Chromium headless with an empty profile and opens a blank page of
    /// `width` × `height` CSS pixels.
    pub(crate) fn launch(width: u32, height: u32) -> Browser {
        let chromium = chromium();
        let dir = tempfile::tempdir().expect("temp dir");
        let (to, from) = (
            dir.path().join("to-chromium"),
            dir.path().join("from-chromium"),
        );
        let profile = dir.path().join("profile");
        std::fs::create_dir(&profile).expect("profile dir");
        let status = Command::new("mkfifo")
            .arg(&to)
            .arg(&from)
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo failed");
        let log = dir.path().join("chromium.log");
        let child = spawn(&chromium, &profile, &to, &from, &log);
        let (input, output) = open_pipes(to, from, &log);
        let mut browser = Browser {
            child,
            input,
            messages: read_messages(output),
            backlog: Vec::new(),
            next_id: 0,
            session: String::new(),
            log,
            _dir: dir,
        };
        browser.attach_page(width, height);
        browser
    }

    /// Opens a page target, attaches to it and enables the domains the tests listen to, at
    /// `width` × `height` CSS pixels.
    fn attach_page(&mut self, width: u32, height: u32) {
        let target = self.call("Target.createTarget", json!({"url": "about:blank"}), false);
        let target_id = target["targetId"].as_str().expect("targetId").to_owned();
        let attached = self.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
            false,
        );
        self.session = attached["sessionId"]
            .as_str()
            .expect("sessionId")
            .to_owned();
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
        ] {
            self.call(domain, json!({}), true);
        }
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            true,
        );
    }

    /// Sends a command (to the page when `page`, else to the browser) and returns its result.
    pub(crate) fn call(&mut self, method: &str, params: Value, page: bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if page {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("JSON");
        bytes.push(0);
        self.input
            .write_all(&bytes)
            .and_then(|()| self.input.flush())
            .unwrap_or_else(|e| panic!("cannot send {method} to Chromium: {e}"));
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.next_message(deadline, method);
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    panic!("{method} failed: {error}");
                }
                return message["result"].clone();
            }
            self.backlog.push(message);
        }
    }

    fn next_message(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!(
                "Chromium did not answer {waiting_for} in time; its log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "Chromium closed its pipe while {waiting_for} was pending; its log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            ),
        }
    }

    /// Loads `path` as a `file://` page, waits for its load event and a short settling time,
    /// and returns what the page logged and requested.
    pub(crate) fn open(&mut self, path: &Path) -> (String, PageLog) {
        let url = format!("file://{}", path.display());
        self.backlog.clear();
        self.call("Page.navigate", json!({"url": url}), true);
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        while !self
            .backlog
            .iter()
            .any(|m| m["method"] == "Page.loadEventFired")
        {
            let message = self.next_message(deadline, "Page.loadEventFired");
            self.backlog.push(message);
        }
        // Late errors (timers, deferred work) come within this.
        let settle = Instant::now() + Duration::from_millis(500);
        while let Ok(m) = self
            .messages
            .recv_timeout(settle.saturating_duration_since(Instant::now()))
        {
            self.backlog.push(m);
        }
        let mut log = PageLog::default();
        for m in &self.backlog {
            let p = &m["params"];
            match m["method"].as_str().unwrap_or_default() {
                "Runtime.consoleAPICalled"
                    if matches!(p["type"].as_str(), Some("error" | "assert")) =>
                {
                    log.errors
                        .push(format!("console.{}: {}", p["type"], p["args"]));
                }
                "Runtime.exceptionThrown" => {
                    log.errors
                        .push(format!("exception: {}", p["exceptionDetails"]));
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    log.errors.push(format!("log: {}", p["entry"]));
                }
                "Network.requestWillBeSent" => {
                    let requested = p["request"]["url"].as_str().unwrap_or_default();
                    let requested = requested.split('#').next().unwrap_or_default();
                    log.requests.push(requested.to_owned());
                }
                _ => {}
            }
        }
        (url, log)
    }

    /// Evaluates `expression` in the page and returns its value (it must be JSON-able).
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            true,
        );
        if let Some(details) = result.get("exceptionDetails") {
            panic!("the page's script threw: {details}");
        }
        result["result"]["value"].clone()
    }

    /// The page's viewport as PNG bytes.
    pub(crate) fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}), true);
        base64_decode(shot["data"].as_str().expect("screenshot data"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely, then make sure.
        let mut bytes =
            serde_json::to_vec(&json!({"id": 0, "method": "Browser.close"})).unwrap_or_default();
        bytes.push(0);
        let _ = self.input.write_all(&bytes);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Standard base64 (with padding) to bytes.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for chunk in clean.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|&b| b != b'=').collect();
        let mut n = 0u32;
        for (i, &b) in data.iter().enumerate() {
            n |= value(b) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..data.len().max(1)]);
    }
    out
}

#[test]
fn base64_decodes_padding() {
    assert_eq!(base64_decode("TWFu"), b"Man");
    assert_eq!(base64_decode("TWE="), b"Ma");
    assert_eq!(base64_decode("TQ=="), b"M");
}

/// Starts `chromium` headless with the `profile` directory, its DevTools pipe on descriptors 3
/// (read from the named pipe `to`) and 4 (written to `from`), its stderr into `log`.
fn spawn(chromium: &Path, profile: &Path, to: &Path, from: &Path, log: &Path) -> Child {
    Command::new("sh")
        .arg("-c")
        .arg(r#"exec "$0" "$@" 3<"$RCC_TO" 4>"$RCC_FROM""#)
        .arg(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--mute-audio",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .env("RCC_TO", to)
        .env("RCC_FROM", from)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(log).expect("log file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()))
}

/// Opens the named pipes to (for writing) and from (for reading) Chromium. Opening a named
/// pipe blocks until the other end opens it: done aside, with a limit; on failure the test
/// fails with Chromium's `log`.
fn open_pipes(to: PathBuf, from: PathBuf, log: &Path) -> (File, File) {
    let (opened_tx, opened) = channel();
    std::thread::spawn(move || {
        let pipes = OpenOptions::new()
            .write(true)
            .open(&to)
            .and_then(|w| File::open(&from).map(|r| (w, r)));
        let _ = opened_tx.send(pipes);
    });
    match opened.recv_timeout(ANSWER_TIMEOUT) {
        Ok(Ok(pipes)) => pipes,
        other => panic!(
            "Chromium did not open its DevTools pipes ({other:?}); its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    }
}

/// Reads Chromium's NUL-separated JSON messages from `output` on a thread of its own, until
/// the pipe closes or the receiver is dropped.
fn read_messages(output: File) -> Receiver<Value> {
    let (tx, messages) = channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(output);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(0, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if buf.last() == Some(&0) {
                        buf.pop();
                    }
                    if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                        && tx.send(v).is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    messages
}

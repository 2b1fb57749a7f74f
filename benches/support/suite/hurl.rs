//! The same recorded requests as Hurl files, run by `hurl` when it is on PATH.
//!
//! Hurl shares nothing between the files it runs in parallel, so a run's stages become one
//! `hurl --test` after another: per stage, one file of its run-level requests (in order), then
//! one file per lane, `--jobs N` of them at a time. Every status is asserted. Ids and tokens
//! the server chose are captured from the answers (JSONPath) where they first come and used as
//! variables from then on; captures are handed to later stages as variables (read from the
//! JSON report of each `hurl`). Only ids that a later request sends are captured. A lane that
//! uses an id another lane of its stage saw first (a pool user shared between rooms) cannot
//! read that lane's capture, so such lanes run as a step of their own right after their
//! stage's other lanes. Every file, the variables (live tokens of a disposable server)
//! included, lives in a temporary directory that is deleted afterwards.
#![allow(dead_code)] // shared by the suite and latency benchmarks; each uses part of it

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rc_conform::target::RawExchange;
use serde_json::Value;

use super::process::Serve;
use super::replay::{ID_KEYS, label, map_tokens};
use super::timing::Timer;

/// Whether `hurl` runs.
pub(crate) fn available() -> bool {
    Command::new("hurl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `hurl N.N.N`, from `hurl --version`.
pub(crate) fn version() -> String {
    Command::new("hurl")
        .arg("--version")
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout);
            text.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// One `hurl --test` invocation: its files (one, or a stage's lanes run `--jobs N` at once).
struct Step {
    files: Vec<PathBuf>,
    lanes: bool,
}

/// The Hurl files of a recorded run, in a temporary directory.
pub(crate) struct Plan {
    dir: tempfile::TempDir,
    steps: Vec<Step>,
    /// The entries written (requests with no answer in the recording are left out).
    pub(crate) entries: usize,
}

/// A captured value: its variable, and the step and file that capture it.
struct Captured {
    name: String,
    step: usize,
    file: usize,
}

/// The captures of `answer`: `(query, value)` for every id or token key, outside arrays, and
/// inside arrays in the entries whose label (see [`super::replay::label`]) is unique there,
/// found by a filter on it (as the replay pairs listings).
fn id_paths(answer: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match answer {
        Value::Object(map) => {
            for (k, v) in map {
                if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let here = format!("{path}.{k}");
                match v {
                    Value::String(s) if ID_KEYS.contains(&k.as_str()) && !s.is_empty() => {
                        out.push((here, s.clone()));
                    }
                    _ => id_paths(v, &here, out),
                }
            }
        }
        Value::Array(list) => {
            let labels: Vec<_> = list.iter().map(label).collect();
            for (entry, l) in list.iter().zip(&labels) {
                let Some((key, text)) = l else { continue };
                let unique = labels
                    .iter()
                    .filter(|m| m.as_ref() == Some(&(key, text)))
                    .count()
                    == 1;
                if unique
                    && text
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_ .@".contains(c))
                {
                    id_paths(entry, &format!("{path}[?(@.{key}=='{text}')]"), out);
                }
            }
        }
        _ => {}
    }
}

/// The (stage, lane) pairs whose requests use an id that another lane of the same stage saw
/// first: files of one `hurl` share no captures, so these lanes go one step later.
fn late_lanes(records: &[RawExchange]) -> HashSet<(u32, Option<usize>)> {
    let mut first: HashMap<String, (u32, Option<usize>)> = HashMap::new();
    let mut late = HashSet::new();
    for r in records {
        let here = (r.stage, r.lane);
        let another_lane = |token: &String| {
            first
                .get(token)
                .is_some_and(|&(stage, lane)| stage == r.stage && lane.is_some() && lane != r.lane)
        };
        if r.lane.is_some() && sent_tokens(r).iter().any(another_lane) {
            late.insert(here);
        }
        for (_, value) in answer_ids(r) {
            first.entry(value).or_insert(here);
        }
    }
    late
}

/// Every token any request sends.
fn used_tokens(records: &[RawExchange]) -> HashSet<String> {
    records.iter().flat_map(sent_tokens).collect()
}

/// The tokens `r` sends (as [`map_tokens`] cuts them), in its path, headers and body.
fn sent_tokens(r: &RawExchange) -> Vec<String> {
    let tokens = std::cell::RefCell::new(Vec::new());
    let headers = r.headers.iter().map(|(_, v)| v.as_str());
    let body = r.body.iter().map(|(_, b)| b.as_str());
    for text in std::iter::once(r.path.as_str()).chain(headers).chain(body) {
        map_tokens(text, |token| {
            tokens.borrow_mut().push(token.to_owned());
            None
        });
    }
    tokens.into_inner()
}

/// The ids of `r`'s answer a capture can take, `(query, value)` (see [`id_paths`]).
fn answer_ids(r: &RawExchange) -> Vec<(String, String)> {
    let mut paths = Vec::new();
    if let Some(answer) = r
        .response
        .as_deref()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
    {
        id_paths(&answer, "$", &mut paths);
    }
    paths
}

/// Writes the Hurl files of `records` (grouped as [`super::replay::stages`] groups them).
pub(crate) fn plan(records: &[RawExchange]) -> Plan {
    let dir = tempfile::tempdir().expect("temp dir");
    // (stage, lane) → (step, file), steps numbered in stage order: run-level, then lanes.
    let mut stages: Vec<u32> = records.iter().map(|r| r.stage).collect();
    stages.sort_unstable();
    stages.dedup();
    let mut files: HashMap<(u32, Option<usize>), (usize, usize)> = HashMap::new();
    let mut steps: Vec<Step> = Vec::new();
    let late = late_lanes(records);
    let used = used_tokens(records);
    for &stage in &stages {
        // Run-level requests, then the lanes, then the lanes that need another lane's ids.
        for (lanes, later) in [(false, false), (true, false), (true, true)] {
            let mut keys: Vec<Option<usize>> = records
                .iter()
                .filter(|r| r.stage == stage && r.lane.is_some() == lanes)
                .filter(|r| late.contains(&(r.stage, r.lane)) == later)
                .map(|r| r.lane)
                .collect();
            keys.sort_unstable();
            keys.dedup();
            if keys.is_empty() {
                continue;
            }
            let step = steps.len();
            let paths = (0..keys.len())
                .map(|f| dir.path().join(format!("s{step:03}-f{f:03}.hurl")))
                .collect();
            for (f, key) in keys.into_iter().enumerate() {
                files.insert((stage, key), (step, f));
            }
            steps.push(Step {
                files: paths,
                lanes,
            });
        }
    }
    let mut texts: HashMap<(usize, usize), String> = HashMap::new();
    let mut known: HashMap<String, Captured> = HashMap::new();
    let mut entries = 0;
    for r in records {
        let Some(status) = r.status else { continue };
        let (step, file) = files[&(r.stage, r.lane)];
        let text = texts.entry((step, file)).or_default();
        let visible = |run: &str| {
            known
                .get(run)
                .filter(|c| c.step < step || (c.step == step && c.file == file))
                .map(|c| format!("{{{{{}}}}}", c.name))
        };
        entry(text, r, status, &visible);
        let paths = answer_ids(r);
        let mut captures = String::new();
        for (path, value) in paths {
            // Only what a later request sends: a listing's other ids (messages the run reads
            // but never names) need no capture, and one whose entry another lane has not yet
            // made would fail the file.
            if known.contains_key(&value) || !used.contains(&value) {
                continue;
            }
            let name = format!("v{}", known.len());
            // (A filter selects the one entry with that label: Hurl gives its value.)
            let _ = writeln!(captures, "{name}: jsonpath \"{path}\"");
            known.insert(value, Captured { name, step, file });
        }
        if !captures.is_empty() {
            let _ = write!(text, "[Captures]\n{captures}");
        }
        text.push('\n');
        entries += 1;
    }
    for ((step, file), text) in texts {
        std::fs::write(&steps[step].files[file], text).expect("write a Hurl file");
    }
    Plan {
        dir,
        steps,
        entries,
    }
}

/// Appends the request of `r` and its status assert to `text`, ids and tokens that `visible`
/// knows as variables.
fn entry(
    text: &mut String,
    r: &RawExchange,
    status: u16,
    visible: &dyn Fn(&str) -> Option<String>,
) {
    let _ = writeln!(
        text,
        "{} {{{{base}}}}{}",
        r.method,
        map_tokens(&r.path, visible)
    );
    for (name, value) in &r.headers {
        let value = value.replace('\\', "\\\\").replace('#', "\\#");
        let _ = writeln!(text, "{name}: {}", map_tokens(&value, visible));
    }
    if let Some((content_type, body)) = &r.body {
        if let Some(ct) = content_type {
            let _ = writeln!(text, "Content-Type: {ct}");
        }
        let body = map_tokens(body, visible);
        if serde_json::from_str::<Value>(&body.replace("{{", "").replace("}}", "")).is_ok()
            && body.starts_with(['{', '['])
        {
            let _ = writeln!(text, "{body}");
        } else {
            let _ = writeln!(text, "```\n{body}\n```");
        }
    }
    let _ = writeln!(text, "HTTP {status}");
}

/// Every capture named in a Hurl JSON report (wherever it sits), by name.
fn captures(report: &Value, out: &mut Vec<(String, String)>) {
    match report {
        Value::Object(map) => {
            if let Some(Value::Array(list)) = map.get("captures") {
                for c in list {
                    if let (Some(name), Some(value)) = (c["name"].as_str(), c["value"].as_str()) {
                        out.push((name.to_owned(), value.to_owned()));
                    }
                }
            }
            map.values().for_each(|v| captures(v, out));
        }
        Value::Array(list) => list.iter().for_each(|v| captures(v, out)),
        _ => {}
    }
}

/// Runs the plan's steps against `base`, lanes `jobs` at a time, handing captures on.
pub(crate) fn run(plan: &Plan, base: &str, jobs: usize) {
    let dir = plan.dir.path();
    let variables = dir.join("variables");
    let mut known = format!("base={base}\n");
    for (i, step) in plan.steps.iter().enumerate() {
        std::fs::write(&variables, &known).expect("write the variables");
        let report = dir.join(format!("report-{i}"));
        let output = Command::new("hurl")
            .args(["--test", "--jobs", &jobs.to_string(), "--variables-file"])
            .arg(&variables)
            .arg("--report-json")
            .arg(&report)
            .args(&step.files)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("hurl starts");
        assert!(
            output.status.success(),
            "hurl failed in step {i} ({} file(s), lanes: {}):\n{}",
            step.files.len(),
            step.lanes,
            String::from_utf8_lossy(&output.stderr)
        );
        let mut found = Vec::new();
        captures(&read_report(&report), &mut found);
        for (name, value) in found {
            let _ = writeln!(known, "{name}={value}");
        }
    }
}

/// The JSON report `hurl --report-json DIR` wrote.
fn read_report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("hurl's JSON report");
    serde_json::from_str(&text).expect("JSON")
}

/// The whole Hurl side, timed like the replay process: start `rc-conform serve ARGS…` and
/// wait until it listens, run every step, stop the server. The files are written before.
pub(crate) fn whole(records: &[RawExchange], jobs: usize, serve: &[&str]) -> Duration {
    let plan = plan(records);
    let timer = Timer::start();
    let server = Serve::start(serve);
    run(&plan, &server.url, jobs);
    server.stop();
    timer.end().wall
}

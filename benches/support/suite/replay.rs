//! The raw replay of a recorded run: the very same HTTP requests with plain reqwest, stage by
//! stage as the run made them, ids and tokens mapped to the fresh server's; and the run's
//! critical path (its sequential depth in requests), read from the same stage structure.
//!
//! Shared by the suite and latency benchmarks; each uses part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rc_conform::target::RawExchange;
use serde_json::Value;

/// Ids and tokens the server chose in the recorded run → the ones it chooses in the replay,
/// learned by pairing the keys of each recorded answer's objects with the replayed one's.
#[derive(Default)]
struct IdMap(Mutex<HashMap<String, String>>);

/// The answer keys whose string values are ids or tokens the server chose.
pub(crate) const ID_KEYS: [&str; 5] = ["_id", "rid", "roomId", "userId", "authToken"];

impl IdMap {
    /// Learns from the objects of a recorded answer and its replayed twin. Inside arrays only
    /// entries paired by their [`label`]: a listing may order ties differently in the
    /// replay, and pairing its entries by position would map ids crosswise.
    fn learn(&self, old: &Value, new: &Value) {
        match (old, new) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, va) in a {
                    let Some(vb) = b.get(k) else { continue };
                    if let (Value::String(x), Value::String(y)) = (va, vb)
                        && ID_KEYS.contains(&k.as_str())
                        && x != y
                        && let Ok(mut map) = self.0.lock()
                    {
                        map.insert(x.clone(), y.clone());
                    }
                    self.learn(va, vb);
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for (va, vb) in labelled_pairs(a, b) {
                    self.learn(va, vb);
                }
            }
            _ => {}
        }
    }

    /// `text` with every learned id or token replaced (see [`map_tokens`]).
    fn apply(&self, text: &str) -> String {
        let Ok(map) = self.0.lock() else {
            return text.to_owned();
        };
        map_tokens(text, |run| map.get(run).cloned())
    }
}

/// What names an entry of a listing the same way in the run and in the replay (its text, or
/// the user or room name the harness chose): the first of `msg`, `username` and `name`.
pub(crate) fn label(entry: &Value) -> Option<(&'static str, &str)> {
    ["msg", "username", "name"]
        .into_iter()
        .find_map(|k| Some((k, entry.get(k)?.as_str()?)))
}

/// The entries of two listings paired by their [`label`] (labels found once in each only).
fn labelled_pairs<'a>(old: &'a [Value], new: &'a [Value]) -> Vec<(&'a Value, &'a Value)> {
    let count = |list: &'a [Value]| {
        let mut by: HashMap<(&str, &str), (usize, &Value)> = HashMap::new();
        for v in list {
            if let Some(l) = label(v) {
                by.entry(l).or_insert((0, v)).0 += 1;
            }
        }
        by
    };
    let (a, b) = (count(old), count(new));
    a.iter()
        .filter_map(|(l, &(n, va))| {
            let &(m, vb) = b.get(l)?;
            (n == 1 && m == 1).then_some((va, vb))
        })
        .collect()
}

/// `text` with every whole run of `[A-Za-z0-9_-]` (the shape of an id or a token) that
/// `replace` knows replaced. One pass looks each run up (not one search of the text per id:
/// the replay's own cost must stay small, or it would flatter the harness).
pub(crate) fn map_tokens(text: &str, replace: impl Fn(&str) -> Option<String>) -> String {
    let is_token = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !is_token(c)).unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        match replace(run) {
            Some(new) => out.push_str(&new),
            None => out.push_str(run),
        }
        let sep = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..sep]);
        rest = &tail[sep..];
    }
    out
}

/// A recorded request with its recorded answer parsed (before the clock starts).
pub(crate) struct Recorded {
    /// The request and its recorded outcome.
    pub(crate) raw: RawExchange,
    /// The recorded answer, parsed.
    pub(crate) answer: Option<Value>,
}

/// One stage of a run: its run-level requests in order, and its lanes, each in order.
#[derive(Default)]
pub(crate) struct Stage {
    /// Requests made outside any lane, one after another.
    pub(crate) run_level: Vec<Recorded>,
    /// The lanes (a case's requests, or one of the run's parallel reads), by lane number.
    pub(crate) lanes: BTreeMap<usize, Vec<Recorded>>,
}

/// The recorded requests grouped by stage and lane, answers parsed.
pub(crate) fn stages(records: &[RawExchange]) -> Vec<Stage> {
    let mut stages: BTreeMap<u32, Stage> = BTreeMap::new();
    for raw in records {
        let stage = stages.entry(raw.stage).or_default();
        let answer = raw
            .response
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let r = Recorded {
            raw: raw.clone(),
            answer,
        };
        match raw.lane {
            Some(lane) => stage.lanes.entry(lane).or_default().push(r),
            None => stage.run_level.push(r),
        }
    }
    stages.into_values().collect()
}

/// The sequential depth of a recorded run at `jobs` lanes at a time, in requests: per stage,
/// its run-level requests (made one after another), then the longer of its longest lane and
/// its lane requests spread evenly over `jobs` lanes. With every request one round trip long,
/// no schedule of the same stages can take fewer round trips: depth × round trip is the floor.
pub(crate) fn depth(stages: &[Stage], jobs: usize) -> usize {
    stages
        .iter()
        .map(|s| {
            let longest = s.lanes.values().map(Vec::len).max().unwrap_or(0);
            let total: usize = s.lanes.values().map(Vec::len).sum();
            s.run_level.len() + longest.max(total.div_ceil(jobs.max(1)))
        })
        .sum()
}

/// How many run-level requests of a stage completed between two lane requests of that stage
/// in the recording (in completion order): a check that the run-level requests of a stage do
/// not overlap its lanes, which [`depth`] and the replay take for granted.
pub(crate) fn interleaved(records: &[RawExchange]) -> usize {
    let mut span: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        if r.lane.is_some() {
            let e = span.entry(r.stage).or_insert((i, i));
            e.1 = i;
        }
    }
    records
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            r.lane.is_none()
                && span
                    .get(&r.stage)
                    .is_some_and(|&(first, last)| first < *i && *i < last)
        })
        .count()
}

/// Replays one request; whether its answer's status is the one the run got.
async fn replay_one(http: &reqwest::Client, base: &str, ids: &IdMap, recorded: &Recorded) -> bool {
    let r = &recorded.raw;
    let mut req = http.request(r.method.clone(), format!("{base}{}", ids.apply(&r.path)));
    for (name, value) in &r.headers {
        req = req.header(name, ids.apply(value));
    }
    if let Some((content_type, body)) = &r.body {
        req = req.body(ids.apply(body));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
    }
    let Ok(response) = req.send().await else {
        return r.status.is_none();
    };
    let same = r.status == Some(response.status().as_u16());
    let Ok(bytes) = response.bytes().await else {
        return false;
    };
    if let (Some(old), Ok(new)) = (&recorded.answer, serde_json::from_slice::<Value>(&bytes)) {
        ids.learn(old, &new);
    }
    same
}

/// Replays `stages` against `base` as the run made them: stage after stage; within a stage,
/// the run-level requests first, in order, then the lanes `jobs` at a time, each lane's
/// requests in order. The HTTP client is built here, inside whatever the caller times.
/// Returns the number of answers whose status differed from the run's.
pub(crate) async fn replay(stages: Vec<Stage>, base: &str, jobs: usize) -> usize {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let ids = Arc::new(IdMap::default());
    let differing = Arc::new(AtomicUsize::new(0));
    for Stage { run_level, lanes } in stages {
        for r in &run_level {
            if !replay_one(&http, base, &ids, r).await {
                differing.fetch_add(1, Ordering::Relaxed);
            }
        }
        let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
        let mut tasks = tokio::task::JoinSet::new();
        for (_, requests) in lanes {
            let (http, ids, semaphore, base, differing) = (
                http.clone(),
                ids.clone(),
                semaphore.clone(),
                base.to_owned(),
                differing.clone(),
            );
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                for r in &requests {
                    if !replay_one(&http, &base, &ids, r).await {
                        differing.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        tasks.join_all().await;
    }
    differing.load(Ordering::Relaxed)
}

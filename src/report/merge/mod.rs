//! Merging the partial reports of a sharded run (`--partition hash:K/N`, one process per
//! shard) into the one [`RunReport`] a single run would have produced.
//!
//! A case skipped as "not in this partition" is absent from a part, so every case id must
//! come from exactly one part; parts must come from the same tool version, report format,
//! target and judged server version. The merged cases are in suite order (by their case file
//! and line); totals, request counts, cleanup and divergences are combined. Pure: reading
//! and writing the files is the caller's.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use super::model::{
    CaseRecord, CleanupRecord, Conformance, DivergenceRecord, GrantsRecord, RateLimitRecord,
    RequestCount, RunMeta, RunReport, Totals,
};

/// One partial report and where it was read from.
#[derive(Debug, Clone)]
pub struct Part {
    /// The file it came from (named in errors).
    pub path: Utf8PathBuf,
    /// The report.
    pub report: RunReport,
}

/// Why parts cannot be merged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no report to merge")]
    NoParts,
    /// Two parts disagree on something that must be equal.
    #[error(
        "{path} has {what} `{found}`, but {first} has `{expected}`: only parts of one run can be merged"
    )]
    Mismatch {
        /// The part that differs.
        path: Utf8PathBuf,
        /// The first part.
        first: Utf8PathBuf,
        /// What differs.
        what: &'static str,
        /// The first part's value.
        expected: String,
        /// This part's value.
        found: String,
    },
    /// A case appears in two parts.
    #[error(
        "case `{id}` is in both {first} and {second}: each case must come from exactly one part (were two parts run with the same --partition?)"
    )]
    DuplicateCase {
        /// The case id.
        id: String,
        /// The part that had it first.
        first: Utf8PathBuf,
        /// The part that has it again.
        second: Utf8PathBuf,
    },
}

/// The merged report and what the caller should tell the user.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The combined report.
    pub report: RunReport,
    /// Things that look wrong but do not stop the merge (a missing partition).
    pub warnings: Vec<String>,
}

/// Merges `parts` into one report.
pub fn merge(parts: &[Part]) -> Result<Merged, MergeError> {
    let first = parts.first().ok_or(MergeError::NoParts)?;
    for part in &parts[1..] {
        same_run(first, part)?;
    }
    let cases = merge_cases(parts)?;
    let mut warnings: Vec<String> = missing_partitions(parts).into_iter().collect();
    let metas: Vec<&RunMeta> = parts.iter().map(|p| &p.report.run).collect();
    if agreed(&metas, |m| m.cases_commit.clone()).is_none()
        && metas.iter().any(|m| m.cases_commit.is_some())
    {
        warnings.push("the parts were run from different commits of the case files".to_owned());
    }
    if distinct(metas.iter().map(|m| m.suite.clone())).len() > 1 {
        warnings
            .push("the parts ran different suites (see `suite` in the merged report)".to_owned());
    }
    let run = merge_meta(first, &metas);
    let totals = Totals::of(cases.iter().map(|c| c.verdict));
    let conformance = Conformance::of(&cases, run.line.clone());
    let divergences = merge_divergences(parts, &cases);
    let rate_limit = RateLimitRecord {
        waits: parts.iter().map(|p| p.report.rate_limit.waits).sum(),
        waited_ms: parts.iter().map(|p| p.report.rate_limit.waited_ms).sum(),
    };
    Ok(Merged {
        report: RunReport {
            format_version: first.report.format_version,
            run,
            totals,
            conformance,
            cases,
            divergences,
            cleanup: merge_cleanup(parts),
            requests: merge_requests(parts),
            rate_limit,
            grant_groups: parts
                .iter()
                .flat_map(|p| p.report.grant_groups.iter().cloned())
                .collect(),
            premise_order: first.report.premise_order.clone(),
            clients: super::clients::merge(parts),
            grants: merge_grants(parts),
        },
        warnings,
    })
}

/// The grants of every part: run roles and built-in changes concatenated.
fn merge_grants(parts: &[Part]) -> GrantsRecord {
    let mut merged = GrantsRecord::default();
    for part in parts {
        let g = &part.report.grants;
        merged.global_allowed |= g.global_allowed;
        merged.custom_roles |= g.custom_roles;
        merged.run_roles.extend(g.run_roles.iter().cloned());
        merged.builtin.extend(g.builtin.iter().cloned());
    }
    merged
}

/// Whether `part` comes from the same kind of run as `first`.
fn same_run(first: &Part, part: &Part) -> Result<(), MergeError> {
    let same = |what: &'static str, get: &dyn Fn(&RunReport) -> String| {
        let (expected, found) = (get(&first.report), get(&part.report));
        if expected == found {
            Ok(())
        } else {
            Err(MergeError::Mismatch {
                path: part.path.clone(),
                first: first.path.clone(),
                what,
                expected,
                found,
            })
        }
    };
    same("report format", &|r| r.format_version.to_string())?;
    same("tool version", &|r| r.run.tool_version.clone())?;
    same("judged server version", &|r| r.run.judged_version.clone())?;
    same("strictness", &|r| {
        if r.run.strict {
            "--strict"
        } else {
            "not strict"
        }
        .to_owned()
    })?;
    same("kind of target", &|r| {
        describe_kind(r.run.embedded).to_owned()
    })?;
    // Embedded servers listen on a new port for each run; a real target must be one.
    if !first.report.run.embedded {
        same("target", &|r| r.run.target.clone())?;
    }
    Ok(())
}

/// Every part's cases in suite order; a case in two parts is refused.
fn merge_cases(parts: &[Part]) -> Result<Vec<CaseRecord>, MergeError> {
    let mut origin: BTreeMap<&str, &Utf8Path> = BTreeMap::new();
    let mut cases: Vec<CaseRecord> = Vec::new();
    for part in parts {
        for case in &part.report.cases {
            if let Some(first) = origin.insert(&case.id, &part.path) {
                return Err(MergeError::DuplicateCase {
                    id: case.id.to_string(),
                    first: first.to_owned(),
                    second: part.path.clone(),
                });
            }
            cases.push(case.clone());
        }
    }
    cases.sort_by_cached_key(|c| suite_position(&c.location));
    Ok(cases)
}

/// The run metadata of the merged report.
fn merge_meta(first: &Part, metas: &[&RunMeta]) -> RunMeta {
    RunMeta {
        run_id: distinct(metas.iter().map(|m| m.run_id.clone())).join(","),
        target: distinct(metas.iter().map(|m| m.target.clone())).join(", "),
        embedded: first.report.run.embedded,
        server_version: agreed(metas, |m| m.server_version.clone()),
        judged_version: first.report.run.judged_version.clone(),
        tool_version: first.report.run.tool_version.clone(),
        suite: distinct(metas.iter().map(|m| m.suite.clone())).join("; "),
        cases_commit: agreed(metas, |m| m.cases_commit.clone()),
        started_at: metas
            .iter()
            .map(|m| m.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: metas
            .iter()
            .map(|m| m.finished_at.clone())
            .max()
            .unwrap_or_default(),
        filter: agreed(metas, |m| m.filter.clone()),
        partition: Some(format!("merged from {} parts", metas.len())),
        preflight: distinct(metas.iter().flat_map(|m| m.preflight.iter().cloned())),
        strict: first.report.run.strict,
        line: agreed(metas, |m| m.line.clone()),
        interrupted: metas.iter().any(|m| m.interrupted),
        interrupt_reason: metas.iter().find_map(|m| m.interrupt_reason.clone()),
        insecure: metas.iter().any(|m| m.insecure),
        gate_clients: metas.iter().any(|m| m.gate_clients),
    }
}

fn describe_kind(embedded: bool) -> &'static str {
    if embedded {
        "the embedded reference server"
    } else {
        "a server given with --target"
    }
}

/// A case's place in the suite: its file (compared by path components, as the loader walks
/// the case directory), then line and column. `location` is `file:line:column`.
fn suite_position(location: &str) -> (Utf8PathBuf, u64, u64) {
    let mut parts = location.rsplitn(3, ':');
    let (column, line, file) = (parts.next(), parts.next(), parts.next());
    match (file, line.map(str::parse), column.map(str::parse)) {
        (Some(file), Some(Ok(line)), Some(Ok(column))) => (Utf8PathBuf::from(file), line, column),
        _ => (Utf8PathBuf::from(location), u64::MAX, u64::MAX),
    }
}

/// The value every part has, if they agree.
fn agreed<T: PartialEq>(metas: &[&RunMeta], get: impl Fn(&RunMeta) -> Option<T>) -> Option<T> {
    let mut values = metas.iter().map(|m| get(m));
    let first = values.next().flatten()?;
    values.all(|v| v.as_ref() == Some(&first)).then_some(first)
}

/// Values in first-seen order, without repeats.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// When every part names a partition of the same `hash:_/N`, the buckets none of them ran.
fn missing_partitions(parts: &[Part]) -> Option<String> {
    let mut count = None;
    let mut seen = Vec::new();
    for part in parts {
        let (index, of) = partition(part.report.run.partition.as_deref()?)?;
        if let Some(c) = count
            && c != of
        {
            return Some(format!(
                "the parts come from different partition counts ({c} and {of})"
            ));
        }
        count = Some(of);
        seen.push(index);
    }
    let count = count?;
    let missing: Vec<String> = (1..=count)
        .filter(|k| !seen.contains(k))
        .map(|k| format!("hash:{k}/{count}"))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "no part for partition {}: the merged report lacks its cases",
            missing.join(", ")
        )
    })
}

/// `hash:K/N` as (K, N).
fn partition(text: &str) -> Option<(u64, u64)> {
    let (k, n) = text.strip_prefix("hash:")?.split_once('/')?;
    Some((k.parse().ok()?, n.parse().ok()?))
}

fn merge_divergences(parts: &[Part], cases: &[CaseRecord]) -> Vec<DivergenceRecord> {
    let mut out: Vec<DivergenceRecord> = Vec::new();
    for d in parts.iter().flat_map(|p| &p.report.divergences) {
        match out.iter_mut().find(|o| o.id == d.id) {
            Some(o) => o.cases.extend(d.cases.iter().cloned()),
            None => out.push(d.clone()),
        }
    }
    let position = |id: &String| cases.iter().position(|c| &c.id == id);
    for d in &mut out {
        d.cases.sort_by_key(position);
        d.cases.dedup();
    }
    out
}

fn merge_cleanup(parts: &[Part]) -> CleanupRecord {
    let mut out = CleanupRecord {
        ledger: distinct(parts.iter().map(|p| p.report.cleanup.ledger.clone())).join(", "),
        ..CleanupRecord::default()
    };
    for c in parts.iter().map(|p| &p.report.cleanup) {
        out.undone += c.undone;
        out.errors.extend(c.errors.iter().cloned());
        out.leftovers.extend(c.leftovers.iter().cloned());
        out.unverified.extend(c.unverified.iter().cloned());
    }
    out
}

fn merge_requests(parts: &[Part]) -> Vec<RequestCount> {
    let mut out: Vec<RequestCount> = Vec::new();
    for r in parts.iter().flat_map(|p| &p.report.requests) {
        match out.iter_mut().find(|o| o.purpose == r.purpose) {
            Some(o) => o.count += r.count,
            None => out.push(r.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests;

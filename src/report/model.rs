//! The result of a run as one value: run metadata, one record per case with its evidence,
//! the coverage of the premise model and the documentation divergences. Every report format
//! is a rendering of a [`RunReport`]; nothing here renders.

use serde::{Deserialize, Serialize};

use crate::target::Exchange;

/// Version of the `report.json` format (specs/report.schema.json).
pub const FORMAT_VERSION: u32 = 1;

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    /// Format version.
    pub format_version: u32,
    /// What ran against what.
    pub run: RunMeta,
    /// Totals per verdict.
    pub totals: Totals,
    /// One record per selected case, in plan order.
    pub cases: Vec<CaseRecord>,
    /// Documentation divergences the cases follow.
    pub divergences: Vec<DivergenceRecord>,
    /// What cleanup did.
    pub cleanup: CleanupRecord,
    /// HTTP requests sent, per purpose.
    pub requests: Vec<RequestCount>,
}

/// Run metadata.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunMeta {
    /// The run id every fixture name carries.
    pub run_id: String,
    /// Target URL, without credentials.
    pub target: String,
    /// Whether the target was the embedded reference server.
    pub embedded: bool,
    /// Server version as `/api/info` reported it.
    pub server_version: Option<String>,
    /// The version the cases were judged at.
    pub judged_version: String,
    /// rc-conform's version.
    pub tool_version: String,
    /// Commit of the case files, when they are in a git checkout.
    pub cases_commit: Option<String>,
    /// Start, RFC 3339.
    pub started_at: String,
    /// End, RFC 3339.
    pub finished_at: String,
    /// Case selection: `--filter`.
    pub filter: Option<String>,
    /// Case selection: `--partition`.
    pub partition: Option<String>,
    /// What the preflight found and did (rate limiter, two-factor, roles).
    pub preflight: Vec<String>,
}

/// Counts per verdict.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Totals {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Failed as the expectations file says.
    pub expected_fail: usize,
    /// Passed although the expectations file says it fails.
    pub unexpected_pass: usize,
    /// Passed after a transport retry.
    pub flaky: usize,
    /// Not run (version condition or filter).
    pub skipped: usize,
    /// Setup could not be provisioned.
    pub error: usize,
}

/// A case's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every expectation held.
    Pass,
    /// Some expectation did not hold.
    Fail,
    /// Failed, as the expectations file says.
    ExpectedFail,
    /// Passed, although the expectations file says it fails.
    UnexpectedPass,
    /// Passed after a transport retry.
    Flaky,
    /// Not run.
    Skipped,
    /// Setup could not be provisioned; the case says nothing about conformance.
    Error,
}

impl Verdict {
    /// Whether this verdict fails a CI gate.
    pub fn fails_gate(self) -> bool {
        matches!(
            self,
            Verdict::Fail | Verdict::UnexpectedPass | Verdict::Error
        )
    }

    /// The verdict's name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::ExpectedFail => "expected-fail",
            Verdict::UnexpectedPass => "unexpected-pass",
            Verdict::Flaky => "flaky",
            Verdict::Skipped => "skipped",
            Verdict::Error => "error",
        }
    }
}

impl Totals {
    /// Adds one verdict.
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::ExpectedFail => self.expected_fail += 1,
            Verdict::UnexpectedPass => self.unexpected_pass += 1,
            Verdict::Flaky => self.flaky += 1,
            Verdict::Skipped => self.skipped += 1,
            Verdict::Error => self.error += 1,
        }
    }
}

/// One case's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseRecord {
    /// Case id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Endpoint.
    pub endpoint: String,
    /// Premise or failure kind.
    pub premise: String,
    /// Type of the room the call resolves, by the premise model (`c`, `p`, `d`), if any.
    pub room_type: Option<String>,
    /// The premise model's cell of the case's first call (its coverage cell).
    pub cell: String,
    /// Citation.
    pub source: String,
    /// Divergence note.
    pub divergence: Option<String>,
    /// Case file and line.
    pub location: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Why it was skipped, failed to provision, or is expected to fail.
    pub reason: Option<String>,
    /// Wall time, milliseconds.
    pub duration_ms: u64,
    /// Calls with their evidence.
    pub calls: Vec<CallRecord>,
    /// Provisioning exchanges, kept when setup failed.
    pub setup_transcript: Vec<Exchange>,
}

/// One call's evidence.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CallRecord {
    /// The expectation that applied, as the case states it (names, not ids).
    pub expected: serde_json::Value,
    /// Which expectation applied: `default` or the alternative's version range.
    pub expectation_source: String,
    /// Status received, if any.
    pub status: Option<u16>,
    /// Each expectation that did not hold, as "field: expected X, got Y".
    pub mismatches: Vec<String>,
    /// Schema violations of the body.
    pub schema_violations: Vec<SchemaViolation>,
    /// The call and the verification requests.
    pub transcript: Vec<Exchange>,
    /// A curl command reproducing the call, secrets as placeholders.
    pub curl: String,
}

/// A schema violation with its JSON pointer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SchemaViolation {
    /// The schema id.
    pub schema: String,
    /// JSON pointer into the body.
    pub pointer: String,
    /// What was expected.
    pub message: String,
}

/// A divergence between docs and server, with the cases that follow the server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DivergenceRecord {
    /// Divergence id (premise model) or `case` for a case-level note.
    pub id: String,
    /// What the docs say.
    pub docs: String,
    /// What the server does.
    pub server: String,
    /// Case ids that carry a divergence note.
    pub cases: Vec<String>,
}

/// What cleanup did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CleanupRecord {
    /// Ledger file.
    pub ledger: String,
    /// Undo steps done.
    pub undone: usize,
    /// Undo steps that failed, with the reason.
    pub errors: Vec<String>,
    /// Objects carrying the run id still on the target afterwards.
    pub leftovers: Vec<String>,
}

/// Requests sent for one purpose.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequestCount {
    /// Purpose.
    pub purpose: String,
    /// Count.
    pub count: u64,
}

/// `time` as RFC 3339 in UTC with milliseconds (`2026-11-23T05:19:31.123Z`).
pub fn rfc3339(time: std::time::SystemTime) -> String {
    let since = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_795_411_171_123);
        assert_eq!(rfc3339(t), "2026-11-23T05:19:31.123Z");
        assert_eq!(rfc3339(std::time::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}

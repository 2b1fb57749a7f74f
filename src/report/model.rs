//! The result of a run as one value: run metadata, one record per case with its evidence,
//! the coverage of the premise model and the documentation divergences. Every report format
//! is a rendering of a [`RunReport`]; nothing here renders.

use serde::{Deserialize, Serialize};

pub use super::grant_groups::{GrantGroupRecord, GrantRecord, SettleRecord};
pub use super::grants::{BuiltinGrantRecord, GrantsRecord, RunRoleRecord};
pub use super::mismatch::{Check, Effect, Mismatch};
use crate::api::{CaseId, Endpoint, PremiseName, RoomType};
pub use crate::clients::{ClientRecord, ClientStatus, UseRecord};
use crate::target::Exchange;
pub use crate::verdict::{Totals, Verdict};

/// Version of the `report.json` format (specs/report.schema.json).
pub const FORMAT_VERSION: u32 = 2;

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    /// Format version.
    pub format_version: u32,
    /// What ran against what.
    pub run: RunMeta,
    /// Totals per verdict.
    pub totals: Totals,
    /// How many judged cases held their contract, and agreed exactly with the target's line.
    pub conformance: Conformance,
    /// One record per selected case, in plan order.
    pub cases: Vec<CaseRecord>,
    /// Documentation divergences the cases follow.
    pub divergences: Vec<DivergenceRecord>,
    /// What cleanup did.
    pub cleanup: CleanupRecord,
    /// HTTP requests sent, per purpose.
    pub requests: Vec<RequestCount>,
    /// Waits for the target's rate limiter (429, `Retry-After`, `X-RateLimit-Reset`).
    pub rate_limit: RateLimitRecord,
    /// The grant groups, in the order they ran, and how long each waited for its change.
    #[serde(default)]
    pub grant_groups: Vec<GrantGroupRecord>,
    /// Premises and failure kinds in the order of the premise model the run used.
    pub premise_order: Vec<String>,
    /// Each client compatibility profile (specs/clients.yaml) and how the target served it.
    /// Reports written before the profiles existed have none.
    #[serde(default)]
    pub clients: Vec<ClientRecord>,
    /// Where the run's permission grants went: its own roles, and every built-in role changed.
    #[serde(default)]
    pub grants: GrantsRecord,
}

impl RunReport {
    /// The exit code this report stands for (see [`crate::verdict::gate`]); with
    /// `--gate-clients`, a broken client fails a run that would otherwise pass.
    pub fn gate(&self) -> crate::exit::Exit {
        let exit = crate::verdict::gate(
            &self.totals,
            crate::verdict::RunState {
                interrupted: self.run.interrupted,
                left_behind: !self.cleanup.leftovers.is_empty() || !self.cleanup.errors.is_empty(),
                strict: self.run.strict,
            },
        );
        if exit == crate::exit::Exit::Ok && self.clients_fail_gate() {
            crate::exit::Exit::Failures
        } else {
            exit
        }
    }

    /// Whether broken clients fail this run's gate (`--gate-clients` and one is broken).
    pub fn clients_fail_gate(&self) -> bool {
        self.run.gate_clients && self.broken_clients().next().is_some()
    }

    /// The clients the target breaks.
    pub fn broken_clients(&self) -> impl Iterator<Item = &ClientRecord> {
        self.clients
            .iter()
            .filter(|c| c.status == crate::clients::ClientStatus::Broken)
    }
}

/// The conformance figures of a run: of the cases judged (not skipped, not errors), how many
/// held the contract, and how many also agreed exactly with the Rocket.Chat line the target
/// reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Conformance {
    /// The line the target was compared with (`8.x`), when its version falls in one.
    pub line: Option<String>,
    /// Cases judged.
    pub judged: usize,
    /// Cases whose contract held.
    pub contract: usize,
    /// Cases that held the contract and whose every established detail agreed.
    pub exact: usize,
    /// Cases with a detail that is not established for the line (recorded, not judged).
    pub not_established: usize,
}

impl Conformance {
    /// The figures of `cases`, compared with `line`.
    pub fn of(cases: &[CaseRecord], line: Option<String>) -> Conformance {
        let mut c = Conformance {
            line,
            ..Conformance::default()
        };
        for judged in cases.iter().filter_map(|case| case.judged.as_ref()) {
            c.judged += 1;
            c.contract += usize::from(judged.contract);
            c.exact += usize::from(judged.contract && judged.exact);
            c.not_established += usize::from(judged.not_established);
        }
        c
    }
}

/// Waits for the target's rate limiter.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RateLimitRecord {
    /// Requests answered 429 and sent again after the wait the server asked for.
    pub waits: u64,
    /// Milliseconds spent waiting.
    pub waited_ms: u64,
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
    /// The suite that ran: `built-in (rc-conform VERSION, suite FINGERPRINT)`, or the case
    /// directory given with `--cases` (and the specs, when they came from elsewhere).
    #[serde(default)]
    pub suite: String,
    /// Commit of the case files, when they are a directory in a git checkout.
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
    /// Whether `non-strict` fails the gate (`--strict`).
    pub strict: bool,
    /// The Rocket.Chat line the target's version falls in, if any.
    pub line: Option<String>,
    /// Whether the run was interrupted before every case ran.
    pub interrupted: bool,
    /// What interrupted it (`SIGTERM`, `SIGINT`, …), when it was.
    #[serde(default)]
    pub interrupt_reason: Option<String>,
    /// Whether the target's certificate was accepted without verification (`--insecure`).
    #[serde(default)]
    pub insecure: bool,
    /// Whether a broken client fails the gate (`--gate-clients`).
    #[serde(default)]
    pub gate_clients: bool,
}

/// One case's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseRecord {
    /// Case id.
    pub id: CaseId,
    /// Title.
    pub title: String,
    /// Endpoint.
    pub endpoint: Endpoint,
    /// Premise or failure kind.
    pub premise: PremiseName,
    /// Type of the room the call resolves, by the premise model (`c`, `p`, `d`), if any.
    pub room_type: Option<RoomType>,
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
    /// For an `expected-fail`: the verdict the expectations file listed, which the case had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed: Option<Verdict>,
    /// How the case's calls held, level by level (absent when the case was not judged:
    /// skipped, or an error before or after its calls).
    pub judged: Option<CaseJudged>,
    /// Why it was skipped, failed to provision, or is expected to fail.
    pub reason: Option<String>,
    /// Wall time, milliseconds.
    pub duration_ms: u64,
    /// Calls with their evidence.
    pub calls: Vec<CallRecord>,
    /// Provisioning exchanges, kept when setup failed.
    pub setup_transcript: Vec<Exchange>,
}

/// How a judged case held.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaseJudged {
    /// Every contract check held.
    pub contract: bool,
    /// Every established exact and incidental detail agreed too.
    pub exact: bool,
    /// Some detail was not established for the target's line (recorded, not judged).
    pub not_established: bool,
}

/// One call's evidence.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CallRecord {
    /// The expectation that applied, as the case states it (names, not ids).
    pub expected: serde_json::Value,
    /// Which expectation applied: `default` or the alternative's version range.
    pub expectation_source: String,
    /// What the call's details were compared with.
    pub compared: Compared,
    /// Status received, if any.
    pub status: Option<u16>,
    /// Each expectation that did not hold, with its level and what it does to the verdict.
    pub mismatches: Vec<Mismatch>,
    /// The call and the verification requests.
    pub transcript: Vec<Exchange>,
    /// A curl command reproducing the call, secrets as placeholders.
    pub curl: String,
    /// What the embedded reference server, emulating the target's line, answered to the same
    /// call in the same setup (kept for failed and non-strict cases against a target).
    pub reference: Option<ReferenceAnswer>,
}

/// What a call's exact details were compared with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Compared {
    /// The Rocket.Chat line the target reports (none: unknown, or outside every line).
    pub line: Option<String>,
    /// Whether the model's answer for this call is established for that line.
    pub established: bool,
    /// Why the answer is incidental (input outside the documented contract, or a failure
    /// kind that is an accident of the routes' code), if it is.
    pub incidental: Option<String>,
}

/// What the reference server answered to a call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReferenceAnswer {
    /// The version the reference server emulated.
    pub version: String,
    /// Its status, if it answered.
    pub status: Option<u16>,
    /// Its body (JSON when it was JSON, else the text).
    pub body: Option<serde_json::Value>,
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
    /// Objects whose removal could not be verified (the target offers no way to look).
    #[serde(default)]
    pub unverified: Vec<String>,
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
    crate::clock::Moment::of(time).iso()
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

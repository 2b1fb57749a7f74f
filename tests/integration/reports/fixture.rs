//! A small fixed report with one case of each verdict, and its parts.

use rc_conform::report::model::{
    CallRecord, CaseRecord, Check, CleanupRecord, Compared, Conformance, DivergenceRecord, Effect,
    FORMAT_VERSION, Mismatch, RequestCount, RunMeta, RunReport, Totals, Verdict,
};
use rc_conform::spec::levels::Level;
use rc_conform::target::Exchange;
use serde_json::{Value, json};

fn exchange(method: &str, path: &str, body: Option<&str>, status: u16, answer: &str) -> Exchange {
    Exchange {
        method: method.into(),
        url: format!("http://127.0.0.1:3000{path}"),
        request_headers: vec![
            ("X-User-Id".into(), "u1d0fTheM0derat".into()),
            ("X-Auth-Token".into(), "<redacted>".into()),
        ],
        request_body: body.map(str::to_owned),
        status: Some(status),
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_body: Some(answer.into()),
        error: None,
        attempts: 1,
        retries: vec![],
        rate_limit_waits: vec![],
        duration_ms: 3,
        note: None,
    }
}

/// The schema violations among a call's mismatches.
pub(super) fn schema_violations(call: &CallRecord) -> impl Iterator<Item = &Mismatch> {
    call.mismatches
        .iter()
        .filter(|m| matches!(m.check, Check::Schema { .. }))
}

/// A contract mismatch that fails its case.
fn miss(check: Check, expected: &str, actual: &str) -> Mismatch {
    Mismatch::new(
        check,
        expected.into(),
        actual.into(),
        Level::Contract,
        Effect::Fails,
    )
}

fn case(id: &str, premise: &str, room: Option<&str>, verdict: Verdict) -> CaseRecord {
    let endpoint = id.split('/').next().unwrap_or_default();
    CaseRecord {
        id: id.into(),
        title: format!("Title of {id}"),
        endpoint: endpoint.parse().expect("an endpoint"),
        premise: premise.into(),
        room_type: room.map(|r| r.parse().expect("a room type")),
        cell: format!("{endpoint} · {premise}"),
        source: "channels.invite.txt premise 1; apps/meteor/server/services/authorization/service.ts @028925b2".into(),
        divergence: None,
        location: format!("cases/{endpoint}/some.yaml:4:5"),
        verdict,
        listed: None,
        judged: None,
        reason: None,
        duration_ms: 42,
        calls: vec![],
        setup_transcript: vec![],
    }
}

fn call(
    expected: Value,
    status: u16,
    mismatches: Vec<Mismatch>,
    transcript: Vec<Exchange>,
) -> CallRecord {
    CallRecord {
        expected,
        expectation_source: "default".into(),
        compared: Compared {
            line: Some("7.x".into()),
            established: true,
            incidental: None,
        },
        status: Some(status),
        mismatches,
        reference: None,
        curl: "curl -sS -X POST 'http://127.0.0.1:3000/api/v1/groups.invite' -H \"X-User-Id: $RC_USER_ID\" -H \"X-Auth-Token: $RC_TOKEN\" -H 'Content-Type: application/json' --data-raw '{\"roomId\":\"r00m\",\"userId\":\"gu3st\"}'".into(),
        transcript,
    }
}

/// A successful answer.
const OK: &str = r#"{"success":true}"#;

/// A POST of the usual invite body to `endpoint`, answered `status` and `answer`.
fn invite(endpoint: &str, status: u16, answer: &str) -> Exchange {
    exchange(
        "POST",
        &format!("/api/v1/{endpoint}"),
        Some(r#"{"roomId":"r00m","userId":"gu3st"}"#),
        status,
        answer,
    )
}

/// A fixed report with one case of each verdict.
pub(crate) fn small_report() -> RunReport {
    let cases = vec![
        passed(),
        failed(),
        errored(),
        skipped(),
        expected_fail(),
        unexpected_pass(),
        flaky(),
    ];
    let totals = Totals::of(cases.iter().map(|c| c.verdict));
    RunReport {
        format_version: FORMAT_VERSION,
        run: run_meta(),
        totals,
        conformance: Conformance {
            line: Some("7.x".into()),
            judged: 5,
            contract: 3,
            exact: 3,
            not_established: 0,
        },
        cases,
        divergences: vec![DivergenceRecord {
            id: "joined-room-is-room-scoped".into(),
            docs: "channels.invite.txt premise 1 does not say that room roles count".into(),
            server: "add-user-to-joined-room is checked with the room as scope".into(),
            cases: vec!["channels.invite/joined-room/room-moderator".into()],
        }],
        cleanup: CleanupRecord {
            ledger: "reports/abc123/ledger.jsonl".into(),
            undone: 21,
            errors: vec![],
            leftovers: vec!["room rcc-abc123-002-town (r00m)".into()],
            unverified: vec![],
        },
        requests: vec![
            RequestCount {
                purpose: "preflight".into(),
                count: 4,
            },
            RequestCount {
                purpose: "call".into(),
                count: 6,
            },
        ],
        rate_limit: Default::default(),
        grant_groups: Vec::new(),
        premise_order: vec![
            "add-user-to-joined-room".into(),
            "add-user-to-any-c-room".into(),
            "invalid-body".into(),
            "room-archived".into(),
            "no-invitee-resolved".into(),
        ],
        clients: Vec::new(),
        grants: Default::default(),
    }
}

/// The run's metadata: a filtered shard against a remote 7.10.0.
fn run_meta() -> RunMeta {
    RunMeta {
        run_id: "abc123".into(),
        target: "https://admin:hunter2@chat.example.org".into(),
        embedded: false,
        server_version: Some("7.10.0".into()),
        judged_version: "7.10.0".into(),
        tool_version: "0.1.0".into(),
        suite: "cases".into(),
        cases_commit: Some("874e7d46e824d1c70e1312cfe56f0185cf2f6845".into()),
        started_at: "2026-11-23T05:19:31.123Z".into(),
        finished_at: "2026-11-23T05:19:33.456Z".into(),
        filter: Some("*invite*".into()),
        partition: Some("hash:1/2".into()),
        preflight: vec![
            "server version 7.10.0 (GET /api/info)".into(),
            "admin `rc-admin` holds every permission the run needs".into(),
        ],
        strict: false,
        line: Some("7.x".into()),
        interrupted: false,
        interrupt_reason: None,
        insecure: false,
        gate_clients: false,
    }
}

/// A passing case with a divergence from the docs.
fn passed() -> CaseRecord {
    let mut pass = case(
        "channels.invite/joined-room/room-moderator",
        "add-user-to-joined-room",
        Some("c"),
        Verdict::Pass,
    );
    pass.calls = vec![call(
        json!({"status": 200, "success": true}),
        200,
        vec![],
        vec![invite("channels.invite", 200, OK)],
    )];
    pass.divergence = Some(
        "The docs do not say that room-scoped roles count (divergence joined-room-is-room-scoped)"
            .into(),
    );
    pass
}

/// A failing case: wrong status, success and members, and two schema violations.
fn failed() -> CaseRecord {
    let mut fail = case(
        "groups.invite/joined-room/room-owner",
        "add-user-to-joined-room",
        Some("p"),
        Verdict::Fail,
    );
    let mut failed_call = call(
        json!({"status": 200, "success": true, "schema": "groups.invite/200"}),
        400,
        vec![
            miss(Check::Status, "200", "400"),
            miss(Check::Success, "true", "false"),
            miss(
                Check::Members {
                    room: "town".into(),
                },
                "to include guest",
                "[boss]",
            ),
        ],
        vec![
            invite(
                "groups.invite",
                400,
                r#"{"success":false,"error":"Not allowed [error-not-allowed]","errorType":"error-not-allowed"}"#,
            ),
            exchange(
                "GET",
                "/api/v1/groups.members?roomId=r00m",
                None,
                200,
                r#"{"members":[{"username":"boss"}],"success":true}"#,
            ),
        ],
    );
    failed_call.mismatches.extend([
        miss(
            Check::Schema {
                schema: "groups.invite/200".into(),
                pointer: String::new(),
            },
            "\"group\" is a required property",
            "{…}",
        ),
        miss(
            Check::Schema {
                schema: "groups.invite/200".into(),
                pointer: "/success".into(),
            },
            "true was expected",
            "false",
        ),
    ]);
    fail.calls = vec![failed_call];
    fail
}

/// A case whose setup could not be provisioned.
fn errored() -> CaseRecord {
    let mut error = case(
        "channels.invite/any-c-room/non-member",
        "add-user-to-any-c-room",
        Some("c"),
        Verdict::Error,
    );
    error.reason = Some("setup could not be provisioned: users.create answered 400".into());
    error.setup_transcript = vec![exchange(
        "POST",
        "/api/v1/users.create",
        Some(r#"{"username":"rcc-abc123-003-guest","password":"<redacted>"}"#),
        400,
        r#"{"success":false,"error":"Username is already in use"}"#,
    )];
    error
}

/// A case skipped for the server version.
fn skipped() -> CaseRecord {
    let mut skipped = case(
        "channels.invite/body/typed-route-rejects-userIds",
        "invalid-body",
        None,
        Verdict::Skipped,
    );
    skipped.reason = Some("applies to server versions >= 9.0.0, the target is 8.5.0".into());
    skipped.duration_ms = 0;
    skipped
}

/// A case that fails as the expectations file says.
fn expected_fail() -> CaseRecord {
    let mut xfail = case(
        "groups.invite/room/archived",
        "room-archived",
        Some("p"),
        Verdict::ExpectedFail,
    );
    xfail.reason = Some("known on 7.x (expectations/rc-7.yaml, RC-77)".into());
    xfail.calls = vec![call(
        json!({"status": 400}),
        200,
        vec![miss(Check::Status, "400", "200")],
        vec![invite("groups.invite", 200, OK)],
    )];
    xfail
}

/// A case that passes where the expectations file says it fails.
fn unexpected_pass() -> CaseRecord {
    let mut xpass = case(
        "channels.invite/room/archived",
        "room-archived",
        Some("c"),
        Verdict::UnexpectedPass,
    );
    xpass.reason = Some("expectations/rc-7.yaml says it fails (RC-123)".into());
    xpass.calls = vec![call(
        json!({"status": 400}),
        400,
        vec![],
        vec![invite("channels.invite", 400, r#"{"success":false}"#)],
    )];
    xpass
}

/// A case whose request was retried for transport reasons.
fn flaky() -> CaseRecord {
    let mut flaky = case(
        "channels.invite/users/unknown-ids",
        "no-invitee-resolved",
        Some("c"),
        Verdict::Flaky,
    );
    flaky.reason = Some("a request was retried for transport reasons (see the transcript)".into());
    let mut retried = invite(
        "channels.invite",
        400,
        r#"{"success":false,"errorType":"invalid-user-invite-list"}"#,
    );
    retried.attempts = 2;
    retried.retries = vec!["connection reset by peer".into()];
    flaky.calls = vec![call(json!({"status": 400}), 400, vec![], vec![retried])];
    flaky
}

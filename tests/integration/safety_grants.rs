//! Least privilege against a served reference server (not the embedded one), as a release
//! audit points the runner at a shared server: without `--allow-global-grants` no built-in
//! role gains a permission at any moment (proved from every role list the server was given),
//! the cases that would need it are skipped with the reason, and the server is left as it was;
//! with the flag the whole suite passes as before and the report lists every built-in grant.

use std::time::{Duration, Instant};

use rc_conform::reference::ServerConfig;
use serde_json::Value;

use crate::safety_support::{
    built_in_additions, grant_skips, not_passed, output, report, roles_and_permissions,
    run_against, server, temp, text,
};
use crate::server_snapshot::snapshot;

/// The cases the suite skips at the reference server's default version for their version
/// conditions: any other skip is the run's own decision.
fn version_skips(report: &Value) -> usize {
    crate::safety_support::skipped(report)
        .values()
        .filter(|reason| reason.starts_with("applies to server versions"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_an_enterprise_server_without_the_flag_no_built_in_role_gains_a_permission() {
    let server = server(ServerConfig {
        enterprise: true,
        ..ServerConfig::default()
    })
    .await;
    let before = snapshot(server.url()).await;
    let (built_ins, lists) = roles_and_permissions(server.url()).await;
    let (_dir, dir) = temp();
    let out = output(run_against(server.url(), &dir, &[])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        built_in_additions(&server, &built_ins, &lists),
        Vec::<String>::new(),
        "a built-in role gained a permission during the run"
    );
    let report = report(&dir);
    let skipped = grant_skips(&report);
    assert!(skipped.len() <= 10, "{skipped:#?}");
    assert!(not_passed(&report).is_empty(), "{:#?}", not_passed(&report));
    let roles = report["grants"]["run_roles"].as_array().expect("run roles");
    assert!(
        roles
            .iter()
            .any(|r| r["stands_for"] == "user" && r["scope"] == "Users")
            && roles
                .iter()
                .any(|r| r["stands_for"] == "leader" && r["scope"] == "Subscriptions"),
        "{roles:#?}"
    );
    let builtin = report["grants"]["builtin"].as_array().expect("builtin");
    assert!(
        builtin.iter().all(|c| c["change"] == "removed"),
        "{builtin:#?}"
    );
    assert_eq!(snapshot(server.url()).await, before, "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_community_production_server_without_the_flag_the_run_passes_without_global_grants() {
    let server = server(ServerConfig::default()).await;
    let before = snapshot(server.url()).await;
    let (built_ins, lists) = roles_and_permissions(server.url()).await;
    let (_dir, dir) = temp();
    let out = output(run_against(server.url(), &dir, &[])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        built_in_additions(&server, &built_ins, &lists),
        Vec::<String>::new()
    );
    let report = report(&dir);
    let skipped = grant_skips(&report);
    assert!(!skipped.is_empty());
    // Each names the permission and the built-in role it would need, and the flag.
    for (id, reason) in crate::safety_support::skipped(&report) {
        if skipped.contains(&id) {
            assert!(
                reason.contains("granted to the built-in role `")
                    && reason.contains("--allow-global-grants"),
                "{id}: {reason}"
            );
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{} case(s) skipped", skipped.len()))
            && stderr.contains("channels.invite/any-c-room/member (add-user-to-any-c-room → user)"),
        "{stderr}"
    );
    assert!(not_passed(&report).is_empty(), "{:#?}", not_passed(&report));
    assert_eq!(report["grants"]["custom_roles"], false);
    assert_eq!(snapshot(server.url()).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_flag_the_whole_suite_passes_and_every_built_in_grant_is_reported() {
    let server = server(ServerConfig::default()).await;
    let before = snapshot(server.url()).await;
    let (built_ins, lists) = roles_and_permissions(server.url()).await;
    let (_dir, dir) = temp();
    let mut cmd = run_against(server.url(), &dir, &[]);
    cmd.env("RC_CONFORM_ALLOW_GLOBAL_GRANTS", "true");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The server's record sees what the other tests prove absent.
    let additions = built_in_additions(&server, &built_ins, &lists);
    assert!(
        additions.contains(&"add-user-to-any-c-room → user".to_owned()),
        "{additions:#?}"
    );
    let report = report(&dir);
    assert_eq!(grant_skips(&report), Vec::<String>::new());
    assert_eq!(
        crate::safety_support::skipped(&report).len(),
        version_skips(&report)
    );
    assert!(not_passed(&report).is_empty(), "{:#?}", not_passed(&report));
    let builtin = report["grants"]["builtin"].as_array().expect("builtin");
    let added: Vec<String> = builtin
        .iter()
        .filter(|c| c["change"] == "added")
        .map(|c| {
            format!(
                "{} → {}",
                c["permission"].as_str().unwrap_or(""),
                c["role"].as_str().unwrap_or("")
            )
        })
        .collect();
    for expected in [
        "add-user-to-any-c-room → user",
        "add-user-to-joined-room → leader",
    ] {
        assert!(
            added.iter().any(|a| a == expected),
            "{expected} in {added:#?}"
        );
    }
    assert!(
        builtin.iter().all(|c| c["from"].is_string()
            && c["to"].is_string()
            && c["from"].as_str() <= c["to"].as_str()),
        "{builtin:#?}"
    );
    let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary.md");
    assert!(
        summary.contains("add-user-to-any-c-room") && summary.contains("built-in"),
        "{summary}"
    );
    assert_eq!(snapshot(server.url()).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_enterprise_server_bypasses_the_limiter_through_a_run_role() {
    let server = server(ServerConfig {
        enterprise: true,
        rate_limit: true,
        ..ServerConfig::default()
    })
    .await;
    let before = snapshot(server.url()).await;
    let (built_ins, lists) = roles_and_permissions(server.url()).await;
    let (_dir, dir) = temp();
    let started = Instant::now();
    let out = output(run_against(server.url(), &dir, &[])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        built_in_additions(&server, &built_ins, &lists),
        Vec::<String>::new()
    );
    let report = report(&dir);
    let bypass = report["grants"]["run_roles"]
        .as_array()
        .expect("run roles")
        .iter()
        .find(|r| r["stands_for"].is_null())
        .cloned();
    assert!(
        bypass.is_some_and(|r| r["permissions"][0] == "api-bypass-rate-limit"),
        "{:#?}",
        report["grants"]
    );
    assert_eq!(snapshot(server.url()).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_community_server_keeps_the_limiter_and_preflight_estimates_the_wait() {
    let server = server(ServerConfig {
        rate_limit: true,
        ..ServerConfig::default()
    })
    .await;
    let before = snapshot(server.url()).await;
    let (_dir, dir) = temp();
    let filter = [
        "--filter",
        "channels.invite/joined-room/room-moderator,groups.invite/room/archived",
    ];
    let out = output(run_against(server.url(), &dir, &filter)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = report(&dir);
    let notes: Vec<&str> = report["run"]["preflight"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("rate limiter: fixture users keep it")
                && n.contains("about ")
                && n.contains("at 10 calls per 60 s")),
        "{notes:#?}"
    );
    assert!(
        report["grants"]["builtin"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    assert_eq!(snapshot(server.url()).await, before);
}

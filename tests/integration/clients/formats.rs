//! The clients in every format: junit.xml read by junitparser or quick-junit (a testsuite
//! `clients`), summary.md and report.html (the section, each client, the evidence of a broken
//! one), the ndjson event stream (one `client-finished` per client, before
//! `cleanup-finished`), and `diff` naming the clients a release breaks.

use serde_json::Value;

use super::{BROKEN_AT_9, OK_AT_9, at_8, at_9, binary, client, root, text};

#[test]
fn junit_has_a_clients_suite_with_a_failure_per_broken_client() {
    let run = at_9();
    let junit = crate::reports::read_junit(&run.dir.join("junit.xml"));
    let suites = junit["suites"].as_array().expect("suites");
    let clients = suites.iter().find(|s| s["name"] == "clients");
    let clients = clients.unwrap_or_else(|| panic!("no clients suite: {junit}"));
    // The suite's cases by classname (`clients/<id>`).
    let by_class: serde_json::Map<String, Value> = clients["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| (c["classname"].as_str().unwrap_or("").to_owned(), c.clone()))
        .collect();
    let suite = serde_json::json!({
        "tests": clients["tests"], "failures": clients["failures"],
        "skipped": clients["skipped"], "cases": by_class,
    });
    assert_eq!(suite["tests"], 5, "{suite}");
    assert_eq!(suite["failures"], 2, "{suite}");
    assert_eq!(suite["skipped"], 0, "{suite}");
    for id in BROKEN_AT_9 {
        let case = &suite["cases"][format!("clients/{id}")];
        let failure = &case["results"][0];
        assert_eq!(failure["kind"], "failure", "{case}");
        let message = failure["message"].as_str().expect("message");
        assert!(message.contains("needs 200, got 400"), "{message}");
        let evidence = failure["text"].as_str().expect("text");
        assert!(evidence.contains("error-invalid-params"), "{evidence}");
    }
    for id in OK_AT_9 {
        let case = &suite["cases"][format!("clients/{id}")];
        assert_eq!(case["results"], serde_json::json!([]), "{case}");
    }
}

#[test]
fn summary_md_has_the_client_table_and_the_evidence_of_broken_clients() {
    let md = std::fs::read_to_string(at_9().dir.join("summary.md")).expect("summary.md");
    let section = md
        .split("\n## Client compatibility\n")
        .nth(1)
        .expect("a client section");
    for id in BROKEN_AT_9.iter().chain(&OK_AT_9) {
        let name = client(&at_9().report, id)["name"].as_str().expect("name");
        let name = name.replace('_', "\\_");
        let status = if BROKEN_AT_9.contains(id) {
            "❌ broken"
        } else {
            "✅ ok"
        };
        assert!(
            section.contains(&format!("| {name} | {status} |")),
            "{id}:\n{section}"
        );
    }
    assert!(section.contains("<summary>❌ Rocket.Chat Go SDK: the requests and answers"));
    assert!(
        section.contains("\"userIds\":["),
        "the request sent:\n{section}"
    );
    assert!(section.contains("< 400"), "the answer:\n{section}");
    assert!(section.contains("fail the run only with `--gate-clients`"));
    let ok = std::fs::read_to_string(at_8().dir.join("summary.md")).expect("summary.md");
    assert!(ok.contains("| Rocket.Chat Go SDK | ✅ ok |"), "{ok}");
    assert!(!ok.contains("the requests and answers that break it"));
}

#[test]
fn report_html_has_the_client_section() {
    let html = std::fs::read_to_string(at_9().dir.join("report.html")).expect("report.html");
    assert!(html.contains("<a href=\"#clients\">clients</a>"));
    let section = html
        .split("<section id=\"clients\">")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("a client section");
    for id in BROKEN_AT_9 {
        assert!(
            section.contains(&format!(
                "<details class=\"client s-broken\" id=\"client-{id}\" open>"
            )),
            "{id}"
        );
    }
    for id in OK_AT_9 {
        assert!(section.contains(&format!(
            "<details class=\"client s-ok\" id=\"client-{id}\">"
        )));
    }
    assert!(
        section.contains("error-invalid-params"),
        "the answer is shown"
    );
    assert!(
        section.contains("&quot;userIds&quot;"),
        "the request is shown"
    );
}

#[test]
fn the_event_stream_has_a_client_finished_per_client_before_cleanup() {
    let dir = super::scratch("ndjson");
    let out = binary()
        .args([
            "run",
            "--message-format",
            "ndjson",
            "--clients",
            "--filter",
            super::CASE,
        ])
        .args(["--server-version", "9.0.0", "--report-dir", dir.as_str()])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("specs/events.schema.json")).expect("schema"),
    )
    .expect("JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("a usable schema");
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    for e in &events {
        assert!(validator.is_valid(e), "{e}");
    }
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    let at = |n: &str| names.iter().position(|x| *x == n).expect(n);
    let clients: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["event"] == "client-finished")
        .map(|e| {
            (
                e["id"].as_str().expect("id"),
                e["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(clients.len(), 5, "{names:?}");
    assert!(clients.contains(&("go-sdk", "broken")) && clients.contains(&("ruqola", "ok")));
    let first_client = at("client-finished");
    assert!(names.iter().rposition(|n| *n == "case-finished") < Some(first_client));
    assert!(first_client < at("cleanup-finished"));
}

#[test]
fn diff_names_the_clients_a_release_breaks() {
    let (old, new) = (
        at_8().dir.join("report.json"),
        at_9().dir.join("report.json"),
    );
    let out = binary()
        .args(["diff", old.as_str(), new.as_str()])
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a broken client is a regression: {}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let section = stdout
        .split("## Clients the new report breaks (2)\n\n")
        .nth(1)
        .expect("the section");
    assert!(
        section.starts_with("- Rocket.Chat Go SDK (go-sdk): channels.invite {roomId, userIds}")
    );
    assert!(section.contains("(react-native): groups.invite {roomId, usernames}"));
    assert!(
        stdout.contains("2 client(s) broken, 0 client(s) fixed"),
        "{stdout}"
    );
    let back = binary()
        .args(["diff", new.as_str(), old.as_str()])
        .output()
        .expect("the binary runs");
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    assert!(String::from_utf8_lossy(&back.stdout).contains("## Clients the new report fixes (2)"));
}

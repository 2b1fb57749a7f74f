//! The client compatibility results in every format: the view the Markdown summary and the
//! HTML page render, the JUnit testsuite `clients`, how shards' results merge, and the
//! clients a new report breaks or fixes (`diff`). It shows the records as the run made them.

use std::collections::BTreeMap;

use super::junit_xml::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use super::merge::Part;
use super::model::{ClientRecord, ClientStatus, RunReport, UseRecord};
use super::transcript::{push_transcript, transcript_text};

/// A client as the summary and the page show it.
#[derive(Debug, Serialize)]
pub(crate) struct ClientView {
    mark: &'static str,
    status: &'static str,
    id: String,
    name: String,
    source: String,
    version: String,
    details: String,
    uses: Vec<UseView>,
}

/// One use of a client as the summary and the page show it.
#[derive(Debug, Serialize)]
struct UseView {
    mark: &'static str,
    status: &'static str,
    request: String,
    unmet: Vec<String>,
    reason: Option<String>,
    transcript: String,
    exchanges: usize,
}

impl ClientView {
    /// The views of `report`'s clients; transcripts cut at `body_limit` bytes (none when
    /// `transcripts` is false), pretty-printed for the page when `pretty`.
    pub(crate) fn of(
        report: &RunReport,
        transcripts: bool,
        body_limit: usize,
        pretty: bool,
    ) -> Vec<ClientView> {
        report
            .clients
            .iter()
            .map(|c| ClientView {
                mark: c.status.mark(),
                status: c.status.name(),
                id: c.id.clone(),
                name: c.name.clone(),
                source: c.source.clone(),
                version: c.version.clone(),
                details: c.details.clone(),
                uses: c
                    .uses
                    .iter()
                    .map(|u| UseView {
                        mark: u.status.mark(),
                        status: u.status.name(),
                        request: u.request.clone(),
                        unmet: u.unmet.clone(),
                        reason: u.reason.clone(),
                        transcript: if transcripts {
                            transcript_text(&u.exchanges, body_limit, pretty)
                        } else {
                            String::new()
                        },
                        exchanges: u.exchanges.len(),
                    })
                    .collect(),
            })
            .collect()
    }
}

/// The counts of a report's clients: (ok, broken, not run).
pub fn counts(report: &RunReport) -> (usize, usize, usize) {
    let count = |s: ClientStatus| report.clients.iter().filter(|c| c.status == s).count();
    (
        count(ClientStatus::Ok),
        count(ClientStatus::Broken),
        count(ClientStatus::NotRun),
    )
}

/// The JUnit testsuite `clients`: a testcase per client, a failure for a broken one (its
/// unmet needs and the exchanges that show them), skipped for one not run.
pub(crate) fn junit_suite(report: &RunReport, body_limit: usize) -> Option<TestSuite> {
    if report.clients.is_empty() {
        return None;
    }
    let mut suite = TestSuite::new("clients");
    for client in &report.clients {
        let status = match client.status {
            ClientStatus::Ok => TestCaseStatus::success(),
            ClientStatus::Broken => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(client.details.as_str())
                    .set_type("broken")
                    .set_description(use_text(&client.uses, body_limit));
                status
            }
            ClientStatus::NotRun => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(client.details.as_str());
                status
            }
        };
        let mut test = TestCase::new(client.name.as_str(), status);
        test.set_classname(format!("clients/{}", client.id));
        test.set_system_out(format!(
            "{} — {}\nsource: {}\nversion: {}\n{}\n{}",
            client.name,
            client.status.name(),
            client.source,
            client.version,
            client.details,
            use_text(&client.uses, body_limit)
        ));
        suite.add_test_case(test);
    }
    Some(suite)
}

/// Each use with its status, unmet needs and exchanges, as plain text.
fn use_text(uses: &[UseRecord], body_limit: usize) -> String {
    let mut out = String::new();
    for u in uses {
        out.push_str(&format!("\n== {} ({}) ==\n", u.request, u.status.name()));
        for need in &u.unmet {
            out.push_str(&format!("  {need}\n"));
        }
        if let Some(reason) = &u.reason {
            out.push_str(&format!("  {reason}\n"));
        }
        push_transcript(&mut out, &u.exchanges, body_limit, false);
    }
    out
}

/// The clients of merged shards: per client (in first-seen order), a broken result over an
/// ok one over a not-run one (one shard evaluates them; the others report them not run).
pub fn merge(parts: &[Part]) -> Vec<ClientRecord> {
    let rank = |c: &ClientRecord| match c.status {
        ClientStatus::Broken => 0,
        ClientStatus::Ok => 1,
        ClientStatus::NotRun => 2,
    };
    let mut order: Vec<&str> = Vec::new();
    let mut best: BTreeMap<&str, &ClientRecord> = BTreeMap::new();
    for client in parts.iter().flat_map(|p| &p.report.clients) {
        match best.get(client.id.as_str()) {
            None => {
                order.push(&client.id);
                best.insert(&client.id, client);
            }
            Some(kept) if rank(client) < rank(kept) => {
                best.insert(&client.id, client);
            }
            Some(_) => {}
        }
    }
    order
        .into_iter()
        .filter_map(|id| best.get(id).map(|c| (*c).clone()))
        .collect()
}

/// A client whose status changed between two reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientChange {
    /// The profile id.
    pub id: String,
    /// The client's name.
    pub name: String,
    /// The new report's details.
    pub details: String,
}

/// The clients `new` breaks that were ok in `old`, and those it fixes (broken, now ok).
pub fn changes(old: &RunReport, new: &RunReport) -> (Vec<ClientChange>, Vec<ClientChange>) {
    let before: BTreeMap<&str, ClientStatus> = old
        .clients
        .iter()
        .map(|c| (c.id.as_str(), c.status))
        .collect();
    let (mut broken, mut fixed) = (Vec::new(), Vec::new());
    for client in &new.clients {
        let change = || ClientChange {
            id: client.id.clone(),
            name: client.name.clone(),
            details: client.details.clone(),
        };
        match (before.get(client.id.as_str()), client.status) {
            (Some(ClientStatus::Ok), ClientStatus::Broken) => broken.push(change()),
            (Some(ClientStatus::Broken), ClientStatus::Ok) => fixed.push(change()),
            _ => {}
        }
    }
    (broken, fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expectations::tests::report;
    use camino::Utf8PathBuf;

    fn client(id: &str, status: ClientStatus) -> ClientRecord {
        ClientRecord {
            id: id.into(),
            name: format!("client {id}"),
            source: "s".into(),
            version: "v".into(),
            status,
            details: format!("{id} is {}", status.name()),
            uses: Vec::new(),
        }
    }

    fn part(clients: Vec<ClientRecord>) -> Part {
        let mut r = report(Vec::new());
        r.clients = clients;
        Part {
            path: Utf8PathBuf::from("x/report.json"),
            report: r,
        }
    }

    #[test]
    fn the_evaluating_shard_wins_and_broken_wins_over_ok() {
        let parts = [
            part(vec![
                client("a", ClientStatus::NotRun),
                client("b", ClientStatus::NotRun),
            ]),
            part(vec![
                client("a", ClientStatus::Ok),
                client("b", ClientStatus::Broken),
            ]),
            part(vec![client("b", ClientStatus::Ok)]),
        ];
        let merged = merge(&parts);
        let got: Vec<(&str, ClientStatus)> =
            merged.iter().map(|c| (c.id.as_str(), c.status)).collect();
        assert_eq!(got, [("a", ClientStatus::Ok), ("b", ClientStatus::Broken)]);
    }

    #[test]
    fn a_release_that_breaks_a_client_shows_in_the_changes() {
        let old = part(vec![
            client("a", ClientStatus::Ok),
            client("b", ClientStatus::Broken),
            client("c", ClientStatus::NotRun),
        ])
        .report;
        let new = part(vec![
            client("a", ClientStatus::Broken),
            client("b", ClientStatus::Ok),
            client("c", ClientStatus::Broken),
        ])
        .report;
        let (broken, fixed) = changes(&old, &new);
        assert_eq!(
            broken.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        assert_eq!(
            fixed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(counts(&new), (1, 2, 0));
    }
}

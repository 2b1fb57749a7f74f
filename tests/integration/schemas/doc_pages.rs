//! The doc pages' examples, checked against the schemas: exactly the known finding.
use super::*;

/// A checked example: its page, line, kind, the schema it was checked against, and whether
/// it satisfied it.
type Checked = (String, usize, ExampleKind, String, bool);

#[test]
fn the_doc_pages_yield_exactly_the_known_finding() {
    let registry = registry();
    let docs = repo_path("specs/docs");
    let report = check_doc_examples(&docs, &registry).unwrap_or_else(|error| panic!("{error}"));

    let checked: Vec<Checked> = report
        .checked
        .iter()
        .map(|c| {
            (
                c.example.page.clone(),
                c.example.line,
                c.example.kind,
                c.schema_id.clone(),
                c.valid,
            )
        })
        .collect();
    assert_eq!(checked, expected_checks());

    let titles: Vec<&str> = report
        .checked
        .iter()
        .map(|c| c.example.title.as_str())
        .collect();
    assert_eq!(titles, EXPECTED_TITLES);

    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(finding.page, "channels.invite.txt");
    assert_eq!(finding.line, 49);
    assert_eq!(finding.schema_id, "channels.invite/200");
    let pointers: Vec<&str> = finding
        .violations
        .iter()
        .map(|v| v.instance_pointer.as_str())
        .collect();
    assert_eq!(pointers, ["/channel/usernames"]);
    assert_eq!(
        finding.to_string(),
        format!(
            "{}:49: \"Add a user — Example Response\" does not satisfy channels.invite/200: /channel/usernames is not of type \"array\"",
            docs.join("channels.invite.txt")
        )
    );
}

/// Every example of the two doc pages, in page order, with the schema it is checked against
/// and whether it satisfies it (one does not: the known finding).
fn expected_checks() -> Vec<Checked> {
    let ok = ExampleKind::Response { status: 200 };
    [
        (
            "channels.invite.txt",
            43,
            ExampleKind::Request,
            "channels.invite/request",
            true,
        ),
        ("channels.invite.txt", 49, ok, "channels.invite/200", false),
        (
            "channels.invite.txt",
            87,
            ExampleKind::Request,
            "channels.invite/request",
            true,
        ),
        ("channels.invite.txt", 93, ok, "channels.invite/200", true),
        (
            "groups.invite.txt",
            38,
            ExampleKind::Request,
            "groups.invite/request-v0",
            true,
        ),
        (
            "groups.invite.txt",
            38,
            ExampleKind::Request,
            "groups.invite/request",
            true,
        ),
        ("groups.invite.txt", 59, ok, "groups.invite/200", true),
        (
            "groups.invite.txt",
            113,
            ExampleKind::Response { status: 400 },
            "invite/400",
            true,
        ),
    ]
    .into_iter()
    .map(|(page, line, kind, id, valid)| (page.to_owned(), line, kind, id.to_owned(), valid))
    .collect()
}

/// The titles of those examples, in the same order.
const EXPECTED_TITLES: [&str; 8] = [
    "Add a user — Example Call",
    "Add a user — Example Response",
    "Add bulk users — Example Call",
    "Add bulk users — Example Response",
    "Body parameters — Example",
    "Body parameters — Example",
    "Responses 200 — Success",
    "Responses 400 — Permission required",
];

//! Tests of the parent module.

use super::extract::{is_curl_data_prefix, is_label};
use super::*;

fn extract(text: &str) -> Vec<DocExample> {
    match extract_examples(Utf8Path::new("specs/docs/x.invite.txt"), text) {
        Ok(examples) => examples,
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn curl_bodies_are_requests_titled_by_section_and_call() {
    let text = "Add a user\n\nBody Parameters\n\nExample Call\n\ncurl -H \"X: y\" \\\n     https://h/api \\\n     --data-raw '{ \n  \"roomId\": \"r\" }'\n";
    let examples = extract(text);
    assert_eq!(examples.len(), 1);
    assert_eq!(examples[0].kind, ExampleKind::Request);
    assert_eq!(examples[0].line, 9);
    assert_eq!(examples[0].title, "Add a user — Example Call");
    assert_eq!(examples[0].page, "x.invite.txt");
}

#[test]
fn status_lines_give_the_response_status() {
    let text = "Responses\n200\n\nOK\n\nSuccess\n{\n  \"success\": true\n}\nobject\n400\n\nBad Request\n\nNope\n{\"success\": false}\n";
    let examples = extract(text);
    let summary: Vec<(usize, ExampleKind, &str)> = examples
        .iter()
        .map(|e| (e.line, e.kind, e.title.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                7,
                ExampleKind::Response { status: 200 },
                "Responses 200 — Success"
            ),
            (
                16,
                ExampleKind::Response { status: 400 },
                "Responses 400 — Nope"
            ),
        ]
    );
}

#[test]
fn prose_braces_outlines_and_unbalanced_blocks_are_skipped() {
    let text = "Example Response\nSee {roomId} in the text.\n{ not json }\nobject\n  group\n  string\n{\n  \"open\": \n";
    assert!(extract(text).is_empty());
}

#[test]
fn scraped_whitespace_is_tolerated() {
    let text = "Example Response\n{\n\u{a0}\u{a0}\"success\":\u{a0}true\n}\n";
    let examples = extract(text);
    assert_eq!(examples.len(), 1);
    assert_eq!(examples[0].value, serde_json::json!({"success": true}));
}

#[test]
fn braces_inside_strings_do_not_end_a_block() {
    let text = "Example Response\n{\"error\": \"bad } brace {\", \"success\": false}\n";
    assert_eq!(extract(text)[0].value["error"], "bad } brace {");
}

#[test]
fn an_example_without_headings_is_an_error_not_a_guess() {
    let result = extract_examples(Utf8Path::new("p.txt"), "Some text\n{\"a\": 1}\n");
    assert!(matches!(
        result,
        Err(DocsError::Unclassified { line: 2, .. })
    ));
}

#[test]
fn example_values_are_not_headings() {
    assert!(!is_label("ByehQjC44FwMeiLbX"));
    assert!(!is_label("roomId*"));
    assert!(!is_label("The channel ID."));
    assert!(is_label("Example"));
    assert!(is_label("Add bulk users"));
}

#[test]
fn curl_data_flags_are_recognised() {
    assert!(is_curl_data_prefix("-d '"));
    assert!(is_curl_data_prefix("https://h/api -d '"));
    assert!(is_curl_data_prefix("--data=\""));
    assert!(!is_curl_data_prefix("x-d '"));
    assert!(!is_curl_data_prefix("-H 'X: {'"));
}

#[test]
fn responses_map_to_the_endpoint_then_the_shared_family() {
    assert_eq!(
        candidate_schema_ids("groups.invite", ExampleKind::Response { status: 400 }),
        vec!["groups.invite/400", "invite/400"]
    );
    assert_eq!(
        candidate_schema_ids("groups.invite", ExampleKind::Request),
        vec!["groups.invite/request-v0", "groups.invite/request"]
    );
}

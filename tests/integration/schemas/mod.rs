//! The doc-derived schemas in `specs/schemas/` and the doc-example checker, end to end: the
//! repository's schemas load, accept the bodies real servers send, reject bad ones at the
//! right JSON pointer, and the two doc pages yield exactly the known documentation finding.

mod bodies;
mod doc_pages;
mod loading;

use camino::{Utf8Path, Utf8PathBuf};
use rc_conform::spec::docs::{ExampleKind, check_doc_examples};
use rc_conform::spec::schemas::{SchemaError, SchemaRegistry, Violation};
use serde_json::{Value, json};

fn repo_path(relative: &str) -> Utf8PathBuf {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn registry() -> SchemaRegistry {
    SchemaRegistry::load(&repo_path("specs/schemas")).unwrap_or_else(|error| panic!("{error}"))
}

fn violations(registry: &SchemaRegistry, id: &str, body: &Value) -> Vec<Violation> {
    registry
        .validate(id, body)
        .unwrap_or_else(|error| panic!("{error}"))
}

#[track_caller]
fn assert_valid(registry: &SchemaRegistry, id: &str, body: Value) {
    let found = violations(registry, id, &body);
    assert!(found.is_empty(), "{id} rejects {body}: {found:?}");
}

/// Asserts that `body` fails `id` and that one violation sits at `pointer`.
#[track_caller]
fn assert_rejected_at(registry: &SchemaRegistry, id: &str, body: Value, pointer: &str) {
    let found = violations(registry, id, &body);
    assert!(
        found.iter().any(|v| v.instance_pointer == pointer),
        "{id} on {body}: expected a violation at {pointer:?}, got {found:?}"
    );
}

const ALL_IDS: [&str; 11] = [
    "channels.invite/200",
    "channels.invite/request",
    "channels.invite/request-accepted",
    "groups.invite/200",
    "groups.invite/request",
    "groups.invite/request-v0",
    "invite/400",
    "invite/401",
    "invite/401-v9",
    "invite/403",
    "invite/429",
];

#[test]
fn the_repository_schemas_load_with_every_documented_id() {
    let registry = registry();
    let ids: Vec<&str> = registry.ids().collect();
    assert_eq!(ids, ALL_IDS);
    for id in ALL_IDS {
        assert!(registry.contains(id), "{id}");
        let source = registry
            .source(id)
            .map(|p| p.file_name().map(str::to_owned));
        assert_eq!(
            source,
            Some(Some(format!("{}.json", id.replace('/', ".")))),
            "{id}"
        );
    }
}

#[test]
fn an_unknown_schema_id_is_an_error() {
    let registry = registry();
    let result = registry.validate("channels.invite/201", &json!({}));
    match result {
        Err(SchemaError::UnknownId { id, known }) => {
            assert_eq!(id, "channels.invite/201");
            assert_eq!(known.len(), ALL_IDS.len());
        }
        other => panic!("expected UnknownId, got {other:?}"),
    }
    assert!(!registry.contains("channels.invite/201"));
}

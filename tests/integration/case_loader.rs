//! `specs/case.schema.json` against the case files and the loader: every case file of the
//! repository validates; every broken fixture of `tests/fixtures/broken-cases/` that the
//! loader rejects for its shape (unknown key, wrong type, missing field, non-strict boolean)
//! is rejected by the schema too, at the same place; the fixtures whose names are undefined
//! (users, rooms, references, premises, schema ids, duplicate ids) pass the schema, which
//! leaves names to the loader.

use std::path::{Path, PathBuf};

use camino::Utf8PathBuf;
use rc_conform::case::{Diagnostic, load_texts};
use rc_conform::spec::Specs;
use serde_json::{Value, json};

fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema() -> Value {
    let path = repo("specs/case.schema.json");
    serde_json::from_str(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).unwrap_or_else(|e| panic!("case.schema.json: {e}"))
}

/// The YAML text as the JSON value the schema sees. Booleans are strict as in the loader and
/// in YAML 1.2 (what yaml-language-server reads): `NO` and `yes` are strings, not booleans.
fn yaml(text: &str) -> Result<Value, String> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| e.to_string())
}

/// `(instance pointer, message)` of every schema violation.
fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<(String, String)> {
    validator
        .iter_errors(instance)
        .map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
        .collect()
}

/// Every `*.yaml`/`*.yml` file below `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

/// How a broken fixture is broken, and so who must reject it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Break {
    /// Not YAML at all: neither the schema nor the loader gets a value.
    Syntax,
    /// The shape is wrong: the schema rejects it where the loader does.
    Structural,
    /// A name the case file alone cannot check: the schema accepts it, the loader rejects it.
    Name,
}

/// Every fixture of `tests/fixtures/broken-cases/`, by file stem.
const BROKEN: [(&str, Break); 12] = [
    ("bad-yaml-syntax", Break::Syntax),
    ("unknown-key", Break::Structural),
    ("wrong-type", Break::Structural),
    ("missing-field", Break::Structural),
    ("non-strict-boolean-no", Break::Structural),
    ("non-strict-boolean-yes", Break::Structural),
    ("duplicate-case-id", Break::Name),
    ("undefined-user-in-members", Break::Name),
    ("undefined-reference-in-body", Break::Name),
    ("undefined-room-in-members-after", Break::Name),
    ("unknown-premise", Break::Name),
    ("unknown-schema-id", Break::Name),
];

fn fixture(name: &str) -> String {
    read(&repo(&format!("tests/fixtures/broken-cases/{name}.yaml")))
}

/// Runs the loader as `rc-conform check` would, on the repository's case files plus the
/// fixture (loaded last, as `cases/wip/<name>.yaml`), and returns the fixture's diagnostics.
fn loader_diagnostics(name: &str) -> Vec<Diagnostic> {
    let specs = Specs::load(&Utf8PathBuf::from_path_buf(repo("specs")).expect("UTF-8 path"))
        .unwrap_or_else(|e| panic!("specs: {e}"));
    let mut texts: Vec<(Utf8PathBuf, String)> = yaml_files(&repo("cases"))
        .into_iter()
        .map(|p| {
            (
                Utf8PathBuf::from_path_buf(p.clone()).expect("UTF-8 path"),
                read(&p),
            )
        })
        .collect();
    let file = Utf8PathBuf::from(format!("cases/wip/{name}.yaml"));
    texts.push((file.clone(), fixture(name)));
    match load_texts(&texts, &specs.known_names()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.0.into_iter().filter(|d| d.file == file).collect(),
    }
}

/// The loader's field path (`cases[0].setup.rooms.town.archived`) as a JSON pointer
/// (`/cases/0/setup/rooms/town/archived`).
fn pointer(field: &str) -> String {
    field
        .replace('[', ".")
        .replace(']', "")
        .split('.')
        .map(|segment| format!("/{segment}"))
        .collect()
}

#[test]
fn the_schema_is_a_draft_2020_12_schema_with_the_documented_id() {
    let schema = schema();
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("case.schema.json is not a valid draft 2020-12 schema: {e}");
    }
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["$id"], "rc-conform:case-file");
}

#[test]
fn every_property_of_the_schema_has_a_description() {
    /// Collects the paths of `properties` entries without a `description`, skipping the
    /// applicator branches (`oneOf`, `if`, …) that only constrain presence.
    fn walk(node: &Value, path: &str, missing: &mut Vec<String>) {
        let Value::Object(map) = node else { return };
        for (key, child) in map {
            match key.as_str() {
                "oneOf" | "anyOf" | "allOf" | "not" | "if" | "then" | "else" => {}
                "properties" => {
                    for (name, property) in child.as_object().into_iter().flatten() {
                        if property.get("description").is_none() {
                            missing.push(format!("{path}/properties/{name}"));
                        }
                        walk(property, &format!("{path}/properties/{name}"), missing);
                    }
                }
                _ => walk(child, &format!("{path}/{key}"), missing),
            }
        }
    }
    let mut missing = Vec::new();
    walk(&schema(), "", &mut missing);
    assert!(
        missing.is_empty(),
        "properties without a description: {missing:#?}"
    );
}

#[test]
fn every_case_file_in_the_repository_validates_against_the_schema() {
    let validator = validator();
    let files = yaml_files(&repo("cases"));
    assert!(
        files.len() >= 4,
        "expected the repository's case files, found {files:?}"
    );
    for file in files {
        let value = yaml(&read(&file)).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let found = violations(&validator, &value);
        assert!(
            found.is_empty(),
            "{} fails the schema: {found:#?}",
            file.display()
        );
    }
}

#[test]
fn every_broken_fixture_is_classified_and_the_loader_rejects_it() {
    let on_disk: Vec<String> = yaml_files(&repo("tests/fixtures/broken-cases"))
        .iter()
        .map(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let mut classified: Vec<String> = BROKEN.iter().map(|(n, _)| (*n).to_owned()).collect();
    classified.sort();
    assert_eq!(
        on_disk, classified,
        "tests/fixtures/broken-cases/ and BROKEN differ"
    );
    for (name, _) in BROKEN {
        assert!(
            !loader_diagnostics(name).is_empty(),
            "the loader accepts the broken fixture {name}"
        );
    }
}

#[test]
fn bad_yaml_syntax_is_rejected_before_any_schema_applies() {
    for (name, _) in BROKEN.iter().filter(|(_, b)| *b == Break::Syntax) {
        assert!(
            yaml(&fixture(name)).is_err(),
            "{name} parses as YAML but should not"
        );
    }
}

#[test]
fn the_schema_rejects_each_structural_break_at_the_place_the_loader_names() {
    let validator = validator();
    for (name, _) in BROKEN.iter().filter(|(_, b)| *b == Break::Structural) {
        let value = yaml(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let found = violations(&validator, &value);
        let loader = loader_diagnostics(name);
        let first = loader
            .first()
            .unwrap_or_else(|| panic!("the loader accepts {name}"));
        let at = pointer(&first.field);
        // The schema names the offending value, or for an unknown key the object holding it.
        let same_place = |p: &str| {
            at == p
                || at
                    .strip_prefix(p)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|key| !key.contains('/'))
        };
        assert!(
            found.iter().any(|(p, _)| same_place(p)),
            "{name}: the loader reports `{}` ({}), the schema reports {found:#?}",
            first.field,
            first.message
        );
    }
}

#[test]
fn the_schema_accepts_the_name_breaks_it_leaves_to_the_loader() {
    let validator = validator();
    for (name, _) in BROKEN.iter().filter(|(_, b)| *b == Break::Name) {
        let value = yaml(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let found = violations(&validator, &value);
        assert!(found.is_empty(), "{name}: {found:#?}");
    }
}

/// A valid one-case file whose call can be changed.
fn with_call(call: Value) -> Value {
    json!({ "cases": [{
        "id": "x/y",
        "title": "t",
        "endpoint": "groups.invite",
        "premise": "not-allowed",
        "source": "s",
        "call": call,
    }]})
}

fn expect() -> Value {
    json!({ "status": 400 })
}

#[test]
fn the_schema_requires_call_or_calls_and_body_or_raw_like_the_loader() {
    let validator = validator();
    let call = json!({ "as": "admin", "body": {}, "expect": expect() });
    let valid = |v: &Value| violations(&validator, v).is_empty();
    assert!(valid(&with_call(call.clone())));

    let mut both = with_call(call.clone());
    both["cases"][0]["calls"] = json!([call.clone()]);
    assert!(!valid(&both), "call and calls together");
    both["cases"][0]["calls"] = json!([]);
    assert!(
        valid(&both),
        "the loader accepts call with an empty calls list"
    );

    let mut neither = with_call(call.clone());
    neither["cases"][0]
        .as_object_mut()
        .map(|c| c.remove("call"));
    assert!(!valid(&neither), "neither call nor calls");
    neither["cases"][0]["calls"] = json!([]);
    assert!(!valid(&neither), "an empty calls list alone");
    neither["cases"][0]["calls"] = json!([call]);
    assert!(valid(&neither));

    let raw = json!({ "as": "admin", "raw": "{", "content_type": "application/json", "expect": expect() });
    assert!(valid(&with_call(raw)));
    let body_and_raw = json!({ "as": "admin", "body": {}, "raw": "{", "expect": expect() });
    assert!(!valid(&with_call(body_and_raw)), "body and raw together");
    let no_body = json!({ "as": "admin", "expect": expect() });
    assert!(!valid(&with_call(no_body)), "neither body nor raw");
    let content_type_with_body =
        json!({ "as": "admin", "body": {}, "content_type": "text/plain", "expect": expect() });
    assert!(
        !valid(&with_call(content_type_with_body)),
        "content_type goes with raw"
    );
}

#[test]
fn the_schema_requires_as_unless_auth_is_none_like_the_loader() {
    let validator = validator();
    let valid = |call: Value| violations(&validator, &with_call(call)).is_empty();
    assert!(valid(
        json!({ "auth": "none", "body": {}, "expect": expect() })
    ));
    assert!(!valid(
        json!({ "auth": "none", "as": "admin", "body": {}, "expect": expect() })
    ));
    assert!(!valid(json!({ "body": {}, "expect": expect() })));
    assert!(!valid(
        json!({ "auth": "wrong-token", "body": {}, "expect": expect() })
    ));
    assert!(valid(
        json!({ "auth": "token-only", "as": "admin", "body": {}, "expect": expect() })
    ));
}

#[test]
fn the_schema_takes_versions_as_quoted_strings_and_statuses_as_http_codes() {
    let validator = validator();
    let valid = |case: Value| violations(&validator, &json!({ "cases": [case] })).is_empty();
    let case = |extra: Value| {
        let mut case = json!({
            "id": "x/y", "title": "t", "endpoint": "channels.invite", "premise": "p", "source": "s",
            "call": { "as": "admin", "body": {}, "expect": expect() },
        });
        for (k, v) in extra.as_object().into_iter().flatten() {
            case[k] = v.clone();
        }
        case
    };
    assert!(valid(case(json!({ "since": "9.0.0", "until": "10.1" }))));
    assert!(valid(case(json!({ "since": "9.0.0-rc.1" }))));
    assert!(!valid(case(json!({ "since": 9.0 }))), "an unquoted version");
    assert!(!valid(case(json!({ "since": "nine" }))));
    let mut status = case(json!({}));
    status["call"]["expect"]["status"] = json!(42);
    assert!(!valid(status), "42 is not an HTTP status");
}

/// A run reads and parses its case files while the specs load, and resolves their names
/// after: every problem is still told, in file order, as one load tells them (a file that
/// does not parse before one whose premise is unknown).
#[test]
fn parsing_before_the_specs_load_tells_the_same_problems_in_file_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("UTF-8");
    let fixtures = repo("tests/fixtures/broken-cases");
    for (name, fixture) in [
        ("a.yaml", "bad-yaml-syntax.yaml"),
        ("b.yaml", "unknown-premise.yaml"),
    ] {
        std::fs::write(root.join(name), read(&fixtures.join(fixture))).expect("written");
    }
    let parsed =
        rc_conform::case::parse_suite_from(&rc_conform::built_in::Source::Dir(root.clone()))
            .unwrap_or_else(|e| panic!("parsing holds the files' problems until resolved: {e}"));
    let specs =
        Specs::load(&Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs")).expect("specs");
    let split = parsed
        .resolve(&specs.known_names())
        .expect_err("both files are broken");
    let files: Vec<&str> = split
        .0
        .iter()
        .map(|d| d.file.file_name().unwrap_or_default())
        .collect();
    assert_eq!(files, ["a.yaml", "b.yaml"], "{:?}", split.0);
    let whole = specs.load_cases(&root).expect_err("both files are broken");
    let shown =
        |e: &rc_conform::case::LoadErrors| e.0.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(shown(&split), shown(&whole));
}

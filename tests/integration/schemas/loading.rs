//! Loading schema files: references resolve offline, never remotely, and bad files are
//! refused naming the file.
use super::*;
use rc_conform::built_in::Source;

fn write_schema(dir: &Utf8Path, file: &str, body: Value) {
    let text = serde_json::to_string_pretty(&body).unwrap_or_else(|error| panic!("{error}"));
    fs_err::write(dir.join(file), text).unwrap_or_else(|error| panic!("{error}"));
}

fn temp_schema_dir() -> (tempfile::TempDir, Utf8PathBuf) {
    let temp = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let dir = Utf8PathBuf::from_path_buf(temp.path().to_path_buf())
        .unwrap_or_else(|path| panic!("temp dir {path:?} is not UTF-8"));
    (temp, dir)
}

fn envelope() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "rc-conform:t/envelope",
        "type": "object",
        "properties": {"success": {"const": false}},
        "required": ["success"]
    })
}

#[test]
fn cross_references_between_files_resolve_offline() {
    let (_temp, dir) = temp_schema_dir();
    write_schema(&dir, "t.envelope.json", envelope());
    write_schema(
        &dir,
        "t.400.json",
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "rc-conform:t/400",
            "$ref": "rc-conform:t/envelope",
            "properties": {"error": {"type": "string"}}
        }),
    );
    fs_err::write(dir.join("README.md"), "not a schema").unwrap_or_else(|e| panic!("{e}"));
    let registry = SchemaRegistry::load(&dir).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(registry.ids().collect::<Vec<_>>(), ["t/400", "t/envelope"]);
    assert_rejected_at(&registry, "t/400", json!({"success": true}), "/success");
    assert_valid(&registry, "t/400", json!({"success": false, "error": "e"}));
}

#[test]
fn a_dangling_ref_fails_to_load_naming_the_file() {
    let (_temp, dir) = temp_schema_dir();
    write_schema(&dir, "t.envelope.json", envelope());
    write_schema(
        &dir,
        "t.400.json",
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "rc-conform:t/400",
            "properties": {"details": {"$ref": "rc-conform:t/details"}}
        }),
    );
    let error = SchemaRegistry::load(&dir).map(|_| ()).err();
    match error {
        Some(SchemaError::DanglingRef {
            ref path,
            ref reference,
            ..
        }) => {
            assert_eq!(path, &dir.join("t.400.json"));
            assert_eq!(reference, "rc-conform:t/details");
        }
        other => panic!("expected DanglingRef, got {other:?}"),
    }
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("t.400.json"), "{message}");
    assert!(message.contains("rc-conform:t/details"), "{message}");
}

#[test]
fn a_remote_ref_is_never_fetched() {
    let (_temp, dir) = temp_schema_dir();
    write_schema(
        &dir,
        "t.remote.json",
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "rc-conform:t/remote",
            "$ref": "https://example.com/schema.json"
        }),
    );
    let error = SchemaRegistry::load(&dir).map(|_| ()).err();
    assert!(
        matches!(&error, Some(SchemaError::DanglingRef { path, .. }) if path.ends_with("t.remote.json")),
        "{error:?}"
    );
}

#[test]
fn a_bad_pointer_into_a_known_file_fails_to_compile_naming_the_file() {
    let (_temp, dir) = temp_schema_dir();
    write_schema(&dir, "t.envelope.json", envelope());
    write_schema(
        &dir,
        "t.400.json",
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "rc-conform:t/400",
            "$ref": "rc-conform:t/envelope#/$defs/missing"
        }),
    );
    let error = SchemaRegistry::load(&dir).map(|_| ()).err();
    assert!(
        matches!(&error, Some(SchemaError::Compile { path, id, .. }) if path.ends_with("t.400.json") && id == "t/400"),
        "{error:?}"
    );
}

#[test]
fn files_that_break_the_conventions_are_refused() {
    let cases: [(&str, Value, &str); 4] = [
        (
            "t.draft7.json",
            json!({"$schema": "http://json-schema.org/draft-07/schema#", "$id": "rc-conform:t/draft7"}),
            "NotDraft202012",
        ),
        (
            "t.meta.json",
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "rc-conform:t/meta", "type": "strnig"}),
            "MetaSchema",
        ),
        (
            "t.noid.json",
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/x"}),
            "BadId",
        ),
        (
            "wrong-name.json",
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "rc-conform:t/named"}),
            "FileName",
        ),
    ];
    for (file, body, expected) in cases {
        let (_temp, dir) = temp_schema_dir();
        write_schema(&dir, file, body);
        let error = SchemaRegistry::load(&dir).map(|_| ()).err();
        let debug = format!("{error:?}");
        assert!(
            debug.starts_with(&format!("Some({expected} ")),
            "{file}: {debug}"
        );
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains(file), "{file}: {message}");
    }
}

#[test]
fn invalid_json_is_reported_with_its_position() {
    let (_temp, dir) = temp_schema_dir();
    fs_err::write(dir.join("t.broken.json"), "{\n  \"$schema\": \n}")
        .unwrap_or_else(|e| panic!("{e}"));
    let message = SchemaRegistry::load(&dir)
        .map(|_| ())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("t.broken.json:3:1"), "{message}");
}

/// The built-in schemas load without compiling (their first use compiles them): each must
/// compile, and the repository's files they are made from pass every check a schema
/// directory is held to, the meta-schema included.
#[test]
fn the_built_in_schemas_compile() {
    let built_in = SchemaRegistry::load_from(&Source::built_in_specs().join("schemas"))
        .unwrap_or_else(|error| panic!("{error}"));
    built_in
        .compile_all()
        .unwrap_or_else(|error| panic!("{error}"));
    let repository = registry();
    assert_eq!(
        built_in.ids().collect::<Vec<_>>(),
        repository.ids().collect::<Vec<_>>()
    );
    assert!(built_in.ids().count() >= 10);
}

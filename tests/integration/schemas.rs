//! The doc-derived schemas in `specs/schemas/` and the doc-example checker, end to end: the
//! repository's schemas load, accept the bodies real servers send, reject bad ones at the
//! right JSON pointer, and the two doc pages yield exactly the known documentation finding.

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

/// A real 6.x-8.x success body: no `usernames`, many more fields than documented.
fn real_channel() -> Value {
    json!({
        "_id": "GENERAL2",
        "fname": "town",
        "customFields": {},
        "broadcast": false,
        "encrypted": false,
        "name": "town",
        "t": "c",
        "msgs": 3,
        "usersCount": 3,
        "u": {"_id": "aobEdbYhXfu5hkeqG", "username": "mod"},
        "ts": "2026-11-23T05:20:00.000Z",
        "ro": false,
        "default": false,
        "sysMes": true,
        "_updatedAt": "2026-11-23T05:21:00.000Z",
        "lm": "2026-11-23T05:21:00.000Z",
        "lastMessage": {
            "_id": "m1", "t": "au", "msg": "guest", "groupable": false,
            "ts": "2026-11-23T05:21:00.000Z", "rid": "GENERAL2",
            "u": {"_id": "aobEdbYhXfu5hkeqG", "username": "mod", "name": "Mod"},
            "_updatedAt": "2026-11-23T05:21:00.000Z", "urls": [], "mentions": [], "channels": []
        }
    })
}

#[test]
fn success_bodies_real_servers_send_are_valid() {
    let registry = registry();
    assert_valid(
        &registry,
        "channels.invite/200",
        json!({"channel": real_channel(), "success": true}),
    );
    let mut group = real_channel();
    group["t"] = json!("p");
    assert_valid(
        &registry,
        "groups.invite/200",
        json!({"group": group, "success": true}),
    );
}

#[test]
fn success_bodies_with_wrong_shapes_are_rejected_at_the_field() {
    let registry = registry();
    let mut channel = real_channel();
    channel["usernames"] = json!("testing");
    assert_rejected_at(
        &registry,
        "channels.invite/200",
        json!({"channel": channel, "success": true}),
        "/channel/usernames",
    );
    let mut channel = real_channel();
    channel["msgs"] = json!("3");
    assert_rejected_at(
        &registry,
        "channels.invite/200",
        json!({"channel": channel, "success": true}),
        "/channel/msgs",
    );
    assert_rejected_at(
        &registry,
        "groups.invite/200",
        json!({"group": real_channel(), "success": false}),
        "/success",
    );
    // The room key is per endpoint: a channels body is not a groups body.
    assert_rejected_at(
        &registry,
        "groups.invite/200",
        json!({"channel": real_channel(), "success": true}),
        "",
    );
}

#[test]
fn error_bodies_real_servers_send_are_valid() {
    let registry = registry();
    // Thrown Meteor errors (`failure()` of apps/meteor/server/api/ApiClass.ts @0358e0dc).
    assert_valid(
        &registry,
        "invite/400",
        json!({"success": false, "error": "Not allowed [error-not-allowed]",
               "errorType": "error-not-allowed", "details": {"method": "addUsersToRoom"}}),
    );
    // channels.invite with no resolvable user: error and errorType swapped (channels.ts @04f79fdd).
    assert_valid(
        &registry,
        "invite/400",
        json!({"success": false, "error": "invalid-user-invite-list",
               "errorType": "Cannot invite if no users are provided"}),
    );
    // A string userIds: a JavaScript TypeError, no errorType (getUserFromParams.ts @0781f57b).
    assert_valid(
        &registry,
        "invite/400",
        json!({"success": false, "error": "userListParam.push is not a function"}),
    );
    // TEST_MODE adds the stack.
    assert_valid(
        &registry,
        "invite/400",
        json!({"success": false, "error": "The required \"roomId\" or \"roomName\" param provided does not match any channel [error-room-not-found]",
               "errorType": "error-room-not-found", "stack": "Error: …"}),
    );
    // 401 of Restivus-era servers (the documented authorizationError) and of 6.x-8.x (ApiClass.ts).
    assert_valid(
        &registry,
        "invite/401",
        json!({"status": "error", "message": "You must be logged in to do this."}),
    );
    assert_valid(
        &registry,
        "invite/401",
        json!({"success": false, "status": "error",
               "error": "You must be logged in to do this.",
               "message": "You must be logged in to do this."}),
    );
    // 9.x drops status/message.
    assert_valid(
        &registry,
        "invite/401-v9",
        json!({"success": false, "error": "You must be logged in to do this."}),
    );
    // 403 from the forbidden helper and from permissionsRequired (ApiClass.ts @0358e0dc).
    assert_valid(
        &registry,
        "invite/403",
        json!({"success": false, "error": "unauthorized"}),
    );
    assert_valid(
        &registry,
        "invite/403",
        json!({"success": false, "error": "User does not have the permissions required for this action [error-unauthorized]"}),
    );
    // 429 of the rate limiter, with and without errorType (ApiClass.ts @0358e0dc).
    let too_many = "Error, too many requests. Please slow down. You must wait 42 seconds before trying this endpoint again. [error-too-many-requests]";
    assert_valid(
        &registry,
        "invite/429",
        json!({"success": false, "error": too_many}),
    );
    assert_valid(
        &registry,
        "invite/429",
        json!({"success": false, "error": too_many, "errorType": "error-too-many-requests"}),
    );
}

#[test]
fn error_bodies_with_wrong_shapes_are_rejected_at_the_field() {
    let registry = registry();
    assert_rejected_at(
        &registry,
        "invite/400",
        json!({"success": true, "error": "x"}),
        "/success",
    );
    assert_rejected_at(
        &registry,
        "invite/400",
        json!({"success": false, "error": "x", "details": {"method": 7}}),
        "/details/method",
    );
    assert_rejected_at(
        &registry,
        "invite/400",
        json!({"success": false, "error": "x", "extra": 1}),
        "",
    );
    assert_rejected_at(&registry, "invite/400", json!({"success": false}), "");
    // A 9.x 401 fails the documented schema (status/message required) ...
    assert_rejected_at(
        &registry,
        "invite/401",
        json!({"success": false, "error": "You must be logged in to do this."}),
        "",
    );
    assert_rejected_at(
        &registry,
        "invite/401",
        json!({"status": "failure", "message": "m"}),
        "/status",
    );
    // ... and a 6.x-8.x 401 fails the 9.x envelope, which is closed.
    assert_rejected_at(
        &registry,
        "invite/401-v9",
        json!({"success": false, "status": "error", "error": "m", "message": "m"}),
        "",
    );
    assert_rejected_at(
        &registry,
        "invite/403",
        json!({"success": false, "error": 403}),
        "/error",
    );
    assert_rejected_at(
        &registry,
        "invite/429",
        json!({"success": false, "error": "slow down", "errorType": 429}),
        "/errorType",
    );
}

#[test]
fn request_bodies_follow_the_documented_forms() {
    let registry = registry();
    assert_valid(
        &registry,
        "channels.invite/request",
        json!({"roomId": "r", "userId": "u"}),
    );
    assert_valid(
        &registry,
        "channels.invite/request",
        json!({"roomId": "r", "userIds": ["u", "v"]}),
    );
    // The Open-API's {type, value} objects (D2) are not what the server reads.
    assert_rejected_at(
        &registry,
        "channels.invite/request",
        json!({"roomId": "r", "userIds": [{"type": "string", "value": "u"}]}),
        "/userIds/0",
    );
    // roomName + username is accepted by the server but not documented for channels.invite.
    assert_rejected_at(
        &registry,
        "channels.invite/request",
        json!({"roomName": "town", "username": "bob"}),
        "",
    );
    assert_valid(
        &registry,
        "channels.invite/request-accepted",
        json!({"roomName": "town", "username": "bob"}),
    );
    assert_rejected_at(
        &registry,
        "channels.invite/request-accepted",
        json!({"roomId": "r", "usernames": "bob"}),
        "/usernames",
    );
    assert_valid(
        &registry,
        "groups.invite/request",
        json!({"roomName": "private-abc", "usernames": ["john.doe", "jane.doe"]}),
    );
    // Issue #18880: username as an array.
    assert_rejected_at(
        &registry,
        "groups.invite/request",
        json!({"roomId": "r", "username": ["arun", "arunjoseph"]}),
        "/username",
    );
    assert_valid(
        &registry,
        "groups.invite/request-v0",
        json!({"roomId": "r", "userId": "u"}),
    );
    // The bulk form the old page's prose offers fails its own schema (D8).
    assert_rejected_at(
        &registry,
        "groups.invite/request-v0",
        json!({"roomId": "r", "userIds": ["u"]}),
        "",
    );
}

#[test]
fn violation_messages_say_what_was_expected_without_echoing_values() {
    let registry = registry();
    let secret = "9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq";
    let found = violations(
        &registry,
        "channels.invite/200",
        &json!({"channel": {"_id": "r", "t": "c", "name": "n", "ts": "t", "msgs": 1,
                             "_updatedAt": "t", "usernames": secret}, "success": true}),
    );
    assert_eq!(
        found,
        vec![Violation {
            instance_pointer: "/channel/usernames".to_owned(),
            schema_pointer: "/properties/channel/properties/usernames/type".to_owned(),
            message: "is not of type \"array\"".to_owned(),
        }]
    );
    assert_eq!(
        found[0].to_string(),
        "/channel/usernames is not of type \"array\""
    );
    let found = violations(&registry, "invite/403", &json!({"success": secret}));
    for violation in &found {
        assert!(!violation.to_string().contains(secret), "{violation}");
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

#[test]
fn the_doc_pages_yield_exactly_the_known_finding() {
    let registry = registry();
    let docs = repo_path("specs/docs");
    let report = check_doc_examples(&docs, &registry).unwrap_or_else(|error| panic!("{error}"));

    let checked: Vec<(String, usize, ExampleKind, String, bool)> = report
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
    let ok = ExampleKind::Response { status: 200 };
    let expected: Vec<(String, usize, ExampleKind, String, bool)> = [
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
    .collect();
    assert_eq!(checked, expected);

    let titles: Vec<&str> = report
        .checked
        .iter()
        .map(|c| c.example.title.as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "Add a user — Example Call",
            "Add a user — Example Response",
            "Add bulk users — Example Call",
            "Add bulk users — Example Response",
            "Body parameters — Example",
            "Body parameters — Example",
            "Responses 200 — Success",
            "Responses 400 — Permission required",
        ]
    );

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

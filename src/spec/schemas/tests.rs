//! Tests of the parent module.

use super::*;
use serde_json::json;

fn violation(message: &str, pointer: &str) -> Violation {
    Violation {
        instance_pointer: pointer.to_owned(),
        schema_pointer: String::new(),
        message: message.to_owned(),
    }
}

#[test]
fn predicate_messages_follow_their_pointer() {
    let v = violation("is not of type \"array\"", "/channel/usernames");
    assert_eq!(v.to_string(), "/channel/usernames is not of type \"array\"");
}

#[test]
fn sentence_messages_are_set_off_and_root_is_named() {
    let v = violation("\"roomId\" is a required property", "");
    assert_eq!(v.to_string(), "(root): \"roomId\" is a required property");
}

#[test]
fn masked_messages_never_echo_the_value() {
    let schema = json!({"type": "object", "properties": {"token": {"type": "integer"}, "n": {"enum": [1, 2]}}});
    let validator = jsonschema::draft202012::options()
        .offline()
        .build(&schema)
        .map_err(|e| e.to_string());
    let Ok(validator) = validator else {
        panic!("test schema compiles");
    };
    let instance = json!({"token": "s3cr3t-token", "n": "s3cr3t-n"});
    let messages: Vec<String> = validator
        .iter_errors(&instance)
        .map(|error| Violation::from_error(&error).to_string())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    for message in &messages {
        assert!(!message.contains("s3cr3t"), "{message}");
    }
    assert!(messages.contains(&"/token is not of type \"integer\"".to_owned()));
    assert!(messages.contains(&"/n is not one of 1 or 2".to_owned()));
}

#[test]
fn refs_are_collected_from_nested_keywords_only() {
    let schema = json!({
        "allOf": [{"$ref": "rc-conform:a"}],
        "properties": {"$ref": {"type": "string"}, "x": {"$dynamicRef": "#meta"}}
    });
    let mut refs = Vec::new();
    collect_refs(&schema, &mut refs);
    assert_eq!(refs, vec!["rc-conform:a", "#meta"]);
}

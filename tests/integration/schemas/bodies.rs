//! Bodies against the schemas: what real servers send is valid, wrong shapes are rejected
//! at the field, and violation messages say what was expected.
use super::*;

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

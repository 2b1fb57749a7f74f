//! The answers the spec pins down, as assertions: exact error bodies of the invite endpoints
//! (Rocket.Chat's `channels.ts` @04f79fdd, `groups.ts` @acf7dd00 and the envelopes of
//! `apps/meteor/server/api/ApiClass.ts` @0358e0dc) and the shapes shared by every route.

use serde_json::json;

use super::{Reply, RoomKind};

/// The text of the 401 body (ApiClass.ts).
pub(crate) const LOGIN_REQUIRED: &str = "You must be logged in to do this.";

/// Asserts a Meteor-error body exactly: `{success:false, error, errorType}` (ApiClass.ts failure()).
#[track_caller]
pub(crate) fn assert_error_body(reply: &Reply, status: u16, error: &str, error_type: &str) {
    reply.expect_status(status, error_type);
    assert_eq!(
        reply.body,
        json!({"success": false, "error": error, "errorType": error_type}),
        "body of a {error_type} failure"
    );
}

/// Asserts `error-not-allowed` from addUsersToRoom exactly (addUsersToRoom.ts @5b426ade).
#[track_caller]
pub(crate) fn assert_not_allowed(reply: &Reply) {
    reply.expect_status(400, "error-not-allowed");
    assert_eq!(
        reply.body,
        json!({
            "success": false,
            "error": "Not allowed [error-not-allowed]",
            "errorType": "error-not-allowed",
            "details": {"method": "addUsersToRoom"},
        }),
        "body of error-not-allowed"
    );
}

/// Asserts an error whose text the spec does not pin: the status, `success: false`,
/// `errorType`, and a non-empty `error` (thrown Meteor errors read "<reason> [<code>]",
/// direct `failure(message, code)` calls just "<message>"; ApiClass.ts).
#[track_caller]
pub(crate) fn assert_error_type(reply: &Reply, status: u16, error_type: &str) {
    reply.expect_status(status, error_type);
    assert_eq!(
        reply.body["success"],
        json!(false),
        "success flag: {reply:#?}"
    );
    assert_eq!(
        reply.body["errorType"],
        json!(error_type),
        "errorType: {reply:#?}"
    );
    let error = reply.body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("error is not a string: {reply:#?}"));
    assert!(!error.is_empty(), "a non-empty error text: {reply:#?}");
}

/// Asserts the 8.x 401 body exactly (ApiClass.ts @0358e0dc).
#[track_caller]
pub(crate) fn assert_login_required(reply: &Reply) {
    reply.expect_status(401, "unauthenticated");
    assert_eq!(
        reply.body,
        json!({
            "success": false,
            "status": "error",
            "error": LOGIN_REQUIRED,
            "message": LOGIN_REQUIRED,
        }),
        "401 body"
    );
}

/// The exact `error` of `error-room-not-found` from the invite endpoint of `kind` (channels.ts,
/// groups.ts).
pub(crate) fn room_not_found_error(kind: RoomKind) -> String {
    let what = match kind {
        RoomKind::Channel => "channel",
        RoomKind::Group => "group",
    };
    format!(
        "The required \"roomId\" or \"roomName\" param provided does not match any {what} [error-room-not-found]"
    )
}

/// Asserts the invite endpoint's room-not-found body exactly.
#[track_caller]
pub(crate) fn assert_room_not_found(kind: RoomKind, reply: &Reply) {
    assert_error_body(
        reply,
        400,
        &room_not_found_error(kind),
        "error-room-not-found",
    );
}

/// The exact `error` of `error-users-params-not-provided` (getUserFromParams.ts @0781f57b).
pub(crate) const USERS_PARAMS_NOT_PROVIDED: &str = "Please provide \"userId\" or \"username\" or \"userIds\" or \"usernames\" as param [error-users-params-not-provided]";

/// Asserts the "nothing resolved" answer of `kind`: channels swap error and errorType
/// (channels.ts @04f79fdd), groups use `error-empty-invite-list` (groups.ts @acf7dd00).
#[track_caller]
pub(crate) fn assert_no_valid_users(kind: RoomKind, reply: &Reply) {
    match kind {
        RoomKind::Channel => assert_error_body(
            reply,
            400,
            "invalid-user-invite-list",
            "Cannot invite if no users are provided",
        ),
        RoomKind::Group => assert_error_body(
            reply,
            400,
            "Cannot invite if no valid users are provided [error-empty-invite-list]",
            "error-empty-invite-list",
        ),
    }
}

/// Asserts a failed login: 401, `status: "error"`, a message, no data (the login route of
/// ApiClass.ts @0358e0dc).
#[track_caller]
pub(crate) fn assert_login_failed(reply: &Reply) {
    // 401 with status "error" and a message (the text is not pinned down).
    reply.expect_status(401, "failed login");
    assert_eq!(
        reply.body["status"],
        json!("error"),
        "status field: {reply:#?}"
    );
    assert!(
        reply.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "a message: {reply:#?}"
    );
    assert!(
        reply.body.get("data").is_none(),
        "no data on failure: {reply:#?}"
    );
}

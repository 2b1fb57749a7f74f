//! Black-box tests of the knobs that make the reference server imperfect on purpose, for
//! testing a runner against servers that are slow, lag behind, lack endpoints, hide their rate
//! limiter, or answer outside the line's habits: `latency`, `permission_lag`, `without`,
//! `rate_limit_headers`, and the deviations `incidental-answers` and `not-allowed-error-type`.
//! Each test asserts what a client sees over a real socket.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{
    Harness, Reply, RoomKind, Session, assert_not_allowed, assert_room_not_found,
    config_with_deviations, config_with_version, read,
};
use rc_conform::reference::{Deviation, ReferenceError, ServerConfig, start};
use serde_json::{Value, json};

const KINDS: [RoomKind; 2] = [RoomKind::Channel, RoomKind::Group];

// ---- latency -----------------------------------------------------------------------------

#[tokio::test]
async fn latency_delays_every_answer_but_requests_still_run_concurrently() {
    let latency = Duration::from_millis(400);
    let h = Harness::start_with(ServerConfig {
        latency,
        ..ServerConfig::default()
    })
    .await;
    for path in ["/api/info", "/api/v1/me", "/api/v1/no-such-route"] {
        let started = Instant::now();
        let reply = h.api.get(Some(&h.admin), path, &[]).await;
        assert!(
            started.elapsed() >= latency,
            "{path} answered after {:?}: {reply:#?}",
            started.elapsed()
        );
    }
    let started = Instant::now();
    let calls = (0..8).map(|_| {
        let api = h.api.clone();
        tokio::spawn(async move { api.get(None, "/api/info", &[]).await.status })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.expect("the call finishes"), 200);
    }
    assert!(
        started.elapsed() < latency * 4,
        "8 concurrent calls took {:?}: they were served one after another",
        started.elapsed()
    );
}

// ---- permission lag ----------------------------------------------------------------------

fn lagging(lag: Duration) -> ServerConfig {
    ServerConfig {
        permission_lag: lag,
        ..ServerConfig::default()
    }
}

async fn roles_of_permission(h: &Harness, permission: &str) -> Value {
    let reply = h
        .api
        .get(Some(&h.admin), "/api/v1/permissions.listAll", &[])
        .await;
    reply.expect_status(200, "permissions.listAll");
    reply.body["update"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["_id"] == json!(permission)))
        .map(|p| p["roles"].clone())
        .unwrap_or_else(|| panic!("{permission} is listed: {reply:#?}"))
}

#[tokio::test]
async fn a_permission_update_reaches_invite_checks_only_after_the_lag() {
    let lag = Duration::from_millis(1_000);
    let h = Harness::start_with(lagging(lag)).await;
    let (_, alice) = h.user_session("alice").await;
    let bob = h.create_user("bob").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &["alice"])
        .await;
    let invite = json!({"roomId": room.id, "userId": bob.id});
    assert_not_allowed(&h.api.invite(&alice, RoomKind::Channel, &invite).await);

    let granted_at = Instant::now();
    h.set_permission_roles(
        "add-user-to-joined-room",
        &["admin", "owner", "moderator", "user"],
    )
    .await;
    // The stored list changes at once ...
    assert_eq!(
        roles_of_permission(&h, "add-user-to-joined-room").await,
        json!(["admin", "owner", "moderator", "user"])
    );
    // ... but the check still sees the old one.
    let early = h.api.invite(&alice, RoomKind::Channel, &invite).await;
    assert!(granted_at.elapsed() < lag, "the check ran within the lag");
    assert_not_allowed(&early);

    tokio::time::sleep(lag.saturating_sub(granted_at.elapsed()) + Duration::from_millis(100)).await;
    expect_invited(
        RoomKind::Channel,
        &h.api.invite(&alice, RoomKind::Channel, &invite).await,
    );
}

#[tokio::test]
async fn a_revoked_grant_keeps_working_until_the_lag_has_passed() {
    let lag = Duration::from_millis(1_000);
    let h = Harness::start_with(lagging(lag)).await;
    let bob = h.create_user("bob").await;
    let carol = h.create_user("carol").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let revoked_at = Instant::now();
    h.set_permission_roles("add-user-to-joined-room", &[]).await;
    h.set_permission_roles("add-user-to-any-c-room", &[]).await;
    let early = h
        .api
        .invite(
            &h.admin,
            RoomKind::Channel,
            &json!({"roomId": room.id, "userId": bob.id}),
        )
        .await;
    assert!(revoked_at.elapsed() < lag, "the check ran within the lag");
    expect_invited(RoomKind::Channel, &early);

    tokio::time::sleep(lag.saturating_sub(revoked_at.elapsed()) + Duration::from_millis(100)).await;
    let late = h
        .api
        .invite(
            &h.admin,
            RoomKind::Channel,
            &json!({"roomId": room.id, "userId": carol.id}),
        )
        .await;
    assert_not_allowed(&late);
}

#[tokio::test]
async fn a_role_assignment_reaches_permission_checks_only_after_the_lag() {
    let lag = Duration::from_millis(1_000);
    let h = Harness::start_with(lagging(lag)).await;
    let (alice_user, alice) = h.user_session("alice").await;
    admin_rooms(&h, &alice)
        .await
        .expect_status(403, "before the role");

    let assigned_at = Instant::now();
    h.api
        .post(
            Some(&h.admin),
            "/api/v1/roles.addUserToRole",
            &json!({"roleName": "admin", "username": "alice"}),
        )
        .await
        .expect_status(200, "roles.addUserToRole");
    // The user document shows the role at once; the permission check does not yet.
    let info = h
        .users_info(&h.admin, &[("userId", alice_user.id.as_str())])
        .await;
    assert_eq!(info.body["user"]["roles"], json!(["user", "admin"]));
    let early = admin_rooms(&h, &alice).await;
    assert!(assigned_at.elapsed() < lag, "the check ran within the lag");
    early.expect_status(403, "within the lag");

    tokio::time::sleep(lag.saturating_sub(assigned_at.elapsed()) + Duration::from_millis(100))
        .await;
    admin_rooms(&h, &alice)
        .await
        .expect_status(200, "after the lag");

    let removed_at = Instant::now();
    h.api
        .post(
            Some(&h.admin),
            "/api/v1/roles.removeUserFromRole",
            &json!({"roleName": "admin", "username": "alice"}),
        )
        .await
        .expect_status(200, "roles.removeUserFromRole");
    let still = admin_rooms(&h, &alice).await;
    assert!(removed_at.elapsed() < lag, "the check ran within the lag");
    still.expect_status(200, "removal within the lag");
    tokio::time::sleep(lag.saturating_sub(removed_at.elapsed()) + Duration::from_millis(100)).await;
    admin_rooms(&h, &alice)
        .await
        .expect_status(403, "removal after the lag");
}

async fn admin_rooms(h: &Harness, session: &Session) -> Reply {
    h.api
        .get(Some(session), "/api/v1/rooms.adminRooms", &[])
        .await
}

// ---- endpoints left out ------------------------------------------------------------------

#[tokio::test]
async fn an_endpoint_left_out_answers_as_an_unknown_route() {
    let h = Harness::start_with(ServerConfig {
        without: BTreeSet::from(["rooms.adminRooms".to_owned(), "users.list".to_owned()]),
        ..ServerConfig::default()
    })
    .await;
    let unknown = h
        .api
        .get(Some(&h.admin), "/api/v1/no-such-route", &[])
        .await;
    unknown.expect_status(404, "unknown route");
    for path in ["/api/v1/rooms.adminRooms", "/api/v1/users.list"] {
        for reply in [
            h.api.get(Some(&h.admin), path, &[]).await,
            h.api.get(None, path, &[]).await,
            h.api.post(Some(&h.admin), path, &json!({})).await,
        ] {
            reply.expect_status(404, path);
            assert_eq!(reply.body, unknown.body, "{path}");
            assert_eq!(
                reply.body,
                json!({"success": false, "error": "Resource not found"})
            );
        }
    }
    // Everything else is served as usual.
    h.api
        .get(Some(&h.admin), "/api/v1/permissions.listAll", &[])
        .await
        .expect_status(200, "permissions.listAll");
}

#[tokio::test]
async fn an_unknown_endpoint_name_is_refused_at_start() {
    let config = ServerConfig {
        without: BTreeSet::from(["rooms.adminRoom".to_owned()]),
        ..ServerConfig::default()
    };
    let addr = "127.0.0.1:0".parse().expect("a socket address literal");
    match start(config, addr).await {
        Err(ReferenceError::UnknownEndpoint { name, valid }) => {
            assert_eq!(name, "rooms.adminRoom");
            assert!(valid.contains("rooms.adminRooms") && valid.contains("groups.invite"));
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a server without an unknown endpoint started"),
    }
}

// ---- hidden rate-limit headers -----------------------------------------------------------

#[tokio::test]
async fn hidden_rate_limit_headers_still_limit() {
    let h = Harness::start_with(ServerConfig {
        rate_limit: true,
        rate_limit_headers: false,
        ..ServerConfig::default()
    })
    .await;
    let login = json!({"user": h.admin_username, "password": h.admin_password});
    // The harness logged in once already.
    for call in 2..=10 {
        let reply = h.api.post(None, "/api/v1/login", &login).await;
        reply.expect_status(200, &format!("login {call}"));
        assert_no_rate_limit_headers(&reply);
    }
    let refused = h.api.post(None, "/api/v1/login", &login).await;
    refused.expect_status(429, "the eleventh login");
    assert_eq!(refused.body["errorType"], json!("error-too-many-requests"));
    assert_no_rate_limit_headers(&refused);
}

#[track_caller]
fn assert_no_rate_limit_headers(reply: &Reply) {
    let limiter_headers: Vec<&str> = reply
        .headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("x-ratelimit"))
        .collect();
    assert!(
        limiter_headers.is_empty(),
        "{limiter_headers:?}: {reply:#?}"
    );
}

// ---- incidental-answers ------------------------------------------------------------------

#[track_caller]
fn assert_invalid_request(reply: &Reply, error: &str) {
    reply.expect_status(400, error);
    assert_eq!(
        reply.body,
        json!({"success": false, "errorType": "error-invalid-params", "error": error})
    );
}

#[tokio::test]
async fn incidental_answers_refuse_mistyped_parameters() {
    let h = Harness::start_with(config_with_deviations([Deviation::IncidentalAnswers])).await;
    let alice = h.create_user("alice").await;
    for kind in KINDS {
        let room = h
            .create_room(&h.admin, kind, &format!("town-{}", kind.t()), &[])
            .await;
        let cases = [
            (
                json!({"roomId": 5, "userId": alice.id}),
                "roomId must be a string",
            ),
            (
                json!({"roomName": true, "userId": alice.id}),
                "roomName must be a string",
            ),
            (
                json!({"roomId": room.id, "userId": {"id": alice.id}}),
                "userId must be a string",
            ),
            (
                json!({"roomId": room.id, "username": ["alice"]}),
                "username must be a string",
            ),
            (
                json!({"roomId": room.id, "user": 7}),
                "user must be a string",
            ),
            (
                json!({"roomId": room.id, "userIds": alice.id}),
                "userIds must be an array",
            ),
            (
                json!({"roomId": room.id, "usernames": {"a": "alice"}}),
                "usernames must be an array",
            ),
            (
                json!({"roomId": room.id, "userIds": [alice.id, 1]}),
                "userIds[1] must be a string",
            ),
        ];
        for (body, problem) in cases {
            let reply = h.api.invite(&h.admin, kind, &body).await;
            assert_invalid_request(&reply, &format!("Invalid request: {problem}"));
        }
        assert_eq!(h.counters(&h.admin, &room).await, (0, 1), "nothing changed");
    }
}

#[tokio::test]
async fn incidental_answers_refuse_bodies_that_are_not_json_objects() {
    let h = Harness::start_with(config_with_deviations([Deviation::IncidentalAnswers])).await;
    for kind in KINDS {
        for (content_type, body) in [
            ("application/json", "not json"),
            ("application/json", "[1,2]"),
            ("application/json", "42"),
            ("text/plain", "{\"roomId\": \"GENERAL\"}"),
            (
                "application/x-www-form-urlencoded",
                "roomId=GENERAL&username=rocket.cat",
            ),
        ] {
            let request = h
                .api
                .request(reqwest::Method::POST, &kind.route("invite"), Some(&h.admin))
                .header("Content-Type", content_type)
                .body(body);
            let reply = read(request).await;
            assert_invalid_request(&reply, "Invalid request: the body must be a JSON object");
        }
    }
}

#[tokio::test]
async fn incidental_answers_replace_the_body_parser_page_on_six_and_seven_x() {
    for version in ["6.6.0", "7.4.0"] {
        let mut config = config_with_version(version);
        config.deviations = BTreeSet::from([Deviation::IncidentalAnswers]);
        let h = Harness::start_with(config).await;
        for kind in KINDS {
            let request = h
                .api
                .request(reqwest::Method::POST, &kind.route("invite"), None)
                .header("Content-Type", "application/json")
                .body("not json");
            let reply = read(request).await;
            assert_invalid_request(&reply, "Invalid request: the body must be a JSON object");
        }
        // Other routes keep the line's body parser.
        let request = h
            .api
            .request(
                reqwest::Method::POST,
                "/api/v1/channels.create",
                Some(&h.admin),
            )
            .header("Content-Type", "application/json")
            .body("not json");
        read(request).await.expect_status(400, "channels.create");
    }
}

#[tokio::test]
async fn incidental_answers_leave_documented_input_to_the_line() {
    let h = Harness::start_with(config_with_deviations([Deviation::IncidentalAnswers])).await;
    let alice = h.create_user("alice").await;
    let bob = h.create_user("bob").await;
    for kind in KINDS {
        let room = h
            .create_room(&h.admin, kind, &format!("town-{}", kind.t()), &[])
            .await;
        let reply = h
            .api
            .invite(
                &h.admin,
                kind,
                &json!({"roomId": room.id, "userIds": [alice.id]}),
            )
            .await;
        expect_invited(kind, &reply);
        let reply = h
            .api
            .invite(
                &h.admin,
                kind,
                &json!({"roomName": room.name, "usernames": ["bob"]}),
            )
            .await;
        expect_invited(kind, &reply);
        let unknown = h
            .api
            .invite(&h.admin, kind, &json!({"roomId": "nope", "userId": bob.id}))
            .await;
        assert_room_not_found(kind, &unknown);
    }
    // Unauthenticated calls are still refused before the body is looked at.
    let anonymous = h
        .api
        .post(
            None,
            &RoomKind::Channel.route("invite"),
            &json!({"roomId": 5}),
        )
        .await;
    anonymous.expect_status(401, "anonymous");
}

// ---- not-allowed-error-type --------------------------------------------------------------

#[tokio::test]
async fn not_allowed_error_type_renames_the_invite_refusal_only() {
    let h = Harness::start_with(config_with_deviations([Deviation::NotAllowedErrorType])).await;
    let (_, alice) = h.user_session("alice").await;
    let bob = h.create_user("bob").await;
    for kind in KINDS {
        let room = h
            .create_room(&h.admin, kind, &format!("town-{}", kind.t()), &[])
            .await;
        let reply = h
            .api
            .invite(
                &alice,
                kind,
                &json!({"roomName": room.name, "userId": bob.id}),
            )
            .await;
        reply.expect_status(400, "refused invite");
        assert_eq!(
            reply.body,
            json!({
                "success": false,
                "error": "Not allowed [error-action-not-allowed]",
                "errorType": "error-action-not-allowed",
                "details": {"method": "addUsersToRoom"},
            })
        );
        let allowed = h
            .api
            .invite(
                &h.admin,
                kind,
                &json!({"roomId": room.id, "userId": bob.id}),
            )
            .await;
        expect_invited(kind, &allowed);
    }
}

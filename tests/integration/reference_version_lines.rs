//! Black-box tests of the release lines the reference server emulates (`--server-version`):
//! 6.x answers 401 with the Restivus body; 6.x and 7.x put Express's strict JSON body parser in
//! front of every route (before authentication); 8.x is the default; 9.x keeps the typed
//! routes. Each test asserts what a client sees over a real socket.

use crate::reference_support::{
    Api, Harness, LOGIN_REQUIRED, Reply, RoomKind, Session, assert_login_required,
    assert_room_not_found, config_with_version, read,
};
use rc_conform::reference::{LINES, line_of};
use serde_json::json;

const KINDS: [RoomKind; 2] = [RoomKind::Channel, RoomKind::Group];

/// Express's production `finalhandler` page for a 400.
const BAD_REQUEST_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Bad Request</pre>\n</body>\n</html>\n";

/// The emulated default version of a line id.
fn version_of(line: &str) -> &'static str {
    LINES
        .iter()
        .find(|(id, _)| *id == line)
        .map(|(_, version)| *version)
        .unwrap_or_else(|| panic!("no line {line} in {LINES:?}"))
}

/// POSTs `body` as `content_type` to the invite endpoint of `kind`, with or without a session.
async fn raw_invite(
    api: &Api,
    session: Option<&Session>,
    kind: RoomKind,
    content_type: &str,
    body: &str,
) -> Reply {
    let request = api
        .request(reqwest::Method::POST, &kind.route("invite"), session)
        .header("Content-Type", content_type)
        .body(body.to_owned());
    read(request).await
}

#[track_caller]
fn assert_body_parser_refusal(reply: &Reply, what: &str) {
    reply.expect_status(400, what);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{what}: {reply:#?}"
    );
    assert_eq!(reply.text, BAD_REQUEST_PAGE, "{what}");
}

#[test]
fn the_lines_and_their_emulated_versions_are_listed() {
    assert_eq!(
        LINES,
        [
            ("6.x", "6.6.0"),
            ("7.x", "7.4.0"),
            ("8.x", "8.5.0"),
            ("9.x", "9.0.0")
        ]
    );
    for (version, line) in [
        ("5.4.10", "6.x"),
        ("6.0.0", "6.x"),
        ("6.13.1", "6.x"),
        ("7.0.0", "7.x"),
        ("7.10.2", "7.x"),
        ("8.0.0", "8.x"),
        ("8.9.3", "8.x"),
        ("9.0.0", "9.x"),
        ("9.3.0", "9.x"),
        ("10.0.0", "9.x"),
    ] {
        assert_eq!(line_of(version), Some(line), "{version}");
    }
    assert_eq!(line_of("eight"), None);
}

#[tokio::test]
async fn six_x_answers_401_with_the_restivus_body_only() {
    for version in [version_of("6.x"), "5.4.10", "6.0.0"] {
        let h = Harness::start_with(config_with_version(version)).await;
        let replies = [
            h.api
                .post(None, &RoomKind::Channel.route("invite"), &json!({}))
                .await,
            h.api
                .post(None, &RoomKind::Group.route("invite"), &json!({}))
                .await,
            h.api.get(None, "/api/v1/me", &[]).await,
        ];
        for reply in replies {
            reply.expect_status(401, version);
            assert_eq!(
                reply.body,
                json!({"status": "error", "message": LOGIN_REQUIRED}),
                "{version}"
            );
        }
    }
}

#[tokio::test]
async fn seven_and_eight_x_keep_the_legacy_401_body() {
    for line in ["7.x", "8.x"] {
        let h = Harness::start_with(config_with_version(version_of(line))).await;
        for kind in KINDS {
            assert_login_required(&h.api.post(None, &kind.route("invite"), &json!({})).await);
        }
    }
}

#[tokio::test]
async fn six_and_seven_x_refuse_unparsable_json_before_authentication() {
    for line in ["6.x", "7.x"] {
        let h = Harness::start_with(config_with_version(version_of(line))).await;
        for kind in KINDS {
            for body in [
                "not json",
                "{\"roomId\": ",
                "42",
                "\"text\"",
                "true",
                "null",
                "  ",
            ] {
                for session in [None, Some(&h.admin)] {
                    let reply = raw_invite(&h.api, session, kind, "application/json", body).await;
                    let what = format!("{line} {} {body:?}", kind.prefix());
                    assert_body_parser_refusal(&reply, &what);
                }
            }
        }
        // Any route, not only the invite endpoints.
        let reply = read(
            h.api
                .request(reqwest::Method::POST, "/api/v1/channels.create", None)
                .header("Content-Type", "application/json; charset=utf-8")
                .body("{broken"),
        )
        .await;
        assert_body_parser_refusal(&reply, &format!("{line} channels.create"));
    }
}

#[tokio::test]
async fn six_and_seven_x_pass_arrays_and_empty_bodies_to_the_route() {
    for line in ["6.x", "7.x"] {
        let h = Harness::start_with(config_with_version(version_of(line))).await;
        for body in ["[1,2]", " [] ", ""] {
            let channel = raw_invite(
                &h.api,
                Some(&h.admin),
                RoomKind::Channel,
                "application/json",
                body,
            )
            .await;
            assert_room_not_found(RoomKind::Channel, &channel);
            let group = raw_invite(
                &h.api,
                Some(&h.admin),
                RoomKind::Group,
                "application/json",
                body,
            )
            .await;
            assert_eq!(
                group.body["errorType"],
                json!("error-room-param-not-provided"),
                "{line} {body:?}: {group:#?}"
            );
            // Without credentials the route's authentication answers as usual.
            let anonymous =
                raw_invite(&h.api, None, RoomKind::Channel, "application/json", body).await;
            anonymous.expect_status(401, &format!("{line} {body:?} anonymous"));
        }
    }
}

#[tokio::test]
async fn six_and_seven_x_leave_other_content_types_to_the_route() {
    for line in ["6.x", "7.x"] {
        let h = Harness::start_with(config_with_version(version_of(line))).await;
        let alice = h.create_user("alice").await;
        let room = h
            .create_room(&h.admin, RoomKind::Channel, "town", &[])
            .await;
        let form = format!("roomId={}&userId={}", room.id, alice.id);
        let reply = raw_invite(
            &h.api,
            Some(&h.admin),
            RoomKind::Channel,
            "application/x-www-form-urlencoded",
            &form,
        )
        .await;
        reply.expect_status(200, &format!("{line} form body"));
        let text = raw_invite(
            &h.api,
            Some(&h.admin),
            RoomKind::Channel,
            "text/plain",
            "not json",
        )
        .await;
        assert_room_not_found(RoomKind::Channel, &text);
    }
}

#[tokio::test]
async fn eight_x_reads_unparsable_json_as_an_empty_object_after_authentication() {
    let h = Harness::start_with(config_with_version(version_of("8.x"))).await;
    for body in ["not json", "42", "null"] {
        let anonymous = raw_invite(&h.api, None, RoomKind::Channel, "application/json", body).await;
        assert_login_required(&anonymous);
        let reply = raw_invite(
            &h.api,
            Some(&h.admin),
            RoomKind::Channel,
            "application/json",
            body,
        )
        .await;
        assert_room_not_found(RoomKind::Channel, &reply);
    }
}

#[tokio::test]
async fn nine_x_answers_unparsable_json_with_the_typed_route_validation() {
    let h = Harness::start_with(config_with_version(version_of("9.x"))).await;
    let anonymous = raw_invite(&h.api, None, RoomKind::Channel, "application/json", "42").await;
    anonymous.expect_status(401, "9.x anonymous");
    assert_eq!(
        anonymous.body,
        json!({"success": false, "error": LOGIN_REQUIRED})
    );
    let reply = raw_invite(
        &h.api,
        Some(&h.admin),
        RoomKind::Channel,
        "application/json",
        "not json",
    )
    .await;
    reply.expect_status(400, "9.x not json");
    assert_eq!(
        reply.body["errorType"],
        json!("error-invalid-params"),
        "{reply:#?}"
    );
}

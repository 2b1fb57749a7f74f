//! Black-box tests of the reference server's API rate limiter (`apps/meteor/server/api/ApiClass.ts`
//! @0358e0dc, `apps/meteor/server/api/rateLimiterKey.ts` @98072175) and of its HTTP hygiene:
//! unknown routes, oversized bodies, and concurrent invites into one room (each invite's writes
//! are awaited before the answer, `addUserToRoom.ts` @575c1631); and the server started on a
//! thread of its own, as `rc-conform run` starts the embedded one.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{Harness, Reply, RoomKind, Session, read};
use rc_conform::reference::ServerConfig;
use serde_json::json;

fn rate_limited() -> ServerConfig {
    ServerConfig {
        rate_limit: true,
        ..ServerConfig::default()
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis()
}

/// Asserts the X-RateLimit-* headers (ApiClass.ts): limit 10, the given remaining, reset in epoch ms
/// within the next minute.
#[track_caller]
fn assert_rate_headers(reply: &Reply, remaining: u32, started_ms: u128) {
    assert_eq!(
        reply.header("x-ratelimit-limit"),
        Some("10"),
        "X-RateLimit-Limit: {reply:#?}"
    );
    assert_eq!(
        reply.header("x-ratelimit-remaining"),
        Some(remaining.to_string().as_str()),
        "X-RateLimit-Remaining: {reply:#?}"
    );
    let reset: u128 = reply
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("X-RateLimit-Reset in epoch ms: {reply:#?}"));
    assert!(
        reset >= started_ms && reset <= now_ms() + 61_000,
        "reset {reset} should be within a minute of {started_ms} (epoch milliseconds)"
    );
}

#[track_caller]
fn assert_too_many_requests(reply: &Reply) {
    reply.expect_status(429, "rate limited");
    assert_eq!(reply.body["success"], json!(false), "{reply:#?}");
    let error = reply.body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("error text: {reply:#?}"));
    assert!(
        error.starts_with("Error, too many requests. Please slow down. You must wait ")
            && error
                .ends_with(" seconds before trying this endpoint again. [error-too-many-requests]"),
        "429 error text: {error:?}"
    );
    if let Some(error_type) = reply.body.get("errorType") {
        assert_eq!(error_type, &json!("error-too-many-requests"));
    }
}

async fn call_me(h: &Harness, session: &Session) -> Reply {
    h.api.get(Some(session), "/api/v1/me", &[]).await
}

// ---- rate limiting (ApiClass.ts, rateLimiterKey.ts) ------------------------------------------

#[tokio::test]
async fn eleventh_call_to_one_route_by_a_plain_user_is_429() {
    let h = Harness::start_with(rate_limited()).await;
    let (_, alice) = h.user_session("alice").await;
    let started = now_ms();
    for call in 1..=10u32 {
        let reply = call_me(&h, &alice).await;
        reply.expect_status(200, &format!("call {call} of 10"));
        assert_rate_headers(&reply, 10 - call, started);
    }
    let reply = call_me(&h, &alice).await;
    assert_too_many_requests(&reply);
    assert_rate_headers(&reply, 0, started);
    // Keyed by route: another route is still open.
    h.api
        .get(Some(&alice), "/api/v1/permissions.listAll", &[])
        .await
        .expect_status(200, "another route is counted separately");
}

#[tokio::test]
async fn invite_route_is_rate_limited_for_plain_users() {
    let h = Harness::start_with(rate_limited()).await;
    let (_, alice) = h.user_session("alice").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let body = json!({"roomId": room.id, "userId": "no-such-id"});
    for call in 1..=10 {
        let reply = h.api.invite(&alice, RoomKind::Channel, &body).await;
        reply.expect_status(400, &format!("invite {call} of 10 reaches the handler"));
    }
    assert_too_many_requests(&h.api.invite(&alice, RoomKind::Channel, &body).await);
}

#[tokio::test]
async fn admin_is_not_rate_limited() {
    let h = Harness::start_with(rate_limited()).await;
    for call in 1..=15 {
        call_me(&h, &h.admin)
            .await
            .expect_status(200, &format!("admin call {call}"));
    }
}

#[tokio::test]
async fn granting_api_bypass_rate_limit_lifts_the_limit() {
    let h = Harness::start_with(rate_limited()).await;
    h.set_permission_roles("api-bypass-rate-limit", &["admin", "bot", "app", "user"])
        .await;
    let (_, alice) = h.user_session("alice").await;
    for call in 1..=15 {
        call_me(&h, &alice)
            .await
            .expect_status(200, &format!("call {call} with bypass"));
    }
}

#[tokio::test]
async fn test_mode_disables_the_rate_limiter() {
    let h = Harness::start_with(ServerConfig {
        rate_limit: true,
        test_mode: true,
        ..ServerConfig::default()
    })
    .await;
    let (_, alice) = h.user_session("alice").await;
    for call in 1..=15 {
        call_me(&h, &alice)
            .await
            .expect_status(200, &format!("TEST_MODE call {call}"));
    }
}

#[tokio::test]
async fn rate_limiter_is_off_by_default() {
    let h = Harness::start().await;
    let (_, alice) = h.user_session("alice").await;
    for call in 1..=15 {
        call_me(&h, &alice)
            .await
            .expect_status(200, &format!("call {call} without limiter"));
    }
}

// ---- HTTP hygiene ----------------------------------------------------------------------------

#[tokio::test]
async fn unknown_route_is_a_json_404() {
    let h = Harness::start().await;
    for session in [Some(&h.admin), None] {
        let reply = h.api.get(session, "/api/v1/no.such.route", &[]).await;
        reply.expect_status(404, "unknown route");
        let content_type = reply.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "JSON content type, got {content_type:?}"
        );
        assert_eq!(
            reply.body["success"],
            json!(false),
            "JSON error body: {reply:#?}"
        );
    }
}

#[tokio::test]
async fn oversized_body_is_refused_with_a_json_error() {
    let h = Harness::start().await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let padding = "a".repeat(1_536 * 1024);
    let body = json!({"roomId": room.id, "userId": "rocket.cat", "padding": padding}).to_string();
    let req = h
        .api
        .request(
            reqwest::Method::POST,
            "/api/v1/channels.invite",
            Some(&h.admin),
        )
        .header("Content-Type", "application/json")
        .body(body);
    let reply = read(req).await;
    assert!(
        reply.status == 413 || reply.status == 400,
        "413 or 400 for a 1.5 MiB body, got {}",
        reply.status
    );
    assert_eq!(
        reply.body["success"],
        json!(false),
        "JSON error body: {}",
        &reply.text[..reply.text.len().min(300)]
    );
    let (_, users) = h.counters(&h.admin, &room).await;
    assert_eq!(users, 1, "nothing was added");
}

#[tokio::test]
async fn fifty_concurrent_invites_into_one_channel_all_succeed() {
    let h = Harness::start().await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(h.create_user(&format!("user{i:02}")).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for user in users {
        let api = h.api.clone();
        let admin = h.admin.clone();
        let body = json!({"roomId": room.id, "userId": user.id});
        tasks.spawn(async move {
            (
                user.username,
                api.invite(&admin, RoomKind::Channel, &body).await,
            )
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (username, reply) = joined.expect("invite task does not panic");
        assert_eq!(reply.status, 200, "invite of {username}: {reply:#?}");
        expect_invited(RoomKind::Channel, &reply);
    }
    assert_eq!(
        h.counters(&h.admin, &room).await,
        (50, 51),
        "msgs = 50 au messages, usersCount = 51"
    );
    let members = h.members_reply(&h.admin, &room).await;
    assert_eq!(members.body["total"], json!(51));
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let Harness { server, api, .. } = Harness::start().await;
    let url = api.url("/api/info");
    server.shutdown().await;
    let after = reqwest::Client::new().get(&url).send().await;
    assert!(after.is_err(), "no answer after shutdown, got {after:?}");
}

#[tokio::test]
async fn login_route_is_rate_limited_too() {
    // ApiClass.ts: every /api/v1 route, login included; rateLimiterKey.ts: keyed by IP + route +
    // method. The harness's
    // admin login is call 1.
    let h = Harness::start_with(rate_limited()).await;
    let alice = h.create_user("alice").await;
    let body = json!({"user": "alice", "password": alice.password});
    for call in 2..=10 {
        let reply = h.api.post(None, "/api/v1/login", &body).await;
        reply.expect_status(200, &format!("login call {call} of 10"));
    }
    assert_too_many_requests(&h.api.post(None, "/api/v1/login", &body).await);
}

// ---- non-JSON bodies (Router.ts @3a8f6b51) ------------------------------------------------------

#[tokio::test]
async fn form_encoded_invite_is_read_as_a_flat_string_map() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    let bob = h.create_user("bob").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let form = |body: String| {
        h.api
            .request(
                reqwest::Method::POST,
                "/api/v1/channels.invite",
                Some(&h.admin),
            )
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let reply = read(form(format!("roomId={}&userId={}", room.id, alice.id))).await;
    expect_invited(RoomKind::Channel, &reply);
    // A repeated key keeps the last value, so userIds is a string: the TypeError path.
    let reply = read(form(format!(
        "roomId={}&userIds={}&userIds={}",
        room.id, bob.id, bob.id
    )))
    .await;
    reply.expect_status(400, "form userIds");
    assert_eq!(
        reply.body,
        json!({"success": false, "error": "userListParam.push is not a function"})
    );
    assert_eq!(
        h.member_names(&h.admin, &room).await,
        crate::reference_support::sorted(&[&h.admin_username, "alice"])
    );
}

#[tokio::test]
async fn text_bodies_become_character_maps_or_empty_objects() {
    let h = Harness::start().await;
    h.create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    h.create_room(&h.admin, RoomKind::Group, "hideout", &[])
        .await;
    for kind in [RoomKind::Channel, RoomKind::Group] {
        for (content_type, text) in [(None, ""), (Some("text/plain"), "town"), (None, "hideout")] {
            let mut req = h
                .api
                .request(reqwest::Method::POST, &kind.route("invite"), Some(&h.admin))
                .body(text.to_owned());
            if let Some(ct) = content_type {
                req = req.header("Content-Type", ct);
            }
            let reply = read(req).await;
            match kind {
                RoomKind::Channel => crate::reference_support::assert_room_not_found(kind, &reply),
                RoomKind::Group => crate::reference_support::assert_error_body(
                    &reply,
                    400,
                    "The parameter \"roomId\" or \"roomName\" is required [error-room-param-not-provided]",
                    "error-room-param-not-provided",
                ),
            }
        }
    }
}

#[tokio::test]
async fn rate_limit_is_keyed_by_client_address_not_by_user() {
    // rateLimiterKey.ts: the key is client IP + route + method, so two users on one address share
    // a bucket.
    let h = Harness::start_with(rate_limited()).await;
    let (_, alice) = h.user_session("alice").await;
    let (_, bob) = h.user_session("bob").await;
    for call in 1..=5 {
        call_me(&h, &alice)
            .await
            .expect_status(200, &format!("alice call {call}"));
        call_me(&h, &bob)
            .await
            .expect_status(200, &format!("bob call {call}"));
    }
    assert_too_many_requests(&call_me(&h, &bob).await);
}

/// One `GET /api/info` over a plain socket, blocking the calling thread; the status line.
fn blocking_info(addr: std::net::SocketAddr) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(addr)?;
    socket.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    socket.write_all(b"GET /api/info HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut answer = String::new();
    socket.read_to_string(&mut answer)?;
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

/// `rc-conform run` starts the embedded server apart (`start_apart`): it answers while the
/// caller's current-thread runtime is blocked (a server on that runtime could not), and
/// shutting it down or dropping its handle inside that runtime stops it without a panic.
#[tokio::test]
async fn a_server_started_apart_answers_while_the_caller_blocks_and_stops_from_inside_a_runtime() {
    for shut_down in [true, false] {
        let server = rc_conform::reference::start_apart(
            ServerConfig::default(),
            "127.0.0.1:0".parse().expect("address"),
        )
        .await
        .expect("server");
        let addr = server.local_addr();
        // This blocks the test's only runtime thread until the answer comes.
        let status = blocking_info(addr).expect("an answer while the caller blocks");
        assert_eq!(status, "HTTP/1.1 200 OK");
        if shut_down {
            server.shutdown().await;
        } else {
            drop(server);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::net::TcpStream::connect(addr).is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "still listening after it was {}",
                if shut_down { "shut down" } else { "dropped" }
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

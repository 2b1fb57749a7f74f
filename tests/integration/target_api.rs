//! The provisioning API's typed reading of answers, over real sockets: a scripted server
//! answers each path with a fixed status and body, and the [`Api`] methods either read what
//! they need or refuse with a message that names the field that does not fit.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use rc_conform::api::RoomType;
use rc_conform::target::api::{Api, ApiError, ListedRoom, Session};
use rc_conform::target::{Client, ClientConfig, Purpose, Redactor, Secret};
use serde_json::{Value, json};

type Script = Arc<Mutex<HashMap<String, (u16, String)>>>;

/// A server that answers each path (without the query) as scripted, 404 otherwise.
struct Scripted {
    script: Script,
    api: Api,
}

impl Scripted {
    async fn start() -> Scripted {
        let script: Script = Arc::default();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("the address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut config = ClientConfig::new(format!("http://{addr}"));
        config.attempts = 1;
        let client = Client::new(config, Redactor::default()).expect("a client");
        Scripted {
            script,
            api: Api::new(client),
        }
    }

    fn answer(&self, path: &str, status: u16, body: Value) {
        self.script
            .lock()
            .expect("the script")
            .insert(path.to_owned(), (status, body.to_string()));
    }
}

async fn answer(State(script): State<Script>, uri: Uri) -> impl IntoResponse {
    let found = script.lock().expect("the script").get(uri.path()).cloned();
    match found {
        Some((status, body)) => (
            StatusCode::from_u16(status).expect("a status"),
            [("content-type", "application/json")],
            body,
        ),
        None => (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            r#"{"success":false,"error":"not found"}"#.to_owned(),
        ),
    }
}

fn admin() -> Session {
    Session {
        user_id: "admin-id".into(),
        token: Secret::new("admin-token-1234"),
    }
}

fn refusal(result: Result<impl std::fmt::Debug, ApiError>) -> (u16, String) {
    match result {
        Err(ApiError::Refused {
            status, message, ..
        }) => (status, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn login_reads_the_session_and_names_a_missing_field() {
    let s = Scripted::start().await;
    let password = Secret::new("pw-123456");
    s.answer(
        "/api/v1/login",
        200,
        json!({ "status": "success", "data": { "userId": "u1", "authToken": "tok-abcdef", "me": {} } }),
    );
    let session = s
        .api
        .login("alice", &password, Purpose::Preflight)
        .await
        .expect("a session");
    assert_eq!(session.user_id, "u1");
    assert_eq!(session.token.expose(), "tok-abcdef");

    s.answer(
        "/api/v1/login",
        200,
        json!({ "status": "success", "data": { "authToken": "tok-leaked-123" } }),
    );
    let failed = s.api.login("alice", &password, Purpose::Preflight).await;
    let exchange = failed.as_ref().err().map(|e| e.exchange().clone());
    let (status, message) = refusal(failed);
    assert_eq!(status, 200);
    assert_eq!(
        message,
        "the answer does not fit at `data`: missing field `userId`"
    );
    // The token of an answer that does not fit is still kept out of the record.
    let record = serde_json::to_string(&exchange).expect("json");
    assert!(!record.contains("tok-leaked-123"), "{record}");

    s.answer(
        "/api/v1/login",
        401,
        json!({ "status": "error", "message": "Unauthorized" }),
    );
    let (status, message) = refusal(s.api.login("alice", &password, Purpose::Preflight).await);
    assert_eq!((status, message.as_str()), (401, "Unauthorized"));
}

#[tokio::test]
async fn info_and_me_are_typed() {
    let s = Scripted::start().await;
    s.answer(
        "/api/info",
        200,
        json!({ "success": true, "version": "7.10.0" }),
    );
    assert_eq!(
        s.api.server_version(None).await.expect("a version"),
        Some("7.10.0".to_owned())
    );
    s.answer("/api/info", 200, json!({ "success": true }));
    assert_eq!(s.api.server_version(None).await.expect("an answer"), None);
    s.answer("/api/info", 200, json!({ "success": true, "version": 7 }));
    let (_, message) = refusal(s.api.server_version(None).await);
    assert!(
        message.starts_with("the answer does not fit at `version`: invalid type: integer `7`"),
        "{message}"
    );

    s.answer(
        "/api/v1/me",
        200,
        json!({ "_id": "admin-id", "username": "root", "status": "online", "roles": ["admin", "user"], "success": true }),
    );
    let me = s.api.me(&admin(), Purpose::Preflight).await.expect("me");
    assert_eq!(me.username, "root");
    assert_eq!(me.roles, ["admin", "user"]);
}

#[tokio::test]
async fn the_envelope_refuses_failures_and_non_objects() {
    let s = Scripted::start().await;
    s.answer(
        "/api/v1/users.delete",
        400,
        json!({ "success": false, "error": "User not found [error-invalid-user]", "errorType": "error-invalid-user" }),
    );
    let (status, message) = refusal(s.api.delete_user(&admin(), "x").await);
    assert_eq!((status, message.as_str()), (400, "error-invalid-user"));

    s.answer("/api/v1/users.delete", 200, json!({ "success": false }));
    let (status, message) = refusal(s.api.delete_user(&admin(), "x").await);
    assert_eq!((status, message.as_str()), (200, "no error message"));

    s.answer("/api/v1/users.delete", 200, json!([1, 2]));
    let (_, message) = refusal(s.api.delete_user(&admin(), "x").await);
    assert_eq!(
        message,
        "the answer does not fit: the body is not a JSON object"
    );

    s.answer("/api/v1/users.delete", 200, json!({ "success": true }));
    s.api.delete_user(&admin(), "x").await.expect("deleted");
}

#[tokio::test]
async fn users_rooms_and_members_name_the_field_that_does_not_fit() {
    let s = Scripted::start().await;
    let two_factor = Secret::new("code-1234");
    let password = Secret::new("pw-abcdef");
    s.answer(
        "/api/v1/users.create",
        200,
        json!({ "success": true, "user": { "_id": "new-id", "username": "bob" } }),
    );
    let created = s
        .api
        .create_user(&admin(), Some(&two_factor), "bob", &password, &[])
        .await;
    assert_eq!(created.expect("created"), "new-id");
    s.answer(
        "/api/v1/users.create",
        200,
        json!({ "success": true, "user": {} }),
    );
    let (_, message) = refusal(
        s.api
            .create_user(&admin(), Some(&two_factor), "bob", &password, &[])
            .await,
    );
    assert_eq!(
        message,
        "the answer does not fit at `user`: missing field `_id`"
    );

    s.answer(
        "/api/v1/channels.members",
        200,
        json!({ "success": true, "members": [{ "_id": "a" }, { "_id": 5 }] }),
    );
    let (_, message) = refusal(s.api.members(&admin(), RoomType::Public, "r").await);
    assert!(
        message.starts_with("the answer does not fit at `members[1]._id`: invalid type"),
        "{message}"
    );
    s.answer(
        "/api/v1/groups.members",
        200,
        json!({ "success": true, "members": [{ "_id": "a" }, { "_id": "b", "username": "b" }] }),
    );
    let (_, ids) = s
        .api
        .members(&admin(), RoomType::Private, "r")
        .await
        .expect("members");
    assert_eq!(ids, ["a", "b"]);

    s.answer(
        "/api/v1/channels.create",
        200,
        json!({ "success": true, "group": { "_id": "g" } }),
    );
    let (_, message) = refusal(
        s.api
            .create_room(&admin(), RoomType::Public, "town", &[], false)
            .await,
    );
    assert_eq!(message, "the answer does not fit: missing field `channel`");

    s.answer(
        "/api/v1/im.create",
        200,
        json!({ "success": true, "room": { "rid": "d1", "t": "d" } }),
    );
    assert_eq!(
        s.api.create_direct(&admin(), "bob").await.expect("a room"),
        "d1"
    );
}

#[tokio::test]
async fn room_documents_are_kept_whole() {
    let s = Scripted::start().await;
    let room = json!({ "_id": "r1", "t": "p", "usersCount": 3, "msgs": 1, "custom": { "x": [1] } });
    s.answer(
        "/api/v1/groups.info",
        200,
        json!({ "success": true, "group": room }),
    );
    let (_, info) = s
        .api
        .room_info(&admin(), RoomType::Private, "r1", Purpose::Verify)
        .await
        .expect("info");
    assert_eq!(info, room);

    let subscriptions = json!([{ "rid": "r1", "name": "x", "t": "p" }, { "rid": "r2", "t": "c" }]);
    s.answer(
        "/api/v1/users.info",
        200,
        json!({ "success": true, "user": { "_id": "u", "rooms": subscriptions } }),
    );
    let (_, rooms) = s.api.user_rooms(&admin(), "u").await.expect("rooms");
    assert_eq!(rooms.map(Value::Array), Some(subscriptions));
    s.answer(
        "/api/v1/users.info",
        200,
        json!({ "success": true, "user": { "_id": "u" } }),
    );
    let (_, rooms) = s.api.user_rooms(&admin(), "u").await.expect("an answer");
    assert_eq!(rooms, None);
    s.answer(
        "/api/v1/users.info",
        200,
        json!({ "success": true, "user": { "_id": "u", "rooms": [{ "name": "x" }] } }),
    );
    let (_, message) = refusal(s.api.user_rooms(&admin(), "u").await);
    assert_eq!(
        message,
        "the answer does not fit at `user.rooms[0]`: missing field `rid`"
    );
}

#[tokio::test]
async fn listings_and_permissions_are_typed() {
    let s = Scripted::start().await;
    s.answer(
        "/api/v1/rooms.adminRooms",
        200,
        json!({ "success": true, "total": 2, "rooms": [
            { "_id": "r1", "name": "rcc-x-town", "t": "c", "usersCount": 1 },
            { "_id": "d1", "usernames": ["a", "b"], "t": "d" }
        ] }),
    );
    let rooms = s.api.rooms_named(&admin(), "rcc-x").await.expect("rooms");
    assert_eq!(
        rooms,
        [
            ListedRoom {
                id: "r1".into(),
                name: "rcc-x-town".into(),
                fname: None,
                room_type: "c".into()
            },
            ListedRoom {
                id: "d1".into(),
                name: "a,b".into(),
                fname: None,
                room_type: "d".into()
            },
        ]
    );
    s.answer(
        "/api/v1/rooms.adminRooms",
        200,
        json!({ "success": true, "total": 1, "rooms": [{ "_id": "r1", "name": "n" }] }),
    );
    let (_, message) = refusal(s.api.rooms_named(&admin(), "rcc-x").await);
    assert_eq!(
        message,
        "the answer does not fit at `rooms[0]`: missing field `t`"
    );
    s.answer(
        "/api/v1/rooms.adminRooms",
        200,
        json!({ "success": true, "count": 0 }),
    );
    let (_, message) = refusal(
        s.api
            .admin_room_pages(&admin(), "rcc-x", Purpose::Verify)
            .await,
    );
    assert_eq!(message, "the answer does not fit: missing field `rooms`");

    s.answer(
        "/api/v1/permissions.listAll",
        200,
        json!({ "success": true, "remove": [], "update": [
            { "_id": "create-c", "roles": ["admin", "user"] },
            { "_id": "setting-x", "group": "g" }
        ] }),
    );
    let permissions = s
        .api
        .permissions(&admin(), Purpose::Preflight)
        .await
        .expect("permissions");
    assert_eq!(permissions["create-c"], ["admin", "user"]);
    assert!(permissions["setting-x"].is_empty());
    s.answer(
        "/api/v1/permissions.listAll",
        200,
        json!({ "success": true, "update": [{ "roles": [] }] }),
    );
    let (_, message) = refusal(s.api.permissions(&admin(), Purpose::Preflight).await);
    assert_eq!(
        message,
        "the answer does not fit at `update[0]`: missing field `_id`"
    );
}

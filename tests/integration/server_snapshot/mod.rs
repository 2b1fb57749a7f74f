//! A snapshot of a reference server's state read through its REST API (users, rooms, roles,
//! permission grants, and the messages and counter of `#general`), to prove a run left the
//! server exactly as it found it. Shared by the
//! end-to-end tests that run the binary against a server started in the test.

#![allow(dead_code, unreachable_pub)]

use serde_json::{Value, json};

/// The reference server's default admin.
pub const ADMIN: &str = "rc-admin";
/// The reference server's default admin password.
pub const PASSWORD: &str = "rc-admin-password";

/// What a run must leave as it found it.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub users: Vec<String>,
    pub rooms: Vec<String>,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    /// `#general`'s `msgs` and its messages (`_id t msg`).
    pub general: Vec<String>,
}

pub async fn snapshot(url: &str) -> Snapshot {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let login: Value = http
        .post(format!("{url}/api/v1/login"))
        .json(&json!({"user": ADMIN, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let (id, token) = (
        login["data"]["userId"].as_str().expect("userId").to_owned(),
        login["data"]["authToken"]
            .as_str()
            .expect("authToken")
            .to_owned(),
    );
    let get = |path: String| {
        let (http, id, token) = (http.clone(), id.clone(), token.clone());
        async move {
            http.get(format!("{url}{path}"))
                .header("X-User-Id", id)
                .header("X-Auth-Token", token)
                .send()
                .await
                .expect("request")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    let list = |v: &Value, key: &str, f: &dyn Fn(&Value) -> String| -> Vec<String> {
        let mut out: Vec<String> = v[key].as_array().expect(key).iter().map(f).collect();
        out.sort();
        out
    };
    let users = get("/api/v1/users.list?count=100".into()).await;
    let rooms =
        get("/api/v1/rooms.adminRooms?count=100&types[]=c&types[]=p&types[]=d&types[]=l".into())
            .await;
    let roles = get("/api/v1/roles.list".into()).await;
    let permissions = get("/api/v1/permissions.listAll".into()).await;
    let messages = get("/api/v1/channels.messages?roomId=GENERAL&count=100".into()).await;
    let general_msgs = rooms["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["_id"] == "GENERAL")
        .map(|r| r["msgs"].clone());
    Snapshot {
        users: list(&users, "users", &|u| {
            format!(
                "{} {} {} {}",
                u["_id"], u["username"], u["active"], u["roles"]
            )
        }),
        rooms: list(&rooms, "rooms", &|r| {
            format!("{} {} {}", r["_id"], r["name"], r["t"])
        }),
        roles: list(&roles, "roles", &|r| format!("{} {}", r["_id"], r["scope"])),
        permissions: list(&permissions, "update", &|p| {
            format!("{} {}", p["_id"], p["roles"])
        }),
        general: std::iter::once(format!("msgs={general_msgs:?}"))
            .chain(list(&messages, "messages", &|m| {
                format!("{} {} {}", m["_id"], m["t"], m["msg"])
            }))
            .collect(),
    }
}

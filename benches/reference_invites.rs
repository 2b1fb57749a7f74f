//! Invites per second of the reference server over loopback HTTP, one at a time and
//! concurrently: `cargo bench --bench reference_invites`.
//!
//! Each invite adds a fresh user (so every call does the full work: lookup, resolution,
//! permission check, subscription, counters). Users are created first, outside the timing.

#[macro_use]
mod support;

use std::time::{Duration, Instant};

use rc_conform::reference::{ServerConfig, start};
use serde_json::{Value, json};

const USERS: usize = 2000;
const CONCURRENCY: usize = 16;

struct Admin {
    http: reqwest::Client,
    url: String,
    id: String,
    token: String,
}

impl Admin {
    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("X-User-Id", &self.id)
            .header("X-Auth-Token", &self.token)
            .json(&body)
            .send()
            .await
            .expect("request");
        r.json().await.expect("JSON body")
    }
}

async fn setup() -> (
    rc_conform::reference::RunningServer,
    Admin,
    String,
    Vec<String>,
) {
    let config = ServerConfig {
        test_mode: true,
        ..ServerConfig::default()
    };
    let (user, password) = (config.admin_username.clone(), config.admin_password.clone());
    let server = start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("server starts");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let login: Value = http
        .post(format!("{}/api/v1/login", server.url()))
        .json(&json!({"user": user, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let admin = Admin {
        http,
        url: server.url().to_owned(),
        id: login["data"]["userId"].as_str().expect("userId").to_owned(),
        token: login["data"]["authToken"]
            .as_str()
            .expect("authToken")
            .to_owned(),
    };
    let room = admin
        .post("/api/v1/channels.create", json!({"name": "bench"}))
        .await["channel"]["_id"]
        .as_str()
        .expect("room id")
        .to_owned();
    let mut users = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let name = format!("bench-{i}");
        let body = json!({"username": name, "name": name, "email": format!("{name}@bench.invalid"), "password": "bench-password", "joinDefaultChannels": false});
        users.push(
            admin.post("/api/v1/users.create", body).await["user"]["_id"]
                .as_str()
                .expect("user id")
                .to_owned(),
        );
    }
    (server, admin, room, users)
}

async fn invite(admin: &Admin, room: &str, user: &str) {
    let body = admin
        .post(
            "/api/v1/channels.invite",
            json!({"roomId": room, "userId": user}),
        )
        .await;
    assert_eq!(body["success"], json!(true), "{body}");
}

fn rate(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

fn main() {
    let mut out = String::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (server, admin, room, users) = setup().await;
        let half = USERS / 2;
        let started = Instant::now();
        for user in &users[..half] {
            invite(&admin, &room, user).await;
        }
        let single = rate(half, started.elapsed());

        let admin = std::sync::Arc::new(admin);
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in users[half..].chunks(half.div_ceil(CONCURRENCY)) {
            let (admin, room, chunk) = (admin.clone(), room.clone(), chunk.to_vec());
            tasks.spawn(async move {
                for user in &chunk {
                    invite(&admin, &room, user).await;
                }
            });
        }
        tasks.join_all().await;
        let concurrent = rate(USERS - half, started.elapsed());
        line!(
            out,
            "reference server, channels.invite over loopback HTTP ({half} invites each):"
        );
        line!(out, "  one at a time:          {single:>8.0} invites/s");
        line!(
            out,
            "  {CONCURRENCY} concurrent clients:  {concurrent:>8.0} invites/s  ({:.2}x)",
            concurrent / single
        );
        server.shutdown().await;
    });
    support::publish("reference_invites", &out);
}

//! Fixtures for the black-box tests of the reference server: start a server on a free port,
//! log in, create users and rooms through the REST API, and call the endpoints under test.
//!
//! Everything here goes over real HTTP, exactly as a client of a real Rocket.Chat would; no
//! test reaches into the server's state. The expectations themselves live in the test files
//! and cite the Rocket.Chat source they follow; this module only asserts that
//! *setup* steps succeed, so a failing fixture is reported as such and not as a wrong answer.

#![allow(dead_code)]

use std::collections::BTreeSet;

use rc_conform::reference::{Deviation, RunningServer, ServerConfig, start};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The two kinds of room the invite endpoints serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoomKind {
    /// A public channel (`t: "c"`), served by `channels.*`.
    Channel,
    /// A private group (`t: "p"`), served by `groups.*`.
    Group,
}

impl RoomKind {
    /// The route prefix (`channels` / `groups`).
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            RoomKind::Channel => "channels",
            RoomKind::Group => "groups",
        }
    }

    /// The key of the room object in success bodies (`channel` / `group`).
    pub(crate) fn key(self) -> &'static str {
        match self {
            RoomKind::Channel => "channel",
            RoomKind::Group => "group",
        }
    }

    /// The room's `t`.
    pub(crate) fn t(self) -> &'static str {
        match self {
            RoomKind::Channel => "c",
            RoomKind::Group => "p",
        }
    }

    /// `/api/v1/<prefix>.<method>`.
    pub(crate) fn route(self, method: &str) -> String {
        format!("/api/v1/{}.{method}", self.prefix())
    }
}

/// A user created through `users.create`.
#[derive(Debug, Clone)]
pub(crate) struct User {
    /// `_id`.
    pub(crate) id: String,
    /// `username`.
    pub(crate) username: String,
    /// The password it was created with.
    pub(crate) password: String,
}

/// A room created through `channels.create` / `groups.create`.
#[derive(Debug, Clone)]
pub(crate) struct Room {
    /// `_id`.
    pub(crate) id: String,
    /// `name`.
    pub(crate) name: String,
    /// Channel or group.
    pub(crate) kind: RoomKind,
}

/// Lower-case hex SHA-256, the `X-2FA-Code` of the password fallback
/// (`apps/meteor/app/2fa/server/code/index.ts`).
pub(crate) fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// A production-like configuration (the defaults).
///
/// Mutation check: with `RC_CONFORM_MUTANT=<deviation name>` in the environment, servers
/// started by [`Harness::start`] carry that deviation, and some test should then fail.
pub(crate) fn default_config() -> ServerConfig {
    let deviations = std::env::var("RC_CONFORM_MUTANT")
        .ok()
        .and_then(|name| name.parse::<Deviation>().ok())
        .into_iter()
        .collect();
    ServerConfig {
        deviations,
        ..ServerConfig::default()
    }
}

/// The default configuration plus the given deviations.
pub(crate) fn config_with_deviations(
    deviations: impl IntoIterator<Item = Deviation>,
) -> ServerConfig {
    let deviations: BTreeSet<Deviation> = deviations.into_iter().collect();
    ServerConfig {
        deviations,
        ..ServerConfig::default()
    }
}

/// A running reference server with the admin logged in.
pub(crate) struct Harness {
    /// The server (kept alive for the test's duration).
    pub(crate) server: RunningServer,
    /// The HTTP client.
    pub(crate) api: Api,
    /// The admin's session.
    pub(crate) admin: Session,
    /// The admin's user name.
    pub(crate) admin_username: String,
    /// The admin's password.
    pub(crate) admin_password: String,
    /// Whether the server runs in TEST_MODE (no 2FA headers needed then).
    pub(crate) test_mode: bool,
}

impl Harness {
    /// Starts a production-like server (defaults) and logs the admin in.
    pub(crate) async fn start() -> Harness {
        Harness::start_with(default_config()).await
    }

    /// Starts a server with `config` on `127.0.0.1:0` and logs the admin in.
    pub(crate) async fn start_with(config: ServerConfig) -> Harness {
        let admin_username = config.admin_username.clone();
        let admin_password = config.admin_password.clone();
        let test_mode = config.test_mode;
        let addr = "127.0.0.1:0".parse().expect("a socket address literal");
        let server = start(config, addr)
            .await
            .expect("the reference server starts");
        let api = Api::new(server.url());
        let admin = login(&api, &admin_username, &admin_password).await;
        Harness {
            server,
            api,
            admin,
            admin_username,
            admin_password,
            test_mode,
        }
    }

    /// The admin's 2FA headers for `users.create` (`apps/meteor/app/2fa/server/code/index.ts`).
    pub(crate) fn two_factor_headers(&self) -> [(&'static str, String); 2] {
        [
            ("X-2FA-Method", "password".to_owned()),
            ("X-2FA-Code", sha256_hex(&self.admin_password)),
        ]
    }

    /// `POST users.create` as the admin with the 2FA headers and `body` as given.
    pub(crate) async fn users_create_raw(&self, body: &Value) -> Reply {
        let mut req = self.api.request(
            reqwest::Method::POST,
            "/api/v1/users.create",
            Some(&self.admin),
        );
        for (name, value) in self.two_factor_headers() {
            req = req.header(name, value);
        }
        read(req.json(body)).await
    }

    /// Creates a plain user (`roles: [user]`, not joined to default channels).
    pub(crate) async fn create_user(&self, username: &str) -> User {
        self.create_user_with(username, json!({"joinDefaultChannels": false}))
            .await
    }

    /// Creates a user; `extra` is merged into the users.create body (e.g. `roles`, `joinDefaultChannels`).
    pub(crate) async fn create_user_with(&self, username: &str, extra: Value) -> User {
        let password = format!("pw-{username}");
        let mut body = json!({
            "username": username,
            "name": format!("Test {username}"),
            "email": format!("{username}@example.org"),
            "password": password,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let reply = self.users_create_raw(&body).await;
        reply.expect_status(200, &format!("fixture: users.create {username}"));
        let id = reply.body["user"]["_id"]
            .as_str()
            .unwrap_or_else(|| {
                panic!("fixture: users.create {username} returned no user._id: {reply:#?}")
            })
            .to_owned();
        User {
            id,
            username: username.to_owned(),
            password,
        }
    }

    /// Logs `user` in.
    pub(crate) async fn login_as(&self, user: &User) -> Session {
        login(&self.api, &user.username, &user.password).await
    }

    /// Creates a plain user and logs it in.
    pub(crate) async fn user_session(&self, username: &str) -> (User, Session) {
        let user = self.create_user(username).await;
        let session = self.login_as(&user).await;
        (user, session)
    }

    /// Creates a room as `owner` with the given member usernames.
    pub(crate) async fn create_room(
        &self,
        owner: &Session,
        kind: RoomKind,
        name: &str,
        members: &[&str],
    ) -> Room {
        let reply = self
            .api
            .post(
                Some(owner),
                &kind.route("create"),
                &json!({"name": name, "members": members}),
            )
            .await;
        reply.expect_status(200, &format!("fixture: {}.create {name}", kind.prefix()));
        let id = reply.body[kind.key()]["_id"]
            .as_str()
            .unwrap_or_else(|| {
                panic!(
                    "fixture: {}.create returned no _id: {reply:#?}",
                    kind.prefix()
                )
            })
            .to_owned();
        Room {
            id,
            name: name.to_owned(),
            kind,
        }
    }

    /// `GET <kind>.info?roomId=` as `session`, asserting 200; returns the room object.
    pub(crate) async fn room_info(&self, session: &Session, room: &Room) -> Value {
        let reply = self
            .api
            .get(
                Some(session),
                &room.kind.route("info"),
                &[("roomId", room.id.as_str())],
            )
            .await;
        reply.expect_status(200, &format!("{}.info {}", room.kind.prefix(), room.name));
        reply.body[room.kind.key()].clone()
    }

    /// `(msgs, usersCount)` of a room as seen by `session`.
    pub(crate) async fn counters(&self, session: &Session, room: &Room) -> (i64, i64) {
        let info = self.room_info(session, room).await;
        let msgs = info["msgs"]
            .as_i64()
            .unwrap_or_else(|| panic!("room has no numeric msgs: {info}"));
        let users = info["usersCount"]
            .as_i64()
            .unwrap_or_else(|| panic!("room has no numeric usersCount: {info}"));
        (msgs, users)
    }

    /// `GET <kind>.members` as `session`, asserting 200; the raw reply.
    pub(crate) async fn members_reply(&self, session: &Session, room: &Room) -> Reply {
        let reply = self
            .api
            .get(
                Some(session),
                &room.kind.route("members"),
                &[("roomId", room.id.as_str())],
            )
            .await;
        reply.expect_status(
            200,
            &format!("{}.members {}", room.kind.prefix(), room.name),
        );
        reply
    }

    /// The usernames listed by `<kind>.members`, sorted.
    pub(crate) async fn member_names(&self, session: &Session, room: &Room) -> Vec<String> {
        let reply = self.members_reply(session, room).await;
        let mut names: Vec<String> = reply.body["members"]
            .as_array()
            .unwrap_or_else(|| panic!("members is not an array: {reply:#?}"))
            .iter()
            .map(|m| m["username"].as_str().unwrap_or_default().to_owned())
            .collect();
        names.sort();
        names
    }

    /// `POST permissions.update` as the admin, replacing the role list of `permission`.
    pub(crate) async fn set_permission_roles(&self, permission: &str, roles: &[&str]) {
        let reply = self
            .api
            .post(
                Some(&self.admin),
                "/api/v1/permissions.update",
                &json!({"permissions": [{"_id": permission, "roles": roles}]}),
            )
            .await;
        reply.expect_status(200, &format!("fixture: permissions.update {permission}"));
    }

    /// `POST <kind>.<method>` (addOwner, addModerator, …) with `{roomId, userId}` as `caller`.
    pub(crate) async fn room_role(
        &self,
        caller: &Session,
        room: &Room,
        method: &str,
        user: &User,
    ) -> Reply {
        self.api
            .post(
                Some(caller),
                &room.kind.route(method),
                &json!({"roomId": room.id, "userId": user.id}),
            )
            .await
    }

    /// `GET users.info` as `session` with `query` (`userId` or `username`, and optionally
    /// `includeUserRooms`); the answer is returned unchecked.
    pub(crate) async fn users_info(&self, session: &Session, query: &[(&str, &str)]) -> Reply {
        self.api
            .get(Some(session), "/api/v1/users.info", query)
            .await
    }

    /// `GET users.info?username=…` as the admin; asserts the 400 of an unknown user, `why`
    /// saying why it must not exist.
    pub(crate) async fn assert_no_user_named(&self, username: &str, why: &str) {
        self.users_info(&self.admin, &[("username", username)])
            .await
            .expect_status(400, why);
    }

    /// `POST users.setActiveStatus` as the admin, asserting 200.
    pub(crate) async fn set_active(&self, user: &User, active: bool) {
        let reply = self
            .api
            .post(
                Some(&self.admin),
                "/api/v1/users.setActiveStatus",
                &json!({"userId": user.id, "activeStatus": active}),
            )
            .await;
        reply.expect_status(
            200,
            &format!("fixture: users.setActiveStatus {} {active}", user.username),
        );
    }
}

/// Sorted owned strings, for comparing member lists.
pub(crate) fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

pub(crate) mod answers;
mod api;
pub(crate) mod scenarios;
pub(crate) mod surface;

pub(crate) use answers::*;
pub(crate) use api::{Api, Reply, Session, login, read};
/// The default configuration emulating Rocket.Chat `version`.
pub(crate) fn config_with_version(version: &str) -> ServerConfig {
    ServerConfig {
        version: version.to_owned(),
        ..ServerConfig::default()
    }
}

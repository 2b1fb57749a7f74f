//! Fixtures for the membership surface around the invites: room messages, kicks and leaves,
//! bans, teams, discussions and livechat rooms, each called over HTTP as a client would.
//!
//! Like the rest of the support code, these only assert that setup steps succeed; the tests
//! assert the answers under test themselves.

use serde_json::{Value, json};

use super::{Harness, Reply, Room, RoomKind, Session, User};

impl Harness {
    /// `POST <kind>.invite {roomId, userId}` as `caller`.
    pub(crate) async fn invite_user(&self, caller: &Session, room: &Room, user: &User) -> Reply {
        self.api
            .invite(
                caller,
                room.kind,
                &json!({"roomId": room.id, "userId": user.id}),
            )
            .await
    }

    /// `GET <kind>.messages?roomId=` as `session` with extra query pairs; the raw reply.
    pub(crate) async fn messages_reply(
        &self,
        session: &Session,
        room: &Room,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut query = vec![("roomId", room.id.as_str())];
        query.extend_from_slice(extra);
        self.api
            .get(Some(session), &room.kind.route("messages"), &query)
            .await
    }

    /// The room's messages as the admin reads them, newest first.
    pub(crate) async fn messages(&self, room: &Room) -> Vec<Value> {
        let reply = self.messages_reply(&self.admin, room, &[]).await;
        reply.expect_status(200, &format!("{}.messages", room.kind.prefix()));
        reply.body["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("messages is not an array: {reply:#?}"))
            .clone()
    }

    /// The `t` of the room's messages, newest first.
    pub(crate) async fn message_types(&self, room: &Room) -> Vec<String> {
        self.messages(room)
            .await
            .iter()
            .map(|m| m["t"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// `POST <kind>.kick {roomId, userId}` as `caller`.
    pub(crate) async fn kick(&self, caller: &Session, room: &Room, user: &User) -> Reply {
        self.api
            .post(
                Some(caller),
                &room.kind.route("kick"),
                &json!({"roomId": room.id, "userId": user.id}),
            )
            .await
    }

    /// `POST <kind>.leave {roomId}` as `session`.
    pub(crate) async fn leave(&self, session: &Session, room: &Room) -> Reply {
        self.api
            .post(
                Some(session),
                &room.kind.route("leave"),
                &json!({"roomId": room.id}),
            )
            .await
    }

    /// `POST rooms.banUser` or `rooms.unbanUser` `{roomId, userId}` as `caller`.
    pub(crate) async fn ban(&self, caller: &Session, room: &Room, user: &User, ban: bool) -> Reply {
        let path = if ban {
            "/api/v1/rooms.banUser"
        } else {
            "/api/v1/rooms.unbanUser"
        };
        self.api
            .post(
                Some(caller),
                path,
                &json!({"roomId": room.id, "userId": user.id}),
            )
            .await
    }

    /// `POST teams.create {name, type, members}` as `session`, asserting 200; the team object
    /// and its main room.
    pub(crate) async fn create_team(
        &self,
        session: &Session,
        name: &str,
        kind: RoomKind,
        members: &[&str],
    ) -> (Value, Room) {
        let team_type = if kind == RoomKind::Group { 1 } else { 0 };
        let reply = self
            .api
            .post(
                Some(session),
                "/api/v1/teams.create",
                &json!({"name": name, "type": team_type, "members": members}),
            )
            .await;
        reply.expect_status(200, &format!("fixture: teams.create {name}"));
        let team = reply.body["team"].clone();
        let id = team["roomId"].as_str().unwrap_or_default().to_owned();
        (
            team,
            Room {
                id,
                name: name.to_owned(),
                kind,
            },
        )
    }

    /// Usernames of `teams.members?teamName=` as the admin, sorted.
    pub(crate) async fn team_member_names(&self, team: &str) -> Vec<String> {
        let reply = self
            .api
            .get(
                Some(&self.admin),
                "/api/v1/teams.members",
                &[("teamName", team)],
            )
            .await;
        reply.expect_status(200, "teams.members");
        let mut names: Vec<String> = reply.body["members"]
            .as_array()
            .unwrap_or_else(|| panic!("members is not an array: {reply:#?}"))
            .iter()
            .map(|m| {
                m["user"]["username"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        names.sort();
        names
    }

    /// `POST rooms.createDiscussion {prid, t_name, users}` as `session`, asserting 200; the
    /// discussion object and the discussion as a room of its parent's kind.
    pub(crate) async fn create_discussion(
        &self,
        session: &Session,
        parent: &Room,
        name: &str,
        users: &[&str],
    ) -> (Value, Room) {
        let reply = self
            .api
            .post(
                Some(session),
                "/api/v1/rooms.createDiscussion",
                &json!({"prid": parent.id, "t_name": name, "users": users}),
            )
            .await;
        reply.expect_status(200, &format!("fixture: rooms.createDiscussion {name}"));
        let discussion = reply.body["discussion"].clone();
        let room = Room {
            id: discussion["_id"].as_str().unwrap_or_default().to_owned(),
            name: discussion["name"].as_str().unwrap_or_default().to_owned(),
            kind: parent.kind,
        };
        (discussion, room)
    }

    /// A visitor with `token` and its open livechat room (`livechat/visitor`, `livechat/room`,
    /// both unauthenticated); the room object.
    pub(crate) async fn livechat_room(&self, token: &str) -> Value {
        let body = json!({"visitor": {"token": token, "name": "Visiting Vera"}});
        let reply = self.api.post(None, "/api/v1/livechat/visitor", &body).await;
        reply.expect_status(200, "fixture: livechat/visitor");
        let reply = self
            .api
            .get(None, "/api/v1/livechat/room", &[("token", token)])
            .await;
        reply.expect_status(200, "fixture: livechat/room");
        reply.body["room"].clone()
    }
}

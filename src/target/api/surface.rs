//! The membership surface around the invites, as a runner provisions, reads and undoes it:
//! kicks and leaves (`channels.kick` / `groups.kick`, `*.leave`), bans (`rooms.banUser`,
//! `rooms.unbanUser`), teams (`teams.create`, `teams.delete`), discussions
//! (`rooms.createDiscussion`), omnichannel rooms opened by a livechat visitor
//! (`livechat/visitor`, `livechat/room`, `livechat/room.close`, `DELETE livechat/visitor/:token`)
//! and a room's newest messages (`channels.messages` / `groups.messages`).
//!
//! It acts on what it is given; which fixtures a case needs is the runner's business.

use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Identified, decode};
use super::session::Session;
use super::{Api, ApiError, path_escape, prefix};
use crate::api::RoomType;
use crate::target::request::{Purpose, Request};

/// The answer of `teams.create`.
#[derive(Deserialize)]
struct TeamAnswer<'a> {
    /// The team.
    #[serde(borrow)]
    team: CreatedTeam<'a>,
}

/// A created team: its id and its main room's.
#[derive(Deserialize)]
struct CreatedTeam<'a> {
    /// `_id`.
    #[serde(rename = "_id")]
    id: &'a str,
    /// `roomId`: the main room.
    #[serde(rename = "roomId")]
    room_id: &'a str,
}

/// The answer of `rooms.createDiscussion`.
#[derive(Deserialize)]
struct DiscussionAnswer<'a> {
    /// The discussion room.
    #[serde(borrow)]
    discussion: Named<'a>,
}

/// A room document as far as its id and name.
#[derive(Deserialize)]
struct Named<'a> {
    /// `_id`.
    #[serde(rename = "_id")]
    id: &'a str,
    /// `name` (a discussion's is a random id; its `fname` is the name it was given).
    #[serde(default)]
    name: Option<&'a str>,
}

/// The answer of `livechat/room`.
#[derive(Deserialize)]
struct LivechatAnswer<'a> {
    /// The visitor's open room.
    #[serde(borrow)]
    room: Identified<'a>,
}

/// A created team: its id and the id of its main room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// The team's `_id`.
    pub id: String,
    /// The main room's `_id`.
    pub room_id: String,
}

impl Api {
    /// `POST <channels|groups>.<action>` with `body` as `actor` (provisioning).
    async fn surface_post(
        &self,
        actor: Option<&Session>,
        path: String,
        body: Value,
        purpose: Purpose,
        what: String,
    ) -> Result<Value, ApiError> {
        let mut request = Request::post(path, body, purpose);
        if let Some(actor) = actor {
            request = request.auth(actor.auth());
        }
        self.expect_ok(&what, request).await.map(|(_, body)| body)
    }

    /// `POST channels.kick` / `groups.kick`: `actor` removes `user_id` from the room.
    pub async fn kick(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
        user_id: &str,
    ) -> Result<(), ApiError> {
        let p = prefix(room_type);
        let body = json!({ "roomId": room_id, "userId": user_id });
        let what = format!("removing {user_id} from room {room_id} ({p}.kick)");
        let path = format!("/api/v1/{p}.kick");
        self.surface_post(Some(actor), path, body, Purpose::Provision, what)
            .await
            .map(drop)
    }

    /// `POST channels.leave` / `groups.leave`: `actor` leaves the room.
    pub async fn leave(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
    ) -> Result<(), ApiError> {
        let p = prefix(room_type);
        let what = format!("leaving room {room_id} ({p}.leave)");
        let path = format!("/api/v1/{p}.leave");
        let body = json!({ "roomId": room_id });
        self.surface_post(Some(actor), path, body, Purpose::Provision, what)
            .await
            .map(drop)
    }

    /// `POST rooms.banUser` (`ban: true`) or `rooms.unbanUser` as `actor`.
    pub async fn set_banned(
        &self,
        actor: &Session,
        room_id: &str,
        user_id: &str,
        ban: bool,
    ) -> Result<(), ApiError> {
        let route = if ban {
            "rooms.banUser"
        } else {
            "rooms.unbanUser"
        };
        let what = format!("{route} of {user_id} in room {room_id}");
        let body = json!({ "roomId": room_id, "userId": user_id });
        let path = format!("/api/v1/{route}");
        self.surface_post(Some(actor), path, body, Purpose::Provision, what)
            .await
            .map(drop)
    }

    /// `POST teams.create` as `creator`: a public (`c`) or private (`p`) team named `name`
    /// with `members` (usernames); its id and its main room's.
    pub async fn create_team(
        &self,
        creator: &Session,
        room_type: RoomType,
        name: &str,
        members: &[String],
    ) -> Result<Team, ApiError> {
        let kind = u8::from(room_type == RoomType::Private);
        let request = Request::post(
            "/api/v1/teams.create",
            json!({ "name": name, "type": kind, "members": members }),
            Purpose::Provision,
        )
        .auth(creator.auth());
        let what = format!("creating team `{name}` (teams.create)");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let answer: TeamAnswer = decode(&what, &sent, &body)?;
        Ok(Team {
            id: answer.team.id.to_owned(),
            room_id: answer.team.room_id.to_owned(),
        })
    }

    /// `POST teams.delete` as `actor`, by id when known, else by name; the main room goes with
    /// the team.
    pub async fn delete_team(
        &self,
        actor: &Session,
        name: &str,
        id: Option<&str>,
    ) -> Result<(), ApiError> {
        let body = match id {
            Some(id) => json!({ "teamId": id }),
            None => json!({ "teamName": name }),
        };
        let what = format!("deleting team `{name}` (teams.delete)");
        let path = "/api/v1/teams.delete".to_owned();
        self.surface_post(Some(actor), path, body, Purpose::Cleanup, what)
            .await
            .map(drop)
    }

    /// `POST rooms.createDiscussion` as `creator`: a discussion of `parent_id` called `name`
    /// with `users` (usernames); its id and its `name` (a random id on Rocket.Chat).
    pub async fn create_discussion(
        &self,
        creator: &Session,
        parent_id: &str,
        name: &str,
        users: &[String],
    ) -> Result<(String, String), ApiError> {
        let request = Request::post(
            "/api/v1/rooms.createDiscussion",
            json!({ "prid": parent_id, "t_name": name, "users": users }),
            Purpose::Provision,
        )
        .auth(creator.auth());
        let what = format!("creating discussion `{name}` (rooms.createDiscussion)");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let answer: DiscussionAnswer = decode(&what, &sent, &body)?;
        let room = answer.discussion;
        Ok((room.id.to_owned(), room.name.unwrap_or(name).to_owned()))
    }

    /// A livechat visitor with `token` (also its name) opens its room, as the Livechat widget
    /// does (`POST livechat/visitor`, `GET livechat/room`, no credentials); the room's id.
    pub async fn open_livechat(&self, token: &str) -> Result<String, ApiError> {
        let what = format!("registering livechat visitor `{token}` (livechat/visitor)");
        let body = json!({ "visitor": { "token": token, "name": token } });
        let path = "/api/v1/livechat/visitor".to_owned();
        self.surface_post(None, path, body, Purpose::Provision, what)
            .await?;
        self.livechat_room(token, Purpose::Provision).await
    }

    /// `GET livechat/room?token=`: the open room of the visitor with `token` (the server opens
    /// one when there is none).
    pub async fn livechat_room(&self, token: &str, purpose: Purpose) -> Result<String, ApiError> {
        let request = Request::get(
            format!("/api/v1/livechat/room?token={}", path_escape(token)),
            purpose,
        );
        let what = format!("opening the livechat room of `{token}` (livechat/room)");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let answer: LivechatAnswer = decode(&what, &sent, &body)?;
        Ok(answer.room.id.to_owned())
    }

    /// `POST livechat/room.close`: the visitor with `token` closes its room `room_id`.
    pub async fn close_livechat(&self, token: &str, room_id: &str) -> Result<(), ApiError> {
        let what = format!("closing livechat room {room_id} (livechat/room.close)");
        let body = json!({ "rid": room_id, "token": token });
        let path = "/api/v1/livechat/room.close".to_owned();
        self.surface_post(None, path, body, Purpose::Cleanup, what)
            .await
            .map(drop)
    }

    /// `DELETE livechat/visitor/:token`: the visitor is removed with its rooms (a server
    /// refuses while one of them is open).
    pub async fn delete_visitor(&self, token: &str) -> Result<(), ApiError> {
        let mut request = Request::get(
            format!("/api/v1/livechat/visitor/{}", path_escape(token)),
            Purpose::Cleanup,
        );
        request.method = reqwest::Method::DELETE;
        let what = format!("deleting livechat visitor `{token}`");
        self.expect_ok(&what, request).await.map(drop)
    }
}

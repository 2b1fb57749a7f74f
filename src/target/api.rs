//! The Rocket.Chat endpoints the runner needs besides the calls under test: login,
//! provisioning (users, rooms, room roles, permissions) and inspection (members, room info,
//! leftovers), each a typed method. Failures carry the exchange as evidence.

use indexmap::IndexMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::{Auth, Client, Exchange, Purpose, Request, Sent, TransportError};
use super::secret::Secret;
use crate::api::RoomType;

/// A logged-in user's credentials.
#[derive(Debug, Clone)]
pub struct Session {
    /// `X-User-Id`.
    pub user_id: String,
    /// `X-Auth-Token`.
    pub token: Secret,
}

impl Session {
    /// Both auth headers.
    pub fn auth(&self) -> Auth {
        Auth {
            user_id: Some(self.user_id.clone()),
            token: Some(self.token.clone()),
        }
    }
}

/// Why an API call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// No usable response.
    #[error("{what}: {error}")]
    Transport {
        /// The operation.
        what: String,
        /// The failure.
        error: TransportError,
        /// The record.
        exchange: Box<Exchange>,
    },
    /// The server answered but refused or answered something unusable.
    #[error("{what}: HTTP {status}: {message}")]
    Refused {
        /// The operation.
        what: String,
        /// HTTP status.
        status: u16,
        /// `errorType`/`error` of the body, or what was wrong with it.
        message: String,
        /// The record.
        exchange: Box<Exchange>,
    },
}

impl ApiError {
    /// The exchange that failed.
    pub fn exchange(&self) -> &Exchange {
        match self {
            ApiError::Transport { exchange, .. } | ApiError::Refused { exchange, .. } => exchange,
        }
    }

    /// Whether the server answered at all (as opposed to a transport failure).
    pub fn is_transport(&self) -> bool {
        matches!(self, ApiError::Transport { .. })
    }

    /// The endpoint the target does not have (`POST /api/v1/x`), when it answered 404.
    pub fn missing_endpoint(&self) -> Option<String> {
        match self {
            ApiError::Refused {
                status: 404,
                exchange,
                ..
            } => {
                let path = exchange.url.split("://").nth(1).unwrap_or(&exchange.url);
                let path = path.find('/').map_or("/", |i| &path[i..]);
                let path = path.split('?').next().unwrap_or(path);
                Some(format!("{} {path}", exchange.method))
            }
            _ => None,
        }
    }
}

/// A room-scoped role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomRole {
    /// `owner`
    Owner,
    /// `moderator`
    Moderator,
    /// `leader`
    Leader,
}

/// One room as `rooms.adminRooms` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRoom {
    /// `_id`
    pub id: String,
    /// `name` (or `fname`, or the usernames of a direct room).
    pub name: String,
    /// `t`
    pub room_type: String,
}

/// The provisioning and inspection API of one target.
#[derive(Debug, Clone)]
pub struct Api {
    client: Client,
}

fn prefix(room_type: RoomType) -> &'static str {
    match room_type {
        RoomType::Public => "channels",
        RoomType::Private => "groups",
        RoomType::Direct => "im",
    }
}

/// The failure of `what`: the server answered `sent`, but not usably (`message` says how).
fn refused(what: &str, sent: &Sent, message: String) -> ApiError {
    ApiError::Refused {
        what: what.to_owned(),
        status: sent.status().unwrap_or(0),
        message,
        exchange: Box::new(sent.exchange()),
    }
}

fn path_escape(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Api {
    /// The API over `client`.
    pub fn new(client: Client) -> Api {
        Api { client }
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends and requires a 2xx answer whose body is a JSON object without `success: false`:
    /// what was sent (its record is built only if someone asks) and the body.
    pub async fn expect_ok(&self, what: &str, request: Request) -> Result<(Sent, Value), ApiError> {
        let mut sent = self.client.dispatch(&request).await;
        let body = match &mut sent.outcome {
            Ok(response) => response.json.take(),
            Err(error) => {
                return Err(ApiError::Transport {
                    what: what.to_owned(),
                    error: error.clone(),
                    exchange: Box::new(sent.exchange()),
                });
            }
        };
        let Some(body) = body else {
            return Err(refused(what, &sent, "the body is not JSON".to_owned()));
        };
        let status = sent.status().unwrap_or(0);
        if !(200..300).contains(&status)
            || body.get("success") == Some(&Value::Bool(false))
            || body.get("status") == Some(&json!("error"))
        {
            let message = ["errorType", "error", "message"]
                .iter()
                .find_map(|k| body.get(*k).and_then(Value::as_str))
                .unwrap_or("no error message")
                .to_owned();
            return Err(refused(what, &sent, message));
        }
        Ok((sent, body))
    }

    /// `GET /api/info`: the server's version, if it says.
    pub async fn server_version(&self, auth: Option<&Session>) -> Result<Option<String>, ApiError> {
        let mut request = Request::get("/api/info", Purpose::Preflight);
        if let Some(s) = auth {
            request = request.auth(s.auth());
        }
        let (_, body) = self
            .expect_ok("reading the server version (GET /api/info)", request)
            .await?;
        Ok(body
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_owned))
    }

    /// `POST login` with a username and password; the token is registered for redaction.
    pub async fn login(
        &self,
        user: &str,
        password: &Secret,
        purpose: Purpose,
    ) -> Result<Session, ApiError> {
        self.login_recorded(user, password, purpose)
            .await
            .map(|(session, _)| session)
    }

    /// [`Api::login`], also returning what was sent (the answer's headers tell whether the
    /// API rate limiter is on: the login route is limited for every caller).
    pub async fn login_recorded(
        &self,
        user: &str,
        password: &Secret,
        purpose: Purpose,
    ) -> Result<(Session, Sent), ApiError> {
        self.client.redactor().register(password);
        let request = Request::post(
            "/api/v1/login",
            json!({ "user": user, "password": password.expose() }),
            purpose,
        );
        let what = format!("logging in as `{user}`");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let data = body.get("data");
        let user_id = data.and_then(|d| d.get("userId")).and_then(Value::as_str);
        let token = data
            .and_then(|d| d.get("authToken"))
            .and_then(Value::as_str);
        match (user_id, token) {
            (Some(id), Some(token)) => {
                let token = Secret::new(token);
                self.client.redactor().register(&token);
                Ok((
                    Session {
                        user_id: id.to_owned(),
                        token,
                    },
                    sent,
                ))
            }
            _ => Err(refused(
                &what,
                &sent,
                "no data.userId/data.authToken in the answer".into(),
            )),
        }
    }

    /// `POST users.create` as `admin`, with the two-factor password fallback headers
    /// (`two_factor_code` = hex SHA-256 of the admin's password). Returns the new user's id.
    pub async fn create_user(
        &self,
        admin: &Session,
        two_factor_code: Option<&Secret>,
        username: &str,
        password: &Secret,
        roles: &[String],
    ) -> Result<String, ApiError> {
        self.client.redactor().register(password);
        let body = json!({
            "username": username,
            "name": username,
            "email": format!("{username}@rc-conform.invalid"),
            "password": password.expose(),
            "roles": roles,
            "verified": false,
            "joinDefaultChannels": false,
            "requirePasswordChange": false,
            "sendWelcomeEmail": false,
        });
        let mut request =
            Request::post("/api/v1/users.create", body, Purpose::Provision).auth(admin.auth());
        if let Some(code) = two_factor_code {
            request
                .headers
                .push(("X-2FA-Method".to_owned(), Secret::new("password")));
            request
                .headers
                .push(("X-2FA-Code".to_owned(), code.clone()));
        }
        let what = format!("creating user `{username}`");
        let (sent, body) = self.expect_ok(&what, request).await?;
        body.pointer("/user/_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| refused(&what, &sent, "no user._id in the answer".into()))
    }

    /// `POST users.delete` (with `confirmRelinquish`, so owned rooms do not block it).
    pub async fn delete_user(&self, admin: &Session, user_id: &str) -> Result<(), ApiError> {
        let request = Request::post(
            "/api/v1/users.delete",
            json!({ "userId": user_id, "confirmRelinquish": true }),
            Purpose::Cleanup,
        )
        .auth(admin.auth());
        self.expect_ok(&format!("deleting user {user_id}"), request)
            .await
            .map(|_| ())
    }

    /// `POST users.setActiveStatus`.
    pub async fn set_active(
        &self,
        admin: &Session,
        user_id: &str,
        active: bool,
        purpose: Purpose,
    ) -> Result<(), ApiError> {
        let request = Request::post(
            "/api/v1/users.setActiveStatus",
            json!({ "userId": user_id, "activeStatus": active, "confirmRelinquish": true }),
            purpose,
        )
        .auth(admin.auth());
        self.expect_ok(&format!("setting user {user_id} active={active}"), request)
            .await
            .map(|_| ())
    }

    /// `GET users.info?username=`: the user's id, or `None` when no such user exists.
    pub async fn user_id_by_username(
        &self,
        admin: &Session,
        username: &str,
    ) -> Result<Option<String>, ApiError> {
        let request = Request::get(
            format!("/api/v1/users.info?username={}", path_escape(username)),
            Purpose::Cleanup,
        )
        .auth(admin.auth());
        match self.expect_ok("looking up a user", request).await {
            Ok((_, body)) => Ok(body
                .pointer("/user/_id")
                .and_then(Value::as_str)
                .map(str::to_owned)),
            Err(ApiError::Refused {
                status: 400 | 404, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST channels.create` / `groups.create` as `creator`; returns the room id.
    pub async fn create_room(
        &self,
        creator: &Session,
        room_type: RoomType,
        name: &str,
        members: &[String],
        read_only: bool,
    ) -> Result<String, ApiError> {
        let p = prefix(room_type);
        let request = Request::post(
            format!("/api/v1/{p}.create"),
            json!({ "name": name, "members": members, "readOnly": read_only }),
            Purpose::Provision,
        )
        .auth(creator.auth());
        let what = format!("creating room `{name}` ({p}.create)");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let key = if room_type == RoomType::Public {
            "/channel/_id"
        } else {
            "/group/_id"
        };
        body.pointer(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| refused(&what, &sent, format!("no {key} in the answer")))
    }

    /// `POST im.create` as `creator` with `username`; returns the room id.
    pub async fn create_direct(
        &self,
        creator: &Session,
        username: &str,
    ) -> Result<String, ApiError> {
        let request = Request::post(
            "/api/v1/im.create",
            json!({ "username": username }),
            Purpose::Provision,
        )
        .auth(creator.auth());
        let what = format!("creating a direct room with `{username}`");
        let (sent, body) = self.expect_ok(&what, request).await?;
        body.pointer("/room/_id")
            .or_else(|| body.pointer("/room/rid"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| refused(&what, &sent, "no room._id in the answer".into()))
    }

    /// `POST <channels|groups>.<action>` with `body` as `actor`, requiring success.
    async fn room_action(
        &self,
        actor: &Session,
        room_type: RoomType,
        action: &str,
        body: Value,
        purpose: Purpose,
        what: String,
    ) -> Result<(), ApiError> {
        let request = Request::post(
            format!("/api/v1/{}.{action}", prefix(room_type)),
            body,
            purpose,
        )
        .auth(actor.auth());
        self.expect_ok(&what, request).await.map(|_| ())
    }

    /// `POST channels.delete` / `groups.delete` as `actor` (a member, for groups).
    pub async fn delete_room(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
    ) -> Result<(), ApiError> {
        let what = format!("deleting room {room_id} ({}.delete)", prefix(room_type));
        self.room_action(
            actor,
            room_type,
            "delete",
            json!({ "roomId": room_id }),
            Purpose::Cleanup,
            what,
        )
        .await
    }

    /// `POST channels.archive` / `groups.archive`.
    pub async fn archive(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
    ) -> Result<(), ApiError> {
        let what = format!("archiving room {room_id}");
        self.room_action(
            actor,
            room_type,
            "archive",
            json!({ "roomId": room_id }),
            Purpose::Provision,
            what,
        )
        .await
    }

    /// `POST channels.addOwner|addModerator|addLeader` (or the groups twins).
    pub async fn add_room_role(
        &self,
        actor: &Session,
        room_type: RoomType,
        role: RoomRole,
        room_id: &str,
        user_id: &str,
    ) -> Result<(), ApiError> {
        let action = match role {
            RoomRole::Owner => "addOwner",
            RoomRole::Moderator => "addModerator",
            RoomRole::Leader => "addLeader",
        };
        let what = format!("{}.{action} in room {room_id}", prefix(room_type));
        self.room_action(
            actor,
            room_type,
            action,
            json!({ "roomId": room_id, "userId": user_id }),
            Purpose::Provision,
            what,
        )
        .await
    }

    /// `GET channels.members` / `groups.members` as `actor`: the members' user ids (active
    /// users only, as the server lists them).
    pub async fn members(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
    ) -> Result<(Exchange, Vec<String>), ApiError> {
        let p = prefix(room_type);
        let request = Request::get(
            format!(
                "/api/v1/{p}.members?roomId={}&count=0",
                path_escape(room_id)
            ),
            Purpose::Verify,
        )
        .auth(actor.auth());
        let (sent, body) = self
            .expect_ok(&format!("listing members of {room_id}"), request)
            .await?;
        let ids = body
            .get("members")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|u| u.get("_id").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok((sent.exchange(), ids))
    }

    /// `GET channels.info` / `groups.info` as `actor`: the room object.
    pub async fn room_info(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
        purpose: Purpose,
    ) -> Result<(Exchange, Value), ApiError> {
        let p = prefix(room_type);
        let key = if room_type == RoomType::Public {
            "channel"
        } else {
            "group"
        };
        let request = Request::get(
            format!("/api/v1/{p}.info?roomId={}", path_escape(room_id)),
            purpose,
        )
        .auth(actor.auth());
        let (sent, mut body) = self
            .expect_ok(&format!("reading room {room_id}"), request)
            .await?;
        let room = body.get_mut(key).map_or(Value::Null, Value::take);
        Ok((sent.exchange(), room))
    }

    /// `GET permissions.listAll`: every permission's role list.
    pub async fn permissions(
        &self,
        admin: &Session,
        purpose: Purpose,
    ) -> Result<IndexMap<String, Vec<String>>, ApiError> {
        let request = Request::get("/api/v1/permissions.listAll", purpose).auth(admin.auth());
        let (_, body) = self.expect_ok("listing permissions", request).await?;
        let mut out = IndexMap::new();
        for p in body
            .get("update")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = p.get("_id").and_then(Value::as_str) {
                let roles = p
                    .get("roles")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(id.to_owned(), roles);
            }
        }
        Ok(out)
    }

    /// `POST permissions.update` for one permission (replaces its role list).
    pub async fn set_permission(
        &self,
        admin: &Session,
        permission: &str,
        roles: &[String],
        purpose: Purpose,
    ) -> Result<(), ApiError> {
        let request = Request::post(
            "/api/v1/permissions.update",
            json!({ "permissions": [{ "_id": permission, "roles": roles }] }),
            purpose,
        )
        .auth(admin.auth());
        self.expect_ok(&format!("setting permission `{permission}`"), request)
            .await
            .map(|_| ())
    }

    /// `GET rooms.adminRooms?filter=` page by page ([`LIST_PAGE`] rooms at a time, until the
    /// answer's `total`): each page as sent with the documents it listed, for the rooms of
    /// every type whose name contains `filter`.
    pub async fn admin_room_pages(
        &self,
        admin: &Session,
        filter: &str,
        purpose: Purpose,
    ) -> Result<Vec<(Sent, Vec<Value>)>, ApiError> {
        let mut pages: Vec<(Sent, Vec<Value>)> = Vec::new();
        let mut listed = 0;
        loop {
            let path = format!(
                "/api/v1/rooms.adminRooms?filter={}&types[]=c&types[]=p&types[]=d&offset={listed}&count={LIST_PAGE}",
                path_escape(filter),
            );
            let request = Request::get(path, purpose).auth(admin.auth());
            let (sent, mut body) = self
                .expect_ok("listing rooms (rooms.adminRooms)", request)
                .await?;
            let page = take_array(&mut body, "/rooms").unwrap_or_default();
            let total = body.get("total").and_then(Value::as_u64);
            let received = page.len();
            listed += received;
            pages.push((sent, page));
            // A server that pages differently, or ignores `offset`, ends the listing rather
            // than looping: an empty page, or no `total` and a short page.
            let more = match total {
                Some(total) => (listed as u64) < total,
                None => received == LIST_PAGE,
            };
            if received == 0 || !more || pages.len() >= MAX_PAGES {
                break;
            }
        }
        Ok(pages)
    }

    /// [`Api::admin_room_pages`] as id, name and type (for cleanup and the leftover check).
    pub async fn rooms_named(
        &self,
        admin: &Session,
        filter: &str,
    ) -> Result<Vec<ListedRoom>, ApiError> {
        let pages = self
            .admin_room_pages(admin, filter, Purpose::Cleanup)
            .await?;
        Ok(pages
            .iter()
            .flat_map(|(_, rooms)| rooms)
            .map(|r| {
                let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                let name = r
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| {
                        r.get("usernames").and_then(Value::as_array).map(|u| {
                            u.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                    })
                    .unwrap_or_default();
                ListedRoom {
                    id: s("_id"),
                    name,
                    room_type: s("t"),
                }
            })
            .collect())
    }

    /// `GET users.info?userId=&includeUserRooms=true` as `admin` (who holds
    /// `view-other-user-channels`): the user's subscription documents (`rid`, `name`, `t`, …),
    /// so a deactivated user's memberships show too. `None` when the answer has no
    /// `user.rooms` (a server without the parameter).
    pub async fn user_rooms(
        &self,
        admin: &Session,
        user_id: &str,
    ) -> Result<(Sent, Option<Vec<Value>>), ApiError> {
        let request = Request::get(
            format!(
                "/api/v1/users.info?userId={}&includeUserRooms=true",
                path_escape(user_id)
            ),
            Purpose::Verify,
        )
        .auth(admin.auth());
        let (sent, mut body) = self
            .expect_ok(&format!("reading the rooms of user {user_id}"), request)
            .await?;
        Ok((sent, take_array(&mut body, "/user/rooms")))
    }
}

/// The array at `pointer` in `body`, moved out rather than copied.
fn take_array(body: &mut Value, pointer: &str) -> Option<Vec<Value>> {
    match body.pointer_mut(pointer).map(Value::take) {
        Some(Value::Array(items)) => Some(items),
        _ => None,
    }
}

/// Rooms per `rooms.adminRooms` page: `API_Upper_Count_Limit`'s default.
pub const LIST_PAGE: usize = 100;

/// Pages read at most from one listing (100,000 rooms).
const MAX_PAGES: usize = 1000;

/// The two-factor password fallback code for `password`: its SHA-256 in lower-case hex.
pub fn two_factor_code(password: &Secret) -> Secret {
    let digest = Sha256::digest(password.expose().as_bytes());
    Secret::new(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    )
}

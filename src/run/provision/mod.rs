//! Provisioning: a case's setup → users, rooms, room roles and room state on the target,
//! through its REST API only. Every object is written to the ledger before it is created;
//! every name carries the run id and the case's number, so cases share no object but the pool
//! users and the rooms of a share ([`super::share`], created once by their first case), and a
//! run never touches one it did not create.

use std::collections::BTreeMap;

use rand::Rng as _;
use rand::distr::Alphanumeric;

mod error;
pub use error::ProvisionError;
mod surface;

use self::surface::NewRoom;
use super::ledger::{Entry, Ledger};
use crate::api::RoomType;
use crate::case::{Case, RoomFixture, RoomKind, RoomRef, UserRef};
use crate::target::Secret;
use crate::target::api::{Api, ApiError, RoomRole, Session};

/// The run-wide things provisioning needs.
#[derive(Debug, Clone)]
pub struct Provisioner {
    /// The API of the target.
    pub api: Api,
    /// The admin's session.
    pub admin: Session,
    /// The admin's username.
    pub admin_username: String,
    /// The two-factor password-fallback code of the admin, when known.
    pub two_factor: Option<Secret>,
    /// The ledger.
    pub ledger: Ledger,
    /// The run id.
    pub run_id: String,
    /// Users shared between cases, when the run has a pool.
    pub pool: Option<std::sync::Arc<super::pool::UserPool>>,
    /// The run's own roles, given to fixture users as they are created.
    pub roles: std::sync::Arc<super::grants::RunRoles>,
    /// Which cases share rooms, and the pool positions of their users.
    pub sharing: std::sync::Arc<super::share::Sharing>,
}

/// A user the case uses, as it exists on the target.
#[derive(Debug, Clone)]
pub struct LiveUser {
    /// `_id`.
    pub id: String,
    /// `username`.
    pub username: String,
    /// Its own session (revoked for a deactivated user); none for the bot.
    pub session: Option<Session>,
}

/// A room the case uses, as it exists on the target.
#[derive(Debug, Clone)]
pub struct LiveRoom {
    /// `_id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// Type.
    pub room_type: RoomType,
    /// A member whose session can read it (groups are visible to members only).
    pub reader: UserRef,
}

/// A case's fixtures on the target.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    /// Users by logical name, built-ins included.
    pub users: BTreeMap<UserRef, LiveUser>,
    /// Rooms by logical name, `general` included.
    pub rooms: BTreeMap<RoomRef, LiveRoom>,
}

impl Fixtures {
    /// A session that can read `room`.
    pub fn reader_of(&self, room: &RoomRef) -> Option<&Session> {
        let r = self.rooms.get(room)?;
        self.users.get(&r.reader)?.session.as_ref()
    }

    /// User ids by logical name.
    pub fn user_ids(&self) -> BTreeMap<UserRef, String> {
        self.users
            .iter()
            .map(|(k, u)| (k.clone(), u.id.clone()))
            .collect()
    }
}

fn password() -> Secret {
    let tail: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    Secret::new(format!("Rc-{tail}"))
}

impl Provisioner {
    /// Creates a user (ledger first) with a random password, and logs it in when `login`.
    pub async fn create_user(
        &self,
        username: &str,
        roles: &[String],
        login: bool,
    ) -> Result<LiveUser, ProvisionError> {
        self.ledger.record(&Entry::User {
            username: username.to_owned(),
        })?;
        let password = password();
        let id = self
            .api
            .create_user(
                &self.admin,
                self.two_factor.as_ref(),
                username,
                &password,
                &self.with_run_roles(roles, login),
            )
            .await?;
        self.ledger.record_later(&Entry::UserId {
            username: username.to_owned(),
            id: id.clone(),
        })?;
        // Only users that act or create rooms log in: the login route is rate-limited for
        // every caller on a production server, and a session nobody uses is a wasted request.
        let session = if login {
            Some(
                self.api
                    .login(username, &password, crate::target::Purpose::Provision)
                    .await?,
            )
        } else {
            None
        };
        Ok(LiveUser {
            id,
            username: username.to_owned(),
            session,
        })
    }

    /// `roles` and the run's own roles a fixture user holding them gets: the stand-in of each
    /// built-in role it holds, and the rate-limit bypass when it logs in (acts).
    fn with_run_roles(&self, roles: &[String], login: bool) -> Vec<String> {
        let mut all = roles.to_vec();
        all.extend(
            roles
                .iter()
                .filter_map(|r| self.roles.users.get(r))
                .cloned(),
        );
        if login && let Some(bypass) = &self.roles.bypass {
            all.push(bypass.clone());
        }
        all
    }

    /// The name prefix of case number `n`: `rcc-<run>-<n>`.
    pub fn prefix(&self, n: usize) -> String {
        format!("rcc-{}-{n:03}", self.run_id)
    }

    /// Creates the fixtures of `case` (number `n` in the plan).
    pub async fn provision(&self, n: usize, case: &Case) -> Result<Fixtures, ProvisionError> {
        let prefix = self.prefix(n);
        let mut fx = self.users_of(&prefix, case).await?;
        for (name, room) in &case.setup.rooms {
            let live = self.room(&prefix, name, room, &fx).await?;
            fx.rooms.insert(RoomRef::Fixture(name.clone()), live);
        }
        for (name, user) in &case.setup.users {
            if !user.active
                && let Some(live) = fx.users.get(&UserRef::Fixture(name.clone()))
            {
                self.api
                    .set_active(
                        &self.admin,
                        &live.id,
                        false,
                        crate::target::Purpose::Provision,
                    )
                    .await?;
            }
        }
        Ok(fx)
    }

    /// The fixtures of `case` that uses the rooms of its host (see [`super::share`]): its
    /// users from the pool at its place's positions, the host's rooms under its own room
    /// names (read by its own creator of each room, the same user as the host's). `None`
    /// when the pool cannot give its users (it then provisions rooms of its own).
    pub fn guest(&self, case: &Case, host: &Case, host_fx: &Fixtures) -> Option<Fixtures> {
        let place = self.sharing.place_of(case.id.as_str())?;
        let assigned = self
            .pool
            .as_ref()?
            .assign(case, Some(place.positions.as_slice()))?;
        let mut fx = self.builtins();
        for (name, live) in assigned {
            fx.users.insert(UserRef::Fixture(name), live);
        }
        let host_rooms = host.setup.rooms.keys();
        for ((name, room), host_name) in case.setup.rooms.iter().zip(host_rooms) {
            let live = host_fx.rooms.get(&RoomRef::Fixture(host_name.clone()))?;
            let live = LiveRoom {
                reader: room.creator.clone(),
                ..live.clone()
            };
            fx.rooms.insert(RoomRef::Fixture(name.clone()), live);
        }
        Some(fx)
    }

    /// The built-in fixtures and the users of `case`: from the pool, or its own.
    async fn users_of(&self, prefix: &str, case: &Case) -> Result<Fixtures, ProvisionError> {
        let mut fx = self.builtins();
        let shared = self
            .sharing
            .place_of(case.id.as_str())
            .map(|p| p.positions.as_slice());
        let assigned = self.pool.as_ref().and_then(|p| p.assign(case, shared));
        for (name, live) in assigned.into_iter().flatten() {
            fx.users.insert(UserRef::Fixture(name), live);
        }
        // The users the pool does not give: its own.
        for (name, user) in &case.setup.users {
            let user_ref = UserRef::Fixture(name.clone());
            if fx.users.contains_key(&user_ref) {
                continue;
            }
            let login = case.needs_session(&user_ref);
            let live = self
                .create_user(&format!("{prefix}-{name}"), &user.roles, login)
                .await?;
            fx.users.insert(user_ref, live);
        }
        Ok(fx)
    }

    /// What every case has without creating it: the admin, the bot and `general`.
    fn builtins(&self) -> Fixtures {
        let mut fx = Fixtures::default();
        fx.users.insert(
            UserRef::Admin,
            LiveUser {
                id: self.admin.user_id.clone(),
                username: self.admin_username.clone(),
                session: Some(self.admin.clone()),
            },
        );
        fx.users.insert(
            UserRef::Bot,
            LiveUser {
                id: "rocket.cat".into(),
                username: "rocket.cat".into(),
                session: None,
            },
        );
        fx.rooms.insert(
            RoomRef::General,
            LiveRoom {
                id: "GENERAL".into(),
                name: "general".into(),
                room_type: RoomType::Public,
                reader: UserRef::Admin,
            },
        );
        fx
    }

    /// Creates room `name` of a case (ledger first), as its creator, with its members, room
    /// roles, removals and state.
    async fn room(
        &self,
        prefix: &str,
        name: &str,
        room: &RoomFixture,
        fx: &Fixtures,
    ) -> Result<LiveRoom, ProvisionError> {
        if room.kind == RoomKind::Omnichannel {
            return self.omnichannel_room(&format!("{prefix}-{name}")).await;
        }
        let creator = fx.users.get(&room.creator).cloned().ok_or_else(|| {
            ProvisionError::Unsupported(format!(
                "room `{name}`: creator `{}` has no session",
                room.creator.name()
            ))
        })?;
        let Some(session) = creator.session.clone() else {
            return Err(ProvisionError::Unsupported(format!(
                "room `{name}`: `{}` cannot create rooms here",
                room.creator.name()
            )));
        };
        let others: Vec<String> = room
            .all_members()
            .iter()
            .skip(1)
            .filter_map(|m| fx.users.get(m))
            .map(|u| u.username.clone())
            .collect();
        let new = NewRoom {
            name: format!("{prefix}-{name}"),
            creator: &creator,
            session: &session,
            others: &others,
        };
        let (room_name, id) = match &room.kind {
            RoomKind::TeamMain => self.team_room(&new, room).await?,
            RoomKind::Discussion { parent } => {
                let parent = fx.rooms.get(parent).ok_or_else(|| {
                    ProvisionError::Unsupported(format!("room `{name}`: its parent is not created"))
                })?;
                self.discussion_room(&new, room, &parent.id).await?
            }
            RoomKind::Plain | RoomKind::Omnichannel => self.plain_room(&new, room).await?,
        };
        self.room_state(&session, room, &id, fx).await?;
        Ok(LiveRoom {
            id,
            name: room_name,
            room_type: room.room_type,
            reader: room.creator.clone(),
        })
    }

    /// The run's stand-in for room role `role`, when it has one, for fixture `user` in room
    /// `id` (`roles.addUserToRole` with the room).
    async fn room_stand_in(
        &self,
        role: RoomRole,
        user: &UserRef,
        id: &str,
        fx: &Fixtures,
    ) -> Result<(), ProvisionError> {
        let name = match role {
            RoomRole::Owner => "owner",
            RoomRole::Moderator => "moderator",
            RoomRole::Leader => "leader",
        };
        if let (Some(stand_in), UserRef::Fixture(_), Some(live)) =
            (self.roles.rooms.get(name), user, fx.users.get(user))
        {
            self.api
                .add_user_to_role(&self.admin, stand_in, &live.username, Some(id))
                .await?;
        }
        Ok(())
    }

    /// A channel, group or direct room (ledger first): its name and id.
    async fn plain_room(
        &self,
        new: &NewRoom<'_>,
        room: &RoomFixture,
    ) -> Result<(String, String), ProvisionError> {
        let (session, creator) = (new.session, new.creator);
        if room.room_type != RoomType::Direct {
            let id = self
                .channel_or_group(
                    (session, &creator.username),
                    room.room_type,
                    &new.name,
                    new.others,
                    room.read_only,
                )
                .await?;
            return Ok((new.name.clone(), id));
        }
        let other = new.others.first().cloned().unwrap_or_default();
        let room_name = format!("{}+{other}", creator.username);
        let created = self.api.create_direct(session, &other);
        let id = self
            .recorded(&room_name, RoomType::Direct, &creator.username, created)
            .await?;
        Ok((room_name, id))
    }

    /// A channel or group `name` created by `creator` (its session and username, who deletes
    /// it) with the members `others`, ledger first: its id.
    pub async fn channel_or_group(
        &self,
        (session, creator): (&Session, &str),
        room_type: RoomType,
        name: &str,
        others: &[String],
        read_only: bool,
    ) -> Result<String, ProvisionError> {
        let created = self
            .api
            .create_room(session, room_type, name, others, read_only);
        self.recorded(name, room_type, creator, created).await
    }

    /// The room `name` that `create` makes, the ledger written first (the room and who deletes
    /// it), its id after.
    async fn recorded(
        &self,
        name: &str,
        room_type: RoomType,
        deleter: &str,
        create: impl Future<Output = Result<String, ApiError>>,
    ) -> Result<String, ProvisionError> {
        self.ledger.record(&Entry::Room {
            name: name.to_owned(),
            room_type,
            deleter: deleter.to_owned(),
        })?;
        let id = create.await?;
        self.ledger.record_later(&Entry::RoomId {
            name: name.to_owned(),
            id: id.clone(),
        })?;
        Ok(id)
    }

    /// A created room's roles, removals and archive state.
    async fn room_state(
        &self,
        session: &Session,
        room: &RoomFixture,
        id: &str,
        fx: &Fixtures,
    ) -> Result<(), ProvisionError> {
        for (role, users) in [
            (RoomRole::Owner, &room.owners),
            (RoomRole::Moderator, &room.moderators),
            (RoomRole::Leader, &room.leaders),
        ] {
            for user in users {
                if !(role == RoomRole::Owner && user == &room.creator) {
                    let uid = fx.users.get(user).map(|u| u.id.clone()).unwrap_or_default();
                    self.api
                        .add_room_role(session, room.room_type, role, id, &uid)
                        .await?;
                }
                self.room_stand_in(role, user, id, fx).await?;
            }
        }
        if let Some(stand_in) = self.roles.rooms.get("owner")
            && !room.owners.contains(&room.creator)
            && let Some(creator) = fx.users.get(&room.creator)
            && matches!(room.creator, UserRef::Fixture(_))
        {
            self.api
                .add_user_to_role(&self.admin, stand_in, &creator.username, Some(id))
                .await?;
        }
        self.removals(session, room, id, fx).await?;
        if room.archived {
            self.api.archive(session, room.room_type, id).await?;
        }
        Ok(())
    }
}

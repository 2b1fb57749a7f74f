//! The resolved case model: what a loaded case means, with every reference checked.
//!
//! Values of these types are produced only by the loader ([`super::load`]); later stages
//! (check, plan, provision, judge) read them and never re-validate. Names are the logical
//! names of the case file (`mod`, `town`), never server ids.

use camino::Utf8PathBuf;
use indexmap::IndexMap;
use serde::Serialize;
use std::sync::Arc;

use super::kinds::{MessageExpectation, Removals, RoomKind};
use crate::api::{CaseId, Endpoint, PremiseName, RoomType};

/// Where a thing was written: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The case file.
    pub file: Utf8PathBuf,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A loaded suite: every case of every file, in file order.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    /// The files that were loaded.
    pub files: Vec<Utf8PathBuf>,
    /// The cases, ids unique across the suite (shared: a run hands each to the tasks that
    /// provision and call it without copying it).
    pub cases: Vec<Arc<Case>>,
    /// Where the files were read from (`None`: texts handed over in memory).
    pub source: Option<crate::built_in::Source>,
}

/// One conformance case: a setup, one or more calls, and what each call must produce.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable unique id, e.g. `channels.invite/joined-room/moderator-not-admin`.
    pub id: CaseId,
    /// One line saying what the case shows.
    pub title: String,
    /// The endpoint under test.
    pub endpoint: Endpoint,
    /// The premise or failure kind of the premise model this case exercises.
    pub premise: PremiseName,
    /// The citation: a doc page and passage, or a reference fact.
    pub source: String,
    /// Where the docs and the real server disagree: what the docs say and which the case follows.
    pub divergence: Option<String>,
    /// Server versions the case applies to (narrowed to the releases that have the features
    /// it requires).
    pub versions: VersionRange,
    /// The features of the premise model the case needs: those it states under `requires`
    /// and those its setup implies (bans, teams, discussions, omnichannel rooms).
    pub requires: Vec<String>,
    /// The fixtures the case needs.
    pub setup: Setup,
    /// The calls, made in order.
    pub calls: Vec<Call>,
    /// Where the case starts in its file.
    pub origin: Origin,
}

impl Case {
    /// Whether `user` needs a session of its own: it calls with its token, or creates a room.
    pub fn needs_session(&self, user: &UserRef) -> bool {
        let acts = self
            .calls
            .iter()
            .any(|c| matches!(&c.auth, Auth::As(u) | Auth::TokenOnly(u) if u == user));
        acts || self
            .setup
            .rooms
            .values()
            .any(|r| &r.creator == user || r.removals.left.contains(user))
    }
}

/// A half-open range of server versions, `since <= v < until`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VersionRange {
    /// First version included.
    pub since: Option<Version>,
    /// First version excluded.
    pub until: Option<Version>,
}

impl VersionRange {
    /// Whether `version` lies in the range.
    pub fn contains(&self, version: &Version) -> bool {
        self.since.as_ref().is_none_or(|s| version >= s)
            && self.until.as_ref().is_none_or(|u| version < u)
    }

    /// Whether the range is unbounded on both sides.
    pub fn is_any(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }
}

/// A server version, compared numerically part by part (`8.10.0 > 8.9.1`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Version(pub Vec<u64>);

impl Version {
    /// Parses `major[.minor[.patch]]`, ignoring a pre-release or build suffix.
    pub fn parse(text: &str) -> Option<Version> {
        let core = text.trim().split(['-', '+']).next()?;
        let parts: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
        let mut parts = parts?;
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        parts.resize(3, 0);
        Some(Version(parts))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// The fixtures of a case.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Users by logical name.
    pub users: IndexMap<String, UserFixture>,
    /// Permission grants for the case: permission id → the complete role list it gets.
    pub permissions: IndexMap<String, Vec<String>>,
    /// Rooms by logical name.
    pub rooms: IndexMap<String, RoomFixture>,
}

/// A user the case creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFixture {
    /// Global roles (default `[user]`).
    pub roles: Vec<String>,
    /// Whether the user is active; an inactive user is deactivated after it has logged in.
    pub active: bool,
}

/// A user as a case names it: a fixture, or one the target already has.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum UserRef {
    /// The run's admin account (`admin`).
    Admin,
    /// The built-in bot `rocket.cat` (`bot`).
    Bot,
    /// A user of the case's setup.
    Fixture(String),
}

impl UserRef {
    /// The logical name as written in case files.
    pub fn name(&self) -> &str {
        match self {
            UserRef::Admin => "admin",
            UserRef::Bot => "bot",
            UserRef::Fixture(n) => n,
        }
    }
}

/// A room as a case names it: a fixture, or the server's default channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RoomRef {
    /// The default channel `GENERAL` (`general`).
    General,
    /// A room of the case's setup.
    Fixture(String),
}

impl RoomRef {
    /// The logical name as written in case files.
    pub fn name(&self) -> &str {
        match self {
            RoomRef::General => "general",
            RoomRef::Fixture(n) => n,
        }
    }
}

/// A room the case creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomFixture {
    /// Public channel, private group or direct room.
    pub room_type: RoomType,
    /// Who creates it (and so owns it); default the admin.
    pub creator: UserRef,
    /// Members besides the creator.
    pub members: Vec<UserRef>,
    /// Members holding the room-scoped `owner` role (the creator always does).
    pub owners: Vec<UserRef>,
    /// Members holding the room-scoped `moderator` role.
    pub moderators: Vec<UserRef>,
    /// Members holding the room-scoped `leader` role.
    pub leaders: Vec<UserRef>,
    /// Archived after provisioning.
    pub archived: bool,
    /// Read-only.
    pub read_only: bool,
    /// A plain room, a team's main room, a discussion or an omnichannel room.
    pub kind: RoomKind,
    /// Members removed again before the call (banned, unbanned, kicked, left).
    pub removals: Removals,
}

impl RoomFixture {
    /// A plain room of `room_type` the admin creates, with no other members, roles, removals
    /// or state.
    pub fn new(room_type: RoomType) -> RoomFixture {
        RoomFixture {
            room_type,
            creator: UserRef::Admin,
            members: Vec::new(),
            owners: Vec::new(),
            moderators: Vec::new(),
            leaders: Vec::new(),
            archived: false,
            read_only: false,
            kind: RoomKind::default(),
            removals: Removals::default(),
        }
    }

    /// Every member: the creator first, then the listed members, without repeats.
    pub fn all_members(&self) -> Vec<UserRef> {
        let mut all = vec![self.creator.clone()];
        for m in &self.members {
            if !all.contains(m) {
                all.push(m.clone());
            }
        }
        all
    }

    /// The members once the setup is done: [`RoomFixture::all_members`] without the removed
    /// (nobody in an omnichannel room, which a visitor opens without subscriptions).
    pub fn members_after_setup(&self) -> Vec<UserRef> {
        if self.kind == RoomKind::Omnichannel {
            return Vec::new();
        }
        self.all_members()
            .into_iter()
            .filter(|m| !self.removals.removes(m))
            .collect()
    }

    /// The room-scoped roles `user` holds in this room.
    pub fn room_roles_of(&self, user: &UserRef) -> Vec<&'static str> {
        let mut roles = Vec::new();
        if &self.creator == user || self.owners.contains(user) {
            roles.push("owner");
        }
        if self.moderators.contains(user) {
            roles.push("moderator");
        }
        if self.leaders.contains(user) {
            roles.push("leader");
        }
        roles
    }
}

/// One request of a case and what it must produce.
#[derive(Debug, Clone)]
pub struct Call {
    /// Who calls, and how they authenticate.
    pub auth: Auth,
    /// The request body.
    pub body: Body,
    /// More bodies sent by the same actor at the same moment as `body` (`concurrent:`); the
    /// expectation's answer parts hold for every answer, its effects for all of them together.
    pub together: Vec<Body>,
    /// The outcome on servers the alternatives do not cover.
    pub expect: Expectation,
    /// Other acceptable outcomes, each for its server versions.
    pub alternatives: Vec<Alternative>,
    /// Where the call is written.
    pub origin: Origin,
}

/// How a call authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Both headers of the user's own session.
    As(UserRef),
    /// No auth headers at all.
    None,
    /// Only `X-User-Id` of the user.
    UserIdOnly(UserRef),
    /// Only `X-Auth-Token` of the user.
    TokenOnly(UserRef),
    /// The user's id with a token that was never issued.
    WrongToken(UserRef),
}

impl Auth {
    /// The user whose identity the call uses, if any.
    pub fn user(&self) -> Option<&UserRef> {
        match self {
            Auth::None => None,
            Auth::As(u) | Auth::UserIdOnly(u) | Auth::TokenOnly(u) | Auth::WrongToken(u) => Some(u),
        }
    }
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// JSON built from a template whose `$name` strings are references.
    Json(Template),
    /// Bytes sent as they are, for malformed-request cases.
    Raw {
        /// The text sent.
        text: String,
        /// The `Content-Type` header; none is sent when absent.
        content_type: Option<String>,
    },
}

/// A JSON value in which strings of the form `$name[.field]` are references to fixtures.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A JSON value without references.
    Literal(serde_json::Value),
    /// A reference, replaced by the fixture's id, username or name.
    Ref(Reference),
    /// An array that holds at least one reference.
    Array(Vec<Template>),
    /// An object that holds at least one reference.
    Object(IndexMap<String, Template>),
}

/// A reference in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// A user's `_id` (`$mod`, `$mod.id`) or `username` (`$mod.username`).
    User(UserRef, UserField),
    /// A room's `_id` (`$town`, `$town.id`) or `name` (`$town.name`).
    Room(RoomRef, RoomField),
}

/// Which field of a user a reference yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    /// `_id`
    Id,
    /// `username`
    Username,
}

/// Which field of a room a reference yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomField {
    /// `_id`
    Id,
    /// `name`
    Name,
}

/// What a response must be.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expectation {
    /// HTTP status.
    pub status: u16,
    /// The body's `success`.
    pub success: Option<bool>,
    /// The body's `errorType`.
    pub error_type: Option<String>,
    /// The body's `error`, compared exactly.
    pub error: Option<String>,
    /// Top-level body keys that must be absent (e.g. `errorType` on the TypeError path).
    pub absent: Vec<String>,
    /// Other body fields: JSON pointer → exact value.
    pub fields: IndexMap<String, serde_json::Value>,
    /// The schema id the body must satisfy.
    pub schema: Option<String>,
    /// Membership of rooms after the call.
    pub members_after: IndexMap<RoomRef, MembershipExpectation>,
    /// How `usersCount` and `msgs` of rooms changed across the call.
    pub room_delta: IndexMap<RoomRef, RoomDelta>,
    /// The system messages the call recorded in rooms (in any order; none for an empty list).
    pub messages_after: IndexMap<RoomRef, Vec<MessageExpectation>>,
    /// The room whose object the 200 answer carries: its `_id`, `name`, `t`, `msgs` and
    /// `usersCount` (and `prid`, `teamId`, `teamMain` where the room has them) must be what
    /// a read of the room after the call shows.
    pub answer_room: Option<RoomRef>,
}

impl Expectation {
    /// Every room the expectation reads after the call.
    pub fn rooms(&self) -> impl Iterator<Item = &RoomRef> {
        self.members_after
            .keys()
            .chain(self.room_delta.keys())
            .chain(self.messages_after.keys())
            .chain(self.answer_room.iter())
    }

    /// The rooms whose counters (and room object) the expectation needs before and after the
    /// call: counter changes, messages (their number is the change of `msgs`) and the answer's
    /// room.
    pub fn counted_rooms(&self) -> Vec<&RoomRef> {
        let mut rooms: Vec<&RoomRef> = Vec::new();
        let all = self
            .room_delta
            .keys()
            .chain(self.messages_after.keys())
            .chain(self.answer_room.iter());
        for room in all {
            if !rooms.contains(&room) {
                rooms.push(room);
            }
        }
        rooms
    }
}

/// Who must and must not be a member of a room.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MembershipExpectation {
    /// Users that must be members.
    pub includes: Vec<UserRef>,
    /// Users that must not be members.
    pub excludes: Vec<UserRef>,
}

/// Change of a room's counters across a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomDelta {
    /// Change of `usersCount`.
    pub users_count: Option<i64>,
    /// Change of `msgs`.
    pub msgs: Option<i64>,
}

/// Another acceptable outcome, for some server versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    /// The versions it applies to.
    pub versions: VersionRange,
    /// Why: the citation for this outcome.
    pub source: String,
    /// The outcome.
    pub expect: Expectation,
}

impl Call {
    /// Every body the call sends: `body`, then the ones sent together with it.
    pub fn bodies(&self) -> impl Iterator<Item = &Body> {
        std::iter::once(&self.body).chain(&self.together)
    }

    /// The expectation that applies to a server of `version` (the first alternative whose
    /// range contains it, else the default).
    pub fn expectation_for(&self, version: Option<&Version>) -> &Expectation {
        version
            .and_then(|v| self.alternatives.iter().find(|a| a.versions.contains(v)))
            .map_or(&self.expect, |a| &a.expect)
    }
}

//! Resolving a room fixture: its creator, members and room roles, its kind (a team's main
//! room, a discussion of an earlier room, an omnichannel room) and the members the setup
//! removes again (banned, unbanned, kicked, left), each checked for what a runner can
//! provision.

use indexmap::IndexMap;
use serde_saphyr::Location;

use super::kinds::{Removals, RoomKind};
use super::model::{Origin, RoomFixture, RoomRef, Setup, UserFixture, UserRef, VersionRange};
use super::raw::{RawRoom, Spanned};
use super::resolve::Resolver;
use crate::api::RoomType;

impl Resolver<'_> {
    /// The features the case needs (those `requires` states, then those its setup implies,
    /// each once) and its version range narrowed to the releases that have them all.
    pub(super) fn requirements(
        &mut self,
        f: &str,
        origin: &Origin,
        stated: Vec<Spanned<String>>,
        setup: &Setup,
        mut versions: VersionRange,
    ) -> (Vec<String>, VersionRange) {
        let mut requires: Vec<String> = Vec::new();
        for (i, name) in stated.into_iter().enumerate() {
            let known = &self.known.features;
            if !known.is_empty() && !known.contains_key(&name.value) {
                let names: Vec<&str> = known.keys().map(String::as_str).collect();
                self.report_at(
                    &name.referenced,
                    format!("{f}.requires[{i}]"),
                    format!(
                        "unknown feature `{}`: expected one of {}",
                        name.value,
                        names.join(", ")
                    ),
                );
            } else if !requires.contains(&name.value) {
                requires.push(name.value);
            }
        }
        let implied = setup
            .rooms
            .values()
            .flat_map(|r| [r.kind.feature(), r.removals.feature()])
            .flatten();
        for feature in implied {
            if !requires.iter().any(|r| r == feature) {
                requires.push(feature.to_owned());
            }
        }
        let gates = requires
            .iter()
            .filter_map(|r| self.known.features.get(r).cloned().flatten());
        for since in gates {
            if versions.since.as_ref().is_none_or(|s| *s < since) {
                versions.since = Some(since);
            }
        }
        if let (Some(since), Some(until)) = (&versions.since, &versions.until)
            && until <= since
        {
            self.report(
                origin,
                format!("{f}.until"),
                format!(
                    "the case needs {} (from {since} on) but applies only below {until}",
                    requires.join(", ")
                ),
            );
        }
        (requires, versions)
    }

    /// Resolves room `field`; `earlier` are the rooms declared before it (name and type), the
    /// only ones it may be a discussion of.
    pub(super) fn room(
        &mut self,
        field: &str,
        users: &IndexMap<String, UserFixture>,
        earlier: &[(String, RoomType)],
        raw: Spanned<RawRoom>,
    ) -> Option<RoomFixture> {
        let at = raw.referenced;
        let raw = raw.value;
        let before = self.diagnostics.len();
        if raw.room_type == RoomType::Omnichannel {
            return self.omnichannel_room(field, &at, &raw);
        }
        let creator = match &raw.creator {
            Some(c) => self.user_ref(users, format!("{field}.creator"), c),
            None => Some(UserRef::Admin),
        };
        let members = self.user_refs(users, &format!("{field}.members"), &raw.members);
        let owners = self.user_refs(users, &format!("{field}.owners"), &raw.owners);
        let moderators = self.user_refs(users, &format!("{field}.moderators"), &raw.moderators);
        let leaders = self.user_refs(users, &format!("{field}.leaders"), &raw.leaders);
        let kind = self.room_kind(field, &at, &raw, earlier);
        let removals = Removals {
            banned: self.user_refs(users, &format!("{field}.banned"), &raw.banned),
            unbanned: self.user_refs(users, &format!("{field}.unbanned"), &raw.unbanned),
            kicked: self.user_refs(users, &format!("{field}.kicked"), &raw.kicked),
            left: self.user_refs(users, &format!("{field}.left"), &raw.left),
        };
        let fixture = RoomFixture {
            room_type: raw.room_type,
            creator: creator?,
            members,
            owners,
            moderators,
            leaders,
            archived: raw.archived,
            read_only: raw.read_only,
            kind: kind?,
            removals,
        };
        self.check_roles_of_members(field, &fixture, &raw);
        self.check_removals(field, &fixture, &raw);
        if fixture.room_type == RoomType::Direct {
            let roles = fixture.owners.len() + fixture.moderators.len() + fixture.leaders.len();
            let all = fixture.all_members();
            if all.len() != 2
                || roles > 0
                || fixture.archived
                || fixture.read_only
                || !fixture.removals.is_empty()
            {
                self.report_at(
                    &at,
                    field.to_owned(),
                    "a direct room (type d) has exactly one member besides its creator and no room roles, archive, read-only state or removals".into(),
                );
            }
        }
        (self.diagnostics.len() == before).then_some(fixture)
    }

    /// An omnichannel room: opened by a livechat visitor, so nothing else is set up in it.
    fn omnichannel_room(
        &mut self,
        field: &str,
        at: &Location,
        raw: &RawRoom,
    ) -> Option<RoomFixture> {
        let lists = [
            &raw.members,
            &raw.owners,
            &raw.moderators,
            &raw.leaders,
            &raw.banned,
            &raw.unbanned,
            &raw.kicked,
            &raw.left,
        ];
        let anything = raw.creator.is_some()
            || lists.iter().any(|l| !l.is_empty())
            || raw.archived
            || raw.read_only
            || raw.team
            || raw.parent.is_some();
        if anything {
            self.report_at(
                at,
                field.to_owned(),
                "an omnichannel room (type l) is opened by a livechat visitor: it takes no creator, members, room roles, removals, archive, read-only state, team or parent".into(),
            );
            return None;
        }
        Some(RoomFixture {
            kind: RoomKind::Omnichannel,
            ..RoomFixture::new(RoomType::Omnichannel)
        })
    }

    /// `team: true` or `parent: <room>`, each checked against the room's type.
    fn room_kind(
        &mut self,
        field: &str,
        at: &Location,
        raw: &RawRoom,
        earlier: &[(String, RoomType)],
    ) -> Option<RoomKind> {
        let plain_type = matches!(raw.room_type, RoomType::Public | RoomType::Private);
        match (raw.team, &raw.parent) {
            (false, None) => Some(RoomKind::Plain),
            (true, Some(_)) => {
                self.report_at(
                    at,
                    field.to_owned(),
                    "a room is a team's main room (`team: true`) or a discussion (`parent`), not both".into(),
                );
                None
            }
            (true, None) if plain_type => Some(RoomKind::TeamMain),
            (true, None) => {
                self.report_at(
                    at,
                    format!("{field}.team"),
                    "a team's main room is a channel (type c) or a group (type p)".into(),
                );
                None
            }
            (false, Some(parent)) => self.discussion_of(field, raw.room_type, parent, earlier),
        }
    }

    /// A discussion of `parent`: a channel or group of the setup declared earlier, of the
    /// discussion's own type (`createDiscussion` gives the discussion its parent's type).
    fn discussion_of(
        &mut self,
        field: &str,
        room_type: RoomType,
        parent: &Spanned<String>,
        earlier: &[(String, RoomType)],
    ) -> Option<RoomKind> {
        let at = &parent.referenced;
        let field = format!("{field}.parent");
        let Some((name, parent_type)) = earlier.iter().find(|(n, _)| *n == parent.value) else {
            let names: Vec<&str> = earlier.iter().map(|(n, _)| n.as_str()).collect();
            self.report_at(
                at,
                field,
                format!(
                    "`{}` is not a room declared before this one: a discussion's parent is created first (expected one of: {})",
                    parent.value,
                    names.join(", ")
                ),
            );
            return None;
        };
        if !matches!(parent_type, RoomType::Public | RoomType::Private) || *parent_type != room_type
        {
            self.report_at(
                at,
                field,
                format!(
                    "a discussion has its parent's type: `{name}` is of type {parent_type}, this room of type {room_type} (both must be c, or both p)"
                ),
            );
            return None;
        }
        Some(RoomKind::Discussion {
            parent: RoomRef::Fixture(name.clone()),
        })
    }

    /// Room roles go to members only.
    fn check_roles_of_members(&mut self, field: &str, fixture: &RoomFixture, raw: &RawRoom) {
        let all = fixture.all_members();
        for (role, list, raw_list) in [
            ("owners", &fixture.owners, &raw.owners),
            ("moderators", &fixture.moderators, &raw.moderators),
            ("leaders", &fixture.leaders, &raw.leaders),
        ] {
            for (i, user) in list.iter().enumerate() {
                if !all.contains(user) {
                    self.report_at(
                        &raw_list[i].referenced,
                        format!("{field}.{role}[{i}]"),
                        format!(
                            "`{}` holds a room role but is not a member: add it to `members`",
                            user.name()
                        ),
                    );
                }
            }
        }
    }

    /// Each removed user joined at creation (is listed in `members`, is not the creator) and
    /// is removed once.
    fn check_removals(&mut self, field: &str, fixture: &RoomFixture, raw: &RawRoom) {
        let raw_lists = [&raw.banned, &raw.unbanned, &raw.kicked, &raw.left];
        let mut seen: Vec<&UserRef> = Vec::new();
        for ((name, list), raw_list) in fixture.removals.lists().into_iter().zip(raw_lists) {
            for (i, user) in list.iter().enumerate() {
                let at = &raw_list[i].referenced;
                let place = format!("{field}.{name}[{i}]");
                let message = if *user == fixture.creator {
                    Some(format!(
                        "`{}` creates the room and owns it: the creator cannot be removed",
                        user.name()
                    ))
                } else if !fixture.members.contains(user) {
                    Some(format!(
                        "`{}` must join the room before it is removed: add it to `members`",
                        user.name()
                    ))
                } else if seen.contains(&user) {
                    Some(format!(
                        "`{}` is removed twice: list it under one of banned, unbanned, kicked, left",
                        user.name()
                    ))
                } else {
                    None
                };
                if let Some(message) = message {
                    self.report_at(at, place, message);
                }
                seen.push(user);
            }
        }
    }
}

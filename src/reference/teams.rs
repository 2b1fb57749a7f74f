//! Teams: `POST teams.create`, `POST teams.delete` and `GET teams.members` (teams exist since
//! Rocket.Chat 3.13, so every emulated line serves them).
//!
//! Owns `TeamService.create` (TeamService, `apps/meteor/server/services/team/service.ts`: the name free as a team and as a
//! room, the team, then its main room created by `Room.create` as a channel for `type: 0` or a
//! group for `type: 1`, `teamMain: true` and `teamId` set, the creator its owner, the active
//! `members` (ids or usernames) joined; `createRoom` records no system message for the new
//! main room, so `msgs` starts at 0), the team deletion (`delete-team` in the main room's
//! scope; the main room is erased) and the member listing (empty for a caller who is neither a
//! member nor holds `view-all-teams`). What joining a team's main room does is in `invite.rs`
//! and `membership.rs`. It must not grant room roles beyond the creator's ownership.

use serde_json::{Value, json};

use super::envelope::{ApiError, Reply, success};
use super::gate::{Caller, require_any_permission};
use super::ids;
use super::model::{Room, RoomKind, UserRef};
use super::paging::Page;
use super::records::{Author, Team, TeamMember};
use super::request::{Call, Params, nonblank, text};
use super::rooms::valid_room_name;
use super::store::Store;

/// `type`: 0 (public) or 1 (private), as `Match.OneOf(TEAM_TYPE.PRIVATE, TEAM_TYPE.PUBLIC)`.
fn team_type(params: &Params) -> Result<u8, ApiError> {
    match params.get("type").and_then(Value::as_u64) {
        Some(0) => Ok(0),
        Some(1) => Ok(1),
        _ => Err(ApiError::type_error(
            "Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation in field type",
        )),
    }
}

/// The active users named by `members` (ids or usernames), in store order.
fn member_ids(store: &Store, params: &Params) -> Vec<String> {
    let Some(Value::Array(wanted)) = params.get("members") else {
        return Vec::new();
    };
    let wanted: Vec<&str> = wanted.iter().filter_map(Value::as_str).collect();
    store
        .users()
        .filter(|user| user.active)
        .filter(|user| {
            wanted.contains(&user.id.as_str()) || wanted.contains(&user.username.as_str())
        })
        .map(|user| user.id.clone())
        .collect()
}

/// POST /api/v1/teams.create `{name, type, members?}` (`permissionsRequired: create-team`).
pub(crate) async fn create(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        require_any_permission(store, &caller, &["create-team"], app.rules.envelope)?;
        let Some(name) = text(&params, "name").map(str::to_owned) else {
            return Err(ApiError::type_error("Match error: Missing key 'name'"));
        };
        let kind = team_type(&params)?;
        if store.team_by_name(&name).is_some() {
            return Err(ApiError::thrown_error("team-name-already-exists"));
        }
        if store.room_by_name(&name).is_some() {
            return Err(ApiError::thrown_error("room-name-already-exists"));
        }
        let name = valid_room_name(store, &name)?;
        let team = create_team(store, &caller, &name, kind, &member_ids(store, &params))?;
        success(json!({"team": team.to_json()}))
    })
}

/// The team and its main room, the creator as owner of both, the members joined.
fn create_team(
    store: &mut Store,
    caller: &Caller,
    name: &str,
    kind: u8,
    members: &[String],
) -> Result<Team, ApiError> {
    let creator = store
        .author(&caller.id)
        .ok_or_else(|| ApiError::thrown_error("invalid-user"))?;
    let now = store.now();
    let team_id = ids::document_id();
    let mut room = Room::new(
        ids::document_id(),
        if kind == 1 {
            RoomKind::Group
        } else {
            RoomKind::Channel
        },
        now,
    );
    room.name = Some(name.to_owned());
    room.fname = Some(name.to_owned());
    room.creator = Some(UserRef {
        id: creator.id.clone(),
        username: creator.username.clone(),
        name: creator.name.clone().unwrap_or_default(),
    });
    room.links.team_id = Some(team_id.clone());
    room.links.team_main = true;
    let room_id = room.id.clone();
    store.insert_room(room);
    store.join(&room_id, &creator.id, vec!["owner".to_owned()]);
    let mut team_members = vec![team_member(
        &creator,
        &creator.id,
        vec!["owner".to_owned()],
        now,
    )];
    for member in members.iter().filter(|id| **id != creator.id) {
        store.join(&room_id, member, Vec::new());
        team_members.push(team_member(&creator, member, Vec::new(), now));
    }
    let team = Team {
        id: team_id,
        name: name.to_owned(),
        kind,
        room_id,
        created_by: creator.brief(),
        created_at: now,
        members: team_members,
    };
    store.insert_team(team.clone());
    Ok(team)
}

fn team_member(
    by: &Author,
    user_id: &str,
    roles: Vec<String>,
    now: super::clock::Moment,
) -> TeamMember {
    TeamMember {
        user_id: user_id.to_owned(),
        roles,
        created_by: by.brief(),
        created_at: now,
    }
}

/// The team a body or query names by `teamId` or `teamName`.
fn named_team(store: &Store, params: &Params) -> Result<Team, ApiError> {
    let team = if let Some(id) = nonblank(params, "teamId") {
        store.team(id)
    } else if let Some(name) = nonblank(params, "teamName") {
        store.team_by_name(name)
    } else {
        return Err(ApiError::failure(
            "Provide either the \"teamId\" or \"teamName\"",
        ));
    };
    team.cloned()
        .ok_or_else(|| ApiError::failure("team-does-not-exist"))
}

/// POST /api/v1/teams.delete `{teamId|teamName}`: `delete-team` in the main room's scope, then
/// the main room is erased and the team removed.
pub(crate) async fn delete(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let team = named_team(store, &params)?;
        if !store.has_permission(&caller.id, "delete-team", Some(&team.room_id)) {
            return Err(ApiError::forbidden(app.rules.envelope));
        }
        store.remove_room(&team.room_id);
        store.remove_team(&team.id);
        success(json!({}))
    })
}

/// GET /api/v1/teams.members `?teamId=|teamName=&offset=&count=`
pub(crate) async fn members(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let page = Page::read(|key| text(&params, key));
    app.with_store(|store| {
        let team = named_team(store, &params)?;
        listing(store, &caller, &team, page)
    })
}

/// `TeamService.members`: nothing for a caller outside the team without `view-all-teams`.
fn listing(store: &Store, caller: &Caller, team: &Team, page: Page) -> Reply {
    let sees_all = store.has_permission(&caller.id, "view-all-teams", None);
    if !team.has_member(&caller.id) && !sees_all {
        return page.answer("members", Vec::new());
    }
    let entries = team
        .members
        .iter()
        .filter_map(|member| {
            let user = store.user(&member.user_id)?;
            let public = json!({"_id": user.id, "username": user.username, "name": user.name,
                                "status": if user.bot { "online" } else { "offline" }});
            Some(member.to_json(public))
        })
        .collect();
    page.answer("members", entries)
}

//! POST channels.invite and POST groups.invite: the decision procedures of Rocket.Chat's legacy
//! routes (`apps/meteor/server/api/v1/channels.ts` @04f79fdd, `apps/meteor/app/api/server/v1/groups.ts`
//! @acf7dd00) and the side effects of `addUserToRoom`, step by step.
//!
//! Owns the order of checks (room → archive → invitees → empty list → permission → adds), the
//! three permission premises of `addUsersToRoom`, the ban refusal, what adding a user writes
//! (subscription, `usersCount`, the `au` / `added-user-to-team` message, team membership), and
//! the success body. Every invite-related deviation is checked here, at its step. It must not
//! parse HTTP beyond the typed 9.0 body check, and must not know how other routes find rooms.
//!
//! `unbanBeforeAdd` is read by no REST route: the legacy channels and groups routes pass
//! `addUsersToRoomMethod` only `{rid, users}` (channels.ts and groups.ts @575c1631), and that
//! method never reads the flag (addUsersToRoom.ts @09893e6d), so a banned invitee is refused
//! with or without it. The typed 9.x groups body admits it (`isGroupsInviteProps`, see
//! `schema.rs`); that the typed route also ignores it is an emulation choice, not established.
//! The typed 9.x channels body is closed without it (`error-invalid-params`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::envelope::{ApiError, Reply, success};
use super::family::Family;
use super::gate::Caller;
use super::lookup;
use super::model::{Room, RoomKind};
use super::records::{Author, Draft, TeamMember};
use super::request::{Params, Payload, truthy};
use super::store::Store;
use super::{App, Deviation, Rules, incidental, invitees, schema};

/// How long the `concurrent-invites-duplicate` race window stays open between the membership
/// check and the insert: long enough for a concurrent invite of the same user to pass its own
/// check in between, even on a loaded machine (the mutation run starts a server per
/// deviation at once; at 50 ms a second invite sent at the same moment sometimes came late).
const RACE_WINDOW: Duration = Duration::from_millis(250);

/// POST /api/v1/channels.invite, /api/v1/groups.invite
pub(crate) async fn invite(
    family: Family,
    State(app): State<Arc<App>>,
    caller: Caller,
    payload: Payload,
) -> Reply {
    if let Some(refusal) = incidental::refusal(&app.rules, &payload) {
        return Err(refusal);
    }
    let (envelope, params) = (app.rules.envelope, payload.params);
    let params = match family {
        _ if !app.rules.closed_invite_bodies => params,
        Family::Channels => schema::channels_invite_body(envelope, params)?,
        Family::Groups => schema::groups_invite_body(envelope, params)?,
    };
    let rules = &app.rules;
    let plan = |store: &mut Store| match family {
        Family::Channels => invite_to_channel(store, rules, &caller, &params),
        Family::Groups => invite_to_group(store, rules, &caller, &params),
    };
    if rules.breaks(Deviation::ConcurrentInvitesDuplicate) {
        // The membership checks and the inserts in two critical sections, as the awaits of
        // Rocket.Chat's `Promise.all` leave them: a concurrent invite may slip in between.
        let plan = app.with_store(plan)?;
        tokio::time::sleep(RACE_WINDOW).await;
        return app.with_store(|store| carry_out(store, rules, &plan));
    }
    app.with_store(|store| {
        let plan = plan(store)?;
        carry_out(store, rules, &plan)
    })
}

/// What an invite that passed its checks is to do: the users to add, and the error a failing
/// invitee raised (answered after the others were added, as `Promise.all` rejects while the
/// other adds run on).
#[derive(Debug)]
struct Plan {
    family: Family,
    room: Room,
    inviter: Author,
    adds: Vec<String>,
    failure: Option<ApiError>,
}

/// Adds the planned users, then answers: the first invitee error, else the room re-read.
fn carry_out(store: &mut Store, rules: &Rules, plan: &Plan) -> Reply {
    for invitee in &plan.adds {
        add_user_to_room(store, rules, &plan.room, invitee, &plan.inviter);
    }
    if let Some(failure) = &plan.failure {
        return Err(failure.clone());
    }
    respond(store, rules, plan.family, &plan.room.id)
}

/// channels.invite (`channels.ts` @04f79fdd).
fn invite_to_channel(
    store: &mut Store,
    rules: &Rules,
    caller: &Caller,
    params: &Params,
) -> Result<Plan, ApiError> {
    // Step A — find the channel (roomId key wins; `c` or `l`), then the archive check.
    let room = find_channel_to_invite(store, rules, params)?;
    if rules.breaks(Deviation::PermissionBeforeInvitees) {
        ensure_caller_may_add_users(store, rules, &caller.id, &room)?;
    }
    // Step C — resolve invitees (unknown ones silently dropped).
    let invitees = invitees::resolve(store, rules, params)?;
    // Step D — nothing resolved: the route passes code and message the wrong way round.
    if invitees.is_empty() {
        if rules.breaks(Deviation::UnswappedEmptyList) {
            return Err(empty_invite_list());
        }
        return Err(ApiError::failure_typed(
            "invalid-user-invite-list",
            "Cannot invite if no users are provided",
        ));
    }
    // Steps E/F — addUsersToRoom; Step G (the room re-read) comes after the adds.
    add_users_to_room(store, rules, &caller.id, Family::Channels, room, &invitees)
}

/// groups.invite (`groups.ts` @acf7dd00).
fn invite_to_group(
    store: &mut Store,
    rules: &Rules,
    caller: &Caller,
    params: &Params,
) -> Result<Plan, ApiError> {
    // Step A — idOrName = roomId || roomName, refused when blank.
    let id_or_name = group_id_or_name(params)?;
    // Step B — `_id` or `name` on either key; only `p`. No access check, no archive check.
    let room = store
        .room_by_id_or_name(&id_or_name)
        .filter(|room| room.kind == RoomKind::Group)
        .cloned()
        .ok_or_else(lookup::group_not_found)?;
    if rules.breaks(Deviation::GroupsArchivedRejected) && room.archived {
        return Err(lookup::group_archived(&room));
    }
    if rules.breaks(Deviation::PermissionBeforeInvitees) {
        ensure_caller_may_add_users(store, rules, &caller.id, &room)?;
    }
    // Step C — resolve invitees.
    let invitees = invitees::resolve(store, rules, params)?;
    // Step D — nothing resolved (proper code and message here).
    if invitees.is_empty() {
        return Err(empty_invite_list());
    }
    // Steps E/F — addUsersToRoom; Step G (the room re-read) comes after the adds.
    add_users_to_room(store, rules, &caller.id, Family::Groups, room, &invitees)
}

/// channels.invite Step A with its deviations.
fn find_channel_to_invite(store: &Store, rules: &Rules, params: &Params) -> Result<Room, ApiError> {
    let names_no_room = !params.contains_key("roomId") && !params.contains_key("roomName");
    if names_no_room && rules.breaks(Deviation::RoomParamErrorOnChannels) {
        return Err(lookup::room_param_missing());
    }
    let accepts = |room: &&Room| match room.kind {
        RoomKind::Channel | RoomKind::Livechat => true,
        RoomKind::Direct => rules.breaks(Deviation::DirectRoomAccepted),
        RoomKind::Group => false,
    };
    let room = lookup::room_by_id_key_first(store, params)
        .filter(accepts)
        .cloned()
        .ok_or_else(lookup::channel_not_found)?;
    if room.archived && !rules.breaks(Deviation::ArchivedChannelAccepted) {
        return Err(lookup::channel_archived(&room));
    }
    Ok(room)
}

/// groups.invite Step A: `idOrName?.trim()` must be a non-blank string.
fn group_id_or_name(params: &Params) -> Result<String, ApiError> {
    let key_or_empty = |key: &str| params.get(key).cloned().unwrap_or_else(|| json!(""));
    let room_id = key_or_empty("roomId");
    let id_or_name = if truthy(Some(&room_id)) {
        room_id
    } else {
        key_or_empty("roomName")
    };
    match id_or_name {
        Value::String(text) if !text.trim().is_empty() => Ok(text),
        Value::String(_) | Value::Null => Err(lookup::room_param_missing()),
        // A number, boolean, array or object has no `.trim`: a TypeError, no errorType.
        _ => Err(ApiError::type_error("idOrName?.trim is not a function")),
    }
}

/// `Cannot invite if no valid users are provided [error-empty-invite-list]`.
fn empty_invite_list() -> ApiError {
    ApiError::meteor(
        "error-empty-invite-list",
        "Cannot invite if no valid users are provided",
    )
}

/// `addUsersToRoomMethod` (server/meteor-methods/rooms/addUsersToRoom.ts @09893e6d): the
/// permission, then each invitee: a banned one fails the call (`error-user-is-banned`, from
/// the 2026 ban feature on), an existing member is a no-op, anyone else is added.
fn add_users_to_room(
    store: &Store,
    rules: &Rules,
    caller_id: &str,
    family: Family,
    room: Room,
    invitees: &[String],
) -> Result<Plan, ApiError> {
    // The method's own direct-room refusal (unreachable unless `direct-room-accepted`).
    if room.kind == RoomKind::Direct && !rules.breaks(Deviation::DirectRoomAccepted) {
        return Err(ApiError::meteor(
            "error-cant-invite-for-direct-room",
            "Can't invite user to direct rooms",
        )
        .with_details(json!({"method": "addUsersToRoom"})));
    }
    if !rules.breaks(Deviation::PermissionBeforeInvitees) {
        ensure_caller_may_add_users(store, rules, caller_id, &room)?;
    }
    if room.links.team_main && rules.breaks(Deviation::TeamMainRoomRefused) {
        return Err(ApiError::meteor("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "addUsersToRoom"})));
    }
    let inviter = store
        .author(caller_id)
        .ok_or_else(|| ApiError::meteor("error-invalid-user", "Invalid user"))?;
    let invitees = if rules.breaks(Deviation::BulkFirstOnly) {
        &invitees[..invitees.len().min(1)]
    } else {
        invitees
    };
    let mut plan = Plan {
        family,
        room,
        inviter,
        adds: Vec::new(),
        failure: None,
    };
    for invitee in invitees {
        match invitee_outcome(store, rules, &plan.room, invitee) {
            Ok(true) => plan.adds.push(invitee.clone()),
            Ok(false) => {}
            Err(failure) => {
                plan.failure.get_or_insert(failure);
            }
        }
    }
    Ok(plan)
}

/// One invitee of `addUsersToRoomMethod`: `Ok(true)` to add, `Ok(false)` for a no-op (an
/// existing member only gets an ephemeral "already in here" notice), or the ban refusal.
fn invitee_outcome(
    store: &Store,
    rules: &Rules,
    room: &Room,
    invitee: &str,
) -> Result<bool, ApiError> {
    let Some(subscription) = store.subscription(&room.id, invitee) else {
        // A server that soft-deletes subscriptions finds the old one of a departed user.
        let seen_before = rules.breaks(Deviation::KickedUserNotReinvitable)
            && store.has_departed(&room.id, invitee);
        return Ok(!seen_before);
    };
    if subscription.banned && rules.room_bans && !rules.breaks(Deviation::BannedUserAdded) {
        return Err(
            ApiError::meteor("error-user-is-banned", "User is banned from this room")
                .with_details(json!({"method": "addUsersToRoom"})),
        );
    }
    Ok(subscription.banned || rules.breaks(Deviation::DuplicateSubscription))
}

/// `addUserToRoom` (server/lib/rooms/addUserToRoom.ts @156540a3) and `createUserSubscription`:
/// a banned subscription is replaced; the subscription, `usersCount` + 1, the system message
/// (`au` by the inviter, `added-user-to-team` in a team's main room; `msgs` + 1) and, for a
/// team's main room, the team membership (`Team.addMember`). No `active`, read-only or
/// archive check.
fn add_user_to_room(store: &mut Store, rules: &Rules, room: &Room, user_id: &str, by: &Author) {
    if store
        .subscription(&room.id, user_id)
        .is_some_and(|sub| sub.banned)
    {
        store.unsubscribe(&room.id, user_id);
    }
    if !rules.breaks(Deviation::NoSubscription) {
        store.subscribe(&room.id, user_id, Vec::new());
    }
    if !rules.breaks(Deviation::UsersCountNotUpdated) {
        store.adjust_users_count(&room.id, 1);
    }
    let username = store
        .user(user_id)
        .map(|user| user.username.clone())
        .unwrap_or_default();
    let kind = if room.links.team_main {
        "added-user-to-team"
    } else {
        "au"
    };
    if !rules.breaks(Deviation::NoAddedUserMessage) {
        store.record_message(&room.id, Draft::system(kind, &username, by.brief()));
    }
    if let (true, Some(team_id)) = (room.links.team_main, &room.links.team_id) {
        let now = store.now();
        let member = TeamMember {
            user_id: user_id.to_owned(),
            roles: Vec::new(),
            created_by: by.brief(),
            created_at: now,
        };
        store.add_team_member(team_id, member);
    }
}

/// The permission step of `addUsersToRoom`, answered as `error-not-allowed`.
fn ensure_caller_may_add_users(
    store: &Store,
    rules: &Rules,
    caller_id: &str,
    room: &Room,
) -> Result<(), ApiError> {
    if caller_may_add_users(store, rules, caller_id, room) {
        return Ok(());
    }
    let code = if rules.breaks(Deviation::NotAllowedErrorType) {
        "error-action-not-allowed"
    } else {
        "error-not-allowed"
    };
    let refusal =
        ApiError::meteor(code, "Not allowed").with_details(json!({"method": "addUsersToRoom"}));
    if rules.breaks(Deviation::NotAllowedAs403) {
        return Err(refusal.with_status(StatusCode::FORBIDDEN));
    }
    Err(refusal)
}

/// The three premises; any one suffices:
/// (a) member AND `add-user-to-joined-room` in the room's scope (global + subscription roles);
/// (b) `t == c` AND global `add-user-to-any-c-room` (membership not required);
/// (c) `t == p` AND global `add-user-to-any-p-room` (membership not required).
fn caller_may_add_users(store: &Store, rules: &Rules, caller_id: &str, room: &Room) -> bool {
    // `Subscriptions.findOneByRoomIdAndUserId`: any subscription, a banned one included.
    let member = store.subscription(&room.id, caller_id).is_some();
    let joined_scope = if rules.breaks(Deviation::IgnoreRoomRoles) {
        None
    } else {
        Some(room.id.as_str())
    };
    let joined_room = (member || rules.breaks(Deviation::IgnoreMembershipForJoinedRoom))
        && store.has_permission(caller_id, "add-user-to-joined-room", joined_scope);
    let membership_for_any = member || !rules.breaks(Deviation::RequireMembershipForAnyGrant);
    let any_public = room.kind == RoomKind::Channel
        && !rules.breaks(Deviation::IgnoreAnyCGrant)
        && membership_for_any
        && store.has_permission(caller_id, "add-user-to-any-c-room", None);
    let any_private = room.kind == RoomKind::Group
        && !rules.breaks(Deviation::IgnoreAnyPGrant)
        && membership_for_any
        && store.has_permission(caller_id, "add-user-to-any-p-room", None);
    joined_room || any_public || any_private
}

/// `{channel|group: <room>, success: true}` with the room as it is now.
fn respond(store: &Store, rules: &Rules, family: Family, room_id: &str) -> Reply {
    let room = store.room(room_id).ok_or_else(|| family.not_found())?;
    let key = if rules.breaks(Deviation::WrongRoomKey) {
        "room"
    } else {
        family.spec().key
    };
    let mut body = Map::new();
    body.insert(
        key.to_owned(),
        room.to_json(rules.breaks(Deviation::MsgsAsString)),
    );
    success(Value::Object(body))
}

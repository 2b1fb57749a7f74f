//! Black-box tests of `POST /api/v1/channels.invite` on the reference server, against
//! Rocket.Chat's `apps/meteor/server/api/v1/channels.ts` @04f79fdd (the route),
//! `getUserFromParams.ts` @0781f57b (invitees), `addUsersToRoom.ts` @5b426ade (permission),
//! `addUserToRoom.ts` @575c1631 (side effects) and `packages/http-router/src/Router.ts`
//! @3a8f6b51 (malformed JSON). Behaviour shared with groups.invite lives in
//! `crate::reference_support::scenarios`; this file adds what is specific to channels.

use crate::reference_support::scenarios::{self, World, expect_invited};
use crate::reference_support::{
    Harness, RoomKind, assert_error_body, assert_not_allowed, assert_room_not_found, sorted,
};
use serde_json::json;

const KIND: RoomKind = RoomKind::Channel;

// ---- room lookup (findChannelByIdOrName) ----------------------------------------------------

#[tokio::test]
async fn empty_body_is_room_not_found_not_param_missing() {
    let w = World::new(KIND).await;
    let reply = w.admin_invite(&json!({})).await;
    assert_room_not_found(KIND, &reply);
}

#[tokio::test]
async fn empty_room_id_wins_over_a_valid_room_name() {
    let w = World::new(KIND).await;
    let alice = w.h.create_user("alice").await;
    for room_id in [json!(""), json!(null), json!(0)] {
        let reply = w
            .admin_invite(&json!({"roomId": room_id, "roomName": "town", "userId": alice.id}))
            .await;
        assert_room_not_found(KIND, &reply);
    }
    assert_eq!(w.members().await, sorted(&[w.admin()]));
}

#[tokio::test]
async fn room_id_holding_a_name_and_room_name_holding_an_id_are_not_found() {
    let w = World::new(KIND).await;
    let alice = w.h.create_user("alice").await;
    let reply = w
        .admin_invite(&json!({"roomId": "town", "userId": alice.id}))
        .await;
    assert_room_not_found(KIND, &reply);
    let reply = w
        .admin_invite(&json!({"roomName": w.room.id, "userId": alice.id}))
        .await;
    assert_room_not_found(KIND, &reply);
}

#[tokio::test]
async fn room_name_selects_the_channel_by_exact_case() {
    let w = World::new(KIND).await;
    let alice = w.h.create_user("alice").await;
    let reply = w
        .admin_invite(&json!({"roomName": "TOWN", "userId": alice.id}))
        .await;
    assert_room_not_found(KIND, &reply);
    let reply = w
        .admin_invite(&json!({"roomName": "town", "userId": alice.id}))
        .await;
    let room = expect_invited(KIND, &reply);
    assert_eq!(room["_id"], json!(w.room.id));
    assert_eq!(w.members().await, sorted(&[w.admin(), "alice"]));
}

#[tokio::test]
async fn private_group_dm_and_unknown_ids_are_room_not_found() {
    scenarios::other_room_kinds_and_unknown_rooms_are_not_found(KIND).await;
}

#[tokio::test]
async fn archived_channel_is_refused_before_users_and_permission_checks() {
    let w = World::new(KIND).await;
    let alice = w.h.create_user("alice").await;
    let (_, nils) = w.h.user_session("nils").await;
    let reply =
        w.h.api
            .post(
                Some(&w.h.admin),
                "/api/v1/channels.archive",
                &json!({"roomId": w.room.id}),
            )
            .await;
    reply.expect_status(200, "fixture: channels.archive");
    let archived = "The channel, town, is archived [error-room-archived]";

    let reply = w
        .admin_invite(&json!({"roomId": w.room.id, "userId": alice.id}))
        .await;
    assert_error_body(&reply, 400, archived, "error-room-archived");
    // A non-member without permission and without users still learns "archived" first (the
    // archive check of findChannelByIdOrName runs before addUsersToRoom).
    let reply = w.invite_as(&nils, &json!({"roomId": w.room.id})).await;
    assert_error_body(&reply, 400, archived, "error-room-archived");
    let reply = w
        .admin_invite(&json!({"roomName": "town", "userIds": ["no-such-id"]}))
        .await;
    assert_error_body(&reply, 400, archived, "error-room-archived");
}

#[tokio::test]
async fn malformed_json_body_is_treated_as_empty_and_gives_room_not_found() {
    let h = Harness::start().await;
    h.create_room(&h.admin, KIND, "town", &[]).await;
    let req = h
        .api
        .request(
            reqwest::Method::POST,
            "/api/v1/channels.invite",
            Some(&h.admin),
        )
        .header("Content-Type", "application/json")
        .body("{\"roomName\": \"town\", \"username\": ");
    let reply = crate::reference_support::read(req).await;
    assert_room_not_found(KIND, &reply);
}

// ---- invitees (getUserListFromParams, the empty-list answer) ---------------------------------

#[tokio::test]
async fn no_user_fields_is_users_params_not_provided() {
    scenarios::no_user_fields_is_users_params_not_provided(KIND).await;
}

#[tokio::test]
async fn all_unknown_users_give_the_swapped_invalid_user_invite_list() {
    scenarios::all_unknown_users_is_no_valid_users(KIND).await;
}

#[tokio::test]
async fn mixed_known_and_unknown_ids_add_only_the_known() {
    scenarios::mixed_known_and_unknown_ids_add_only_known(KIND).await;
}

#[tokio::test]
async fn empty_user_ids_hides_usernames() {
    scenarios::empty_user_ids_hides_usernames(KIND).await;
}

#[tokio::test]
async fn user_id_with_usernames_looks_the_usernames_up_as_ids() {
    scenarios::user_id_with_usernames_loses_the_usernames(KIND).await;
}

#[tokio::test]
async fn only_the_first_sole_user_key_and_user_ids_over_usernames_count() {
    scenarios::only_one_sole_key_and_user_ids_over_usernames(KIND).await;
}

#[tokio::test]
async fn non_array_user_list_is_a_type_error_without_error_type() {
    scenarios::non_array_user_list_is_a_type_error_without_error_type(KIND).await;
}

#[tokio::test]
async fn duplicate_ids_are_added_once() {
    scenarios::duplicate_ids_are_added_once(KIND).await;
}

#[tokio::test]
async fn usernames_match_case_insensitively() {
    scenarios::usernames_match_case_insensitively(KIND).await;
}

#[tokio::test]
async fn already_member_invite_is_200_and_changes_nothing() {
    scenarios::already_member_invite_changes_nothing(KIND).await;
}

#[tokio::test]
async fn deactivated_invitee_is_added_but_not_listed() {
    scenarios::deactivated_invitee_is_added_but_not_listed(KIND).await;
}

#[tokio::test]
async fn read_only_channel_accepts_invites() {
    scenarios::read_only_room_accepts_invites(KIND).await;
}

#[tokio::test]
async fn success_returns_the_channel_and_counts_each_added_user() {
    scenarios::success_returns_room_and_counts_each_added_user(KIND).await;
}

// ---- permission (addUsersToRoom) ------------------------------------------------------------

#[tokio::test]
async fn unauthorised_caller_gets_the_users_errors_before_not_allowed() {
    scenarios::unauthorised_caller_gets_users_errors_first(KIND).await;
}

#[tokio::test]
async fn plain_member_cannot_invite_into_channel() {
    scenarios::plain_member_cannot_invite(KIND).await;
}

#[tokio::test]
async fn plain_non_member_cannot_invite_into_channel() {
    scenarios::plain_non_member_cannot_invite(KIND).await;
}

#[tokio::test]
async fn channel_owner_may_invite() {
    scenarios::room_owner_may_invite(KIND).await;
}

#[tokio::test]
async fn channel_moderator_may_invite() {
    scenarios::room_moderator_may_invite(KIND).await;
}

#[tokio::test]
async fn channel_leader_cannot_invite() {
    scenarios::room_leader_cannot_invite(KIND).await;
}

#[tokio::test]
async fn non_member_granted_any_c_room_may_invite() {
    scenarios::non_member_granted_any_room_permission_may_invite(KIND).await;
}

#[tokio::test]
async fn owner_without_add_user_to_joined_room_is_not_allowed() {
    scenarios::owner_without_joined_room_permission_is_not_allowed(KIND).await;
}

#[tokio::test]
async fn non_member_admin_may_invite_into_channel() {
    let h = Harness::start().await;
    let (_, olga) = h.user_session("olga").await;
    let xavier = h.create_user("xavier").await;
    let room = h.create_room(&olga, KIND, "olgas", &[]).await;
    let reply = h
        .api
        .invite(
            &h.admin,
            KIND,
            &json!({"roomId": room.id, "userId": xavier.id}),
        )
        .await;
    let invited = expect_invited(KIND, &reply);
    assert_eq!(invited["usersCount"], json!(2));
    assert_eq!(
        h.member_names(&olga, &room).await,
        sorted(&["olga", "xavier"]),
        "admin did not join"
    );
}

#[tokio::test]
async fn non_member_admin_may_invite_itself_into_channel() {
    let h = Harness::start().await;
    let (_, olga) = h.user_session("olga").await;
    let room = h.create_room(&olga, KIND, "olgas", &[]).await;
    let reply = h
        .api
        .invite(
            &h.admin,
            KIND,
            &json!({"roomId": room.id, "userId": h.admin.user_id}),
        )
        .await;
    let invited = expect_invited(KIND, &reply);
    assert_eq!(invited["usersCount"], json!(2));
    assert_eq!(invited["msgs"], json!(1));
    assert_eq!(
        h.member_names(&olga, &room).await,
        sorted(&["olga", &h.admin_username])
    );
}

#[tokio::test]
async fn plain_user_inviting_itself_into_foreign_channel_is_not_allowed() {
    let w = World::new(KIND).await;
    let (nils_user, nils) = w.h.user_session("nils").await;
    let reply = w
        .invite_as(&nils, &json!({"roomId": w.room.id, "userId": nils_user.id}))
        .await;
    assert_not_allowed(&reply);
}

#[tokio::test]
async fn inviting_a_freshly_created_user_into_general_is_a_no_op() {
    // users.create joins default channels unless told not to (joinDefaultChannels).
    let h = Harness::start().await;
    let user = h.create_user_with("fresh", json!({})).await;
    let general = crate::reference_support::Room {
        id: "GENERAL".to_owned(),
        name: "general".to_owned(),
        kind: KIND,
    };
    let before = h.counters(&h.admin, &general).await;
    let reply = h
        .api
        .invite(
            &h.admin,
            KIND,
            &json!({"roomId": "GENERAL", "userId": user.id}),
        )
        .await;
    expect_invited(KIND, &reply);
    assert_eq!(
        h.counters(&h.admin, &general).await,
        before,
        "already a member: nothing changes"
    );
}

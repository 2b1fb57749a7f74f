//! Black-box tests of `POST /api/v1/groups.invite` on the reference server, against
//! Rocket.Chat's `apps/meteor/app/api/server/v1/groups.ts` @acf7dd00 (the route),
//! `getUserFromParams.ts` @0781f57b (invitees), `addUsersToRoom.ts` @5b426ade (permission),
//! `addUserToRoom.ts` @575c1631 (side effects) and `packages/http-router/src/Router.ts`
//! @3a8f6b51 (malformed JSON). Behaviour shared with channels.invite lives in
//! `crate::reference_support::scenarios`; this file adds what is specific to private groups.

use crate::reference_support::scenarios::{self, World, expect_invited};
use crate::reference_support::{
    Harness, Reply, RoomKind, assert_error_body, assert_not_allowed, assert_room_not_found, sorted,
};
use serde_json::json;

const KIND: RoomKind = RoomKind::Group;

const ROOM_PARAM_NOT_PROVIDED: &str =
    "The parameter \"roomId\" or \"roomName\" is required [error-room-param-not-provided]";

#[track_caller]
fn assert_room_param_not_provided(reply: &Reply) {
    assert_error_body(
        reply,
        400,
        ROOM_PARAM_NOT_PROVIDED,
        "error-room-param-not-provided",
    );
}

// ---- room lookup (roomId || roomName, findOneByIdOrName) -------------------------------------

#[tokio::test]
async fn empty_body_is_room_param_not_provided() {
    let w = World::new(KIND).await;
    assert_room_param_not_provided(&w.admin_invite(&json!({})).await);
}

#[tokio::test]
async fn blank_room_id_and_room_name_are_room_param_not_provided() {
    let w = World::new(KIND).await;
    let alice = w.h.create_user("alice").await;
    for body in [
        json!({"roomId": "", "userId": alice.id}),
        json!({"roomId": "   ", "userId": alice.id}),
        json!({"roomName": " ", "userId": alice.id}),
        json!({"roomId": "", "roomName": "", "userId": alice.id}),
    ] {
        assert_room_param_not_provided(&w.admin_invite(&body).await);
    }
}

#[tokio::test]
async fn empty_room_id_falls_through_to_room_name() {
    let w = World::new(KIND).await;
    let alice = w.h.create_user("alice").await;
    let reply = w
        .admin_invite(&json!({"roomId": "", "roomName": "town", "userId": alice.id}))
        .await;
    let room = expect_invited(KIND, &reply);
    assert_eq!(room["_id"], json!(w.room.id));
    assert_eq!(w.members().await, sorted(&[w.admin(), "alice"]));
}

#[tokio::test]
async fn either_room_key_may_carry_an_id_or_a_name() {
    let w = World::new(KIND).await;
    let alice = w.h.create_user("alice").await;
    let bob = w.h.create_user("bob").await;
    let carol = w.h.create_user("carol").await;
    expect_invited(
        KIND,
        &w.admin_invite(&json!({"roomId": "town", "userId": alice.id}))
            .await,
    );
    expect_invited(
        KIND,
        &w.admin_invite(&json!({"roomName": w.room.id, "userId": bob.id}))
            .await,
    );
    expect_invited(
        KIND,
        &w.admin_invite(&json!({"roomName": "town", "userId": carol.id}))
            .await,
    );
    assert_eq!(
        w.members().await,
        sorted(&[w.admin(), "alice", "bob", "carol"])
    );
}

#[tokio::test]
async fn channel_dm_and_unknown_ids_are_room_not_found() {
    scenarios::other_room_kinds_and_unknown_rooms_are_not_found(KIND).await;
}

#[tokio::test]
async fn archived_group_still_accepts_invites_from_an_authorised_caller() {
    let w = World::new(KIND).await;
    let alice = w.h.create_user("alice").await;
    let (msgs, users) = w.counters().await;
    let reply =
        w.h.api
            .post(
                Some(&w.h.admin),
                "/api/v1/groups.archive",
                &json!({"roomId": w.room.id}),
            )
            .await;
    reply.expect_status(200, "fixture: groups.archive");
    let reply = w
        .admin_invite(&json!({"roomId": w.room.id, "userId": alice.id}))
        .await;
    let room = expect_invited(KIND, &reply);
    assert_eq!(room["archived"], json!(true), "the group is still archived");
    assert_eq!(room["usersCount"], json!(users + 1));
    // Archiving may itself post a system message, so only a lower bound is certain here.
    let after = room["msgs"].as_i64().expect("numeric msgs");
    assert!(
        after > msgs,
        "the au message was counted: {msgs} -> {after}"
    );
}

#[tokio::test]
async fn malformed_json_body_is_treated_as_empty_and_gives_room_param_not_provided() {
    let h = Harness::start().await;
    h.create_room(&h.admin, KIND, "town", &[]).await;
    let req = h
        .api
        .request(
            reqwest::Method::POST,
            "/api/v1/groups.invite",
            Some(&h.admin),
        )
        .header("Content-Type", "application/json")
        .body("{\"roomName\": \"town\", \"username\": ");
    let reply = crate::reference_support::read(req).await;
    assert_room_param_not_provided(&reply);
}

// ---- invitees (getUserListFromParams, error-empty-invite-list) -------------------------------

#[tokio::test]
async fn no_user_fields_is_users_params_not_provided() {
    scenarios::no_user_fields_is_users_params_not_provided(KIND).await;
}

#[tokio::test]
async fn all_unknown_users_give_error_empty_invite_list() {
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
async fn read_only_group_accepts_invites() {
    scenarios::read_only_room_accepts_invites(KIND).await;
}

#[tokio::test]
async fn success_returns_the_group_and_counts_each_added_user() {
    scenarios::success_returns_room_and_counts_each_added_user(KIND).await;
}

// ---- permission (addUsersToRoom) ------------------------------------------------------------

#[tokio::test]
async fn unauthorised_caller_gets_the_users_errors_before_not_allowed() {
    scenarios::unauthorised_caller_gets_users_errors_first(KIND).await;
}

#[tokio::test]
async fn plain_member_cannot_invite_into_group() {
    scenarios::plain_member_cannot_invite(KIND).await;
}

#[tokio::test]
async fn plain_non_member_cannot_invite_into_group() {
    scenarios::plain_non_member_cannot_invite(KIND).await;
}

#[tokio::test]
async fn group_owner_may_invite() {
    scenarios::room_owner_may_invite(KIND).await;
}

#[tokio::test]
async fn group_moderator_may_invite() {
    scenarios::room_moderator_may_invite(KIND).await;
}

#[tokio::test]
async fn group_leader_cannot_invite() {
    scenarios::room_leader_cannot_invite(KIND).await;
}

#[tokio::test]
async fn non_member_granted_any_p_room_may_invite() {
    scenarios::non_member_granted_any_room_permission_may_invite(KIND).await;
}

#[tokio::test]
async fn owner_without_add_user_to_joined_room_is_not_allowed() {
    scenarios::owner_without_joined_room_permission_is_not_allowed(KIND).await;
}

#[tokio::test]
async fn non_member_admin_cannot_invite_into_private_group() {
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
    assert_not_allowed(&reply);
    let reply = h
        .api
        .invite(
            &h.admin,
            KIND,
            &json!({"roomId": room.id, "userId": h.admin.user_id}),
        )
        .await;
    assert_not_allowed(&reply);
    assert_eq!(h.member_names(&olga, &room).await, sorted(&["olga"]));
}

#[tokio::test]
async fn non_member_learns_that_a_guessed_group_exists() {
    // groups.invite's lookup has no access check: a known id gives not-allowed, an unknown one
    // not-found.
    let h = Harness::start().await;
    let (_, nils) = h.user_session("nils").await;
    let xavier = h.create_user("xavier").await;
    let room = h.create_room(&h.admin, KIND, "secret", &[]).await;
    let reply = h
        .api
        .invite(
            &nils,
            KIND,
            &json!({"roomName": "secret", "userId": xavier.id}),
        )
        .await;
    assert_not_allowed(&reply);
    let reply = h
        .api
        .invite(
            &nils,
            KIND,
            &json!({"roomId": room.id, "userId": xavier.id}),
        )
        .await;
    assert_not_allowed(&reply);
    let reply = h
        .api
        .invite(
            &nils,
            KIND,
            &json!({"roomName": "no-such-secret", "userId": xavier.id}),
        )
        .await;
    assert_room_not_found(KIND, &reply);
}

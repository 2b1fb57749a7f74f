//! Smoke tests of the reference server's deliberate deviations: every named deviation parses
//! back from its name and boots a server, and a few change exactly the rule they name. The full
//! case suite is driven against each deviation elsewhere; this file stays small.

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{
    Harness, RoomKind, assert_not_allowed, config_with_deviations, sorted,
};
use rc_conform::reference::Deviation;
use serde_json::json;

/// The deviation called `name`, or `None` (the test is then skipped with a note).
fn deviation(name: &str) -> Option<Deviation> {
    let parsed = name.parse::<Deviation>().ok();
    if parsed.is_none() {
        eprintln!("deviation {name:?} is not implemented by this server; skipping");
    }
    parsed
}

#[tokio::test]
async fn every_deviation_name_round_trips_and_boots_a_server() {
    assert!(
        !Deviation::ALL.is_empty(),
        "at least one deviation is offered"
    );
    for d in Deviation::ALL.iter() {
        let parsed = d.name().parse::<Deviation>().ok();
        assert_eq!(parsed.as_ref(), Some(d), "{} parses back", d.name());
        let h = Harness::start_with(config_with_deviations([*d])).await;
        let reply = h.api.get(Some(&h.admin), "/api/info", &[]).await;
        reply.expect_status(200, &format!("/api/info with deviation {}", d.name()));
    }
    assert!(
        "no-such-deviation".parse::<Deviation>().is_err(),
        "unknown names are rejected"
    );
}

#[tokio::test]
async fn ignore_room_roles_makes_room_owners_and_moderators_plain_members() {
    let Some(d) = deviation("ignore-room-roles") else {
        return;
    };
    for kind in [RoomKind::Channel, RoomKind::Group] {
        let h = Harness::start_with(config_with_deviations([d])).await;
        let (_, olga) = h.user_session("olga").await;
        let (mia_user, mia) = h.user_session("mia").await;
        let x = h.create_user("xavier").await;
        let room = h.create_room(&olga, kind, "olgas", &["mia"]).await;
        // Stored as a room role even though the deviation ignores it in permission checks.
        let body = json!({"roleId": "moderator", "username": mia_user.username, "roomId": room.id});
        let reply = h
            .api
            .post(Some(&h.admin), "/api/v1/roles.addUserToRole", &body)
            .await;
        reply.expect_status(200, "fixture: roles.addUserToRole moderator");
        assert_not_allowed(
            &h.api
                .invite(&olga, kind, &json!({"roomId": room.id, "userId": x.id}))
                .await,
        );
        assert_not_allowed(
            &h.api
                .invite(&mia, kind, &json!({"roomId": room.id, "userId": x.id}))
                .await,
        );
        // Global roles still count: the admin may invite into a channel it does not belong to.
        if kind == RoomKind::Channel {
            expect_invited(
                kind,
                &h.api
                    .invite(&h.admin, kind, &json!({"roomId": room.id, "userId": x.id}))
                    .await,
            );
            assert_eq!(
                h.member_names(&olga, &room).await,
                sorted(&["mia", "olga", "xavier"])
            );
        }
    }
}

#[tokio::test]
async fn permission_before_invitees_reports_not_allowed_ahead_of_unknown_users() {
    let Some(d) = deviation("permission-before-invitees") else {
        return;
    };
    let h = Harness::start_with(config_with_deviations([d])).await;
    let (_, mia) = h.user_session("mia").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &["mia"])
        .await;
    let body = json!({"roomId": room.id, "userIds": ["no-such-id"]});
    assert_not_allowed(&h.api.invite(&mia, RoomKind::Channel, &body).await);
}

#[tokio::test]
async fn archived_channel_accepted_lets_invites_into_archived_channels() {
    let Some(d) = deviation("archived-channel-accepted") else {
        return;
    };
    let h = Harness::start_with(config_with_deviations([d])).await;
    let alice = h.create_user("alice").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/channels.archive",
            &json!({"roomId": room.id}),
        )
        .await;
    reply.expect_status(200, "fixture: channels.archive");
    let body = json!({"roomId": room.id, "userId": alice.id});
    expect_invited(
        RoomKind::Channel,
        &h.api.invite(&h.admin, RoomKind::Channel, &body).await,
    );
}

#[tokio::test]
async fn accept_deactivated_token_keeps_a_deactivated_users_session_alive() {
    let Some(d) = deviation("accept-deactivated-token") else {
        return;
    };
    let h = Harness::start_with(config_with_deviations([d])).await;
    let (alice_user, alice) = h.user_session("alice").await;
    h.set_active(&alice_user, false).await;
    let reply = h.api.get(Some(&alice), "/api/v1/me", &[]).await;
    reply.expect_status(200, "deactivated user's token still accepted");
}

//! The deviations of the membership surface, each changing exactly the rule it names, each
//! listed, bootable and iterated by the mutation run (`Deviation::ALL`), whose cases catch
//! them (`tests/integration/mutation.rs`).

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{
    Harness, RoomKind, Session, assert_not_allowed, config_with_deviations,
};
use rc_conform::reference::Deviation;
use serde_json::json;

/// A server started with the deviation called `name`.
async fn broken(name: &str) -> Harness {
    let deviation = name
        .parse::<Deviation>()
        .unwrap_or_else(|_| panic!("{name} is a deviation"));
    Harness::start_with(config_with_deviations([deviation])).await
}

/// The deviations of the membership surface.
const SURFACE: [&str; 5] = [
    "banned-user-added",
    "kicked-user-not-reinvitable",
    "concurrent-invites-duplicate",
    "no-added-user-message",
    "team-main-room-refused",
];

#[tokio::test]
async fn the_surface_deviations_are_in_the_mutation_run_named_described_and_boot() {
    for d in Deviation::AWAITING_CASES {
        assert!(!Deviation::ALL.contains(d), "{d} is in one list only");
    }
    for name in SURFACE {
        let d = name
            .parse::<Deviation>()
            .unwrap_or_else(|_| panic!("{name} is a deviation"));
        assert!(
            Deviation::ALL.contains(&d),
            "{d} is iterated by the mutation run"
        );
        assert!(!d.description().is_empty());
        let h = Harness::start_with(config_with_deviations([d])).await;
        h.api
            .get(Some(&h.admin), "/api/info", &[])
            .await
            .expect_status(200, d.name());
    }
}

#[tokio::test]
async fn banned_user_added_lets_the_invite_add_a_banned_user() {
    let h = broken("banned-user-added").await;
    let alice = h.create_user("alice").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &["alice"])
        .await;
    h.ban(&h.admin, &room, &alice, true)
        .await
        .expect_status(200, "ban");
    let (msgs, users) = h.counters(&h.admin, &room).await;
    let answer = expect_invited(
        RoomKind::Channel,
        &h.invite_user(&h.admin, &room, &alice).await,
    );
    assert_eq!(
        (&answer["msgs"], &answer["usersCount"]),
        (&json!(msgs + 1), &json!(users + 1))
    );
    assert!(
        h.member_names(&h.admin, &room)
            .await
            .contains(&"alice".to_owned())
    );
}

#[tokio::test]
async fn kicked_user_not_reinvitable_answers_200_but_adds_nobody() {
    let h = broken("kicked-user-not-reinvitable").await;
    let alice = h.create_user("alice").await;
    let room = h
        .create_room(&h.admin, RoomKind::Group, "club", &["alice"])
        .await;
    h.kick(&h.admin, &room, &alice)
        .await
        .expect_status(200, "kick");
    let (msgs, users) = h.counters(&h.admin, &room).await;
    expect_invited(
        RoomKind::Group,
        &h.invite_user(&h.admin, &room, &alice).await,
    );
    assert_eq!(h.counters(&h.admin, &room).await, (msgs, users));
    assert!(
        !h.member_names(&h.admin, &room)
            .await
            .contains(&"alice".to_owned())
    );
}

#[tokio::test]
async fn concurrent_invites_duplicate_subscribes_a_user_invited_twice_at_once() {
    let h = broken("concurrent-invites-duplicate").await;
    let twice = h.create_user("twice").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (api, admin): (_, Session) = (h.api.clone(), h.admin.clone());
        let body = json!({"roomId": room.id, "userId": twice.id});
        calls.spawn(async move { api.invite(&admin, RoomKind::Channel, &body).await.status });
    }
    assert_eq!(calls.join_all().await, vec![200; 4]);
    let names = h.member_names(&h.admin, &room).await;
    assert!(
        names.iter().filter(|n| *n == "twice").count() > 1,
        "{names:?}"
    );
    assert!(h.counters(&h.admin, &room).await.1 > 2);
}

#[tokio::test]
async fn no_added_user_message_leaves_msgs_and_the_messages_alone() {
    let h = broken("no-added-user-message").await;
    let alice = h.create_user("alice").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let answer = expect_invited(
        RoomKind::Channel,
        &h.invite_user(&h.admin, &room, &alice).await,
    );
    assert_eq!(
        (&answer["msgs"], &answer["usersCount"]),
        (&json!(0), &json!(2))
    );
    assert!(h.messages(&room).await.is_empty());
}

#[tokio::test]
async fn team_main_room_refused_refuses_invites_into_a_teams_main_room() {
    let h = broken("team-main-room-refused").await;
    let alice = h.create_user("alice").await;
    let (_, room) = h
        .create_team(&h.admin, "crew", RoomKind::Channel, &[])
        .await;
    assert_not_allowed(&h.invite_user(&h.admin, &room, &alice).await);
    let plain = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    expect_invited(
        RoomKind::Channel,
        &h.invite_user(&h.admin, &plain, &alice).await,
    );
}

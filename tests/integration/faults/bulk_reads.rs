//! Bulk reads of the server's state: shared when the target supports them, room by room
//! when it does not.
use super::*;

/// Drops `usersCount` and `msgs` from every room a `rooms.adminRooms` answer lists.
fn without_counters(body: &[u8]) -> Vec<u8> {
    let mut answer: Value = serde_json::from_slice(body).expect("a JSON listing");
    for room in answer["rooms"].as_array_mut().into_iter().flatten() {
        if let Some(room) = room.as_object_mut() {
            room.remove("usersCount");
            room.remove("msgs");
        }
    }
    answer.to_string().into_bytes()
}

/// Drops `user.rooms` from a `users.info` answer (a server without `includeUserRooms`).
pub(crate) fn without_user_rooms(body: &[u8]) -> Vec<u8> {
    let mut answer: Value = serde_json::from_slice(body).expect("a JSON answer");
    if let Some(user) = answer["user"].as_object_mut() {
        user.remove("rooms");
    }
    answer.to_string().into_bytes()
}

/// A target whose bulk reads come back without what they are for (a listing without the
/// counters, `users.info` without the user's rooms) is read room by room instead: every case
/// passes, and its evidence holds the room's own info and members reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_bulk_reads_the_state_is_read_room_by_room() {
    let run = faulted_run(
        |seen| match seen.path {
            "/api/v1/rooms.adminRooms" => Fault::Rewrite(without_counters),
            "/api/v1/users.info" => Fault::Rewrite(without_user_rooms),
            _ => Fault::Forward,
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.text());
    run.assert_passed(&all_cases());
    let urls = |id: &str| -> Vec<String> {
        run.call(id)["transcript"]
            .as_array()
            .expect("transcript")
            .iter()
            .map(|e| e["url"].as_str().expect("url").to_owned())
            .collect()
    };
    for id in all_cases() {
        let urls = urls(id);
        let kind = if id.starts_with("groups.") {
            "groups"
        } else {
            "channels"
        };
        assert!(
            urls.iter()
                .any(|u| u.contains(&format!("/api/v1/{kind}.info"))),
            "{id} read its room's counters itself: {urls:#?}"
        );
    }
    let id = "channels.invite/users/user-key";
    assert!(
        urls(id)
            .iter()
            .any(|u| u.contains("/api/v1/channels.members")),
        "{id} read its room's members itself: {:#?}",
        urls(id)
    );
}

/// Against a target that supports them, the counters and memberships come from the bulk
/// reads, and each case's evidence is an excerpt of them that names only its own rooms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reads_are_shared_and_each_case_keeps_an_excerpt() {
    let run = faulted_run(|_| Fault::Forward, &[]).await;
    assert_eq!(run.code(), Some(0), "{}", run.text());
    run.assert_passed(&all_cases());
    // One listing before the calls, one after the default-grant group's calls (read and
    // judged while the grant groups run), one after the grant groups', and one for the
    // leftover check: never one per case.
    assert_eq!(run.seen("/api/v1/rooms.adminRooms").len(), 4);
    // Two additions with the same room share it: its members are read once, for both.
    let members = |id: &str| -> Vec<String> {
        run.call(id)["transcript"]
            .as_array()
            .expect("transcript")
            .iter()
            .filter_map(|e| e["url"].as_str())
            .filter(|u| u.contains("/api/v1/channels.members"))
            .map(str::to_owned)
            .collect()
    };
    let shared = members("channels.invite/users/user-key");
    assert_eq!(shared.len(), 1, "{shared:#?}");
    assert_eq!(shared, members("channels.invite/users/bulk-usernames"));
    assert_eq!(run.seen("/api/v1/channels.members").len(), 1);
    // A case with a room of its own keeps an excerpt of each bulk read.
    let id = GROUP_CASE;
    let sent: Value = serde_json::from_str(run.invite(id)["request_body"].as_str().expect("body"))
        .expect("a JSON body");
    let room_id = sent["roomId"]
        .as_str()
        .expect("the call names its room by id");
    let transcript = run.call(id)["transcript"].as_array().expect("transcript");
    let excerpts: Vec<&Value> = transcript
        .iter()
        .filter(|e| e["note"].is_string())
        .collect();
    // The counters before and after, and the invitee's rooms.
    assert_eq!(excerpts.len(), 3, "{transcript:#?}");
    for e in excerpts {
        let body: Value =
            serde_json::from_str(e["response_body"].as_str().expect("body")).expect("JSON");
        let listed = body["rooms"]
            .as_array()
            .or_else(|| body["user"]["rooms"].as_array())
            .expect("the excerpt lists rooms");
        let ids: Vec<&str> = listed
            .iter()
            .map(|r| {
                r["_id"]
                    .as_str()
                    .or_else(|| r["rid"].as_str())
                    .expect("an id")
            })
            .collect();
        assert_eq!(ids, [room_id], "only this case's room: {e:#?}");
    }
}

//! Black-box tests of permissions.listAll / permissions.update and the roles.* endpoints of the
//! reference server (defaults: `apps/meteor/app/authorization/server/constant/permissions.ts`
//! @014c0860; room roles: `apps/meteor/server/services/authorization/service.ts` @028925b2;
//! `apps/meteor/app/api/server/v1/permissions.ts` @028925b2; custom roles Enterprise-only since
//! PRs #27481, #31153).

use std::collections::BTreeSet;

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{Harness, Reply, RoomKind, assert_error_type, assert_not_allowed};
use rc_conform::reference::ServerConfig;
use serde_json::{Value, json};

/// The role list of `permission` in a listAll/update answer, as a set.
fn roles_of(list: &Value, permission: &str) -> BTreeSet<String> {
    let entry = list
        .as_array()
        .unwrap_or_else(|| panic!("not a permission list: {list}"))
        .iter()
        .find(|p| p["_id"] == json!(permission))
        .unwrap_or_else(|| panic!("permission {permission} missing"));
    serde_json::from_value(entry["roles"].clone())
        .unwrap_or_else(|e| panic!("roles of {permission}: {e}"))
}

fn set(roles: &[&str]) -> BTreeSet<String> {
    roles.iter().map(|r| (*r).to_owned()).collect()
}

async fn list_all(h: &Harness) -> Reply {
    let reply = h
        .api
        .get(Some(&h.admin), "/api/v1/permissions.listAll", &[])
        .await;
    reply.expect_status(200, "permissions.listAll");
    reply
}

// ---- permissions ---------------------------------------------------------------------------------

#[tokio::test]
async fn permissions_list_all_has_the_documented_defaults() {
    let h = Harness::start().await;
    let reply = list_all(&h).await;
    assert_eq!(reply.body["success"], json!(true));
    assert_eq!(reply.body["remove"], json!([]));
    let update = &reply.body["update"];
    let table: &[(&str, &[&str])] = &[
        ("add-user-to-joined-room", &["admin", "owner", "moderator"]),
        ("add-user-to-any-c-room", &["admin"]),
        ("add-user-to-any-p-room", &[]),
        ("set-owner", &["admin", "owner"]),
        ("set-moderator", &["admin", "owner"]),
        ("set-leader", &["admin", "owner"]),
        ("archive-room", &["admin", "owner"]),
        ("set-readonly", &["admin", "owner"]),
        ("unarchive-room", &["admin"]),
        ("delete-c", &["admin", "owner"]),
        ("delete-p", &["admin", "owner"]),
        ("create-user", &["admin"]),
        ("access-permissions", &["admin"]),
        ("api-bypass-rate-limit", &["admin", "bot", "app"]),
    ];
    for (permission, roles) in table {
        assert_eq!(
            roles_of(update, permission),
            set(roles),
            "default roles of {permission}"
        );
    }
    for entry in update.as_array().expect("update is an array") {
        assert!(
            entry["_id"].is_string() && entry["roles"].is_array(),
            "permission shape: {entry}"
        );
        assert!(entry["_updatedAt"].is_string(), "_updatedAt on {entry}");
    }
    // A plain user may read the list too (permissions.ts: no gate beyond being logged in).
    let (_, alice) = h.user_session("alice").await;
    h.api
        .get(Some(&alice), "/api/v1/permissions.listAll", &[])
        .await
        .expect_status(200, "listAll as user");
}

#[tokio::test]
async fn permissions_update_replaces_the_role_list() {
    let h = Harness::start().await;
    let body =
        json!({"permissions": [{"_id": "add-user-to-any-p-room", "roles": ["admin", "user"]}]});
    let reply = h
        .api
        .post(Some(&h.admin), "/api/v1/permissions.update", &body)
        .await;
    reply.expect_status(200, "permissions.update");
    assert_eq!(reply.body["success"], json!(true));
    let permissions = &reply.body["permissions"];
    assert_eq!(
        roles_of(permissions, "add-user-to-any-p-room"),
        set(&["admin", "user"])
    );
    assert_eq!(
        roles_of(permissions, "add-user-to-any-c-room"),
        set(&["admin"]),
        "full list returned"
    );

    let body = json!({"permissions": [{"_id": "add-user-to-joined-room", "roles": ["moderator"]}]});
    h.api
        .post(Some(&h.admin), "/api/v1/permissions.update", &body)
        .await
        .expect_status(200, "update");
    let update = &list_all(&h).await.body["update"];
    assert_eq!(
        roles_of(update, "add-user-to-joined-room"),
        set(&["moderator"]),
        "replaced, not merged"
    );
    assert_eq!(
        roles_of(update, "add-user-to-any-p-room"),
        set(&["admin", "user"])
    );
}

#[tokio::test]
async fn permissions_update_by_a_non_admin_is_403() {
    let h = Harness::start().await;
    let (_, alice) = h.user_session("alice").await;
    let body = json!({"permissions": [{"_id": "add-user-to-any-p-room", "roles": ["user"]}]});
    let reply = h
        .api
        .post(Some(&alice), "/api/v1/permissions.update", &body)
        .await;
    reply.expect_status(403, "permissions.update without access-permissions");
    assert_eq!(reply.body["success"], json!(false));
    assert_eq!(
        roles_of(&list_all(&h).await.body["update"], "add-user-to-any-p-room"),
        set(&[])
    );
}

#[tokio::test]
async fn permissions_update_rejects_unknown_permissions_and_roles() {
    let h = Harness::start().await;
    let body = json!({"permissions": [{"_id": "no-such-permission", "roles": ["admin"]}]});
    let reply = h
        .api
        .post(Some(&h.admin), "/api/v1/permissions.update", &body)
        .await;
    assert_error_type(&reply, 400, "error-invalid-permission");
    let body =
        json!({"permissions": [{"_id": "add-user-to-any-p-room", "roles": ["no-such-role"]}]});
    let reply = h
        .api
        .post(Some(&h.admin), "/api/v1/permissions.update", &body)
        .await;
    assert_error_type(&reply, 400, "error-invalid-role");
    assert_eq!(
        roles_of(&list_all(&h).await.body["update"], "add-user-to-any-p-room"),
        set(&[])
    );
}

// ---- roles -----------------------------------------------------------------------------------------

#[tokio::test]
async fn roles_list_has_builtin_roles_with_their_scope() {
    let h = Harness::start().await;
    let reply = h.api.get(Some(&h.admin), "/api/v1/roles.list", &[]).await;
    reply.expect_status(200, "roles.list");
    assert_eq!(reply.body["success"], json!(true));
    let roles = reply.body["roles"].as_array().expect("roles is an array");
    for (name, scope) in [
        ("admin", "Users"),
        ("user", "Users"),
        ("bot", "Users"),
        ("guest", "Users"),
        ("owner", "Subscriptions"),
        ("moderator", "Subscriptions"),
        ("leader", "Subscriptions"),
    ] {
        let role = roles
            .iter()
            .find(|r| r["_id"] == json!(name))
            .unwrap_or_else(|| panic!("built-in role {name} missing"));
        assert_eq!(role["name"], json!(name), "built-in roles have _id = name");
        assert_eq!(role["scope"], json!(scope), "scope of {name}");
        assert!(role["protected"].is_boolean(), "protected on {role}");
        assert!(role["mandatory2fa"].is_boolean(), "mandatory2fa on {role}");
    }
}

#[tokio::test]
async fn roles_create_on_community_edition_is_an_enterprise_feature() {
    let h = Harness::start().await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/roles.create",
            &json!({"name": "auditor", "scope": "Users"}),
        )
        .await;
    reply.expect_status(400, "roles.create on CE");
    assert_eq!(
        reply.body,
        json!({
            "success": false,
            "error": "This is an enterprise feature [error-action-not-allowed]",
            "errorType": "error-action-not-allowed",
        })
    );
}

#[tokio::test]
async fn roles_create_on_enterprise_creates_a_listed_role() {
    let h = Harness::start_with(ServerConfig {
        enterprise: true,
        ..ServerConfig::default()
    })
    .await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/roles.create",
            &json!({"name": "auditor", "scope": "Users", "description": "reads things"}),
        )
        .await;
    reply.expect_status(200, "roles.create on EE");
    assert_eq!(reply.body["success"], json!(true));
    assert_eq!(reply.body["role"]["name"], json!("auditor"));
    assert_eq!(reply.body["role"]["scope"], json!("Users"));
    let list = h.api.get(Some(&h.admin), "/api/v1/roles.list", &[]).await;
    let listed = list.body["roles"]
        .as_array()
        .expect("roles array")
        .iter()
        .any(|r| r["name"] == json!("auditor"));
    assert!(listed, "the new role is listed: {list:#?}");
}

#[tokio::test]
async fn room_scoped_role_from_roles_add_user_to_role_counts_for_inviting() {
    for (kind, role) in [(RoomKind::Channel, "moderator"), (RoomKind::Group, "owner")] {
        let h = Harness::start().await;
        let (_, mia) = h.user_session("mia").await;
        let x = h.create_user("xavier").await;
        let y = h.create_user("yuri").await;
        let room = h.create_room(&h.admin, kind, "town", &["mia"]).await;
        assert_not_allowed(
            &h.api
                .invite(&mia, kind, &json!({"roomId": room.id, "userId": x.id}))
                .await,
        );

        let reply = h
            .api
            .post(
                Some(&h.admin),
                "/api/v1/roles.addUserToRole",
                &json!({"roleId": role, "username": "mia", "roomId": room.id}),
            )
            .await;
        reply.expect_status(200, "roles.addUserToRole with roomId");
        assert_eq!(reply.body["success"], json!(true));
        assert_eq!(reply.body["role"]["_id"], json!(role));
        expect_invited(
            kind,
            &h.api
                .invite(&mia, kind, &json!({"roomId": room.id, "userId": x.id}))
                .await,
        );

        // Real servers read the room from `scope` (roomId is accepted by the schema too).
        let reply = h
            .api
            .post(
                Some(&h.admin),
                "/api/v1/roles.removeUserFromRole",
                &json!({"roleId": role, "username": "mia", "scope": room.id, "roomId": room.id}),
            )
            .await;
        reply.expect_status(200, "roles.removeUserFromRole");
        assert_eq!(reply.body["success"], json!(true));
        assert_not_allowed(
            &h.api
                .invite(&mia, kind, &json!({"roomId": room.id, "userId": y.id}))
                .await,
        );
    }
}

#[tokio::test]
async fn global_role_from_roles_add_user_to_role_shows_on_the_user() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/roles.addUserToRole",
            &json!({"roleId": "bot", "username": "alice"}),
        )
        .await;
    reply.expect_status(200, "roles.addUserToRole bot");
    let info = h
        .users_info(&h.admin, &[("userId", alice.id.as_str())])
        .await;
    let roles: BTreeSet<String> =
        serde_json::from_value(info.body["user"]["roles"].clone()).expect("roles array");
    assert_eq!(roles, set(&["bot", "user"]));
}

#[tokio::test]
async fn roles_add_user_to_role_by_a_non_admin_is_refused() {
    // Needs access-permissions; the status is not pinned (a 403 route gate, or the
    // authorization method's 400 error-action-not-allowed as on real servers).
    let h = Harness::start().await;
    let (_, alice) = h.user_session("alice").await;
    let reply = h
        .api
        .post(
            Some(&alice),
            "/api/v1/roles.addUserToRole",
            &json!({"roleId": "admin", "username": "alice"}),
        )
        .await;
    assert!(
        reply.status == 403 || reply.status == 400,
        "refused: {reply:#?}"
    );
    assert_eq!(reply.body["success"], json!(false));
    let me = h.api.get(Some(&alice), "/api/v1/me", &[]).await;
    assert_eq!(
        me.body["roles"],
        json!(["user"]),
        "alice did not become admin"
    );
}

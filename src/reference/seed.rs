//! What a freshly installed Rocket.Chat contains: built-in roles, default permission grants,
//! the `rocket.cat` bot, the `GENERAL` channel and the bootstrapped administrator.
//!
//! Owns the seed data only (defaults from `permissions.ts` / `initialData.ts` as documented in
//! `apps/meteor/app/authorization/server/constant/permissions.ts` @014c0860 and
//! `apps/meteor/server/startup/initialData.ts` @0bfd1635; the role lists of `create-team`, `delete-team`,
//! `view-all-teams`, `leave-c`, `leave-p`, `start-discussion*`, `view-l-room` and
//! `remove-closed-livechat-room` are Rocket.Chat's defaults as recalled, not re-read this time).
//! It must not hold behaviour.

use super::ServerConfig;
use super::ids;
use super::model::{Email, Permission, Role, RoleScope, Room, RoomKind, User};
use super::store::Store;

/// Built-in roles: (id = name, scope, description).
const ROLES: &[(&str, RoleScope, &str)] = &[
    ("admin", RoleScope::Users, "Admin"),
    ("moderator", RoleScope::Subscriptions, "Moderator"),
    ("leader", RoleScope::Subscriptions, "Leader"),
    ("owner", RoleScope::Subscriptions, "Owner"),
    ("user", RoleScope::Users, ""),
    ("bot", RoleScope::Users, ""),
    ("app", RoleScope::Users, ""),
    ("guest", RoleScope::Users, ""),
    ("anonymous", RoleScope::Users, ""),
    ("livechat-agent", RoleScope::Users, "Livechat Agent"),
    ("livechat-manager", RoleScope::Users, "Livechat Manager"),
    ("livechat-monitor", RoleScope::Users, "Livechat Monitor"),
    ("federated-external", RoleScope::Users, ""),
];

/// Default role lists of the permissions the reference server consults.
const PERMISSIONS: &[(&str, &[&str])] = &[
    ("access-permissions", &["admin"]),
    ("add-user-to-any-c-room", &["admin"]),
    ("add-user-to-any-p-room", &[]),
    ("add-user-to-joined-room", &["admin", "owner", "moderator"]),
    ("api-bypass-rate-limit", &["admin", "bot", "app"]),
    ("archive-room", &["admin", "owner"]),
    ("assign-admin-role", &["admin"]),
    ("assign-roles", &["admin"]),
    ("ban-user", &["admin", "owner", "moderator"]),
    (
        "create-c",
        &["admin", "user", "federated-external", "bot", "app"],
    ),
    (
        "create-d",
        &["admin", "user", "federated-external", "bot", "app"],
    ),
    (
        "create-p",
        &["admin", "user", "federated-external", "bot", "app"],
    ),
    ("create-team", &["admin", "user"]),
    ("create-user", &["admin"]),
    ("delete-c", &["admin", "owner"]),
    ("delete-message", &["admin", "owner", "moderator"]),
    ("delete-own-message", &["admin", "user"]),
    ("delete-p", &["admin", "owner"]),
    ("delete-team", &["admin", "owner"]),
    ("delete-user", &["admin"]),
    ("edit-other-user-active-status", &["admin"]),
    ("edit-privileged-setting", &["admin"]),
    ("edit-room", &["admin", "owner", "moderator"]),
    ("force-delete-message", &["admin", "owner"]),
    ("kick-user-from-any-c-room", &["admin"]),
    ("kick-user-from-any-p-room", &[]),
    ("leave-c", &["admin", "user", "bot", "anonymous", "app"]),
    ("leave-p", &["admin", "user", "bot", "anonymous", "app"]),
    ("manage-moderation-actions", &["admin"]),
    (
        "remove-closed-livechat-room",
        &["livechat-manager", "admin"],
    ),
    ("remove-user", &["admin", "owner", "moderator"]),
    ("set-leader", &["admin", "owner"]),
    ("set-moderator", &["admin", "owner"]),
    ("set-owner", &["admin", "owner"]),
    ("set-readonly", &["admin", "owner"]),
    ("start-discussion", &["admin", "user", "guest", "app"]),
    (
        "start-discussion-other-user",
        &["admin", "user", "owner", "app"],
    ),
    ("unarchive-room", &["admin"]),
    (
        "view-broadcast-member-list",
        &["admin", "owner", "moderator"],
    ),
    (
        "view-c-room",
        &[
            "admin",
            "user",
            "federated-external",
            "bot",
            "app",
            "anonymous",
        ],
    ),
    ("view-d-room", &["admin", "user", "bot", "app", "guest"]),
    ("view-full-other-user-info", &["admin"]),
    ("view-all-teams", &["admin"]),
    ("view-joined-room", &["guest", "bot", "app", "anonymous"]),
    (
        "view-l-room",
        &[
            "livechat-manager",
            "livechat-monitor",
            "livechat-agent",
            "admin",
        ],
    ),
    ("view-other-user-channels", &["admin"]),
    (
        "view-p-room",
        &["admin", "user", "federated-external", "anonymous", "guest"],
    ),
    ("view-room-administration", &["admin"]),
    ("view-statistics", &["admin"]),
];

/// The `_id` and `name` of the default channel.
pub(crate) const GENERAL_ID: &str = "GENERAL";
/// The `_id` and username of the bot.
pub(crate) const BOT_ID: &str = "rocket.cat";

/// A store holding exactly what a fresh server holds.
pub(crate) fn fresh_store(config: &ServerConfig) -> Store {
    let mut store = Store::with_permission_lag(config.permission_lag);
    let now = store.now();
    for (id, scope, description) in ROLES {
        store.insert_role(Role {
            id: (*id).to_owned(),
            name: (*id).to_owned(),
            description: (*description).to_owned(),
            scope: *scope,
            protected: true,
            mandatory_2fa: false,
            updated_at: now,
        });
    }
    for (id, roles) in PERMISSIONS {
        store.insert_permission(Permission {
            id: (*id).to_owned(),
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
            updated_at: now,
        });
    }
    store.insert_user(User {
        id: BOT_ID.to_owned(),
        username: BOT_ID.to_owned(),
        name: "Rocket.Cat".to_owned(),
        emails: Vec::new(),
        password_digest: None,
        roles: vec!["bot".to_owned()],
        active: true,
        bot: true,
        require_password_change: false,
        created_at: now,
        updated_at: now,
    });
    store.insert_room(Room {
        name: Some("general".to_owned()),
        default: true,
        ..Room::new(GENERAL_ID.to_owned(), RoomKind::Channel, now)
    });
    let admin_id = ids::document_id();
    store.insert_user(User {
        id: admin_id.clone(),
        username: config.admin_username.clone(),
        name: "Administrator".to_owned(),
        emails: vec![Email {
            address: format!("{}@rc-conform.invalid", config.admin_username),
            verified: true,
        }],
        password_digest: Some(ids::password_digest(&config.admin_password)),
        roles: vec!["admin".to_owned(), "user".to_owned()],
        active: true,
        bot: false,
        require_password_change: false,
        created_at: now,
        updated_at: now,
    });
    store.join(GENERAL_ID, &admin_id, Vec::new());
    store
}

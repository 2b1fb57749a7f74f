//! The route table: which path and method reach which handler, and the layers around them.
//!
//! Owns the assembly order that makes the prelude right: every routed request passes the
//! gate (auth, then rate limit) before its handler; unknown paths and wrong methods get
//! Rocket.Chat-shaped JSON. It must not contain behaviour of its own.

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use super::{
    App, administration, envelope, gate, invite, permissions, room_roles, room_settings, rooms,
    users,
};

/// The application router over `app`.
pub(crate) fn build(app: Arc<App>) -> Router {
    Router::new()
        .route("/api/info", get(users::server_info))
        .route("/api/v1/login", post(users::login))
        .route("/api/v1/logout", post(users::logout))
        .route("/api/v1/me", get(users::me))
        .route("/api/v1/users.create", post(users::users_create))
        .route("/api/v1/users.info", get(users::users_info))
        .route("/api/v1/users.delete", post(users::users_delete))
        .route(
            "/api/v1/users.setActiveStatus",
            post(users::users_set_active_status),
        )
        .route("/api/v1/channels.create", post(rooms::channels_create))
        .route("/api/v1/groups.create", post(rooms::groups_create))
        .route("/api/v1/channels.delete", post(rooms::channels_delete))
        .route("/api/v1/groups.delete", post(rooms::groups_delete))
        .route("/api/v1/channels.info", get(rooms::channels_info))
        .route("/api/v1/groups.info", get(rooms::groups_info))
        .route("/api/v1/channels.members", get(rooms::channels_members))
        .route("/api/v1/groups.members", get(rooms::groups_members))
        .route("/api/v1/im.create", post(rooms::im_create))
        .route(
            "/api/v1/channels.archive",
            post(room_settings::channels_archive),
        )
        .route(
            "/api/v1/channels.unarchive",
            post(room_settings::channels_unarchive),
        )
        .route(
            "/api/v1/groups.archive",
            post(room_settings::groups_archive),
        )
        .route(
            "/api/v1/groups.unarchive",
            post(room_settings::groups_unarchive),
        )
        .route(
            "/api/v1/channels.setReadOnly",
            post(room_settings::channels_set_read_only),
        )
        .route(
            "/api/v1/groups.setReadOnly",
            post(room_settings::groups_set_read_only),
        )
        .route(
            "/api/v1/channels.addOwner",
            post(room_roles::channels_add_owner),
        )
        .route(
            "/api/v1/channels.addModerator",
            post(room_roles::channels_add_moderator),
        )
        .route(
            "/api/v1/channels.addLeader",
            post(room_roles::channels_add_leader),
        )
        .route(
            "/api/v1/channels.removeOwner",
            post(room_roles::channels_remove_owner),
        )
        .route(
            "/api/v1/channels.removeModerator",
            post(room_roles::channels_remove_moderator),
        )
        .route(
            "/api/v1/channels.removeLeader",
            post(room_roles::channels_remove_leader),
        )
        .route(
            "/api/v1/groups.addOwner",
            post(room_roles::groups_add_owner),
        )
        .route(
            "/api/v1/groups.addModerator",
            post(room_roles::groups_add_moderator),
        )
        .route(
            "/api/v1/groups.addLeader",
            post(room_roles::groups_add_leader),
        )
        .route(
            "/api/v1/groups.removeOwner",
            post(room_roles::groups_remove_owner),
        )
        .route(
            "/api/v1/groups.removeModerator",
            post(room_roles::groups_remove_moderator),
        )
        .route(
            "/api/v1/groups.removeLeader",
            post(room_roles::groups_remove_leader),
        )
        .route("/api/v1/rooms.adminRooms", get(administration::admin_rooms))
        .route("/api/v1/users.list", get(administration::users_list))
        .route("/api/v1/channels.invite", post(invite::channels_invite))
        .route("/api/v1/groups.invite", post(invite::groups_invite))
        .route("/api/v1/permissions.listAll", get(permissions::list_all))
        .route("/api/v1/permissions.update", post(permissions::update))
        .route("/api/v1/roles.list", get(permissions::roles_list))
        .route("/api/v1/roles.create", post(permissions::roles_create))
        .route("/api/v1/roles.delete", post(permissions::roles_delete))
        .route(
            "/api/v1/roles.addUserToRole",
            post(permissions::add_user_to_role),
        )
        .route(
            "/api/v1/roles.removeUserFromRole",
            post(permissions::remove_user_from_role),
        )
        .route_layer(middleware::from_fn_with_state(app.clone(), gate::admit))
        .method_not_allowed_fallback(envelope::method_not_allowed)
        .fallback(envelope::route_not_found)
        .with_state(app)
}

//! The route table: which path and method reach which handler, and the layers around them.
//!
//! Owns the assembly order that makes the prelude right: every routed request passes the
//! gate (auth, then rate limit) before its handler; on the 6.x and 7.x lines the Express JSON
//! body parser stands in front of the gate; the emulated latency holds back every answer.
//! Unknown paths, wrong methods and endpoints configured `without` get Rocket.Chat-shaped JSON.
//! The twin routes of `channels.*` and `groups.*` are registered from one table with the
//! [`Family`] bound here. It must not contain behaviour of its own.

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{MethodRouter, delete, get, post};

use super::family::Family;
use super::{
    App, Rules, administration, bans, chat, delay, direct, discussions, envelope, express, gate,
    invite, livechat, membership, messages, permissions, room_roles, room_settings, rooms, tally,
    teams, users,
};

/// Endpoints of the 2026 ban feature: not routed before [`super::version::Version::ROOM_BANS`].
const BAN_ENDPOINTS: [&str; 2] = ["rooms.banUser", "rooms.unbanUser"];

/// Whether the impersonated release serves `endpoint` at all (before `--without`).
fn released(endpoint: &str, rules: &Rules) -> bool {
    rules.room_bans || !BAN_ENDPOINTS.contains(&endpoint)
}

/// One route: the endpoint's name (the path after `/api/v1/`, or `info` for `/api/info`) and
/// its handlers.
type Route = (String, MethodRouter<Arc<App>>);

/// The path of an endpoint name.
fn path_of(endpoint: &str) -> String {
    if endpoint == "info" {
        "/api/info".to_owned()
    } else {
        format!("/api/v1/{endpoint}")
    }
}

/// Routes that are not twins.
fn single_routes() -> Vec<Route> {
    let routes: Vec<(&str, MethodRouter<Arc<App>>)> = vec![
        ("info", get(users::server_info)),
        ("login", post(users::login)),
        ("logout", post(users::logout)),
        ("me", get(users::me)),
        ("users.create", post(users::users_create)),
        ("users.info", get(users::users_info)),
        ("users.delete", post(users::users_delete)),
        (
            "users.setActiveStatus",
            post(users::users_set_active_status),
        ),
        ("users.list", get(administration::users_list)),
        ("im.create", post(direct::im_create)),
        ("chat.delete", post(chat::delete)),
        ("rooms.adminRooms", get(administration::admin_rooms)),
        ("permissions.listAll", get(permissions::list_all)),
        ("permissions.update", post(permissions::update)),
        ("roles.list", get(permissions::roles_list)),
        ("roles.create", post(permissions::roles_create)),
        ("roles.delete", post(permissions::roles_delete)),
        ("roles.addUserToRole", post(permissions::add_user_to_role)),
        (
            "roles.removeUserFromRole",
            post(permissions::remove_user_from_role),
        ),
        ("rooms.banUser", post(bans::ban_user)),
        ("rooms.unbanUser", post(bans::unban_user)),
        ("rooms.createDiscussion", post(discussions::create)),
        ("teams.create", post(teams::create)),
        ("teams.delete", post(teams::delete)),
        ("teams.members", get(teams::members)),
        ("livechat/visitor", post(livechat::register_visitor)),
        ("livechat/room", get(livechat::room)),
        ("livechat/room.close", post(livechat::close)),
        ("livechat/visitor/{token}", delete(livechat::remove_visitor)),
    ];
    routes
        .into_iter()
        .map(|(name, handlers)| (name.to_owned(), handlers))
        .collect()
}

/// The routes of one family, each handler bound to `family`.
fn family_routes(family: Family) -> Vec<Route> {
    let mut routes: Vec<(&str, MethodRouter<Arc<App>>)> = vec![
        ("create", post(move |call| rooms::create(family, call))),
        ("delete", post(move |call| rooms::delete(family, call))),
        ("info", get(move |call| rooms::info(family, call))),
        ("members", get(move |call| rooms::members(family, call))),
        (
            "archive",
            post(move |call| room_settings::archive(family, call)),
        ),
        (
            "unarchive",
            post(move |call| room_settings::unarchive(family, call)),
        ),
        (
            "setReadOnly",
            post(move |call| room_settings::set_read_only(family, call)),
        ),
        (
            "invite",
            post(move |state, caller, payload| invite::invite(family, state, caller, payload)),
        ),
        ("kick", post(move |call| membership::kick(family, call))),
        ("leave", post(move |call| membership::leave(family, call))),
        (
            "messages",
            get(move |call| messages::messages(family, call)),
        ),
        (
            "setTopic",
            post(move |call| room_settings::set_topic(family, call)),
        ),
    ];
    for (operation, role, grant) in room_roles::OPERATIONS {
        routes.push((
            operation,
            post(move |call| room_roles::change(family, role, grant, call)),
        ));
    }
    let prefix = family.spec().prefix;
    routes
        .into_iter()
        .map(|(operation, handlers)| (format!("{prefix}.{operation}"), handlers))
        .collect()
}

fn all_routes() -> Vec<Route> {
    let mut routes = single_routes();
    for family in Family::ALL {
        routes.extend(family_routes(family));
    }
    routes
}

/// Every endpoint name the server serves (what `without` may name).
pub(crate) fn endpoints() -> Vec<String> {
    all_routes().into_iter().map(|(name, _)| name).collect()
}

/// The application router over `app`.
pub(crate) fn build(app: Arc<App>) -> Router {
    let mut router = Router::new();
    for (endpoint, handlers) in all_routes() {
        if released(&endpoint, &app.rules) && !app.rules.without.contains(&endpoint) {
            router = router.route(&path_of(&endpoint), handlers);
        }
    }
    let mut router = router
        .route_layer(middleware::from_fn_with_state(app.clone(), gate::admit))
        .method_not_allowed_fallback(envelope::method_not_allowed)
        .fallback(envelope::route_not_found);
    if app.rules.line.express_body_parser() {
        router = router.layer(middleware::from_fn_with_state(
            app.clone(),
            express::json_body_parser,
        ));
    }
    if !app.rules.latency.is_zero() {
        router = router.layer(middleware::from_fn_with_state(
            app.clone(),
            delay::hold_back,
        ));
    }
    router
        .layer(middleware::from_fn_with_state(app.clone(), tally::count))
        .with_state(app)
}

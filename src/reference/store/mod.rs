//! The in-memory database: collections of users, login tokens, rooms, subscriptions, roles and
//! permissions, with the plain queries and writes the route modules compose; messages, teams
//! and visitors are kept by the [`documents`] part.
//!
//! Owns storage and the authorization primitive `has_permission` (global roles plus, when a room
//! is given, the roles on the caller's subscription). A banned subscription is stored but is no
//! membership: `is_member` and the member listings skip it, `subscription` still finds it. It
//! must not encode endpoint rules, error texts or deviations; those belong to the modules that
//! call it.

mod documents;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use indexmap::IndexMap;

use super::clock::Moment;
use super::ids;
use super::lag::Lagging;
use super::model::{Permission, Role, RoleScope, Room, RoomKind, Subscription, User};
use super::records::{Message, Team, Visitor};

/// All server state. Kept behind one mutex; every method is synchronous.
#[derive(Debug, Default)]
pub(crate) struct Store {
    users: IndexMap<String, User>,
    /// Login token → user id.
    tokens: HashMap<String, String>,
    rooms: IndexMap<String, Room>,
    /// Subscription `_id` → subscription.
    subscriptions: IndexMap<String, Subscription>,
    roles: IndexMap<String, Role>,
    permissions: IndexMap<String, Permission>,
    last_moment: i64,
    /// Successful two-factor checks: login token + client fingerprint → when.
    two_factor_checks: HashMap<String, Moment>,
    /// Role lists of permissions that checks still see after `permissions.update`.
    lagging_permissions: Lagging<String>,
    /// Roles of (user, room scope) that checks still see after `roles.*UserToRole`.
    lagging_roles: Lagging<(String, Option<String>)>,
    /// Message `_id` → message, in insertion (and so `ts`) order.
    messages: IndexMap<String, Message>,
    /// Team `_id` → team.
    teams: IndexMap<String, Team>,
    /// Visitor token → visitor.
    visitors: IndexMap<String, Visitor>,
    /// Visitors ever registered (their usernames are numbered).
    visitors_registered: usize,
    /// (room, user) pairs whose subscription a kick or leave deleted.
    departed: HashSet<(String, String)>,
    /// Every role list `permissions.update` wrote, in order (the newest [`WRITES_KEPT`]).
    permission_writes: Vec<(String, Vec<String>)>,
}

/// How many permission writes the store remembers.
const WRITES_KEPT: usize = 100_000;

impl Store {
    /// An empty store whose permission and role changes reach permission checks `lag` after
    /// they are made.
    pub(crate) fn with_permission_lag(lag: Duration) -> Store {
        Store {
            lagging_permissions: Lagging::new(lag),
            lagging_roles: Lagging::new(lag),
            ..Store::default()
        }
    }

    /// The current instant, strictly after every instant handed out before.
    pub(crate) fn now(&mut self) -> Moment {
        let millis = Moment::now().millis().max(self.last_moment + 1);
        self.last_moment = millis;
        Moment::from_millis(millis)
    }

    // ----- two-factor -----

    /// Whether a two-factor check of this login and client succeeded within `window_ms`.
    pub(crate) fn two_factor_remembered(&self, key: &str, window_ms: i64) -> bool {
        self.two_factor_checks
            .get(key)
            .is_some_and(|at| Moment::now().millis() - at.millis() < window_ms)
    }

    /// Remembers a successful two-factor check of this login and client.
    pub(crate) fn remember_two_factor(&mut self, key: String) {
        let now = self.now();
        self.two_factor_checks.insert(key, now);
    }

    // ----- users -----

    pub(crate) fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }

    pub(crate) fn user_mut(&mut self, id: &str) -> Option<&mut User> {
        self.users.get_mut(id)
    }

    /// Case-insensitive username lookup (`findOneByUsernameIgnoringCase`).
    pub(crate) fn user_by_username(&self, username: &str) -> Option<&User> {
        self.users
            .values()
            .find(|user| user.username.to_lowercase() == username.to_lowercase())
    }

    /// Case-insensitive e-mail lookup.
    pub(crate) fn user_by_email(&self, address: &str) -> Option<&User> {
        self.users.values().find(|user| {
            user.emails
                .iter()
                .any(|email| email.address.to_lowercase() == address.to_lowercase())
        })
    }

    pub(crate) fn insert_user(&mut self, user: User) {
        self.users.insert(user.id.clone(), user);
    }

    /// Removes the user document, its tokens and its subscriptions (without touching counts).
    pub(crate) fn remove_user(&mut self, id: &str) {
        self.users.shift_remove(id);
        self.revoke_tokens_of(id);
        self.subscriptions.retain(|_, sub| sub.user_id != id);
    }

    /// Active users holding the global `admin` role.
    pub(crate) fn active_admin_count(&self) -> usize {
        self.users
            .values()
            .filter(|user| user.active && user.roles.iter().any(|role| role == "admin"))
            .count()
    }

    // ----- login tokens -----

    pub(crate) fn issue_token(&mut self, user_id: &str) -> String {
        let token = ids::login_token();
        self.tokens.insert(token.clone(), user_id.to_owned());
        token
    }

    /// The user owning `token`, if the token exists and belongs to `user_id`.
    pub(crate) fn authenticate(&self, user_id: &str, token: &str) -> Option<&User> {
        match self.tokens.get(token) {
            Some(owner) if owner == user_id => self.users.get(user_id),
            _ => None,
        }
    }

    /// The user a login token belongs to (`resume` logins).
    pub(crate) fn token_owner(&self, token: &str) -> Option<&User> {
        self.tokens
            .get(token)
            .and_then(|owner| self.users.get(owner))
    }

    pub(crate) fn revoke_token(&mut self, token: &str) {
        self.tokens.remove(token);
    }

    pub(crate) fn revoke_tokens_of(&mut self, user_id: &str) {
        self.tokens.retain(|_, owner| owner != user_id);
    }

    // ----- rooms -----

    pub(crate) fn rooms(&self) -> impl Iterator<Item = &Room> {
        self.rooms.values()
    }

    pub(crate) fn room(&self, id: &str) -> Option<&Room> {
        self.rooms.get(id)
    }

    pub(crate) fn room_mut(&mut self, id: &str) -> Option<&mut Room> {
        self.rooms.get_mut(id)
    }

    /// Exact name match (`Rooms.findOneByName`).
    pub(crate) fn room_by_name(&self, name: &str) -> Option<&Room> {
        self.rooms
            .values()
            .find(|room| room.name.as_deref() == Some(name))
    }

    /// `Rooms.findOneByIdOrName`: the first room whose `_id` or `name` equals `text`.
    pub(crate) fn room_by_id_or_name(&self, text: &str) -> Option<&Room> {
        self.rooms
            .values()
            .find(|room| room.id == text || room.name.as_deref() == Some(text))
    }

    pub(crate) fn insert_room(&mut self, room: Room) {
        self.rooms.insert(room.id.clone(), room);
    }

    /// Deletes the room, every subscription to it and its messages (`eraseRoom`).
    pub(crate) fn remove_room(&mut self, id: &str) {
        self.rooms.shift_remove(id);
        self.subscriptions.retain(|_, sub| sub.room_id != id);
        self.messages.retain(|_, message| message.room_id != id);
    }

    /// Changes `usersCount` by `delta` (never below zero) and touches `_updatedAt`.
    pub(crate) fn adjust_users_count(&mut self, room_id: &str, delta: i64) {
        let now = self.now();
        if let Some(room) = self.rooms.get_mut(room_id) {
            room.users_count = room.users_count.saturating_add_signed(delta);
            room.updated_at = now;
        }
    }

    // ----- subscriptions -----

    /// The (first) subscription of `user_id` to `room_id`, banned or not
    /// (`Subscriptions.findOneByRoomIdAndUserId`).
    pub(crate) fn subscription(&self, room_id: &str, user_id: &str) -> Option<&Subscription> {
        self.subscriptions
            .values()
            .find(|sub| sub.room_id == room_id && sub.user_id == user_id)
    }

    pub(crate) fn subscription_mut(
        &mut self,
        room_id: &str,
        user_id: &str,
    ) -> Option<&mut Subscription> {
        self.subscriptions
            .values_mut()
            .find(|sub| sub.room_id == room_id && sub.user_id == user_id)
    }

    /// Whether the user holds a subscription to the room that is not banned.
    pub(crate) fn is_member(&self, room_id: &str, user_id: &str) -> bool {
        self.subscriptions
            .values()
            .any(|sub| sub.room_id == room_id && sub.user_id == user_id && !sub.banned)
    }

    /// Inserts a subscription; `usersCount` is the caller's business.
    pub(crate) fn subscribe(&mut self, room_id: &str, user_id: &str, roles: Vec<String>) {
        let subscription = Subscription {
            room_id: room_id.to_owned(),
            user_id: user_id.to_owned(),
            roles,
            banned: false,
        };
        self.subscriptions.insert(ids::document_id(), subscription);
    }

    /// Deletes every subscription of the user to the room; returns how many went
    /// (`Subscriptions.removeByRoomIdAndUserId`). `usersCount` is the caller's business.
    pub(crate) fn unsubscribe(&mut self, room_id: &str, user_id: &str) -> usize {
        let before = self.subscriptions.len();
        self.subscriptions
            .retain(|_, sub| !(sub.room_id == room_id && sub.user_id == user_id));
        before - self.subscriptions.len()
    }

    /// Marks the user's subscriptions to the room `status: "BANNED"` and drops their room
    /// roles (`banByRoomIdAndUserId`, `removeUserFromRolesAsync`).
    pub(crate) fn ban(&mut self, room_id: &str, user_id: &str) {
        for sub in self.subscriptions.values_mut() {
            if sub.room_id == room_id && sub.user_id == user_id {
                sub.banned = true;
                sub.roles.clear();
            }
        }
    }

    /// Subscribes and counts the new member.
    pub(crate) fn join(&mut self, room_id: &str, user_id: &str, roles: Vec<String>) {
        self.subscribe(room_id, user_id, roles);
        self.adjust_users_count(room_id, 1);
    }

    /// The room's subscriptions that are memberships (banned ones skipped).
    pub(crate) fn subscriptions_of_room<'a>(
        &'a self,
        room_id: &'a str,
    ) -> impl Iterator<Item = &'a Subscription> + 'a {
        self.subscriptions
            .values()
            .filter(move |sub| sub.room_id == room_id && !sub.banned)
    }

    pub(crate) fn subscriptions_of_user<'a>(
        &'a self,
        user_id: &'a str,
    ) -> impl Iterator<Item = &'a Subscription> + 'a {
        self.subscriptions
            .values()
            .filter(move |sub| sub.user_id == user_id && !sub.banned)
    }

    // ----- roles and permissions -----

    pub(crate) fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    pub(crate) fn role(&self, id: &str) -> Option<&Role> {
        self.roles.get(id)
    }

    /// A role by `_id`, or else by `name`.
    pub(crate) fn role_by_id_or_name(&self, text: &str) -> Option<&Role> {
        self.roles
            .get(text)
            .or_else(|| self.roles.values().find(|role| role.name == text))
    }

    pub(crate) fn insert_role(&mut self, role: Role) {
        self.roles.insert(role.id.clone(), role);
    }

    pub(crate) fn remove_role(&mut self, id: &str) {
        self.roles.shift_remove(id);
    }

    /// Whether anyone holds the role, globally or on a subscription.
    pub(crate) fn role_in_use(&self, id: &str) -> bool {
        self.users
            .values()
            .any(|user| user.roles.iter().any(|role| role == id))
            || self
                .subscriptions
                .values()
                .any(|sub| sub.roles.iter().any(|role| role == id))
    }

    pub(crate) fn permissions(&self) -> impl Iterator<Item = &Permission> {
        self.permissions.values()
    }

    pub(crate) fn permission(&self, id: &str) -> Option<&Permission> {
        self.permissions.get(id)
    }

    /// Replaces the role list of a permission (the stored document changes at once; checks
    /// see the change after the permission lag).
    pub(crate) fn set_permission_roles(&mut self, id: &str, roles: Vec<String>) {
        let now = self.now();
        if let Some(permission) = self.permissions.get_mut(id) {
            if self.permission_writes.len() >= WRITES_KEPT {
                self.permission_writes.remove(0);
            }
            self.permission_writes.push((id.to_owned(), roles.clone()));
            let before = std::mem::replace(&mut permission.roles, roles);
            permission.updated_at = now;
            // The lag runs on the wall clock that checks read (`now` may run ahead of it: it
            // is strictly increasing over every instant the store hands out).
            self.lagging_permissions
                .change(id.to_owned(), before, Moment::now());
        }
    }

    /// Every role list written to a permission since the server started, in order.
    pub(crate) fn permission_writes(&self) -> &[(String, Vec<String>)] {
        &self.permission_writes
    }

    pub(crate) fn insert_permission(&mut self, permission: Permission) {
        self.permissions.insert(permission.id.clone(), permission);
    }

    /// The stored roles of `user_id`: global ones, or those on its subscription to `room`.
    fn stored_roles(&self, user_id: &str, room: Option<&str>) -> Vec<String> {
        match room {
            None => self
                .users
                .get(user_id)
                .map(|user| user.roles.clone())
                .unwrap_or_default(),
            Some(room_id) => self
                .subscriptions
                .values()
                .filter(|sub| sub.room_id == room_id && sub.user_id == user_id)
                .flat_map(|sub| sub.roles.iter().cloned())
                .collect(),
        }
    }

    /// Call before `roles.addUserToRole` / `roles.removeUserFromRole` change the roles of
    /// `user_id` (globally, or on its subscription to `room`): checks keep seeing the current
    /// roles for the permission lag.
    pub(crate) fn lag_role_change(&mut self, user_id: &str, room: Option<&str>) {
        let before = self.stored_roles(user_id, room);
        let now = Moment::now();
        self.lagging_roles
            .change((user_id.to_owned(), room.map(str::to_owned)), before, now);
    }

    /// The roles that count for `user_id` in a check at `now`: global roles, plus the
    /// subscription's roles when a room is given as scope.
    fn roles_seen(&self, user_id: &str, room_scope: Option<&str>, now: Moment) -> Vec<String> {
        let seen = |room: Option<&str>| {
            let key = || (user_id.to_owned(), room.map(str::to_owned));
            match self.lagging_roles.seen(key, now) {
                Some(roles) => roles.to_vec(),
                None => self.stored_roles(user_id, room),
            }
        };
        let mut roles = seen(None);
        if room_scope.is_some() {
            roles.extend(seen(room_scope));
        }
        roles
    }

    /// `hasPermission(user, permission, scope)`, as the role cache sees it now.
    pub(crate) fn has_permission(
        &self,
        user_id: &str,
        permission: &str,
        room_scope: Option<&str>,
    ) -> bool {
        let Some(stored) = self.permissions.get(permission) else {
            return false;
        };
        let now = Moment::now();
        let granted = self
            .lagging_permissions
            .seen(|| permission.to_owned(), now)
            .unwrap_or(&stored.roles);
        self.roles_seen(user_id, room_scope, now)
            .iter()
            .any(|role| granted.contains(role))
    }

    /// Whether the user holds the role: globally for `Users` roles, on the room's subscription
    /// for `Subscriptions` roles (`hasRole(uid, role, scope)`).
    pub(crate) fn has_role(&self, user_id: &str, role: &Role, room_scope: Option<&str>) -> bool {
        match role.scope {
            RoleScope::Users => self
                .users
                .get(user_id)
                .is_some_and(|user| user.roles.contains(&role.id)),
            RoleScope::Subscriptions => room_scope.is_some_and(|room_id| {
                self.subscription(room_id, user_id)
                    .is_some_and(|sub| sub.roles.contains(&role.id))
            }),
        }
    }

    /// Direct rooms whose participants include `user_id`.
    pub(crate) fn direct_rooms_of(&self, user_id: &str) -> Vec<String> {
        self.rooms
            .values()
            .filter(|room| {
                room.kind == RoomKind::Direct
                    && room.participants.iter().any(|(id, _)| id == user_id)
            })
            .map(|room| room.id.clone())
            .collect()
    }
}

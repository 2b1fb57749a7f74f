//! Name resolution for one case file: raw cases → [`Case`], reporting every undefined
//! user, room, premise, schema or role with its position and field path.
//!
//! Owned by the loader; it sees one file at a time and never reads the disk.

use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use indexmap::IndexMap;
use serde_saphyr::Location;

use super::diagnostic::Diagnostic;
use super::load::{KnownNames, version_range};
use super::model::{Case, Origin, RoomRef, Setup, UserFixture, UserRef};
use super::raw::{RawCall, RawCase, Spanned};

/// Names reserved for things the target already has.
pub(super) const BUILTIN_USERS: [&str; 2] = ["admin", "bot"];
pub(super) const BUILTIN_ROOMS: [&str; 1] = ["general"];

/// Resolves the cases of one file.
pub(super) struct Resolver<'a> {
    file: Utf8PathBuf,
    source: Arc<str>,
    pub(super) known: &'a KnownNames,
    pub(super) diagnostics: Vec<Diagnostic>,
}

/// The names one case defines.
pub(super) struct Scope<'s> {
    pub(super) users: &'s IndexMap<String, UserFixture>,
    pub(super) rooms: Vec<String>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(file: &Utf8Path, source: Arc<str>, known: &'a KnownNames) -> Self {
        Resolver {
            file: file.to_owned(),
            source,
            known,
            diagnostics: Vec::new(),
        }
    }

    pub(super) fn origin(&self, at: &Location) -> Origin {
        Origin {
            file: self.file.clone(),
            line: at.line(),
            column: at.column(),
        }
    }

    pub(super) fn report(&mut self, at: &Origin, field: String, message: String) {
        self.diagnostics.push(Diagnostic::new(
            self.file.clone(),
            Some(self.source.clone()),
            at.line,
            at.column,
            field,
            message,
        ));
    }

    pub(super) fn report_at(&mut self, at: &Location, field: String, message: String) {
        let origin = self.origin(at);
        self.report(&origin, field, message);
    }

    /// Resolves one case; `None` when it had errors (already reported).
    pub(super) fn case(&mut self, index: usize, raw: Spanned<RawCase>) -> Option<Case> {
        let before = self.diagnostics.len();
        let origin = self.origin(&raw.referenced);
        let raw = raw.value;
        let f = format!("cases[{index}]");
        if raw.id.value.trim().is_empty() {
            self.report_at(
                &raw.id.referenced,
                format!("{f}.id"),
                "the id must not be empty".into(),
            );
        }
        if !self.known.premises.contains(&raw.premise.value) {
            let names: Vec<&str> = self.known.premises.iter().map(String::as_str).collect();
            self.report_at(
                &raw.premise.referenced,
                format!("{f}.premise"),
                format!(
                    "unknown premise `{}`: expected one of {}",
                    raw.premise.value,
                    names.join(", ")
                ),
            );
        }
        let versions = version_range(self, &f, raw.since, raw.until);
        let declared_rooms: Vec<String> = raw.setup.rooms.keys().cloned().collect();
        let setup = self.setup(&f, raw.setup);
        let (requires, versions) = self.requirements(&f, &origin, raw.requires, &setup, versions);
        let single = raw.call.is_some();
        let raw_calls: Vec<Spanned<RawCall>> = match (raw.call, raw.calls) {
            (Some(call), calls) if calls.is_empty() => vec![call],
            (None, calls) if !calls.is_empty() => calls,
            (None, _) => {
                self.report(&origin, f.clone(), "a case needs `call` or `calls`".into());
                Vec::new()
            }
            (Some(call), _) => {
                self.report_at(
                    &call.referenced,
                    format!("{f}.call"),
                    "give either `call` or `calls`, not both".into(),
                );
                Vec::new()
            }
        };
        let scope = Scope {
            users: &setup.users,
            rooms: declared_rooms,
        };
        let mut calls = Vec::with_capacity(raw_calls.len());
        for (i, call) in raw_calls.into_iter().enumerate() {
            let field = if single {
                format!("{f}.call")
            } else {
                format!("{f}.calls[{i}]")
            };
            if let Some(call) = self.call(&field, &scope, call) {
                calls.push(call);
            }
        }
        if self.diagnostics.len() > before {
            return None;
        }
        Some(Case {
            id: raw.id.value.into(),
            title: raw.title,
            endpoint: raw.endpoint,
            premise: raw.premise.value.into(),
            source: raw.source,
            divergence: raw.divergence,
            versions,
            requires,
            setup,
            calls,
            origin,
        })
    }

    fn setup(&mut self, f: &str, raw: super::raw::RawSetup) -> Setup {
        let mut setup = Setup::default();
        for (name, user) in raw.users {
            let field = format!("{f}.setup.users.{name}");
            self.check_name(&user.referenced, &field, &name, &BUILTIN_USERS);
            let roles = user.value.roles.unwrap_or_else(|| vec!["user".to_owned()]);
            for role in &roles {
                self.check_role(&user.referenced, &format!("{field}.roles"), role);
            }
            setup.users.insert(
                name,
                UserFixture {
                    roles,
                    active: user.value.active,
                },
            );
        }
        for (permission, roles) in raw.permissions {
            for role in &roles.value {
                self.check_role(
                    &roles.referenced,
                    &format!("{f}.setup.permissions.{permission}"),
                    role,
                );
            }
            setup.permissions.insert(permission, roles.value);
        }
        for (name, room) in &raw.rooms {
            let field = format!("{f}.setup.rooms.{name}");
            self.check_name(&room.referenced, &field, name, &BUILTIN_ROOMS);
            if setup.users.contains_key(name) {
                self.report_at(
                    &room.referenced,
                    field,
                    format!(
                        "`{name}` names both a user and a room; names must be unique within a case"
                    ),
                );
            }
        }
        let declared: Vec<(String, crate::api::RoomType)> = raw
            .rooms
            .iter()
            .map(|(name, room)| (name.clone(), room.value.room_type))
            .collect();
        for (index, (name, room)) in raw.rooms.into_iter().enumerate() {
            let field = format!("{f}.setup.rooms.{name}");
            let earlier = &declared[..index];
            if let Some(fixture) = self.room(&field, &setup.users, earlier, room) {
                setup.rooms.insert(name, fixture);
            }
        }
        setup
    }

    pub(super) fn check_name(&mut self, at: &Location, field: &str, name: &str, reserved: &[&str]) {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            self.report_at(
                at,
                field.to_owned(),
                format!("`{name}` is not a valid logical name: expected lower-case letters, digits and `-`, starting with a letter"),
            );
        }
        if reserved.contains(&name) {
            self.report_at(
                at,
                field.to_owned(),
                format!("`{name}` is reserved for the target's own `{name}`; pick another name"),
            );
        }
    }

    pub(super) fn check_role(&mut self, at: &Location, field: &str, role: &str) {
        if !self.known.roles.is_empty() && !self.known.roles.contains(role) {
            let names: Vec<&str> = self.known.roles.iter().map(String::as_str).collect();
            self.report_at(
                at,
                field.to_owned(),
                format!(
                    "unknown role `{role}`: expected one of {}",
                    names.join(", ")
                ),
            );
        }
    }

    pub(super) fn user_ref(
        &mut self,
        users: &IndexMap<String, UserFixture>,
        field: String,
        name: &Spanned<String>,
    ) -> Option<UserRef> {
        match name.value.as_str() {
            "admin" => Some(UserRef::Admin),
            "bot" => Some(UserRef::Bot),
            n if users.contains_key(n) => Some(UserRef::Fixture(n.to_owned())),
            n => {
                let mut defined: Vec<&str> = users.keys().map(String::as_str).collect();
                defined.extend(BUILTIN_USERS);
                self.report_at(
                    &name.referenced,
                    field,
                    format!(
                        "undefined user `{n}`: expected one of {}",
                        defined.join(", ")
                    ),
                );
                None
            }
        }
    }

    pub(super) fn user_refs(
        &mut self,
        users: &IndexMap<String, UserFixture>,
        field: &str,
        names: &[Spanned<String>],
    ) -> Vec<UserRef> {
        names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| self.user_ref(users, format!("{field}[{i}]"), n))
            .collect()
    }

    pub(super) fn room_ref(
        &mut self,
        rooms: &[String],
        field: String,
        name: &str,
        at: &Location,
    ) -> Option<RoomRef> {
        if name == "general" {
            return Some(RoomRef::General);
        }
        if rooms.iter().any(|r| r == name) {
            return Some(RoomRef::Fixture(name.to_owned()));
        }
        let mut defined: Vec<&str> = rooms.iter().map(String::as_str).collect();
        defined.extend(BUILTIN_ROOMS);
        self.report_at(
            at,
            field,
            format!(
                "undefined room `{name}`: expected one of {}",
                defined.join(", ")
            ),
        );
        None
    }
}

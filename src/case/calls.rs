//! Resolving a case's calls: who calls and how, the body with its `$references`, the
//! expectation and its version alternatives.

use indexmap::IndexMap;
use serde_saphyr::Location;

use super::kinds::MessageExpectation;
use super::load::version_range;
use super::model::{
    Alternative, Auth, Body, Call, Expectation, MembershipExpectation, Origin, Reference,
    RoomDelta, RoomField, RoomRef, Template, UserField,
};
use super::raw::{RawAlternative, RawAuth, RawCall, RawExpect, RawMessage, Spanned};
use super::resolve::{BUILTIN_ROOMS, BUILTIN_USERS, Resolver, Scope};

impl Resolver<'_> {
    pub(super) fn call(
        &mut self,
        f: &str,
        scope: &Scope<'_>,
        raw: Spanned<RawCall>,
    ) -> Option<Call> {
        let origin = self.origin(&raw.referenced);
        let raw = raw.value;
        let before = self.diagnostics.len();
        let auth = self.auth(f, scope, &origin, raw.actor.as_ref(), raw.auth);
        let bodies = match raw.concurrent {
            Some(list) if raw.body.is_none() && raw.raw.is_none() => {
                self.concurrent(f, scope, list)
            }
            Some(list) => {
                self.report_at(
                    &list.referenced,
                    format!("{f}.concurrent"),
                    "`concurrent` lists the bodies sent at once: give it instead of `body` or `raw`".into(),
                );
                None
            }
            None => self
                .body(f, scope, &origin, raw.body, raw.raw, raw.content_type)
                .map(|b| (b, Vec::new())),
        };
        let expect = self.expect(&format!("{f}.expect"), scope, raw.expect);
        let alternatives = self.alternatives(f, scope, raw.alternatives);
        if self.diagnostics.len() > before {
            return None;
        }
        let (body, together) = bodies?;
        Some(Call {
            auth: auth?,
            body,
            together,
            expect,
            alternatives,
            origin,
        })
    }

    /// Who calls and how: `as` with `auth`.
    fn auth(
        &mut self,
        f: &str,
        scope: &Scope<'_>,
        origin: &Origin,
        actor: Option<&Spanned<String>>,
        auth: Option<RawAuth>,
    ) -> Option<Auth> {
        let user = actor.and_then(|a| self.user_ref(scope.users, format!("{f}.as"), a));
        match (auth.unwrap_or(RawAuth::Session), user) {
            (RawAuth::None, None) if actor.is_none() => Some(Auth::None),
            (RawAuth::None, _) => {
                self.report(
                    origin,
                    format!("{f}.as"),
                    "`auth: none` takes no `as`".into(),
                );
                None
            }
            (_, None) if actor.is_none() => {
                self.report(
                    origin,
                    format!("{f}.as"),
                    "missing `as`: the user who calls".into(),
                );
                None
            }
            (_, None) => None,
            (RawAuth::Session, Some(u)) => Some(Auth::As(u)),
            (RawAuth::WrongToken, Some(u)) => Some(Auth::WrongToken(u)),
            (RawAuth::UserIdOnly, Some(u)) => Some(Auth::UserIdOnly(u)),
            (RawAuth::TokenOnly, Some(u)) => Some(Auth::TokenOnly(u)),
        }
    }

    /// The request body: `body` (JSON with references) or `raw` text.
    fn body(
        &mut self,
        f: &str,
        scope: &Scope<'_>,
        origin: &Origin,
        body: Option<Spanned<serde_json::Value>>,
        raw: Option<String>,
        content_type: Option<String>,
    ) -> Option<Body> {
        match (body, raw) {
            (Some(body), None) => {
                if content_type.is_some() {
                    self.report(
                        origin,
                        format!("{f}.content_type"),
                        "`content_type` goes with `raw`, not `body`".into(),
                    );
                }
                self.template(&format!("{f}.body"), scope, &body.referenced, body.value)
                    .map(Body::Json)
            }
            (None, Some(text)) => Some(Body::Raw { text, content_type }),
            (None, None) => {
                self.report(
                    origin,
                    f.to_owned(),
                    "a call needs `body` (JSON with $references) or `raw` (text sent as is)".into(),
                );
                None
            }
            (Some(_), Some(_)) => {
                self.report(
                    origin,
                    f.to_owned(),
                    "give either `body` or `raw`, not both".into(),
                );
                None
            }
        }
    }

    /// `concurrent:`: two or more JSON bodies with references, sent at the same moment.
    fn concurrent(
        &mut self,
        f: &str,
        scope: &Scope<'_>,
        list: Spanned<Vec<serde_json::Value>>,
    ) -> Option<(Body, Vec<Body>)> {
        let at = list.referenced;
        if list.value.len() < 2 {
            self.report_at(
                &at,
                format!("{f}.concurrent"),
                "`concurrent` sends two or more bodies at once: for one, write `body`".into(),
            );
            return None;
        }
        let mut bodies = Vec::new();
        for (i, value) in list.value.into_iter().enumerate() {
            let field = format!("{f}.concurrent[{i}]");
            bodies.push(Body::Json(self.template(&field, scope, &at, value)?));
        }
        let first = bodies.remove(0);
        Some((first, bodies))
    }

    /// Other acceptable outcomes, each with its version condition.
    fn alternatives(
        &mut self,
        f: &str,
        scope: &Scope<'_>,
        raw: Vec<Spanned<RawAlternative>>,
    ) -> Vec<Alternative> {
        let mut alternatives = Vec::new();
        for (i, alt) in raw.into_iter().enumerate() {
            let af = format!("{f}.alternatives[{i}]");
            let versions = version_range(self, &af, alt.value.since, alt.value.until);
            if versions.is_any() {
                self.report_at(
                    &alt.referenced,
                    af.clone(),
                    "an alternative needs `since` or `until`".into(),
                );
            }
            let expect = self.expect(&format!("{af}.expect"), scope, alt.value.expect);
            alternatives.push(Alternative {
                versions,
                source: alt.value.source,
                expect,
            });
        }
        alternatives
    }

    pub(super) fn expect(
        &mut self,
        f: &str,
        scope: &Scope<'_>,
        raw: Spanned<RawExpect>,
    ) -> Expectation {
        let at = raw.referenced;
        let raw = raw.value;
        if let Some(schema) = &raw.schema
            && !self.known.schemas.contains(&schema.value)
        {
            let names: Vec<&str> = self.known.schemas.iter().map(String::as_str).collect();
            self.report_at(
                &schema.referenced,
                format!("{f}.schema"),
                format!(
                    "unknown schema id `{}`: expected one of {}",
                    schema.value,
                    names.join(", ")
                ),
            );
        }
        if !(100..=599).contains(&raw.status) {
            self.report_at(
                &at,
                format!("{f}.status"),
                format!("{} is not an HTTP status", raw.status),
            );
        }
        for pointer in raw.fields.keys() {
            if !pointer.starts_with('/') {
                self.report_at(
                    &at,
                    format!("{f}.fields"),
                    format!("`{pointer}` is not a JSON pointer: expected it to start with `/`"),
                );
            }
        }
        let mut members_after = IndexMap::new();
        for (room, m) in raw.members_after {
            let field = format!("{f}.members_after.{room}");
            let Some(r) = self.room_ref(&scope.rooms, field.clone(), &room, &m.referenced) else {
                continue;
            };
            let includes =
                self.user_refs(scope.users, &format!("{field}.includes"), &m.value.includes);
            let excludes =
                self.user_refs(scope.users, &format!("{field}.excludes"), &m.value.excludes);
            members_after.insert(r, MembershipExpectation { includes, excludes });
        }
        let mut room_delta = IndexMap::new();
        for (room, d) in raw.room_delta {
            let field = format!("{f}.room_delta.{room}");
            if let Some(r) = self.room_ref(&scope.rooms, field, &room, &d.referenced) {
                room_delta.insert(
                    r,
                    RoomDelta {
                        users_count: d.value.users_count,
                        msgs: d.value.msgs,
                    },
                );
            }
        }
        let messages_after = self.messages_after(f, scope, raw.messages_after);
        let answer_room = self.answer_room(f, scope, raw.status, raw.answer_room);
        Expectation {
            status: raw.status,
            success: raw.success,
            error_type: raw.error_type,
            error: raw.error,
            absent: raw.absent,
            fields: raw.fields,
            schema: raw.schema.map(|s| s.value),
            members_after,
            room_delta,
            messages_after,
            answer_room,
        }
    }

    /// `answer_room`: a room of the case, for a 200 answer.
    fn answer_room(
        &mut self,
        f: &str,
        scope: &Scope<'_>,
        status: u16,
        raw: Option<Spanned<String>>,
    ) -> Option<RoomRef> {
        let room = raw?;
        let field = format!("{f}.answer_room");
        if status != 200 {
            self.report_at(
                &room.referenced,
                field.clone(),
                "`answer_room` compares the room object of a 200 answer: the expectation's status must be 200".into(),
            );
        }
        self.room_ref(&scope.rooms, field, &room.value, &room.referenced)
    }

    /// `messages_after`: per room, the system messages the call records (`t`, `by`, `user`).
    fn messages_after(
        &mut self,
        f: &str,
        scope: &Scope<'_>,
        raw: IndexMap<String, Spanned<Vec<RawMessage>>>,
    ) -> IndexMap<RoomRef, Vec<MessageExpectation>> {
        let mut out = IndexMap::new();
        for (room, list) in raw {
            let field = format!("{f}.messages_after.{room}");
            let Some(r) = self.room_ref(&scope.rooms, field.clone(), &room, &list.referenced)
            else {
                continue;
            };
            let mut messages = Vec::new();
            for (i, m) in list.value.into_iter().enumerate() {
                let by = self.user_ref(scope.users, format!("{field}[{i}].by"), &m.by);
                let user = self.user_ref(scope.users, format!("{field}[{i}].user"), &m.user);
                if let (Some(by), Some(user)) = (by, user) {
                    messages.push(MessageExpectation { t: m.t, by, user });
                }
            }
            out.insert(r, messages);
        }
        out
    }

    /// Turns a JSON value into a template; strings `$name[.field]` become references and
    /// `$$…` stands for a literal `$…`.
    fn template(
        &mut self,
        field: &str,
        scope: &Scope<'_>,
        at: &Location,
        value: serde_json::Value,
    ) -> Option<Template> {
        use serde_json::Value;
        match value {
            Value::String(s) if s.starts_with("$$") => {
                Some(Template::Literal(Value::String(s[1..].to_owned())))
            }
            Value::String(s) if s.starts_with('$') => {
                self.reference(field, scope, at, &s[1..]).map(Template::Ref)
            }
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    out.push(self.template(&format!("{field}[{i}]"), scope, at, item)?);
                }
                Some(simplify_array(out))
            }
            Value::Object(map) => {
                let mut out = IndexMap::new();
                for (k, v) in map {
                    let t = self.template(&format!("{field}.{k}"), scope, at, v)?;
                    out.insert(k, t);
                }
                Some(simplify_object(out))
            }
            other => Some(Template::Literal(other)),
        }
    }

    fn reference(
        &mut self,
        field: &str,
        scope: &Scope<'_>,
        at: &Location,
        text: &str,
    ) -> Option<Reference> {
        let (name, property) = match text.split_once('.') {
            Some((n, p)) => (n, Some(p)),
            None => (text, None),
        };
        let is_user = BUILTIN_USERS.contains(&name) || scope.users.contains_key(name);
        let is_room = BUILTIN_ROOMS.contains(&name) || scope.rooms.iter().any(|r| r == name);
        let spanned = Spanned {
            value: name.to_owned(),
            referenced: *at,
            defined: *at,
        };
        if is_user {
            let user = self.user_ref(scope.users, field.to_owned(), &spanned)?;
            let which = match property {
                None | Some("id") => UserField::Id,
                Some("username") => UserField::Username,
                Some(other) => {
                    self.report_at(
                        at,
                        field.to_owned(),
                        format!(
                            "`${text}`: a user reference takes `.id` or `.username`, not `.{other}`"
                        ),
                    );
                    return None;
                }
            };
            return Some(Reference::User(user, which));
        }
        if is_room {
            let room = self.room_ref(&scope.rooms, field.to_owned(), name, at)?;
            let which = match property {
                None | Some("id") => RoomField::Id,
                Some("name") => RoomField::Name,
                Some(other) => {
                    self.report_at(
                        at,
                        field.to_owned(),
                        format!(
                            "`${text}`: a room reference takes `.id` or `.name`, not `.{other}`"
                        ),
                    );
                    return None;
                }
            };
            return Some(Reference::Room(room, which));
        }
        let mut defined: Vec<&str> = scope.users.keys().map(String::as_str).collect();
        defined.extend(scope.rooms.iter().map(String::as_str));
        defined.extend(BUILTIN_USERS);
        defined.extend(BUILTIN_ROOMS);
        self.report_at(
            at,
            field.to_owned(),
            format!("undefined reference `${name}`: expected a user or room of the setup ({}); write `$${name}` for a literal", defined.join(", ")),
        );
        None
    }
}

fn simplify_array(items: Vec<Template>) -> Template {
    if items.iter().all(|t| matches!(t, Template::Literal(_))) {
        Template::Literal(serde_json::Value::Array(
            items
                .into_iter()
                .filter_map(|t| match t {
                    Template::Literal(v) => Some(v),
                    _ => None,
                })
                .collect(),
        ))
    } else {
        Template::Array(items)
    }
}

fn simplify_object(map: IndexMap<String, Template>) -> Template {
    if map.values().all(|t| matches!(t, Template::Literal(_))) {
        Template::Literal(serde_json::Value::Object(
            map.into_iter()
                .filter_map(|(k, t)| match t {
                    Template::Literal(v) => Some((k, v)),
                    _ => None,
                })
                .collect(),
        ))
    } else {
        Template::Object(map)
    }
}

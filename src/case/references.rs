//! What a case's calls reference: the users their bodies name, whether they touch the shared
//! `general` channel.

use super::model::{Body, Case, Reference, RoomRef, Template, UserRef};

impl Case {
    /// The users the JSON bodies of the case's calls reference, in order (repeats kept).
    pub fn users_named_by_bodies(&self) -> Vec<UserRef> {
        fn users_in(template: &Template, out: &mut Vec<UserRef>) {
            match template {
                Template::Literal(_) | Template::Ref(Reference::Room(..)) => {}
                Template::Ref(Reference::User(user, _)) => out.push(user.clone()),
                Template::Array(items) => items.iter().for_each(|t| users_in(t, out)),
                Template::Object(map) => map.values().for_each(|t| users_in(t, out)),
            }
        }
        let mut users = Vec::new();
        for call in &self.calls {
            for body in call.bodies() {
                if let Body::Json(template) = body {
                    users_in(template, &mut users);
                }
            }
        }
        users
    }

    /// Whether the case uses the target's shared `general` channel (in a body or an
    /// expectation): such cases must not run alongside each other.
    pub fn touches_general(&self) -> bool {
        fn in_template(t: &Template) -> bool {
            match t {
                Template::Literal(_) | Template::Ref(Reference::User(..)) => false,
                Template::Ref(Reference::Room(r, _)) => *r == RoomRef::General,
                Template::Array(items) => items.iter().any(in_template),
                Template::Object(map) => map.values().any(in_template),
            }
        }
        self.calls.iter().any(|call| {
            let in_body = matches!(&call.body, Body::Json(t) if in_template(t));
            let in_expect = std::iter::once(&call.expect)
                .chain(call.alternatives.iter().map(|a| &a.expect))
                .any(|e| e.rooms().any(|r| *r == RoomRef::General));
            in_body || in_expect
        })
    }
}

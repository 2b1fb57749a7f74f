//! Judging one call: the expectation that applies against what the target answered and the
//! state read afterwards. Pure: no I/O, no clock, so it can be tested and fuzzed alone.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::case::{Expectation, RoomRef, UserRef};
use crate::report::model::SchemaViolation;
use crate::spec::schemas::SchemaRegistry;

/// A room's `(usersCount, msgs)`, each when the room object has it as a number.
pub type Counters = (Option<i64>, Option<i64>);

/// What was observed for one call.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// HTTP status, when a response came.
    pub status: Option<u16>,
    /// The body parsed as JSON, when it was JSON.
    pub body: Option<Value>,
    /// The raw body (for messages about non-JSON bodies).
    pub raw_body: String,
    /// Why no usable response came, if so.
    pub transport_error: Option<String>,
    /// Member user ids of rooms read afterwards.
    pub members_after: BTreeMap<RoomRef, Vec<String>>,
    /// `(usersCount, msgs)` before and after, per room.
    pub counters: BTreeMap<RoomRef, (Counters, Counters)>,
}

/// The judgement of one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judgement {
    /// Expectations that did not hold, "field: expected X, got Y".
    pub mismatches: Vec<String>,
    /// Schema violations of the body.
    pub violations: Vec<SchemaViolation>,
}

impl Judgement {
    /// Whether everything held.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.violations.is_empty()
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        format!(
            "{}…",
            &s[..s
                .char_indices()
                .take_while(|(i, _)| *i < 200)
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8())]
        )
    } else {
        s
    }
}

/// Holds `observed` against `expect`; `user_ids` maps the case's users to their ids.
pub fn judge(
    expect: &Expectation,
    observed: &Observed,
    user_ids: &BTreeMap<UserRef, String>,
    schemas: &SchemaRegistry,
) -> Judgement {
    let mut j = Judgement::default();
    let Some(status) = observed.status else {
        j.mismatches.push(format!(
            "response: expected HTTP {}, got no usable response ({})",
            expect.status,
            observed
                .transport_error
                .as_deref()
                .unwrap_or("unknown transport failure")
        ));
        return j;
    };
    if status != expect.status {
        j.mismatches
            .push(format!("status: expected {}, got {status}", expect.status));
    }
    let needs_body = expect.success.is_some()
        || expect.error_type.is_some()
        || expect.error.is_some()
        || !expect.fields.is_empty()
        || !expect.absent.is_empty()
        || expect.schema.is_some();
    let body = match &observed.body {
        Some(b) => b,
        None if needs_body => {
            let preview: String = observed.raw_body.chars().take(120).collect();
            j.mismatches.push(format!(
                "body: expected JSON, got {} bytes that are not JSON: {preview:?}",
                observed.raw_body.len()
            ));
            return j;
        }
        None => return j,
    };
    let field = |name: &str| body.get(name);
    if let Some(success) = expect.success
        && field("success") != Some(&Value::Bool(success))
    {
        j.mismatches.push(format!(
            "success: expected {success}, got {}",
            field("success").map_or("(absent)".into(), short)
        ));
    }
    if let Some(t) = &expect.error_type
        && field("errorType") != Some(&json!(t))
    {
        j.mismatches.push(format!(
            "errorType: expected {t:?}, got {}",
            field("errorType").map_or("(absent)".into(), short)
        ));
    }
    if let Some(e) = &expect.error
        && field("error") != Some(&json!(e))
    {
        j.mismatches.push(format!(
            "error: expected {e:?}, got {}",
            field("error").map_or("(absent)".into(), short)
        ));
    }
    for key in &expect.absent {
        if let Some(v) = field(key) {
            j.mismatches
                .push(format!("{key}: expected absent, got {}", short(v)));
        }
    }
    for (pointer, value) in &expect.fields {
        match body.pointer(pointer) {
            Some(v) if v == value => {}
            got => j.mismatches.push(format!(
                "{pointer}: expected {}, got {}",
                short(value),
                got.map_or("(absent)".into(), short)
            )),
        }
    }
    if let Some(schema) = &expect.schema {
        match schemas.validate(schema, body) {
            Ok(violations) => {
                j.violations
                    .extend(violations.into_iter().map(|v| SchemaViolation {
                        schema: schema.clone(),
                        pointer: v.instance_pointer,
                        message: v.message,
                    }))
            }
            Err(e) => j.mismatches.push(format!("schema {schema}: {e}")),
        }
    }
    let name_of = |id: &str| {
        user_ids
            .iter()
            .find(|(_, i)| i.as_str() == id)
            .map_or(id.to_owned(), |(u, _)| u.name().to_owned())
    };
    for (room, m) in &expect.members_after {
        let Some(members) = observed.members_after.get(room) else {
            j.mismatches
                .push(format!("members of {}: not read", room.name()));
            continue;
        };
        for user in &m.includes {
            let id = user_ids.get(user);
            if !id.is_some_and(|id| members.contains(id)) {
                let listed: Vec<String> = members.iter().map(|m| name_of(m)).collect();
                j.mismatches.push(format!(
                    "members of {}: expected to include {}, got [{}]",
                    room.name(),
                    user.name(),
                    listed.join(", ")
                ));
            }
        }
        for user in &m.excludes {
            if user_ids.get(user).is_some_and(|id| members.contains(id)) {
                j.mismatches.push(format!(
                    "members of {}: expected not to include {}",
                    room.name(),
                    user.name()
                ));
            }
        }
    }
    for (room, delta) in &expect.room_delta {
        let Some(((users_before, msgs_before), (users_after, msgs_after))) =
            observed.counters.get(room)
        else {
            j.mismatches
                .push(format!("counters of {}: not read", room.name()));
            continue;
        };
        for (name, want, before, after) in [
            ("usersCount", delta.users_count, users_before, users_after),
            ("msgs", delta.msgs, msgs_before, msgs_after),
        ] {
            let Some(want) = want else { continue };
            match (before, after) {
                (Some(b), Some(a)) if a - b == want => {}
                (Some(b), Some(a)) => j.mismatches.push(format!(
                    "{}.{name}: expected to change by {want}, changed by {} ({b} → {a})",
                    room.name(),
                    a - b
                )),
                _ => j.mismatches.push(format!(
                    "{}.{name}: not a number in the room object",
                    room.name()
                )),
            }
        }
    }
    j
}

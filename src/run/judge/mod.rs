//! Judging one call: the expectation that applies against what the target answered and the
//! state read afterwards. Pure: no I/O, no clock, so it can be tested and fuzzed alone.
//!
//! It says *what* differs (each [`Finding`] names its check, what was expected and what came)
//! and which state could not be read; it does not weigh a difference. How much a finding
//! counts (contract, exact, incidental) is the verdict stage's ([`super::verdict`]).

use std::collections::BTreeMap;

use serde_json::{Value, json};

mod surface;

pub use self::surface::ObservedMessage;
use crate::case::{Expectation, RoomRef, UserRef};
use crate::report::model::Check;
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
    /// The answers to the bodies sent together with the first (`concurrent:`), in order:
    /// their status and body only.
    pub together: Vec<Observed>,
    /// The messages each room gained across the call (as many as its `msgs` grew), oldest
    /// first.
    pub messages: BTreeMap<RoomRef, Vec<ObservedMessage>>,
    /// The room objects read after the call.
    pub rooms_after: BTreeMap<RoomRef, Value>,
    /// What the guard of a room the case shares with others found against this case (see
    /// `run::share::guard`).
    pub shared: Vec<SharedRoomNote>,
}

/// The guard's word on one shared room, for one of its cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedRoomNote {
    /// The room changed, and the change is this case's (or no single case's).
    Changed {
        /// The room.
        room: RoomRef,
        /// What changed.
        change: String,
    },
    /// The room's state after the calls could not be read.
    Unread(RoomRef),
}

/// One expectation that did not hold: which check, what was expected, what came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked.
    pub check: Check,
    /// What the expectation says.
    pub expected: String,
    /// What the target answered.
    pub actual: String,
}

impl Finding {
    pub(super) fn new(
        check: Check,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Finding {
        Finding {
            check,
            expected: expected.into(),
            actual: actual.into(),
        }
    }
}

/// The judgement of one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judgement {
    /// Expectations that did not hold.
    pub findings: Vec<Finding>,
    /// State the expectation needs that could not be read (the target's fault or the
    /// network's: it says nothing about conformance).
    pub unread: Vec<String>,
}

impl Judgement {
    /// Whether everything held and everything was read.
    pub fn passed(&self) -> bool {
        self.findings.is_empty() && self.unread.is_empty()
    }
}

/// A value as a mismatch shows it: its JSON text, cut at 200 bytes.
pub(super) fn short(v: &Value) -> String {
    crate::excerpt::cut(&v.to_string(), 200).into_owned()
}

pub(super) fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "(absent)".to_owned(), short)
}

/// Holds `observed` against `expect`; `user_ids` maps the case's users to their ids.
pub fn judge(
    expect: &Expectation,
    observed: &Observed,
    user_ids: &BTreeMap<UserRef, String>,
    schemas: &SchemaRegistry,
) -> Judgement {
    let mut j = judge_answer(expect, observed, schemas);
    for (k, other) in observed.together.iter().enumerate() {
        let of_other = judge_answer(expect, other, schemas);
        j.findings
            .extend(of_other.findings.into_iter().map(|mut f| {
                f.actual = format!("{} (concurrent body {})", f.actual, k + 2);
                f
            }));
    }
    for note in &observed.shared {
        match note {
            SharedRoomNote::Changed { room, change } => j.findings.push(Finding::new(
                Check::Members {
                    room: room.name().to_owned(),
                },
                "the room unchanged: it is shared with other refusals, and a refusal changes nothing",
                change.clone(),
            )),
            SharedRoomNote::Unread(room) => j
                .unread
                .push(format!("the shared room {} after the calls", room.name())),
        }
    }
    if observed.status.is_some() {
        judge_members(&mut j, expect, observed, user_ids);
        judge_counters(&mut j, expect, observed);
        surface::judge_messages(&mut j, expect, observed, user_ids);
        surface::judge_answer_room(&mut j, expect, observed);
    }
    j
}

/// Holds one answer (status and body) against the answer parts of `expect`.
fn judge_answer(expect: &Expectation, observed: &Observed, schemas: &SchemaRegistry) -> Judgement {
    let mut j = Judgement::default();
    let Some(status) = observed.status else {
        j.findings.push(Finding::new(
            Check::Response,
            format!("HTTP {}", expect.status),
            format!(
                "no usable response ({})",
                observed
                    .transport_error
                    .as_deref()
                    .unwrap_or("unknown transport failure")
            ),
        ));
        return j;
    };
    if status != expect.status {
        j.findings.push(Finding::new(
            Check::Status,
            expect.status.to_string(),
            status.to_string(),
        ));
    }
    match &observed.body {
        Some(body) => judge_body(&mut j, expect, body, schemas),
        None if needs_body(expect) => {
            let preview: String = observed.raw_body.chars().take(120).collect();
            j.findings.push(Finding::new(
                Check::Body,
                "JSON",
                format!(
                    "{} bytes that are not JSON: {preview:?}",
                    observed.raw_body.len()
                ),
            ));
        }
        None => {}
    }
    j
}

fn needs_body(expect: &Expectation) -> bool {
    expect.success.is_some()
        || expect.error_type.is_some()
        || expect.error.is_some()
        || !expect.fields.is_empty()
        || !expect.absent.is_empty()
        || expect.schema.is_some()
}

fn judge_body(j: &mut Judgement, expect: &Expectation, body: &Value, schemas: &SchemaRegistry) {
    let field = |name: &str| body.get(name);
    if let Some(success) = expect.success
        && field("success") != Some(&Value::Bool(success))
    {
        j.findings.push(Finding::new(
            Check::Success,
            success.to_string(),
            shown(field("success")),
        ));
    }
    if let Some(t) = &expect.error_type
        && field("errorType") != Some(&json!(t))
    {
        j.findings.push(Finding::new(
            Check::ErrorType,
            format!("{t:?}"),
            shown(field("errorType")),
        ));
    }
    if let Some(e) = &expect.error
        && field("error") != Some(&json!(e))
    {
        j.findings.push(Finding::new(
            Check::Error,
            format!("{e:?}"),
            shown(field("error")),
        ));
    }
    for key in &expect.absent {
        if let Some(v) = field(key) {
            j.findings.push(Finding::new(
                Check::Absent { key: key.clone() },
                "absent",
                short(v),
            ));
        }
    }
    for (pointer, value) in &expect.fields {
        match body.pointer(pointer) {
            Some(v) if v == value => {}
            got => j.findings.push(Finding::new(
                Check::Field {
                    pointer: pointer.clone(),
                },
                short(value),
                shown(got),
            )),
        }
    }
    if let Some(schema) = &expect.schema {
        match schemas.validate(schema, body) {
            Ok(violations) => j.findings.extend(violations.into_iter().map(|v| {
                let actual = shown(body.pointer(&v.instance_pointer));
                Finding::new(
                    Check::Schema {
                        schema: schema.clone(),
                        pointer: v.instance_pointer,
                    },
                    v.message,
                    actual,
                )
            })),
            Err(e) => j.findings.push(Finding::new(
                Check::Schema {
                    schema: schema.clone(),
                    pointer: String::new(),
                },
                "a schema the registry has",
                e.to_string(),
            )),
        }
    }
}

fn judge_members(
    j: &mut Judgement,
    expect: &Expectation,
    observed: &Observed,
    user_ids: &BTreeMap<UserRef, String>,
) {
    let name_of = |id: &str| {
        user_ids
            .iter()
            .find(|(_, i)| i.as_str() == id)
            .map_or(id.to_owned(), |(u, _)| u.name().to_owned())
    };
    for (room, m) in &expect.members_after {
        let Some(members) = observed.members_after.get(room) else {
            j.unread.push(format!("members of {}", room.name()));
            continue;
        };
        let check = || Check::Members {
            room: room.name().to_owned(),
        };
        for user in &m.includes {
            if !user_ids.get(user).is_some_and(|id| members.contains(id)) {
                let listed: Vec<String> = members.iter().map(|m| name_of(m)).collect();
                j.findings.push(Finding::new(
                    check(),
                    format!("to include {}", user.name()),
                    format!("[{}]", listed.join(", ")),
                ));
            }
        }
        for user in &m.excludes {
            if user_ids.get(user).is_some_and(|id| members.contains(id)) {
                j.findings.push(Finding::new(
                    check(),
                    format!("not to include {}", user.name()),
                    format!("{} is a member", user.name()),
                ));
            }
        }
    }
}

fn judge_counters(j: &mut Judgement, expect: &Expectation, observed: &Observed) {
    for (room, delta) in &expect.room_delta {
        let Some(((users_before, msgs_before), (users_after, msgs_after))) =
            observed.counters.get(room)
        else {
            j.unread.push(format!("counters of {}", room.name()));
            continue;
        };
        for (name, want, before, after) in [
            ("usersCount", delta.users_count, users_before, users_after),
            ("msgs", delta.msgs, msgs_before, msgs_after),
        ] {
            let Some(want) = want else { continue };
            let check = Check::Counter {
                room: room.name().to_owned(),
                counter: name.to_owned(),
            };
            match (before, after) {
                (Some(b), Some(a)) if a - b == want => {}
                (Some(b), Some(a)) => j.findings.push(Finding::new(
                    check,
                    format!("to change by {want}"),
                    format!("changed by {} ({b} → {a})", a - b),
                )),
                _ => j.findings.push(Finding::new(
                    check,
                    format!("to change by {want}"),
                    "not a number in the room object",
                )),
            }
        }
    }
}

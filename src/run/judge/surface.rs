//! Judging what an invite recorded besides memberships and counters: the system messages a
//! room gained (type, author, the user each names; in any order, since an invite adds its
//! users concurrently), and the room object of a 200 answer against the room as read after
//! the call.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Finding, Judgement, Observed, short, shown};
use crate::case::{Expectation, UserRef};
use crate::report::model::Check;
use crate::run::provision::Fixtures;

/// A message as the judge reads it: its type, its author's id, and the case's user its `msg`
/// names (by username, as added-user messages do), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedMessage {
    /// `t` (absent for a user's own message).
    pub t: Option<String>,
    /// `u._id`.
    pub author: Option<String>,
    /// The id of the case's user whose username the message's `msg` is.
    pub names: Option<String>,
    /// `msg`, as shown in a mismatch.
    pub msg: String,
}

/// The fields of a message document the judge reads.
#[derive(Deserialize)]
struct MessageDocument<'a> {
    #[serde(default, borrow)]
    t: Option<&'a str>,
    #[serde(default, borrow)]
    msg: Option<&'a str>,
    #[serde(default, borrow)]
    u: Option<Author<'a>>,
}

#[derive(Deserialize)]
struct Author<'a> {
    #[serde(default, rename = "_id", borrow)]
    id: Option<&'a str>,
}

impl ObservedMessage {
    /// Reads a message document of the target; `fx` tells which of the case's users its
    /// `msg` names.
    pub fn of(document: &Value, fx: &Fixtures) -> ObservedMessage {
        let read = MessageDocument::deserialize(document).ok();
        let msg = read.as_ref().and_then(|m| m.msg).unwrap_or_default();
        let names = fx
            .users
            .values()
            .find(|u| !msg.is_empty() && u.username.eq_ignore_ascii_case(msg))
            .map(|u| u.id.clone());
        ObservedMessage {
            t: read.as_ref().and_then(|m| m.t).map(str::to_owned),
            author: read
                .as_ref()
                .and_then(|m| m.u.as_ref())
                .and_then(|u| u.id)
                .map(str::to_owned),
            names,
            msg: msg.to_owned(),
        }
    }
}

/// The messages of `expect.messages_after` against those each room gained.
pub(super) fn judge_messages(
    j: &mut Judgement,
    expect: &Expectation,
    observed: &Observed,
    user_ids: &BTreeMap<UserRef, String>,
) {
    let id = |u: &UserRef| user_ids.get(u).cloned();
    for (room, wanted) in &expect.messages_after {
        let Some(gained) = observed.messages.get(room) else {
            j.unread.push(format!("messages of {}", room.name()));
            continue;
        };
        let mut left: Vec<&ObservedMessage> = gained.iter().collect();
        let mut missing = Vec::new();
        for m in wanted {
            let found = left.iter().position(|g| {
                g.t.as_deref() == Some(m.t.as_str())
                    && g.author == id(&m.by)
                    && g.names.is_some()
                    && g.names == id(&m.user)
            });
            match found {
                Some(i) => {
                    left.remove(i);
                }
                None => missing.push(format!(
                    "{} by {} naming {}",
                    m.t,
                    m.by.name(),
                    m.user.name()
                )),
            }
        }
        if missing.is_empty() && left.is_empty() {
            continue;
        }
        let expected = if wanted.is_empty() {
            "none".to_owned()
        } else {
            let all: Vec<String> = wanted
                .iter()
                .map(|m| format!("{} by {} naming {}", m.t, m.by.name(), m.user.name()))
                .collect();
            all.join(", ")
        };
        let got: Vec<String> = gained.iter().map(|g| describe(g, user_ids)).collect();
        let actual = if got.is_empty() {
            "none".to_owned()
        } else {
            got.join(", ")
        };
        j.findings.push(Finding::new(
            Check::Messages {
                room: room.name().to_owned(),
            },
            expected,
            actual,
        ));
    }
}

/// A gained message as a mismatch shows it, with the case's names where it has them.
fn describe(m: &ObservedMessage, user_ids: &BTreeMap<UserRef, String>) -> String {
    let name_of = |id: &Option<String>| {
        id.as_ref().map_or_else(
            || "?".to_owned(),
            |id| {
                user_ids
                    .iter()
                    .find(|(_, i)| *i == id)
                    .map_or(id.clone(), |(u, _)| u.name().to_owned())
            },
        )
    };
    let named = match &m.names {
        Some(_) => name_of(&m.names),
        None => format!("{:?}", m.msg),
    };
    format!(
        "{} by {} naming {named}",
        m.t.as_deref().unwrap_or("(a user message)"),
        name_of(&m.author)
    )
}

/// The fields of the answer's room object compared with the room read afterwards; the
/// optional ones only where the room has them.
const ROOM_FIELDS: [&str; 5] = ["_id", "name", "t", "msgs", "usersCount"];
const ROOM_FIELDS_IF_ANY: [&str; 3] = ["prid", "teamId", "teamMain"];

/// The room object of the answer (`channel` or `group`) against `expect.answer_room` as read
/// after the call.
pub(super) fn judge_answer_room(j: &mut Judgement, expect: &Expectation, observed: &Observed) {
    let Some(room) = &expect.answer_room else {
        return;
    };
    let Some(read) = observed.rooms_after.get(room) else {
        j.unread.push(format!("the room object of {}", room.name()));
        return;
    };
    let answer = observed
        .body
        .as_ref()
        .and_then(|b| b.get("channel").or_else(|| b.get("group")));
    let optional = ROOM_FIELDS_IF_ANY
        .iter()
        .filter(|f| read.get(**f).is_some());
    for field in ROOM_FIELDS.iter().chain(optional) {
        let (want, got) = (read.get(*field), answer.and_then(|a| a.get(*field)));
        if want != got || want.is_none() {
            j.findings.push(Finding::new(
                Check::AnswerRoom {
                    room: room.name().to_owned(),
                    field: (*field).to_owned(),
                },
                want.map_or_else(|| "(absent from the room as read)".to_owned(), short),
                shown(got),
            ));
        }
    }
}

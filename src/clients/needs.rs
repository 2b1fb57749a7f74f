//! Holding a client's needs against what the target answered: each answer's status,
//! `success`, the pointers the client decodes, the room values it expects echoed, and the
//! added-user messages it waits for. Pure: the run sends and reads, this only compares.

use serde_json::Value;

use super::profile::{Echo, Needs};

/// What one of the client's requests got back.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The body, when it was JSON.
    pub body: Option<Value>,
    /// Why no usable answer came.
    pub transport_error: Option<String>,
}

/// The room a use invites into, and who invited whom.
#[derive(Debug, Clone)]
pub struct Scene<'a> {
    /// The room's `_id`.
    pub room_id: &'a str,
    /// The room's `name`.
    pub room_name: &'a str,
    /// The inviter's user id.
    pub inviter_id: &'a str,
    /// The invitees' usernames.
    pub invitees: &'a [String],
}

/// `errorType` (or `error`) of a body, for a short reason.
fn error_of(body: Option<&Value>) -> Option<String> {
    let body = body?;
    ["errorType", "error"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_str))
        .map(str::to_owned)
}

/// The needs that one answer (`n` of the use's requests, 1-based) does not meet.
pub fn unmet_by_answer(needs: &Needs, answer: &Answer, scene: &Scene<'_>, n: usize) -> Vec<String> {
    let tag = format!("request {n}");
    let Some(status) = answer.status else {
        let why = answer.transport_error.as_deref().unwrap_or("no answer");
        return vec![format!("{tag}: no usable answer ({why})")];
    };
    let body = answer.body.as_ref();
    let error = error_of(body).map_or_else(String::new, |e| format!(" ({e})"));
    let mut out = Vec::new();
    if status != needs.status {
        out.push(format!(
            "{tag}: status: needs {}, got {status}{error}",
            needs.status
        ));
    }
    if let Some(wanted) = needs.success {
        let got = body.and_then(|b| b.get("success"));
        if got != Some(&Value::Bool(wanted)) {
            let got = got.map_or_else(|| "none".to_owned(), Value::to_string);
            out.push(format!("{tag}: success: needs {wanted}, got {got}{error}"));
        }
    }
    for pointer in &needs.present {
        if body.and_then(|b| b.pointer(pointer)).is_none() {
            out.push(format!("{tag}: {pointer}: needed, absent"));
        }
    }
    for (pointer, echo) in &needs.echo {
        let (wanted, what) = match echo {
            Echo::RoomId => (scene.room_id, "the room's _id"),
            Echo::RoomName => (scene.room_name, "the room's name"),
        };
        match body.and_then(|b| b.pointer(pointer)) {
            Some(Value::String(got)) if got == wanted => {}
            Some(got) => out.push(format!(
                "{tag}: {pointer}: needs {what} `{wanted}`, got {got}"
            )),
            None => out.push(format!("{tag}: {pointer}: needs {what} `{wanted}`, absent")),
        }
    }
    out
}

/// The added-user messages `kind` that `messages` (the room's newest first) lack: one per
/// invitee, its `msg` the invitee's username, authored by the inviter.
pub fn unmet_by_messages(kind: &str, messages: &[Value], scene: &Scene<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for username in scene.invitees {
        let of_invitee: Vec<&Value> = messages
            .iter()
            .filter(|m| {
                m.get("t").and_then(Value::as_str) == Some(kind)
                    && m.get("msg").and_then(Value::as_str) == Some(username.as_str())
            })
            .collect();
        fn author(m: &Value) -> Option<&str> {
            m.pointer("/u/_id").and_then(Value::as_str)
        }
        match of_invitee.first() {
            None => out.push(format!(
                "added message: needs a message of type `{kind}` with msg `{username}` in the room, none"
            )),
            Some(m) if author(m) != Some(scene.inviter_id) => out.push(format!(
                "added message: the `{kind}` message for `{username}` is authored by {}, not the inviter",
                author(m).unwrap_or("nobody")
            )),
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn needs(yaml: Value) -> Needs {
        serde_json::from_value(yaml).expect("needs")
    }

    fn scene<'a>(invitees: &'a [String]) -> Scene<'a> {
        Scene {
            room_id: "R1",
            room_name: "town",
            inviter_id: "ADMIN",
            invitees,
        }
    }

    #[test]
    fn a_refusal_misses_status_and_success_with_its_error() {
        let n = needs(json!({"status": 200, "success": true, "present": ["/channel"]}));
        let answer = Answer {
            status: Some(400),
            body: Some(json!({"success": false, "errorType": "error-invalid-params"})),
            transport_error: None,
        };
        let unmet = unmet_by_answer(&n, &answer, &scene(&[]), 1);
        assert_eq!(
            unmet,
            [
                "request 1: status: needs 200, got 400 (error-invalid-params)",
                "request 1: success: needs true, got false (error-invalid-params)",
                "request 1: /channel: needed, absent",
            ]
        );
    }

    #[test]
    fn the_room_must_be_echoed_where_the_client_reads_it() {
        let n = needs(json!({"status": 200, "echo": {"/group/_id": "room.id"}}));
        let ok = Answer {
            status: Some(200),
            body: Some(json!({"group": {"_id": "R1"}, "success": true})),
            transport_error: None,
        };
        assert!(unmet_by_answer(&n, &ok, &scene(&[]), 1).is_empty());
        let other = Answer {
            body: Some(json!({"group": {"_id": "R2"}})),
            ..ok
        };
        assert_eq!(
            unmet_by_answer(&n, &other, &scene(&[]), 2),
            ["request 2: /group/_id: needs the room's _id `R1`, got \"R2\""]
        );
        let lost = Answer {
            transport_error: Some("connection reset".into()),
            ..Answer::default()
        };
        assert_eq!(
            unmet_by_answer(&n, &lost, &scene(&[]), 1),
            ["request 1: no usable answer (connection reset)"]
        );
    }

    #[test]
    fn each_invitee_needs_its_added_message_by_the_inviter() {
        let invitees = ["ann".to_owned(), "bob".to_owned()];
        let messages = [
            json!({"t": "au", "msg": "bob", "u": {"_id": "SOMEONE"}}),
            json!({"t": "uj", "msg": "ann", "u": {"_id": "ADMIN"}}),
        ];
        assert_eq!(
            unmet_by_messages("au", &messages, &scene(&invitees)),
            [
                "added message: needs a message of type `au` with msg `ann` in the room, none",
                "added message: the `au` message for `bob` is authored by SOMEONE, not the inviter",
            ]
        );
        let good = [json!({"t": "au", "msg": "ann", "u": {"_id": "ADMIN"}})];
        assert!(unmet_by_messages("au", &good, &scene(&invitees[..1])).is_empty());
    }
}

//! Making a case's call: the body rendered with the fixtures' real ids and names, the auth
//! variant turned into headers; for a case outside the bulk reads of [`super::observe`], the
//! state the expectation needs read back room by room (counters before and after, members
//! after). Produces an [`Observed`] for the judge and the transcript of every request.

use std::collections::BTreeMap;

use serde_json::Value;

use super::judge::{Counters, Observed, ObservedMessage};
use super::observe::counters_of;
use super::provision::Fixtures;
use crate::api::Endpoint;
use crate::case::{
    Auth, Body, Call, Expectation, Reference, RoomField, RoomRef, Template, UserField,
};
use crate::target::api::Api;
use crate::target::{Exchange, Purpose, Request, RequestBody, Secret};

/// The token sent by `auth: wrong-token`: well-formed, never issued.
pub const WRONG_TOKEN: &str = "rc-conform-token-that-was-never-issued-000000";

/// Renders a template with the fixtures' ids and names.
pub fn render(template: &Template, fx: &Fixtures) -> Value {
    match template {
        Template::Literal(v) => v.clone(),
        Template::Ref(Reference::User(u, field)) => {
            let live = fx.users.get(u);
            Value::String(live.map_or_else(String::new, |l| match field {
                UserField::Id => l.id.clone(),
                UserField::Username => l.username.clone(),
            }))
        }
        Template::Ref(Reference::Room(r, field)) => {
            let live = fx.rooms.get(r);
            Value::String(live.map_or_else(String::new, |l| match field {
                RoomField::Id => l.id.clone(),
                RoomField::Name => l.name.clone(),
            }))
        }
        Template::Array(items) => Value::Array(items.iter().map(|t| render(t, fx)).collect()),
        Template::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render(v, fx)))
                .collect(),
        ),
    }
}

/// The request of a call (its first body).
pub fn request(endpoint: Endpoint, call: &Call, fx: &Fixtures) -> Request {
    request_with(endpoint, call, &call.body, fx)
}

/// The request of a call with one of its bodies.
fn request_with(endpoint: Endpoint, call: &Call, body: &Body, fx: &Fixtures) -> Request {
    let body = match body {
        Body::Json(t) => RequestBody::Json(render(t, fx)),
        Body::Raw { text, content_type } => RequestBody::Raw {
            text: text.clone(),
            content_type: content_type.clone(),
        },
    };
    let mut request = Request {
        method: reqwest::Method::POST,
        path: endpoint.path().to_owned(),
        auth: Default::default(),
        body,
        headers: Vec::new(),
        purpose: Purpose::Call,
    };
    let session_of = |u| fx.users.get(u).and_then(|l| l.session.clone());
    let id_of = |u| fx.users.get(u).map(|l| l.id.clone());
    match &call.auth {
        Auth::None => {}
        Auth::As(u) => {
            if let Some(s) = session_of(u) {
                request.auth = s.auth();
            }
        }
        Auth::UserIdOnly(u) => request.auth.user_id = id_of(u),
        Auth::TokenOnly(u) => request.auth.token = session_of(u).map(|s| s.token),
        Auth::WrongToken(u) => {
            request.auth.user_id = id_of(u);
            request.auth.token = Some(Secret::new(WRONG_TOKEN));
        }
    }
    request
}

/// A curl command reproducing `exchange`, with placeholders for secrets.
pub fn curl(exchange: &Exchange) -> String {
    let mut out = format!("curl -sS -X {} '{}'", exchange.method, exchange.url);
    for (name, value) in &exchange.request_headers {
        let value = match name.as_str() {
            "X-Auth-Token" => "$RC_TOKEN".to_owned(),
            "X-User-Id" => "$RC_USER_ID".to_owned(),
            _ if value == crate::target::secret::REDACTED => {
                format!("${}", name.to_uppercase().replace('-', "_"))
            }
            _ => value.clone(),
        };
        let quote = if value.starts_with('$') { '"' } else { '\'' };
        out.push_str(&format!(" -H {quote}{name}: {value}{quote}"));
    }
    if let Some(body) = &exchange.request_body {
        out.push_str(&format!(" --data-raw '{}'", body.replace('\'', "'\\''")));
    }
    out
}

/// A room's counters read through its info endpoint as a member; the exchange goes into
/// `transcript` whatever the outcome.
pub async fn read_counters(
    api: &Api,
    fx: &Fixtures,
    room: &RoomRef,
    transcript: &mut Vec<Exchange>,
) -> Option<Counters> {
    read_room(api, fx, room, transcript)
        .await
        .map(|info| counters_of(&info))
}

/// A room's object read through its info endpoint as a member; the exchange goes into
/// `transcript` whatever the outcome.
pub async fn read_room(
    api: &Api,
    fx: &Fixtures,
    room: &RoomRef,
    transcript: &mut Vec<Exchange>,
) -> Option<Value> {
    let (live, reader) = (fx.rooms.get(room)?, fx.reader_of(room)?);
    match api
        .room_info(reader, live.room_type, &live.id, Purpose::Verify)
        .await
    {
        Ok((ex, info)) => {
            transcript.push(ex);
            Some(info)
        }
        Err(e) => {
            transcript.push(e.exchange().clone());
            None
        }
    }
}

/// The `count` newest messages of a room, oldest first, as the judge reads them (an
/// [`ObservedMessage`] each, the user its `msg` names looked up among the case's users);
/// nothing is read for none. The exchange goes into `transcript` whatever the outcome.
pub async fn read_new_messages(
    api: &Api,
    fx: &Fixtures,
    room: &RoomRef,
    count: usize,
    transcript: &mut Vec<Exchange>,
) -> Option<Vec<ObservedMessage>> {
    if count == 0 {
        return Some(Vec::new());
    }
    let (live, reader) = (fx.rooms.get(room)?, fx.reader_of(room)?);
    match api.messages(reader, live.room_type, &live.id, count).await {
        Ok((ex, newest)) => {
            transcript.push(ex);
            Some(
                newest
                    .iter()
                    .take(count)
                    .rev()
                    .map(|m| ObservedMessage::of(m, fx))
                    .collect(),
            )
        }
        Err(e) => {
            transcript.push(e.exchange().clone());
            None
        }
    }
}

/// The number of messages a room gained: the change of its `msgs`, when both are known.
pub fn gained(before: Counters, after: Counters) -> Option<usize> {
    let (Some(b), Some(a)) = (before.1, after.1) else {
        return None;
    };
    Some(usize::try_from(a - b).unwrap_or(0))
}

/// A room's members (user ids) read through its members endpoint as a member; the exchange
/// goes into `transcript` whatever the outcome.
pub async fn read_members(
    api: &Api,
    fx: &Fixtures,
    room: &RoomRef,
    transcript: &mut Vec<Exchange>,
) -> Option<Vec<String>> {
    let (live, reader) = (fx.rooms.get(room)?, fx.reader_of(room)?);
    match api.members(reader, live.room_type, &live.id).await {
        Ok((ex, ids)) => {
            transcript.push(ex);
            Some(ids)
        }
        Err(e) => {
            transcript.push(e.exchange().clone());
            None
        }
    }
}

/// Sends the call alone (every body of a `concurrent` call at the same moment, polled
/// together in this task so that they leave at once): what came back, the first body's
/// exchange, and the others' exchanges.
pub async fn send_call(
    api: &Api,
    endpoint: Endpoint,
    call: &Call,
    fx: &Fixtures,
) -> (Observed, Exchange, Vec<Exchange>) {
    let first = request(endpoint, call, fx);
    let together: Vec<Request> = call
        .together
        .iter()
        .map(|body| request_with(endpoint, call, body, fx))
        .collect();
    let ((exchange, outcome), answers) = tokio::join!(
        api.client().send(&first),
        join_all(together.iter().map(|r| api.client().send(r)))
    );
    let mut observed = answered(outcome);
    let mut others = Vec::new();
    for (exchange, outcome) in answers {
        others.push(exchange);
        observed.together.push(answered(outcome));
    }
    (observed, exchange, others)
}

/// Awaits every future of `futures` at once, in this task: their outputs in order.
async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (future, slot) in pending.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(output) => *slot = Some(output),
                    std::task::Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

/// What came back for one request, as the judge reads it.
fn answered(outcome: Result<crate::target::Response, crate::target::TransportError>) -> Observed {
    let mut observed = Observed::default();
    match outcome {
        Ok(r) => {
            observed.status = Some(r.status);
            observed.body = r.json;
            observed.raw_body = r.text;
        }
        Err(e) => observed.transport_error = Some(e.to_string()),
    }
    observed
}

/// A call made: what was observed, every request made for it, and the call's own exchange.
#[derive(Debug, Clone)]
pub struct Made {
    /// What came back and what was read afterwards.
    pub observed: Observed,
    /// The call and the verification requests, in order.
    pub transcript: Vec<Exchange>,
    /// The call's exchange (for the curl line).
    pub exchange: Exchange,
}

/// Makes the call and reads back, room by room, what `expect` needs: counters before (those
/// `known` does not hold already) and after (with the room object after), members after, and
/// the messages the rooms gained.
pub async fn make_call(
    api: &Api,
    endpoint: Endpoint,
    call: &Call,
    expect: &Expectation,
    fx: &Fixtures,
    known: &BTreeMap<RoomRef, Counters>,
) -> Made {
    let mut transcript = Vec::new();
    let mut before: BTreeMap<RoomRef, Counters> = BTreeMap::new();
    for room in expect.counted_rooms() {
        if let Some(c) = known.get(room) {
            before.insert(room.clone(), *c);
        } else if let Some(c) = read_counters(api, fx, room, &mut transcript).await {
            before.insert(room.clone(), c);
        }
    }
    let (mut observed, exchange, others) = send_call(api, endpoint, call, fx).await;
    transcript.push(exchange.clone());
    transcript.extend(others);
    for (room, b) in before {
        if let Some(info) = read_room(api, fx, &room, &mut transcript).await {
            observed
                .counters
                .insert(room.clone(), (b, counters_of(&info)));
            observed.rooms_after.insert(room, info);
        }
    }
    for room in expect.members_after.keys() {
        if let Some(ids) = read_members(api, fx, room, &mut transcript).await {
            observed.members_after.insert(room.clone(), ids);
        }
    }
    for room in expect.messages_after.keys() {
        let count = observed
            .counters
            .get(room)
            .and_then(|(b, a)| gained(*b, *a));
        if let Some(count) = count
            && let Some(new) = read_new_messages(api, fx, room, count, &mut transcript).await
        {
            observed.messages.insert(room.clone(), new);
        }
    }
    Made {
        observed,
        transcript,
        exchange,
    }
}

//! Making a case's call: the body rendered with the fixtures' real ids and names, the auth
//! variant turned into headers; for a case outside the bulk reads of [`super::observe`], the
//! state the expectation needs read back room by room (counters before and after, members
//! after). Produces an [`Observed`] for the judge and the transcript of every request.

use std::collections::BTreeMap;

use serde_json::Value;

use super::judge::{Counters, Observed};
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

/// The request of a call.
pub fn request(endpoint: Endpoint, call: &Call, fx: &Fixtures) -> Request {
    let body = match &call.body {
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
    let (live, reader) = (fx.rooms.get(room)?, fx.reader_of(room)?);
    match api
        .room_info(reader, live.room_type, &live.id, Purpose::Verify)
        .await
    {
        Ok((ex, info)) => {
            transcript.push(ex);
            Some(counters_of(&info))
        }
        Err(e) => {
            transcript.push(e.exchange().clone());
            None
        }
    }
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

/// Sends the call alone: what came back, and the exchange.
pub async fn send_call(
    api: &Api,
    endpoint: Endpoint,
    call: &Call,
    fx: &Fixtures,
) -> (Observed, Exchange) {
    let request = request(endpoint, call, fx);
    let (exchange, outcome) = api.client().send(&request).await;
    let mut observed = Observed::default();
    match outcome {
        Ok(r) => {
            observed.status = Some(r.status);
            observed.body = r.json;
            observed.raw_body = r.text;
        }
        Err(e) => observed.transport_error = Some(e.to_string()),
    }
    (observed, exchange)
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

/// Makes the call and reads back, room by room, what `expect` needs: counters before and
/// after, members after.
pub async fn make_call(
    api: &Api,
    endpoint: Endpoint,
    call: &Call,
    expect: &Expectation,
    fx: &Fixtures,
) -> Made {
    let mut transcript = Vec::new();
    let mut before: BTreeMap<RoomRef, Counters> = BTreeMap::new();
    for room in expect.room_delta.keys() {
        if let Some(c) = read_counters(api, fx, room, &mut transcript).await {
            before.insert(room.clone(), c);
        }
    }
    let (mut observed, exchange) = send_call(api, endpoint, call, fx).await;
    transcript.push(exchange.clone());
    for (room, b) in before {
        if let Some(after) = read_counters(api, fx, &room, &mut transcript).await {
            observed.counters.insert(room, (b, after));
        }
    }
    for room in expect.members_after.keys() {
        if let Some(ids) = read_members(api, fx, room, &mut transcript).await {
            observed.members_after.insert(room.clone(), ids);
        }
    }
    Made {
        observed,
        transcript,
        exchange,
    }
}

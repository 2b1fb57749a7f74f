//! The Rocket.Chat endpoints the runner needs besides the calls under test, each a typed
//! method of [`Api`]: the session ([`session`]: `/api/info`, login, `me`), users ([`users`]),
//! rooms and room roles ([`rooms`]), the membership surface around the invites (kicks,
//! bans, teams, discussions, livechat rooms, messages: [`surface`]), permissions
//! ([`permissions`]) and the room listing ([`listing`]). Failures carry the exchange as evidence ([`ApiError`]).
//!
//! It knows the endpoints' requests and answers; it never decides what a run does with them.

use serde::Deserialize;
use serde_json::Value;

use self::answer::Envelope;
use super::client::{Client, TransportError};
use super::record::Sent;
use super::request::Request;
use crate::api::RoomType;
use crate::evidence::Exchange;

mod answer;
pub mod chat;
pub mod listing;
pub mod permissions;
pub mod roles;
pub mod rooms;
pub mod session;
pub mod surface;
pub mod users;

pub use listing::{LIST_PAGE, ListedRoom};
pub use rooms::RoomRole;
pub use session::{Me, Session, two_factor_code};
pub use surface::Team;

/// Why an API call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// No usable response.
    #[error("{what}: {error}")]
    Transport {
        /// The operation.
        what: String,
        /// The failure.
        error: TransportError,
        /// The record.
        exchange: Box<Exchange>,
    },
    /// The server answered but refused or answered something unusable.
    #[error("{what}: HTTP {status}: {message}")]
    Refused {
        /// The operation.
        what: String,
        /// HTTP status.
        status: u16,
        /// `errorType`/`error` of the body, or what was wrong with it.
        message: String,
        /// The record.
        exchange: Box<Exchange>,
    },
}

impl ApiError {
    /// The exchange that failed.
    pub fn exchange(&self) -> &Exchange {
        match self {
            ApiError::Transport { exchange, .. } | ApiError::Refused { exchange, .. } => exchange,
        }
    }

    /// Whether the server answered at all (as opposed to a transport failure).
    pub fn is_transport(&self) -> bool {
        matches!(self, ApiError::Transport { .. })
    }

    /// The endpoint the target does not have (`POST /api/v1/x`), when it answered 404.
    pub fn missing_endpoint(&self) -> Option<String> {
        match self {
            ApiError::Refused {
                status: 404,
                exchange,
                ..
            } => {
                let path = exchange.url.split("://").nth(1).unwrap_or(&exchange.url);
                let path = path.find('/').map_or("/", |i| &path[i..]);
                let path = path.split('?').next().unwrap_or(path);
                Some(format!("{} {path}", exchange.method))
            }
            _ => None,
        }
    }
}

/// The provisioning and inspection API of one target.
#[derive(Debug, Clone)]
pub struct Api {
    client: Client,
}

/// The route family of a room type; an omnichannel room is found by the `channels.*` routes
/// (`findChannelByIdOrName` accepts `t: l`).
fn prefix(room_type: RoomType) -> &'static str {
    match room_type {
        RoomType::Public | RoomType::Omnichannel => "channels",
        RoomType::Private => "groups",
        RoomType::Direct => "im",
    }
}

/// The failure of `what`: the server answered `sent`, but not usably (`message` says how).
fn refused(what: &str, sent: &Sent, message: String) -> ApiError {
    ApiError::Refused {
        what: what.to_owned(),
        status: sent.status().unwrap_or(0),
        message,
        exchange: Box::new(sent.exchange()),
    }
}

fn path_escape(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Api {
    /// The API over `client`.
    pub fn new(client: Client) -> Api {
        Api { client }
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends and requires a 2xx answer whose body is a JSON object without `success: false`
    /// or `status: "error"` (see the answer envelope): what was sent (its record is built only
    /// if someone asks) and the body, moved out of the response rather than copied.
    pub async fn expect_ok(&self, what: &str, request: Request) -> Result<(Sent, Value), ApiError> {
        let mut sent = self.client.dispatch(&request).await;
        let body = match &mut sent.outcome {
            Ok(response) => response.json.take(),
            Err(error) => {
                return Err(ApiError::Transport {
                    what: what.to_owned(),
                    error: error.clone(),
                    exchange: Box::new(sent.exchange()),
                });
            }
        };
        let Some(body) = body else {
            return Err(refused(what, &sent, "the body is not JSON".to_owned()));
        };
        let status = sent.status().unwrap_or(0);
        // The envelope's fields never fail to read (see `Envelope`); a body that is no
        // object has none.
        let envelope = Envelope::deserialize(&body).unwrap_or_default();
        if !(200..300).contains(&status) || envelope.failed() {
            let message = envelope.reason().unwrap_or("no error message").to_owned();
            return Err(refused(what, &sent, message));
        }
        if !body.is_object() {
            let message = "the answer does not fit: the body is not a JSON object".to_owned();
            return Err(refused(what, &sent, message));
        }
        Ok((sent, body))
    }
}

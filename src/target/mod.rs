//! A typed client of the Rocket.Chat REST API as a target server exposes it: the HTTP layer
//! ([`client`], configured by [`config`] over the network [`connect`] sets up, keeping
//! [`record`]s of [`request`]s, retrying by its retry policy), secrets and their redaction
//! ([`secret`]), and the provisioning and inspection endpoints the runner uses ([`api`]).
//!
//! The target module speaks HTTP only; it never reads case files or judges outcomes.

pub mod api;
pub mod client;
pub mod config;
pub mod connect;
pub mod record;
pub mod request;
mod retry;
pub mod secret;

pub use crate::evidence::{Exchange, RateLimitWait};
pub use client::{Client, TransportError};
pub use config::{ClientConfig, HeaderError, Network, ProxyChoice, parse_header};
pub use connect::ClientError;
pub use record::{LANE, RawExchange, Recording, Sent};
pub use request::{Auth, Purpose, Request, RequestBody, Response};
pub use secret::{Redactor, Secret};

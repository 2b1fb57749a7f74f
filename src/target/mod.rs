//! A typed client of the Rocket.Chat REST API as a target server exposes it: the HTTP layer
//! ([`client`]), secrets and their redaction ([`secret`]), and the provisioning and
//! inspection endpoints the runner uses ([`api`]).
//!
//! The target module speaks HTTP only; it never reads case files or judges outcomes.

pub mod api;
pub mod client;
pub mod secret;

pub use crate::evidence::{Exchange, RateLimitWait};
pub use client::{
    Auth, Client, ClientConfig, LANE, Purpose, RawExchange, Recording, Request, RequestBody,
    Response, Sent, TransportError,
};
pub use secret::{Redactor, Secret};

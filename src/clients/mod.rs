//! Client compatibility profiles: what real clients (the Go SDK, the React Native app, the
//! Python client, the JS SDK, Ruqola) send to the invite endpoints and what they need back
//! ([`profile`], loaded from `specs/clients.yaml`), their bodies filled in ([`body`]), how
//! their needs are held against a
//! target's answers ([`needs`]), and the per-client result a run reports ([`record`]).
//!
//! It sits beside the premise model: the run's `clients` stage sends the requests, and the
//! reports render the records. Nothing here talks to a server.

pub mod body;
pub mod needs;
pub mod profile;
pub mod record;

pub use body::{Invitee, bodies};
pub use profile::{Calls, ClientProfiles, ClientsError, Echo, Needs, Profile, Slot, Use};
pub use record::{ClientRecord, ClientStatus, UseRecord};

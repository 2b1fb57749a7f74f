//! What the documentation and the real server say, machine-readable: the JSON Schemas
//! derived from the doc pages ([`schemas`]), the doc examples checked against them
//! ([`docs`]), the premise model ([`premise`]) with its version lines ([`lines`]), the
//! levels of its checks ([`levels`]) and the rooms and invitees beyond plain ones ([`kinds`]), its use as an oracle ([`predict`]) and coverage measure
//! ([`coverage`]), and the specs loaded together ([`Specs`]).
//!
//! Nothing here talks to a server.

pub mod coverage;
pub mod docs;
pub mod kinds;
pub mod levels;
pub mod lines;
pub mod predict;
pub mod premise;
pub mod schemas;
pub mod specs;

pub use specs::{Specs, SpecsError};

//! What the documentation and the real server say, machine-readable: the JSON Schemas
//! derived from the doc pages ([`schemas`]), the doc examples checked against them
//! ([`docs`]), the premise model ([`premise`]) and its use as an oracle ([`predict`]) and
//! coverage measure ([`coverage`]).
//!
//! Nothing here talks to a server.

pub mod coverage;
pub mod docs;
pub mod levels;
pub mod lines;
pub mod predict;
pub mod premise;
pub mod schemas;

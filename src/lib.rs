//! rc-conform: a conformance harness and spec checker for servers that speak the
//! Rocket.Chat REST API.
//!
//! Data flows one way: [`case`] (YAML → typed cases) and [`spec`] (schemas and the premise
//! model) feed [`check`] (offline) and the runner; [`mod@reference`] is an in-memory server that
//! is reached only over HTTP. [`api`] holds the small vocabulary every stage shares, and
//! [`built_in`] the suite (cases and specs) compiled into the binary.

pub mod api;
pub mod built_in;
pub mod case;
pub mod check;
pub mod cli;
pub mod clients;
pub mod clock;
pub mod evidence;
pub mod excerpt;
pub mod exit;
pub mod expectations;
#[cfg(test)]
mod fingerprint;
mod parallel;
pub mod reference;
pub mod report;
pub mod run;
pub mod spec;
pub mod target;
pub mod verdict;

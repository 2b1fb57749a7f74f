//! The case model and its loader: YAML case files → typed, fully resolved [`Case`]s.
//!
//! `case` owns the case-file format. It knows nothing of HTTP or of any server; the names it
//! accepts for premises, schemas and roles come from the specs through [`KnownNames`].

mod calls;
mod diagnostic;
mod kinds;
mod load;
mod model;
mod raw;
mod references;
mod resolve;
mod rooms;
mod yaml;

pub use diagnostic::Diagnostic;
pub use kinds::{MessageExpectation, Removals, RoomKind};
pub use load::{
    KnownNames, LoadErrors, ParsedSuite, load_suite, load_suite_from, load_texts, parse_suite_from,
};
pub use model::*;
pub use yaml::parse_yaml;

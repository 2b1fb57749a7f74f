//! The case model and its loader: YAML case files → typed, fully resolved [`Case`]s.
//!
//! `case` owns the case-file format. It knows nothing of HTTP or of any server; the names it
//! accepts for premises, schemas and roles come from the specs through [`KnownNames`].

mod calls;
mod diagnostic;
mod load;
mod model;
mod raw;
mod resolve;

pub use diagnostic::Diagnostic;
pub use load::{KnownNames, LoadErrors, load_suite, load_suite_from, load_texts, parse_yaml};
pub use model::*;

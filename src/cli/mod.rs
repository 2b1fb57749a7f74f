//! Command-line arguments of the subcommands that take many flags, as typed values, and
//! their resolution into library configuration (flags > environment > defaults).
//!
//! Parsing only: the commands' work lives in their own modules.

pub mod run;
pub mod serve;

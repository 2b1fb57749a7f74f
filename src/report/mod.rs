//! Run results and their renderings: [`model`] is the one value a run produces; the
//! renderers turn it into the formats CI systems and auditors read.

pub mod clients;
pub mod diff;
mod escape;
pub mod grant_groups;
pub mod grants;
pub mod html;
pub mod json;
pub mod junit;
mod junit_xml;
pub mod markdown;
mod matrix;
pub mod merge;
mod mismatch;
pub mod model;
pub mod render;
mod transcript;

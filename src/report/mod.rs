//! Run results and their renderings: [`model`] is the one value a run produces; the
//! renderers turn it into the formats CI systems and auditors read.

pub mod json;
pub mod model;

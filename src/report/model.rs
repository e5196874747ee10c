//! The report's types now live in [`crate::model`] (below the probe and grading, so neither
//! imports the output module); this keeps `report::model::*` paths working for callers.

pub use crate::model::*;

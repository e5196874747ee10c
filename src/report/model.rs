//! The report's types live in [`crate::model`], below the probe and grading, so that neither
//! imports the output module. This re-export keeps `report::model::*` paths working.

pub use crate::model::*;

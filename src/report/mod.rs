//! Reports: the JSON data model and every output format built from it.

pub mod model;

//! The async engine: connects, drives the sans-IO codec, and yields endpoint results.

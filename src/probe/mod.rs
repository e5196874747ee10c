//! The async engine: connects, drives the sans-IO codec, and yields endpoint results.
//!
//! - [`engine`]: the stream of endpoints in, results out, with the global cap.
//! - [`endpoint`]: one endpoint — connect sweep, then one [`plan::VersionSweep`] per version.
//! - [`plan`]: pure state machine deciding the next hello (cipher sweep, server-order test).
//! - [`conn`]: the only code that touches a socket; every await has a timeout.
//! - [`limits`]: per-address connection cap and connection rate.
//! - [`retry`]: what is retried (timeouts, I/O errors) and the backoff.
//! - [`tls13`]: a full rustls handshake for the TLS 1.3 certificate chain;
//!   [`tls13_chain`]: the same chain read without rustls when it is too large for rustls.
//! - [`cert`]: certificate chain facts (x509-parser).
//! - [`groups`]: key-exchange group sweep; [`behaviour`]: extension and behaviour probes.
//! - [`offer`]: the groups and signature schemes every hello offers.

pub mod behaviour;
pub mod cert;
pub mod conn;
pub mod endpoint;
pub mod engine;
pub mod groups;
pub mod limits;
pub mod offer;
pub mod plan;
pub mod retry;
pub mod tls13;
pub mod tls13_chain;

pub use endpoint::{probe, ProbeConfig};
pub use engine::{fit_concurrency, spawn, ScanConfig, Stop};

//! The async engine: connects, drives the sans-IO codec, and yields one
//! [`crate::model::Observation`] per endpoint. Imports the model, never the report.
//!
//! - [`engine`]: the stream of endpoints in, observations out: a connect stage, then a probe
//!   stage, each with its own cap.
//! - [`connect`]: the connect sweep, one TCP connect before any hello.
//! - [`endpoint`]: one endpoint — one [`plan::VersionSweep`] per version, then the rest.
//! - [`plan`]: pure state machine deciding the next hello (cipher sweep, server-order test);
//!   [`intolerance`]: what a server that refuses our full hello can take.
//! - [`link`]: one exchange loop for every probe (cap, budget, retries, handshake count).
//! - [`conn`]: the only code that touches a socket; every await has a timeout.
//! - [`limits`]: per-address connection cap and connection rate.
//! - [`retry`]: what is retried, how often, and when a dropped connection is a refusal.
//! - [`rtt`]: round-trip figures learned from the scan, and the timeouts they give.
//! - [`collect`]: facts the sweeps' own flights show; [`check`]: answers against offers.
//! - [`tls13`]: a full rustls handshake for the TLS 1.3 certificate chain;
//!   [`tls13_chain`]: the same chain read without rustls when it is too large for rustls.
//! - [`cert`]: certificate chain facts (x509-parser).
//! - [`groups`]: key-exchange group sweep; [`schemes`]: signature-scheme sweeps and chains;
//!   [`behaviour`]: extension and behaviour probes.
//! - [`offer`]: the groups and signature schemes every hello offers.

pub mod behaviour;
pub mod cert;
pub mod check;
pub mod collect;
pub mod conn;
pub mod connect;
pub mod endpoint;
pub mod engine;
pub mod groups;
pub mod intolerance;
pub mod limits;
pub mod link;
pub mod offer;
pub mod plan;
pub mod retry;
pub mod rtt;
pub mod schemes;
pub mod tls13;
pub mod tls13_chain;

pub use endpoint::{probe, ProbeConfig};
pub use engine::{fit_concurrency, fit_connect_concurrency, spawn, ScanConfig, Stop};

//! fipsprobe: a fast TLS cipher-suite auditing scanner that grades what every endpoint
//! accepts against a FIPS 140 policy.
//!
//! Data flows one way: targets → probe → model ← policy; model → report.
//!
//! ```text
//!  targets ──► probe ───────────► model::Observation ──┐
//!  (parse,     (engine: conn ⇄ wire,                     ├─► model::Endpoint ──► report
//!   expand,     plan = next hello)   policy::grade ──► Grade   (joined once)     (table, json,
//!   shard)                           (reads the observation)                    jsonl, csv,
//!                                                                               diff, merge)
//!  cipher_db (suites, groups, schemes, bundled policies) sits below them all.
//! ```
//!
//! - [`wire`]: sans-IO TLS codec (ClientHello builder, server-flight parser). No I/O, no clock.
//! - [`probe`]: the async engine; `probe::conn` is the only code that touches a socket.
//! - [`targets`]: target syntax, lazy expansion, resolution, sharding.
//! - [`cipher_db`]: the embedded `cipher-db/` data, parsed once into validated types.
//! - [`policy`]: policies and grading (pure).
//! - [`model`]: observations, grades, typed facts and errors, the JSON report
//!   (`docs/report.md`). Below the probe and grading; imports neither.
//! - [`report`]: every output format, built from [`model::Report`].
//! - [`binaries`]: which crypto module each executable was built with (Go build info and
//!   function table, linked and embedded libraries), graded by the policy's module rules.
//! - [`scan`]: one scan start to finish (engine, grading, report) and its outcome.
//! - [`fips`]: fipsprobe's own crypto provider and FIPS mode.
//! - [`demo`]: in-process loopback servers for `fipsprobe demo` and the tests.
//! - [`sign`]: signed reports (keys, DSSE envelopes beside report files).

pub mod binaries;
pub mod cipher_db;
pub mod demo;
pub mod fips;
pub mod model;
pub mod policy;
pub mod probe;
pub mod protocol;
pub mod report;
pub mod scan;
pub mod sign;
pub mod targets;
pub mod wire;

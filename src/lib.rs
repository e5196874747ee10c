//! fipsprobe: a fast TLS cipher-suite auditing scanner that grades what every endpoint
//! accepts against a FIPS 140 policy.
//!
//! Data flows one way:
//!
//! ```text
//!  targets ──► probe ──────────────► policy ──► report
//!  (parse,     (engine: conn ⇄ wire,   (grade     (table, json,
//!   expand,     plan = next hello)      findings)  jsonl, csv, diff, merge)
//!   shard)          ▲
//!                   └── cipher_db (suites, groups, schemes, bundled policies)
//! ```
//!
//! - [`wire`]: sans-IO TLS codec (ClientHello builder, server-flight parser). No I/O, no clock.
//! - [`probe`]: the async engine; `probe::conn` is the only code that touches a socket.
//! - [`targets`]: target syntax, lazy expansion, resolution, sharding.
//! - [`cipher_db`]: the embedded `cipher-db/` data, parsed once into validated types.
//! - [`policy`]: policies and grading (pure).
//! - [`report`]: the JSON contract ([`report::model`]) and every output format.
//! - [`binaries`]: which crypto module each executable was built with (Go build info and
//!   function table, linked and embedded libraries), graded by the policy's module rules.
//! - [`scan`]: one scan start to finish (engine, grading, report) and its outcome.
//! - [`fips`]: fipsprobe's own crypto provider and FIPS mode.
//! - [`demo`]: in-process loopback servers for `fipsprobe demo` and the tests.

pub mod binaries;
pub mod cipher_db;
pub mod demo;
pub mod fips;
pub mod policy;
pub mod probe;
pub mod protocol;
pub mod report;
pub mod scan;
pub mod targets;
pub mod wire;

//! The probe against real servers, one server kind per module: in-process rustls servers,
//! OpenSSL `s_server`, Go `crypto/tls`, misbehaving endpoints (garbage, silence, fake TLS that
//! breaks the protocol), slow and silent endpoints (how long the probe waits), and the
//! certificate, group and extension facts of each. Every module scans through
//! `common::scan`, the one way tests probe, grade and join an endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "probe/facts.rs"]
mod facts;
#[path = "probe/go.rs"]
mod go;
#[path = "probe/intolerance.rs"]
mod intolerance;
#[path = "probe/misbehaving.rs"]
mod misbehaving;
#[path = "probe/openssl.rs"]
mod openssl;
#[path = "probe/rustls.rs"]
mod rustls;
#[path = "probe/timing.rs"]
mod timing;

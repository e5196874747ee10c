//! Conformance against the TLS stacks an auditor meets in a fleet: etcd, Go crypto/tls 1.19 and
//! 1.23 (plain and BoringCrypto), JSSE, Erlang/OTP, NSS, Botan, rustls, GnuTLS, OpenSSL and the
//! OpenSSL front ends nginx, Apache and HAProxy, on loopback, scanned by fipsprobe, with the
//! exact accepted suites per version, the order, the chains, the handshake count, and the
//! findings and verdict under both bundled policies; then a cross-check against nmap's
//! `ssl-enum-ciphers`, scans through fault relays, and verdict rules on real servers.
//!
//! "Exact" is what the one-suite-per-hello reference (`tests/common/reference.rs`) sees:
//! `support::scan` checks every scan against it (versions, suite sets, groups, EtM, the leaf).
//!
//! A missing server binary fails its test (a loud skip with `FIPSPROBE_ALLOW_MISSING_SERVERS=1`).
//! Where fipsprobe is known to be wrong, the test asserting the right behaviour is
//! `#[ignore = "probe bug: ..."]`.
//! `docs/verified-against.md` lists the server versions this was run against.

#![allow(clippy::unwrap_used)]

mod common;

#[path = "conformance/support.rs"]
mod support;

#[path = "conformance/botan.rs"]
mod botan;
#[path = "conformance/erlang.rs"]
mod erlang;
#[path = "conformance/etcd.rs"]
mod etcd;
#[path = "conformance/faults.rs"]
mod faults;
#[path = "conformance/frontends.rs"]
mod frontends;
#[path = "conformance/go.rs"]
mod go;
#[path = "conformance/go123.rs"]
mod go123;
#[path = "conformance/java.rs"]
mod java;
#[path = "conformance/nmap.rs"]
mod nmap;
#[path = "conformance/nss.rs"]
mod nss;
#[path = "conformance/others.rs"]
mod others;
#[path = "conformance/reference.rs"]
mod reference;
#[path = "conformance/rustls.rs"]
mod rustls;
#[path = "conformance/verdicts.rs"]
mod verdicts;

//! Shared helpers for the integration tests: real TLS servers on loopback (OpenSSL, GnuTLS,
//! nginx, etcd, Go crypto/tls, JSSE, Erlang/OTP, NSS, Botan, Apache, HAProxy), non-TLS endpoints,
//! fault relays, reference clients and reference scanners (the one-suite-per-hello reference).
//!
//! Every server binds 127.0.0.1 on a free port (or runs in a network namespace of its own), is
//! up when its constructor returns (a process of its own group holds the listening socket),
//! stops by itself ([`process::LIFETIME`]) and is killed by its own PID when dropped. A missing binary is a [`ServerError::Missing`] that
//! names the Debian package; tests unwrap servers with `require_server!`, which fails the test
//! (a loud skip with `FIPSPROBE_ALLOW_MISSING_SERVERS=1`). The macro expands
//! to `$crate::common::skip_or_fail`, so a test file must declare `mod common;` at its root.
//!
//! ```text
//! mod common;
//! use common::{OpensslServer, openssl::expected_suites};
//!
//! #[test]
//! fn finds_every_legacy_suite() {
//!     let server = require_server!(OpensslServer::legacy(true));
//!     let want = expected_suites("ALL:@SECLEVEL=0", None, Protocol::Tls12, KeyKind::Rsa2048).unwrap();
//!     // scan server.addr() and compare with `want` (codes, in server order)
//! }
//! ```
//!
//! | helper | what | expectations from |
//! |---|---|---|
//! | [`OpensslServer`] | `s_server` presets (legacy ± serverpref, TLS 1.3 only, client cert, ECDSA, DHE-1024, RSA-1024, SHA-1, expired, groups, no EMS) | [`openssl::expected_suites`] |
//! | [`GnutlsServer`] | `gnutls-serv --priority` in a private netns | [`gnutls::expected_suites`] |
//! | [`NginxServer`] | `ssl_ciphers` / `ssl_protocols` / `ssl_prefer_server_ciphers` | [`openssl::expected_suites`] minus DHE (no `ssl_dhparam`) |
//! | [`EtcdServer`] | `--cipher-suites`, `--client-cert-auth` | Go: the list, TLS 1.3 untouched |
//! | [`GoTlsServer`] | kube-apiserver flags, plain or BoringCrypto | `go::GO119_*` constants |
//! | [`JavaTlsServer`] | OpenJDK JSSE with chosen versions and keys (no fallback SCSV, no EtM) | its printed order |
//! | [`erlang::ErlangServer`] | OTP `ssl` escript: versions, `default`/`all` suites, `honor_cipher_order` | its printed order |
//! | [`nss::NssServer`], [`botan::BotanServer`] | `selfserv`, `botan tls_server` in a netns ([`netns`]) | [`reference::preference`] |
//! | [`apache::ApacheServer`], [`haproxy::HaproxyServer`] | mod_ssl, HAProxy bind settings | [`openssl::expected_suites`] |
//! | [`reference`] ([`hello`]) | one suite per hello, groups, EMS, EtM, pairwise order | - |
//! | [`relay::Relay`] | resets, close/refuse after first, 1-byte writes, drip, delay | - |
//! | [`MisbehavingServer`], [`closed_port`] | garbage, silent, refused | - |
//! | [`s_client`], [`s_client_session`], [`rustls_connect`], [`nmap::ssl_enum_ciphers`] | reference clients/scanners | - |

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unused_imports, unused_macros)]

pub mod apache;
pub mod botan;
pub mod certs;
pub mod client;
pub mod erlang;
pub mod etcd;
pub mod evidence;
pub mod gnutls;
pub mod go;
pub mod haproxy;
pub mod hello;
pub mod hostile;
pub mod java;
pub mod misbehaving;
pub mod netns;
pub mod nginx;
pub mod nmap;
pub mod nss;
pub mod openssl;
pub mod process;
pub mod reference;
pub mod relay;
pub mod scan;

pub use certs::{CertFiles, CertSource};
pub use client::{
    rustls_connect, s_client, s_client_session, RustlsOutcome, SClient, SessionFacts,
};
pub use etcd::EtcdServer;
pub use gnutls::GnutlsServer;
pub use go::{GoCrypto, GoTlsServer, GoToolchain};
pub use hostile::{Hostile, HostileServer};
pub use java::{JavaKey, JavaTlsServer};
pub use misbehaving::{closed_port, MisbehavingServer};
pub use nginx::NginxServer;
pub use openssl::OpensslServer;
pub use process::{find_binary, free_port, skip_or_fail, ServerError, ServerProcess};

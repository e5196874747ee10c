//! Shared helpers for the integration tests: real TLS servers on loopback (OpenSSL, GnuTLS,
//! nginx, etcd, Go crypto/tls) and reference clients.
//!
//! Every server binds 127.0.0.1 on a free port, is up (accepts TCP) when its constructor returns,
//! and is killed by its own PID when dropped. A missing binary is a [`ServerError::Missing`] that
//! names the Debian package; tests unwrap servers with [`require_server!`], which skips loudly
//! (or fails under `FIPSPROBE_REQUIRE_SERVERS=1`, as `scripts/test.sh` sets).

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unused_imports, unused_macros)]

pub mod budget;
pub mod certs;
pub mod client;
pub mod etcd;
pub mod gnutls;
pub mod go;
pub mod misbehaving;
pub mod nginx;
pub mod nmap;
pub mod openssl;
pub mod process;

pub use certs::{CertFiles, CertSource};
pub use client::{
    rustls_connect, s_client, s_client_session, RustlsOutcome, SClient, SessionFacts,
};
pub use etcd::EtcdServer;
pub use gnutls::GnutlsServer;
pub use go::{GoCrypto, GoTlsServer};
pub use misbehaving::{closed_port, MisbehavingServer};
pub use nginx::NginxServer;
pub use openssl::OpensslServer;
pub use process::{find_binary, free_port, skip_or_fail, ServerError, ServerProcess};

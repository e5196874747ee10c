//! The test servers themselves: each one is up and negotiates exactly what it is configured for,
//! checked with a reference client (tokio-rustls for the in-process servers, `openssl s_client`
//! for the external ones). Later tests rely on this when they assert "the scan finds exactly this
//! server's configuration".

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use fipsprobe::demo::{self, group, suite, ClientAuth, KeyKind, ServerSpec};
use fipsprobe::protocol::Protocol;

use common::{
    rustls_connect, s_client, s_client_session, EtcdServer, GnutlsServer, GoCrypto, GoTlsServer,
    NginxServer, OpensslServer, ServerError,
};

const ALL_RUSTLS_SUITES: [u16; 9] = [
    suite::TLS13_AES_128_GCM_SHA256,
    suite::TLS13_AES_256_GCM_SHA384,
    suite::TLS13_CHACHA20_POLY1305_SHA256,
    suite::ECDHE_ECDSA_AES_128_GCM_SHA256,
    suite::ECDHE_ECDSA_AES_256_GCM_SHA384,
    suite::ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
    suite::ECDHE_RSA_AES_128_GCM_SHA256,
    suite::ECDHE_RSA_AES_256_GCM_SHA384,
    suite::ECDHE_RSA_CHACHA20_POLY1305_SHA256,
];
const ALL_GROUPS: [u16; 3] = [group::X25519, group::SECP256R1, group::SECP384R1];
const BOTH: [Protocol; 2] = [Protocol::Tls12, Protocol::Tls13];

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[path = "servers/go_servers.rs"]
mod go_servers;
#[path = "servers/inprocess.rs"]
mod inprocess;
#[path = "servers/openssl_servers.rs"]
mod openssl_servers;
#[path = "servers/other_servers.rs"]
mod other_servers;
#[path = "servers/reference.rs"]
mod reference;

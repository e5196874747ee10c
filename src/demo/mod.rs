//! In-process loopback TLS servers (rustls + rcgen) for `fipsprobe demo` and the tests.
//!
//! A [`ServerSpec`] says exactly what a server accepts (suites, versions, groups, key, order,
//! client authentication); [`spawn`] starts it on a socket address and returns a
//! [`RunningServer`] that stops when dropped. Because the spec is validated against what rustls
//! can really negotiate (a suite whose signature type does not match the key is an error, not a
//! silently dead suite), a test can assert "the scan finds exactly this spec".
//!
//! rustls on aws-lc-rs knows only TLS 1.2 and 1.3 and nine AEAD suites; legacy servers (CBC,
//! static RSA, TLS 1.0) come from OpenSSL and friends in `tests/common/`.
//!
//! ```
//! use fipsprobe::demo::{self, suite};
//! use fipsprobe::protocol::Protocol;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = tokio::runtime::Runtime::new()?;
//! runtime.block_on(async {
//!     let spec = demo::kube_apiserver_fips();
//!     let server = demo::spawn(&spec, "127.0.0.1:0".parse()?).await?;
//!     // What a scan of server.addr must find for TLS 1.2, in the server's order:
//!     assert_eq!(
//!         spec.suites_for(Protocol::Tls12),
//!         [suite::ECDHE_RSA_AES_128_GCM_SHA256, suite::ECDHE_RSA_AES_256_GCM_SHA384]
//!     );
//!     assert!(server.addr.ip().is_loopback());
//!     server.shutdown().await;
//!     Ok(())
//! })
//! # }
//! ```

mod cert;
mod server;

use std::net::SocketAddr;

pub use cert::{generate_cert, CertOptions, GeneratedCert, KeyKind};
pub use server::{
    fleet_addrs, spawn, spawn_fleet, spawn_with_cert, spawn_with_gauge, OpenGauge, RunningServer,
};

use crate::protocol::Protocol;

/// IANA cipher-suite codes of the suites rustls (aws-lc-rs) can serve.
pub mod suite {
    /// TLS_AES_128_GCM_SHA256 (TLS 1.3).
    pub const TLS13_AES_128_GCM_SHA256: u16 = 0x1301;
    /// TLS_AES_256_GCM_SHA384 (TLS 1.3).
    pub const TLS13_AES_256_GCM_SHA384: u16 = 0x1302;
    /// TLS_CHACHA20_POLY1305_SHA256 (TLS 1.3).
    pub const TLS13_CHACHA20_POLY1305_SHA256: u16 = 0x1303;
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.
    pub const ECDHE_ECDSA_AES_128_GCM_SHA256: u16 = 0xC02B;
    /// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384.
    pub const ECDHE_ECDSA_AES_256_GCM_SHA384: u16 = 0xC02C;
    /// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.
    pub const ECDHE_RSA_AES_128_GCM_SHA256: u16 = 0xC02F;
    /// TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.
    pub const ECDHE_RSA_AES_256_GCM_SHA384: u16 = 0xC030;
    /// TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256.
    pub const ECDHE_RSA_CHACHA20_POLY1305_SHA256: u16 = 0xCCA8;
    /// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256.
    pub const ECDHE_ECDSA_CHACHA20_POLY1305_SHA256: u16 = 0xCCA9;
}

/// IANA supported-group codes of the groups rustls (aws-lc-rs) can serve.
pub mod group {
    /// secp256r1 (P-256).
    pub const SECP256R1: u16 = 23;
    /// secp384r1 (P-384).
    pub const SECP384R1: u16 = 24;
    /// x25519.
    pub const X25519: u16 = 29;
    /// SecP256r1MLKEM768 (hybrid, TLS 1.3 only).
    pub const SECP256R1_MLKEM768: u16 = 0x11EB;
    /// X25519MLKEM768 (hybrid, TLS 1.3 only).
    pub const X25519_MLKEM768: u16 = 0x11EC;
    /// MLKEM768 (pure ML-KEM, TLS 1.3 only).
    pub const MLKEM768: u16 = 0x0201;
    /// MLKEM1024 (pure ML-KEM, TLS 1.3 only).
    pub const MLKEM1024: u16 = 0x0202;
}

/// Whether and how the server asks for a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// No CertificateRequest.
    None,
    /// CertificateRequest sent; a client without a certificate is still served
    /// (Go's `VerifyClientCertIfGiven`, what kube-apiserver does with `--client-ca-file`).
    Optional,
    /// CertificateRequest sent; a client without a valid certificate is refused
    /// (etcd with `--client-cert-auth`).
    Required,
}

/// What one loopback server accepts. Every listed value is negotiable; nothing else is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// A label for reports and logs (`kube-apiserver-fips`).
    pub name: String,
    /// IANA codes of the suites, in the server's order of preference (see [`suite`]).
    pub suites: Vec<u16>,
    /// Versions served: only [`Protocol::Tls12`] and [`Protocol::Tls13`] are possible.
    pub versions: Vec<Protocol>,
    /// IANA codes of the key-exchange groups, in the server's order of preference (see [`group`]).
    pub groups: Vec<u16>,
    /// The certificate's key.
    pub key: KeyKind,
    /// The server picks by its own order (`ignore_client_order`) instead of the client's.
    pub server_order: bool,
    /// Client-certificate request behaviour.
    pub client_auth: ClientAuth,
    /// Refuse TLS 1.2 clients that do not offer the extended master secret (FIPS 140-3 IG D.Q,
    /// what RHEL >= 9.2 in FIPS mode does).
    pub require_ems: bool,
}

impl ServerSpec {
    /// The suites this server accepts in `version`, in its order of preference: exactly what a
    /// scan must report for that version (empty when the version is not served).
    pub fn suites_for(&self, version: Protocol) -> Vec<u16> {
        if !self.versions.contains(&version) {
            return Vec::new();
        }
        // TLS 1.3 suites live in 0x13xx; every other rustls suite is TLS 1.2-only.
        let is_tls13 = |code: &u16| code >> 8 == 0x13;
        self.suites
            .iter()
            .copied()
            .filter(|c| (version == Protocol::Tls13) == is_tls13(c))
            .collect()
    }
}

/// Why a demo server could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// rcgen failed to generate a key or certificate.
    #[error("generating certificate: {0}")]
    Cert(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("building the TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// rustls refused the client-certificate verifier.
    #[error("building the client-certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// Binding the listening socket failed.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A suite code that rustls cannot serve.
    #[error("suite 0x{0:04X} is not one rustls (aws-lc-rs) can serve")]
    UnknownSuite(u16),
    /// A group code that rustls cannot serve.
    #[error("group 0x{0:04X} is not one rustls (aws-lc-rs) can serve")]
    UnknownGroup(u16),
    /// A version rustls cannot serve (anything below TLS 1.2).
    #[error("rustls serves only TLSv1.2 and TLSv1.3, not {0}")]
    UnsupportedVersion(Protocol),
    /// The spec is inconsistent, so part of it could never be negotiated.
    #[error("server spec {name:?}: {problem}")]
    Inconsistent {
        /// The spec's name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// The key-generation task died.
    #[error("key generation task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Like a FIPS kube-apiserver (`--tls-cipher-suites` limited to ECDHE-RSA AES-GCM, Go BoringCrypto
/// curves): TLS 1.2 and 1.3, AES-GCM only, P-256 and P-384, RSA-2048, server order, optional
/// client certificates, EMS required. Should PASS fips-140-2 and fips-140-3.
pub fn kube_apiserver_fips() -> ServerSpec {
    ServerSpec {
        name: "kube-apiserver-fips".to_string(),
        suites: vec![
            suite::TLS13_AES_128_GCM_SHA256,
            suite::TLS13_AES_256_GCM_SHA384,
            suite::ECDHE_RSA_AES_128_GCM_SHA256,
            suite::ECDHE_RSA_AES_256_GCM_SHA384,
        ],
        versions: vec![Protocol::Tls12, Protocol::Tls13],
        groups: vec![group::SECP256R1, group::SECP384R1],
        key: KeyKind::Rsa2048,
        server_order: true,
        client_auth: ClientAuth::Optional,
        require_ems: true,
    }
}

/// Like a non-FIPS etcd: TLS 1.2 and 1.3 with ChaCha20 next to AES-GCM, x25519 preferred,
/// an ECDSA P-256 certificate, client order, client certificates required (`--client-cert-auth`).
/// Should FAIL both FIPS policies (ChaCha20, x25519).
pub fn etcd_non_fips() -> ServerSpec {
    ServerSpec {
        name: "etcd-non-fips".to_string(),
        suites: vec![
            suite::TLS13_CHACHA20_POLY1305_SHA256,
            suite::TLS13_AES_128_GCM_SHA256,
            suite::TLS13_AES_256_GCM_SHA384,
            suite::ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
            suite::ECDHE_ECDSA_AES_128_GCM_SHA256,
            suite::ECDHE_ECDSA_AES_256_GCM_SHA384,
        ],
        versions: vec![Protocol::Tls12, Protocol::Tls13],
        groups: vec![group::X25519, group::SECP256R1],
        key: KeyKind::EcdsaP256,
        server_order: false,
        client_auth: ClientAuth::Required,
        require_ems: false,
    }
}

/// The servers `fipsprobe demo` starts, in report order.
pub fn demo_specs() -> Vec<ServerSpec> {
    vec![kube_apiserver_fips(), etcd_non_fips()]
}

/// Starts every [`demo_specs`] server on `127.0.0.1` (a free port each), in report order:
/// what `fipsprobe demo` scans.
pub async fn spawn_demo() -> Result<Vec<RunningServer>, DemoError> {
    let mut servers = Vec::new();
    for spec in demo_specs() {
        servers.push(spawn(&spec, SocketAddr::from(([127, 0, 0, 1], 0))).await?);
    }
    Ok(servers)
}

#[cfg(test)]
mod tests;

//! The probe against OpenSSL `s_server` (Debian's OpenSSL 3): a legacy `ALL:@SECLEVEL=0`
//! server with TLS 1.0 to 1.3, with and without `-serverpref`; TLS 1.3 only; a required client
//! certificate; an ECDSA certificate. The accepted lists per version must be exactly what
//! `openssl ciphers` says the configuration accepts.
//!
//! `s_server` serves one connection at a time while the probe runs its version sweeps side by
//! side (four connections per host by default): the other connections wait in the listen
//! backlog, their hellos already sent. These tests check that this is both correct and fast,
//! with the default cap and with one connection at a time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fipsprobe::demo::KeyKind;
use fipsprobe::model::{ClientCertificate, Endpoint, Status};
use fipsprobe::probe::ProbeConfig;
use fipsprobe::protocol::Protocol;
use tokio::net::{TcpListener, TcpStream};

use crate::common::openssl::expected_suites;
use crate::common::scan::{codes, graded, observe_with};
use crate::common::OpensslServer;
use crate::require_server;

/// A TCP relay that counts the connections it forwards.
struct Relay {
    addr: SocketAddr,
    count: Arc<AtomicU32>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(backend: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new(AtomicU32::new(0));
        let counter = count.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(backend).await {
                        let _ = outbound.set_nodelay(true);
                        let _ = inbound.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { addr, count, task }
    }

    fn connections(&self) -> u32 {
        self.count.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn scan(addr: SocketAddr, per_host: usize) -> (Endpoint, Duration) {
    let (obs, took) = observe_with(addr, &ProbeConfig::default(), per_host).await;
    (graded(&obs, "fips-140-3"), took)
}

fn expected(cipher: &str, v: Protocol, key: KeyKind) -> Vec<u16> {
    expected_suites(cipher, None, v, key)
        .unwrap()
        .iter()
        .map(|s| s.code)
        .collect()
}

fn sorted(mut v: Vec<u16>) -> Vec<u16> {
    v.sort_unstable();
    v
}

/// Checks the scan of an OpenSSL server configured with `cipher` (and default TLS 1.3 suites)
/// serving `versions`, in server order when `server_pref`.
fn check(
    label: &str,
    e: &Endpoint,
    cipher: &str,
    versions: &[Protocol],
    key: KeyKind,
    server_pref: bool,
    handshakes: u32,
) {
    assert_eq!(e.status, Status::Tls, "{label}: {:?}", e.error);
    assert!(!e.incomplete, "{label}: {:?}", e.gaps);
    assert_eq!(e.error, None, "{label}");
    assert_eq!(
        e.protocols.keys().copied().collect::<Vec<_>>(),
        versions,
        "{label}: versions"
    );
    for &v in versions {
        let want = expected(cipher, v, key);
        let found = codes(e, v);
        if server_pref {
            assert_eq!(found, want, "{label} {v}: server order list");
        } else {
            assert_eq!(sorted(found.clone()), sorted(want.clone()), "{label} {v}");
        }
        let p = &e.protocols[&v];
        let order = (want.len() >= 2).then_some(server_pref);
        assert_eq!(p.server_order, order, "{label} {v}: server_order");
        assert_eq!(
            p.preferred.as_deref(),
            Some(p.suites[0].name.as_str()),
            "{label} {v}"
        );
    }
    let highest = versions.last().unwrap();
    assert_eq!(e.preferred_suite, e.protocols[highest].preferred, "{label}");
    // `handshakes` comes from each test's server configuration with the plan of
    // src/probe/plan.rs and src/probe/behaviour.rs, never from this scan.
    assert_eq!(
        e.handshakes,
        handshakes
            + crate::common::scan::scheme_hellos(e)
            + crate::common::scan::credential_rechecks(e),
        "{label}: handshakes (and the scheme hellos and credential rechecks)"
    );
}

const LEGACY_VERSIONS: &[Protocol] = &[
    Protocol::Tls10,
    Protocol::Tls11,
    Protocol::Tls12,
    Protocol::Tls13,
];
const MODERN: &[Protocol] = &[Protocol::Tls12, Protocol::Tls13];
const LEGACY: &str = "ALL:@SECLEVEL=0";

async fn legacy(server_pref: bool) {
    let server = require_server!(OpensslServer::legacy(server_pref));
    let relay = Relay::start(server.addr()).await;
    let label = format!("legacy serverpref={server_pref}");
    // Handshakes: SSLv2, SSLv3 declined: 2; TLS 1.0, 1.1: 16 + 1 each, TLS 1.2: 56 + 1 (+ 1
    // order test each in client order: ours); TLS 1.3: 3 + 1 + 1 (OpenSSL's TLS 1.3 order is
    // ours); groups 5 + 1, 10 + 1; features, EMS, fallback, DHE: 4 = 119, or 122 in client order.
    let handshakes = if server_pref { 119 } else { 122 };
    let (e, took) = scan(relay.addr, 4).await;
    check(
        &label,
        &e,
        LEGACY,
        LEGACY_VERSIONS,
        KeyKind::Rsa2048,
        server_pref,
        handshakes,
    );
    assert_eq!(relay.connections(), e.handshakes, "{label}: honest count");
    eprintln!("{label}: {} handshakes, {took:?}", e.handshakes);
    // A guard against hanging, not a speed claim (benchmarks in examples/ show speed).
    assert!(took < Duration::from_secs(120), "{label}: took {took:?}");
    if server_pref {
        // OpenSSL's own order puts TLS_AES_256_GCM_SHA384 first in TLS 1.3.
        assert_eq!(e.preferred_suite.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
        assert_eq!(
            e.protocols[&Protocol::Tls12].preferred.as_deref(),
            Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
        );
    }

    // One connection at a time finds the same.
    let (one, took_one) = scan(server.addr(), 1).await;
    check(
        &format!("{label} per-host 1"),
        &one,
        LEGACY,
        LEGACY_VERSIONS,
        KeyKind::Rsa2048,
        server_pref,
        handshakes,
    );
    assert_eq!(one.protocols, e.protocols);
    eprintln!("{label} per-host 1: {took_one:?}");
}

#[tokio::test]
async fn legacy_client_order() {
    legacy(false).await;
}

#[tokio::test]
async fn legacy_server_order() {
    legacy(true).await;
}

#[tokio::test]
async fn tls13_only() {
    let server = require_server!(OpensslServer::tls13_only());
    let (e, took) = scan(server.addr(), 4).await;
    // Handshakes: SSLv2..TLS 1.2 declined: 5; TLS 1.3: 3 + 1 + 1; groups 10 + 1; the certificate
    // handshake 1 = 5 + 5 + 11 + 1; and the intolerance check of each refused version (the
    // server never took a full-size TLS <= 1.2 hello, `probe::intolerance`): TLS 1.0-1.2 one
    // hello each (protocol_version), SSLv3 its three windows of at most 128 suites (OpenSSL
    // refuses those with handshake_failure): 22 + 6.
    check(
        "tls13-only",
        &e,
        "DEFAULT",
        &[Protocol::Tls13],
        KeyKind::Rsa2048,
        false,
        28,
    );
    assert!(
        e.certificate.is_some(),
        "TLS 1.3 chain via the full handshake"
    );
    eprintln!("tls13-only: {} handshakes, {took:?}", e.handshakes);
}

#[tokio::test]
async fn client_certificate_required() {
    let server = require_server!(OpensslServer::client_cert_required());
    let (e, took) = scan(server.addr(), 4).await;
    // Handshakes: 4 declined; TLS 1.2: 20 + 1 + 1, TLS 1.3: 3 + 1 + 1 (client order); groups 6 +
    // 11; features, EMS, fallback, client certificate, DHE: 5 = 4 + 22 + 5 + 17 + 5.
    check(
        "client-cert",
        &e,
        "DEFAULT",
        MODERN,
        KeyKind::Rsa2048,
        false,
        53,
    );
    assert_eq!(
        e.extensions.client_certificate,
        Some(ClientCertificate::Required)
    );
    eprintln!("client-cert: {} handshakes, {took:?}", e.handshakes);
}

#[tokio::test]
async fn ecdsa_certificate() {
    for key in [KeyKind::EcdsaP256, KeyKind::EcdsaP384] {
        let server = require_server!(OpensslServer::ecdsa(key));
        let (e, took) = scan(server.addr(), 4).await;
        let label = format!("ecdsa {key:?}");
        // Handshakes: 4 declined; TLS 1.2: 7 + 1 + 1, TLS 1.3: 3 + 1 + 1 (client order); groups
        // 5 + 1, 10 + 1; features, EMS, fallback: 3 (no DHE with ECDSA) = 4 + 9 + 5 + 17 + 3.
        check(&label, &e, "DEFAULT", MODERN, key, false, 38);
        assert!(codes(&e, Protocol::Tls12)
            .iter()
            .all(|&c| !fipsprobe::cipher_db::db()
                .suite(c)
                .unwrap()
                .display_name()
                .contains("_RSA_")));
        eprintln!("{label}: {} handshakes, {took:?}", e.handshakes);
    }
}

/// A 1024-bit DHE group behind a preferred ECDHE suite: the group size must still be read
/// (from the DHE suite's own sweep flight, at no extra handshake).
#[tokio::test]
async fn dhe_group_behind_ecdhe_is_measured() {
    let cipher = "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0";
    let server = require_server!(OpensslServer::start_with(
        &["-cipher", cipher, "-tls1_2", "-serverpref"],
        crate::common::CertSource::Rcgen(KeyKind::Rsa2048),
        crate::common::openssl::Extra {
            dh1024: true,
            ..Default::default()
        },
    ));
    let (e, _) = scan(server.addr(), 4).await;
    // Handshakes: TLS 1.2 only: 5 declined; 2 + 1 + 1 (OpenSSL's order is ours); groups 5 + 1;
    // features, EMS, DHE: 3 = 5 + 4 + 6 + 3.
    check(
        "dhe-behind-ecdhe",
        &e,
        cipher,
        &[Protocol::Tls12],
        KeyKind::Rsa2048,
        true,
        18,
    );
    assert_eq!(codes(&e, Protocol::Tls12), [0xC02F, 0x009E]);
    assert_eq!(e.extensions.dh_bits, Some(1024), "{:?}", e.extensions);
}

/// TLS 1.3 only with a required client certificate: the CertificateRequest is encrypted, so
/// the suites come from the ServerHellos and the chain from the one full handshake (which the
/// server then refuses for want of a client certificate).
#[tokio::test]
async fn tls13_only_client_certificate_required() {
    let server = require_server!(OpensslServer::start_with(
        &["-tls1_3"],
        crate::common::CertSource::Rcgen(KeyKind::Rsa2048),
        crate::common::openssl::Extra {
            require_client_cert: true,
            ..Default::default()
        },
    ));
    let (e, took) = scan(server.addr(), 4).await;
    // Handshakes: as tls13-only, + 1 client-certificate handshake = 28 + 1.
    check(
        "tls13-client-cert",
        &e,
        "DEFAULT",
        &[Protocol::Tls13],
        KeyKind::Rsa2048,
        false,
        29,
    );
    let cert = e.certificate.as_ref().expect("certificate facts");
    assert!(cert.error.is_none(), "{cert:?}");
    assert!(!cert.chain.is_empty(), "{cert:?}");
    assert_eq!(
        e.extensions.client_certificate,
        Some(ClientCertificate::Required)
    );
    eprintln!("tls13-client-cert: {} handshakes, {took:?}", e.handshakes);
}

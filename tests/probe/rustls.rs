//! The probe against in-process rustls servers (`fipsprobe::demo`): for each server spec the
//! scan must find exactly the suites the spec serves per version, the server's order where it
//! has one, the right `server_order`, and spend no more handshakes than `tests/common/budget.rs`
//! allows (the cost formula of `src/probe/plan.rs`). A counting TCP relay in front of each
//! server checks that the reported `handshakes` is the number of connections the server really
//! saw.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

use fipsprobe::demo::{self, group, suite, ClientAuth, KeyKind, ServerSpec};
use fipsprobe::model::{ClientCertificate, Endpoint, Status};
use fipsprobe::probe::ProbeConfig;
use fipsprobe::protocol::Protocol;
use tokio::net::{TcpListener, TcpStream};

use crate::common::scan::{codes, graded, observe_with};

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

async fn scan(addr: SocketAddr, per_host: usize) -> Endpoint {
    let (obs, _) = observe_with(addr, &ProbeConfig::default(), per_host).await;
    graded(&obs, "fips-140-3")
}

fn name_of(code: u16) -> String {
    fipsprobe::cipher_db::db()
        .suite(code)
        .unwrap()
        .display_name()
        .to_string()
}

/// Scans `spec` through a counting relay and checks everything the spec determines, the
/// handshake count included: `handshakes` is what each test derives from its spec with the plan
/// of `src/probe/plan.rs` and `src/probe/behaviour.rs` (one per declined version, SSLv2 always;
/// accepted suites + 1 per version, + 1 order test when they came back in our offer order, + 1
/// for a single TLS 1.3 suite; groups N + 1 per version; features 1, EMS 1, fallback 1 with two
/// versions, client certificate 1 when asked; the TLS 1.3 certificate handshake without a
/// TLS 1.2 chain).
async fn check(spec: ServerSpec, handshakes: u32) -> Endpoint {
    let server = demo::spawn(&spec, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let relay = Relay::start(server.addr).await;
    let started = Instant::now();
    let e = scan(relay.addr, 4).await;
    let took = started.elapsed();
    assert_eq!(e.status, Status::Tls, "{}: {:?}", spec.name, e.error);
    assert!(!e.incomplete, "{}: {:?}", spec.name, e.gaps);
    assert_eq!(e.error, None, "{}", spec.name);

    let served: Vec<Protocol> = [Protocol::Tls12, Protocol::Tls13]
        .into_iter()
        .filter(|v| spec.versions.contains(v))
        .collect();
    assert_eq!(
        e.protocols.keys().copied().collect::<Vec<_>>(),
        served,
        "{}: versions",
        spec.name
    );
    for &v in &served {
        let expected = spec.suites_for(v);
        let found = codes(&e, v);
        let result = &e.protocols[&v];
        if spec.server_order {
            assert_eq!(found, expected, "{} {v}: server order list", spec.name);
        } else {
            let mut a = found.clone();
            let mut b = expected.clone();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{} {v}: accepted set", spec.name);
        }
        let order = if expected.len() < 2 {
            None
        } else {
            Some(spec.server_order)
        };
        assert_eq!(
            result.server_order, order,
            "{} {v}: server_order",
            spec.name
        );
        assert_eq!(
            result.preferred.as_deref(),
            Some(name_of(found[0]).as_str()),
            "{} {v}: preferred is the first found",
            spec.name
        );
        if spec.server_order {
            assert_eq!(found[0], expected[0], "{} {v}: preferred", spec.name);
        }
    }
    let highest = *served.last().unwrap();
    assert_eq!(
        e.preferred_suite, e.protocols[&highest].preferred,
        "{}: overall preferred is the highest version's",
        spec.name
    );

    assert_eq!(
        e.handshakes,
        handshakes
            + crate::common::scan::scheme_hellos(&e)
            + crate::common::scan::credential_rechecks(&e),
        "{}: handshakes (and the scheme hellos and credential rechecks)",
        spec.name
    );
    // The relay saw every connection by the time the probe returned (it accepts before the
    // probe can write), so the counts must agree exactly.
    assert_eq!(
        relay.connections(),
        e.handshakes,
        "{}: reported handshakes vs connections the server saw",
        spec.name
    );
    eprintln!("{}: {} handshakes, {:?}", spec.name, e.handshakes, took);
    e
}

fn spec(
    name: &str,
    suites: &[u16],
    versions: &[Protocol],
    groups: &[u16],
    key: KeyKind,
    server_order: bool,
    client_auth: ClientAuth,
) -> ServerSpec {
    ServerSpec {
        name: name.into(),
        suites: suites.to_vec(),
        versions: versions.to_vec(),
        groups: groups.to_vec(),
        key,
        server_order,
        client_auth,
        require_ems: false,
    }
}

const BOTH: &[Protocol] = &[Protocol::Tls12, Protocol::Tls13];

#[tokio::test]
async fn kube_apiserver_fips_preset() {
    // Handshakes: 4 declined; TLS 1.2, 1.3: 2 + 1 each (server order, not ours); groups 2 + 1 each;
    // features, EMS, fallback, client certificate: 4 = 4 + 6 + 6 + 4.
    let e = check(demo::kube_apiserver_fips(), 20).await;
    assert_eq!(
        e.preferred_suite.as_deref(),
        Some("TLS_AES_128_GCM_SHA256"),
        "server order, TLS 1.3 first"
    );
    assert!(
        e.certificate.is_some(),
        "certificate from the TLS 1.2 flight"
    );
}

#[tokio::test]
async fn etcd_non_fips_preset_client_order_ecdsa_client_auth_required() {
    // Handshakes: 4 declined; TLS 1.2, 1.3: 3 + 1 + 1 each (client order); groups 2 + 1 each;
    // features, EMS, fallback, client certificate: 4 = 4 + 10 + 6 + 4.
    // And the hellos confirming the close (no alert) with which tokio-rustls ends the TLS 1.2
    // scheme sweep and the hello without signature_algorithms (`probe::retry`): + 2.
    let e = check(demo::etcd_non_fips(), 26).await;
    // Client order: the preferred suite is the first of ours the server shares.
    assert_eq!(
        e.protocols[&Protocol::Tls13].preferred.as_deref(),
        Some("TLS_AES_256_GCM_SHA384")
    );
    assert_eq!(
        e.extensions.client_certificate,
        Some(ClientCertificate::Required)
    );
}

#[tokio::test]
async fn tls12_only_server_order_rsa_with_chacha_first() {
    // Handshakes: 5 declined; TLS 1.2: 3 + 1 (server order, not ours); groups 1 + 1; features 1,
    // EMS 1 = 5 + 4 + 2 + 2.
    check(
        spec(
            "tls12-rsa-server-order",
            &[
                suite::ECDHE_RSA_CHACHA20_POLY1305_SHA256,
                suite::ECDHE_RSA_AES_128_GCM_SHA256,
                suite::ECDHE_RSA_AES_256_GCM_SHA384,
            ],
            &[Protocol::Tls12],
            &[group::SECP256R1],
            KeyKind::Rsa2048,
            true,
            ClientAuth::None,
        ),
        13,
    )
    .await;
}

#[tokio::test]
async fn tls12_only_client_order_ecdsa() {
    // Handshakes: 5 declined; TLS 1.2: 3 + 1 + 1; groups 2 + 1; features 1, EMS 1 = 5 + 5 + 3 + 2.
    // And the hellos confirming the close (no alert) that ends the TLS 1.2 scheme sweep, and the
    // refused TLS 1.2 hello without signature_algorithms (`probe::retry`): + 3.
    let e = check(
        spec(
            "tls12-ecdsa-client-order",
            &[
                suite::ECDHE_ECDSA_AES_128_GCM_SHA256,
                suite::ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
                suite::ECDHE_ECDSA_AES_256_GCM_SHA384,
            ],
            &[Protocol::Tls12],
            &[group::X25519, group::SECP384R1],
            KeyKind::EcdsaP256,
            false,
            ClientAuth::None,
        ),
        18,
    )
    .await;
    assert_eq!(
        e.preferred_suite.as_deref(),
        Some("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
        "client order: our first (AES-256-GCM leads our list)"
    );
}

#[tokio::test]
async fn tls13_only_server_order_chacha_first() {
    // Handshakes: 5 declined; TLS 1.3: 3 + 1; groups 1 + 1; the certificate handshake 1 = 5 + 4 + 2
    // + 1.
    // And the intolerance check of each refused TLS 1.0-1.2 version and SSLv3
    // (`probe::intolerance`: the server never took a full-size TLS <= 1.2 hello, and it does not
    // refuse them with protocol_version, so each is offered in its windows): + 10.
    check(
        spec(
            "tls13-server-order",
            &[
                suite::TLS13_CHACHA20_POLY1305_SHA256,
                suite::TLS13_AES_128_GCM_SHA256,
                suite::TLS13_AES_256_GCM_SHA384,
            ],
            &[Protocol::Tls13],
            &[group::X25519],
            KeyKind::EcdsaP256,
            true,
            ClientAuth::None,
        ),
        22,
    )
    .await;
}

#[tokio::test]
async fn tls13_only_client_order() {
    // Handshakes: 5 declined; TLS 1.3: 2 + 1 + 1; groups 2 + 1; the certificate handshake 1 = 5 + 4
    // + 3 + 1.
    // And the intolerance check of each refused TLS 1.0-1.2 version and SSLv3
    // (`probe::intolerance`: the server never took a full-size TLS <= 1.2 hello, and it does not
    // refuse them with protocol_version, so each is offered in its windows): + 10.
    check(
        spec(
            "tls13-client-order",
            &[
                suite::TLS13_AES_128_GCM_SHA256,
                suite::TLS13_CHACHA20_POLY1305_SHA256,
            ],
            &[Protocol::Tls13],
            &[group::X25519, group::SECP256R1],
            KeyKind::Rsa2048,
            false,
            ClientAuth::None,
        ),
        23,
    )
    .await;
}

#[tokio::test]
async fn one_suite_per_version_order_is_moot() {
    // Handshakes: 4 declined; TLS 1.2: 1 + 1; TLS 1.3: 1 + 1 + 1 (a single suite declines the key-
    // share-less hello once more); groups 1 + 1 each; features, EMS, fallback: 3 = 4 + 2 + 3 + 4 +
    // 3.
    check(
        spec(
            "single-suites",
            &[
                suite::TLS13_AES_256_GCM_SHA384,
                suite::ECDHE_RSA_AES_256_GCM_SHA384,
            ],
            BOTH,
            &[group::SECP256R1],
            KeyKind::Rsa2048,
            true,
            ClientAuth::None,
        ),
        16,
    )
    .await;
}

/// Only P-384: neither of our TLS 1.3 key shares fits, so the server answers with a
/// HelloRetryRequest, which still names its suite; TLS 1.2 ECDHE must find P-384 in our list.
#[tokio::test]
async fn p384_only_needs_hello_retry_in_tls13() {
    // Handshakes: 4 declined; TLS 1.2, 1.3: 2 + 1 + 1 each; groups 1 + 1 each; features, EMS,
    // fallback: 3 = 4 + 8 + 4 + 3.
    // And the hellos confirming the close (no alert) that ends the TLS 1.2 scheme sweep, and the
    // refused TLS 1.2 hello without signature_algorithms (`probe::retry`): + 3.
    let e = check(
        spec(
            "p384-only",
            &[
                suite::TLS13_AES_256_GCM_SHA384,
                suite::TLS13_AES_128_GCM_SHA256,
                suite::ECDHE_ECDSA_AES_256_GCM_SHA384,
                suite::ECDHE_ECDSA_AES_128_GCM_SHA256,
            ],
            BOTH,
            &[group::SECP384R1],
            KeyKind::EcdsaP384,
            true,
            ClientAuth::None,
        ),
        22,
    )
    .await;
    assert!(e.groups.iter().any(|g| g == "secp384r1"), "{:?}", e.groups);
}

/// Post-quantum hybrid only in TLS 1.3, P-256 for TLS 1.2.
#[tokio::test]
async fn mlkem_hybrid_tls13() {
    // Handshakes: 4 declined; TLS 1.2: 1 + 1; TLS 1.3: 2 + 1; groups 1 + 1, 2 + 1; features, EMS,
    // fallback: 3 = 4 + 2 + 3 + 5 + 3.
    check(
        spec(
            "mlkem-hybrid",
            &[
                suite::TLS13_AES_128_GCM_SHA256,
                suite::TLS13_AES_256_GCM_SHA384,
                suite::ECDHE_RSA_AES_128_GCM_SHA256,
            ],
            BOTH,
            &[group::X25519_MLKEM768, group::SECP256R1],
            KeyKind::Rsa2048,
            true,
            ClientAuth::None,
        ),
        17,
    )
    .await;
}

#[tokio::test]
async fn every_rustls_suite_server_order_client_auth_required() {
    // Handshakes: 4 declined; TLS 1.2: 3 + 1; TLS 1.3: 3 + 1 + 1 (rustls's TLS 1.3 order is ours);
    // groups 3 + 1 each; features, EMS, fallback, client certificate: 4 = 4 + 4 + 5 + 8 + 4.
    check(
        spec(
            "all-rsa-required",
            &[
                suite::TLS13_AES_256_GCM_SHA384,
                suite::TLS13_CHACHA20_POLY1305_SHA256,
                suite::TLS13_AES_128_GCM_SHA256,
                suite::ECDHE_RSA_AES_128_GCM_SHA256,
                suite::ECDHE_RSA_CHACHA20_POLY1305_SHA256,
                suite::ECDHE_RSA_AES_256_GCM_SHA384,
            ],
            BOTH,
            &[group::SECP256R1, group::X25519, group::SECP384R1],
            KeyKind::Rsa2048,
            true,
            ClientAuth::Required,
        ),
        25,
    )
    .await;
}

/// The same server scanned with one connection at a time gives the same result.
#[tokio::test]
async fn per_host_one_gives_the_same_result() {
    let spec = demo::kube_apiserver_fips();
    let server = demo::spawn(&spec, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let a = scan(server.addr, 1).await;
    let b = scan(server.addr, 4).await;
    assert_eq!(a.protocols, b.protocols);
    assert_eq!(a.handshakes, b.handshakes);
}

/// Pure ML-KEM only in TLS 1.3: found only if our hello lists the group (a HelloRetryRequest
/// then names the suite).
#[tokio::test]
async fn pure_mlkem_tls13_only() {
    // Handshakes: 5 declined; TLS 1.3: 2 + 1 + 1; groups 1 + 1; the certificate handshake 1 = 5 + 4
    // + 2 + 1.
    // And the intolerance check of each refused TLS 1.0-1.2 version and SSLv3
    // (`probe::intolerance`: the server never took a full-size TLS <= 1.2 hello, and it does not
    // refuse them with protocol_version, so each is offered in its windows): + 10.
    check(
        spec(
            "mlkem768-only",
            &[
                suite::TLS13_AES_256_GCM_SHA384,
                suite::TLS13_AES_128_GCM_SHA256,
            ],
            &[Protocol::Tls13],
            &[group::MLKEM768],
            KeyKind::EcdsaP256,
            true,
            ClientAuth::None,
        ),
        22,
    )
    .await;
}

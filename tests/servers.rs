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

// ---------------------------------------------------------------- in-process rustls servers

#[tokio::test]
async fn kube_apiserver_fips_accepts_aes_gcm_and_refuses_chacha() {
    let server = demo::spawn(&demo::kube_apiserver_fips(), loopback())
        .await
        .unwrap();
    let addr = server.addr;

    let tls13 = rustls_connect(addr, &[suite::TLS13_AES_128_GCM_SHA256], &BOTH, &ALL_GROUPS)
        .await
        .unwrap();
    assert_eq!(tls13.protocol, Protocol::Tls13);
    assert_eq!(tls13.suite, suite::TLS13_AES_128_GCM_SHA256);
    assert!(
        tls13.response.contains("suite=TLS13_AES_128_GCM_SHA256"),
        "{}",
        tls13.response
    );
    assert_eq!(tls13.chain, vec![server.cert_der.clone()]);

    let tls12 = rustls_connect(
        addr,
        &[suite::ECDHE_RSA_AES_256_GCM_SHA384],
        &[Protocol::Tls12],
        &ALL_GROUPS,
    )
    .await
    .unwrap();
    assert_eq!(
        (tls12.protocol, tls12.suite),
        (Protocol::Tls12, suite::ECDHE_RSA_AES_256_GCM_SHA384)
    );

    for chacha in [
        suite::TLS13_CHACHA20_POLY1305_SHA256,
        suite::ECDHE_RSA_CHACHA20_POLY1305_SHA256,
    ] {
        let refused = rustls_connect(addr, &[chacha], &BOTH, &ALL_GROUPS).await;
        assert!(refused.is_err(), "0x{chacha:04X} accepted: {refused:?}");
    }
    // x25519 is not a FIPS curve: a client offering only x25519 gets nothing, in either version.
    for version in BOTH {
        let refused = rustls_connect(addr, &ALL_RUSTLS_SUITES, &[version], &[group::X25519]).await;
        assert!(
            refused.is_err(),
            "x25519 accepted in {version}: {refused:?}"
        );
    }
    // P-384 alone works (TLS 1.3 via HelloRetryRequest when a P-256 share is offered first).
    let p384 = rustls_connect(addr, &ALL_RUSTLS_SUITES, &BOTH, &[group::SECP384R1])
        .await
        .unwrap();
    assert_eq!(p384.group, Some(group::SECP384R1));
}

#[tokio::test]
async fn kube_apiserver_fips_enforces_server_order() {
    let server = demo::spawn(&demo::kube_apiserver_fips(), loopback())
        .await
        .unwrap();
    // The client prefers AES-256, the server's order puts AES-128 first and wins.
    let tls12 = rustls_connect(
        server.addr,
        &[
            suite::ECDHE_RSA_AES_256_GCM_SHA384,
            suite::ECDHE_RSA_AES_128_GCM_SHA256,
        ],
        &[Protocol::Tls12],
        &ALL_GROUPS,
    )
    .await
    .unwrap();
    assert_eq!(tls12.suite, suite::ECDHE_RSA_AES_128_GCM_SHA256);
    let tls13 = rustls_connect(
        server.addr,
        &[
            suite::TLS13_AES_256_GCM_SHA384,
            suite::TLS13_AES_128_GCM_SHA256,
        ],
        &[Protocol::Tls13],
        &ALL_GROUPS,
    )
    .await
    .unwrap();
    assert_eq!(tls13.suite, suite::TLS13_AES_128_GCM_SHA256);
}

#[tokio::test]
async fn etcd_non_fips_follows_client_order_and_requires_client_cert() {
    let spec = demo::etcd_non_fips();
    assert_eq!(spec.client_auth, ClientAuth::Required);
    let server = demo::spawn(&spec, loopback()).await.unwrap();
    // Without a client certificate the TLS 1.2 handshake fails outright ...
    let tls12 = rustls_connect(
        server.addr,
        &ALL_RUSTLS_SUITES,
        &[Protocol::Tls12],
        &ALL_GROUPS,
    )
    .await;
    assert!(tls12.is_err(), "{tls12:?}");
    // ... and TLS 1.3 completes on the client side, then the server refuses.
    let tls13 = rustls_connect(
        server.addr,
        &ALL_RUSTLS_SUITES,
        &[Protocol::Tls13],
        &ALL_GROUPS,
    )
    .await;
    assert!(tls13.is_err(), "{tls13:?}");

    // The same suites and order without client auth: client order, ChaCha20 and x25519 accepted.
    let open = ServerSpec {
        client_auth: ClientAuth::None,
        ..spec
    };
    let server = demo::spawn(&open, loopback()).await.unwrap();
    for (offer, version) in [
        (suite::ECDHE_ECDSA_AES_256_GCM_SHA384, Protocol::Tls12),
        (suite::ECDHE_ECDSA_CHACHA20_POLY1305_SHA256, Protocol::Tls12),
        (suite::TLS13_AES_256_GCM_SHA384, Protocol::Tls13),
    ] {
        let mut suites = vec![offer];
        suites.extend(ALL_RUSTLS_SUITES.iter().filter(|s| **s != offer));
        let got = rustls_connect(server.addr, &suites, &[version], &[group::X25519])
            .await
            .unwrap();
        assert_eq!((got.protocol, got.suite), (version, offer));
        assert_eq!(got.group, Some(group::X25519));
    }
}

#[tokio::test]
async fn optional_client_auth_serves_clients_without_certificates() {
    let server = demo::spawn(&demo::kube_apiserver_fips(), loopback())
        .await
        .unwrap();
    assert!(server.client_ca.is_some());
    for version in BOTH {
        let got = rustls_connect(server.addr, &ALL_RUSTLS_SUITES, &[version], &ALL_GROUPS)
            .await
            .unwrap();
        assert!(
            got.response
                .contains("fipsprobe-demo name=kube-apiserver-fips"),
            "{}",
            got.response
        );
    }
}

#[tokio::test]
async fn tls13_only_server_with_p384_key_and_hybrid_group() {
    let spec = ServerSpec {
        name: "tls13-p384".into(),
        suites: vec![suite::TLS13_AES_256_GCM_SHA384],
        versions: vec![Protocol::Tls13],
        groups: vec![group::X25519_MLKEM768, group::SECP384R1],
        key: KeyKind::EcdsaP384,
        server_order: false,
        client_auth: ClientAuth::None,
        require_ems: false,
    };
    let server = demo::spawn(&spec, loopback()).await.unwrap();
    let got = rustls_connect(
        server.addr,
        &ALL_RUSTLS_SUITES,
        &BOTH,
        &[group::X25519_MLKEM768],
    )
    .await
    .unwrap();
    assert_eq!(
        (got.protocol, got.suite),
        (Protocol::Tls13, suite::TLS13_AES_256_GCM_SHA384)
    );
    assert_eq!(got.group, Some(group::X25519_MLKEM768));
    let tls12 = rustls_connect(
        server.addr,
        &ALL_RUSTLS_SUITES,
        &[Protocol::Tls12],
        &ALL_GROUPS,
    )
    .await;
    assert!(tls12.is_err(), "{tls12:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_many_concurrent_handshakes() {
    let server = demo::spawn(&demo::kube_apiserver_fips(), loopback())
        .await
        .unwrap();
    let addr = server.addr;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let version = BOTH[i % 2];
        tasks.spawn(async move {
            rustls_connect(addr, &ALL_RUSTLS_SUITES, &[version], &ALL_GROUPS).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
}

#[tokio::test]
async fn binds_other_loopback_addresses() {
    let server = demo::spawn(
        &demo::kube_apiserver_fips(),
        SocketAddr::from(([127, 0, 3, 7], 0)),
    )
    .await
    .unwrap();
    assert_eq!(server.addr.ip().to_string(), "127.0.3.7");
    rustls_connect(server.addr, &ALL_RUSTLS_SUITES, &BOTH, &ALL_GROUPS)
        .await
        .unwrap();
}

#[tokio::test]
async fn openssl_client_sees_kube_apiserver_fips_suites() {
    let server = demo::spawn(&demo::kube_apiserver_fips(), loopback())
        .await
        .unwrap();
    let addr = server.addr;
    let got = tokio::task::spawn_blocking(move || {
        (
            s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]),
            s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"]),
            s_client(addr, &["-tls1_2", "-cipher", "AES128-SHA"]),
        )
    })
    .await
    .unwrap();
    require_server!(got.0).assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    require_server!(got.1).assert_refused();
    require_server!(got.2).assert_refused();
}

// ---------------------------------------------------------------- OpenSSL s_server

#[test]
fn openssl_legacy_accepts_tls10_cbc_static_rsa_and_anonymous() {
    let server = require_server!(OpensslServer::legacy(false));
    let addr = server.addr();
    s_client(addr, &["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"])
        .unwrap()
        .assert_negotiated("TLSv1", "AES128-SHA");
    s_client(
        addr,
        &["-tls1_1", "-cipher", "DHE-RSA-CAMELLIA256-SHA:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.1", "DHE-RSA-CAMELLIA256-SHA");
    s_client(
        addr,
        &["-tls1_2", "-cipher", "ARIA128-GCM-SHA256:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ARIA128-GCM-SHA256");
    s_client(
        addr,
        &["-tls1_2", "-cipher", "ADH-AES128-GCM-SHA256:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ADH-AES128-GCM-SHA256");
    s_client(
        addr,
        &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256");
    // Client order: the client's first choice wins.
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "AES256-SHA");
    // Rapid successive connections on the one-at-a-time server all succeed.
    for _ in 0..10 {
        s_client(addr, &["-tls1_2"])
            .unwrap()
            .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    }
}

#[test]
fn openssl_legacy_serverpref_enforces_its_order() {
    let server = require_server!(OpensslServer::legacy(true));
    // The client puts a weak CBC suite first; OpenSSL's own order prefers ECDHE AES-GCM.
    s_client(
        server.addr(),
        &[
            "-tls1_2",
            "-cipher",
            "AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn openssl_tls13_only_refuses_tls12() {
    let server = require_server!(OpensslServer::tls13_only());
    s_client(server.addr(), &["-tls1_3"])
        .unwrap()
        .assert_negotiated("TLSv1.3", "TLS_AES_256_GCM_SHA384");
    s_client(server.addr(), &["-tls1_2"])
        .unwrap()
        .assert_refused();
}

#[test]
fn openssl_client_cert_required_refuses_anonymous_clients() {
    let server = require_server!(OpensslServer::client_cert_required());
    let tls12 = s_client(server.addr(), &["-tls1_2"]).unwrap();
    tls12.assert_refused();
    assert!(
        tls12.output.contains("handshake failure"),
        "{}",
        tls12.output
    );
    // TLS 1.3: the client finishes, then the server alerts certificate_required.
    let tls13 = s_client(server.addr(), &["-tls1_3"]).unwrap();
    assert!(
        !tls13.exit_ok && tls13.output.contains("certificate required"),
        "{}",
        tls13.output
    );
    // With a certificate (its own, which it trusts) the handshake succeeds.
    let key = server.cert.key.to_str().unwrap().to_string();
    let cert = server.cert.cert.to_str().unwrap().to_string();
    s_client(server.addr(), &["-tls1_2", "-cert", &cert, "-key", &key])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
}

#[test]
fn openssl_ecdsa_p384_certificate_serves_ecdsa_suites() {
    let server = require_server!(OpensslServer::ecdsa(KeyKind::EcdsaP384));
    let got = s_client(server.addr(), &["-tls1_2"]).unwrap();
    got.assert_negotiated("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384");
    assert!(
        got.output.contains("Signature type: ECDSA"),
        "{}",
        got.output
    );
    s_client(
        server.addr(),
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
    )
    .unwrap()
    .assert_refused();
}

#[test]
fn openssl_dhe_1024_uses_the_1024_bit_group() {
    let server = require_server!(OpensslServer::dhe_1024());
    let got = s_client(server.addr(), &["-cipher", "ALL:@SECLEVEL=0"]).unwrap();
    got.assert_negotiated("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384");
    assert_eq!(
        got.temp_key.as_deref(),
        Some("DH, 1024 bits"),
        "{}",
        got.output
    );
    s_client(server.addr(), &["-cipher", "ECDHE:@SECLEVEL=0"])
        .unwrap()
        .assert_refused();
}

#[test]
fn openssl_weak_certificates_are_served() {
    let rsa1024 = require_server!(OpensslServer::rsa1024_cert());
    let got = s_client(rsa1024.addr(), &["-cipher", "ALL:@SECLEVEL=0"]).unwrap();
    assert!(got.established, "{}", got.output);
    assert!(
        got.output.contains("Peer certificate: CN = localhost"),
        "{}",
        got.output
    );
    assert!(
        x509_key_bits(&rsa1024.cert.cert_der) == 1024,
        "RSA-1024 certificate has another size"
    );

    let sha1 = require_server!(OpensslServer::sha1_cert());
    assert!(
        s_client(sha1.addr(), &["-cipher", "ALL:@SECLEVEL=0"])
            .unwrap()
            .established
    );
    assert_eq!(signature_oid(&sha1.cert.cert_der), "1.2.840.113549.1.1.5"); // sha1WithRSAEncryption

    let expired = require_server!(OpensslServer::expired_cert());
    assert!(s_client(expired.addr(), &[]).unwrap().established);
    let (_, cert) = x509_parser::parse_x509_certificate(&expired.cert.cert_der).unwrap();
    assert!(!cert.validity().is_valid());
}

#[test]
fn openssl_group_limited_servers() {
    let x25519 = require_server!(OpensslServer::groups("x25519"));
    let got = s_client(x25519.addr(), &["-tls1_2"]).unwrap();
    assert_eq!(
        got.temp_key.as_deref(),
        Some("X25519, 253 bits"),
        "{}",
        got.output
    );
    s_client(x25519.addr(), &["-tls1_3", "-groups", "P-256:P-384"])
        .unwrap()
        .assert_refused();

    let p384 = require_server!(OpensslServer::groups("P-384"));
    let got = s_client(p384.addr(), &["-tls1_3"]).unwrap();
    assert_eq!(
        got.temp_key.as_deref(),
        Some("ECDH, secp384r1, 384 bits"),
        "{}",
        got.output
    );
    s_client(
        p384.addr(),
        &["-tls1_2", "-cipher", "ECDHE", "-groups", "x25519:P-256"],
    )
    .unwrap()
    .assert_refused();
}

#[test]
fn openssl_tls12_without_ems() {
    let server = require_server!(OpensslServer::tls12_no_ems());
    let facts = s_client_session(server.addr(), &[]).unwrap();
    assert_eq!(
        facts.protocol.as_deref(),
        Some("TLSv1.2"),
        "{}",
        facts.output
    );
    assert_eq!(
        facts.extended_master_secret,
        Some(false),
        "{}",
        facts.output
    );
    // The ordinary preset does offer EMS, so the flag above is what turned it off.
    let normal = require_server!(OpensslServer::start(&["-tls1_2"], KeyKind::Rsa2048));
    let facts = s_client_session(normal.addr(), &[]).unwrap();
    assert_eq!(facts.extended_master_secret, Some(true), "{}", facts.output);
}

fn x509_key_bits(der: &[u8]) -> usize {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.public_key().parsed().unwrap().key_size()
}

fn signature_oid(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.signature_algorithm.algorithm.to_id_string()
}

// ---------------------------------------------------------------- Go crypto/tls (kubeserve)

#[test]
fn go_default_settings_accept_tls10_and_chacha_and_override_client_order() {
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::Standard));
    let addr = server.addr();
    // Go 1.19's server default minimum is still TLS 1.0.
    s_client(
        addr,
        &["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1", "ECDHE-RSA-AES128-SHA");
    let tls13 = s_client(addr, &["-tls1_3"]).unwrap();
    tls13.assert_negotiated("TLSv1.3", "TLS_AES_128_GCM_SHA256");
    assert!(
        tls13.output.contains("kubeserve fips=false"),
        "{}",
        tls13.output
    );
    // Go ignores the client's order: a CBC first choice loses to ECDHE AES-GCM ...
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    // ... except that a client preferring ChaCha20 gets ChaCha20 (Go's "no AES hardware" guess).
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305");
}

#[test]
fn go_boringcrypto_fipsonly_allows_only_tls12_aes_gcm() {
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::BoringFips));
    let addr = server.addr();
    let tls12 = s_client(addr, &["-tls1_2"]).unwrap();
    tls12.assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    assert!(
        tls12.output.contains("kubeserve fips=true"),
        "{}",
        tls12.output
    );
    s_client(addr, &["-tls1_3"]).unwrap().assert_refused();
    s_client(addr, &["-tls1", "-cipher", "ALL:@SECLEVEL=0"])
        .unwrap()
        .assert_refused();
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA",
        ],
    )
    .unwrap()
    .assert_refused();
    // Go 1.19 has no extended master secret, BoringCrypto or not.
    let facts = s_client_session(addr, &[]).unwrap();
    assert_eq!(
        facts.extended_master_secret,
        Some(false),
        "{}",
        facts.output
    );
    assert_eq!(facts.secure_renegotiation, Some(true), "{}", facts.output);
    // x25519 is not a FIPS curve (but static-RSA AES-GCM is on Go 1.19's FIPS list).
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE", "-groups", "x25519"])
        .unwrap()
        .assert_refused();
    s_client(addr, &["-tls1_2", "-cipher", "AES128-GCM-SHA256"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "AES128-GCM-SHA256");
}

#[test]
fn go_cis_benchmark_list_is_enforced_for_tls12_only() {
    let server = require_server!(GoTlsServer::cis_benchmark(GoCrypto::Standard));
    let addr = server.addr();
    s_client(
        addr,
        &["-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-SHA"],
    )
    .unwrap()
    .assert_refused();
    s_client(addr, &["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"])
        .unwrap()
        .assert_refused();
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    // Go does not apply --tls-cipher-suites to TLS 1.3.
    s_client(
        addr,
        &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256");
}

#[test]
fn go_dual_certificates_serve_rsa_and_ecdsa_suites() {
    let server = require_server!(GoTlsServer::dual_cert(GoCrypto::Standard));
    assert_eq!(server.certs.len(), 2);
    s_client(
        server.addr(),
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256");
    s_client(
        server.addr(),
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn go_client_ca_optional_and_required() {
    let optional = require_server!(GoTlsServer::client_cert(GoCrypto::Standard, false));
    s_client(optional.addr(), &["-tls1_2"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    // ... yet it did send a CertificateRequest naming the CA.
    let facts = s_client_session(optional.addr(), &["-tls1_2"]).unwrap();
    assert!(
        facts
            .output
            .contains("Acceptable client certificate CA names"),
        "{}",
        facts.output
    );
    let required = require_server!(GoTlsServer::client_cert(GoCrypto::Standard, true));
    s_client(required.addr(), &["-tls1_2"])
        .unwrap()
        .assert_refused();
    let cert = required.certs[0].cert.to_str().unwrap().to_string();
    let key = required.certs[0].key.to_str().unwrap().to_string();
    s_client(required.addr(), &["-tls1_2", "-cert", &cert, "-key", &key])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

// ---------------------------------------------------------------- nginx, etcd, GnuTLS

#[test]
fn nginx_cipher_list_and_server_preference() {
    let server = require_server!(NginxServer::start(
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
        "TLSv1.2 TLSv1.3",
        true
    ));
    let addr = server.addr();
    let got = s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .unwrap();
    got.assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    assert!(
        got.output
            .contains("nginx TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256"),
        "{}",
        got.output
    );
    s_client(addr, &["-tls1_2", "-cipher", "AES128-SHA"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "AES128-SHA");
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305:AES256-SHA",
        ],
    )
    .unwrap()
    .assert_refused();
    s_client(addr, &["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"])
        .unwrap()
        .assert_refused();

    let client_order = require_server!(NginxServer::start(
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        "TLSv1.2",
        false
    ));
    s_client(
        client_order.addr(),
        &[
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn etcd_restricted_cipher_suites() {
    let server = require_server!(EtcdServer::start(
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        false
    ));
    let addr = server.addr();
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA",
        ],
    )
    .unwrap()
    .assert_refused();
}

#[test]
fn etcd_client_cert_auth_requires_a_certificate() {
    let server = require_server!(EtcdServer::start(None, true));
    let addr = server.addr();
    s_client(addr, &["-tls1_2"]).unwrap().assert_refused();
    let cert = server.cert.cert.to_str().unwrap().to_string();
    let key = server.cert.key.to_str().unwrap().to_string();
    s_client(addr, &["-tls1_2", "-cert", &cert, "-key", &key])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn gnutls_priority_string_is_applied() {
    let server = require_server!(GnutlsServer::start(
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+CAMELLIA-128-GCM"
    ));
    let addr = server.addr();
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
        .unwrap()
        .assert_refused();
    s_client(addr, &["-tls1_3"]).unwrap().assert_refused();
    // gnutls-serv listens on every interface, but in a network namespace of its own.
    let own = std::fs::read_link("/proc/self/ns/net").unwrap();
    let its = std::fs::read_link(format!("/proc/{}/ns/net", server.inner.pid())).unwrap();
    assert_ne!(
        own, its,
        "gnutls-serv runs in the test's own network namespace"
    );
}

// ---------------------------------------------------------------- nmap and non-TLS endpoints

#[test]
fn nmap_reference_sees_the_openssl_server_order() {
    let server = require_server!(OpensslServer::start(
        &[
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA",
            "-serverpref",
            "-no_tls1_3"
        ],
        KeyKind::Rsa2048
    ));
    let found = require_server!(common::nmap::ssl_enum_ciphers(server.addr()));
    let tls12 = &found.versions.get("TLSv1.2").expect("nmap saw TLSv1.2");
    assert_eq!(
        tls12.ciphers,
        [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_256_CBC_SHA"
        ],
        "{}",
        found.raw
    );
    assert_eq!(tls12.preference.as_deref(), Some("server"), "{}", found.raw);
    assert!(!found.versions.contains_key("TLSv1.3"), "{}", found.raw);
}

#[test]
fn nmap_and_openssl_ciphers_agree_on_the_legacy_server() {
    let server = require_server!(OpensslServer::legacy(true));
    let found = require_server!(common::nmap::ssl_enum_ciphers(server.addr()));
    for version in [Protocol::Tls10, Protocol::Tls11, Protocol::Tls12] {
        let expected: Vec<String> =
            common::openssl::expected_suites("ALL:@SECLEVEL=0", None, version, KeyKind::Rsa2048)
                .unwrap()
                .into_iter()
                .map(|s| s.iana)
                .collect();
        let label = version.label().to_string();
        let seen = &found
            .versions
            .get(&label)
            .unwrap_or_else(|| panic!("nmap missed {label}\n{}", found.raw));
        // Same suites in the same (server) order.
        assert_eq!(seen.ciphers, expected, "{label}\n{}", found.raw);
        assert_eq!(seen.preference.as_deref(), Some("server"));
    }
    let tls13 =
        common::openssl::expected_suites("ALL", None, Protocol::Tls13, KeyKind::Rsa2048).unwrap();
    let codes: Vec<u16> = tls13.iter().map(|s| s.code).collect();
    assert_eq!(codes, [0x1302, 0x1303, 0x1301]);
}

#[test]
fn misbehaving_endpoints_behave_as_named() {
    use std::io::{Read, Write};
    use std::time::Duration;

    let garbage = common::MisbehavingServer::garbage();
    let mut stream = std::net::TcpStream::connect(garbage.addr).unwrap();
    stream.write_all(b"\x16\x03\x01\x00\x05hello").unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    assert_eq!(&got[..5], &[0x16, 0x03, 0x03, 0xFF, 0xFF]);

    let silent = common::MisbehavingServer::silent();
    let mut stream = std::net::TcpStream::connect(silent.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    stream.write_all(b"\x16\x03\x01\x00\x05hello").unwrap();
    let err = stream.read(&mut [0u8; 16]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );

    let closed = common::closed_port();
    let err = std::net::TcpStream::connect(closed).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn missing_binary_message_names_the_package() {
    let err =
        common::process::require_binary("fipsprobe-no-such-server", "gnutls-bin").unwrap_err();
    let message = err.to_string();
    assert!(message.contains("apt-get install gnutls-bin"), "{message}");
    assert!(matches!(err, ServerError::Missing { .. }));
}

#[test]
fn a_server_that_cannot_start_reports_its_stderr() {
    let err = match OpensslServer::start(&["-no-such-option"], KeyKind::EcdsaP256) {
        Ok(_) => panic!("s_server started with a bogus option"),
        Err(err) => err,
    };
    if let ServerError::Missing { .. } = err {
        return common::skip_or_fail(err);
    }
    let message = err.to_string();
    assert!(
        message.contains("exited") && message.contains("no-such-option"),
        "{message}"
    );
}

#[test]
fn gnutls_defaults_to_client_order_and_serves_dhe() {
    let server = require_server!(GnutlsServer::start("NORMAL:+VERS-TLS1.0:+VERS-TLS1.1"));
    let addr = server.addr();
    let dhe = s_client(addr, &["-tls1_2", "-cipher", "DHE-RSA-AES256-GCM-SHA384"]).unwrap();
    dhe.assert_negotiated("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384");
    assert_eq!(
        dhe.temp_key.as_deref(),
        Some("DH, 2048 bits"),
        "{}",
        dhe.output
    );
    s_client(
        addr,
        &["-tls1", "-cipher", "ECDHE-RSA-AES256-SHA:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1", "ECDHE-RSA-AES256-SHA");
    // No %SERVER_PRECEDENCE: the client's first choice wins.
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "AES128-SHA");
}

#[test]
fn gnutls_cli_list_matches_nmap() {
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:-CIPHER-ALL:+AES-256-GCM:+AES-128-CBC:%SERVER_PRECEDENCE";
    let server = require_server!(GnutlsServer::start(priority));
    let found = require_server!(common::nmap::ssl_enum_ciphers(server.addr()));
    for version in [Protocol::Tls11, Protocol::Tls12] {
        let expected: Vec<String> =
            common::gnutls::expected_suites(priority, version, KeyKind::Rsa2048)
                .unwrap()
                .into_iter()
                .map(|s| s.iana)
                .collect();
        assert!(!expected.is_empty());
        let seen = found
            .versions
            .get(version.label())
            .map(|v| v.ciphers.clone())
            .unwrap_or_default();
        assert_eq!(seen, expected, "{version}\n{}", found.raw);
    }
    assert!(
        common::gnutls::expected_suites(priority, Protocol::Tls13, KeyKind::Rsa2048)
            .unwrap()
            .is_empty()
    );
    assert!(!found.versions.contains_key("TLSv1.3"), "{}", found.raw);
}

#[test]
fn nginx_without_dhparam_cannot_do_dhe() {
    let listed = require_server!(NginxServer::start(
        "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        "TLSv1.2",
        true
    ));
    s_client(listed.addr(), &["-cipher", "DHE-RSA-AES128-GCM-SHA256"])
        .unwrap()
        .assert_refused();
    let dir = listed.process.dir.path().display().to_string();
    std::fs::write(format!("{dir}/dh.pem"), common::openssl::DH1024_PEM).unwrap();
    let with_dh = require_server!(NginxServer::start_with(
        "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        "TLSv1.2",
        true,
        KeyKind::Rsa2048,
        &format!("ssl_dhparam {dir}/dh.pem;"),
    ));
    let got = s_client(
        with_dh.addr(),
        &["-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"],
    )
    .unwrap();
    got.assert_negotiated("TLSv1.2", "DHE-RSA-AES128-GCM-SHA256");
    assert_eq!(
        got.temp_key.as_deref(),
        Some("DH, 1024 bits"),
        "{}",
        got.output
    );
}

#[test]
fn nmap_confirms_go_default_and_boringcrypto_suite_sets() {
    use common::go::{
        GO119_BORING_RSA_TLS12, GO119_DEFAULT_RSA_TLS10, GO119_DEFAULT_RSA_TLS12, GO119_TLS13,
    };
    use std::collections::BTreeSet;

    // nmap names suites; map them through `openssl ciphers` plus the few OpenSSL 3 lacks (3DES).
    let mut codes: std::collections::HashMap<String, u16> = common::openssl::expected_suites(
        "ALL:@SECLEVEL=0",
        None,
        Protocol::Tls12,
        KeyKind::Rsa2048,
    )
    .unwrap()
    .into_iter()
    .map(|s| (s.iana, s.code))
    .collect();
    codes.insert("TLS_RSA_WITH_3DES_EDE_CBC_SHA".into(), 0x000A);
    codes.insert("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA".into(), 0xC012);
    // nmap's draft names for TLS 1.3.
    codes.insert("TLS_AKE_WITH_AES_128_GCM_SHA256".into(), 0x1301);
    codes.insert("TLS_AKE_WITH_AES_256_GCM_SHA384".into(), 0x1302);
    codes.insert("TLS_AKE_WITH_CHACHA20_POLY1305_SHA256".into(), 0x1303);
    let sets = |found: &common::nmap::NmapResult| -> Vec<(String, BTreeSet<u16>)> {
        found
            .versions
            .iter()
            .map(|(label, v)| {
                let set = v
                    .ciphers
                    .iter()
                    .map(|n| *codes.get(n).unwrap_or_else(|| panic!("unmapped {n}")))
                    .collect();
                (label.clone(), set)
            })
            .collect()
    };
    let set = |codes: &[u16]| codes.iter().copied().collect::<BTreeSet<u16>>();

    let plain = require_server!(GoTlsServer::default_settings(GoCrypto::Standard));
    let found = require_server!(common::nmap::ssl_enum_ciphers(plain.addr()));
    assert_eq!(
        sets(&found),
        vec![
            ("TLSv1.0".to_string(), set(&GO119_DEFAULT_RSA_TLS10)),
            ("TLSv1.1".to_string(), set(&GO119_DEFAULT_RSA_TLS10)),
            ("TLSv1.2".to_string(), set(&GO119_DEFAULT_RSA_TLS12)),
            ("TLSv1.3".to_string(), set(&GO119_TLS13)),
        ],
        "{}",
        found.raw
    );

    let boring = require_server!(GoTlsServer::default_settings(GoCrypto::BoringFips));
    let found = require_server!(common::nmap::ssl_enum_ciphers(boring.addr()));
    assert_eq!(
        sets(&found),
        vec![("TLSv1.2".to_string(), set(&GO119_BORING_RSA_TLS12))],
        "{}",
        found.raw
    );
}

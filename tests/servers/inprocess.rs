//! In-process rustls servers (`fipsprobe::demo`), checked with a tokio-rustls client and `openssl s_client`.

use super::*;

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

#[tokio::test]
async fn counts_connections_and_completed_handshakes() {
    let server = demo::spawn(&demo::kube_apiserver_fips(), loopback())
        .await
        .unwrap();
    rustls_connect(server.addr, &ALL_RUSTLS_SUITES, &BOTH, &ALL_GROUPS)
        .await
        .unwrap();
    let refused = rustls_connect(
        server.addr,
        &[suite::TLS13_CHACHA20_POLY1305_SHA256],
        &BOTH,
        &ALL_GROUPS,
    )
    .await;
    assert!(refused.is_err());
    drop(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    for _ in 0..100 {
        if server.connections() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(server.connections(), 3);
    assert_eq!(server.handshakes(), 1);
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
    assert_eq!(server.handshakes(), 64);
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

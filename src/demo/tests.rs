//! Unit tests for spec validation: what rustls could never negotiate is refused up front.

#![allow(clippy::unwrap_used)]

use super::*;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn spawn_err(spec: ServerSpec) -> DemoError {
    match spawn(&spec, loopback()).await {
        Ok(server) => panic!("spec {spec:?} started on {}", server.addr),
        Err(e) => e,
    }
}

#[tokio::test]
async fn presets_start_and_report_their_address() {
    let servers = spawn_demo().await.unwrap();
    assert_eq!(servers.len(), demo_specs().len());
    for (server, spec) in servers.into_iter().zip(demo_specs()) {
        assert_eq!(server.spec, spec);
        assert!(server.addr.ip().is_loopback());
        assert_ne!(server.addr.port(), 0);
        assert!(!server.cert_der.is_empty());
        assert_eq!(
            server.client_ca.is_some(),
            spec.client_auth != ClientAuth::None
        );
        server.shutdown().await;
    }
}

#[tokio::test]
async fn refuses_ecdsa_suite_with_rsa_key() {
    let mut spec = kube_apiserver_fips();
    spec.suites.push(suite::ECDHE_ECDSA_AES_128_GCM_SHA256);
    assert!(matches!(
        spawn_err(spec).await,
        DemoError::Inconsistent { .. }
    ));
}

#[tokio::test]
async fn refuses_tls10_and_unknown_codes() {
    let mut spec = kube_apiserver_fips();
    spec.versions.push(Protocol::Tls10);
    assert!(matches!(
        spawn_err(spec).await,
        DemoError::UnsupportedVersion(Protocol::Tls10)
    ));

    let mut spec = kube_apiserver_fips();
    spec.suites.push(0x002F);
    assert!(matches!(
        spawn_err(spec).await,
        DemoError::UnknownSuite(0x002F)
    ));

    let mut spec = kube_apiserver_fips();
    spec.groups.push(0x0100);
    assert!(matches!(
        spawn_err(spec).await,
        DemoError::UnknownGroup(0x0100)
    ));
}

#[tokio::test]
async fn refuses_version_without_suites_and_suite_without_version() {
    let mut spec = kube_apiserver_fips();
    spec.suites
        .retain(|&s| s != suite::TLS13_AES_128_GCM_SHA256 && s != suite::TLS13_AES_256_GCM_SHA384);
    assert!(matches!(
        spawn_err(spec).await,
        DemoError::Inconsistent { .. }
    ));

    let mut spec = kube_apiserver_fips();
    spec.versions = vec![Protocol::Tls12];
    assert!(matches!(
        spawn_err(spec).await,
        DemoError::Inconsistent { .. }
    ));
}

#[tokio::test]
async fn refuses_tls12_with_only_hybrid_groups() {
    let mut spec = kube_apiserver_fips();
    spec.groups = vec![group::X25519_MLKEM768];
    assert!(matches!(
        spawn_err(spec).await,
        DemoError::Inconsistent { .. }
    ));
}

#[tokio::test]
async fn refuses_certificate_of_other_key_kind() {
    let spec = kube_apiserver_fips();
    let cert = generate_cert(KeyKind::EcdsaP256, &CertOptions::default()).unwrap();
    let err = spawn_with_cert(&spec, loopback(), &cert).await.unwrap_err();
    assert!(matches!(err, DemoError::Inconsistent { .. }));
}

#[tokio::test]
async fn stops_listening_when_dropped() {
    let server = spawn(&etcd_non_fips(), loopback()).await.unwrap();
    let addr = server.addr;
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    drop(server);
    // Abort is asynchronous: give the runtime a moment to drop the listener.
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(refused, "{addr} still accepts after drop");
}

#[test]
fn suites_for_splits_by_version_in_spec_order() {
    let spec = kube_apiserver_fips();
    assert_eq!(
        spec.suites_for(Protocol::Tls13),
        [
            suite::TLS13_AES_128_GCM_SHA256,
            suite::TLS13_AES_256_GCM_SHA384
        ]
    );
    assert_eq!(
        spec.suites_for(Protocol::Tls12),
        [
            suite::ECDHE_RSA_AES_128_GCM_SHA256,
            suite::ECDHE_RSA_AES_256_GCM_SHA384
        ]
    );
    assert!(spec.suites_for(Protocol::Tls11).is_empty());
}

#[test]
fn fleet_addrs_are_distinct_loopback_hosts() {
    let addrs = fleet_addrs(600, 6443);
    assert_eq!(addrs.len(), 600);
    assert_eq!(addrs[0], SocketAddr::from(([127, 1, 0, 1], 6443)));
    assert_eq!(addrs[253], SocketAddr::from(([127, 1, 0, 254], 6443)));
    assert_eq!(addrs[254], SocketAddr::from(([127, 1, 1, 1], 6443)));
    let unique: std::collections::HashSet<_> = addrs.iter().collect();
    assert_eq!(unique.len(), 600);
}

#[tokio::test]
async fn fleet_serves_one_port_on_many_addresses() {
    // Port 0 per address would defeat the purpose; pick a free port on the first address and
    // hope it is free on the others (they are unused loopback addresses).
    let probe = std::net::TcpListener::bind("127.1.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let servers = spawn_fleet(&kube_apiserver_fips(), &fleet_addrs(20, port))
        .await
        .unwrap();
    assert_eq!(servers.len(), 20);
    for server in &servers {
        assert_eq!(server.addr.port(), port);
        assert_eq!(server.cert_der, servers[0].cert_der);
        assert!(tokio::net::TcpStream::connect(server.addr).await.is_ok());
    }
}

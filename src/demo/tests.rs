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
    for spec in demo_specs() {
        let server = spawn(&spec, loopback()).await.unwrap();
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

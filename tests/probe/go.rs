//! The probe against Go 1.19 crypto/tls (`testdata/go/kubeserve`, kube-apiserver's TLS flags):
//! default settings and the CIS benchmark cipher list. Go always chooses by its own order, but
//! switches to a ChaCha20-first order when the client's first suite is not AES-GCM: the probe
//! must still report `server_order: true`, Go's AES-GCM order, and the same result every time.

use std::net::SocketAddr;
use std::time::Duration;

use fipsprobe::model::{Endpoint, Status};
use fipsprobe::probe::ProbeConfig;
use fipsprobe::protocol::Protocol;

use crate::common::go::{GO119_DEFAULT_RSA_TLS10, GO119_DEFAULT_RSA_TLS12, GO119_TLS13};
use crate::common::scan::{codes, graded, observe_with};
use crate::common::{GoCrypto, GoTlsServer};
use crate::require_server;

async fn scan(addr: SocketAddr) -> (Endpoint, Duration) {
    let (obs, took) = observe_with(addr, &ProbeConfig::default(), 4).await;
    (graded(&obs, "fips-140-3"), took)
}

/// Scans twice; both scans must agree and match `want` (version, Go's order) exactly.
/// `handshakes` comes from the server's configuration with the plan of src/probe/plan.rs and
/// src/probe/behaviour.rs, never from the scan.
async fn check(
    label: &str,
    addr: SocketAddr,
    want: &[(Protocol, &[u16])],
    handshakes: u32,
) -> Endpoint {
    let (first, took) = scan(addr).await;
    let (second, _) = scan(addr).await;
    for e in [&first, &second] {
        assert_eq!(e.status, Status::Tls, "{label}: {:?}", e.error);
        assert!(!e.incomplete, "{label}: {:?}", e.gaps);
        assert_eq!(
            e.protocols.keys().copied().collect::<Vec<_>>(),
            want.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
            "{label}: versions"
        );
        for (v, suites) in want {
            assert_eq!(codes(e, *v), suites.to_vec(), "{label} {v}: Go's order");
            let p = &e.protocols[v];
            assert_eq!(
                p.server_order,
                Some(true),
                "{label} {v}: Go uses its own order"
            );
            assert_eq!(p.preferred.as_deref(), Some(p.suites[0].name.as_str()));
        }
        assert_eq!(
            e.handshakes,
            handshakes
                + crate::common::scan::scheme_hellos(e)
                + crate::common::scan::credential_rechecks(e),
            "{label}: handshakes (and the scheme hellos and credential rechecks)"
        );
    }
    assert_eq!(first.protocols, second.protocols, "{label}: repeatable");
    assert_eq!(first.preferred_suite, second.preferred_suite, "{label}");
    assert_eq!(first.handshakes, second.handshakes, "{label}");
    eprintln!("{label}: {} handshakes, {took:?}", first.handshakes);
    first
}

#[tokio::test]
async fn go_default_settings() {
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::Standard));
    let e = check(
        "go default",
        server.addr(),
        &[
            (Protocol::Tls10, &GO119_DEFAULT_RSA_TLS10),
            (Protocol::Tls11, &GO119_DEFAULT_RSA_TLS10),
            (Protocol::Tls12, &GO119_DEFAULT_RSA_TLS12),
            (Protocol::Tls13, &GO119_TLS13),
        ],
        // SSLv2, SSLv3 declined: 2; TLS 1.0, 1.1: 6 + 1 each; TLS 1.2: 11 + 1; TLS 1.3: 3 + 1
        // (Go's order, no order tests); groups 4 + 1 each; features 1, fallback 1 (Go 1.19
        // echoes no EMS) = 2 + 14 + 12 + 4 + 10 + 2.
        44,
    )
    .await;
    assert_eq!(e.preferred_suite.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert!(e.certificate.is_some());
}

#[tokio::test]
async fn go_cis_benchmark() {
    let server = require_server!(GoTlsServer::cis_benchmark(GoCrypto::Standard));
    // The CIS list filtered to what an RSA certificate serves, in Go's own (AES-GCM) order.
    let tls12: &[u16] = &[0xC02F, 0xC030, 0xCCA8];
    let e = check(
        "go cis",
        server.addr(),
        &[(Protocol::Tls12, tls12), (Protocol::Tls13, &GO119_TLS13)],
        // 4 declined; TLS 1.2: 3 + 1; TLS 1.3: 3 + 1; groups 5 + 5; features 1, fallback 1.
        24,
    )
    .await;
    assert_eq!(
        e.protocols[&Protocol::Tls12].preferred.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
}

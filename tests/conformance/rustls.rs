//! rustls (the in-process demo servers, `fipsprobe::demo`, on the aws-lc-rs provider), the
//! stack of Rust services: the FIPS kube-apiserver preset requires extended master secret,
//! so it is the one server here that passes `fips-140-3`: exact against the reference, and
//! its EMS requirement confirmed by the reference's hello without EMS being refused.

use std::net::SocketAddr;

use fipsprobe::demo;
use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::{Tls12, Tls13};

use crate::common::reference::Ems;
use crate::support::{assert_grade, assert_version, scan_exact, summary, versions, Pol};

/// Starts `spec` on a runtime of its own; it serves while both are kept.
fn spawn(spec: &demo::ServerSpec) -> (tokio::runtime::Runtime, demo::RunningServer, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(demo::spawn(spec, "127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let addr = server.addr;
    (runtime, server, addr)
}

#[test]
fn rustls_fips_preset_requires_ems_and_passes_both_policies() {
    let spec = demo::kube_apiserver_fips();
    let (_runtime, _server, addr) = spawn(&spec);
    let (e, truth) = scan_exact(addr);
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    for p in [Tls12, Tls13] {
        assert_version(&e, p, &spec.suites_for(p), Some(true));
    }
    assert_eq!(truth.leaves().len(), 1);
    assert_eq!(*e.ext("ems_required"), true, "{}", summary(&e));
    // 4 declined; TLS 1.2, 1.3: 2 + 1 each (server order, not ours); groups 2 + 1 each;
    // features, EMS, fallback, client certificate: 4 = 4 + 6 + 6 + 4.
    assert_eq!(
        e.handshakes,
        20 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(&e, pol, Some(Ems::Required), &[], Verdict::Pass);
    }
}

//! temporary exploration
use crate::common::reference;
use crate::common::*;
use crate::support::*;
use fipsprobe::demo::KeyKind;

pub fn show(name: &str, addr: std::net::SocketAddr) {
    let t = std::time::Instant::now();
    let truth = reference::enumerate(addr);
    let took = t.elapsed();
    let s = scan_again(addr);
    let mut out = format!("===== {name}: reference {took:?}\n{}", truth.summary());
    out += &summary(&s);
    out += &format!(
        "ext: {}\n",
        serde_json::to_string(&s.ext("extended_master_secret")).unwrap()
    );
    out += &format!(
        "json ext: {}\n",
        serde_json::to_string(&serde_json::to_value(&s.e).unwrap()["extensions"]).unwrap()
    );
    out += &format!(
        "minimal={} chain leaf={:?}\n",
        minimal_handshakes(&s),
        s.e.certificate
            .as_ref()
            .and_then(|c| c.chain.first())
            .map(|l| (l.key_type, l.sha256.clone()))
    );
    out += &format!("ref leaves {:?}\n", truth.leaf_fingerprints());
    for (p, seen) in &truth.versions {
        out += &format!("  {p} leaf_of {:?}\n", seen.leaf_of);
    }
    std::fs::write(format!("/tmp/conform-logs/explore-{name}.txt"), &out).unwrap();
}

#[test]
#[ignore]
fn explore_go123() {
    for (n, c) in [
        ("go123-std", GoCrypto::Standard),
        ("go123-boring", GoCrypto::BoringFips),
    ] {
        let s = GoTlsServer::start_built(GoToolchain::Go123, c, &[KeyKind::Rsa2048], &[]).unwrap();
        show(n, s.addr());
        let s = GoTlsServer::start_built(
            GoToolchain::Go123,
            c,
            &[KeyKind::Rsa2048, KeyKind::EcdsaP256],
            &[],
        )
        .unwrap();
        show(&format!("{n}-dual"), s.addr());
    }
}

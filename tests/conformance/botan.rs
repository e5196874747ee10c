//! Botan 2.19 (`botan tls_server`), a TLS stack of its own found in appliances and embedded
//! products, with two of its named policies: `default` and `bsi` (BSI TR-02102-2, a government
//! profile). Botan 2 has no TLS 1.3; it chooses by its policy's order (measured by the
//! reference from pairs of suites), echoes extended master secret without requiring it, still
//! prefers Google's experimental CECPQ1 suites (0x16B7, 0x16B9: not IANA, not approved) under
//! `default`, and under `bsi` accepts (EC)DHE_PSK suites with no pre-shared key configured.
//! It closes the connection on an SSLv2 hello without an alert, which fipsprobe must (and does)
//! retry as a fault rather than take as a refusal.

use fipsprobe::demo::KeyKind;
use fipsprobe::model::Severity::{Fail, Warn};
use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::Tls12;

use crate::common::botan::BotanServer;
use crate::common::reference::Ems;
use crate::require_server;
use crate::support::{
    assert_grade, assert_version, extra, reference_order, scan_exact, summary, versions, Found, Pol,
};

/// Botan 2 echoes EMS and completes a hello without it.
const BOTAN_EMS: Option<Ems> = Some(Ems::Optional);

fn brainpool() -> Vec<Found> {
    ["brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"]
        .iter()
        .map(|g| extra("group_not_approved", Fail, Some(g), None))
        .collect()
}

#[test]
fn botan_default_policy_prefers_cecpq1() {
    let server = require_server!(BotanServer::start("default", KeyKind::Rsa2048));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12], "{}", summary(&e));
    let order = reference_order(server.addr(), &truth, Tls12);
    assert_eq!(order[..2], [0x16B7, 0x16B9], "CECPQ1 first");
    assert_version(&e, Tls12, &order, Some(true));
    assert_eq!(truth.leaves(), std::slice::from_ref(&server.cert.cert_der));
    let mut extras = brainpool();
    extras.push(extra("group_not_approved", Fail, Some("x25519"), None));
    extras.push(extra("tls13_missing", Warn, None, None));
    extras.push(extra(
        "preferred_suite_not_approved",
        Fail,
        Some("TLS_CECPQ1_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        Some(Tls12),
    ));
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(&e, pol, BOTAN_EMS, &extras, Verdict::Fail);
    }
}

#[test]
fn botan_bsi_policy_with_psk_suites_and_brainpool() {
    let server = require_server!(BotanServer::start("bsi", KeyKind::Rsa2048));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12], "{}", summary(&e));
    assert_version(
        &e,
        Tls12,
        &reference_order(server.addr(), &truth, Tls12),
        Some(true),
    );
    // DHE_PSK and ECDHE_PSK suites answered with a ServerHello, no PSK configured.
    for code in [0x00AA, 0x00AB, 0xC037, 0xD001] {
        assert!(truth.accepted(Tls12).contains(&code), "{code:#06x}");
    }
    assert_eq!(
        e.groups.first().map(String::as_str),
        Some("brainpoolP512r1")
    );
    let mut extras = brainpool();
    extras.push(extra("tls13_missing", Warn, None, None));
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(&e, pol, BOTAN_EMS, &extras, Verdict::Fail);
    }
}

/// Botan negotiates Encrypt-then-MAC with its CBC suites (the reference's hello offering it
/// with a CBC suite gets it echoed), so the bsi profile's CBC suites raise no EtM finding.
#[test]
fn botan_bsi_does_encrypt_then_mac() {
    let server = require_server!(BotanServer::start("bsi", KeyKind::Rsa2048));
    let etm = crate::common::reference::encrypt_then_mac(server.addr(), Tls12, 0xC028, None);
    assert_eq!(etm, Some(true), "reference");
    let (e, _) = scan_exact(server.addr());
    assert_eq!(*e.ext("encrypt_then_mac"), true, "{}", summary(&e));
}

//! Java services: OpenJDK 17's JSSE (`tests/data/java/TlsServer.java`), its own TLS stack, with
//! JSSE's default suites. JSSE applies its own order (`getUseCipherSuitesOrder` is true by
//! default on a server socket), which the server prints at start: the expected order per
//! version is that list filtered to what the reference saw accepted. JSSE has no
//! Encrypt-then-MAC, supports extended master secret without requiring it
//! (`jdk.tls.allowLegacyMasterSecret=true`), and picks its key by the negotiated suite, so an RSA
//! and an EC key side by side serve two chains.

use fipsprobe::cipher_db;
use fipsprobe::model::Severity::Fail;
use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::{Tls10, Tls11, Tls12, Tls13};

use crate::common::reference::{Ems, Truth};
use crate::common::{JavaKey, JavaTlsServer};
use crate::require_server;
use crate::support::{
    assert_grade, assert_version, extra, go_no_encrypt_then_mac, scan_exact, summary, versions,
    Found, Pol, Signs,
};

/// JSSE echoes EMS and completes a hello without it.
const JSSE_EMS: Option<Ems> = Some(Ems::Optional);

/// The server's own order for `version`: its enabled suites (as it printed them) that the
/// reference saw accepted in that version.
fn jsse_order(
    server: &JavaTlsServer,
    truth: &Truth,
    version: fipsprobe::protocol::Protocol,
) -> Vec<u16> {
    let accepted = truth.accepted(version);
    server
        .enabled_suites()
        .iter()
        .filter_map(|name| cipher_db::db().suite_by_name(name).map(|s| s.code))
        .filter(|c| accepted.contains(c))
        .collect()
}

/// JSSE's default groups include x25519 and x448 (not approved) beside the P-curves and FFDHE;
/// its CBC suites have no Encrypt-then-MAC to go with them; in TLS 1.2 it signs with whatever
/// the client asks of `signs` (SHA-1 and SHA-224 included).
fn jsse_extras(signs: &[Signs]) -> Vec<Found> {
    let mut out = vec![
        go_no_encrypt_then_mac(),
        extra("group_not_approved", Fail, Some("x25519"), None),
        extra("group_not_approved", Fail, Some("x448"), None),
    ];
    out.extend(signs.iter().map(|s| s.finding()));
    out
}

#[test]
fn jsse_default_suites_in_server_order() {
    let server = require_server!(JavaTlsServer::start(&["TLSv1.2", "TLSv1.3"]));
    assert_eq!(
        server.server_order(),
        Some(true),
        "{}",
        server.process.output()
    );
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    for p in [Tls12, Tls13] {
        assert_version(&e, p, &jsse_order(&server, &truth, p), Some(true));
    }
    // 20 TLS 1.2 suites for an RSA key: ECDHE, DHE and static RSA, GCM, CBC and ChaCha20.
    assert_eq!(truth.accepted(Tls12).len(), 20, "{}", truth.summary());
    assert_eq!(truth.leaves().len(), 1);
    // SSLv2..TLS 1.1 declined: 4; TLS 1.2: 20 + 1 (JSSE's order is not ours); TLS 1.3: 3 + 1;
    // groups: TLS 1.2 5 + 1 (P-256/384/521, x25519, x448), TLS 1.3 10 + 1 (those and the
    // five FFDHE groups); features 1, EMS 1, fallback 1, DHE size 1:
    // 4 + 21 + 4 + 6 + 11 + 4 = 50.
    assert_eq!(
        e.handshakes,
        50 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(
            &e,
            pol,
            JSSE_EMS,
            &jsse_extras(&[Signs::RsaSha1, Signs::RsaSha224]),
            Verdict::Fail,
        );
    }
}

#[test]
fn jsse_tls10_to_tls13_with_rsa_and_ec_keys() {
    let server = require_server!(JavaTlsServer::start_with(
        &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
        &[JavaKey::Rsa2048, JavaKey::EcP256]
    ));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(
        versions(&e),
        [Tls10, Tls11, Tls12, Tls13],
        "{}",
        summary(&e)
    );
    for p in [Tls10, Tls11, Tls12, Tls13] {
        assert_version(&e, p, &jsse_order(&server, &truth, p), Some(true));
    }
    // Both keys serve: the reference was given the RSA certificate with the RSA suites and the
    // EC one with the (EC)DH(E)-ECDSA and static ECDH suites.
    assert_eq!(truth.leaves().len(), 2, "{}", truth.summary());
    // SSLv2, SSLv3 declined: 2; TLS 1.0 and 1.1: 12 + 1 each; TLS 1.2: 39 + 1; TLS 1.3: 3 + 1;
    // groups: TLS 1.2 5 + 1, TLS 1.3 10 + 1; features 1, EMS 1, fallback 1, DHE size 1:
    // 2 + 26 + 40 + 4 + 6 + 11 + 4 = 93.
    // The TLS 1.3 scheme sweep, beyond what `scheme_hellos` counts: JSSE takes the first
    // offered ECDSA scheme for its P-256 key whatever the curve, so on ecdsa_secp384r1_sha384
    // and ecdsa_secp521r1_sha512 it sends its Certificate and aborts with internal_error. The
    // sweep splits the 45-scheme offer around them: 7 aborted hellos (45, 22, 11, 5, 2, then
    // each of the two alone) and 2 more refused halves: + 9.
    assert_eq!(
        e.handshakes,
        93 + e.scheme_hellos + e.rechecks + 9,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(
            &e,
            pol,
            JSSE_EMS,
            &jsse_extras(&[
                Signs::RsaSha1,
                Signs::RsaSha224,
                Signs::EcdsaSha1,
                Signs::EcdsaSha224,
            ]),
            Verdict::Fail,
        );
    }
}

#[test]
fn jsse_rsa_and_ec_keys_report_both_chains() {
    let server = require_server!(JavaTlsServer::start_with(
        &["TLSv1.2", "TLSv1.3"],
        &[JavaKey::Rsa2048, JavaKey::EcP256]
    ));
    let (e, truth) = scan_exact(server.addr());
    crate::support::assert_chains(&e, &truth);
}

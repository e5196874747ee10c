//! Mozilla NSS (3.87, Debian's `selfserv`), the stack of Firefox and of RHEL's NSS-linked
//! daemons, in its own network namespace. NSS chooses by its own order (the order of its
//! implemented-suites table), which no configuration prints: the expected order is measured by
//! the reference from pairs of suites offered both ways round. NSS's defaults still enable
//! RC4, 3DES and DHE-3DES in TLS 1.0-1.2; it echoes extended master secret without requiring
//! it, and has no Encrypt-then-MAC.

use fipsprobe::demo::KeyKind;
use fipsprobe::model::Severity::Fail;
use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::{Tls10, Tls11, Tls12, Tls13};

use crate::common::nss::NssServer;
use crate::common::reference::Ems;
use crate::require_server;
use crate::support::{
    assert_grade, assert_version, extra, go_no_encrypt_then_mac, reference_order, scan_exact,
    summary, versions, Found, Pol, Signs,
};

/// NSS 3.87 sends extended master secret by default and completes a hello without it.
const NSS_EMS: Option<Ems> = Some(Ems::Optional);

/// NSS's default groups: x25519 (not approved), the P-curves and FFDHE; its CBC suites have no
/// Encrypt-then-MAC.
/// In TLS 1.2 NSS signs with SHA-1 when the client asks (`signs`: the key's SHA-1 scheme).
fn nss_extras(signs: Signs) -> Vec<Found> {
    vec![
        go_no_encrypt_then_mac(),
        extra("group_not_approved", Fail, Some("x25519"), None),
        signs.finding(),
    ]
}

#[test]
fn nss_defaults_from_tls10_to_tls13_in_nss_order() {
    let server = require_server!(NssServer::start("tls1.0:tls1.3", KeyKind::Rsa2048, &[]));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(
        versions(&e),
        [Tls10, Tls11, Tls12, Tls13],
        "{}",
        summary(&e)
    );
    for p in [Tls10, Tls11, Tls12, Tls13] {
        assert_version(
            &e,
            p,
            &reference_order(server.addr(), &truth, p),
            Some(true),
        );
    }
    // RC4-MD5, RC4-SHA, 3DES and DHE-3DES are on by default, TLS 1.0 to 1.2.
    for p in [Tls10, Tls11, Tls12] {
        for code in [0x0004, 0x0005, 0x000A, 0x0016] {
            assert!(truth.accepted(p).contains(&code), "{p} {code:#06x}");
        }
    }
    assert_eq!(truth.leaves(), std::slice::from_ref(&server.cert.cert_der));
    // SSLv2, SSLv3 declined: 2; TLS 1.0 and 1.1: 10 + 1 each; TLS 1.2: 23 + 1; TLS 1.3: 3 + 1
    // (NSS's orders are not ours: no order tests); groups: TLS 1.2 4 + 1, TLS 1.3 9 + 1 (with
    // FFDHE); features 1, EMS 1, fallback 1, DHE size 1: 2 + 22 + 24 + 4 + 5 + 10 + 4 = 71.
    assert_eq!(
        e.handshakes,
        71 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(&e, pol, NSS_EMS, &nss_extras(Signs::RsaSha1), Verdict::Fail);
    }
}

#[test]
fn nss_ecdsa_certificate_tls12_and_tls13() {
    let server = require_server!(NssServer::start(
        "tls1.2:tls1.3",
        KeyKind::EcdsaP256,
        &["-G"]
    ));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    for p in [Tls12, Tls13] {
        assert_version(
            &e,
            p,
            &reference_order(server.addr(), &truth, p),
            Some(true),
        );
    }
    // An ECDSA key leaves ECDHE-ECDSA: AES-GCM, AES-CBC (SHA, SHA256) and ChaCha20.
    assert_eq!(truth.accepted(Tls12).len(), 6, "{}", truth.summary());
    // SSLv2..TLS 1.1 declined: 4; TLS 1.2: 6 + 1; TLS 1.3: 3 + 1; groups: TLS 1.2 2 + 1 (NSS
    // offers an ECDSA P-256 key's handshake only x25519 and P-256), TLS 1.3 9 + 1; features 1,
    // EMS 1, fallback 1: 4 + 7 + 4 + 3 + 10 + 3 = 31.
    assert_eq!(
        e.handshakes,
        31 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(
            &e,
            pol,
            NSS_EMS,
            &nss_extras(Signs::EcdsaSha1),
            Verdict::Fail,
        );
    }
}

//! Erlang/OTP services (RabbitMQ, CouchDB, Phoenix, ejabberd): OTP 25's `ssl` application, a
//! TLS implementation of its own (libcrypto only for the primitives), from
//! `tests/data/erlang/tls_server.escript`. What OTP does that other stacks do not:
//! - it follows the client's order unless `honor_cipher_order` is set;
//! - OTP 25 has no extended master secret and no Encrypt-then-MAC;
//! - its default groups run from x25519 to every binary curve (sect163k1 ...);
//! - `ssl:cipher_suites(all, V)` includes SRP suites it cannot serve without an SRP
//!   configuration: a hello whose best suite (by OTP's order) is SRP is refused with
//!   handshake_failure, although every suite in it but the SRP ones is accepted alone;
//! - it accepts TLS 1.2-only suites (RSA_PSK AES-GCM, 0x00AC/0x00AD) in a TLS 1.0 hello.

use std::collections::BTreeSet;

use fipsprobe::cipher_db;
use fipsprobe::demo::KeyKind;
use fipsprobe::model::Severity::Fail;
use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::{self, Tls10, Tls11, Tls12, Tls13};

use crate::common::erlang::{ErlangConfig, ErlangServer};
use crate::common::reference::{Ems, Truth};
use crate::require_server;
use crate::support::{
    assert_grade_except, assert_version, assert_version_client_order, go_no_encrypt_then_mac,
    graded, scan_exact, summary, versions, Pol, Scanned, Signs,
};

/// OTP 25 never sends extended master secret.
const OTP25_EMS: Option<Ems> = Some(Ems::Absent);

fn defaults() -> ErlangConfig {
    ErlangConfig {
        versions: "default",
        ciphers: "default",
        honor_order: false,
        key: KeyKind::Rsa2048,
    }
}

fn everything() -> ErlangConfig {
    ErlangConfig {
        versions: "tlsv1,tlsv1.1,tlsv1.2,tlsv1.3",
        ciphers: "all",
        honor_order: true,
        key: KeyKind::Rsa2048,
    }
}

/// OTP's configured order (as the server printed it) filtered to what the reference saw
/// accepted in `version`.
fn otp_order(server: &ErlangServer, truth: &Truth, version: Protocol) -> Vec<u16> {
    let accepted = truth.accepted(version);
    server
        .suites()
        .iter()
        .filter_map(|name| cipher_db::db().suite_by_name(name).map(|s| s.code))
        .filter(|c| accepted.contains(c))
        .collect()
}

/// The group findings are many (OTP offers every binary curve) and the group list itself is
/// checked exactly against the reference; these fail under both policies whatever else.
fn assert_some_group_failures(e: &Scanned) {
    for pol in [Pol::Fips3, Pol::Fips2] {
        let g = graded(e, pol);
        for name in [
            "x25519",
            "x448",
            "brainpoolP256r1",
            "secp256k1",
            "secp192r1",
        ] {
            assert!(
                g.findings.iter().any(|f| f.id == "group_not_approved"
                    && f.severity == Fail
                    && f.item.as_deref() == Some(name)),
                "{} {name}\n{}",
                pol.id(),
                summary(&g)
            );
        }
    }
}

#[test]
fn otp_default_settings_follow_the_client() {
    let server = require_server!(ErlangServer::start(defaults()));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    for p in [Tls12, Tls13] {
        let want: Vec<u16> = truth.accepted(p).into_iter().collect();
        assert_version_client_order(&e, p, &want);
    }
    // OTP 25's defaults for an RSA key: ECDHE and DHE with AES-GCM, AES-CBC-SHA2 and ChaCha20;
    // every TLS 1.3 suite, CCM and CCM_8 included.
    assert_eq!(truth.accepted(Tls12).len(), 14, "{}", truth.summary());
    assert_eq!(
        truth.accepted(Tls13),
        BTreeSet::from([0x1301, 0x1302, 0x1303, 0x1304, 0x1305])
    );
    // SSLv2..TLS 1.1 declined: 4; TLS 1.2: 14 + 1 + 1 (client order comes back in ours: the
    // order test); TLS 1.3: 5 + 1 + 1; groups: TLS 1.2 28 + 1 (every prime and binary curve
    // OTP has), TLS 1.3 4 + 1 (x25519, x448, P-256, P-384); features 1; no EMS echoed, no EMS
    // probe; fallback 1; DHE size 1: 4 + 16 + 7 + 29 + 5 + 3 = 64.
    assert_eq!(
        e.handshakes,
        64 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade_except(
            &e,
            pol,
            OTP25_EMS,
            // OTP signs TLS 1.2 key exchanges with SHA-1 and SHA-224 when asked.
            &[
                go_no_encrypt_then_mac(),
                Signs::RsaSha1.finding(),
                Signs::RsaSha224.finding(),
            ],
            Verdict::Fail,
            &["group_not_approved", "group_discouraged"],
        );
    }
    assert_some_group_failures(&e);
}

/// Every suite OTP implements, in its own order, TLS 1.0 to 1.3: the reference finds 21 TLS 1.0
/// suites (RC4, DES, 3DES, static RSA, RSA_PSK among them). A sweep that took OTP's
/// handshake_failure for a refusal stopped at 11, when OTP's best remaining suite was an SRP
/// one; the credential recheck (src/probe/plan.rs) looks behind it.
#[test]
fn otp_every_suite_is_found_behind_the_srp_suites_it_cannot_serve() {
    let server = require_server!(ErlangServer::start(everything()));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(
        versions(&e),
        [Tls10, Tls11, Tls12, Tls13],
        "{}",
        summary(&e)
    );
    for p in [Tls10, Tls11, Tls12, Tls13] {
        assert_version(&e, p, &otp_order(&server, &truth, p), Some(true));
    }
}

/// The ground truth of the test above, without fipsprobe: what the reference sees on this
/// server, so the expectation of the test above is itself checked.
#[test]
fn otp_every_suite_reference_sees_the_suites_behind_srp() {
    let server = require_server!(ErlangServer::start(everything()));
    let truth = crate::common::reference::enumerate(server.addr());
    truth.assert_complete();
    let tls10 = truth.accepted(Tls10);
    // RC4, DES, 3DES, static RSA AES: all accepted alone in TLS 1.0.
    for code in [0x0004, 0x0005, 0x0009, 0x000A, 0x002F, 0x0035] {
        assert!(tls10.contains(&code), "{code:#06x}\n{}", truth.summary());
    }
    // A TLS 1.2-only suite (RFC 5487 AES-GCM with RSA_PSK) accepted in a TLS 1.0 hello.
    assert!(tls10.contains(&0x00AC), "{}", truth.summary());
    assert!(!truth.accepted(Tls11).contains(&0x00AC));
    // One suite per hello gets an answer for every suite; offering 0x002F with an SRP suite
    // gets handshake_failure: the SRP suite is what OTP chose and could not serve.
    use crate::common::hello;
    for srp in [0xC01E, 0xC01F, 0xC021, 0xC022] {
        let record = hello::client_hello(hello::TLS10, &[srp, 0x002F], None, u64::from(srp));
        let answer = hello::exchange(server.addr(), &record, std::time::Duration::from_secs(5));
        assert_eq!(answer, hello::Answer::Alert(40), "{srp:#06x}");
    }
    assert_eq!(tls10.len(), 21, "{}", truth.summary());
    assert_eq!(truth.accepted(Tls12).len(), 35, "{}", truth.summary());
}

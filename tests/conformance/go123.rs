//! Go crypto/tls as a current control plane serves it: `kubeserve` built with Debian
//! backports' Go 1.23 and a go.mod saying `go 1.23` (so its DefaultGODEBUG is Go 1.23's, not
//! the Go 1.16-era defaults a module without a go.mod version gets), plain and BoringCrypto
//! (`GOEXPERIMENT=boringcrypto` + `crypto/tls/fipsonly`). What changed since Go 1.19, and what
//! a scanner must see:
//! - TLS 1.2 is the minimum (`tls10server=0`), RSA key exchange (`tlsrsakex=0`) and 3DES
//!   (`tls3des=0`) are gone from the defaults: an RSA certificate leaves five TLS 1.2 suites;
//! - extended master secret is supported (since Go 1.21) but never required;
//! - X25519Kyber768Draft00 (0x6399) is offered in TLS 1.3 (`tlskyber=1`), before x25519;
//! - fipsonly in Go 1.23 still allows TLS 1.2 only, AES-GCM with ECDHE and static RSA, and the
//!   P-curves.

use fipsprobe::demo::KeyKind;
use fipsprobe::model::Severity::{Fail, Warn};
use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::{Tls12, Tls13};

use crate::common::certs::CertSource;
use crate::common::go::GO119_TLS13;
use crate::common::reference::Ems;
use crate::common::{GoCrypto, GoTlsServer, GoToolchain};
use crate::require_server;
use crate::support::{
    assert_grade, assert_grade_except, assert_groups_exact, assert_version, codes, extra,
    go_no_encrypt_then_mac, go_order, hex, reference_groups, scan_exact, scan_suites_exact,
    summary, versions, Pol, Signs,
};

/// Go 1.23's default TLS 1.2 suites for an RSA certificate, in its order with AES hardware
/// (`cipherSuitesPreferenceOrder` without the RSA-kex and 3DES suites `defaultCipherSuites`
/// leaves out).
const GO123_DEFAULT_RSA_TLS12: [u16; 5] = [0xC02F, 0xC030, 0xCCA8, 0xC013, 0xC014];

/// What Go 1.23 adds for an ECDSA certificate beside the RSA one, in its order, once no RSA
/// suite is left in the offer.
const GO123_DEFAULT_ECDSA_TLS12: [u16; 5] = [0xC02B, 0xC02C, 0xCCA9, 0xC009, 0xC00A];

/// fipsonly with an RSA certificate: ECDHE and static-RSA AES-GCM.
const GO123_BORING_RSA_TLS12: [u16; 4] = [0xC02F, 0xC030, 0x009C, 0x009D];

/// fipsonly adds the ECDHE-ECDSA AES-GCM pair for an ECDSA certificate.
const GO123_BORING_ECDSA_TLS12: [u16; 2] = [0xC02B, 0xC02C];

/// Go 1.21+ echoes extended master secret and completes a hello without it.
const GO123_EMS: Option<Ems> = Some(Ems::Optional);

/// Go 1.23's default groups in TLS 1.3 (`defaultCurvePreferences` with `tlskyber=1`):
/// X25519Kyber768Draft00, x25519, P-256, P-384, P-521; TLS 1.2 has no hybrid.
const GO123_TLS13_GROUPS: [u16; 5] = [0x6399, 0x001D, 0x0017, 0x0018, 0x0019];

fn go123(crypto: GoCrypto, keys: &[KeyKind]) -> Result<GoTlsServer, crate::common::ServerError> {
    let sources: Vec<CertSource> = keys.iter().map(|k| CertSource::Rcgen(*k)).collect();
    GoTlsServer::start_built(GoToolchain::Go123, crypto, &sources, &[])
}

#[test]
fn go123_default_settings_are_tls12_and_tls13_with_ecdhe_only() {
    let server = require_server!(go123(GoCrypto::Standard, &[KeyKind::Rsa2048]));
    // The groups are checked by `go123_hybrid_kyber_group_is_reported_and_graded`.
    let (e, truth) = scan_suites_exact(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    assert_version(&e, Tls12, &go_order(&GO123_DEFAULT_RSA_TLS12), Some(true));
    assert_version(&e, Tls13, &go_order(&GO119_TLS13), Some(true));
    assert_eq!(truth.leaves().len(), 1);
    assert_eq!(*e.ext("extended_master_secret"), true);
    assert_eq!(*e.ext("ems_required"), false);
    // Every check but the group ones: ChaCha20 (1.2 and 1.3) fails both; ECDHE AES-CBC-SHA is
    // discouraged, and Go has no Encrypt-then-MAC, which fails both; EMS is not enforced (IG
    // D.Q, 140-3).
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade_except(
            &e,
            pol,
            GO123_EMS,
            &[go_no_encrypt_then_mac(), Signs::RsaSha1.finding()],
            Verdict::Fail,
            &["group_not_approved"],
        );
    }
}

/// A default Go 1.23 server accepts the hybrid X25519Kyber768Draft00 (0x6399) in TLS 1.3: the
/// group sweeps offer every group the cipher-db knows, so it is reported and graded.
#[test]
fn go123_hybrid_kyber_group_is_reported_and_graded() {
    let server = require_server!(go123(GoCrypto::Standard, &[KeyKind::Rsa2048]));
    // Ground truth, one group per hello: the hybrid is there.
    let (e, truth) = scan_suites_exact(server.addr());
    let groups = reference_groups(server.addr(), &truth, None);
    assert_eq!(
        groups[&Tls13].iter().copied().collect::<Vec<_>>(),
        {
            let mut g = GO123_TLS13_GROUPS.to_vec();
            g.sort_unstable();
            g
        },
        "reference"
    );
    assert_groups_exact(&e, server.addr(), &truth);
    // Handshakes, from the configuration (the plan in src/probe/plan.rs and behaviour.rs):
    // SSLv2..TLS 1.1 declined: 4; TLS 1.2: 5 suites + 1 decline (Go's order is not ours, no
    // order test); TLS 1.3: 3 + 1; groups: TLS 1.2 4 + 1, TLS 1.3 5 + 1; features 1, EMS 1,
    // fallback 1 = 4 + 6 + 4 + 5 + 6 + 3 = 28.
    assert_eq!(
        e.handshakes,
        28 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    // x25519 and the hybrid are not approved key agreements under 140-3 (the hybrid's ECDH
    // half is x25519); P-256/384/521 are.
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(
            &e,
            pol,
            GO123_EMS,
            &[
                go_no_encrypt_then_mac(),
                // Go 1.23 still signs TLS 1.2 key exchanges with SHA-1 when asked.
                Signs::RsaSha1.finding(),
                extra("group_not_approved", Fail, Some("x25519"), None),
                // fips-140-2 predates FIPS 203: hybrids are reported for review there.
                extra(
                    "group_not_approved",
                    if pol == Pol::Fips3 { Fail } else { Warn },
                    Some("X25519Kyber768Draft00"),
                    None,
                ),
            ],
            Verdict::Fail,
        );
    }
}

#[test]
fn go123_boringcrypto_fipsonly_is_tls12_only_and_passes_fips_140_2() {
    let server = require_server!(go123(GoCrypto::BoringFips, &[KeyKind::Rsa2048]));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12], "{}", summary(&e));
    assert_version(&e, Tls12, &GO123_BORING_RSA_TLS12, Some(true));
    assert_eq!(truth.leaves().len(), 1);
    assert_eq!(e.groups, ["secp256r1", "secp384r1", "secp521r1"]);
    // SSLv2..TLS 1.1 and TLS 1.3 declined: 5; TLS 1.2: 4 suites + 1 decline (Go's order, no
    // order test); groups: 3 + 1; features 1; EMS 1 (echoed); one version, no fallback test:
    // 5 + 5 + 4 + 2 = 16.
    assert_eq!(
        e.handshakes,
        16 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    // 140-2: the static-RSA AES-GCM pair is tolerated with a warning, TLS 1.3 missing is a
    // warning, EMS is there: PASS.
    let e2 = assert_grade(
        &e,
        Pol::Fips2,
        GO123_EMS,
        &[extra("tls13_missing", Warn, None, None)],
        Verdict::Pass,
    );
    assert!(
        e2.findings.iter().all(|f| f.severity == Warn),
        "{}",
        summary(&e2)
    );
    // 140-3: static RSA is disallowed, and EMS is not enforced.
    assert_grade(
        &e,
        Pol::Fips3,
        GO123_EMS,
        &[extra("tls13_missing", Warn, None, None)],
        Verdict::Fail,
    );
}

#[test]
fn go123_dual_certificates_serve_rsa_then_ecdsa_suites() {
    let server = require_server!(go123(
        GoCrypto::Standard,
        &[KeyKind::Rsa2048, KeyKind::EcdsaP256]
    ));
    let (e, truth) = scan_suites_exact(server.addr());
    let mut tls12 = go_order(&GO123_DEFAULT_RSA_TLS12);
    tls12.extend(go_order(&GO123_DEFAULT_ECDSA_TLS12));
    assert_version(&e, Tls12, &tls12, Some(true));
    assert_eq!(hex(&codes(&e, Tls13)), hex(&go_order(&GO119_TLS13)));
    // The reference was served both certificates: RSA with the RSA suites, ECDSA with the rest.
    assert_eq!(truth.leaves().len(), 2, "{}", truth.summary());
}

#[test]
fn go123_boringcrypto_dual_certificates() {
    let server = require_server!(go123(
        GoCrypto::BoringFips,
        &[KeyKind::Rsa2048, KeyKind::EcdsaP256]
    ));
    let (e, truth) = scan_exact(server.addr());
    let mut tls12 = GO123_BORING_RSA_TLS12.to_vec();
    tls12.extend(GO123_BORING_ECDSA_TLS12);
    assert_version(&e, Tls12, &tls12, Some(true));
    assert_eq!(truth.leaves().len(), 2, "{}", truth.summary());
    // SSLv2..TLS 1.1 and TLS 1.3 declined: 5; TLS 1.2: 6 + 1; groups 3 + 1; features 1, EMS 1
    // = 5 + 7 + 4 + 2 = 18.
    assert_eq!(
        e.handshakes,
        18 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
}

/// Both chains of a dual-certificate server must be reported (and graded): a client offering
/// only ECDSA suites gets the ECDSA certificate, one offering RSA suites the RSA one.
#[test]
fn go123_dual_certificates_report_every_chain() {
    let server = require_server!(go123(
        GoCrypto::BoringFips,
        &[KeyKind::Rsa2048, KeyKind::EcdsaP256]
    ));
    let (e, truth) = scan_exact(server.addr());
    crate::support::assert_chains(&e, &truth);
}

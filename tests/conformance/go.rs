//! Go crypto/tls servers: `kubeserve` (kube-apiserver's TLS flags) built with Debian's Go 1.19,
//! plain and BoringCrypto (`GOEXPERIMENT=boringcrypto` + `crypto/tls/fipsonly`), scanned
//! in-process. Go's quirks a scanner must get right:
//! - Go chooses by its own order and ignores the order of `--tls-cipher-suites`;
//! - it keeps two orders and picks one per handshake from the client's first suite: AES-GCM
//!   first when that suite is AES-GCM (and the CPU has AES), ChaCha20 first otherwise. That is
//!   still the server's order, never the client's;
//! - the cipher flags do not touch TLS 1.3 (always AES-128-GCM, AES-256-GCM, ChaCha20);
//! - with an RSA and an ECDSA certificate side by side, it serves the first certificate whose
//!   suites the client offers, so a client offering everything gets the RSA suites, and the
//!   ECDSA suites only once no RSA suite is left;
//! - Go 1.19 has no extended master secret (plain or BoringCrypto).

use fipsprobe::demo::KeyKind;
use fipsprobe::model::Severity::{Fail, Info, Warn};
use fipsprobe::model::{Endpoint, KeyType, Verdict};
use fipsprobe::protocol::Protocol::{self, Tls10, Tls11, Tls12, Tls13};

use crate::common::certs::CertSource;
use crate::common::go::{
    GO119_BORING_RSA_TLS12, GO119_DEFAULT_RSA_TLS10, GO119_DEFAULT_RSA_TLS12, GO119_TLS13,
};
use crate::common::reference::Ems;
use crate::common::{s_client, GoCrypto, GoTlsServer};
use crate::require_server;
use crate::support::{
    assert_grade, assert_version, codes, extra, go_aes_hardware, go_no_encrypt_then_mac, go_order,
    graded, hex, scan, scan_again, summary, versions, Found, Pol, Signs,
};

/// What Go adds to its default RSA list in TLS 1.0/1.1 with an ECDSA certificate beside it
/// (ECDHE-ECDSA AES-CBC, in Go's order), once the RSA suites are gone.
const GO119_DEFAULT_ECDSA_TLS10: [u16; 2] = [0xC009, 0xC00A];

/// Like [`GO119_DEFAULT_ECDSA_TLS10`] for TLS 1.2.
const GO119_DEFAULT_ECDSA_TLS12: [u16; 5] = [0xC02B, 0xC02C, 0xCCA9, 0xC009, 0xC00A];

/// The suites the CIS list leaves an RSA certificate in TLS 1.2, in Go's order (the list also
/// names ECDSA suites, which an RSA certificate cannot serve).
const CIS_RSA_TLS12: [u16; 3] = [0xC02F, 0xC030, 0xCCA8];

/// TLS 1.3 as Go 1.19 serves it whatever the flags say.
fn assert_go_tls13(e: &Endpoint) {
    let want = go_order(&GO119_TLS13);
    assert_eq!(hex(&codes(e, Tls13)), hex(&want), "{}", summary(e));
    // server_order for TLS 1.3 is checked by `go_order_quirk_is_server_order` (probe bug).
}

/// The findings every plain Go build shows beyond versions, suites and EMS: the x25519 key
/// share it picks in TLS 1.3, and Go 1.19 signing with SHA-1 when a client asks for it.
fn go_extras(_pol: Pol) -> Vec<Found> {
    vec![
        extra("group_not_approved", Fail, Some("x25519"), None),
        Signs::RsaSha1.finding(),
    ]
}

/// Go 1.19 has no extended master secret (plain or BoringCrypto): Go added it in 1.21.
const GO119_EMS: Option<Ems> = Some(Ems::Absent);

#[test]
fn go_default_settings_fail_both_policies_naming_every_non_approved_suite() {
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::Standard));
    let e = scan(server.addr());
    assert_eq!(
        versions(&e),
        [Tls10, Tls11, Tls12, Tls13],
        "{}",
        summary(&e)
    );
    // Go 1.19's server minimum is still TLS 1.0, with 3DES; TLS 1.0 and 1.1 share one list.
    assert_version(&e, Tls10, &GO119_DEFAULT_RSA_TLS10, Some(true));
    assert_version(&e, Tls11, &GO119_DEFAULT_RSA_TLS10, Some(true));
    assert_version(&e, Tls12, &go_order(&GO119_DEFAULT_RSA_TLS12), Some(true));
    assert_go_tls13(&e);
    let preferred = if go_aes_hardware() {
        "TLS_AES_128_GCM_SHA256"
    } else {
        "TLS_CHACHA20_POLY1305_SHA256"
    };
    assert_eq!(e.preferred_suite.as_deref(), Some(preferred));
    assert_eq!(*e.ext("extended_master_secret"), false);
    assert_eq!(*e.ext("secure_renegotiation"), true);
    assert!(e.groups.contains(&"x25519".to_string()), "{}", summary(&e));
    // Handshakes: SSLv2, SSLv3 declined: 2; TLS 1.0, 1.1: 6 + 1 each; TLS 1.2: 11 + 1; TLS 1.3: 3 +
    // 1 (Go's order is not ours: no order tests); groups 4 + 1 per version; features 1, fallback 1
    // = 2 + 14 + 12 + 4 + 10 + 2.
    assert_eq!(
        e.handshakes,
        44 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );

    let mut extras3 = go_extras(Pol::Fips3);
    let mut extras2 = go_extras(Pol::Fips2);
    // Go's default TLS 1.2 list has ECDHE AES-CBC-SHA, and Go has no Encrypt-then-MAC.
    extras3.push(go_no_encrypt_then_mac());
    extras2.push(go_no_encrypt_then_mac());
    if preferred.contains("CHACHA20") {
        // Without AES hardware Go prefers ChaCha20, which neither policy approves.
        let finding = extra(
            "preferred_suite_not_approved",
            Fail,
            Some(preferred),
            Some(Tls13),
        );
        extras3.push(finding.clone());
        extras2.push(finding);
    }
    // fips-140-3: TLS 1.0/1.1, static RSA, 3DES, ChaCha20 (1.2 and 1.3), x25519 and the
    // missing EMS each fail; ECDHE AES-CBC-SHA is allowed with a warning.
    let e3 = assert_grade(&e, Pol::Fips3, GO119_EMS, &extras3, Verdict::Fail);
    // fips-140-2: TLS 1.0/1.1 and static RSA AES only warn, but 3DES, ChaCha20 and x25519 fail.
    let e2 = assert_grade(&e, Pol::Fips2, GO119_EMS, &extras2, Verdict::Fail);

    // Spelled out, so that a regression in the model above cannot hide one: every
    // non-approved suite of the Go default list fails 140-3 in every version it is accepted.
    let fails = |g: &Endpoint, name: &str, p: Protocol| {
        g.findings.iter().any(|f| {
            f.id == "suite_not_approved"
                && f.severity == Fail
                && f.item.as_deref() == Some(name)
                && f.protocol == Some(p)
        })
    };
    for p in [Tls10, Tls11, Tls12] {
        for name in [
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        ] {
            assert!(fails(&e3, name, p), "{name} {p}\n{}", summary(&e3));
        }
        assert!(fails(&e2, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", p));
    }
    for p in [Tls10, Tls11] {
        assert!(e3.findings.iter().any(|f| f.id == "protocol_not_approved"
            && f.severity == Fail
            && f.protocol == Some(p)));
    }
    assert!(fails(
        &e3,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        Tls12
    ));
    assert!(fails(&e3, "TLS_CHACHA20_POLY1305_SHA256", Tls13));
    assert!(fails(&e2, "TLS_CHACHA20_POLY1305_SHA256", Tls13));
    assert!(fails(&e3, "TLS_RSA_WITH_AES_128_GCM_SHA256", Tls12));
}

#[test]
fn go_cis_benchmark_list_is_enforced_for_tls12_but_not_tls13() {
    let server = require_server!(GoTlsServer::cis_benchmark(GoCrypto::Standard));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    // server_order of TLS 1.2 is checked by `go_order_quirk_is_server_order` (probe bug).
    let tls12 = codes(&e, Tls12);
    assert_eq!(hex(&tls12), hex(&go_order(&CIS_RSA_TLS12)));
    assert_go_tls13(&e);
    // Handshakes: 4 declined; TLS 1.2: 3 + 1; TLS 1.3: 3 + 1; groups 5 + 5; features 1, fallback 1
    // = 4 + 4 + 4 + 10 + 2.
    assert_eq!(
        e.handshakes,
        24 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    // The CIS list still carries ChaCha20 (1.2) and Go adds it to TLS 1.3: both fail, as do
    // x25519 and (under 140-3) the missing EMS.
    assert_grade(
        &e,
        Pol::Fips3,
        GO119_EMS,
        &go_extras(Pol::Fips3),
        Verdict::Fail,
    );
    assert_grade(
        &e,
        Pol::Fips2,
        GO119_EMS,
        &go_extras(Pol::Fips2),
        Verdict::Fail,
    );
}

#[test]
fn go_dual_certificates_serve_rsa_then_ecdsa_suites() {
    let server = require_server!(GoTlsServer::dual_cert(GoCrypto::Standard));
    let e = scan(server.addr());
    assert_eq!(
        versions(&e),
        [Tls10, Tls11, Tls12, Tls13],
        "{}",
        summary(&e)
    );
    // Go serves the RSA certificate (listed first) to any client that offers an RSA suite, so
    // the RSA suites come first in the order a client offering everything sees, then the
    // ECDSA certificate's suites.
    let mut tls10 = GO119_DEFAULT_RSA_TLS10.to_vec();
    tls10.extend(GO119_DEFAULT_ECDSA_TLS10);
    let mut tls12 = go_order(&GO119_DEFAULT_RSA_TLS12);
    tls12.extend(go_order(&GO119_DEFAULT_ECDSA_TLS12));
    assert_version(&e, Tls10, &tls10, Some(true));
    assert_version(&e, Tls11, &tls10, Some(true));
    assert_version(&e, Tls12, &tls12, Some(true));
    assert_go_tls13(&e);
    // Handshakes: 2 declined; TLS 1.0, 1.1: 8 + 1 each; TLS 1.2: 16 + 1; TLS 1.3: 3 + 1; groups 5 +
    // 5; features 1, fallback 1 = 2 + 18 + 17 + 4 + 10 + 2.
    assert_eq!(
        e.handshakes,
        53 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    let cert = e.certificate.as_ref().expect("a certificate");
    let keys: Vec<_> = cert.chains.iter().map(|c| c.chain[0].key_type).collect();
    assert_eq!(
        keys,
        [Some(KeyType::Rsa), Some(KeyType::Ec)],
        "{}",
        summary(&e)
    );
    // Both certificates' default lists have AES-CBC-SHA suites, and Go has no Encrypt-then-MAC.
    for pol in [Pol::Fips3, Pol::Fips2] {
        let mut extras = go_extras(pol);
        extras.push(go_no_encrypt_then_mac());
        // The ECDSA certificate signs with SHA-1 too, once the RSA schemes are used up.
        extras.push(Signs::EcdsaSha1.finding());
        assert_grade(&e, pol, GO119_EMS, &extras, Verdict::Fail);
    }
}

#[test]
fn go_boringcrypto_fipsonly_passes_fips_140_2_and_fails_140_3_on_ems_and_static_rsa() {
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::BoringFips));
    let e = scan(server.addr());
    // Go 1.19's fipsonly: TLS 1.2 only, ECDHE and static-RSA AES-GCM, P-curves only.
    assert_eq!(versions(&e), [Tls12], "{}", summary(&e));
    assert_version(&e, Tls12, &GO119_BORING_RSA_TLS12, Some(true));
    assert_eq!(
        e.preferred_suite.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
    assert!(!e.groups.iter().any(|g| g == "x25519"), "{}", summary(&e));
    assert_eq!(*e.ext("extended_master_secret"), false);
    // Handshakes: SSLv2..TLS 1.1 and TLS 1.3 declined: 5; TLS 1.2: 4 + 1; groups 3 + 1; features 1
    // = 5 + 5 + 4 + 1.
    assert_eq!(
        e.handshakes,
        15 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );

    // fips-140-2 passes, with warnings only: the static-RSA AES-GCM suites Go's 140-2
    // fipsonly allows (SP 800-52r2 Appendix D, the RSA key transport transition; 140-2 modules
    // shipped them), no TLS 1.3 (a shall since 2024 that the profile relaxes), no EMS (a shall
    // of §3.4.1 the profile relaxes: 140-2-era Go had none) and no OCSP staple (a §3.4.1 shall
    // neither policy enforces as a failure). Its AES-GCM-only list needs no Encrypt-then-MAC.
    let e2 = assert_grade(
        &e,
        Pol::Fips2,
        GO119_EMS,
        &[extra("tls13_missing", Warn, None, None)],
        Verdict::Pass,
    );
    assert!(
        e2.findings.iter().all(|f| f.severity == Warn),
        "{}",
        summary(&e2)
    );

    // fips-140-3 fails, exactly on: the two static-RSA suites (RSA key transport disallowed
    // since 2024) and the missing extended master secret (IG D.Q; Go 1.19 never sends it,
    // BoringCrypto or not). No TLS 1.3 stays a warning.
    assert_grade(
        &e,
        Pol::Fips3,
        GO119_EMS,
        &[extra("tls13_missing", Warn, None, None)],
        Verdict::Fail,
    );
}

/// A fipsonly build proves nothing about the certificates it serves: BoringCrypto signs with an
/// RSA-1024 key whose certificate is SHA-1-signed as readily as with a P-256 one. A client
/// offering everything only ever sees the first; the weak one comes out only once its
/// certificate's suites are all that is left, so every chain the server serves must be graded.
#[test]
fn go_boringcrypto_second_certificate_is_graded_too() {
    let server = require_server!(GoTlsServer::start_with_certs(
        GoCrypto::BoringFips,
        &[
            CertSource::Rcgen(KeyKind::EcdsaP256),
            CertSource::OpensslRsa1024Sha1
        ],
        &[]
    ));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls12], "{}", summary(&e));
    let ders: Vec<String> = server
        .certs
        .iter()
        .map(|c| {
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &c.cert_der)
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect();
    let cert = e.certificate.as_ref().expect("a certificate");
    let served: Vec<&str> = cert
        .chains
        .iter()
        .map(|c| c.chain[0].sha256.as_str())
        .collect();
    assert_eq!(
        served,
        [ders[0].as_str(), ders[1].as_str()],
        "{}",
        summary(&e)
    );
    assert_eq!(
        cert.chain[0].sha256, ders[0],
        "the default chain is the ECDSA one"
    );
    for pol in [Pol::Fips2, Pol::Fips3] {
        let g = graded(&e, pol);
        let fails: Vec<&str> = g
            .findings
            .iter()
            .filter(|f| f.severity == Fail)
            .map(|f| f.id.as_str())
            .collect();
        for id in ["cert_key_too_small", "cert_signature_weak"] {
            assert!(
                fails.contains(&id),
                "{}: no {id}\n{}",
                pol.id(),
                summary(&g)
            );
        }
        assert_eq!(g.verdict, Verdict::Fail, "{}", pol.id());
    }
}

#[test]
fn binary_exit_codes_follow_the_policy_on_the_boringcrypto_build() {
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::BoringFips));
    let target = server.addr().to_string();
    for (policy, code) in [("fips-140-2", 0), ("fips-140-3", 1)] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fipsprobe"))
            .args(["scan", &target, "--format", "json", "--policy", policy])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{policy}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: fipsprobe::model::Report = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report.policy.id, policy);
        let e = &report.endpoints[0];
        assert_eq!(codes(e, Tls12), GO119_BORING_RSA_TLS12.to_vec());
        let want = if code == 0 {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        assert_eq!(e.verdict, want, "{policy}");
    }
}

/// Go's order quirk: the order test offers the accepted suites reversed, so its first suite is
/// ChaCha20 whenever ChaCha20 was accepted last, and Go answers from its ChaCha20-first list.
#[test]
fn go_order_quirk_is_server_order() {
    // Ground truth: offered two AES-GCM suites in the reverse of Go's order, Go picks its own
    // first, in TLS 1.3 and (CIS list) TLS 1.2 alike: Go chooses, not the client.
    let cis = require_server!(GoTlsServer::cis_benchmark(GoCrypto::Standard));
    s_client(
        cis.addr(),
        &[
            "-tls1_3",
            "-ciphersuites",
            "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.3", "TLS_AES_128_GCM_SHA256");
    s_client(
        cis.addr(),
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    drop(cis);
    for (name, server) in [
        (
            "default",
            require_server!(GoTlsServer::default_settings(GoCrypto::Standard)),
        ),
        (
            "cis",
            require_server!(GoTlsServer::cis_benchmark(GoCrypto::Standard)),
        ),
        (
            "dual",
            require_server!(GoTlsServer::dual_cert(GoCrypto::Standard)),
        ),
    ] {
        let e = scan(server.addr());
        for (p, r) in &e.protocols {
            assert_eq!(r.server_order, Some(true), "{name} {p}\n{}", summary(&e));
        }
    }
}

#[test]
fn go_order_quirk_gives_the_same_result_on_every_scan() {
    // Go's answer depends on the client's first suite; fipsprobe's offers are deterministic,
    // so the suites, their order and the preferred suite must not move between scans.
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::Standard));
    let first = scan(server.addr());
    for _ in 0..3 {
        let again = scan_again(server.addr());
        assert_eq!(again.protocols, first.protocols, "{}", summary(&again));
        assert_eq!(again.preferred_suite, first.preferred_suite);
        assert_eq!(again.handshakes, first.handshakes);
    }
}

#[test]
fn go_tls13_only_with_an_ecdsa_certificate() {
    // `--tls-min-version VersionTLS13`: no cleartext certificate, so fipsprobe spends one full
    // TLS 1.3 handshake on it (counted below).
    let server = require_server!(GoTlsServer::start(
        GoCrypto::Standard,
        &[KeyKind::EcdsaP256],
        &["--tls-min-version", "VersionTLS13"]
    ));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls13], "{}", summary(&e));
    assert_go_tls13(&e);
    // Handshakes: SSLv2..TLS 1.2 declined: 5; TLS 1.3: 3 + 1; groups 4 + 1; the TLS 1.3 certificate
    // handshake 1 = 5 + 4 + 5 + 1. No version took our full-size hello, so each refused
    // SSLv3-TLS 1.2 gets one hello of 128 suites (`probe::intolerance`), which Go answers with
    // protocol_version, ending the check: + 4.
    assert_eq!(
        e.handshakes,
        15 + 4 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    let leaf = e.leaf();
    assert_eq!(leaf["key_type"], "EC", "{leaf}");
    assert_eq!(leaf["curve"], "secp256r1", "{leaf}");
    // No TLS 1.2, so no EMS question; ChaCha20 and x25519 still fail both.
    assert!(e.ext("extended_master_secret").is_null());
    let x25519 = extra("group_not_approved", Fail, Some("x25519"), None);
    assert_grade(
        &e,
        Pol::Fips3,
        None,
        &[x25519.clone(), extra("tls12_missing", Info, None, None)],
        Verdict::Fail,
    );
    assert_grade(
        &e,
        Pol::Fips2,
        None,
        &[x25519, extra("tls12_missing", Warn, None, None)],
        Verdict::Fail,
    );
}

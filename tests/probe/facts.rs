//! Certificates, key-exchange groups and extension facts, end to end: each loopback server
//! (OpenSSL presets, the rustls demo servers) is probed, graded under both bundled policies,
//! and must show the facts it was configured with and exactly the findings they imply.

use std::net::SocketAddr;

use fipsprobe::demo::{self, KeyKind};
use fipsprobe::model::{Endpoint, Observation, Severity, Status};
use serde_json::{json, Value};

use crate::common::scan::{graded, observe, runtime};
use crate::common::OpensslServer;

/// One endpoint probed: its observation, its report entry under fips-140-3, and that entry
/// as JSON (what a user reads; the facts are checked there).
struct Scanned {
    obs: Observation,
    e: Endpoint,
    json: Value,
}

impl std::ops::Deref for Scanned {
    type Target = Endpoint;
    fn deref(&self) -> &Endpoint {
        &self.e
    }
}

/// Probes `addr` as the address target `127.0.0.1:port` would be; the scan must cost exactly
/// `handshakes`, the count each test derives from its server's configuration with the plan of
/// `src/probe/plan.rs` and `src/probe/behaviour.rs`: one per declined version (SSLv2 always),
/// accepted suites + 1 per accepted version (+1 order test when the suites came back in our
/// offer order, as a client-order server's do), then groups N + 1 per swept version, features
/// 1, EMS 1 when echoed, fallback 1 with two versions, client certificate 1 when asked, DHE
/// size 1 with a DHE suite, and the signature-scheme sweeps (`src/probe/schemes.rs`): in TLS
/// 1.2, one hello per scheme the server signs with + 1 refused + 1 without
/// signature_algorithms; in TLS 1.3, one handshake per scheme + 1 refused, less the one the
/// certificate handshake already showed.
async fn scan(addr: SocketAddr, handshakes: u32) -> Scanned {
    let obs = observe(addr).await;
    let e = graded(&obs, "fips-140-3");
    assert_eq!(e.status, Status::Tls, "{:?}", e.error);
    assert!(!e.incomplete, "{:?}", e.gaps);
    let schemes =
        crate::common::scan::scheme_hellos(&e) + crate::common::scan::credential_rechecks(&e);
    assert_eq!(
        e.handshakes,
        handshakes + schemes,
        "{:?}, {schemes} scheme hellos",
        e.protocols.keys()
    );
    eprintln!(
        "{addr}: {} handshakes, groups {:?}, extensions {}",
        e.handshakes,
        e.groups,
        serde_json::to_string(&e.extensions).unwrap()
    );
    let json = serde_json::to_value(&e).unwrap();
    Scanned { obs, e, json }
}

fn scan_blocking(addr: SocketAddr, handshakes: u32) -> Scanned {
    runtime().block_on(scan(addr, handshakes))
}

/// The findings of `s` under a bundled policy: (id, severity, item).
fn findings(s: &Scanned, policy: &str) -> Vec<(String, Severity, Option<String>)> {
    graded(&s.obs, policy)
        .findings
        .into_iter()
        .map(|f| (f.id, f.severity, f.item))
        .collect()
}

fn ids(s: &Scanned, policy: &str) -> Vec<String> {
    let mut ids: Vec<String> = findings(s, policy).into_iter().map(|f| f.0).collect();
    ids.sort();
    ids.dedup();
    ids
}

fn has(s: &Scanned, policy: &str, id: &str) -> bool {
    ids(s, policy).iter().any(|i| i == id)
}

fn severity_of(s: &Scanned, policy: &str, id: &str) -> Option<Severity> {
    findings(s, policy)
        .into_iter()
        .find(|f| f.0 == id)
        .map(|f| f.1)
}

fn leaf(s: &Scanned) -> &Value {
    &s.json["certificate"]["chain"][0]
}

fn ext<'a>(s: &'a Scanned, key: &str) -> &'a Value {
    &s.json["extensions"][key]
}

/// The certificate findings, which every test below pins down exactly.
const CERT_IDS: &[&str] = &[
    "cert_key_too_small",
    "cert_key_type_not_approved",
    "cert_curve_not_approved",
    "cert_curve_discouraged",
    "cert_signature_weak",
    "cert_expired",
    "cert_expiring",
];

fn cert_ids(e: &Scanned, policy: &str) -> Vec<String> {
    ids(e, policy)
        .into_iter()
        .filter(|i| CERT_IDS.contains(&i.as_str()))
        .collect()
}

const BOTH: [&str; 2] = ["fips-140-3", "fips-140-2"];

#[test]
fn rsa1024_certificate_is_too_small() {
    let server = crate::require_server!(OpensslServer::rsa1024_cert());
    // Handshakes: SSLv2, SSLv3: 2; TLS 1.0, 1.1: 16 + 1 + 1 each; TLS 1.2: 56 + 1 + 1; TLS 1.3: 3 +
    // 1 + 1 (client order); groups 5 + 1, 10 + 1; features, EMS, fallback, DHE: 4 = 2 + 36 + 58 + 5
    // + 17 + 4.
    let e = scan_blocking(server.addr(), 122);
    let cert = leaf(&e);
    assert_eq!(cert["key_type"], "RSA");
    assert_eq!(cert["key_bits"], 1024);
    assert_eq!(cert["signature_algorithm"], "sha256WithRSAEncryption");
    assert_eq!(cert["self_signed"], true);
    assert_eq!(cert["subject"], "CN=localhost, O=fipsprobe test");
    assert_eq!(cert["sans"], json!(["DNS:localhost", "IP:127.0.0.1"]));
    assert_eq!(e.json["certificate"]["name_matches"], true);
    // The digest of exactly the certificate the server was given.
    let want = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &server.cert.cert_der);
    let want: String = want.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(cert["sha256"], want);
    // `openssl req -days 30`: valid for 29 or 30 more days, inside the 30-day warning.
    let days = cert["days_left"].as_i64().unwrap();
    assert!((29..=30).contains(&days), "{days}");
    for p in BOTH {
        assert_eq!(
            cert_ids(&e, p),
            ["cert_expiring", "cert_key_too_small"],
            "{p}"
        );
        assert_eq!(
            severity_of(&e, p, "cert_key_too_small"),
            Some(Severity::Fail)
        );
        assert_eq!(severity_of(&e, p, "cert_expiring"), Some(Severity::Warn));
    }
}

#[test]
fn ecdsa_p256_certificate_and_openssl_defaults() {
    let server = crate::require_server!(OpensslServer::ecdsa(KeyKind::EcdsaP256));
    // Handshakes: SSLv2..TLS 1.1: 4; TLS 1.2: 7 + 1 + 1; TLS 1.3: 3 + 1 + 1; groups 5 + 1, 10 + 1;
    // features, EMS, fallback: 3 (no DHE with ECDSA) = 4 + 9 + 5 + 17 + 3.
    let e = scan_blocking(server.addr(), 38);
    let cert = leaf(&e);
    assert_eq!(cert["key_type"], "EC");
    assert_eq!(cert["curve"], "secp256r1");
    assert_eq!(cert["key_bits"], 256);
    assert_eq!(cert["signature_algorithm"], "ecdsa-with-SHA256");
    assert!(cert["days_left"].as_i64().unwrap() > 300);
    assert_eq!(e.json["certificate"]["client_certificate"], "not_requested");
    for p in BOTH {
        assert!(cert_ids(&e, p).is_empty(), "{p}: {:?}", cert_ids(&e, p));
    }
    // OpenSSL 3.0 defaults: x25519 first, then the NIST curves, in TLS 1.2 and 1.3.
    let tls13 = ext(&e, "groups")["TLSv1.3"].as_array().unwrap().clone();
    let tls12 = ext(&e, "groups")["TLSv1.2"].as_array().unwrap().clone();
    for list in [&tls13, &tls12] {
        for g in ["x25519", "secp256r1", "secp384r1", "secp521r1", "x448"] {
            assert!(list.contains(&json!(g)), "{g} missing from {list:?}");
        }
    }
    assert!(tls13.contains(&json!("ffdhe2048")), "{tls13:?}");
    assert_eq!(e.groups.first().map(String::as_str), Some("x25519"));
    assert_eq!(ext(&e, "preferred_group"), "x25519");
    for p in BOTH {
        let bad: Vec<_> = findings(&e, p)
            .into_iter()
            .filter(|f| f.0 == "group_not_approved")
            .filter_map(|f| f.2)
            .collect();
        assert!(bad.contains(&"x25519".to_string()), "{p}: {bad:?}");
        assert!(bad.contains(&"x448".to_string()), "{p}: {bad:?}");
        assert!(!bad.contains(&"secp384r1".to_string()), "{p}: {bad:?}");
    }
    // Extensions: EMS echoed but not required, secure renegotiation, tickets, ETM (OpenSSL
    // accepts CBC suites by default), fallback SCSV enforced, no compression, no OCSP.
    assert_eq!(ext(&e, "extended_master_secret"), true);
    assert_eq!(ext(&e, "ems_required"), false);
    assert_eq!(ext(&e, "secure_renegotiation"), true);
    assert_eq!(ext(&e, "session_ticket"), true);
    assert_eq!(ext(&e, "encrypt_then_mac"), true);
    assert_eq!(ext(&e, "fallback_scsv"), true);
    assert!(ext(&e, "downgrade_sentinel").is_null());
    assert_eq!(ext(&e, "compression"), false);
    assert_eq!(ext(&e, "ocsp_stapling"), false);
    for p in BOTH {
        for id in [
            "ems_missing",
            "renegotiation_insecure",
            "compression_enabled",
        ] {
            assert!(!has(&e, p, id), "{p}: {id}");
        }
    }
}

#[test]
fn ecdsa_p384_certificate_is_approved() {
    let server = crate::require_server!(OpensslServer::ecdsa(KeyKind::EcdsaP384));
    // Handshakes: as for P-256: 4 + 9 + 5 + 17 + 3.
    let e = scan_blocking(server.addr(), 38);
    let cert = leaf(&e);
    assert_eq!(cert["key_type"], "EC");
    assert_eq!(cert["curve"], "secp384r1");
    assert_eq!(cert["key_bits"], 384);
    assert_eq!(cert["signature_algorithm"], "ecdsa-with-SHA384");
    for p in BOTH {
        assert!(cert_ids(&e, p).is_empty(), "{p}: {:?}", cert_ids(&e, p));
    }
}

#[test]
fn sha1_signed_certificate_is_weak() {
    let server = crate::require_server!(OpensslServer::sha1_cert());
    // Handshakes: ALL:@SECLEVEL=0 in client order, as for RSA-1024: 2 + 36 + 58 + 5 + 17 + 4.
    let e = scan_blocking(server.addr(), 122);
    let cert = leaf(&e);
    assert_eq!(cert["signature_algorithm"], "sha1WithRSAEncryption");
    assert_eq!(cert["key_bits"], 2048);
    for p in BOTH {
        assert_eq!(
            cert_ids(&e, p),
            ["cert_expiring", "cert_signature_weak"],
            "{p}"
        );
        assert_eq!(
            severity_of(&e, p, "cert_signature_weak"),
            Some(Severity::Fail)
        );
    }
}

#[test]
fn expired_certificate_fails() {
    let server = crate::require_server!(OpensslServer::expired_cert());
    // Handshakes: OpenSSL defaults: SSLv2..TLS 1.1: 4; TLS 1.2: 20 + 1 + 1; TLS 1.3: 3 + 1 + 1;
    // groups 6 + 11; features, EMS, fallback, DHE: 4 = 4 + 22 + 5 + 17 + 4.
    let e = scan_blocking(server.addr(), 52);
    let cert = leaf(&e);
    assert!(cert["days_left"].as_i64().unwrap() < 0, "{cert}");
    for p in BOTH {
        assert_eq!(cert_ids(&e, p), ["cert_expired"], "{p}");
        assert_eq!(severity_of(&e, p, "cert_expired"), Some(Severity::Fail));
    }
}

#[test]
fn x25519_only_server() {
    let server = crate::require_server!(OpensslServer::groups("x25519"));
    // Handshakes: 4 + 22 + 5; groups 1 + 1 per version; features, EMS, fallback, DHE: 4 = 4 + 22 +
    // 5 + 4 + 4.
    let e = scan_blocking(server.addr(), 39);
    assert_eq!(e.groups, ["x25519"]);
    assert_eq!(
        ext(&e, "groups"),
        &json!({"TLSv1.2": ["x25519"], "TLSv1.3": ["x25519"]})
    );
    for p in BOTH {
        let groups: Vec<_> = findings(&e, p)
            .into_iter()
            .filter(|f| f.0.starts_with("group_"))
            .collect();
        assert_eq!(
            groups,
            [(
                "group_not_approved".to_string(),
                Severity::Fail,
                Some("x25519".to_string())
            )],
            "{p}"
        );
    }
}

#[test]
fn p384_only_server() {
    let server = crate::require_server!(OpensslServer::groups("P-384"));
    // Handshakes: as for x25519 only: 4 + 22 + 5 + 4 + 4.
    let e = scan_blocking(server.addr(), 39);
    assert_eq!(e.groups, ["secp384r1"]);
    assert_eq!(
        ext(&e, "groups"),
        &json!({"TLSv1.2": ["secp384r1"], "TLSv1.3": ["secp384r1"]})
    );
    for p in BOTH {
        assert!(
            !ids(&e, p).iter().any(|i| i.starts_with("group_")),
            "{p}: {:?}",
            ids(&e, p)
        );
    }
}

#[test]
fn dhe_1024_is_too_small() {
    let server = crate::require_server!(OpensslServer::dhe_1024());
    // Handshakes: TLS 1.2 only: 5 declined; 27 DHE suites + 1 + 1; no ECDHE, no group sweep;
    // features, EMS, DHE: 3 = 5 + 29 + 3.
    let e = scan_blocking(server.addr(), 37);
    assert_eq!(ext(&e, "dh_bits"), 1024);
    // DHE only: no curve to enumerate.
    assert!(e.groups.is_empty(), "{:?}", e.groups);
    assert!(ext(&e, "groups").is_null());
    for p in BOTH {
        assert_eq!(
            severity_of(&e, p, "dh_key_too_small"),
            Some(Severity::Fail),
            "{p}"
        );
    }
}

#[test]
fn tls12_without_ems() {
    let server = crate::require_server!(OpensslServer::tls12_no_ems());
    // Handshakes: TLS 1.2 only: 5 declined; 20 + 1 + 1; groups 5 + 1; features 1, DHE 1 (EMS not
    // echoed: no EMS probe; one version: no fallback) = 5 + 22 + 6 + 2.
    let e = scan_blocking(server.addr(), 35);
    assert_eq!(ext(&e, "extended_master_secret"), false);
    assert_eq!(ext(&e, "ems_required"), false);
    // One version only: no fallback to test.
    assert!(ext(&e, "fallback_scsv").is_null());
    assert_eq!(
        severity_of(&e, "fips-140-3", "ems_missing"),
        Some(Severity::Fail)
    );
    assert_eq!(
        severity_of(&e, "fips-140-2", "ems_missing"),
        Some(Severity::Warn)
    );
}

#[test]
fn client_certificate_required_is_told_apart() {
    let server = crate::require_server!(OpensslServer::client_cert_required());
    // Handshakes: as for OpenSSL defaults, + 1 client-certificate handshake: 52 + 1.
    let e = scan_blocking(server.addr(), 53);
    assert_eq!(ext(&e, "client_certificate"), "required");
    assert_eq!(leaf(&e)["key_type"], "RSA");
}

#[tokio::test]
async fn demo_kube_apiserver_fips() {
    let server = demo::spawn(
        &demo::kube_apiserver_fips(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    // Handshakes: SSLv2..TLS 1.1: 4; TLS 1.2, 1.3: 2 + 1 each (rustls server order, not ours);
    // groups 2 + 1 each; features, EMS, fallback, client certificate: 4 = 4 + 6 + 6 + 4.
    let e = scan(server.addr, 20).await;
    // Server order (rustls ignore_client_order): its own group order in both versions.
    assert_eq!(e.groups, ["secp256r1", "secp384r1"]);
    assert_eq!(
        ext(&e, "groups"),
        &json!({"TLSv1.2": ["secp256r1", "secp384r1"], "TLSv1.3": ["secp256r1", "secp384r1"]})
    );
    assert_eq!(ext(&e, "client_certificate"), "optional");
    assert_eq!(ext(&e, "extended_master_secret"), true);
    // rustls ignores TLS_FALLBACK_SCSV but marks a TLS 1.2 answer with the TLS 1.3 sentinel.
    assert_eq!(ext(&e, "fallback_scsv"), false);
    assert_eq!(ext(&e, "downgrade_sentinel"), true);
    // The FIPS kube spec requires EMS (and a FIPS build's rustls server always does).
    assert_eq!(ext(&e, "ems_required"), true);
    // AES-GCM only: encrypt_then_mac does not apply.
    assert!(ext(&e, "encrypt_then_mac").is_null());
    let cert = leaf(&e);
    assert_eq!(cert["key_type"], "RSA");
    assert_eq!(cert["key_bits"], 2048);
    // The demo server has no OCSP response to staple: SP 800-52r2 §3.4.1 asks for stapling
    // support, which both policies report as a warning only (their `ocsp_stapling` decision).
    assert_eq!(ext(&e, "ocsp_stapling"), false);
    for p in BOTH {
        let found = findings(&e, p);
        assert_eq!(
            found,
            [("ocsp_stapling_missing".to_string(), Severity::Warn, None)],
            "{p}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn demo_etcd_non_fips() {
    let server = demo::spawn(
        &demo::etcd_non_fips(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    // tokio-rustls closes the connection, without an alert, on a TLS 1.2 hello with no
    // scheme its ECDSA key can sign with (the end of the TLS 1.2 scheme sweep): that close is
    // confirmed by two more hellos (`probe::retry`).
    // Handshakes: 4; TLS 1.2, 1.3: 3 + 1 + 1 each (client order); groups 2 + 1 each; features, EMS,
    // fallback, client certificate: 4 = 4 + 10 + 6 + 4; the two hellos confirming the close
    // that ends the TLS 1.2 scheme sweep: 26 (and the scheme hellos, as `scan` counts them).
    let e = scan(server.addr, 26).await;
    // Client order: ours (x25519 first in TLS 1.3, the NIST curves first in TLS 1.2).
    assert_eq!(
        ext(&e, "groups"),
        &json!({"TLSv1.2": ["secp256r1", "x25519"], "TLSv1.3": ["x25519", "secp256r1"]})
    );
    assert_eq!(e.groups, ["x25519", "secp256r1"]);
    assert_eq!(ext(&e, "client_certificate"), "required");
    let cert = leaf(&e);
    assert_eq!(cert["curve"], "secp256r1");
    assert_eq!(e.json["certificate"]["client_certificate"], "required");
    for p in BOTH {
        let found = findings(&e, p);
        let groups: Vec<_> = found
            .iter()
            .filter(|f| f.0 == "group_not_approved")
            .filter_map(|f| f.2.clone())
            .collect();
        assert_eq!(groups, ["x25519"], "{p}");
        assert!(cert_ids(&e, p).is_empty(), "{p}");
    }
    server.shutdown().await;
}

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

/// Probes `addr` as the address target `127.0.0.1:port` would be.
async fn scan(addr: SocketAddr) -> Scanned {
    let obs = observe(addr).await;
    let e = graded(&obs, "fips-140-3");
    assert_eq!(e.status, Status::Tls, "{:?}", e.error);
    assert!(!e.incomplete, "{:?}", e.gaps);
    // Fewest handshakes: the cipher sweeps' minimum plus what the extra probes promise.
    assert_eq!(
        e.handshakes,
        crate::common::budget::minimal_handshakes(&e),
        "{} extra",
        crate::common::budget::extra_handshakes(&e)
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

fn scan_blocking(addr: SocketAddr) -> Scanned {
    runtime().block_on(scan(addr))
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan_blocking(server.addr());
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
    let e = scan(server.addr).await;
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
    let e = scan(server.addr).await;
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

//! Go crypto/tls (`testdata/go/kubeserve`), plain and BoringCrypto, checked with `openssl s_client` and nmap.

use super::*;

#[test]
fn go_default_settings_accept_tls10_and_chacha_and_override_client_order() {
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::Standard));
    let addr = server.addr();
    // Go 1.19's server default minimum is still TLS 1.0.
    s_client(
        addr,
        &["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1", "ECDHE-RSA-AES128-SHA");
    let tls13 = s_client(addr, &["-tls1_3"]).unwrap();
    tls13.assert_negotiated("TLSv1.3", "TLS_AES_128_GCM_SHA256");
    assert!(
        tls13.output.contains("kubeserve fips=false"),
        "{}",
        tls13.output
    );
    // Go ignores the client's order: a CBC first choice loses to ECDHE AES-GCM ...
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    // ... except that a client preferring ChaCha20 gets ChaCha20 (Go's "no AES hardware" guess).
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305");
}

#[test]
fn go_boringcrypto_fipsonly_allows_only_tls12_aes_gcm() {
    let server = require_server!(GoTlsServer::default_settings(GoCrypto::BoringFips));
    let addr = server.addr();
    let tls12 = s_client(addr, &["-tls1_2"]).unwrap();
    tls12.assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    assert!(
        tls12.output.contains("kubeserve fips=true"),
        "{}",
        tls12.output
    );
    s_client(addr, &["-tls1_3"]).unwrap().assert_refused();
    s_client(addr, &["-tls1", "-cipher", "ALL:@SECLEVEL=0"])
        .unwrap()
        .assert_refused();
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA",
        ],
    )
    .unwrap()
    .assert_refused();
    // Go 1.19 has no extended master secret, BoringCrypto or not.
    let facts = s_client_session(addr, &[]).unwrap();
    assert_eq!(
        facts.extended_master_secret,
        Some(false),
        "{}",
        facts.output
    );
    assert_eq!(facts.secure_renegotiation, Some(true), "{}", facts.output);
    // x25519 is not a FIPS curve (but static-RSA AES-GCM is on Go 1.19's FIPS list).
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE", "-groups", "x25519"])
        .unwrap()
        .assert_refused();
    s_client(addr, &["-tls1_2", "-cipher", "AES128-GCM-SHA256"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "AES128-GCM-SHA256");
}

#[test]
fn go_cis_benchmark_list_is_enforced_for_tls12_only() {
    let server = require_server!(GoTlsServer::cis_benchmark(GoCrypto::Standard));
    let addr = server.addr();
    s_client(
        addr,
        &["-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-SHA"],
    )
    .unwrap()
    .assert_refused();
    s_client(addr, &["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"])
        .unwrap()
        .assert_refused();
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    // Go does not apply --tls-cipher-suites to TLS 1.3.
    s_client(
        addr,
        &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256");
}

#[test]
fn go_dual_certificates_serve_rsa_and_ecdsa_suites() {
    let server = require_server!(GoTlsServer::dual_cert(GoCrypto::Standard));
    assert_eq!(server.certs.len(), 2);
    s_client(
        server.addr(),
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256");
    s_client(
        server.addr(),
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn go_client_ca_optional_and_required() {
    let optional = require_server!(GoTlsServer::client_cert(GoCrypto::Standard, false));
    s_client(optional.addr(), &["-tls1_2"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    // ... yet it did send a CertificateRequest naming the CA.
    let facts = s_client_session(optional.addr(), &["-tls1_2"]).unwrap();
    assert!(
        facts
            .output
            .contains("Acceptable client certificate CA names"),
        "{}",
        facts.output
    );
    let required = require_server!(GoTlsServer::client_cert(GoCrypto::Standard, true));
    s_client(required.addr(), &["-tls1_2"])
        .unwrap()
        .assert_refused();
    let cert = required.certs[0].cert.to_str().unwrap().to_string();
    let key = required.certs[0].key.to_str().unwrap().to_string();
    s_client(required.addr(), &["-tls1_2", "-cert", &cert, "-key", &key])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn nmap_confirms_go_default_and_boringcrypto_suite_sets() {
    use common::go::{
        GO119_BORING_RSA_TLS12, GO119_DEFAULT_RSA_TLS10, GO119_DEFAULT_RSA_TLS12, GO119_TLS13,
    };
    use std::collections::BTreeSet;

    // nmap names suites; map them through `openssl ciphers` plus the few OpenSSL 3 lacks (3DES).
    let mut codes: std::collections::HashMap<String, u16> = common::openssl::expected_suites(
        "ALL:@SECLEVEL=0",
        None,
        Protocol::Tls12,
        KeyKind::Rsa2048,
    )
    .unwrap()
    .into_iter()
    .map(|s| (s.iana, s.code))
    .collect();
    codes.insert("TLS_RSA_WITH_3DES_EDE_CBC_SHA".into(), 0x000A);
    codes.insert("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA".into(), 0xC012);
    // nmap's draft names for TLS 1.3.
    codes.insert("TLS_AKE_WITH_AES_128_GCM_SHA256".into(), 0x1301);
    codes.insert("TLS_AKE_WITH_AES_256_GCM_SHA384".into(), 0x1302);
    codes.insert("TLS_AKE_WITH_CHACHA20_POLY1305_SHA256".into(), 0x1303);
    let sets = |found: &common::nmap::NmapResult| -> Vec<(String, BTreeSet<u16>)> {
        found
            .versions
            .iter()
            .map(|(label, v)| {
                let set = v
                    .ciphers
                    .iter()
                    .map(|n| *codes.get(n).unwrap_or_else(|| panic!("unmapped {n}")))
                    .collect();
                (label.clone(), set)
            })
            .collect()
    };
    let set = |codes: &[u16]| codes.iter().copied().collect::<BTreeSet<u16>>();

    let plain = require_server!(GoTlsServer::default_settings(GoCrypto::Standard));
    let found = require_server!(common::nmap::ssl_enum_ciphers(plain.addr()));
    assert_eq!(
        sets(&found),
        vec![
            ("TLSv1.0".to_string(), set(&GO119_DEFAULT_RSA_TLS10)),
            ("TLSv1.1".to_string(), set(&GO119_DEFAULT_RSA_TLS10)),
            ("TLSv1.2".to_string(), set(&GO119_DEFAULT_RSA_TLS12)),
            ("TLSv1.3".to_string(), set(&GO119_TLS13)),
        ],
        "{}",
        found.raw
    );

    let boring = require_server!(GoTlsServer::default_settings(GoCrypto::BoringFips));
    let found = require_server!(common::nmap::ssl_enum_ciphers(boring.addr()));
    assert_eq!(
        sets(&found),
        vec![("TLSv1.2".to_string(), set(&GO119_BORING_RSA_TLS12))],
        "{}",
        found.raw
    );
}

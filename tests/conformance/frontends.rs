//! OpenSSL-based front ends with configuration semantics of their own: Apache httpd 2.4
//! mod_ssl (`SSLProtocol`, `SSLCipherSuite`, `SSLHonorCipherOrder`; DHE without a dhparam
//! file) and HAProxy 2.6 (`ssl-default-bind-*`; the server's order unless
//! `prefer-client-ciphers`). Expected lists come from `openssl ciphers -V -s` for the configured
//! string, checked against the reference.

use fipsprobe::demo::KeyKind;
use fipsprobe::model::Severity::Fail;
use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::{self, Tls10, Tls11, Tls12, Tls13};

use crate::common::apache::ApacheServer;
use crate::common::haproxy::HaproxyServer;
use crate::common::openssl;
use crate::common::reference::Ems;
use crate::require_server;
use crate::support::{
    assert_grade, assert_version, assert_version_client_order, extra, scan_exact, summary,
    versions, Found, Pol, Signs,
};

/// OpenSSL 3.0 underneath: EMS echoed, never required.
const OPENSSL_EMS: Option<Ems> = Some(Ems::Optional);

fn openssl_codes(cipher: &str, version: Protocol) -> Vec<u16> {
    openssl::expected_suites(cipher, None, version, KeyKind::Rsa2048)
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .collect()
}

/// OpenSSL 3.0's default group list has x25519 and x448, which no FIPS policy approves.
fn default_groups() -> Vec<Found> {
    vec![
        extra("group_not_approved", Fail, Some("x25519"), None),
        extra("group_not_approved", Fail, Some("x448"), None),
    ]
}

const MOZILLA_LIKE: &str =
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256";

#[test]
fn apache_tls12_tls13_list_in_client_order_with_automatic_dhe() {
    let server = require_server!(ApacheServer::start(
        "-all +TLSv1.2 +TLSv1.3",
        MOZILLA_LIKE,
        false
    ));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    assert_version_client_order(&e, Tls12, &openssl_codes(MOZILLA_LIKE, Tls12));
    assert_version_client_order(&e, Tls13, &openssl_codes(MOZILLA_LIKE, Tls13));
    // mod_ssl serves DHE with automatic parameters, no SSLOpenSSLConfCmd DHParameters needed.
    assert!(truth.accepted(Tls12).contains(&0x009E));
    assert_eq!(e.extensions.dh_bits, Some(2048), "{}", summary(&e));
    assert_eq!(truth.leaves(), std::slice::from_ref(&server.cert.cert_der));
    // SSLv2..TLS 1.1 declined: 4; TLS 1.2: 3 + 1 + 1 (client order comes back in ours: the
    // order test); TLS 1.3: 3 + 1 + 1; groups: TLS 1.2 5 + 1 (x25519, P-256, x448, P-521,
    // P-384), TLS 1.3 10 + 1 (and FFDHE 2048-8192); features 1, EMS 1, fallback 1, DHE size 1:
    // 4 + 5 + 5 + 6 + 11 + 4 = 35.
    assert_eq!(
        e.handshakes,
        35 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        // OpenSSL at security level 1 signs with SHA-224 when asked (the reference saw it).
        let mut extras = default_groups();
        extras.push(Signs::RsaSha224.finding());
        assert_grade(&e, pol, OPENSSL_EMS, &extras, Verdict::Fail);
    }
}

const APACHE_LEGACY: &str = "HIGH:MEDIUM:!aNULL:@SECLEVEL=0";

#[test]
fn apache_all_protocols_high_medium_honouring_its_order() {
    let server = require_server!(ApacheServer::start("all", APACHE_LEGACY, true));
    let (e, _) = scan_exact(server.addr());
    assert_eq!(
        versions(&e),
        [Tls10, Tls11, Tls12, Tls13],
        "{}",
        summary(&e)
    );
    for p in [Tls10, Tls11, Tls12, Tls13] {
        assert_version(&e, p, &openssl_codes(APACHE_LEGACY, p), Some(true));
    }
    // SSLv2, SSLv3 declined: 2; TLS 1.0 and 1.1: 10 + 1 + 1 each (OpenSSL's order is the
    // cipher-db's offer order: an order test); TLS 1.2: 44 + 1 (an order that is not ours);
    // TLS 1.3: 3 + 1 + 1; groups 6 + 11; features 1, EMS 1, fallback 1, DHE size 1:
    // 2 + 24 + 45 + 5 + 17 + 4 = 97.
    assert_eq!(
        e.handshakes,
        97 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        // At security level 0 OpenSSL signs with SHA-1 and SHA-224 when asked.
        let mut extras = default_groups();
        extras.extend([Signs::RsaSha1.finding(), Signs::RsaSha224.finding()]);
        assert_grade(&e, pol, OPENSSL_EMS, &extras, Verdict::Fail);
    }
}

const HAPROXY_CIPHERS: &str = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA";

#[test]
fn haproxy_bind_defaults_in_server_order() {
    let server = require_server!(HaproxyServer::start(
        &format!(
            "    ssl-default-bind-ciphers {HAPROXY_CIPHERS}\n    \
             ssl-default-bind-options ssl-min-ver TLSv1.2"
        ),
        ""
    ));
    let (e, truth) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    assert_version(
        &e,
        Tls12,
        &openssl_codes(HAPROXY_CIPHERS, Tls12),
        Some(true),
    );
    assert_version(
        &e,
        Tls13,
        &openssl_codes(HAPROXY_CIPHERS, Tls13),
        Some(true),
    );
    assert_eq!(truth.leaves(), std::slice::from_ref(&server.cert.cert_der));
    // SSLv2..TLS 1.1 declined: 4; TLS 1.2: 3 + 1 + 1 (HAProxy's order is ours here: an order
    // test); TLS 1.3: 3 + 1 + 1; groups 6 + 11; features 1, EMS 1, fallback 1 (no DHE):
    // 4 + 5 + 5 + 17 + 3 = 34.
    assert_eq!(
        e.handshakes,
        34 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    for pol in [Pol::Fips3, Pol::Fips2] {
        let mut extras = default_groups();
        extras.push(Signs::RsaSha224.finding());
        assert_grade(&e, pol, OPENSSL_EMS, &extras, Verdict::Fail);
    }
}

#[test]
fn haproxy_prefer_client_ciphers_is_client_order() {
    let server = require_server!(HaproxyServer::start(
        &format!("    ssl-default-bind-ciphers {HAPROXY_CIPHERS}"),
        "prefer-client-ciphers"
    ));
    let (e, _) = scan_exact(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    assert_version_client_order(&e, Tls12, &openssl_codes(HAPROXY_CIPHERS, Tls12));
    assert_version_client_order(&e, Tls13, &openssl_codes(HAPROXY_CIPHERS, Tls13));
}

//! The non-Go servers: nginx with an `ssl_ciphers` list and server preference, GnuTLS
//! `gnutls-serv` with a priority string (client order and `%SERVER_PRECEDENCE`), and OpenSSL
//! `s_server` with every legacy suite. Expected lists come from the stacks themselves
//! (`openssl ciphers -V -s`, `gnutls-cli -l --priority`), not from fipsprobe's database.

use fipsprobe::demo::KeyKind;
use fipsprobe::model::Severity::{Fail, Warn};
use fipsprobe::model::{Status, Verdict};
use fipsprobe::protocol::Protocol::{self, Tls10, Tls11, Tls12, Tls13};
use fipsprobe::scan::Outcome;

use crate::common::misbehaving::Behaviour;
use crate::common::reference::Ems;
use crate::common::{
    gnutls, openssl, s_client, GnutlsServer, MisbehavingServer, NginxServer, OpensslServer,
    ServerError,
};
use crate::require_server;
use crate::support::{
    assert_grade, assert_version, assert_version_client_order, extra, scan, scan_again,
    scan_report, summary, versions, Found, Pol, Signs,
};

fn openssl_codes(cipher: &str, version: Protocol) -> Vec<u16> {
    openssl::expected_suites(cipher, None, version, KeyKind::Rsa2048)
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .collect()
}

fn gnutls_codes(priority: &str, version: Protocol) -> Vec<u16> {
    gnutls::expected_suites(priority, version, KeyKind::Rsa2048)
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .collect()
}

/// OpenSSL 3.0's and GnuTLS 3.7's default group lists both carry x25519 and x448, which no
/// FIPS policy approves for key agreement (FIPS 140-3 IG on SP 800-56A r3).
fn default_group_findings() -> Vec<Found> {
    vec![
        extra("group_not_approved", Fail, Some("x25519"), None),
        extra("group_not_approved", Fail, Some("x448"), None),
    ]
}

/// Upstream OpenSSL 3.0 (nginx, s_server) and GnuTLS 3.7 echo extended master secret and
/// complete a TLS 1.2 hello without it: only RHEL's FIPS patches make them require it.
const OPENSSL_EMS: Option<Ems> = Some(Ems::Optional);

/// See [`OPENSSL_EMS`].
const GNUTLS_EMS: Option<Ems> = Some(Ems::Optional);

// ---------------------------------------------------------------- nginx

const NGINX_CIPHERS: &str = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA";

#[test]
fn nginx_cipher_list_with_server_preference() {
    let server = require_server!(NginxServer::start(NGINX_CIPHERS, "TLSv1.2 TLSv1.3", true));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    assert_version(&e, Tls12, &openssl_codes(NGINX_CIPHERS, Tls12), Some(true));
    // ssl_ciphers does not reach TLS 1.3: OpenSSL's default TLS 1.3 suites, server order.
    assert_version(&e, Tls13, &openssl_codes(NGINX_CIPHERS, Tls13), Some(true));
    assert_eq!(e.preferred_suite.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(*e.ext("extended_master_secret"), true);
    // Handshakes: 4 declined; TLS 1.2: 3 + 1 + 1 and TLS 1.3: 3 + 1 + 1 (OpenSSL's order is our
    // offer order: order tests); groups 5 + 1, 10 + 1; features, EMS, fallback: 3 = 4 + 10 + 17 +
    // 3.
    assert_eq!(
        e.handshakes,
        34 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    // nginx's default curve list (OpenSSL's) has x25519 and x448; OpenSSL at security level
    // 1 signs with SHA-224 when asked.
    let mut extras = default_group_findings();
    extras.push(Signs::RsaSha224.finding());
    // AES128-SHA is static RSA (warn under 140-2, fail under 140-3); TLS 1.3 ChaCha20 and
    // x25519 fail both.
    assert_grade(&e, Pol::Fips3, OPENSSL_EMS, &extras, Verdict::Fail);
    assert_grade(&e, Pol::Fips2, OPENSSL_EMS, &extras, Verdict::Fail);
}

/// nginx on upstream OpenSSL 3.0 cannot refuse TLS 1.2 without EMS (RHEL's FIPS OpenSSL can),
/// so a FIPS cipher configuration passes fips-140-2 and fails fips-140-3 on that alone.
#[test]
fn nginx_fips_configuration_passes_140_2_and_fails_140_3_only_on_ems_enforcement() {
    let ciphers = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256";
    let server = require_server!(NginxServer::start_with(
        ciphers,
        "TLSv1.2",
        true,
        KeyKind::Rsa2048,
        "ssl_ecdh_curve secp384r1:prime256v1;"
    ));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls12], "{}", summary(&e));
    assert_version(&e, Tls12, &[0xC030, 0xC02F], Some(true));
    // Server preference: secp384r1 first (x25519 is not on nginx's list here).
    assert_eq!(e.groups.first().map(String::as_str), Some("secp384r1"));
    assert!(!e.groups.iter().any(|g| g == "x25519"), "{}", summary(&e));
    // Handshakes: 5 declined; TLS 1.2: 2 + 1 + 1; groups 2 + 1; features 1, EMS 1 = 5 + 4 + 3 + 2.
    assert_eq!(
        e.handshakes,
        14 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    assert_eq!(*e.ext("ems_required"), false, "{}", summary(&e));
    let extras = [
        extra("tls13_missing", Warn, None, None),
        Signs::RsaSha224.finding(),
    ];
    let graded = assert_grade(&e, Pol::Fips3, OPENSSL_EMS, &extras, Verdict::Fail);
    let fails: Vec<&str> = graded
        .findings
        .iter()
        .filter(|f| f.severity == Fail)
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(fails, ["ems_not_enforced"]);
    assert_grade(&e, Pol::Fips2, OPENSSL_EMS, &extras, Verdict::Pass);
}

// ---------------------------------------------------------------- GnuTLS

/// TLS 1.1 to 1.3, AES-256-GCM, AES-128-CBC and ChaCha20: every kind of finding, few suites.
const GNUTLS_PRIORITY: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:\
-CIPHER-ALL:+AES-256-GCM:+AES-128-CBC:+CHACHA20-POLY1305";

fn gnutls_extras() -> Vec<Found> {
    // gnutls-serv asks for a client certificate by default; not a finding. ChaCha20, x25519
    // and x448 fail both policies, and so does the SHA-1 signature NORMAL still allows.
    let mut extras = default_group_findings();
    extras.push(Signs::RsaSha1.finding());
    extras
}

#[test]
fn gnutls_priority_string_in_client_order() {
    let server = require_server!(GnutlsServer::start(GNUTLS_PRIORITY));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls11, Tls12, Tls13], "{}", summary(&e));
    for p in [Tls11, Tls12, Tls13] {
        assert_version_client_order(&e, p, &gnutls_codes(GNUTLS_PRIORITY, p));
    }
    // gnutls-serv asks for a certificate but serves a client without one.
    assert_eq!(*e.ext("client_certificate"), "optional");
    assert_eq!(*e.ext("extended_master_secret"), true);
    // Handshakes: SSLv2, SSLv3, TLS 1.0 declined: 3; TLS 1.1: 3 + 1 + 1, TLS 1.2: 8 + 1 + 1, TLS
    // 1.3: 2 + 1 + 1 (client order); groups 6 + 11; features, EMS, fallback, client certificate,
    // DHE: 5 = 3 + 19 + 17 + 5.
    assert_eq!(
        e.handshakes,
        44 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    let mut extras = gnutls_extras();
    let preferred = e.preferred_suite.clone().unwrap();
    if preferred.contains("CHACHA20") {
        extras.push(extra(
            "preferred_suite_not_approved",
            Fail,
            Some(&preferred),
            Some(Tls13),
        ));
    }
    assert_grade(&e, Pol::Fips3, GNUTLS_EMS, &extras, Verdict::Fail);
    assert_grade(&e, Pol::Fips2, GNUTLS_EMS, &extras, Verdict::Fail);
}

#[test]
fn gnutls_priority_string_with_server_precedence() {
    let priority = format!("{GNUTLS_PRIORITY}:%SERVER_PRECEDENCE");
    let server = require_server!(GnutlsServer::start(&priority));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls11, Tls12, Tls13], "{}", summary(&e));
    for p in [Tls11, Tls12, Tls13] {
        assert_version(&e, p, &gnutls_codes(&priority, p), Some(true));
    }
    assert_eq!(e.preferred_suite.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    // Handshakes: 3 declined; TLS 1.1: 3 + 1, TLS 1.2: 8 + 1 (GnuTLS's order is not ours), TLS 1.3:
    // 2 + 1 + 1; groups 6 + 11; features, EMS, fallback, client certificate, DHE: 5 = 3 + 17 + 17 +
    // 5.
    assert_eq!(
        e.handshakes,
        42 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    // With its own precedence GnuTLS picks secp256r1 (first in NORMAL) over our x25519 key
    // share; the group sweep still finds x25519 and x448 behind it.
    assert_eq!(e.groups.first().map(String::as_str), Some("secp256r1"));
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(&e, pol, GNUTLS_EMS, &gnutls_extras(), Verdict::Fail);
    }
}

#[test]
fn gnutls_x25519_is_reported_when_not_preferred() {
    let priority = format!("{GNUTLS_PRIORITY}:%SERVER_PRECEDENCE");
    let server = require_server!(GnutlsServer::start(&priority));
    // The server does accept x25519 and x448 when that is all a client offers.
    for (group, name) in [("X25519", "x25519"), ("X448", "x448")] {
        for version in ["-tls1_2", "-tls1_3"] {
            let got = s_client(server.addr(), &[version, "-groups", group]).unwrap();
            assert!(got.established, "{}", got.output);
            assert!(
                got.temp_key
                    .as_deref()
                    .is_some_and(|k| k.starts_with(group)),
                "{}",
                got.output
            );
        }
        let e = scan_again(server.addr());
        assert!(e.groups.iter().any(|g| g == name), "{}", summary(&e));
    }
    let e = scan(server.addr());
    // The other findings are checked by `gnutls_priority_string_with_server_precedence`; a
    // complete group list may add more (x448 is in NORMAL too), but x25519 must fail both.
    for pol in [Pol::Fips3, Pol::Fips2] {
        let graded = crate::support::graded(&e, pol);
        assert!(
            graded.findings.iter().any(|f| f.id == "group_not_approved"
                && f.severity == Fail
                && f.item.as_deref() == Some("x25519")),
            "{}",
            summary(&graded)
        );
    }
}

// ---------------------------------------------------------------- OpenSSL s_server

const LEGACY: &str = "ALL:@SECLEVEL=0";

#[test]
fn openssl_legacy_with_server_preference() {
    let server = require_server!(OpensslServer::legacy(true));
    let e = scan(server.addr());
    assert_eq!(
        versions(&e),
        [Tls10, Tls11, Tls12, Tls13],
        "{}",
        summary(&e)
    );
    for p in [Tls10, Tls11, Tls12] {
        assert_version(&e, p, &openssl_codes(LEGACY, p), Some(true));
    }
    assert_version(&e, Tls13, &openssl_codes("ALL", Tls13), Some(true));
    assert_eq!(e.preferred_suite.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    // Handshakes: 2 declined; TLS 1.0, 1.1: 16 + 1 each; TLS 1.2: 56 + 1 (server order, not ours);
    // TLS 1.3: 3 + 1 + 1; groups 6 + 11; features, EMS, fallback, DHE: 4 = 2 + 34 + 57 + 5 + 17 +
    // 4.
    assert_eq!(
        e.handshakes,
        119 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    let mut extras = default_group_findings();
    extras.extend([Signs::RsaSha1.finding(), Signs::RsaSha224.finding()]);
    assert_grade(&e, Pol::Fips3, OPENSSL_EMS, &extras, Verdict::Fail);
    assert_grade(&e, Pol::Fips2, OPENSSL_EMS, &extras, Verdict::Fail);
}

#[test]
fn openssl_legacy_in_client_order() {
    let server = require_server!(OpensslServer::legacy(false));
    let e = scan(server.addr());
    assert_eq!(
        versions(&e),
        [Tls10, Tls11, Tls12, Tls13],
        "{}",
        summary(&e)
    );
    for p in [Tls10, Tls11, Tls12] {
        assert_version_client_order(&e, p, &openssl_codes(LEGACY, p));
    }
    assert_version_client_order(&e, Tls13, &openssl_codes("ALL", Tls13));
    // Handshakes: 2 declined; TLS 1.0, 1.1: 16 + 1 + 1 each; TLS 1.2: 56 + 1 + 1; TLS 1.3: 3 + 1 +
    // 1 (client order); groups 17; features, EMS, fallback, DHE: 4 = 2 + 36 + 58 + 5 + 17 + 4.
    assert_eq!(
        e.handshakes,
        122 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    let mut extras = default_group_findings();
    extras.extend([Signs::RsaSha1.finding(), Signs::RsaSha224.finding()]);
    let preferred = e.preferred_suite.clone().unwrap();
    if preferred.contains("CHACHA20") {
        extras.push(extra(
            "preferred_suite_not_approved",
            Fail,
            Some(&preferred),
            Some(Tls13),
        ));
    }
    assert_grade(&e, Pol::Fips3, OPENSSL_EMS, &extras, Verdict::Fail);
    assert_grade(&e, Pol::Fips2, OPENSSL_EMS, &extras, Verdict::Fail);
}

// ---------------------------------------------------------------- protocol violations

/// A TLS 1.2 ServerHello choosing `TLS_AES_128_GCM_SHA256` (0x1301: a TLS 1.3 suite, never in
/// a TLS <= 1.2 offer), with renegotiation_info, then ServerHelloDone: the answer to any hello.
fn bogus_server_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend([7u8; 32]); // random
    body.push(0); // no session id
    body.extend([0x13, 0x01]); // the suite
    body.push(0); // null compression
    body.extend([0, 5, 0xFF, 0x01, 0, 1, 0]); // extensions: renegotiation_info, empty
    let mut handshake = vec![0x02, 0, 0, body.len() as u8];
    handshake.extend(&body);
    handshake.extend([0x0E, 0, 0, 0]); // ServerHelloDone
    let mut record = vec![0x16, 0x03, 0x03, 0, handshake.len() as u8];
    record.extend(&handshake);
    record
}

#[test]
fn a_suite_that_was_not_offered_is_reported_as_a_protocol_violation() {
    let server = MisbehavingServer::start(Behaviour::Reply(bogus_server_hello()));
    let (report, _) = scan_report(server.addr);
    let e = &report.endpoints[0];
    let gap = |v: Protocol| {
        e.gaps
            .iter()
            .find(|g| g.probe == "suites" && g.protocol == Some(v))
            .map(|g| (g.kind.clone(), g.reason.clone()))
    };
    assert_eq!(
        gap(Tls12),
        Some((
            "protocol_violation".to_string(),
            "protocol violation: the server chose suite 0x1301, which was not offered".to_string()
        )),
        "{e:#?}"
    );
    // Answering a TLS 1.1 hello with TLS 1.2 is one too.
    assert_eq!(
        gap(Tls11),
        Some((
            "protocol_violation".to_string(),
            "protocol violation: the server answered a TLSv1.1 hello with version 0x0303"
                .to_string()
        )),
        "{e:#?}"
    );
    assert!(e.protocols.is_empty(), "{}", summary(e));
    assert_eq!(e.status, Status::Error, "nothing it said is an acceptance");
    assert!(e
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("protocol violation"));
}

#[test]
fn an_endpoint_that_only_violates_the_protocol_does_not_pass() {
    let server = MisbehavingServer::start(Behaviour::Reply(bogus_server_hello()));
    let (report, _) = scan_report(server.addr);
    let e = &report.endpoints[0];
    assert_ne!(e.verdict, Verdict::Pass, "{}", summary(e));
    assert_ne!(fipsprobe::scan::outcome(&report), Outcome::Pass);
}

/// nginx preferring ECDHE but also accepting DHE with a 1024-bit group (`ssl_dhparam`), P-256
/// only: FIPS-clean except the DHE group, which SP 800-131A r2 disallows (< 2048 bits).
fn nginx_with_weak_dhe() -> Result<(NginxServer, tempfile::TempDir), ServerError> {
    let dir = tempfile::tempdir().unwrap();
    let dh = dir.path().join("dh1024.pem");
    std::fs::write(&dh, openssl::DH1024_PEM).unwrap();
    let server = NginxServer::start_with(
        "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        "TLSv1.2",
        true,
        KeyKind::Rsa2048,
        &format!("ssl_dhparam {}; ssl_ecdh_curve prime256v1;", dh.display()),
    )?;
    Ok((server, dir))
}

#[test]
fn nginx_dhe_behind_ecdhe_is_enumerated() {
    let (server, _dh) = require_server!(nginx_with_weak_dhe());
    // Ground truth: a client that offers only the DHE suite gets the 1024-bit group.
    let dhe = s_client(
        server.addr(),
        &["-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"],
    )
    .unwrap();
    dhe.assert_negotiated("TLSv1.2", "DHE-RSA-AES128-GCM-SHA256");
    assert_eq!(
        dhe.temp_key.as_deref(),
        Some("DH, 1024 bits"),
        "{}",
        dhe.output
    );
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls12], "{}", summary(&e));
    assert_version(&e, Tls12, &[0xC02F, 0x009E], Some(true));
    assert_eq!(e.groups, ["secp256r1"], "{}", summary(&e));
    // Handshakes: 5 declined; TLS 1.2: 2 + 1 + 1; groups 1 + 1; features, EMS, DHE: 3 = 5 + 4 + 2 +
    // 3.
    assert_eq!(
        e.handshakes,
        14 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    // The weak group is checked by `nginx_weak_dhe_group_behind_ecdhe_fails` (probe bug).
}

#[test]
fn nginx_weak_dhe_group_behind_ecdhe_fails() {
    let (server, _dh) = require_server!(nginx_with_weak_dhe());
    let e = scan(server.addr());
    assert_eq!(e.extensions.dh_bits, Some(1024), "{}", summary(&e));
    for pol in [Pol::Fips3, Pol::Fips2] {
        assert_grade(
            &e,
            pol,
            OPENSSL_EMS,
            &[
                extra("tls13_missing", Warn, None, None),
                extra("dh_key_too_small", Fail, Some("DH 1024 bits"), None),
                // `@SECLEVEL=0` in the cipher string: SHA-1 signatures too.
                Signs::RsaSha1.finding(),
                Signs::RsaSha224.finding(),
            ],
            Verdict::Fail,
        );
    }
}

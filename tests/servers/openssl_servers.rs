//! OpenSSL `s_server` presets, checked with `openssl s_client`.

use super::*;

#[test]
fn openssl_legacy_accepts_tls10_cbc_static_rsa_and_anonymous() {
    let server = require_server!(OpensslServer::legacy(false));
    let addr = server.addr();
    s_client(addr, &["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"])
        .unwrap()
        .assert_negotiated("TLSv1", "AES128-SHA");
    s_client(
        addr,
        &["-tls1_1", "-cipher", "DHE-RSA-CAMELLIA256-SHA:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.1", "DHE-RSA-CAMELLIA256-SHA");
    s_client(
        addr,
        &["-tls1_2", "-cipher", "ARIA128-GCM-SHA256:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ARIA128-GCM-SHA256");
    s_client(
        addr,
        &["-tls1_2", "-cipher", "ADH-AES128-GCM-SHA256:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ADH-AES128-GCM-SHA256");
    s_client(
        addr,
        &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
    )
    .unwrap()
    .assert_negotiated("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256");
    // Client order: the client's first choice wins.
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "AES256-SHA");
    // Rapid successive connections on the one-at-a-time server all succeed.
    for _ in 0..10 {
        s_client(addr, &["-tls1_2"])
            .unwrap()
            .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    }
}

#[test]
fn openssl_legacy_serverpref_enforces_its_order() {
    let server = require_server!(OpensslServer::legacy(true));
    // The client puts a weak CBC suite first; OpenSSL's own order prefers ECDHE AES-GCM.
    s_client(
        server.addr(),
        &[
            "-tls1_2",
            "-cipher",
            "AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn openssl_tls13_only_refuses_tls12() {
    let server = require_server!(OpensslServer::tls13_only());
    s_client(server.addr(), &["-tls1_3"])
        .unwrap()
        .assert_negotiated("TLSv1.3", "TLS_AES_256_GCM_SHA384");
    s_client(server.addr(), &["-tls1_2"])
        .unwrap()
        .assert_refused();
}

#[test]
fn openssl_client_cert_required_refuses_anonymous_clients() {
    let server = require_server!(OpensslServer::client_cert_required());
    let tls12 = s_client(server.addr(), &["-tls1_2"]).unwrap();
    tls12.assert_refused();
    assert!(
        tls12.output.contains("handshake failure"),
        "{}",
        tls12.output
    );
    // TLS 1.3: the client finishes, then the server alerts certificate_required.
    let tls13 = s_client(server.addr(), &["-tls1_3"]).unwrap();
    assert!(
        !tls13.exit_ok && tls13.output.contains("certificate required"),
        "{}",
        tls13.output
    );
    // With a certificate (its own, which it trusts) the handshake succeeds.
    let key = server.cert.key.to_str().unwrap().to_string();
    let cert = server.cert.cert.to_str().unwrap().to_string();
    s_client(server.addr(), &["-tls1_2", "-cert", &cert, "-key", &key])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
}

#[test]
fn openssl_ecdsa_p384_certificate_serves_ecdsa_suites() {
    let server = require_server!(OpensslServer::ecdsa(KeyKind::EcdsaP384));
    let got = s_client(server.addr(), &["-tls1_2"]).unwrap();
    got.assert_negotiated("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384");
    assert!(
        got.output.contains("Signature type: ECDSA"),
        "{}",
        got.output
    );
    s_client(
        server.addr(),
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
    )
    .unwrap()
    .assert_refused();
}

#[test]
fn openssl_dhe_1024_uses_the_1024_bit_group() {
    let server = require_server!(OpensslServer::dhe_1024());
    let got = s_client(server.addr(), &["-cipher", "ALL:@SECLEVEL=0"]).unwrap();
    got.assert_negotiated("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384");
    assert_eq!(
        got.temp_key.as_deref(),
        Some("DH, 1024 bits"),
        "{}",
        got.output
    );
    s_client(server.addr(), &["-cipher", "ECDHE:@SECLEVEL=0"])
        .unwrap()
        .assert_refused();
}

#[test]
fn openssl_weak_certificates_are_served() {
    let rsa1024 = require_server!(OpensslServer::rsa1024_cert());
    let got = s_client(rsa1024.addr(), &["-cipher", "ALL:@SECLEVEL=0"]).unwrap();
    assert!(got.established, "{}", got.output);
    assert!(
        got.output.contains("Peer certificate: CN = localhost"),
        "{}",
        got.output
    );
    assert!(
        x509_key_bits(&rsa1024.cert.cert_der) == 1024,
        "RSA-1024 certificate has another size"
    );

    let sha1 = require_server!(OpensslServer::sha1_cert());
    assert!(
        s_client(sha1.addr(), &["-cipher", "ALL:@SECLEVEL=0"])
            .unwrap()
            .established
    );
    assert_eq!(signature_oid(&sha1.cert.cert_der), "1.2.840.113549.1.1.5"); // sha1WithRSAEncryption

    let expired = require_server!(OpensslServer::expired_cert());
    assert!(s_client(expired.addr(), &[]).unwrap().established);
    let (_, cert) = x509_parser::parse_x509_certificate(&expired.cert.cert_der).unwrap();
    assert!(!cert.validity().is_valid());
}

#[test]
fn openssl_group_limited_servers() {
    let x25519 = require_server!(OpensslServer::groups("x25519"));
    let got = s_client(x25519.addr(), &["-tls1_2"]).unwrap();
    assert_eq!(
        got.temp_key.as_deref(),
        Some("X25519, 253 bits"),
        "{}",
        got.output
    );
    s_client(x25519.addr(), &["-tls1_3", "-groups", "P-256:P-384"])
        .unwrap()
        .assert_refused();

    let p384 = require_server!(OpensslServer::groups("P-384"));
    let got = s_client(p384.addr(), &["-tls1_3"]).unwrap();
    assert_eq!(
        got.temp_key.as_deref(),
        Some("ECDH, secp384r1, 384 bits"),
        "{}",
        got.output
    );
    s_client(
        p384.addr(),
        &["-tls1_2", "-cipher", "ECDHE", "-groups", "x25519:P-256"],
    )
    .unwrap()
    .assert_refused();
}

#[test]
fn openssl_tls12_without_ems() {
    let server = require_server!(OpensslServer::tls12_no_ems());
    let facts = s_client_session(server.addr(), &[]).unwrap();
    assert_eq!(
        facts.protocol.as_deref(),
        Some("TLSv1.2"),
        "{}",
        facts.output
    );
    assert_eq!(
        facts.extended_master_secret,
        Some(false),
        "{}",
        facts.output
    );
    // The ordinary preset does offer EMS, so the flag above is what turned it off.
    let normal = require_server!(OpensslServer::start(&["-tls1_2"], KeyKind::Rsa2048));
    let facts = s_client_session(normal.addr(), &[]).unwrap();
    assert_eq!(facts.extended_master_secret, Some(true), "{}", facts.output);
}

fn x509_key_bits(der: &[u8]) -> usize {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.public_key().parsed().unwrap().key_size()
}

fn signature_oid(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.signature_algorithm.algorithm.to_id_string()
}

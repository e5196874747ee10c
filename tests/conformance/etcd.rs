//! etcd (Debian's etcd-server 3.4, built with Go 1.19) serving its client port with TLS and a
//! restricted `--cipher-suites`, with and without `--client-cert-auth`. etcd is a Go
//! crypto/tls server: Go's order wins over the configured one, TLS 1.3 ignores the flag, and
//! etcd 3.4 sets TLS 1.2 as its minimum.

use fipsprobe::model::Severity::Fail;
use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::{Tls12, Tls13};

use crate::common::go::GO119_TLS13;
use crate::common::reference::Ems;
use crate::common::EtcdServer;
use crate::require_server;
use crate::support::{
    assert_grade, assert_version, codes, extra, go_no_encrypt_then_mac, go_order, hex, scan,
    summary, versions, Found, Pol, Signs,
};

/// Listed against Go's order on purpose: Go serves them in its own order regardless.
const RESTRICTED: &str = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,\
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";

/// The AES-GCM pair a hardened etcd would list.
const GCM_ONLY: &str =
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";

/// What etcd shows beyond versions, suites and EMS: the x25519 share Go picks, and Go 1.19
/// signing with SHA-1 when a client asks for it.
fn etcd_extras(_pol: Pol) -> Vec<Found> {
    vec![
        extra("group_not_approved", Fail, Some("x25519"), None),
        Signs::RsaSha1.finding(),
    ]
}

/// etcd 3.4 is built with Go 1.19, which has no extended master secret.
const ETCD_EMS: Option<Ems> = Some(Ems::Absent);

#[test]
fn etcd_restricted_cipher_suites_in_go_order_and_unrestricted_tls13() {
    let server = require_server!(EtcdServer::start(Some(RESTRICTED), false));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    assert_version(&e, Tls12, &[0xC02F, 0xC030, 0xC013], Some(true));
    // --cipher-suites does not reach TLS 1.3: ChaCha20 is still there.
    assert_eq!(hex(&codes(&e, Tls13)), hex(&go_order(&GO119_TLS13)));
    // Handshakes: SSLv2..TLS 1.1 declined: 4; TLS 1.2: 3 + 1 (Go's order, no order test); TLS 1.3:
    // 3 + 1; groups 4 + 1 per version; features 1, fallback 1 (Go 1.19 echoes no EMS) = 4 + 4 + 4 +
    // 10 + 2.
    assert_eq!(
        e.handshakes,
        24 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    assert_eq!(*e.ext("client_certificate"), "not_requested");
    // ECDHE AES-CBC-SHA is a warning in both, but Go negotiates it without Encrypt-then-MAC,
    // which fails both (SP 800-52r2 §3.4.2); ChaCha20 (TLS 1.3) and x25519 fail both.
    for pol in [Pol::Fips3, Pol::Fips2] {
        let mut extras = etcd_extras(pol);
        extras.push(go_no_encrypt_then_mac());
        assert_grade(&e, pol, ETCD_EMS, &extras, Verdict::Fail);
    }
}

#[test]
fn etcd_client_cert_auth_is_scanned_without_a_client_certificate() {
    let server = require_server!(EtcdServer::start(Some(GCM_ONLY), true));
    let e = scan(server.addr());
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    // The ServerHello comes before the CertificateRequest: the sweep needs no client cert.
    assert_version(&e, Tls12, &[0xC02F, 0xC030], Some(true));
    assert_eq!(hex(&codes(&e, Tls13)), hex(&go_order(&GO119_TLS13)));
    // etcd --client-cert-auth refuses a client without a certificate: "required".
    assert_eq!(*e.ext("client_certificate"), "required");
    assert!(e.certificate.is_some(), "{}", summary(&e));
    // Handshakes: 4 declined; TLS 1.2: 2 + 1; TLS 1.3: 3 + 1; groups 5 + 5; features, fallback,
    // client certificate: 3 = 4 + 3 + 4 + 10 + 3.
    assert_eq!(
        e.handshakes,
        24 + e.scheme_hellos + e.rechecks,
        "{}",
        summary(&e)
    );
    // Even the AES-GCM-only list fails: TLS 1.3 ChaCha20 and x25519 are out of etcd's reach.
    assert_grade(
        &e,
        Pol::Fips3,
        ETCD_EMS,
        &etcd_extras(Pol::Fips3),
        Verdict::Fail,
    );
    assert_grade(
        &e,
        Pol::Fips2,
        ETCD_EMS,
        &etcd_extras(Pol::Fips2),
        Verdict::Fail,
    );
}

#[test]
fn etcd_tls13_is_server_order() {
    let server = require_server!(EtcdServer::start(Some(GCM_ONLY), false));
    let e = scan(server.addr());
    assert_version(&e, Tls13, &go_order(&GO119_TLS13), Some(true));
}

//! The reference enumeration (`tests/common/reference.rs`) checked against what the servers'
//! configurations say: OpenSSL's `ALL:@SECLEVEL=0` per `openssl ciphers`, so the ground truth the
//! other conformance tests compare fipsprobe with is itself proven against the stack's own word.

use fipsprobe::demo::KeyKind;
use fipsprobe::protocol::Protocol::{self, Ssl3, Tls10, Tls11, Tls12, Tls13};

use crate::common::reference;
use crate::common::{openssl, OpensslServer};
use crate::require_server;

fn openssl_set(cipher: &str, version: Protocol) -> std::collections::BTreeSet<u16> {
    openssl::expected_suites(cipher, None, version, KeyKind::Rsa2048)
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .collect()
}

#[test]
fn reference_sees_exactly_what_openssl_ciphers_lists() {
    let server = require_server!(OpensslServer::legacy(true));
    let started = std::time::Instant::now();
    let truth = reference::enumerate(server.addr());
    eprintln!(
        "reference took {:?}\n{}",
        started.elapsed(),
        truth.summary()
    );
    truth.assert_complete();
    for p in [Tls10, Tls11, Tls12] {
        assert_eq!(
            truth.accepted(p),
            openssl_set("ALL:@SECLEVEL=0", p),
            "{p}\n{}",
            truth.summary()
        );
    }
    assert_eq!(truth.accepted(Tls13), openssl_set("ALL", Tls13));
    assert!(truth.accepted(Ssl3).is_empty());
    assert_eq!(truth.leaves().len(), 1);
}

//! What a scan may cost in handshakes, from what it found: the oracle every scanning test
//! checks `handshakes` against (the rustls tests also count connections at a relay).

use fipsprobe::cipher_db::Kx;
use fipsprobe::model::{ClientCertificate, Endpoint};
use fipsprobe::protocol::Protocol;

/// The fewest handshakes the plan needs for what `e` accepted. Per version: one per accepted
/// suite and the declined hello; an order test only when the sweep came back in our own
/// order (any other order already proves the server chooses); a TLS 1.3 server with a single
/// suite declines the key-share-less hello once more. Then the TLS 1.3 certificate handshake
/// when no cleartext chain was seen, and the extra probes (groups, features, EMS, fallback,
/// client certificate, DHE size).
pub fn minimal_handshakes(e: &Endpoint) -> u32 {
    let db = fipsprobe::cipher_db::db();
    let rank = |code: u32| db.suites().iter().position(|s| u32::from(s.code) == code);
    let mut n = 0;
    for version in Protocol::ALL {
        let result = e.protocols.get(&version);
        let accepted = result.map_or(0, |r| r.suites.len() as u32);
        let in_our_order = result.is_some_and(|r| {
            r.suites.windows(2).all(
                |w| matches!((rank(w[0].code.0), rank(w[1].code.0)), (Some(a), Some(b)) if a < b),
            )
        });
        n += if version == Protocol::Ssl2 {
            1
        } else {
            accepted
                + 1
                + u32::from(accepted >= 2 && in_our_order)
                + u32::from(version == Protocol::Tls13 && accepted == 1)
        };
    }
    let cleartext_chain = e.protocols.keys().any(|p| *p <= Protocol::Tls12);
    if e.protocols.contains_key(&Protocol::Tls13) && !cleartext_chain {
        n += 1;
    }
    n + extra_handshakes(e)
}

/// The enumeration budget — accepted suites + versions tried + 6, one per order test, one for
/// the TLS 1.3 certificate (the cost formula of `src/probe/plan.rs`, with slack for retried
/// first hellos) — plus the extra probes.
pub fn budget(e: &Endpoint) -> u32 {
    let accepted: usize = e.protocols.values().map(|p| p.suites.len()).sum();
    let order_tests = e.protocols.values().filter(|p| p.suites.len() >= 2).count();
    let tls13 = usize::from(e.protocols.contains_key(&Protocol::Tls13));
    let enumeration = accepted + Protocol::ALL.len() + 6 + order_tests + tls13;
    u32::try_from(enumeration).unwrap_or(u32::MAX) + extra_handshakes(e)
}

/// The extra probes' handshakes for what `e` shows, counted here from the plan in
/// `probe::behaviour`'s module doc (not from the library's code): groups N+1 per swept
/// version, features 1, EMS 1 when echoed, fallback 1 with two or more versions from SSLv3,
/// client certificate 1 when requested, DHE size 1 with a DHE suite.
pub fn extra_handshakes(e: &Endpoint) -> u32 {
    let db = fipsprobe::cipher_db::db();
    let legacy = |p: &Protocol| *p >= Protocol::Tls10 && *p <= Protocol::Tls12;
    let has_kx = |kx: Kx, from: Protocol| {
        e.protocols.iter().any(|(p, r)| {
            *p >= from
                && *p <= Protocol::Tls12
                && r.suites.iter().any(|s| {
                    u16::try_from(s.code.0)
                        .ok()
                        .and_then(|c| db.suite(c))
                        .is_some_and(|s| s.kx == kx)
                })
        })
    };
    let listed = |v: Protocol| {
        e.extensions
            .groups
            .get(&v)
            .map_or(0, |a| u32::try_from(a.len()).unwrap_or(u32::MAX))
    };
    let mut n = 0u32;
    if has_kx(Kx::Ecdhe, Protocol::Tls10) {
        n += listed(Protocol::Tls12)
            .max(listed(Protocol::Tls11))
            .max(listed(Protocol::Tls10))
            + 1;
    }
    if e.protocols.contains_key(&Protocol::Tls13) {
        n += listed(Protocol::Tls13) + 1;
    }
    if e.protocols.keys().any(legacy) {
        n += 1; // features
        if e.extensions.extended_master_secret == Some(true) {
            n += 1;
        }
    }
    let versions: Vec<&Protocol> = e
        .protocols
        .keys()
        .filter(|p| **p != Protocol::Ssl2)
        .collect();
    if versions.len() >= 2 && versions[versions.len() - 2] >= &Protocol::Ssl3 {
        n += 1;
    }
    if e.extensions
        .client_certificate
        .is_some_and(|c| c != ClientCertificate::NotRequested)
    {
        n += 1;
    }
    if has_kx(Kx::Dhe, Protocol::Ssl3) {
        n += 1;
    }
    n
}

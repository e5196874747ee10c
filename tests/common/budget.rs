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
    n + intolerance_checks(e) + extra_handshakes(e)
}

/// The hello-intolerance check of `probe::intolerance`: when no TLS <= 1.2 version accepted
/// the full hello, each refused one is asked again in windows of 128 suites: one hello when
/// the server says protocol_version, else every window (3) and one without extensions (none
/// for SSLv3, whose hellos have none, nor when TLS 1.3 took the same extensions).
pub fn intolerance_checks(e: &Endpoint) -> u32 {
    let legacy = |p: &Protocol| (Protocol::Ssl3..=Protocol::Tls12).contains(p);
    if e.protocols.keys().any(legacy) {
        return 0;
    }
    let tls13 = e.protocols.contains_key(&Protocol::Tls13);
    e.refused
        .iter()
        .filter(|(p, _)| legacy(p))
        .map(|(p, why)| {
            if why == "alert protocol_version" {
                1
            } else if *p == Protocol::Ssl3 || tls13 {
                3
            } else {
                4
            }
        })
        .sum()
}

/// The enumeration budget — accepted suites + versions tried + 6, one per order test, one for
/// the TLS 1.3 certificate (the cost formula of `src/probe/plan.rs`, with slack for retried
/// first hellos) — plus the extra probes.
pub fn budget(e: &Endpoint) -> u32 {
    let accepted: usize = e.protocols.values().map(|p| p.suites.len()).sum();
    let order_tests = e.protocols.values().filter(|p| p.suites.len() >= 2).count();
    let tls13 = usize::from(e.protocols.contains_key(&Protocol::Tls13));
    let enumeration = accepted + Protocol::ALL.len() + 6 + order_tests + tls13;
    u32::try_from(enumeration).unwrap_or(u32::MAX) + intolerance_checks(e) + extra_handshakes(e)
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
    n + scheme_sweeps(e)
}

/// The signature-scheme sweeps (`probe::schemes`): per version, one hello per scheme found and
/// the final refusal; TLS 1.2 (with a signed ECDHE/DHE suite accepted) one more without
/// signature_algorithms; TLS 1.3 one fewer when the certificate handshake (made when no
/// cleartext chain was seen) was its first answer.
pub fn scheme_sweeps(e: &Endpoint) -> u32 {
    let db = fipsprobe::cipher_db::db();
    let found = |v: Protocol| {
        e.extensions
            .signature_schemes_by_version
            .get(&v)
            .map_or(0, |l| u32::try_from(l.len()).unwrap_or(u32::MAX))
    };
    let mut n = 0;
    let signed12 = e.protocols.get(&Protocol::Tls12).is_some_and(|r| {
        r.suites.iter().any(|s| {
            u16::try_from(s.code.0)
                .ok()
                .and_then(|c| db.suite(c))
                .is_some_and(|s| {
                    matches!(s.kx, Kx::Ecdhe | Kx::Dhe)
                        && !s.flags.anonymous
                        && matches!(
                            s.auth,
                            fipsprobe::cipher_db::Auth::Rsa
                                | fipsprobe::cipher_db::Auth::Ecdsa
                                | fipsprobe::cipher_db::Auth::Dss
                        )
                })
        })
    });
    if signed12 {
        n += found(Protocol::Tls12) + 2;
    }
    if e.protocols.contains_key(&Protocol::Tls13) {
        let cleartext_chain = e.protocols.keys().any(|p| *p <= Protocol::Tls12);
        n += found(Protocol::Tls13) + 1 - u32::from(!cleartext_chain);
    }
    n
}

//! What a scan may cost in handshakes, from what it found: the oracle every scanning test
//! checks `handshakes` against (the rustls tests also count connections at a relay).

use fipsprobe::probe::behaviour::extra_handshakes;
use fipsprobe::protocol::Protocol;
use fipsprobe::report::model::Endpoint;

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

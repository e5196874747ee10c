//! What fipsprobe offers in every hello: groups and signature schemes. One list for the cipher
//! sweeps, the group sweeps and the behaviour probes, so a server never sees two clients.
//!
//! The groups are every group `cipher-db/groups.toml` knows (draft and hybrid groups included,
//! GREASE and the explicit-curve codes left out: a server may pick only what it was offered, and
//! an audit must see every group it would pick), with the ones servers expect first.

use std::sync::OnceLock;

use crate::cipher_db::{self, GroupKind};

/// The common groups first, in the order a TLS <= 1.2 server expects them: P-256 first.
const TLS12_FIRST: &[u16] = &[
    0x0017, 0x0018, 0x0019, 0x001D, 0x001E, 0x001A, 0x001B, 0x001C,
];

/// The common groups first for TLS 1.3: x25519 and P-256 (which also get the key shares), the
/// NIST curves, the ML-KEM hybrids.
const TLS13_FIRST: &[u16] = &[
    0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x11EC, 0x11EB, 0x11ED,
];

/// Key shares sent in TLS 1.3 hellos: the two groups nearly every server takes.
pub const KEY_SHARES_TLS13: &[u16] = &[0x001D, 0x0017];

/// Groups offered in TLS <= 1.2 hellos: every elliptic curve and FFDHE group, so that an
/// ECDHE suite is never missed for lack of a common curve.
pub fn groups_tls12() -> &'static [u16] {
    static LIST: OnceLock<Vec<u16>> = OnceLock::new();
    LIST.get_or_init(|| {
        ordered(TLS12_FIRST, |k| {
            matches!(k, GroupKind::Ec | GroupKind::Ffdhe)
        })
    })
}

/// Groups offered in TLS 1.3 hellos: every group of every kind. A server that wants a share we
/// did not send answers with a HelloRetryRequest, which names its suite and group just as well.
pub fn groups_tls13() -> &'static [u16] {
    static LIST: OnceLock<Vec<u16>> = OnceLock::new();
    LIST.get_or_init(|| {
        ordered(TLS13_FIRST, |k| {
            !matches!(k, GroupKind::Grease | GroupKind::Explicit)
        })
    })
}

/// The elliptic curves, for the TLS <= 1.2 group sweep (its ECDHE suites make the server
/// name a curve).
pub fn curves_tls12() -> &'static [u16] {
    static LIST: OnceLock<Vec<u16>> = OnceLock::new();
    LIST.get_or_init(|| ordered(TLS12_FIRST, |k| k == GroupKind::Ec))
}

/// `first`, then every other cipher-db group whose kind `keep` accepts, in database order.
fn ordered(first: &[u16], keep: impl Fn(GroupKind) -> bool) -> Vec<u16> {
    let db = cipher_db::db();
    let mut out: Vec<u16> = first
        .iter()
        .copied()
        .filter(|c| db.group(*c).is_some_and(|g| keep(g.kind)))
        .collect();
    for g in db.groups() {
        if keep(g.kind) && !out.contains(&g.code) {
            out.push(g.code);
        }
    }
    out
}

/// Signature schemes offered: every modern scheme, then the legacy SHA-1/MD5 pairs so that a
/// server holding only an old certificate still answers.
pub const SIG_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B, 0x0807, 0x0808, 0x0401,
    0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202, 0x0101,
    0x0102, 0x0103,
];

/// Every signature scheme cipher-db knows, the ones of [`SIG_SCHEMES`] first: what the
/// TLS 1.2 scheme sweep offers (the placeholders "Reserved for backward compatibility" left
/// out).
pub fn sig_schemes_all() -> &'static [u16] {
    static LIST: OnceLock<Vec<u16>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut out = SIG_SCHEMES.to_vec();
        for s in cipher_db::db().sig_schemes() {
            if !s.name.starts_with("Reserved") && !out.contains(&s.code) {
                out.push(s.code);
            }
        }
        out
    })
}

/// The schemes the TLS 1.3 scheme sweep offers: the ones RFC 8446 defines for
/// CertificateVerify first, then every other scheme cipher-db knows (a server that signs its
/// handshake with PKCS#1 v1.5 or SHA-1 where TLS 1.3 forbids it is exactly what an audit must
/// see).
pub fn sig_schemes_tls13() -> &'static [u16] {
    static LIST: OnceLock<Vec<u16>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut out: Vec<u16> = [
            0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B, 0x0807, 0x0808,
            0x081A, 0x081B, 0x081C, 0x0904, 0x0905, 0x0906,
        ]
        .to_vec();
        for &code in sig_schemes_all() {
            if !out.contains(&code) {
                out.push(code);
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_group_is_offered_once_with_the_common_ones_first() {
        let tls13 = groups_tls13();
        assert_eq!(&tls13[..2], KEY_SHARES_TLS13);
        for code in [0x6399, 0x639A, 0x0200, 0x11EE, 0x0104, 0x0021] {
            assert!(tls13.contains(&code), "0x{code:04X}");
        }
        assert!(!tls13.contains(&0x0A0A), "no GREASE");
        assert!(!tls13.contains(&0xFF01), "no explicit curves");
        let mut sorted = tls13.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), tls13.len());
        let tls12 = groups_tls12();
        assert_eq!(tls12[0], 0x0017);
        assert!(tls12.contains(&0x0100) && tls12.contains(&0x0001));
        assert!(!tls12.contains(&0x11EC), "hybrids are TLS 1.3 only");
        assert!(curves_tls12()
            .iter()
            .all(|c| !(0x0100..=0x0104).contains(c)));
    }
}

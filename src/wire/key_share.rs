//! Valid public values for key_share entries. The probe never completes a handshake, so any
//! value the server accepts as a well-formed public key will do; we use fixed, well-known ones
//! that pass every peer-side validity check (point on curve, 1 < y < p-1, ML-KEM modulus check).

use crate::wire::NamedGroup;

/// The public value to send in a key_share entry for `group`, or `None` when we cannot make one
/// (unknown group, or one that needs real key generation such as brainpool curves).
///
/// - x25519 / x448: the base point (u = 9 / u = 5, RFC 7748 §4.1, §4.2), little-endian.
/// - secp256r1/384r1/521r1: the curve generator G, uncompressed (`04 || X || Y`, SEC 1 §2.3.3).
/// - ffdhe*: y = 2, left-padded to the prime's byte length (RFC 8446 §4.2.8.1); 2 generates the
///   prime-order subgroup of every RFC 7919 group, so it passes `1 < y < p-1` and subgroup checks.
/// - ML-KEM: an all-zero encapsulation key: every coefficient is 0 < q, so it passes FIPS 203
///   §7.2's modulus check. Hybrids concatenate as draft-ietf-tls-ecdhe-mlkem §3 says:
///   X25519MLKEM768 = ek(1184) || x25519(32); SecP256r1MLKEM768 = P-256 point(65) || ek(1184);
///   SecP384r1MLKEM1024 = P-384 point(97) || ek(1568).
pub fn key_share_value(group: u16) -> Option<Vec<u8>> {
    let g = NamedGroup(group);
    let value = match g {
        NamedGroup::X25519 => little_endian_point(9, 32),
        NamedGroup::X448 => little_endian_point(5, 56),
        NamedGroup::SECP256R1 => P256_G.to_vec(),
        NamedGroup::SECP384R1 => P384_G.to_vec(),
        NamedGroup::SECP521R1 => P521_G.to_vec(),
        NamedGroup::FFDHE2048 => ffdhe_two(256),
        NamedGroup::FFDHE3072 => ffdhe_two(384),
        NamedGroup::FFDHE4096 => ffdhe_two(512),
        NamedGroup::FFDHE6144 => ffdhe_two(768),
        NamedGroup::FFDHE8192 => ffdhe_two(1024),
        NamedGroup::MLKEM512 => vec![0; MLKEM512_EK_LEN],
        NamedGroup::MLKEM768 => vec![0; MLKEM768_EK_LEN],
        NamedGroup::MLKEM1024 => vec![0; MLKEM1024_EK_LEN],
        NamedGroup::X25519_MLKEM768 => {
            let mut v = vec![0; MLKEM768_EK_LEN];
            v.extend(little_endian_point(9, 32));
            v
        }
        NamedGroup::SECP256R1_MLKEM768 => {
            let mut v = P256_G.to_vec();
            v.extend(std::iter::repeat_n(0, MLKEM768_EK_LEN));
            v
        }
        NamedGroup::SECP384R1_MLKEM1024 => {
            let mut v = P384_G.to_vec();
            v.extend(std::iter::repeat_n(0, MLKEM1024_EK_LEN));
            v
        }
        _ => return None,
    };
    Some(value)
}

/// FIPS 203 encapsulation key sizes: 384·k + 32 bytes.
const MLKEM512_EK_LEN: usize = 800;
const MLKEM768_EK_LEN: usize = 1184;
const MLKEM1024_EK_LEN: usize = 1568;

/// A Montgomery u-coordinate with a small value, little-endian as RFC 7748 encodes it.
fn little_endian_point(u: u8, len: usize) -> Vec<u8> {
    let mut v = vec![0; len];
    if let Some(first) = v.first_mut() {
        *first = u;
    }
    v
}

/// y = 2 as a big-endian integer of `len` bytes.
fn ffdhe_two(len: usize) -> Vec<u8> {
    let mut v = vec![0; len];
    if let Some(last) = v.last_mut() {
        *last = 2;
    }
    v
}

/// P-256 generator, uncompressed (SEC 2 §2.4.2; printed by
/// `openssl ecparam -name prime256v1 -param_enc explicit`).
const P256_G: [u8; 65] = hex65(
    b"046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296\
      4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
);

/// P-384 generator, uncompressed (SEC 2 §2.5.1).
const P384_G: [u8; 97] = hex97(
    b"04AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7\
      3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F",
);

/// P-521 generator, uncompressed (SEC 2 §2.6.1).
const P521_G: [u8; 133] = hex133(
    b"0400C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66\
      011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650",
);

const fn hex65(s: &[u8]) -> [u8; 65] {
    let mut out = [0u8; 65];
    decode_hex(s, &mut out);
    out
}

const fn hex97(s: &[u8]) -> [u8; 97] {
    let mut out = [0u8; 97];
    decode_hex(s, &mut out);
    out
}

const fn hex133(s: &[u8]) -> [u8; 133] {
    let mut out = [0u8; 133];
    decode_hex(s, &mut out);
    out
}

/// Compile-time hex decoding of our own constants (whitespace skipped). A malformed constant is
/// a bug in this file and fails the build, never a run.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn decode_hex(s: &[u8], out: &mut [u8]) {
    let mut i = 0;
    let mut n = 0;
    let mut high: Option<u8> = None;
    while i < s.len() {
        let c = s[i];
        i += 1;
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b' ' | b'\n' | b'\\' => continue,
            _ => panic!("bad hex digit in key_share constant"),
        };
        match high {
            None => high = Some(v),
            Some(h) => {
                out[n] = h * 16 + v;
                n += 1;
                high = None;
            }
        }
    }
    assert!(
        n == out.len() && high.is_none(),
        "key_share constant has the wrong length"
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn key_share_lengths_match_the_groups() {
        for (group, len) in [
            (0x001d, 32),
            (0x001e, 56),
            (0x0017, 65),
            (0x0018, 97),
            (0x0019, 133),
            (0x0100, 256),
            (0x0101, 384),
            (0x0102, 512),
            (0x0103, 768),
            (0x0104, 1024),
            (0x0200, 800),
            (0x0201, 1184),
            (0x0202, 1568),
            (0x11ec, 1216),
            (0x11eb, 1249),
            (0x11ed, 1665),
        ] {
            assert_eq!(
                key_share_value(group).unwrap().len(),
                len,
                "group {group:#06x}"
            );
        }
        assert_eq!(key_share_value(0x001a), None, "brainpool needs real keygen");
    }

    #[test]
    fn hybrid_shares_put_each_part_where_the_draft_says() {
        let x = key_share_value(0x11ec).unwrap();
        assert!(x[..1184].iter().all(|b| *b == 0));
        assert_eq!(x[1184], 9);
        let p = key_share_value(0x11eb).unwrap();
        assert_eq!(&p[..65], &P256_G[..]);
        let p384 = key_share_value(0x11ed).unwrap();
        assert_eq!(&p384[..97], &P384_G[..]);
        assert_eq!(p384[0], 4);
    }

    #[test]
    fn generators_start_uncompressed() {
        assert_eq!(P256_G[0], 4);
        assert_eq!(P521_G[..3], [4, 0, 0xc6]);
    }
}

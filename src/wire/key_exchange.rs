//! ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422 §5.4). Its layout depends on the suite's key
//! exchange, which only the caller knows, so the body is kept raw and parsed on request.
//! In TLS 1.2 the signed parameters are followed by the SignatureAndHashAlgorithm the server
//! signed them with (RFC 5246 §7.4.3 `digitally-signed`); TLS 1.0/1.1 have no such field.

use crate::wire::{DecodeError, LenPrefix, Reader};

/// A ServerKeyExchange body, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// The raw body.
    pub body: Vec<u8>,
}

/// The key exchange of the negotiated suite, which decides the ServerKeyExchange layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KxKind {
    /// ECDHE / ECDH_anon: ServerECDHParams.
    Ecdhe,
    /// DHE / DH_anon: ServerDHParams.
    Dhe,
}

/// What the ServerKeyExchange says about the key exchange strength.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KxParams {
    /// The named curve the server picked.
    Ecdhe {
        /// NamedGroup code.
        named_curve: u16,
    },
    /// The size of the server's DH prime.
    Dhe {
        /// Bit length of p (leading zero bits not counted).
        prime_bits: u32,
    },
}

/// ECCurveType named_curve (RFC 8422 §5.4); explicit curves (1, 2) are deprecated and refused.
const CURVE_TYPE_NAMED: u8 = 3;

impl ServerKeyExchange {
    /// Parses the parameters for `kx`. Only the parameter fields are read; the signature that
    /// follows is ignored (we never verify it).
    pub fn params(&self, kx: KxKind) -> Result<KxParams, DecodeError> {
        read_params(&mut Reader::new(&self.body), kx)
    }

    /// The signature scheme (SignatureAndHashAlgorithm code, e.g. `0x0401` rsa_pkcs1_sha256)
    /// of a TLS 1.2 ServerKeyExchange for `kx`: the two bytes after the parameters, followed by
    /// the signature itself. Only meaningful in TLS 1.2 (older versions sign without naming the
    /// algorithm) and for signed (non-anonymous) suites; the caller knows both.
    pub fn signature_scheme(&self, kx: KxKind) -> Result<u16, DecodeError> {
        let mut r = Reader::new(&self.body);
        read_params(&mut r, kx)?;
        let scheme = r.u16("signature algorithm")?;
        r.sub(LenPrefix::U16, "signature")?;
        Ok(scheme)
    }
}

/// Reads the ServerECDHParams / ServerDHParams at the start of `r`.
fn read_params(r: &mut Reader<'_>, kx: KxKind) -> Result<KxParams, DecodeError> {
    match kx {
        KxKind::Ecdhe => {
            if r.u8("ec curve_type")? != CURVE_TYPE_NAMED {
                return Err(DecodeError::Invalid {
                    what: "ec curve_type (want named_curve)",
                });
            }
            let named_curve = r.u16("named_curve")?;
            r.sub(LenPrefix::U8, "ec point")?;
            Ok(KxParams::Ecdhe { named_curve })
        }
        KxKind::Dhe => {
            let p = r.sub(LenPrefix::U16, "dh_p")?.rest();
            r.sub(LenPrefix::U16, "dh_g")?;
            r.sub(LenPrefix::U16, "dh_Ys")?;
            Ok(KxParams::Dhe {
                prime_bits: bit_length(p),
            })
        }
    }
}

/// Bit length of a big-endian unsigned integer. At most 65 535 bytes, so it fits a u32.
fn bit_length(n: &[u8]) -> u32 {
    let mut digits = n.iter().skip_while(|b| **b == 0);
    let Some(first) = digits.next() else { return 0 };
    let rest = u32::try_from(digits.count()).unwrap_or(u32::MAX);
    rest.saturating_mul(8)
        .saturating_add(8u32.saturating_sub(first.leading_zeros()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_ecdhe_named_curve() {
        let ske = ServerKeyExchange {
            body: vec![3, 0, 0x17, 3, 4, 1, 2, 0xde, 0xad],
        };
        assert_eq!(
            ske.params(KxKind::Ecdhe).unwrap(),
            KxParams::Ecdhe { named_curve: 0x17 }
        );
    }

    #[test]
    fn explicit_curve_is_invalid() {
        let ske = ServerKeyExchange {
            body: vec![1, 0, 0],
        };
        assert!(matches!(
            ske.params(KxKind::Ecdhe),
            Err(DecodeError::Invalid { .. })
        ));
    }

    #[test]
    fn dh_prime_bits_ignore_leading_zeros() {
        let mut body = vec![1, 1, 0];
        body.extend([0x7f; 256]);
        body.extend([0, 1, 2, 0, 1, 5]);
        let ske = ServerKeyExchange { body };
        assert_eq!(
            ske.params(KxKind::Dhe).unwrap(),
            KxParams::Dhe { prime_bits: 2047 }
        );
        assert_eq!(bit_length(&[0, 0, 1]), 1);
        assert_eq!(bit_length(&[0xff, 0]), 16);
        assert_eq!(bit_length(&[]), 0);
    }

    #[test]
    fn truncated_dh_params_are_an_error() {
        let ske = ServerKeyExchange {
            body: vec![0, 4, 0xff, 0xff],
        };
        assert!(matches!(
            ske.params(KxKind::Dhe),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn reads_tls12_signature_scheme_after_ecdhe_params() {
        // named_curve secp256r1, 2-byte point, rsa_pkcs1_sha1 (0x0201), 3-byte signature.
        let ske = ServerKeyExchange {
            body: vec![3, 0, 0x17, 2, 4, 9, 0x02, 0x01, 0, 3, 0xaa, 0xbb, 0xcc],
        };
        assert_eq!(ske.signature_scheme(KxKind::Ecdhe).unwrap(), 0x0201);
        assert_eq!(
            ske.params(KxKind::Ecdhe).unwrap(),
            KxParams::Ecdhe { named_curve: 0x17 }
        );
    }

    #[test]
    fn reads_tls12_signature_scheme_after_dh_params() {
        // p = 0xff, g = 2, Ys = 5, rsa_sha224 (0x0301), empty signature.
        let ske = ServerKeyExchange {
            body: vec![0, 1, 0xff, 0, 1, 2, 0, 1, 5, 0x03, 0x01, 0, 0],
        };
        assert_eq!(ske.signature_scheme(KxKind::Dhe).unwrap(), 0x0301);
    }

    #[test]
    fn tls11_style_signature_has_no_scheme() {
        // TLS 1.0/1.1: the signature vector follows the params directly; its length bytes are
        // not a scheme, and what follows does not fit, so reading a scheme fails.
        let ske = ServerKeyExchange {
            body: vec![3, 0, 0x17, 1, 4, 0, 4, 1, 2, 3, 4],
        };
        assert!(ske.signature_scheme(KxKind::Ecdhe).is_err());
    }

    #[test]
    fn missing_or_truncated_signature_is_an_error() {
        let params_only = ServerKeyExchange {
            body: vec![3, 0, 0x17, 1, 4],
        };
        assert!(matches!(
            params_only.signature_scheme(KxKind::Ecdhe),
            Err(DecodeError::Truncated { .. })
        ));
        let short_signature = ServerKeyExchange {
            body: vec![3, 0, 0x17, 1, 4, 0x04, 0x01, 0, 9, 1],
        };
        assert!(matches!(
            short_signature.signature_scheme(KxKind::Ecdhe),
            Err(DecodeError::Truncated { .. })
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
            let ske = ServerKeyExchange { body };
            let _ = ske.params(KxKind::Ecdhe);
            let _ = ske.params(KxKind::Dhe);
            let _ = ske.signature_scheme(KxKind::Ecdhe);
            let _ = ske.signature_scheme(KxKind::Dhe);
        }

        #[test]
        fn signature_scheme_round_trips(
            curve in any::<u16>(),
            point in prop::collection::vec(any::<u8>(), 0..100),
            scheme in any::<u16>(),
            sig in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut body = vec![3];
            body.extend(curve.to_be_bytes());
            body.push(u8::try_from(point.len()).unwrap());
            body.extend(&point);
            body.extend(scheme.to_be_bytes());
            body.extend(u16::try_from(sig.len()).unwrap().to_be_bytes());
            body.extend(&sig);
            let ske = ServerKeyExchange { body };
            prop_assert_eq!(ske.signature_scheme(KxKind::Ecdhe).unwrap(), scheme);
            prop_assert_eq!(
                ske.params(KxKind::Ecdhe).unwrap(),
                KxParams::Ecdhe { named_curve: curve }
            );
        }
    }
}

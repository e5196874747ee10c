//! ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422 §5.4). Its layout depends on the suite's key
//! exchange, which only the caller knows, so the body is kept raw and parsed on request.

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
        let mut r = Reader::new(&self.body);
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

    proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
            let ske = ServerKeyExchange { body };
            let _ = ske.params(KxKind::Ecdhe);
            let _ = ske.params(KxKind::Dhe);
        }
    }
}

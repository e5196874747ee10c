//! The closed vocabularies of the cipher database (key exchange, authentication, cipher, mode,
//! MAC, group kind, signature algorithm and hash), each spelled in the data files exactly as
//! [`label`](Kx::label) prints it.
//!
//! Policies name these same labels (`kx = ["RSA"]`), so a typo in a policy is caught by
//! `FromStr` when the policy loads rather than silently matching nothing. No I/O here.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Defines a closed string vocabulary: a `Copy` enum with `label()`, `ALL`, `Display`,
/// `FromStr` (exact labels only) and `Serialize` (as the label).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident ($what:literal) { $($(#[$vmeta:meta])* $variant:ident => $label:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The label used in the data files and reports.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl FromStr for $name {
            type Err = UnknownLabel;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.label() == s)
                    .ok_or_else(|| UnknownLabel {
                        what: $what,
                        value: s.to_string(),
                        expected: $name::ALL.iter().map(|v| v.label()).collect::<Vec<_>>().join(", "),
                    })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.label())
            }
        }
    };
}

/// A label that is not part of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} (expected one of: {expected})")]
pub struct UnknownLabel {
    /// Which vocabulary, as the data files name the field (`kx`, `cipher`, ...).
    pub what: &'static str,
    /// The rejected text.
    pub value: String,
    /// The accepted labels, comma-separated.
    pub expected: String,
}

vocabulary! {
    /// Key exchange. Static and ephemeral variants are distinct because the probe parses a
    /// ServerKeyExchange only for the ephemeral and anonymous ones.
    Kx ("kx") {
        /// No key exchange (TLS_NULL_WITH_NULL_NULL, SCSV and GREASE values).
        Null => "NULL",
        /// RSA key transport (static RSA, incl. export variants).
        Rsa => "RSA",
        /// Static Diffie-Hellman from the certificate.
        Dh => "DH",
        /// Ephemeral finite-field Diffie-Hellman (ServerKeyExchange carries p, g, Ys).
        Dhe => "DHE",
        /// Static ECDH from the certificate.
        Ecdh => "ECDH",
        /// Ephemeral ECDH (ServerKeyExchange carries a named curve and point).
        Ecdhe => "ECDHE",
        /// Anonymous finite-field DH (ServerKeyExchange, no signature).
        DhAnon => "DH_anon",
        /// Anonymous ECDH (ServerKeyExchange, no signature).
        EcdhAnon => "ECDH_anon",
        /// Plain pre-shared key.
        Psk => "PSK",
        /// PSK with ephemeral DH.
        DhePsk => "DHE_PSK",
        /// PSK with ephemeral ECDH.
        EcdhePsk => "ECDHE_PSK",
        /// PSK with RSA key transport.
        RsaPsk => "RSA_PSK",
        /// Kerberos 5.
        Krb5 => "KRB5",
        /// Secure Remote Password.
        Srp => "SRP",
        /// GOST R 34.10 key exchange.
        Gost => "GOST",
        /// ECC password-based (RFC 8492).
        EccPwd => "ECCPWD",
        /// Google's experimental post-quantum CECPQ1.
        Cecpq1 => "CECPQ1",
        /// TLS 1.3: key exchange is negotiated separately (key_share), any group.
        Tls13 => "TLS13",
    }
}

vocabulary! {
    /// Server authentication.
    Auth ("auth") {
        /// None (NULL suite, SCSV, GREASE).
        Null => "NULL",
        /// RSA certificate.
        Rsa => "RSA",
        /// DSA certificate.
        Dss => "DSS",
        /// ECDSA certificate.
        Ecdsa => "ECDSA",
        /// Pre-shared key.
        Psk => "PSK",
        /// Kerberos 5.
        Krb5 => "KRB5",
        /// SRP verifier.
        Srp => "SRP",
        /// GOST certificate.
        Gost => "GOST",
        /// Password (RFC 8492).
        EccPwd => "ECCPWD",
        /// No authentication at all.
        Anon => "anon",
        /// TLS 1.3: authentication is negotiated by signature_algorithms.
        Tls13 => "TLS13",
    }
}

vocabulary! {
    /// Bulk cipher algorithm.
    CipherAlg ("cipher") {
        /// No encryption.
        Null => "NULL",
        /// AES.
        Aes => "AES",
        /// ARIA.
        Aria => "ARIA",
        /// Camellia.
        Camellia => "CAMELLIA",
        /// ChaCha20-Poly1305 (an AEAD as a whole).
        ChaCha20Poly1305 => "CHACHA20_POLY1305",
        /// Triple DES (EDE, three keys).
        TripleDes => "3DES_EDE",
        /// Single DES (also the 40-bit export variant).
        Des => "DES",
        /// RC4.
        Rc4 => "RC4",
        /// RC2.
        Rc2 => "RC2",
        /// IDEA.
        Idea => "IDEA",
        /// SEED.
        Seed => "SEED",
        /// SM4.
        Sm4 => "SM4",
        /// GOST 28147-89.
        Gost28147 => "GOST28147",
        /// GOST R 34.12-2015 Kuznyechik.
        Kuznyechik => "KUZNYECHIK",
        /// GOST R 34.12-2015 Magma.
        Magma => "MAGMA",
        /// AEGIS (draft AEAD).
        Aegis => "AEGIS",
    }
}

vocabulary! {
    /// Cipher mode of operation.
    CipherMode ("mode") {
        /// No cipher.
        None => "NONE",
        /// CBC with HMAC.
        Cbc => "CBC",
        /// Galois/Counter Mode.
        Gcm => "GCM",
        /// CCM with a 16-byte tag.
        Ccm => "CCM",
        /// CCM with an 8-byte tag.
        Ccm8 => "CCM_8",
        /// An AEAD construction that is its own mode (ChaCha20-Poly1305, AEGIS).
        Aead => "AEAD",
        /// Stream cipher (RC4).
        Stream => "STREAM",
        /// GOST 28147 counter mode.
        Cnt => "CNT",
        /// GOST CTR with OMAC (RFC 9189).
        CtrOmac => "CTR_OMAC",
        /// GOST Multilinear Galois Mode.
        Mgm => "MGM",
    }
}

vocabulary! {
    /// Record MAC (or `AEAD`), and the hash a suite fixes for its PRF / handshake.
    Mac ("mac") {
        /// No MAC.
        Null => "NULL",
        /// HMAC-MD5.
        Md5 => "MD5",
        /// HMAC-SHA1.
        Sha1 => "SHA1",
        /// HMAC-SHA256 / SHA-256.
        Sha256 => "SHA256",
        /// HMAC-SHA384 / SHA-384.
        Sha384 => "SHA384",
        /// Integrity from the AEAD cipher.
        Aead => "AEAD",
        /// GOST 28147 IMIT.
        Gost28147 => "GOST28147",
        /// GOST R 34.11-94.
        Gostr3411 => "GOSTR3411",
        /// GOST R 34.11-2012 (Streebog) 256.
        Streebog256 => "STREEBOG256",
        /// SM3.
        Sm3 => "SM3",
        /// OMAC (RFC 9189).
        Omac => "OMAC",
    }
}

vocabulary! {
    /// What a supported-groups codepoint stands for.
    GroupKind ("group kind") {
        /// Elliptic-curve Diffie-Hellman (prime, binary, brainpool, GOST, x25519/x448).
        Ec => "ec",
        /// RFC 7919 finite-field group.
        Ffdhe => "ffdhe",
        /// A pure key-encapsulation mechanism (ML-KEM).
        Kem => "kem",
        /// ECDH concatenated with ML-KEM (or a Kyber draft).
        Hybrid => "hybrid",
        /// Arbitrary explicit curves (0xFF01, 0xFF02).
        Explicit => "explicit",
        /// RFC 8701 GREASE value.
        Grease => "grease",
    }
}

vocabulary! {
    /// The signature algorithm of a signature scheme.
    SigAlg ("signature") {
        /// RSASSA-PKCS1-v1_5.
        RsaPkcs1 => "rsa_pkcs1",
        /// RSASSA-PSS with an rsaEncryption key.
        RsaPss => "rsa_pss",
        /// RSASSA-PSS with an RSASSA-PSS key.
        RsaPssPss => "rsa_pss_pss",
        /// ECDSA on a NIST curve.
        Ecdsa => "ecdsa",
        /// ECDSA on a brainpool curve.
        EcdsaBrainpool => "ecdsa_brainpool",
        /// DSA.
        Dsa => "dsa",
        /// Ed25519.
        Ed25519 => "ed25519",
        /// Ed448.
        Ed448 => "ed448",
        /// ML-DSA.
        MlDsa => "mldsa",
        /// GOST R 34.10-2012.
        Gost => "gost",
        /// SM2.
        Sm2 => "sm2",
        /// Anything else (reserved, identity-based...).
        Other => "other",
    }
}

vocabulary! {
    /// The hash of a signature scheme.
    SigHash ("hash") {
        /// MD5.
        Md5 => "md5",
        /// SHA-1.
        Sha1 => "sha1",
        /// SHA-224.
        Sha224 => "sha224",
        /// SHA-256.
        Sha256 => "sha256",
        /// SHA-384.
        Sha384 => "sha384",
        /// SHA-512.
        Sha512 => "sha512",
        /// The algorithm hashes internally (EdDSA, ML-DSA).
        Intrinsic => "intrinsic",
        /// Streebog.
        Streebog => "streebog",
        /// SM3.
        Sm3 => "sm3",
        /// Anything else.
        Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_reject_typos() {
        for k in Kx::ALL {
            assert_eq!(k.label().parse::<Kx>().ok(), Some(*k));
        }
        let err = "ECDH_E"
            .parse::<Kx>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown kx \"ECDH_E\""), "{err}");
        assert!(err.contains("ECDHE"), "{err}");
        assert_eq!("CCM_8".parse::<CipherMode>().ok(), Some(CipherMode::Ccm8));
    }
}

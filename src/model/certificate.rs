//! The typed certificate facts: the report's `certificate` object.
//!
//! `probe::cert` fills these from the DER the server sent (x509-parser); a field it could not
//! read stays `None` and grading then neither passes nor fails on it. No I/O here.

use serde::{Deserialize, Serialize};

use crate::model::ClientCertificate;

/// The server's certificate chain(s) and what they say about the name scanned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The chain the server sends by default, leaf first, as sent.
    #[serde(default)]
    pub chain: Vec<CertInfo>,
    /// Whether the leaf's SANs (or, without SANs, its CN) cover the name or address scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_matches: Option<bool>,
    /// The same fact as `extensions.client_certificate`, where a reader of the chain looks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<ClientCertificate>,
    /// Why no chain (or only part of it) could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Set when the chain was cut at a cap: how many certificates were kept and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// The facts of one certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    /// Subject DN as text (server-controlled: escape before printing to a terminal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Issuer DN as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Subject alternative names as people write them (`DNS:node1`, `IP:10.0.0.5`).
    #[serde(default)]
    pub sans: Vec<String>,
    /// Validity start, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// Validity end, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// Whole days from the scan to `not_after` (negative once expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// The public key's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<KeyType>,
    /// RSA/DSA modulus bits, EC field bits, EdDSA key bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u32>,
    /// The EC key's curve (IANA group name, `secp256r1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// The signature algorithm (`sha256WithRSAEncryption`, `ecdsa-with-SHA384`, or the OID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    /// The hash of the signature (`sha256`), where the algorithm names one (RSA-PSS carries
    /// it in parameters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_hash: Option<String>,
    /// Subject equals issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<bool>,
    /// SHA-256 of the DER, lower-case hex.
    #[serde(default)]
    pub sha256: String,
    /// Why the certificate could not be parsed (the other fields are then absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<String>,
}

/// A certificate's public-key type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyType {
    /// RSA.
    #[serde(rename = "RSA")]
    Rsa,
    /// ECDSA (id-ecPublicKey).
    #[serde(rename = "EC")]
    Ec,
    /// DSA.
    #[serde(rename = "DSA")]
    Dsa,
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// Anything else.
    #[serde(rename = "unknown")]
    Unknown,
}

impl KeyType {
    /// The lower-case name policies use (`rsa`, `ec`, `dsa`, `ed25519`, `ed448`, `unknown`).
    pub fn policy_name(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ec => "ec",
            KeyType::Dsa => "dsa",
            KeyType::Ed25519 => "ed25519",
            KeyType::Ed448 => "ed448",
            KeyType::Unknown => "unknown",
        }
    }

    /// The name as reports print it (`RSA`, `EC`, ...).
    pub fn label(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::Ec => "EC",
            KeyType::Dsa => "DSA",
            KeyType::Ed25519 => "Ed25519",
            KeyType::Ed448 => "Ed448",
            KeyType::Unknown => "unknown",
        }
    }
}

impl Certificate {
    /// The leaf, when a chain was read.
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.chain.first()
    }
}

//! Signing keys: ECDSA P-256 with SHA-256, private keys as PKCS#8 PEM (`PRIVATE KEY`, or the
//! SEC 1 `EC PRIVATE KEY` that `openssl ecparam -genkey` writes), public keys as SPKI PEM
//! (`PUBLIC KEY`). All key arithmetic is aws-lc-rs, so a FIPS build signs and verifies inside
//! its validated module. A key id is the lower-case hex SHA-256 of the SPKI DER: the same key
//! always has the same id, whichever file it came from. No I/O: callers pass the PEM text.

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, ParsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P256_SHA256_FIXED,
};

use super::SignError;

/// PEM label of a PKCS#8 private key (RFC 7468 §10).
const PKCS8_LABEL: &str = "PRIVATE KEY";
/// PEM label of a SEC 1 EC private key (RFC 5915), as OpenSSL's `ecparam -genkey` writes it.
const SEC1_LABEL: &str = "EC PRIVATE KEY";
/// PEM label of a SubjectPublicKeyInfo (RFC 7468 §13).
const SPKI_LABEL: &str = "PUBLIC KEY";
/// Length of a P-256 signature as raw `r || s`: what the DSSE specification's test vector uses.
const FIXED_SIGNATURE_LEN: usize = 64;

/// SHA-256 of a key's SPKI DER, lower-case hex (64 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// The id of the key whose SubjectPublicKeyInfo DER is `spki_der`.
    pub fn of_spki(spki_der: &[u8]) -> KeyId {
        let hash = digest(&SHA256, spki_der);
        let mut hex = String::with_capacity(64);
        for b in hash.as_ref() {
            hex.push_str(&format!("{b:02x}"));
        }
        KeyId(hex)
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A private key that signs reports.
#[derive(Debug)]
pub struct SigningKey {
    pair: EcdsaKeyPair,
    spki_der: Vec<u8>,
    id: KeyId,
}

impl SigningKey {
    /// Reads a PEM private key; `source` names the file in errors. Anything but an
    /// unencrypted ECDSA P-256 key is refused: a P-384 or RSA key, an encrypted key, a
    /// certificate or a public key given where the private one belongs.
    pub fn from_pem(text: &[u8], source: &str) -> Result<SigningKey, SignError> {
        let block = find_block(
            text,
            source,
            &[PKCS8_LABEL, SEC1_LABEL],
            "an ECDSA P-256 private key (PEM \"PRIVATE KEY\")",
        )?;
        let pair = if block.tag() == PKCS8_LABEL {
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, block.contents())
        } else {
            EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_ASN1_SIGNING, block.contents())
        }
        .map_err(|e| SignError::Key {
            source_name: source.to_string(),
            reason: format!("not an ECDSA P-256 private key ({e})"),
        })?;
        SigningKey::from_pair(pair)
    }

    fn from_pair(pair: EcdsaKeyPair) -> Result<SigningKey, SignError> {
        let spki_der = pair
            .public_key()
            .as_der()
            .map_err(|_| SignError::Crypto("encoding the public key"))?
            .as_ref()
            .to_vec();
        let id = KeyId::of_spki(&spki_der);
        Ok(SigningKey { pair, spki_der, id })
    }

    /// The key id (of its public half).
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// An ASN.1 DER ECDSA signature over `message` (SHA-256 inside).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let sig = self
            .pair
            .sign(&SystemRandom::new(), message)
            .map_err(|_| SignError::Crypto("signing"))?;
        Ok(sig.as_ref().to_vec())
    }

    /// The public half, for verifying what this key signed.
    pub fn verifying_key(&self) -> Result<VerifyingKey, SignError> {
        VerifyingKey::from_spki_der(&self.spki_der, "the signing key")
    }

    /// The public half as SPKI PEM (what `keygen` writes to `KEY.pub.pem`).
    pub fn public_pem(&self) -> String {
        encode_pem(SPKI_LABEL, &self.spki_der)
    }
}

/// A public key that verifies reports.
#[derive(Debug)]
pub struct VerifyingKey {
    der: ParsedPublicKey,
    fixed: ParsedPublicKey,
    id: KeyId,
}

impl VerifyingKey {
    /// Reads a PEM public key (`PUBLIC KEY`); anything but an ECDSA P-256 key is refused.
    pub fn from_pem(text: &[u8], source: &str) -> Result<VerifyingKey, SignError> {
        let block = find_block(
            text,
            source,
            &[SPKI_LABEL],
            "an ECDSA P-256 public key (PEM \"PUBLIC KEY\")",
        )?;
        VerifyingKey::from_spki_der(block.contents(), source)
    }

    /// Reads a SubjectPublicKeyInfo DER.
    pub fn from_spki_der(spki_der: &[u8], source: &str) -> Result<VerifyingKey, SignError> {
        let rejected = |e: aws_lc_rs::error::KeyRejected| SignError::Key {
            source_name: source.to_string(),
            reason: format!("not an ECDSA P-256 public key ({e})"),
        };
        // aws-lc-rs also takes a bare curve point here; only a SubjectPublicKeyInfo names its
        // algorithm, so anything shorter than one is refused rather than guessed at.
        if !spki_der.starts_with(&[0x30]) {
            return Err(SignError::Key {
                source_name: source.to_string(),
                reason: "not a SubjectPublicKeyInfo".into(),
            });
        }
        let der = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, spki_der).map_err(rejected)?;
        let fixed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, spki_der).map_err(rejected)?;
        Ok(VerifyingKey {
            der,
            fixed,
            id: KeyId::of_spki(spki_der),
        })
    }

    /// The key id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// True when `signature` is this key's ECDSA signature over `message`, in ASN.1 DER (what
    /// fipsprobe writes) or raw `r || s` (what the DSSE specification's own example uses).
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        if self.der.verify_sig(message, signature).is_ok() {
            return true;
        }
        signature.len() == FIXED_SIGNATURE_LEN && self.fixed.verify_sig(message, signature).is_ok()
    }
}

/// A new key pair as PEM: the private key (PKCS#8) and the public key (SPKI).
#[derive(Debug)]
pub struct GeneratedKey {
    /// PKCS#8 PEM of the private key.
    pub private_pem: String,
    /// SPKI PEM of the public key.
    pub public_pem: String,
    /// The key id.
    pub id: KeyId,
}

/// Generates an ECDSA P-256 key pair (aws-lc-rs's generator, the module's DRBG in a FIPS build).
pub fn generate() -> Result<GeneratedKey, SignError> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
        .map_err(|_| SignError::Crypto("generating a key"))?;
    let key = SigningKey::from_pair(
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .map_err(|_| SignError::Crypto("reading the generated key"))?,
    )?;
    Ok(GeneratedKey {
        private_pem: encode_pem(PKCS8_LABEL, pkcs8.as_ref()),
        public_pem: key.public_pem(),
        id: key.id().clone(),
    })
}

/// The first PEM block with one of `labels`; a file with blocks but none of them names what
/// it found (a certificate, an encrypted key, the other half of the pair).
fn find_block(
    text: &[u8],
    source: &str,
    labels: &[&str],
    wanted: &str,
) -> Result<pem::Pem, SignError> {
    let blocks = pem::parse_many(text).map_err(|e| SignError::Key {
        source_name: source.to_string(),
        reason: format!("not PEM ({e})"),
    })?;
    let found: Vec<String> = blocks.iter().map(|b| b.tag().to_string()).collect();
    blocks
        .into_iter()
        .find(|b| labels.contains(&b.tag()))
        .ok_or_else(|| SignError::Key {
            source_name: source.to_string(),
            reason: if found.is_empty() {
                format!("no PEM block; expected {wanted}")
            } else {
                format!("holds {}, expected {wanted}", found.join(", "))
            },
        })
}

fn encode_pem(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_signs_and_its_public_half_verifies() {
        let g = generate().unwrap();
        assert!(g.private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(g.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let signer = SigningKey::from_pem(g.private_pem.as_bytes(), "k").unwrap();
        let verifier = VerifyingKey::from_pem(g.public_pem.as_bytes(), "k.pub").unwrap();
        assert_eq!(signer.id(), &g.id);
        assert_eq!(verifier.id(), &g.id);
        assert_eq!(g.id.as_str().len(), 64);
        let sig = signer.sign(b"message").unwrap();
        assert!(verifier.verifies(b"message", &sig));
        assert!(!verifier.verifies(b"messagE", &sig));
        let other = generate().unwrap();
        let other = VerifyingKey::from_pem(other.public_pem.as_bytes(), "o").unwrap();
        assert!(!other.verifies(b"message", &sig));
        assert_ne!(other.id(), verifier.id());
    }

    #[test]
    fn the_wrong_half_or_no_key_is_refused_with_what_was_found() {
        let g = generate().unwrap();
        let e = SigningKey::from_pem(g.public_pem.as_bytes(), "pub.pem").unwrap_err();
        assert!(e.to_string().contains("holds PUBLIC KEY"), "{e}");
        let e = VerifyingKey::from_pem(g.private_pem.as_bytes(), "key.pem").unwrap_err();
        assert!(e.to_string().contains("holds PRIVATE KEY"), "{e}");
        let e = SigningKey::from_pem(b"hello", "x").unwrap_err();
        assert!(e.to_string().starts_with("x: "), "{e}");
        let garbage = encode_pem(PKCS8_LABEL, b"\x30\x03\x02\x01\x00");
        assert!(SigningKey::from_pem(garbage.as_bytes(), "g").is_err());
        // A bare curve point is not a SubjectPublicKeyInfo.
        let spki = pem::parse(g.public_pem.as_bytes()).unwrap();
        let point = &spki.contents()[26..];
        assert_eq!(point.len(), 65);
        assert!(VerifyingKey::from_spki_der(point, "p").is_err());
    }
}

//! Entry points for the cargo-fuzz targets in `fuzz/` that read signature files and keys: each
//! must return normally for every input; a panic is a bug found.

use super::dsse::Envelope;
use super::keys::{SigningKey, VerifyingKey};

/// Reads `data` as a DSSE envelope and, when it reads, checks it against a fixed key and the
/// data itself as the report.
pub fn envelope(data: &[u8]) {
    if let Ok(envelope) = Envelope::parse(data, "fuzz") {
        let _ = envelope.to_json();
        if let Ok(key) = VerifyingKey::from_spki_der(FUZZ_SPKI, "fuzz") {
            let _ = envelope.verify(data, &key);
        }
    }
}

/// Reads `data` as a PEM private key and as a PEM public key.
pub fn key_pem(data: &[u8]) {
    let _ = SigningKey::from_pem(data, "fuzz");
    let _ = VerifyingKey::from_pem(data, "fuzz");
}

/// The DSSE specification's test-vector key (see `dsse.rs`), as SubjectPublicKeyInfo DER.
const FUZZ_SPKI: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x67, 0xcd, 0x39, 0x0f, 0x77,
    0xaa, 0x35, 0x9c, 0xb0, 0x8c, 0x22, 0x35, 0xf6, 0x52, 0x27, 0x04, 0x93, 0xa9, 0xed, 0x83, 0x2b,
    0x0a, 0xbc, 0xc0, 0x1f, 0x70, 0x95, 0x4c, 0x03, 0x90, 0xd2, 0x38, 0x0c, 0x78, 0x2b, 0xd5, 0x4e,
    0x26, 0x91, 0x25, 0xa4, 0x4f, 0x44, 0x33, 0xaf, 0xf1, 0x43, 0x2c, 0xe9, 0x4e, 0x12, 0xbc, 0xa7,
    0x3a, 0xa6, 0x7a, 0xc8, 0x0c, 0xea, 0x12, 0x60, 0x8d, 0xdf, 0x74,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_key_is_the_dsse_test_vector_key() {
        assert!(VerifyingKey::from_spki_der(FUZZ_SPKI, "fuzz").is_ok());
    }

    proptest::proptest! {
        #[test]
        fn key_pem_never_panics(text in "(-----BEGIN [A-Z ]{0,20}-----\n)?[A-Za-z0-9+/=\n]{0,200}(-----END [A-Z ]{0,20}-----\n)?") {
            key_pem(text.as_bytes());
        }

        #[test]
        fn envelope_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            envelope(&bytes);
        }
    }
}

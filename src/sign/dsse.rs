//! The DSSE envelope (in-toto's Dead Simple Signing Envelope, `docs/signed-reports.md`): what
//! `REPORT.sig` holds. `{"payloadType", "payload": base64 of the exact report bytes,
//! "signatures": [{"keyid", "sig"}]}`, each signature over `PAE(payloadType, payload)`.
//!
//! Reading an envelope ([`Envelope::parse`]) is reading untrusted bytes: a size cap, a cap on
//! signatures, no panics; what fails to decode is bad input. Checking one ([`Envelope::verify`])
//! answers yes or no with the reason (a [`Rejection`]). No I/O.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::keys::{SigningKey, VerifyingKey};
use super::{SignError, MAX_ENVELOPE_LEN, MAX_SIGNATURES, MAX_SIGNATURE_LEN, PAYLOAD_TYPE};

/// A decoded envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// What the payload is, as the signer said (authenticated by the signature).
    pub payload_type: String,
    /// The signed bytes.
    pub payload: Vec<u8>,
    /// The signatures, in the envelope's order.
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The signer's hint at which key signed (unauthenticated: never trusted, only shown).
    pub keyid: String,
    /// The signature bytes.
    pub sig: Vec<u8>,
}

/// Why an envelope does not vouch for a report: the answer "no" of `fipsprobe verify` (exit 1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The envelope lists no signature at all.
    #[error("the envelope holds no signature")]
    NoSignature,
    /// No signature names the given key: signed with another key (or by someone else).
    #[error("wrong key id: signed by key id {found}, the given key's id is {expected}")]
    WrongKeyId {
        /// The key ids the envelope names.
        found: String,
        /// The given key's id.
        expected: String,
    },
    /// A signature names the key, but it does not verify over the envelope's payload.
    #[error("bad signature: the envelope's signature does not verify with key id {expected}")]
    BadSignature {
        /// The given key's id.
        expected: String,
    },
    /// The signature is good, but over something that is not a fipsprobe report.
    #[error("payload type is {found:?}, not {PAYLOAD_TYPE:?}")]
    PayloadType {
        /// What the envelope says.
        found: String,
    },
    /// The signature is good, but the file is not the bytes that were signed.
    #[error("payload differs from file: the report was changed after it was signed")]
    PayloadDiffers,
}

impl Envelope {
    /// Signs `report` (the exact bytes of the report file) with `key`.
    pub fn sign(report: &[u8], key: &SigningKey) -> Result<Envelope, SignError> {
        let sig = key.sign(&pae(PAYLOAD_TYPE, report))?;
        Ok(Envelope {
            payload_type: PAYLOAD_TYPE.to_string(),
            payload: report.to_vec(),
            signatures: vec![Signature {
                keyid: key.id().to_string(),
                sig,
            }],
        })
    }

    /// The envelope as JSON, one line and a newline (standard base64 with padding).
    pub fn to_json(&self) -> String {
        let wire = WireEnvelope {
            payload_type: self.payload_type.clone(),
            payload: STANDARD.encode(&self.payload),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSignature {
                    keyid: Some(s.keyid.clone()),
                    sig: STANDARD.encode(&s.sig),
                })
                .collect(),
        };
        // Invariant: a struct of strings always serializes.
        let mut text = serde_json::to_string(&wire).expect("envelope always serializes");
        text.push('\n');
        text
    }

    /// Reads an envelope; `source` names the file in errors. Standard and URL-safe base64 are
    /// both read (the DSSE protocol says verifiers must); unknown fields are ignored (it says
    /// that too); a missing `keyid` reads as empty.
    pub fn parse(bytes: &[u8], source: &str) -> Result<Envelope, SignError> {
        let bad = |reason: String| SignError::Envelope {
            source_name: source.to_string(),
            reason,
        };
        if bytes.len() > MAX_ENVELOPE_LEN {
            return Err(bad(format!(
                "{} bytes, more than the {MAX_ENVELOPE_LEN} an envelope may have",
                bytes.len()
            )));
        }
        let wire: WireEnvelope =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not DSSE JSON ({e})")))?;
        if wire.signatures.len() > MAX_SIGNATURES {
            return Err(bad(format!(
                "{} signatures, more than the {MAX_SIGNATURES} read",
                wire.signatures.len()
            )));
        }
        let payload = decode_base64(&wire.payload).map_err(|e| bad(format!("payload: {e}")))?;
        let mut signatures = Vec::with_capacity(wire.signatures.len());
        for s in wire.signatures {
            if s.sig.len() > MAX_SIGNATURE_LEN {
                return Err(bad(format!(
                    "a signature of {} characters, more than {MAX_SIGNATURE_LEN}",
                    s.sig.len()
                )));
            }
            let sig = decode_base64(&s.sig).map_err(|e| bad(format!("signature: {e}")))?;
            signatures.push(Signature {
                keyid: s.keyid.unwrap_or_default(),
                sig,
            });
        }
        Ok(Envelope {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// Whether this envelope is `key`'s signature over exactly `file` as a fipsprobe report.
    ///
    /// In the DSSE protocol's order: a signature must verify over `PAE(payloadType, payload)`
    /// first; only then do the payload type and the payload mean anything. Every signature is
    /// tried whatever its `keyid` says (the id is an unauthenticated hint); the id only picks
    /// the reason given when none verifies.
    pub fn verify(&self, file: &[u8], key: &VerifyingKey) -> Result<(), Rejection> {
        if self.signatures.is_empty() {
            return Err(Rejection::NoSignature);
        }
        let message = pae(&self.payload_type, &self.payload);
        if !self
            .signatures
            .iter()
            .any(|s| key.verifies(&message, &s.sig))
        {
            let expected = key.id().to_string();
            let named = self.signatures.iter().any(|s| s.keyid == expected);
            return Err(
                if named || self.signatures.iter().all(|s| s.keyid.is_empty()) {
                    Rejection::BadSignature { expected }
                } else {
                    Rejection::WrongKeyId {
                        found: self
                            .signatures
                            .iter()
                            .map(|s| s.keyid.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        expected,
                    }
                },
            );
        }
        if self.payload_type != PAYLOAD_TYPE {
            return Err(Rejection::PayloadType {
                found: self.payload_type.clone(),
            });
        }
        if self.payload != file {
            return Err(Rejection::PayloadDiffers);
        }
        Ok(())
    }
}

/// DSSE's Pre-Authentication Encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`,
/// lengths in ASCII decimal bytes. Binding the type into what is signed stops a signature over
/// one kind of document from being passed off as another.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        body.len()
    );
    let mut out = Vec::with_capacity(head.len().saturating_add(body.len()));
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
    out
}

/// Standard base64 first, URL-safe second; both with or without padding would be lenient
/// beyond the spec, so padding follows each alphabet's canonical form.
fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|e| format!("not base64 ({e})"))
}

/// The JSON shape of DSSE's `envelope.md` (github.com/secure-systems-lab/dsse, v1.0.0); the
/// field names are the format's.
#[derive(Serialize, Deserialize)]
struct WireEnvelope {
    #[serde(rename = "payloadType")]
    payload_type: String,
    payload: String,
    signatures: Vec<WireSignature>,
}

#[derive(Serialize, Deserialize)]
struct WireSignature {
    #[serde(default)]
    keyid: Option<String>,
    sig: String,
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use crate::sign::keys;

    fn pair() -> (SigningKey, VerifyingKey) {
        let g = keys::generate().unwrap();
        (
            SigningKey::from_pem(g.private_pem.as_bytes(), "k").unwrap(),
            VerifyingKey::from_pem(g.public_pem.as_bytes(), "p").unwrap(),
        )
    }

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // DSSE protocol.md, "Test Vectors".
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    /// The DSSE specification's test vector (protocol.md, `implementation/signing_spec.py`):
    /// P-256 key X, Y given in decimal there, converted to this SPKI with `python3 -c
    /// 'print((X).to_bytes(32,"big").hex(), (Y).to_bytes(32,"big").hex())'` and the fixed
    /// id-ecPublicKey/prime256v1 SPKI prefix; its signature is raw `r || s`.
    #[test]
    fn verifies_the_dsse_specification_test_vector() {
        let spki = hex(concat!(
            "3059301306072a8648ce3d020106082a8648ce3d030107034200",
            "04",
            "67cd390f77aa359cb08c2235f652270493a9ed832b0abcc01f70954c0390d238",
            "0c782bd54e269125a44f4433aff1432ce94e12bca73aa67ac80cea12608ddf74"
        ));
        let key = VerifyingKey::from_spki_der(&spki, "vector").unwrap();
        let envelope = Envelope::parse(
            br#"{"payload": "aGVsbG8gd29ybGQ=",
                 "payloadType": "http://example.com/HelloWorld",
                 "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}"#,
            "vector",
        )
        .unwrap();
        assert_eq!(envelope.payload, b"hello world");
        assert_eq!(envelope.signatures[0].keyid, "");
        // The signature verifies; then the type is refused: it is not a fipsprobe report.
        assert_eq!(
            envelope.verify(b"hello world", &key),
            Err(Rejection::PayloadType {
                found: "http://example.com/HelloWorld".into()
            })
        );
        let mut forged = envelope.clone();
        forged.payload = b"hello World".to_vec();
        assert_eq!(
            forged.verify(b"hello World", &key),
            Err(Rejection::BadSignature {
                expected: key.id().to_string()
            })
        );
    }

    #[test]
    fn a_signed_report_verifies_and_every_change_is_caught() {
        let (signer, verifier) = pair();
        let report = b"{\"schema_version\": 1}\n";
        let json = Envelope::sign(report, &signer).unwrap().to_json();
        let envelope = Envelope::parse(json.as_bytes(), "r.sig").unwrap();
        assert_eq!(envelope.payload, report);
        assert_eq!(envelope.payload_type, PAYLOAD_TYPE);
        assert_eq!(envelope.signatures[0].keyid, signer.id().to_string());
        assert_eq!(envelope.verify(report, &verifier), Ok(()));

        // The file changed, the envelope did not.
        let mut edited = report.to_vec();
        edited[3] ^= 1;
        assert_eq!(
            envelope.verify(&edited, &verifier),
            Err(Rejection::PayloadDiffers)
        );
        // The envelope's payload changed too, but it cannot be re-signed.
        let mut forged = envelope.clone();
        forged.payload.clone_from(&edited);
        assert!(matches!(
            forged.verify(&edited, &verifier),
            Err(Rejection::BadSignature { .. })
        ));
        // The type is signed as well.
        let mut retyped = envelope.clone();
        retyped.payload_type = "application/json".into();
        assert!(matches!(
            retyped.verify(report, &verifier),
            Err(Rejection::BadSignature { .. })
        ));
        // Another key.
        let (_, stranger) = pair();
        assert!(matches!(
            envelope.verify(report, &stranger),
            Err(Rejection::WrongKeyId { .. })
        ));
        // A key id that lies does not make a good signature bad, nor a bad one good.
        let mut relabelled = envelope.clone();
        relabelled.signatures[0].keyid = "0".repeat(64);
        assert_eq!(relabelled.verify(report, &verifier), Ok(()));
        relabelled.signatures[0].keyid = stranger.id().to_string();
        assert!(relabelled.verify(report, &stranger).is_err());
        let mut empty = envelope;
        empty.signatures.clear();
        assert_eq!(empty.verify(report, &verifier), Err(Rejection::NoSignature));
    }

    #[test]
    fn url_safe_base64_and_unknown_fields_are_read() {
        let (signer, verifier) = pair();
        let report = b"\xfb\xff report with bytes that differ in the two alphabets \xfe";
        let env = Envelope::sign(report, &signer).unwrap();
        let json = format!(
            r#"{{"payloadType":"{PAYLOAD_TYPE}","payload":"{}","signatures":[{{"sig":"{}","extra":1}}],"future":true}}"#,
            URL_SAFE.encode(report),
            URL_SAFE.encode(&env.signatures[0].sig)
        );
        let parsed = Envelope::parse(json.as_bytes(), "x").unwrap();
        assert_eq!(parsed.verify(report, &verifier), Ok(()));
    }

    #[test]
    fn malformed_envelopes_are_bad_input_naming_the_file() {
        for (text, says) in [
            ("", "not DSSE JSON"),
            ("[]", "not DSSE JSON"),
            (r#"{"payload":"aGk=","signatures":[]}"#, "payloadType"),
            (
                r#"{"payloadType":"t","payload":"%%%","signatures":[]}"#,
                "payload: not base64",
            ),
            (
                r#"{"payloadType":"t","payload":"","signatures":[{"sig":"!"}]}"#,
                "signature: not base64",
            ),
            (
                r#"{"payloadType":"t","payload":"","signatures":[{"keyid":"k"}]}"#,
                "sig",
            ),
        ] {
            let e = Envelope::parse(text.as_bytes(), "r.json.sig").unwrap_err();
            let e = e.to_string();
            assert!(e.starts_with("r.json.sig: "), "{e}");
            assert!(e.contains(says), "{e:?} should say {says:?}");
        }
        let many = format!(
            r#"{{"payloadType":"t","payload":"","signatures":[{}]}}"#,
            vec![r#"{"sig":""}"#; MAX_SIGNATURES + 1].join(",")
        );
        assert!(Envelope::parse(many.as_bytes(), "m").is_err());
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Envelope::parse(&bytes, "p");
        }

        #[test]
        fn parse_of_json_shaped_noise_never_panics(
            t in ".{0,40}", p in "[A-Za-z0-9+/=_-]{0,80}", s in "[A-Za-z0-9+/=_-]{0,120}",
        ) {
            let json = serde_json::json!({"payloadType": t, "payload": p, "signatures": [{"sig": s}]});
            let _ = Envelope::parse(json.to_string().as_bytes(), "p");
        }

        #[test]
        fn whatever_is_signed_reads_back_and_verifies(report in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let (signer, verifier) = pair();
            let json = Envelope::sign(&report, &signer).unwrap().to_json();
            let back = Envelope::parse(json.as_bytes(), "p").unwrap();
            proptest::prop_assert_eq!(&back.payload, &report);
            proptest::prop_assert_eq!(back.verify(&report, &verifier), Ok(()));
        }
    }
}

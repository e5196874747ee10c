//! Signed reports (`docs/signed-reports.md`): `keygen` makes an ECDSA P-256 key pair, `--sign`
//! writes `REPORT.sig` beside a report, a DSSE envelope over the report file's exact bytes, and
//! `verify`, `merge --verify-key` and `diff --verify-key` check it. Evidence attached to a
//! ticket must not be editable without trace: a report whose verdict was edited from fail to
//! pass no longer matches its envelope, and an envelope cannot be re-made without the key.
//!
//! [`keys`] holds the keys (aws-lc-rs, so a FIPS build signs inside its validated module),
//! [`dsse`] the envelope, [`keyfile`] writing a new key pair. This file reads the files, each
//! with a size cap, and is the one place that decides what a check of a report file means.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::arithmetic_side_effects
)]

pub mod dsse;
pub mod fuzz;
pub mod keyfile;
pub mod keys;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use dsse::{Envelope, Rejection};
pub use keys::{KeyId, SigningKey, VerifyingKey};

/// The DSSE payload type of a fipsprobe JSON report (schema version 1 and its additions). A
/// vendor media type, as the DSSE protocol asks, so a signature over anything else (an
/// in-toto statement made with the same key) is never taken for a report.
pub const PAYLOAD_TYPE: &str = "application/vnd.fipsprobe.report+json";

/// Largest report file read for verification: 1 GiB. A scan of a /16 on two ports, every
/// address answering, writes about 300 MiB; beyond this the file is not one of ours.
pub const MAX_REPORT_LEN: usize = 1 << 30;

/// Largest envelope read: base64 makes the payload 4/3 of the report, plus a little JSON.
pub const MAX_ENVELOPE_LEN: usize = (MAX_REPORT_LEN / 3) * 4 + (1 << 20);

/// Largest key file read: 64 KiB. A P-256 PEM key is under 300 bytes; the margin is for
/// comments and other blocks people keep in the same file.
pub const MAX_KEY_FILE_LEN: usize = 64 << 10;

/// Signatures read from one envelope. We write one; a few more allow co-signing by other tools.
pub const MAX_SIGNATURES: usize = 16;

/// Longest base64 signature read: an ECDSA P-256 DER signature is at most 72 bytes (96 in base64).
pub const MAX_SIGNATURE_LEN: usize = 1024;

/// Why signing or checking could not be done: bad input, exit 2 (a [`SignError::Rejected`]
/// from [`verify_file`] is the one "no" answer, exit 1 for `verify`). Each names its file.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file larger than what it may be.
    #[error("{path}: {len} bytes, more than the {max} such a file may have")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        len: u64,
        /// The cap.
        max: usize,
    },
    /// A key that is not what is needed.
    #[error("{source_name}: {reason}")]
    Key {
        /// The file.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `keygen` would overwrite a file.
    #[error("{path} exists: refusing to overwrite it (move it away or choose another --out)")]
    Exists {
        /// The file.
        path: String,
    },
    /// A signature file that is not a DSSE envelope.
    #[error("{source_name}: not a DSSE envelope: {reason}")]
    Envelope {
        /// The file.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The envelope does not vouch for the report.
    #[error("{report}: signature does not verify: {rejection}")]
    Rejected {
        /// The report file.
        report: String,
        /// Why.
        rejection: Rejection,
    },
    /// The crypto module failed (not expected with valid keys).
    #[error("crypto error while {0}")]
    Crypto(&'static str),
}

/// `report.json` → `report.json.sig`: the signature sits beside its report, named after it.
pub fn signature_path(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_os_string();
    name.push(".sig");
    PathBuf::from(name)
}

/// Reads the private key at `path` (PEM), refusing anything but an ECDSA P-256 key.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, SignError> {
    let text = read_capped(path, MAX_KEY_FILE_LEN)?;
    SigningKey::from_pem(&text, &path.display().to_string())
}

/// Reads the public key at `path` (SPKI PEM), refusing anything but an ECDSA P-256 key.
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, SignError> {
    let text = read_capped(path, MAX_KEY_FILE_LEN)?;
    VerifyingKey::from_pem(&text, &path.display().to_string())
}

/// The envelope `REPORT.sig` for `report`'s bytes, as the file's text.
pub fn sign_report(report: &[u8], key: &SigningKey) -> Result<String, SignError> {
    Ok(Envelope::sign(report, key)?.to_json())
}

/// Reads `report` and `signature` and checks that the envelope is `key`'s signature over the
/// report's exact bytes; returns those bytes, so the caller parses what was verified and not
/// a second read of a file that may have changed in between.
pub fn verify_file(
    report: &Path,
    signature: &Path,
    key: &VerifyingKey,
) -> Result<Vec<u8>, SignError> {
    let bytes = read_capped(report, MAX_REPORT_LEN)?;
    let envelope_bytes = read_capped(signature, MAX_ENVELOPE_LEN)?;
    let envelope = Envelope::parse(&envelope_bytes, &signature.display().to_string())?;
    envelope
        .verify(&bytes, key)
        .map_err(|rejection| SignError::Rejected {
            report: report.display().to_string(),
            rejection,
        })?;
    Ok(bytes)
}

/// Reads a whole file, refusing one larger than `max` before reading it (and, for a file that
/// grows while read, after `max` bytes).
pub fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>, SignError> {
    let io = |source| SignError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let cap = u64::try_from(max).unwrap_or(u64::MAX);
    let too_large = |len| SignError::TooLarge {
        path: path.display().to_string(),
        len,
        max,
    };
    if len > cap {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > max {
        return Err(too_large(u64::try_from(bytes.len()).unwrap_or(u64::MAX)));
    }
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signature_sits_beside_its_report() {
        assert_eq!(
            signature_path(Path::new("out/report.json")),
            PathBuf::from("out/report.json.sig")
        );
        assert_eq!(signature_path(Path::new("r")), PathBuf::from("r.sig"));
    }

    #[test]
    fn files_over_the_cap_are_refused_and_missing_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'a'; MAX_KEY_FILE_LEN + 1]).unwrap();
        let e = read_signing_key(&big).unwrap_err();
        assert!(matches!(e, SignError::TooLarge { .. }), "{e}");
        let e = read_verifying_key(&dir.path().join("nope.pem")).unwrap_err();
        assert!(e.to_string().contains("nope.pem"), "{e}");
    }

    #[test]
    fn verify_file_answers_for_the_bytes_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let g = keys::generate().unwrap();
        let signer = SigningKey::from_pem(g.private_pem.as_bytes(), "k").unwrap();
        let verifier = signer.verifying_key().unwrap();
        let report = dir.path().join("r.json");
        std::fs::write(&report, b"{\"verdict\": \"fail\"}\n").unwrap();
        let sig = signature_path(&report);
        std::fs::write(
            &sig,
            sign_report(&std::fs::read(&report).unwrap(), &signer).unwrap(),
        )
        .unwrap();
        assert_eq!(
            verify_file(&report, &sig, &verifier).unwrap(),
            b"{\"verdict\": \"fail\"}\n"
        );
        std::fs::write(&report, b"{\"verdict\": \"pass\"}\n").unwrap();
        let e = verify_file(&report, &sig, &verifier).unwrap_err();
        assert!(
            matches!(
                e,
                SignError::Rejected {
                    rejection: Rejection::PayloadDiffers,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("payload differs from file"), "{e}");
    }
}

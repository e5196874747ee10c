//! Certificate and key files for external servers: rcgen-made (any [`KeyKind`], optionally
//! expired) or, for what rcgen cannot make (RSA-1024, SHA-1 signatures), `openssl req`-made.

use std::path::{Path, PathBuf};
use std::process::Command;

use fipsprobe::demo::{generate_cert, CertOptions, GeneratedCert, KeyKind};

use super::process::{failed, require_binary, write_file, ServerError};

/// Where a server's certificate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertSource {
    /// rcgen self-signed, valid now.
    Rcgen(KeyKind),
    /// rcgen self-signed, expired 30 days ago.
    Expired(KeyKind),
    /// `openssl req`: RSA-1024, sha256WithRSAEncryption (needs `@SECLEVEL=0` to be served).
    OpensslRsa1024,
    /// `openssl req`: RSA-2048, sha1WithRSAEncryption.
    OpensslSha1,
    /// `openssl req`: RSA-1024, sha1WithRSAEncryption: wrong twice over for FIPS.
    OpensslRsa1024Sha1,
}

/// A certificate and key written as PEM files.
#[derive(Clone, Debug)]
pub struct CertFiles {
    /// The certificate PEM file.
    pub cert: PathBuf,
    /// The PKCS#8 private key PEM file.
    pub key: PathBuf,
    /// The certificate, DER (what a scan must report).
    pub cert_der: Vec<u8>,
}

impl CertFiles {
    /// Makes the certificate `source` describes and writes `{stem}.crt` / `{stem}.key` into `dir`.
    pub fn create(dir: &Path, stem: &str, source: CertSource) -> Result<CertFiles, ServerError> {
        match source {
            CertSource::Rcgen(kind) => {
                write_generated(dir, stem, &make(kind, CertOptions::default())?)
            }
            CertSource::Expired(kind) => {
                write_generated(dir, stem, &make(kind, CertOptions::expired())?)
            }
            CertSource::OpensslRsa1024 => {
                openssl_req(dir, stem, &["-newkey", "rsa:1024", "-sha256"])
            }
            CertSource::OpensslSha1 => openssl_req(dir, stem, &["-newkey", "rsa:2048", "-sha1"]),
            CertSource::OpensslRsa1024Sha1 => {
                openssl_req(dir, stem, &["-newkey", "rsa:1024", "-sha1"])
            }
        }
    }
}

fn make(kind: KeyKind, options: CertOptions) -> Result<GeneratedCert, ServerError> {
    generate_cert(kind, &options).map_err(|e| failed("generating certificate", e))
}

/// Writes an rcgen certificate as `{stem}.crt` and `{stem}.key`.
pub fn write_generated(
    dir: &Path,
    stem: &str,
    made: &GeneratedCert,
) -> Result<CertFiles, ServerError> {
    Ok(CertFiles {
        cert: write_file(dir, &format!("{stem}.crt"), made.cert_pem.as_bytes())?,
        key: write_file(dir, &format!("{stem}.key"), made.key_pem.as_bytes())?,
        cert_der: made.cert_der.clone(),
    })
}

fn openssl_req(dir: &Path, stem: &str, key_args: &[&str]) -> Result<CertFiles, ServerError> {
    let openssl = require_binary("openssl", "openssl")?;
    let cert = dir.join(format!("{stem}.crt"));
    let key = dir.join(format!("{stem}.key"));
    let output = Command::new(&openssl)
        .args([
            "req",
            "-x509",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=localhost/O=fipsprobe test",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(key_args)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map_err(|e| failed("running openssl req", e))?;
    if !output.status.success() {
        return Err(ServerError::Failed(format!(
            "openssl req {key_args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let der = Command::new(&openssl)
        .args(["x509", "-outform", "DER", "-in"])
        .arg(&cert)
        .output()
        .map_err(|e| failed("running openssl x509", e))?;
    if !der.status.success() || der.stdout.is_empty() {
        return Err(ServerError::Failed(format!(
            "openssl x509 -outform DER failed: {}",
            String::from_utf8_lossy(&der.stderr)
        )));
    }
    Ok(CertFiles {
        cert,
        key,
        cert_der: der.stdout,
    })
}

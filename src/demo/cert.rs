//! Self-signed certificates for the loopback servers (rcgen on aws-lc-rs).
//!
//! rcgen signs only with SHA-256/384 and generates RSA keys of 2048 bits or more, so the odd
//! certificates an audit must flag (RSA-1024, SHA-1 signatures) are made by the test helpers with
//! the `openssl` CLI instead. Expired certificates are possible here ([`CertOptions::expired`]).

use rcgen::{
    CertificateParams, DistinguishedName, DnType, KeyPair, RsaKeySize, SignatureAlgorithm,
    PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_RSA_SHA256,
};
use time::{Duration, OffsetDateTime};

use super::DemoError;

/// The server key (and so the certificate's public key and signature algorithm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA 2048-bit, signed with sha256WithRSAEncryption.
    Rsa2048,
    /// RSA 3072-bit, signed with sha256WithRSAEncryption.
    Rsa3072,
    /// ECDSA on P-256, signed with ecdsa-with-SHA256.
    EcdsaP256,
    /// ECDSA on P-384, signed with ecdsa-with-SHA384.
    EcdsaP384,
}

impl KeyKind {
    /// Whether the key is RSA (it then serves `ECDHE_RSA` suites in TLS 1.2, not `ECDHE_ECDSA`).
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyKind::Rsa2048 | KeyKind::Rsa3072)
    }

    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyKind::Rsa2048 | KeyKind::Rsa3072 => &PKCS_RSA_SHA256,
            KeyKind::EcdsaP256 => &PKCS_ECDSA_P256_SHA256,
            KeyKind::EcdsaP384 => &PKCS_ECDSA_P384_SHA384,
        }
    }

    fn generate(self) -> Result<KeyPair, rcgen::Error> {
        match self {
            KeyKind::Rsa2048 => KeyPair::generate_rsa_for(self.algorithm(), RsaKeySize::_2048),
            KeyKind::Rsa3072 => KeyPair::generate_rsa_for(self.algorithm(), RsaKeySize::_3072),
            KeyKind::EcdsaP256 | KeyKind::EcdsaP384 => KeyPair::generate_for(self.algorithm()),
        }
    }
}

/// What goes into a generated certificate besides the key.
#[derive(Clone, Debug)]
pub struct CertOptions {
    /// Subject common name.
    pub common_name: String,
    /// Subject alternative names: IP literals become IP SANs, anything else a DNS name.
    pub sans: Vec<String>,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// Mark the certificate as a CA (basicConstraints cA=TRUE), so it can sign client certificates.
    pub is_ca: bool,
}

impl Default for CertOptions {
    /// `CN=localhost`, SANs `localhost` and `127.0.0.1`, valid from yesterday for 365 days.
    fn default() -> Self {
        let now = OffsetDateTime::now_utc();
        CertOptions {
            common_name: "localhost".to_string(),
            sans: vec!["localhost".to_string(), "127.0.0.1".to_string()],
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(365),
            is_ca: false,
        }
    }
}

impl CertOptions {
    /// The default names, but validity ended 30 days ago (issued 395 days ago).
    pub fn expired() -> Self {
        let now = OffsetDateTime::now_utc();
        CertOptions {
            not_before: now - Duration::days(395),
            not_after: now - Duration::days(30),
            ..CertOptions::default()
        }
    }
}

/// A generated self-signed certificate and its private key, in the forms servers want.
#[derive(Clone, Debug)]
pub struct GeneratedCert {
    /// The key it was made for.
    pub key_kind: KeyKind,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    pub cert_pem: String,
    /// The private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): OpenSSL, nginx, GnuTLS, Go
    /// and etcd all read it.
    pub key_pem: String,
}

/// Generates a key of `key` kind and a self-signed certificate for it.
///
/// RSA generation takes a noticeable fraction of a second (more for 3072 bits); callers that
/// start many servers should generate once and share the result.
pub fn generate_cert(key: KeyKind, options: &CertOptions) -> Result<GeneratedCert, DemoError> {
    let key_pair = key.generate()?;
    let mut params = CertificateParams::new(options.sans.clone())?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, options.common_name.as_str());
    name.push(DnType::OrganizationName, "fipsprobe test");
    params.distinguished_name = name;
    params.not_before = options.not_before;
    params.not_after = options.not_after;
    if options.is_ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key_pair)?;
    Ok(GeneratedCert {
        key_kind: key,
        cert_der: cert.der().to_vec(),
        cert_pem: cert.pem(),
        key_der: key_pair.serialize_der(),
        key_pem: key_pair.serialize_pem(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    #[test]
    fn ecdsa_p384_cert_has_sans_and_curve() {
        let made = generate_cert(KeyKind::EcdsaP384, &CertOptions::default()).unwrap();
        let (_, cert) = X509Certificate::from_der(&made.cert_der).unwrap();
        let sans = cert.subject_alternative_name().unwrap().unwrap();
        let names = &sans.value.general_names;
        assert!(
            names.contains(&GeneralName::DNSName("localhost")),
            "{names:?}"
        );
        assert!(
            names.contains(&GeneralName::IPAddress(&[127, 0, 0, 1])),
            "{names:?}"
        );
        // ecdsa-with-SHA384
        assert_eq!(
            cert.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.3"
        );
        assert!(made.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(made.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }

    #[test]
    fn rsa_2048_key_size_and_expired_validity() {
        let made = generate_cert(KeyKind::Rsa2048, &CertOptions::expired()).unwrap();
        let (_, cert) = X509Certificate::from_der(&made.cert_der).unwrap();
        let public = cert.public_key().parsed().unwrap();
        assert_eq!(public.key_size(), 2048);
        assert!(!cert.validity().is_valid());
        // sha256WithRSAEncryption
        assert_eq!(
            cert.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.113549.1.1.11"
        );
    }
}

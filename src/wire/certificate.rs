//! Certificate, CertificateRequest and CertificateStatus as a TLS ≤ 1.2 server sends them in
//! clear (RFC 5246 §7.4.2, §7.4.4; RFC 6066 §8). TLS 1.3 sends these encrypted; we never see them.

use crate::wire::{DecodeError, LenPrefix, LengthPrefixed, Reader, Wire, MAX_CHAIN_CERTS};

/// How many CA distinguished names of a CertificateRequest we keep. Some servers list hundreds
/// of CAs; the count is always kept ([`CertificateRequest::ca_count`]), only the bytes are capped,
/// so a long list is never a reason to miss that the server asked for a client certificate.
pub const MAX_CA_NAMES_KEPT: usize = 64;

/// The server's certificate chain, DER, leaf first, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The certificates in the order sent (at most [`MAX_CHAIN_CERTS`]).
    pub chain: Vec<Vec<u8>>,
    /// Set when the server sent more than we keep: `chain` is then its beginning.
    pub truncated: Option<Truncation>,
}

/// Where a chain was cut short and why: a limit of ours, with its number and unit, and how
/// much the server sent in that unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// What was limited (`certificate chain`, `Certificate message`).
    pub what: &'static str,
    /// The limit.
    pub limit: usize,
    /// Its unit (`certificates`, `bytes`).
    pub unit: &'static str,
    /// How much the server sent (or claimed to send), in `unit`s.
    pub sent: usize,
}

impl std::fmt::Display for Truncation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} cut at the cap of {} {} (the server sent {})",
            self.what, self.limit, self.unit, self.sent
        )
    }
}

impl Certificate {
    /// A chain that was not cut.
    pub fn whole(chain: Vec<Vec<u8>>) -> Certificate {
        Certificate {
            chain,
            truncated: None,
        }
    }

    /// Reads the certificates that fit whole in `prefix`, the first bytes of a Certificate
    /// message body of `declared` bytes that is too long to read (see [`MAX_HANDSHAKE_LEN`]).
    /// The result is always marked truncated; a prefix that holds no whole certificate gives
    /// an empty chain.
    ///
    /// [`MAX_HANDSHAKE_LEN`]: crate::wire::MAX_HANDSHAKE_LEN
    pub fn read_prefix(prefix: &[u8], declared: usize) -> Certificate {
        let mut r = Reader::new(prefix);
        // The list's own length claims more than we have; read entries from what is here.
        let _ = r.u8("certificate_list length");
        let _ = r.u16("certificate_list length");
        let mut chain = Vec::new();
        while chain.len() < MAX_CHAIN_CERTS {
            let mut entry = r.clone();
            match entry.vec(LenPrefix::U24, "certificate") {
                Ok(cert) => {
                    chain.push(cert);
                    r = entry;
                }
                Err(_) => break,
            }
        }
        Certificate {
            chain,
            truncated: Some(Truncation {
                what: "Certificate message",
                limit: prefix.len(),
                unit: "bytes",
                sent: declared,
            }),
        }
    }
}

impl Wire<'_> for Certificate {
    /// Writes the kept certificates (a truncated chain encodes as its beginning).
    fn encode(&self, out: &mut Vec<u8>) {
        let mut list = LengthPrefixed::new(out, LenPrefix::U24);
        for cert in &self.chain {
            LengthPrefixed::new(&mut list, LenPrefix::U24).extend_from_slice(cert);
        }
    }

    /// Keeps the first [`MAX_CHAIN_CERTS`] certificates and counts the rest.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut list = r.sub(LenPrefix::U24, "certificate_list")?;
        let mut chain = Vec::new();
        let mut sent = 0usize;
        while !list.is_empty() {
            let mut cert = list.sub(LenPrefix::U24, "certificate")?;
            sent = sent.saturating_add(1);
            if chain.len() < MAX_CHAIN_CERTS {
                chain.push(cert.rest().to_vec());
            }
        }
        let truncated = (sent > MAX_CHAIN_CERTS).then_some(Truncation {
            what: "certificate chain",
            limit: MAX_CHAIN_CERTS,
            unit: "certificates",
            sent,
        });
        Ok(Certificate { chain, truncated })
    }
}

/// A CertificateRequest: the server wants a client certificate. For a scanner that means the
/// suite was accepted (etcd with client-certificate auth answers this way).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// certificate_types (1 = rsa_sign, 64 = ecdsa_sign, ...).
    pub cert_types: Vec<u8>,
    /// supported_signature_algorithms; `None` before TLS 1.2, whose message has no such field.
    pub sig_schemes: Option<Vec<u16>>,
    /// The first [`MAX_CA_NAMES_KEPT`] certificate_authorities entries (DER DistinguishedName).
    pub ca_names: Vec<Vec<u8>>,
    /// How many certificate_authorities entries the server sent.
    pub ca_count: usize,
}

impl CertificateRequest {
    /// Reads the body in the format of `version` (the ServerHello's; TLS 1.2 and later carry
    /// signature algorithms).
    pub fn read_version(r: &mut Reader<'_>, version: u16) -> Result<Self, DecodeError> {
        let cert_types = r.vec(LenPrefix::U8, "certificate_types")?;
        let sig_schemes = if version >= 0x0303 {
            Some(r.u16_list(LenPrefix::U16, "supported_signature_algorithms")?)
        } else {
            None
        };
        let mut names = r.sub(LenPrefix::U16, "certificate_authorities")?;
        let mut ca_names = Vec::new();
        let mut ca_count = 0usize;
        while !names.is_empty() {
            let name = names.sub(LenPrefix::U16, "distinguished name")?;
            ca_count = ca_count.saturating_add(1);
            if ca_names.len() < MAX_CA_NAMES_KEPT {
                ca_names.push(name.clone().rest().to_vec());
            }
        }
        Ok(CertificateRequest {
            cert_types,
            sig_schemes,
            ca_names,
            ca_count,
        })
    }
}

impl Wire<'_> for CertificateRequest {
    /// Writes the kept names (so `ca_count` is only reproduced when all names were kept).
    fn encode(&self, out: &mut Vec<u8>) {
        LengthPrefixed::new(out, LenPrefix::U8).extend_from_slice(&self.cert_types);
        if let Some(schemes) = &self.sig_schemes {
            let mut list = LengthPrefixed::new(out, LenPrefix::U16);
            for s in schemes {
                list.extend_from_slice(&s.to_be_bytes());
            }
        }
        let mut names = LengthPrefixed::new(out, LenPrefix::U16);
        for name in &self.ca_names {
            LengthPrefixed::new(&mut names, LenPrefix::U16).extend_from_slice(name);
        }
    }

    /// Reads the TLS 1.2 format.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        CertificateRequest::read_version(r, 0x0303)
    }
}

/// Reads a CertificateStatus body (RFC 6066 §8) and returns the OCSP response bytes.
pub(crate) fn read_certificate_status(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    if r.u8("status_type")? != 1 {
        return Err(DecodeError::Invalid {
            what: "certificate_status type (want ocsp)",
        });
    }
    r.vec(LenPrefix::U24, "ocsp_response")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_a_two_certificate_chain() {
        let bytes = [0, 0, 11, 0, 0, 2, 0x30, 0x00, 0, 0, 3, 0x30, 0x01, 0xff];
        let cert = Certificate::from_bytes(&bytes, "certificate").unwrap();
        assert_eq!(cert.chain, vec![vec![0x30, 0], vec![0x30, 1, 0xff]]);
    }

    #[test]
    fn certificate_longer_than_its_list_is_truncated() {
        let bytes = [0, 0, 4, 0, 0, 9, 0x30];
        assert!(matches!(
            Certificate::from_bytes(&bytes, "c"),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn past_the_cap_the_first_certificates_are_kept_and_counted() {
        let cert = Certificate::whole((0..200u8).map(|i| vec![0x30, i]).collect());
        let got = Certificate::from_bytes(&cert.to_bytes(), "c").unwrap();
        assert_eq!(got.chain, cert.chain[..MAX_CHAIN_CERTS]);
        let cut = got.truncated.unwrap();
        assert_eq!(
            (cut.limit, cut.unit, cut.sent),
            (MAX_CHAIN_CERTS, "certificates", 200)
        );
        assert_eq!(
            cut.to_string(),
            "certificate chain cut at the cap of 64 certificates (the server sent 200)"
        );
    }

    #[test]
    fn a_prefix_keeps_its_whole_certificates() {
        let cert = Certificate::whole(vec![vec![1; 10], vec![2; 10], vec![3; 10]]);
        let body = cert.to_bytes();
        // Cut inside the third certificate: two are whole.
        let got = Certificate::read_prefix(&body[..3 + 13 + 13 + 5], 1 << 20);
        assert_eq!(got.chain, cert.chain[..2]);
        assert_eq!(got.truncated.unwrap().sent, 1 << 20);
        // A prefix shorter than one certificate, or than the list length, keeps nothing.
        assert!(Certificate::read_prefix(&body[..8], 99).chain.is_empty());
        assert!(Certificate::read_prefix(&body[..1], 99).chain.is_empty());
    }

    #[test]
    fn tls10_request_has_no_signature_algorithms() {
        let bytes = [1, 1, 0, 4, 0, 2, 0x30, 0x00];
        let req = CertificateRequest::read_version(&mut Reader::new(&bytes), 0x0301).unwrap();
        assert_eq!(req.sig_schemes, None);
        assert_eq!(req.ca_count, 1);
    }

    #[test]
    fn counts_every_ca_name_but_keeps_only_the_cap() {
        let names = vec![vec![0x30, 0]; MAX_CA_NAMES_KEPT + 10];
        let req = CertificateRequest {
            cert_types: vec![64],
            sig_schemes: Some(vec![0x0403]),
            ca_names: names,
            ca_count: 0,
        };
        let got = CertificateRequest::from_bytes(&req.to_bytes(), "cr").unwrap();
        assert_eq!(got.ca_count, MAX_CA_NAMES_KEPT + 10);
        assert_eq!(got.ca_names.len(), MAX_CA_NAMES_KEPT);
    }

    proptest! {
        #[test]
        fn certificate_round_trips(chain in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..50), 0..10)) {
            let cert = Certificate::whole(chain);
            prop_assert_eq!(Certificate::from_bytes(&cert.to_bytes(), "c").unwrap(), cert);
        }

        #[test]
        fn certificate_request_round_trips(
            cert_types in prop::collection::vec(any::<u8>(), 0..5),
            sig_schemes in prop::option::of(prop::collection::vec(any::<u16>(), 0..10)),
            ca_names in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 0..5),
        ) {
            let version = if sig_schemes.is_some() { 0x0303 } else { 0x0301 };
            let req = CertificateRequest { cert_types, sig_schemes, ca_count: ca_names.len(), ca_names };
            let bytes = req.to_bytes();
            let mut r = Reader::new(&bytes);
            prop_assert_eq!(CertificateRequest::read_version(&mut r, version).unwrap(), req);
            prop_assert!(r.is_empty());
        }
    }
}

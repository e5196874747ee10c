//! Describes a certificate chain as the server sent it: the facts an auditor reads and the
//! policy grades (key type and size, signature algorithm, validity, names). Parsing is done
//! by x509-parser; a certificate it cannot parse is reported as such, never a panic.

use std::net::IpAddr;

use x509_parser::prelude::*;

use crate::model::{CertInfo, Certificate, KeyType};

/// The `certificate` facts of an endpoint: `chain` (leaf first) and whether the scanned name
/// or address is covered by the leaf's SANs.
pub fn describe_chain(chain: &[Vec<u8>], host: &str, ip: IpAddr) -> Certificate {
    let name_matches = chain
        .first()
        .and_then(|der| X509Certificate::from_der(der).ok())
        .map(|(_, cert)| covers(&cert, host, ip));
    Certificate {
        chain: chain.iter().map(|der| describe(der)).collect(),
        name_matches,
        ..Certificate::default()
    }
}

fn describe(der: &[u8]) -> CertInfo {
    let fingerprint = hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref());
    let cert = match X509Certificate::from_der(der) {
        Ok((_, c)) => c,
        Err(e) => {
            return CertInfo {
                sha256: fingerprint,
                parse_error: Some(e.to_string()),
                ..CertInfo::default()
            }
        }
    };
    let (key_type, key_bits, curve) = key_facts(&cert);
    let not_after = cert.validity().not_after.timestamp();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let sans: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| ext.value.general_names.iter().map(general_name).collect())
        .unwrap_or_default();
    let signature_algorithm = signature_name(&cert);
    CertInfo {
        subject: Some(cert.subject().to_string()),
        issuer: Some(cert.issuer().to_string()),
        sans,
        not_before: Some(rfc3339(cert.validity().not_before.timestamp())),
        not_after: Some(rfc3339(not_after)),
        days_left: Some(not_after.saturating_sub(now).div_euclid(86_400)),
        key_type: Some(key_type),
        key_bits: key_bits.and_then(|b| u32::try_from(b).ok()),
        curve: curve.map(str::to_string),
        signature_hash: signature_hash(&signature_algorithm),
        signature_algorithm: Some(signature_algorithm),
        self_signed: Some(cert.subject() == cert.issuer()),
        sha256: fingerprint,
        parse_error: None,
    }
}

/// The hash a signature algorithm's name carries (`sha256WithRSAEncryption` → `sha256`);
/// `None` for algorithms that name none (RSA-PSS keeps it in parameters, EdDSA has its own).
pub fn signature_hash(algorithm: &str) -> Option<String> {
    let alg: String = algorithm
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
        .into_iter()
        .find(|h| alg.contains(h))
        .map(str::to_string)
}

/// A SAN as people write it: `DNS:node1.example`, `IP:127.0.0.1`, `email:...`, `URI:...`.
fn general_name(n: &GeneralName<'_>) -> String {
    match n {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => <[u8; 4]>::try_from(*bytes)
                .map(|b| format!("IP:{}", std::net::Ipv4Addr::from(b)))
                .unwrap_or_default(),
            16 => <[u8; 16]>::try_from(*bytes)
                .map(|b| format!("IP:{}", std::net::Ipv6Addr::from(b)))
                .unwrap_or_default(),
            _ => format!("IP:{}", hex(bytes)),
        },
        GeneralName::RFC822Name(m) => format!("email:{m}"),
        GeneralName::URI(u) => format!("URI:{u}"),
        other => other.to_string(),
    }
}

fn key_facts(cert: &X509Certificate<'_>) -> (KeyType, Option<usize>, Option<&'static str>) {
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            (KeyType::Rsa, Some(rsa.key_size()), None)
        }
        Ok(x509_parser::public_key::PublicKey::EC(ec)) => {
            let curve = cert
                .public_key()
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| curve_name(&oid.to_id_string()));
            (KeyType::Ec, Some(ec.key_size()), curve)
        }
        Ok(x509_parser::public_key::PublicKey::DSA(_)) => (KeyType::Dsa, None, None),
        _ => {
            let oid = cert.public_key().algorithm.algorithm.to_id_string();
            match oid.as_str() {
                "1.3.101.112" => (KeyType::Ed25519, Some(256), None),
                "1.3.101.113" => (KeyType::Ed448, Some(456), None),
                _ => (KeyType::Unknown, None, None),
            }
        }
    }
}

/// The TLS NamedGroup code of an EC certificate key's curve (secp256r1 = 0x0017, ...), for the
/// curves TLS can name; `None` for other keys and unparseable certificates.
pub fn ec_curve_code(der: &[u8]) -> Option<u16> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let (_, _, curve) = key_facts(&cert);
    match curve? {
        "secp256r1" => Some(0x0017),
        "secp384r1" => Some(0x0018),
        "secp521r1" => Some(0x0019),
        "secp256k1" => Some(0x0016),
        "secp192r1" => Some(0x0013),
        "secp224r1" => Some(0x0015),
        "brainpoolP256r1" => Some(0x001A),
        "brainpoolP384r1" => Some(0x001B),
        "brainpoolP512r1" => Some(0x001C),
        _ => None,
    }
}

fn curve_name(oid: &str) -> &'static str {
    match oid {
        "1.2.840.10045.3.1.7" => "secp256r1",
        "1.3.132.0.34" => "secp384r1",
        "1.3.132.0.35" => "secp521r1",
        "1.3.132.0.10" => "secp256k1",
        "1.2.840.10045.3.1.1" => "secp192r1",
        "1.3.132.0.33" => "secp224r1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        _ => "unknown",
    }
}

fn signature_name(cert: &X509Certificate<'_>) -> String {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let name = match oid.as_str() {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        _ => return oid,
    };
    name.to_string()
}

/// Whether the leaf's SANs (or, lacking SANs, its CN) cover the scanned name or address.
fn covers(cert: &X509Certificate<'_>, host: &str, ip: IpAddr) -> bool {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        // RFC 6125 §6.4.4: the CN only counts when there are no SANs at all.
        return cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .any(|cn| dns_matches(cn, host) || cn.parse::<IpAddr>().ok() == Some(ip));
    };
    san.value.general_names.iter().any(|n| match n {
        GeneralName::DNSName(d) => dns_matches(d, host),
        GeneralName::IPAddress(bytes) => match ip {
            IpAddr::V4(v4) => *bytes == v4.octets().as_slice(),
            IpAddr::V6(v6) => *bytes == v6.octets().as_slice(),
        },
        _ => false,
    })
}

fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => pattern == host,
    }
}

fn rfc3339(ts: i64) -> String {
    ::time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&::time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_hashes_come_from_the_algorithm_name() {
        assert_eq!(
            signature_hash("sha1WithRSAEncryption").as_deref(),
            Some("sha1")
        );
        assert_eq!(signature_hash("ecdsa-with-SHA1").as_deref(), Some("sha1"));
        assert_eq!(
            signature_hash("ecdsa-with-SHA384").as_deref(),
            Some("sha384")
        );
        assert_eq!(
            signature_hash("md5WithRSAEncryption").as_deref(),
            Some("md5")
        );
        assert_eq!(signature_hash("dsa-with-SHA1").as_deref(), Some("sha1"));
        assert_eq!(
            signature_hash("sha512WithRSAEncryption").as_deref(),
            Some("sha512")
        );
        assert_eq!(signature_hash("Ed25519"), None);
        assert_eq!(signature_hash("rsassaPss"), None);
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(dns_matches("*.example.com", "a.example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(dns_matches("Node1.example.com.", "node1.example.com"));
    }

    #[test]
    fn without_sans_the_common_name_counts() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "node1.example");
        let cert = params.self_signed(&key).unwrap();
        let ip = IpAddr::from([127, 0, 0, 1]);
        let v = describe_chain(&[cert.der().to_vec()], "node1.example", ip);
        assert_eq!(v.name_matches, Some(true));
        assert!(v.chain[0].sans.is_empty());
        let v = describe_chain(&[cert.der().to_vec()], "node2.example", ip);
        assert_eq!(v.name_matches, Some(false));
    }

    #[test]
    fn garbage_is_reported_not_panicked() {
        let v = describe_chain(&[vec![0x30, 0x03, 0x01]], "h", IpAddr::from([127, 0, 0, 1]));
        assert!(v.chain[0].parse_error.is_some());
        assert!(v.chain[0].key_type.is_none());
    }

    #[test]
    fn describes_an_rcgen_certificate() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let v = describe_chain(
            &[cert.der().to_vec()],
            "localhost",
            IpAddr::from([127, 0, 0, 1]),
        );
        let leaf = &v.chain[0];
        assert_eq!(leaf.key_type, Some(KeyType::Ec));
        assert_eq!(leaf.curve.as_deref(), Some("secp256r1"));
        assert_eq!(
            leaf.signature_algorithm.as_deref(),
            Some("ecdsa-with-SHA256")
        );
        assert_eq!(leaf.signature_hash.as_deref(), Some("sha256"));
        assert_eq!(v.name_matches, Some(true));
        assert_eq!(leaf.sans, ["DNS:localhost"]);
        assert_eq!(ec_curve_code(cert.der()), Some(0x0017));
        assert_eq!(ec_curve_code(&[0x30, 0x00]), None);
    }
}

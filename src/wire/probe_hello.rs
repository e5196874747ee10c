//! [`ProbeHello`]: the one ClientHello shape the probe needs, described by what to offer rather
//! than by bytes. [`ProbeHello::to_client_hello`] turns it into an exact [`ClientHello`].

use std::net::IpAddr;

use crate::protocol::Protocol;
use crate::wire::{
    key_share_value, CipherSuite, ClientExtension, ClientHello, KeyShareEntry, NamedGroup,
};

/// What to offer in one probe handshake.
#[derive(Clone, Debug)]
pub struct ProbeHello<'a> {
    /// The highest version offered. `Ssl2` is treated as `Ssl3` here; SSLv2 has its own hello
    /// ([`crate::wire::ssl2_client_hello`]).
    pub version: Protocol,
    /// Cipher suites in the order sent (signalling suites are added per the flags below).
    pub suites: &'a [u16],
    /// server_name; omitted when `None` or an IP literal (RFC 6066 §3 forbids literals).
    pub sni: Option<&'a str>,
    /// supported_groups in order; ec_point_formats (uncompressed) is added when any is EC.
    pub groups: &'a [u16],
    /// TLS 1.3 only: groups to send a key_share for, in order. Groups we have no public value
    /// for (see [`key_share_value`]), groups missing from `groups` and repeats are skipped.
    pub key_shares: &'a [u16],
    /// signature_algorithms (TLS 1.2 and later), and signature_algorithms_cert for TLS 1.3.
    pub sig_schemes: &'a [u16],
    /// Offer extended_master_secret.
    pub ems: bool,
    /// Add TLS_EMPTY_RENEGOTIATION_INFO_SCSV to the suites instead of sending renegotiation_info.
    pub renegotiation_scsv: bool,
    /// Add TLS_FALLBACK_SCSV to the suites.
    pub fallback_scsv: bool,
    /// The client random (a TLS 1.3 hello also uses it as its 32-byte session id).
    pub random: [u8; 32],
}

impl ProbeHello<'_> {
    /// Builds the ClientHello.
    ///
    /// - SSLv3: legacy_version 0x0300, no extensions at all (SSLv3 servers may choke on them).
    /// - TLS 1.0–1.2: legacy_version = the version; server_name, supported_groups,
    ///   ec_point_formats, signature_algorithms (1.2 only: RFC 5246 §7.4.1.4.1 says earlier
    ///   clients must not send it), extended_master_secret, renegotiation_info.
    /// - TLS 1.3: legacy_version 0x0303, a 32-byte session id (RFC 8446 §D.4 middlebox
    ///   compatibility), supported_versions = [0x0304] only, key_share, and
    ///   signature_algorithms_cert as well.
    ///
    /// Nothing else is added: push more [`ClientExtension`]s (session_ticket, status_request,
    /// encrypt_then_mac) onto `extensions` if wanted. Padding is added by
    /// [`ClientHello::encode_records`].
    pub fn to_client_hello(&self) -> ClientHello {
        let version = self.version.max(Protocol::Ssl3);
        let tls13 = version == Protocol::Tls13;
        let mut cipher_suites = self.suites.to_vec();
        if self.renegotiation_scsv {
            cipher_suites.push(CipherSuite::EMPTY_RENEGOTIATION_INFO_SCSV.0);
        }
        if self.fallback_scsv {
            cipher_suites.push(CipherSuite::FALLBACK_SCSV.0);
        }
        let mut hello = ClientHello {
            legacy_version: if tls13 {
                Protocol::Tls12.wire()
            } else {
                version.wire()
            },
            random: self.random,
            session_id: if tls13 {
                self.random.to_vec()
            } else {
                Vec::new()
            },
            cipher_suites,
            compression_methods: vec![0],
            extensions: Vec::new(),
        };
        if version == Protocol::Ssl3 {
            return hello;
        }
        let ext = &mut hello.extensions;
        if let Some(name) = self.sni.and_then(sni_host_name) {
            ext.push(ClientExtension::ServerName(name));
        }
        if !self.groups.is_empty() {
            ext.push(ClientExtension::SupportedGroups(self.groups.to_vec()));
            if self.groups.iter().any(|g| NamedGroup(*g).is_ec()) {
                ext.push(ClientExtension::EcPointFormats(vec![0]));
            }
        }
        if version >= Protocol::Tls12 && !self.sig_schemes.is_empty() {
            ext.push(ClientExtension::SignatureAlgorithms(
                self.sig_schemes.to_vec(),
            ));
            if tls13 {
                ext.push(ClientExtension::SignatureAlgorithmsCert(
                    self.sig_schemes.to_vec(),
                ));
            }
        }
        if self.ems {
            ext.push(ClientExtension::ExtendedMasterSecret);
        }
        if !self.renegotiation_scsv {
            ext.push(ClientExtension::RenegotiationInfo(Vec::new()));
        }
        if tls13 {
            ext.push(ClientExtension::SupportedVersions(vec![
                Protocol::Tls13.wire()
            ]));
            // RFC 8446 §4.2.8: no share for a group not in supported_groups, and no group twice;
            // servers may abort with illegal_parameter otherwise, which would look like a refusal.
            let mut shares: Vec<KeyShareEntry> = Vec::new();
            for group in self.key_shares {
                let offered = self.groups.is_empty() || self.groups.contains(group);
                if !offered || shares.iter().any(|s| s.group == *group) {
                    continue;
                }
                if let Some(key_exchange) = key_share_value(*group) {
                    shares.push(KeyShareEntry {
                        group: *group,
                        key_exchange,
                    });
                }
            }
            ext.push(ClientExtension::KeyShare(shares));
        }
        hello
    }
}

/// The host name to put in server_name: `None` for IP literals (bracketed or not) and empty
/// names; a trailing dot is dropped (RFC 6066 §3: "without a trailing dot").
fn sni_host_name(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    if name.is_empty() || bare.parse::<IpAddr>().is_ok() {
        return None;
    }
    Some(name.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn probe(version: Protocol) -> ProbeHello<'static> {
        ProbeHello {
            version,
            suites: &[0x1301, 0xc02f, 0x002f],
            sni: Some("example.test"),
            groups: &[0x001d, 0x0017, 0x0100],
            key_shares: &[0x001d, 0x0017, 0x001a],
            sig_schemes: &[0x0804, 0x0403],
            ems: true,
            renegotiation_scsv: false,
            fallback_scsv: false,
            random: [3; 32],
        }
    }

    fn types(h: &ClientHello) -> Vec<u16> {
        h.extensions.iter().map(ClientExtension::typ).collect()
    }

    #[test]
    fn tls13_hello_offers_only_tls13_and_a_session_id() {
        let h = probe(Protocol::Tls13).to_client_hello();
        assert_eq!(h.legacy_version, 0x0303);
        assert_eq!(h.session_id.len(), 32);
        assert!(h
            .extensions
            .contains(&ClientExtension::SupportedVersions(vec![0x0304])));
        let Some(ClientExtension::KeyShare(shares)) = h.extensions.iter().find(|e| e.typ() == 51)
        else {
            panic!()
        };
        let groups: Vec<u16> = shares.iter().map(|s| s.group).collect();
        assert_eq!(
            groups,
            vec![0x001d, 0x0017],
            "brainpool has no value and is skipped"
        );
        assert!(types(&h).contains(&50));
    }

    #[test]
    fn tls12_hello_has_no_supported_versions() {
        let h = probe(Protocol::Tls12).to_client_hello();
        assert_eq!(h.legacy_version, 0x0303);
        assert!(h.session_id.is_empty());
        assert_eq!(types(&h), vec![0, 10, 11, 13, 23, 0xff01]);
    }

    #[test]
    fn tls10_hello_leaves_out_signature_algorithms() {
        let h = probe(Protocol::Tls10).to_client_hello();
        assert_eq!(h.legacy_version, 0x0301);
        assert_eq!(types(&h), vec![0, 10, 11, 23, 0xff01]);
    }

    #[test]
    fn sslv3_hello_has_no_extensions_and_uses_scsvs() {
        let mut p = probe(Protocol::Ssl3);
        p.renegotiation_scsv = true;
        p.fallback_scsv = true;
        let h = p.to_client_hello();
        assert_eq!(h.legacy_version, 0x0300);
        assert!(h.extensions.is_empty());
        assert_eq!(
            h.cipher_suites,
            vec![0x1301, 0xc02f, 0x002f, 0x00ff, 0x5600]
        );
    }

    #[test]
    fn key_shares_only_for_offered_groups_and_once_each() {
        let mut p = probe(Protocol::Tls13);
        p.groups = &[0x0018, 0x001d];
        p.key_shares = &[0x0017, 0x001d, 0x001d, 0x0018];
        let h = p.to_client_hello();
        let Some(ClientExtension::KeyShare(shares)) = h.extensions.iter().find(|e| e.typ() == 51)
        else {
            panic!()
        };
        let groups: Vec<u16> = shares.iter().map(|s| s.group).collect();
        assert_eq!(groups, vec![0x001d, 0x0018]);
    }

    #[test]
    fn ip_literals_get_no_server_name() {
        for literal in ["127.0.0.1", "::1", "[::1]"] {
            let mut p = probe(Protocol::Tls12);
            p.sni = Some(literal);
            assert!(!types(&p.to_client_hello()).contains(&0), "{literal}");
        }
        assert_eq!(sni_host_name("host.example."), Some("host.example".into()));
    }

    #[test]
    fn ffdhe_only_groups_get_no_point_formats() {
        let mut p = probe(Protocol::Tls12);
        p.groups = &[0x0100, 0x0101];
        assert!(!types(&p.to_client_hello()).contains(&11));
    }
}

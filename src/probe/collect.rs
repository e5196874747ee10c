//! Facts the cipher sweeps gather on the way, at no extra handshake, each from the hello that
//! can vouch for it: the EMS and renegotiation echoes from the first TLS <= 1.2 ServerHello
//! (whose hello offered both), the groups the server picked, TLS 1.2 signature schemes and the
//! DH size from key exchanges, the chain and client-certificate request from whole flights.
//!
//! Compression, OCSP stapling, session tickets and encrypt-then-MAC are not here: the sweeps'
//! hellos do not offer them, so only the features hello (`probe::behaviour`) can tell.

use crate::cipher_db::{self, Kx};
use crate::model::{ClientCertificate, ConnError};
use crate::protocol::Protocol;
use crate::wire::{KxKind, KxParams, ServerHello, ServerMessage, Truncation};

/// What the sweeps saw besides the suites.
#[derive(Debug, Default)]
pub struct Collected {
    /// The version whose first ServerHello set `ems` and `secure_renegotiation`.
    echo_version: Option<u16>,
    /// extended_master_secret echoed.
    pub ems: Option<bool>,
    /// renegotiation_info echoed.
    pub secure_renegotiation: Option<bool>,
    /// Groups picked (codes), in the order seen.
    pub groups: Vec<u16>,
    /// Signature schemes of TLS 1.2 ServerKeyExchanges, in the order seen.
    pub sig_schemes: Vec<u16>,
    /// The finite-field DHE prime size.
    pub dh_bits: Option<u32>,
    /// The chain as sent, leaf first, and the failure that cut it short, if one did.
    pub chain: Option<Vec<Vec<u8>>>,
    /// Why a flight that should have carried the chain did not.
    pub chain_error: Option<ConnError>,
    /// Set when `chain` is the beginning of a longer one: a cap cut it (see `wire`).
    pub chain_truncated: Option<Truncation>,
    /// A CertificateRequest was seen, or a whole flight came without one.
    pub client_auth: Option<ClientCertificate>,
    /// Whether the TLS 1.3 certificate handshake got a stapled OCSP response.
    pub tls13_ocsp: Option<bool>,
    /// The TLS 1.3 certificate handshake's scheme and chain: the scheme sweep's first answer.
    pub tls13_signed: Option<(u16, Vec<Vec<u8>>)>,
}

impl Collected {
    /// The ServerHello of a version's first offer (every extension we check was offered).
    pub fn observe_hello(&mut self, version: u16, sh: &ServerHello) {
        if version >= Protocol::Tls13.wire() {
            if let Some(g) = sh.key_share_group() {
                self.group(g);
            }
            return;
        }
        // Echoes are read from the highest TLS <= 1.2 version seen: what a current client gets.
        if self.echo_version.is_some_and(|v| v > version) {
            return;
        }
        self.echo_version = Some(version);
        if version >= Protocol::Tls10.wire() {
            self.ems = Some(sh.extended_master_secret());
        }
        self.secure_renegotiation = Some(sh.secure_renegotiation());
    }

    /// A group the server picked.
    pub fn group(&mut self, g: u16) {
        if !self.groups.contains(&g) {
            self.groups.push(g);
        }
    }

    /// One message of a TLS <= 1.2 flight after the ServerHello of `version` choosing `suite`.
    ///
    /// In TLS 1.2 an ECDHE/DHE ServerKeyExchange names the scheme the server signed with
    /// (RFC 5246 §7.4.3), so every such flight the sweeps read whole adds its scheme: the
    /// schemes the server picked for our offer, not every scheme it would accept. TLS 1.0/1.1
    /// flights name no scheme; TLS 1.3 signs inside the encrypted handshake.
    pub fn observe_flight(&mut self, version: u16, suite: u16, msg: &ServerMessage) {
        match msg {
            ServerMessage::Certificate(c) if self.chain.is_none() => match c.truncated {
                // Not one whole certificate within the cap: nothing to grade.
                Some(cut) if c.chain.is_empty() => {
                    self.chain_error = Some(ConnError::Cap {
                        what: cut.what,
                        limit: cut.limit,
                        unit: cut.unit,
                    });
                }
                cut => {
                    self.chain = Some(c.chain.clone());
                    self.chain_truncated = cut;
                }
            },
            ServerMessage::CertificateRequest(_) => {
                self.client_auth = Some(ClientCertificate::Requested);
            }
            ServerMessage::ServerHelloDone if self.client_auth.is_none() => {
                self.client_auth = Some(ClientCertificate::NotRequested);
            }
            ServerMessage::ServerKeyExchange(ske) => {
                let Some(known) = cipher_db::db().suite(suite) else {
                    return;
                };
                let kind = match known.kx {
                    Kx::Ecdhe => KxKind::Ecdhe,
                    Kx::Dhe => KxKind::Dhe,
                    _ => return,
                };
                match ske.params(kind) {
                    Ok(KxParams::Ecdhe { named_curve }) => self.group(named_curve),
                    Ok(KxParams::Dhe { prime_bits }) => self.dh_bits = Some(prime_bits),
                    Err(_) => {}
                }
                // Anonymous suites sign nothing, so their ServerKeyExchange has no scheme.
                if version == Protocol::Tls12.wire() && !known.flags.anonymous {
                    if let Ok(scheme) = ske.signature_scheme(kind) {
                        if !self.sig_schemes.contains(&scheme) {
                            self.sig_schemes.push(scheme);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::wire::ServerKeyExchange;

    /// An ECDHE ServerKeyExchange on secp256r1 signed with `scheme` (TLS 1.2 layout).
    fn ecdhe_ske(scheme: u16) -> ServerMessage {
        let mut body = vec![3, 0, 0x17, 1, 4];
        body.extend(scheme.to_be_bytes());
        body.extend([0, 2, 0xaa, 0xbb]);
        ServerMessage::ServerKeyExchange(ServerKeyExchange { body })
    }

    #[test]
    fn tls12_flights_record_each_scheme_once() {
        let mut c = Collected::default();
        for scheme in [0x0201, 0x0804, 0x0201, 0xFEFE] {
            c.observe_flight(0x0303, 0xC02F, &ecdhe_ske(scheme));
        }
        assert_eq!(c.groups, [0x17]);
        assert_eq!(c.sig_schemes, [0x0201, 0x0804, 0xFEFE]);
    }

    #[test]
    fn older_versions_and_anonymous_suites_name_no_scheme() {
        let mut c = Collected::default();
        // TLS 1.1: the bytes after the params are the signature's length, not a scheme.
        c.observe_flight(0x0302, 0xC02F, &ecdhe_ske(0x0201));
        // ECDH_anon signs nothing.
        c.observe_flight(0x0303, 0xC018, &ecdhe_ske(0x0201));
        // Static RSA has no ServerKeyExchange to read.
        c.observe_flight(0x0303, 0x009C, &ecdhe_ske(0x0201));
        assert!(c.sig_schemes.is_empty());
    }

    #[test]
    fn a_whole_flight_without_a_request_says_not_requested() {
        let mut c = Collected::default();
        c.observe_flight(0x0303, 0xC02F, &ServerMessage::ServerHelloDone);
        assert_eq!(c.client_auth, Some(ClientCertificate::NotRequested));
        let mut c = Collected::default();
        c.observe_flight(
            0x0303,
            0xC02F,
            &ServerMessage::CertificateRequest(crate::wire::CertificateRequest {
                cert_types: vec![1],
                sig_schemes: None,
                ca_names: Vec::new(),
                ca_count: 0,
            }),
        );
        c.observe_flight(0x0303, 0xC02F, &ServerMessage::ServerHelloDone);
        assert_eq!(c.client_auth, Some(ClientCertificate::Requested));
    }
}

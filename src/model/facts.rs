//! The typed facts about an endpoint beyond its suites: the report's `extensions` object.
//!
//! Every fact is `None` until the one hello that can vouch for it was answered: the EMS and
//! renegotiation echoes come from the first TLS <= 1.2 ServerHello (whose hello offered both),
//! compression, OCSP stapling, session tickets and encrypt-then-MAC only from the features
//! hello that offered them, `ems_required` only from a hello that left EMS out, and so on
//! (`probe::behaviour`). An unknown fact is omitted from the JSON, never written as `false`,
//! and a policy rule that needs it raises nothing and says it could not check
//! (`policy::grade`). No I/O here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::Protocol;

/// The report's `extensions` object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The server echoed extended_master_secret (RFC 7627) to a TLS <= 1.2 hello offering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_master_secret: Option<bool>,
    /// The server refuses a TLS <= 1.2 hello that leaves extended_master_secret out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ems_required: Option<bool>,
    /// The server echoed renegotiation_info (RFC 5746).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_renegotiation: Option<bool>,
    /// The server chose DEFLATE when offered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<bool>,
    /// The server echoed session_ticket (RFC 5077) when offered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_ticket: Option<bool>,
    /// With a CBC suite negotiated, the server agreed to encrypt_then_mac (RFC 7366).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypt_then_mac: Option<bool>,
    /// The server stapled an OCSP response (a CertificateStatus message, or a TLS 1.3
    /// certificate entry's status) when asked with status_request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocsp_stapling: Option<bool>,
    /// The server refused a lower-version hello carrying TLS_FALLBACK_SCSV (RFC 7507).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_scsv: Option<bool>,
    /// A TLS 1.3 server that accepted a lower version marked its random with the RFC 8446
    /// §4.1.3 downgrade sentinel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downgrade_sentinel: Option<bool>,
    /// Whether the server asks for a client certificate, and insists on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<ClientCertificate>,
    /// The finite-field DHE prime size in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
    /// Signature schemes (IANA names) the server signed its key exchange (TLS 1.2) with, in
    /// the order seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signature_schemes: Vec<String>,
    /// Accepted key-exchange groups per version (IANA names), the server's pick first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<Protocol, Vec<String>>,
    /// The group the server picks first at its highest version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_group: Option<String>,
}

impl Facts {
    /// True when nothing is known (the key is then left out of the report).
    pub fn is_empty(&self) -> bool {
        self == &Facts::default()
    }
}

/// What a server does about client certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientCertificate {
    /// A whole flight or handshake came without a CertificateRequest.
    NotRequested,
    /// A CertificateRequest was seen; whether the server insists is not known.
    Requested,
    /// The server asked, and went on without one.
    Optional,
    /// The server asked, and refused to go on without one.
    Required,
}

impl ClientCertificate {
    /// The snake_case label (as in JSON).
    pub fn label(self) -> &'static str {
        match self {
            ClientCertificate::NotRequested => "not_requested",
            ClientCertificate::Requested => "requested",
            ClientCertificate::Optional => "optional",
            ClientCertificate::Required => "required",
        }
    }

    /// Whether the server asked for one at all.
    pub fn is_requested(self) -> bool {
        self != ClientCertificate::NotRequested
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_facts_are_left_out() {
        let facts = Facts {
            ems_required: Some(false),
            ..Facts::default()
        };
        let json = serde_json::to_value(&facts).unwrap_or_default();
        assert_eq!(json, serde_json::json!({"ems_required": false}));
        assert!(Facts::default().is_empty());
        assert!(!facts.is_empty());
    }

    #[test]
    fn old_reports_with_untyped_keys_still_load() {
        let text = r#"{"extended_master_secret": true, "probe_problems": ["x"]}"#;
        let facts: Facts = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(facts.extended_master_secret, Some(true));
    }
}

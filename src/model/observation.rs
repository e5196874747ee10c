//! What the probe observed about one endpoint, before any policy: the accepted suites per
//! version with the evidence for every version refused, typed facts, the certificate, and
//! the probes that could not give an answer (gaps) with why.
//!
//! The probe writes an [`Observation`] once; grading reads it and returns a
//! [`crate::model::Grade`]; [`crate::model::Endpoint::new`] joins the two into the report
//! entry. Nothing here knows a policy. No I/O here.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::model::{Certificate, ConnError, Facts, Status, SuiteCode};
use crate::protocol::Protocol;
use crate::wire::AlertDescription;

/// Who the endpoint is: the report's identity keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointId {
    /// The target as the user named it (`10.0.0.0/24`, `node1:2379`).
    pub target: String,
    /// The host name when the target was a name, else the address.
    pub host: String,
    /// The address probed.
    pub ip: IpAddr,
    /// The port probed.
    pub port: u16,
    /// The SNI sent, if any.
    pub sni: Option<String>,
    /// True when the user named exactly this endpoint (an address or host name, not a range):
    /// such an endpoint left unassessed makes the scan incomplete (exit 3).
    #[serde(default)]
    pub explicit: bool,
    /// The well-known service on that port (`kube-apiserver`, `etcd-client`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl EndpointId {
    /// An endpoint of `target` at `ip:port`, named `host`, with nothing else set.
    pub fn new(target: String, host: String, ip: IpAddr, port: u16) -> EndpointId {
        EndpointId {
            target,
            host,
            ip,
            port,
            sni: None,
            explicit: false,
            service: None,
        }
    }
}

/// Everything the probe learned about one endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Who it is.
    pub id: EndpointId,
    /// How the probe went: `tls` when any TLS answer came back.
    pub status: Status,
    /// Why the endpoint gave no TLS answer at all (when `status` is not `tls`).
    pub failure: Option<ConnError>,
    /// The versions the endpoint accepted, with their suites.
    pub accepted: BTreeMap<Protocol, Accepted>,
    /// The versions the endpoint refused, each with the answer that says so.
    pub refused: BTreeMap<Protocol, Refusal>,
    /// Typed facts (the report's `extensions`).
    pub facts: Facts,
    /// Every key-exchange group accepted (codes), TLS 1.3 preference first.
    pub groups: Vec<u16>,
    /// The certificate, when one was read (or its reading was attempted and failed).
    pub certificate: Option<Certificate>,
    /// Probes that could not give their answer, and why.
    pub gaps: Vec<Gap>,
    /// TLS handshakes (ClientHellos sent) spent on the endpoint.
    pub handshakes: u32,
    /// Wall time spent, milliseconds.
    pub duration_ms: u64,
}

impl Observation {
    /// An endpoint about which nothing is known yet.
    pub fn new(id: EndpointId) -> Observation {
        Observation {
            id,
            status: Status::Error,
            failure: None,
            accepted: BTreeMap::new(),
            refused: BTreeMap::new(),
            facts: Facts::default(),
            groups: Vec::new(),
            certificate: None,
            gaps: Vec::new(),
            handshakes: 0,
            duration_ms: 0,
        }
    }

    /// An endpoint that never gave a TLS answer, for this reason.
    pub fn failed(id: EndpointId, failure: ConnError) -> Observation {
        Observation {
            status: failure.status(),
            failure: Some(failure),
            ..Observation::new(id)
        }
    }

    /// The highest version accepted, if any.
    pub fn highest(&self) -> Option<Protocol> {
        self.accepted.keys().next_back().copied()
    }

    /// The gap of `probe`, if it has one.
    pub fn gap(&self, probe: Probe) -> Option<&Gap> {
        self.gaps.iter().find(|g| g.probe == probe)
    }

    /// True when some probe failed for lack of an answer (not skipped on purpose).
    pub fn incomplete(&self) -> bool {
        self.gaps
            .iter()
            .any(|g| matches!(g.cause, GapCause::Failed(_)))
    }

    /// Whether the suite list of `version` is known in full: the sweep ran and ended on an
    /// answer (accepted or refused, with no gap).
    pub fn version_known(&self, version: Protocol) -> bool {
        self.gap(Probe::Suites(version)).is_none()
            && (self.accepted.contains_key(&version) || self.refused.contains_key(&version))
    }
}

/// One accepted version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Every accepted suite, in the server's order where it has one (SSLv2: 24-bit specs).
    pub suites: Vec<SuiteCode>,
    /// True: server order; false: client order; `None`: moot (one suite) or unknown.
    pub server_order: Option<bool>,
}

/// The answer that shows a version is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A fatal alert (`protocol_version`, `handshake_failure`, ...).
    Alert(AlertDescription),
    /// A ServerHello choosing another (lower) version, given as its wire code.
    OtherVersion(u16),
    /// An SSLv2 ERROR message.
    Ssl2Error(u16),
    /// The connection closed (or was reset) before any byte, every time the offer was made:
    /// this server's way of refusing, confirmed by repeating the offer (see `probe::plan`).
    Dropped {
        /// How many times the same offer was dropped.
        times: u8,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Alert(a) => write!(f, "alert {a}"),
            Refusal::OtherVersion(v) => match Protocol::from_wire(*v) {
                Some(p) => write!(f, "ServerHello choosing {p}"),
                None => write!(f, "ServerHello choosing version 0x{v:04X}"),
            },
            Refusal::Ssl2Error(code) => write!(f, "SSLv2 error 0x{code:04X}"),
            Refusal::Dropped { times } => write!(
                f,
                "connection closed without an answer, {times} times out of {times}"
            ),
        }
    }
}

/// A probe of an endpoint, as gaps and unchecked rules name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// The cipher sweep of one version.
    Suites(Protocol),
    /// The group sweep of one version.
    Groups(Protocol),
    /// The features hello (compression, OCSP stapling, session ticket, encrypt-then-MAC).
    Features,
    /// The TLS 1.2 hello without extended master secret.
    EmsRequired,
    /// The fallback-SCSV hello.
    Fallback,
    /// The handshake that tells whether a requested client certificate is required.
    ClientCertificate,
    /// Reading the certificate chain.
    Certificate,
    /// The DHE-only hello that shows the DH group.
    DhGroup,
    /// The signature-scheme sweep of one version.
    SigSchemes(Protocol),
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::Suites(p) => write!(f, "{p} cipher suites"),
            Probe::Groups(p) => write!(f, "{p} groups"),
            Probe::Features => {
                f.write_str("extensions (compression, OCSP, tickets, encrypt-then-MAC)")
            }
            Probe::EmsRequired => f.write_str("extended master secret enforcement"),
            Probe::Fallback => f.write_str("fallback SCSV"),
            Probe::ClientCertificate => f.write_str("client certificate"),
            Probe::Certificate => f.write_str("certificate chain"),
            Probe::DhGroup => f.write_str("DHE group"),
            Probe::SigSchemes(p) => write!(f, "{p} signature schemes"),
        }
    }
}

/// A probe that gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// Which probe.
    pub probe: Probe,
    /// Why.
    pub cause: GapCause,
}

impl Gap {
    /// Whether this gap leaves a list of the report short: a suite, group or signature-scheme
    /// sweep that failed, or the endpoint's time or the scan ending before a probe ran.
    pub fn cuts_enumeration(&self) -> bool {
        match &self.cause {
            GapCause::Skipped(_) => false,
            GapCause::Failed(ConnError::Aborted | ConnError::BudgetExhausted(_)) => true,
            GapCause::Failed(_) => matches!(
                self.probe,
                Probe::Suites(_) | Probe::Groups(_) | Probe::SigSchemes(_)
            ),
        }
    }
}

/// Why a probe gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GapCause {
    /// Not run, on purpose.
    Skipped(Skip),
    /// Run, and the exchange failed (after the retries it was due).
    Failed(ConnError),
}

impl fmt::Display for GapCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GapCause::Skipped(s) => write!(f, "{s}"),
            GapCause::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// Why a probe was not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// `--protocols` left the version out.
    NotRequested,
    /// `--suites-only`.
    SuitesOnly,
    /// An earlier answer made it impossible (the endpoint stopped answering).
    Unreachable,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Skip::NotRequested => "not probed (--protocols)",
            Skip::SuitesOnly => "not probed (--suites-only)",
            Skip::Unreachable => "not probed: the endpoint stopped answering",
        })
    }
}

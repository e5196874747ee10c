//! The JSON report, schema version 1: the serde types *are* the contract of `../shared/SPEC.md`.
//!
//! Keys named by the spec are never renamed; new keys are added with `#[serde(default)]` so
//! that reports written by older versions still load (`diff` and `merge` read old reports).
//! No I/O here.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::protocol::Protocol;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 1;

/// One whole report: what was scanned, when, with what, and what was found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// The tool that wrote the report.
    pub tool: Tool,
    /// The policy the endpoints were graded against.
    pub policy: PolicyRef,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC.
    pub finished_at: String,
    /// The command line, as given.
    pub args: Vec<String>,
    /// False when the scan was interrupted or an explicitly named endpoint was not assessed.
    pub complete: bool,
    /// Counts over `endpoints`.
    pub summary: Summary,
    /// One entry per endpoint scanned (closed addresses inside ranges may be left out).
    pub endpoints: Vec<Endpoint>,
    /// Binaries inspected (`fipsprobe binaries`, `scan --binaries`); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<crate::binaries::Binary>,
}

/// The tool that wrote a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// `fipsprobe`.
    pub name: String,
    /// The crate version.
    pub version: String,
    /// The crypto provider fipsprobe itself ran on (e.g. `aws-lc-rs`).
    pub crypto_provider: String,
    /// True when built with the `fips` feature and the provider reported FIPS mode.
    pub fips_mode: bool,
}

/// Which policy graded the report; `sha256` is over the policy file's bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyRef {
    /// A bundled id (`fips-140-3`) or the path of a user policy.
    pub id: String,
    /// Lower-case hex SHA-256 of the policy file.
    pub sha256: String,
}

/// Counts over a report's endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Endpoints in the report.
    pub endpoints: u64,
    /// Endpoints that answered TLS.
    pub tls: u64,
    /// Verdict pass.
    pub pass: u64,
    /// Verdict fail.
    pub fail: u64,
    /// Verdict not_assessed.
    pub not_assessed: u64,
    /// Counts over `binaries`, when binaries were inspected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binaries: Option<crate::binaries::BinarySummary>,
}

impl Summary {
    /// Recounts from endpoints (used by scan, merge and diff alike).
    pub fn of(endpoints: &[Endpoint]) -> Summary {
        let mut s = Summary {
            endpoints: endpoints.len() as u64,
            ..Summary::default()
        };
        for e in endpoints {
            if e.status == Status::Tls {
                s.tls += 1;
            }
            match e.verdict {
                Verdict::Pass => s.pass += 1,
                Verdict::Fail => s.fail += 1,
                Verdict::NotAssessed => s.not_assessed += 1,
            }
        }
        s
    }
}

/// What happened when an endpoint was probed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The endpoint spoke TLS (or SSL) and was assessed.
    Tls,
    /// Connection refused (or reset before any byte).
    Closed,
    /// Connect or handshake timed out.
    Timeout,
    /// Something answered, but not TLS.
    NotTls,
    /// Anything else (resolution failure, protocol violation, I/O error).
    Error,
}

/// A grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every rule of the policy holds.
    Pass,
    /// At least one unwaived `fail` finding.
    Fail,
    /// The endpoint could not be assessed (not TLS, timeout, ...).
    NotAssessed,
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For information only.
    Info,
    /// Worth attention; does not fail the endpoint.
    Warn,
    /// Violates the policy; fails the endpoint unless waived.
    Fail,
}

/// One graded fact about an endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id (`suite_not_approved`): never renamed once released.
    pub id: String,
    /// Severity as the policy rule decides.
    pub severity: Severity,
    /// One line for a person: names the offending item and the rule's source.
    pub message: String,
    /// The offending item (suite, version, group...) in its product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The protocol version the finding applies to, where it applies to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The source the rule comes from (e.g. `NIST SP 800-52r2 §3.3.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Set when a waiver covers the finding; a waived finding does not fail the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived: Option<Waived>,
}

/// The waiver that covers a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Waived {
    /// Why the exception was granted.
    pub reason: String,
    /// Last day the waiver holds (YYYY-MM-DD).
    pub expires: String,
}

/// A cipher suite code, written `0xC02F` in JSON; SSLv2 cipher specs are 24-bit (`0x0700C0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SuiteCode(pub u32);

impl fmt::Display for SuiteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 > 0xFFFF {
            write!(f, "0x{:06X}", self.0)
        } else {
            write!(f, "0x{:04X}", self.0)
        }
    }
}

impl Serialize for SuiteCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SuiteCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let hex = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .ok_or_else(|| {
                serde::de::Error::custom(format!("suite code {s:?} must start with 0x"))
            })?;
        u32::from_str_radix(hex, 16)
            .ok()
            .filter(|c| *c <= 0xFF_FFFF)
            .map(SuiteCode)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "suite code {s:?} is not a 16- or 24-bit hex number"
                ))
            })
    }
}

/// One accepted cipher suite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuiteEntry {
    /// IANA name (or the OpenSSL/testssl name for non-IANA codes, or `UNKNOWN_0xXXXX`).
    pub name: String,
    /// The code.
    pub code: SuiteCode,
    /// The OpenSSL name, where one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openssl: Option<String>,
    /// Whether the report's policy approves it (set by grading).
    pub approved: bool,
}

/// What one endpoint accepted at one protocol version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProtocolResult {
    /// Every accepted suite, in the server's order of preference where it has one.
    pub suites: Vec<SuiteEntry>,
    /// True: server order; false: client order; null: moot (one suite) or unknown.
    pub server_order: Option<bool>,
    /// The suite chosen when offered every suite at this version.
    pub preferred: Option<String>,
}

/// Everything known about one endpoint (one address and port).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
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
    /// Outcome of the probe.
    pub status: Status,
    /// One line saying what went wrong, when `status` is not `tls`.
    pub error: Option<String>,
    /// Accepted versions only, oldest first.
    pub protocols: BTreeMap<Protocol, ProtocolResult>,
    /// The suite picked when offered everything at the highest accepted version.
    pub preferred_suite: Option<String>,
    /// Key-exchange groups accepted (IANA names), server preference first where known.
    pub groups: Vec<String>,
    /// The server's certificate facts, when seen.
    pub certificate: Option<serde_json::Value>,
    /// Graded findings.
    pub findings: Vec<Finding>,
    /// The grade.
    pub verdict: Verdict,
    /// True when some probe of this endpoint failed (timeout, I/O error) so the accepted
    /// lists may be missing entries: the scan is then incomplete (exit 3 unless a fail).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    /// TLS handshakes (ClientHellos sent) spent on this endpoint.
    #[serde(default)]
    pub handshakes: u32,
    /// Wall time spent on the endpoint, milliseconds.
    #[serde(default)]
    pub duration_ms: u64,
    /// TLS extension and behaviour facts (EMS, renegotiation, ...), where probed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

impl Endpoint {
    /// An endpoint about which nothing is known yet: status `error` until a probe says
    /// otherwise, verdict `not_assessed` until it is graded, no facts.
    pub fn new(target: String, host: String, ip: IpAddr, port: u16) -> Endpoint {
        Endpoint {
            target,
            host,
            ip,
            port,
            sni: None,
            explicit: false,
            service: None,
            status: Status::Error,
            error: None,
            protocols: BTreeMap::new(),
            preferred_suite: None,
            groups: Vec::new(),
            certificate: None,
            findings: Vec::new(),
            verdict: Verdict::NotAssessed,
            incomplete: false,
            handshakes: 0,
            duration_ms: 0,
            extensions: BTreeMap::new(),
        }
    }

    /// The highest version accepted, if any.
    pub fn highest_protocol(&self) -> Option<Protocol> {
        self.protocols.keys().next_back().copied()
    }
}

//! The JSON report, schema version 1: these serde types are the contract of
//! `docs/report.md`, published as `schema/report-v1.schema.json`.
//!
//! A report [`Endpoint`] is made once, by [`Endpoint::new`], from what the probe observed and
//! what grading concluded; nothing mutates it afterwards. Keys named by the contract are
//! never renamed; keys added since have `#[serde(default)]`, so that reports written by older
//! versions still load (`diff` and `merge` read old reports). No I/O here.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cipher_db;
use crate::model::{
    Certificate, EndpointId, ErrorKind, Facts, Finding, GapCause, Grade, Observation, Probe,
    Severity, SuiteGrade, Unchecked, Verdict,
};
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
    /// False when the scan was interrupted or an endpoint could not be assessed.
    pub complete: bool,
    /// Counts over `endpoints`.
    pub summary: Summary,
    /// One entry per endpoint scanned (closed and filtered addresses inside ranges are left
    /// out).
    pub endpoints: Vec<Endpoint>,
    /// Binaries inspected (`fipsprobe binaries`, `scan --binaries`); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<crate::binaries::Binary>,
}

/// The tool that wrote a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Of the not_assessed, those whose enumeration was cut short after it had already shown
    /// an unwaived fail finding (they fail the policy: exit 1).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_assessed_failing: u64,
    /// Counts over `binaries`, when binaries were inspected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binaries: Option<crate::binaries::BinarySummary>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
                Verdict::NotAssessed => {
                    s.not_assessed += 1;
                    if e.fails() {
                        s.not_assessed_failing += 1;
                    }
                }
            }
        }
        s
    }
}

/// What happened when an endpoint was probed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The endpoint answered in TLS (or SSL): a ServerHello, a HelloRetryRequest or an alert.
    Tls,
    /// Connection refused.
    Closed,
    /// Connect, answer or endpoint budget timed out.
    Timeout,
    /// Something answered, but not TLS.
    NotTls,
    /// Anything else (resolution failure, protocol violation, resets, I/O error).
    Error,
}

impl Status {
    /// The snake_case label (as in JSON).
    pub fn label(self) -> &'static str {
        match self {
            Status::Tls => "tls",
            Status::Closed => "closed",
            Status::Timeout => "timeout",
            Status::NotTls => "not_tls",
            Status::Error => "error",
        }
    }
}

/// A cipher suite code, written `0xC02F` in JSON; SSLv2 cipher specs are 24-bit (`0x0700C0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SuiteCode(pub u32);

impl SuiteCode {
    /// The two-byte code of a TLS suite; `None` for an SSLv2 cipher spec.
    pub fn two_byte(self) -> Option<u16> {
        u16::try_from(self.0).ok()
    }
}

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteEntry {
    /// IANA name (or the OpenSSL/testssl name for non-IANA codes, or `UNKNOWN_0xXXXX`).
    pub name: String,
    /// The code.
    pub code: SuiteCode,
    /// The OpenSSL name, where one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openssl: Option<String>,
    /// Whether the report's policy approves it.
    pub approved: bool,
    /// The policy's grade of it: `approved`, `discouraged` (approved with a warning), `warn`
    /// or `fail` (not approved). Absent in reports written before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<SuiteGrade>,
}

/// What one endpoint accepted at one protocol version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolResult {
    /// Every accepted suite, in the server's order of preference where it has one.
    pub suites: Vec<SuiteEntry>,
    /// True: server order; false: client order; null: moot (one suite) or unknown.
    pub server_order: Option<bool>,
    /// The suite chosen when offered every suite at this version.
    pub preferred: Option<String>,
}

/// A probe that gave no answer, as the report says it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapRecord {
    /// `suites`, `groups`, `features`, `ems_required`, `fallback`, `client_certificate`,
    /// `certificate`, `dh_group` or `signature_schemes`.
    pub probe: String,
    /// The version the probe concerns, where it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// `skipped`, or the error kind of the failure.
    pub kind: String,
    /// One line for a person.
    pub reason: String,
}

impl GapRecord {
    /// [`crate::model::Gap::cuts_enumeration`], read back from a report.
    pub fn cuts_enumeration(&self) -> bool {
        match self.kind.as_str() {
            "skipped" => false,
            "aborted" | "budget_exhausted" => true,
            _ => matches!(
                self.probe.as_str(),
                "suites" | "groups" | "signature_schemes"
            ),
        }
    }
}

/// Everything known about one endpoint (one address and port), graded.
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
    /// True when the user named exactly this endpoint (an address or host name, not a range).
    #[serde(default)]
    pub explicit: bool,
    /// The well-known service on that port (`kube-apiserver`, `etcd-client`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Outcome of the probe.
    pub status: Status,
    /// One line saying why the endpoint gave no TLS answer, when `status` is not `tls`.
    pub error: Option<String>,
    /// The machine name of that cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ErrorKind>,
    /// Accepted versions only, oldest first.
    pub protocols: BTreeMap<Protocol, ProtocolResult>,
    /// Versions refused, each with the server's answer that says so.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refused: BTreeMap<Protocol, String>,
    /// The suite picked when offered everything at the highest accepted version.
    pub preferred_suite: Option<String>,
    /// Key-exchange groups accepted (IANA names), server preference first where known.
    pub groups: Vec<String>,
    /// The server's certificate facts, when seen.
    pub certificate: Option<Certificate>,
    /// Graded findings.
    pub findings: Vec<Finding>,
    /// The grade.
    pub verdict: Verdict,
    /// Why the verdict is `not_assessed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Checks of the policy that could not be made, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<Unchecked>,
    /// Probes that gave no answer, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<GapRecord>,
    /// True when some probe failed for lack of an answer, so lists may be missing entries.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    /// TLS handshakes (ClientHellos sent) spent on this endpoint.
    #[serde(default)]
    pub handshakes: u32,
    /// Wall time spent on the endpoint, milliseconds.
    #[serde(default)]
    pub duration_ms: u64,
    /// Typed TLS extension and behaviour facts; unknown ones are left out.
    #[serde(default, skip_serializing_if = "Facts::is_empty")]
    pub extensions: Facts,
}

impl Endpoint {
    /// Whether an unwaived `fail` finding stands: a `fail`, or a `not_assessed` endpoint
    /// whose enumeration was cut short after it had shown a failure.
    pub fn fails(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Fail && f.waived.is_none())
    }

    /// The report entry of an observed and graded endpoint. Text is made here, once.
    pub fn new(obs: Observation, grade: Grade) -> Endpoint {
        let protocols: BTreeMap<Protocol, ProtocolResult> = obs
            .accepted
            .iter()
            .map(|(&version, acc)| {
                let suites: Vec<SuiteEntry> = acc
                    .suites
                    .iter()
                    .map(|&code| {
                        let g = grade.suites.get(&(version, code)).copied();
                        suite_entry(version, code, g)
                    })
                    .collect();
                let preferred = suites.first().map(|s| s.name.clone());
                let result = ProtocolResult {
                    suites,
                    server_order: acc.server_order,
                    preferred,
                };
                (version, result)
            })
            .collect();
        let preferred_suite = protocols
            .values()
            .next_back()
            .and_then(|p| p.preferred.clone());
        let groups = obs.groups.iter().map(|&g| group_name(g)).collect();
        let certificate = obs.certificate.map(|mut c| {
            c.client_certificate = obs.facts.client_certificate;
            c
        });
        let incomplete = obs
            .gaps
            .iter()
            .any(|g| matches!(g.cause, GapCause::Failed(_)));
        let gaps = obs.gaps.iter().map(gap_record).collect();
        let id = obs.id;
        Endpoint {
            target: id.target,
            host: id.host,
            ip: id.ip,
            port: id.port,
            sni: id.sni,
            explicit: id.explicit,
            service: id.service,
            status: obs.status,
            error: obs.failure.as_ref().map(ToString::to_string),
            error_kind: obs.failure.as_ref().map(crate::model::ConnError::kind),
            protocols,
            refused: obs
                .refused
                .iter()
                .map(|(&v, r)| (v, r.to_string()))
                .collect(),
            preferred_suite,
            groups,
            certificate,
            findings: grade.findings,
            verdict: grade.verdict,
            reasons: grade.reasons,
            unchecked: grade.unchecked,
            gaps,
            incomplete,
            handshakes: obs.handshakes,
            duration_ms: obs.duration_ms,
            extensions: obs.facts,
        }
    }

    /// The highest version accepted, if any.
    pub fn highest_protocol(&self) -> Option<Protocol> {
        self.protocols.keys().next_back().copied()
    }

    /// Who it is, as the observation named it.
    pub fn id(&self) -> EndpointId {
        EndpointId {
            target: self.target.clone(),
            host: self.host.clone(),
            ip: self.ip,
            port: self.port,
            sni: self.sni.clone(),
            explicit: self.explicit,
            service: self.service.clone(),
        }
    }
}

fn suite_entry(version: Protocol, code: SuiteCode, grade: Option<SuiteGrade>) -> SuiteEntry {
    let (name, openssl) = suite_names(version, code);
    SuiteEntry {
        name,
        code,
        openssl,
        approved: grade.is_some_and(SuiteGrade::is_approved),
        grade,
    }
}

/// The product name and OpenSSL name of a suite (SSLv2 cipher specs have their own table).
pub fn suite_names(version: Protocol, code: SuiteCode) -> (String, Option<String>) {
    let db = cipher_db::db();
    let known = if version == Protocol::Ssl2 {
        db.ssl2_ciphers()
            .iter()
            .find(|c| c.code == code.0)
            .map(|c| (c.name.clone(), None))
    } else {
        code.two_byte()
            .and_then(|c| db.suite(c))
            .map(|s| (s.display_name().to_string(), s.openssl.clone()))
    };
    known.unwrap_or_else(|| (format!("UNKNOWN_{code}"), None))
}

/// The IANA name of a group, or its code.
pub fn group_name(code: u16) -> String {
    cipher_db::db()
        .group(code)
        .map(|g| g.name.clone())
        .unwrap_or_else(|| format!("0x{code:04X}"))
}

fn gap_record(g: &crate::model::Gap) -> GapRecord {
    let (probe, protocol) = probe_name(g.probe);
    let kind = match &g.cause {
        GapCause::Skipped(_) => "skipped".to_string(),
        GapCause::Failed(e) => serde_json::to_value(e.kind())
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "error".into()),
    };
    GapRecord {
        probe: probe.to_string(),
        protocol,
        kind,
        reason: g.cause.to_string(),
    }
}

/// The machine name of a probe and the version it concerns.
pub fn probe_name(p: Probe) -> (&'static str, Option<Protocol>) {
    match p {
        Probe::Suites(v) => ("suites", Some(v)),
        Probe::Groups(v) => ("groups", Some(v)),
        Probe::Features => ("features", None),
        Probe::EmsRequired => ("ems_required", None),
        Probe::Fallback => ("fallback", None),
        Probe::ClientCertificate => ("client_certificate", None),
        Probe::Certificate => ("certificate", None),
        Probe::DhGroup => ("dh_group", None),
        Probe::SigSchemes(v) => ("signature_schemes", Some(v)),
    }
}

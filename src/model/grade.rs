//! What grading concluded about one endpoint: findings, the grade of every accepted suite,
//! the checks that could not be made, and the verdict with its reasons.
//!
//! What a verdict means (docs/report.md, "A verdict is earned"):
//! - `fail`: at least one unwaived finding of severity `fail`, on an enumeration that ran to
//!   its end.
//! - `pass`: no such finding, at least one protocol version negotiated, and every check the
//!   policy's rules depend on was made: nothing in `unchecked`, no `reasons`.
//! - `not_assessed`: anything else, with `reasons` saying why. That includes an endpoint whose
//!   suite, group or signature-scheme lists were cut short by faults, its time or an
//!   interruption ([`Grade::cut_short`]), even when what was seen already fails: a report
//!   must never be read as the whole configuration when it is part of one. Its findings stay,
//!   and the scan still exits 1 for them (`scan::outcome`).
//!
//! [`conclude`] is that rule; grading and `merge` both use it. No I/O here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::SuiteCode;
use crate::protocol::Protocol;

/// A grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every rule of the policy holds, and every check it needs was made.
    Pass,
    /// At least one unwaived `fail` finding.
    Fail,
    /// The endpoint could not be assessed; `reasons` says why.
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

impl Finding {
    /// Whether this finding fails its endpoint (severity `fail`, not waived).
    pub fn fails(&self) -> bool {
        self.severity == Severity::Fail && self.waived.is_none()
    }
}

/// The waiver that covers a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    /// Why the exception was granted.
    pub reason: String,
    /// Last day the waiver holds (YYYY-MM-DD).
    pub expires: String,
}

/// What the policy says about one accepted suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuiteGrade {
    /// Approved.
    Approved,
    /// Approved, reported with a warning.
    Discouraged,
    /// Not approved; a warning.
    Warn,
    /// Not approved; fails the endpoint.
    Fail,
}

impl SuiteGrade {
    /// Whether the policy approves the suite (the report's `approved`).
    pub fn is_approved(self) -> bool {
        matches!(self, SuiteGrade::Approved | SuiteGrade::Discouraged)
    }
}

/// A check of the policy that could not be made, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unchecked {
    /// The finding id the check would raise (`ems_not_enforced`).
    pub check: String,
    /// The version it concerns, where it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Why it could not be made (`not probed (--suites-only)`, `connection reset ...`).
    pub reason: String,
}

/// The grade of one endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grade {
    /// Findings, waived ones included (marked).
    pub findings: Vec<Finding>,
    /// The grade of each accepted suite, per version.
    pub suites: BTreeMap<(Protocol, SuiteCode), SuiteGrade>,
    /// Checks of the policy that could not be made.
    pub unchecked: Vec<Unchecked>,
    /// Why the verdict is `not_assessed` (empty otherwise).
    pub reasons: Vec<String>,
    /// The verdict, by [`conclude`].
    pub verdict: Verdict,
}

impl Grade {
    /// A grade from its parts; the verdict follows from them.
    pub fn new(
        findings: Vec<Finding>,
        suites: BTreeMap<(Protocol, SuiteCode), SuiteGrade>,
        unchecked: Vec<Unchecked>,
        reasons: Vec<String>,
    ) -> Grade {
        let verdict = conclude(&findings, &reasons);
        Grade {
            findings,
            suites,
            unchecked,
            reasons,
            verdict,
        }
    }
}

impl Grade {
    /// The grade of an endpoint whose enumeration was cut short (`why`, first of the reasons):
    /// `not_assessed` whatever its findings, which stay for the reader.
    pub fn cut_short(mut self, why: String) -> Grade {
        self.reasons.insert(0, why);
        self.verdict = Verdict::NotAssessed;
        self
    }

    /// Whether an unwaived `fail` finding stands (in a `fail`, or a cut-short `not_assessed`).
    pub fn fails(&self) -> bool {
        self.findings.iter().any(Finding::fails)
    }
}

/// The verdict rule (module doc): `fail` with an unwaived fail finding; else `not_assessed`
/// when there is any reason not to pass; else `pass`.
pub fn conclude(findings: &[Finding], reasons: &[String]) -> Verdict {
    if findings.iter().any(Finding::fails) {
        Verdict::Fail
    } else if reasons.is_empty() {
        Verdict::Pass
    } else {
        Verdict::NotAssessed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity, waived: bool) -> Finding {
        Finding {
            id: "x".into(),
            severity,
            message: "m".into(),
            item: None,
            protocol: None,
            source: None,
            waived: waived.then(|| Waived {
                reason: "r".into(),
                expires: "2099-01-01".into(),
            }),
        }
    }

    #[test]
    fn a_fail_is_evidence_whatever_else_is_unknown() {
        let reasons = vec!["no TLS 1.2 answer".to_string()];
        assert_eq!(
            conclude(&[finding(Severity::Fail, false)], &reasons),
            Verdict::Fail
        );
        assert_eq!(
            conclude(&[finding(Severity::Fail, true)], &reasons),
            Verdict::NotAssessed
        );
        assert_eq!(
            conclude(&[finding(Severity::Warn, false)], &[]),
            Verdict::Pass
        );
        assert_eq!(conclude(&[], &reasons), Verdict::NotAssessed);
    }
}

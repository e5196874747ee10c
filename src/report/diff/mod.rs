//! `fipsprobe diff OLD NEW` and `scan --baseline`: what changed between two reports, and
//! whether anything got worse (the cron job's exit 1).
//!
//! Endpoints are matched by (ip, port), or by (host, port) when the host is a name so that a
//! node whose address changed overnight is still the same node. A name with several addresses
//! is matched address by address. Within a matched pair, protocol versions, suites (per
//! version, by code), the preferred suite, status, verdict and findings (by id, version and
//! item) are compared. An endpoint that is only on one side and closed there is ignored:
//! reports may leave closed addresses of ranges out. Pure: no I/O.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::{PolicyRef, Report, Status, Summary, Verdict};
use crate::protocol::Protocol;

mod compare;
mod matching;
mod render;

use compare::{appeared, compare, disappeared};
use matching::{group, pair_up, Key};

/// Everything that changed from one report to the next.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diff {
    /// The older report, in brief.
    pub old: Side,
    /// The newer report, in brief.
    pub new: Side,
    /// Every change, report-wide ones first, then by endpoint.
    pub changes: Vec<Change>,
}

/// One report as the diff names it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Side {
    /// The policy it was graded with.
    pub policy: PolicyRef,
    /// When its scan started.
    pub started_at: String,
    /// When its scan finished.
    pub finished_at: String,
    /// Whether its scan was complete.
    pub complete: bool,
    /// Its counts.
    pub summary: Summary,
}

/// One change, with whether it makes things worse.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The endpoint (`10.0.0.5:6443`, `node1:2379`); empty for report-wide changes.
    pub endpoint: String,
    /// What kind of change.
    pub kind: ChangeKind,
    /// The protocol version concerned, where one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The suite name or finding id concerned, where one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The old value, where the change is from one value to another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The new value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// True when this change makes the fleet less compliant.
    pub regression: bool,
    /// One line for a person.
    pub message: String,
}

/// The kinds of change, as written in JSON (`suite_accepted`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The two reports were graded with different policies: approvals are not comparable.
    PolicyChanged,
    /// An endpoint only in the new report (a regression when it fails).
    EndpointAppeared,
    /// An endpoint only in the old report.
    EndpointDisappeared,
    /// A named endpoint now resolves to another address.
    AddressChanged,
    /// The probe outcome changed (`tls` → `timeout`).
    StatusChanged,
    /// The verdict changed (a regression when it becomes `fail`).
    VerdictChanged,
    /// A protocol version newly accepted (a regression unless all its suites are approved and
    /// no unwaived `fail` finding names it).
    ProtocolAccepted,
    /// A protocol version no longer accepted.
    ProtocolDropped,
    /// A suite newly accepted at a version (a regression when not approved).
    SuiteAccepted,
    /// A suite no longer accepted at a version.
    SuiteDropped,
    /// The preferred suite changed (a regression when it became a non-approved one).
    PreferredChanged,
    /// A finding that was not there (a regression when an unwaived `fail`).
    FindingNew,
    /// A finding that went away.
    FindingResolved,
    /// Same finding, different severity or waiver (a regression when it became an unwaived
    /// `fail`, e.g. a waiver expired).
    FindingChanged,
}

impl ChangeKind {
    /// `suite accepted`: the kind as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::PolicyChanged => "policy changed",
            ChangeKind::EndpointAppeared => "new endpoint",
            ChangeKind::EndpointDisappeared => "endpoint gone",
            ChangeKind::AddressChanged => "address changed",
            ChangeKind::StatusChanged => "status changed",
            ChangeKind::VerdictChanged => "verdict changed",
            ChangeKind::ProtocolAccepted => "version accepted",
            ChangeKind::ProtocolDropped => "version dropped",
            ChangeKind::SuiteAccepted => "suite accepted",
            ChangeKind::SuiteDropped => "suite dropped",
            ChangeKind::PreferredChanged => "preferred changed",
            ChangeKind::FindingNew => "new finding",
            ChangeKind::FindingResolved => "finding resolved",
            ChangeKind::FindingChanged => "finding changed",
        }
    }
}

/// Compares two reports.
pub fn diff(old: &Report, new: &Report) -> Diff {
    let mut changes = Vec::new();
    if old.policy != new.policy {
        let (from, to) = (policy_text(&old.policy), policy_text(&new.policy));
        let message =
            format!("graded with {from} before and {to} now: approvals are not comparable");
        changes
            .push(Change::new("", ChangeKind::PolicyChanged, message).values(Some(from), Some(to)));
    }

    let old_groups = group(&old.endpoints);
    let new_groups = group(&new.endpoints);
    let keys: BTreeSet<&Key> = old_groups.keys().chain(new_groups.keys()).collect();
    for key in keys {
        let olds = old_groups.get(key).map(Vec::as_slice).unwrap_or_default();
        let news = new_groups.get(key).map(Vec::as_slice).unwrap_or_default();
        let ambiguous = olds.len() > 1 || news.len() > 1;
        for pair in pair_up(olds, news) {
            match pair {
                (Some(o), Some(n)) => compare(o, n, ambiguous, &mut changes),
                // A closed port on one side only is not news: reports may leave closed
                // addresses of ranges out, and a refusal says nothing about compliance.
                (None, Some(n)) if n.status != Status::Closed => {
                    changes.push(appeared(n, ambiguous))
                }
                (Some(o), None) if o.status != Status::Closed => {
                    changes.push(disappeared(o, ambiguous))
                }
                (None, Some(_)) | (Some(_), None) => {}
                (None, None) => {}
            }
        }
    }
    Diff {
        old: Side::of(old),
        new: Side::of(new),
        changes,
    }
}

impl Side {
    fn of(r: &Report) -> Side {
        Side {
            policy: r.policy.clone(),
            started_at: r.started_at.clone(),
            finished_at: r.finished_at.clone(),
            complete: r.complete,
            summary: r.summary.clone(),
        }
    }
}

impl Diff {
    /// True when anything got worse: a non-approved suite or a version newly accepted, a
    /// verdict turned `fail`, a new endpoint that fails, a new unwaived `fail` finding.
    pub fn regressed(&self) -> bool {
        self.changes.iter().any(|c| c.regression)
    }

    /// The changes that are regressions.
    pub fn regressions(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.regression)
    }
}

impl Change {
    /// A change of `kind` at `endpoint`; the builder methods below fill in the rest.
    fn new(endpoint: &str, kind: ChangeKind, message: String) -> Change {
        Change {
            endpoint: endpoint.to_string(),
            kind,
            protocol: None,
            item: None,
            from: None,
            to: None,
            regression: false,
            message,
        }
    }

    fn protocol(mut self, p: Protocol) -> Change {
        self.protocol = Some(p);
        self
    }

    fn item(mut self, item: impl Into<String>) -> Change {
        self.item = Some(item.into());
        self
    }

    fn values(mut self, from: Option<String>, to: Option<String>) -> Change {
        self.from = from;
        self.to = to;
        self
    }

    fn regression(mut self, worse: bool) -> Change {
        self.regression = worse;
        self
    }
}

fn policy_text(p: &PolicyRef) -> String {
    format!(
        "{} (sha256 {})",
        p.id,
        p.sha256.get(..12).unwrap_or(&p.sha256)
    )
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NotAssessed => "not_assessed",
    }
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Tls => "tls",
        Status::Closed => "closed",
        Status::Timeout => "timeout",
        Status::NotTls => "not_tls",
        Status::Error => "error",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

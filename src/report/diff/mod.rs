//! `fipsprobe diff OLD NEW` and `scan --baseline`: what changed between two reports, and
//! whether anything got worse (the cron job's exit 1).
//!
//! Endpoints are matched by (ip, port), or by (host, port) when the host is a name so that a
//! node whose address changed overnight is still the same node. A name with several addresses
//! is matched address by address. Within a matched pair, protocol versions, suites (per
//! version, by code), the preferred suite, status, verdict and findings (by id, version and
//! item) are compared. An endpoint that is only on one side and closed there is ignored:
//! reports may leave closed addresses of ranges out. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use super::model::{
    Endpoint, Finding, PolicyRef, Report, Severity, Status, SuiteEntry, Summary, Verdict,
};
use super::{endpoint_label, host_is_name};
use crate::protocol::Protocol;

mod render;

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

/// How endpoints are matched across reports.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Name(String, u16),
    Addr(IpAddr, u16),
}

fn group(endpoints: &[Endpoint]) -> BTreeMap<Key, Vec<&Endpoint>> {
    let mut map: BTreeMap<Key, Vec<&Endpoint>> = BTreeMap::new();
    for e in endpoints {
        let key = if host_is_name(e) {
            Key::Name(e.host.to_ascii_lowercase(), e.port)
        } else {
            Key::Addr(e.ip, e.port)
        };
        map.entry(key).or_default().push(e);
    }
    map
}

/// One-to-one is matched whatever the addresses; several-to-several by address.
fn pair_up<'a>(
    olds: &[&'a Endpoint],
    news: &[&'a Endpoint],
) -> Vec<(Option<&'a Endpoint>, Option<&'a Endpoint>)> {
    if let ([o], [n]) = (olds, news) {
        return vec![(Some(*o), Some(*n))];
    }
    let mut pairs = Vec::new();
    let mut taken = vec![false; news.len()];
    for o in olds {
        let found = news
            .iter()
            .enumerate()
            .find(|(i, n)| !taken.get(*i).copied().unwrap_or(true) && n.ip == o.ip);
        match found {
            Some((i, n)) => {
                if let Some(t) = taken.get_mut(i) {
                    *t = true;
                }
                pairs.push((Some(*o), Some(*n)));
            }
            None => pairs.push((Some(*o), None)),
        }
    }
    for (n, t) in news.iter().zip(taken) {
        if !t {
            pairs.push((None, Some(*n)));
        }
    }
    pairs
}

fn label(e: &Endpoint, ambiguous: bool) -> String {
    if ambiguous && host_is_name(e) {
        format!("{} ({})", endpoint_label(e), e.ip)
    } else {
        endpoint_label(e)
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

fn appeared(n: &Endpoint, ambiguous: bool) -> Change {
    let verdict = verdict_text(n.verdict);
    let message = format!(
        "new endpoint ({}), verdict {verdict}",
        status_text(n.status)
    );
    Change::new(&label(n, ambiguous), ChangeKind::EndpointAppeared, message)
        .values(None, Some(verdict.into()))
        .regression(n.verdict == Verdict::Fail)
}

fn disappeared(o: &Endpoint, ambiguous: bool) -> Change {
    let verdict = verdict_text(o.verdict);
    let message = format!(
        "no longer in the report (was {}, verdict {verdict})",
        status_text(o.status)
    );
    Change::new(
        &label(o, ambiguous),
        ChangeKind::EndpointDisappeared,
        message,
    )
    .values(Some(verdict.into()), None)
}

/// Appends every change between two versions of one endpoint.
fn compare(o: &Endpoint, n: &Endpoint, ambiguous: bool, out: &mut Vec<Change>) {
    let endpoint = label(n, ambiguous);
    let at = |kind, message| Change::new(&endpoint, kind, message);

    if o.ip != n.ip {
        let message = format!("address {} -> {}", o.ip, n.ip);
        out.push(
            at(ChangeKind::AddressChanged, message)
                .values(Some(o.ip.to_string()), Some(n.ip.to_string())),
        );
    }
    if o.status != n.status {
        let (from, to) = (status_text(o.status), status_text(n.status));
        let why = n
            .error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        out.push(
            at(ChangeKind::StatusChanged, format!("{from} -> {to}{why}"))
                .values(Some(from.into()), Some(to.into())),
        );
    }
    if o.verdict != n.verdict {
        let (from, to) = (verdict_text(o.verdict), verdict_text(n.verdict));
        out.push(
            at(ChangeKind::VerdictChanged, format!("{from} -> {to}"))
                .values(Some(from.into()), Some(to.into()))
                .regression(n.verdict == Verdict::Fail),
        );
    }

    let versions: BTreeSet<Protocol> = o
        .protocols
        .keys()
        .chain(n.protocols.keys())
        .copied()
        .collect();
    for p in versions {
        match (o.protocols.get(&p), n.protocols.get(&p)) {
            (None, Some(nr)) => {
                // Worse unless every suite it brings is approved and no finding fails it
                // (TLS 1.3 switched on with approved suites is progress).
                let all_approved = !nr.suites.is_empty() && nr.suites.iter().all(|s| s.approved);
                let failing = n
                    .findings
                    .iter()
                    .any(|f| f.protocol == Some(p) && is_unwaived_fail(f));
                let count = nr.suites.len();
                let message = format!("{p} newly accepted ({count} suite{})", plural(count));
                out.push(
                    at(ChangeKind::ProtocolAccepted, message)
                        .protocol(p)
                        .item(p.label())
                        .regression(!all_approved || failing),
                );
                for s in &nr.suites {
                    out.push(suite_change(&endpoint, p, s, true));
                }
            }
            (Some(or), None) => {
                let count = or.suites.len();
                let message = format!(
                    "{p} no longer accepted (had {count} suite{})",
                    plural(count)
                );
                out.push(
                    at(ChangeKind::ProtocolDropped, message)
                        .protocol(p)
                        .item(p.label()),
                );
            }
            (Some(or), Some(nr)) => {
                let old_codes: BTreeSet<_> = or.suites.iter().map(|s| s.code).collect();
                let new_codes: BTreeSet<_> = nr.suites.iter().map(|s| s.code).collect();
                for s in nr.suites.iter().filter(|s| !old_codes.contains(&s.code)) {
                    out.push(suite_change(&endpoint, p, s, true));
                }
                for s in or.suites.iter().filter(|s| !new_codes.contains(&s.code)) {
                    out.push(suite_change(&endpoint, p, s, false));
                }
            }
            (None, None) => {}
        }
    }

    if o.preferred_suite != n.preferred_suite {
        let approved = |e: &Endpoint, name: &str| {
            e.protocols
                .values()
                .flat_map(|r| r.suites.iter())
                .find(|s| s.name == name)
                .map(|s| s.approved)
        };
        let new_bad = n.preferred_suite.as_deref().and_then(|s| approved(n, s)) == Some(false);
        let old_bad = o.preferred_suite.as_deref().and_then(|s| approved(o, s)) == Some(false);
        let from = o.preferred_suite.clone().unwrap_or_else(|| "none".into());
        let to = n.preferred_suite.clone().unwrap_or_else(|| "none".into());
        let note = if new_bad { " (not approved)" } else { "" };
        out.push(
            at(
                ChangeKind::PreferredChanged,
                format!("{from} -> {to}{note}"),
            )
            .values(Some(from), Some(to))
            .regression(new_bad && !old_bad),
        );
    }

    findings(&endpoint, &o.findings, &n.findings, out);
}

fn suite_change(endpoint: &str, p: Protocol, s: &SuiteEntry, added: bool) -> Change {
    let approval = if s.approved {
        "approved"
    } else {
        "not approved"
    };
    let (kind, verb) = if added {
        (ChangeKind::SuiteAccepted, "newly accepted")
    } else {
        (ChangeKind::SuiteDropped, "no longer accepted")
    };
    let message = format!("{p} {} ({}) {verb}, {approval}", s.name, s.code);
    Change::new(endpoint, kind, message)
        .protocol(p)
        .item(s.name.as_str())
        .regression(added && !s.approved)
}

type FindingKey<'a> = (&'a str, Option<Protocol>, Option<&'a str>);

fn finding_key(f: &Finding) -> FindingKey<'_> {
    (f.id.as_str(), f.protocol, f.item.as_deref())
}

/// Findings are matched by (id, protocol, item): the message may be reworded between
/// versions without making a change.
fn findings(endpoint: &str, old: &[Finding], new: &[Finding], out: &mut Vec<Change>) {
    let olds: BTreeMap<FindingKey<'_>, &Finding> =
        old.iter().map(|f| (finding_key(f), f)).collect();
    let news: BTreeMap<FindingKey<'_>, &Finding> =
        new.iter().map(|f| (finding_key(f), f)).collect();
    let about = |f: &Finding, kind, message| {
        let c = Change::new(endpoint, kind, message).item(f.id.as_str());
        match f.protocol {
            Some(p) => c.protocol(p),
            None => c,
        }
    };
    for (key, n) in &news {
        match olds.get(key) {
            None => {
                let message = format!("{} {}: {}", finding_state(n), n.id, n.message);
                out.push(about(n, ChangeKind::FindingNew, message).regression(is_unwaived_fail(n)));
            }
            Some(o) if finding_state(o) != finding_state(n) => {
                let (from, to) = (finding_state(o), finding_state(n));
                let message = format!("{} {from} -> {to}: {}", n.id, n.message);
                out.push(
                    about(n, ChangeKind::FindingChanged, message)
                        .values(Some(from), Some(to))
                        .regression(is_unwaived_fail(n) && !is_unwaived_fail(o)),
                );
            }
            Some(_) => {}
        }
    }
    for (key, o) in &olds {
        if !news.contains_key(key) {
            let message = format!("{} {} resolved: {}", finding_state(o), o.id, o.message);
            out.push(about(o, ChangeKind::FindingResolved, message));
        }
    }
}

fn is_unwaived_fail(f: &Finding) -> bool {
    f.severity == Severity::Fail && f.waived.is_none()
}

/// `fail`, `warn`, `fail (waived)`.
fn finding_state(f: &Finding) -> String {
    let sev = match f.severity {
        Severity::Fail => "fail",
        Severity::Warn => "warn",
        Severity::Info => "info",
    };
    if f.waived.is_some() {
        format!("{sev} (waived)")
    } else {
        sev.to_string()
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

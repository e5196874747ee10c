//! The changes between two versions of one endpoint, each classified as a regression or not:
//! status, verdict, versions, suites per version (by code), preferred suite, findings (by id,
//! version and item). No I/O.

use std::collections::{BTreeMap, BTreeSet};

use super::matching::label;
use super::{plural, status_text, verdict_text, Change, ChangeKind};
use crate::model::{Endpoint, Finding, Severity, SuiteEntry, Verdict};
use crate::protocol::Protocol;

pub(super) fn appeared(n: &Endpoint, ambiguous: bool) -> Change {
    let verdict = verdict_text(n.verdict);
    let message = format!(
        "new endpoint ({}), verdict {verdict}",
        status_text(n.status)
    );
    Change::new(&label(n, ambiguous), ChangeKind::EndpointAppeared, message)
        .values(None, Some(verdict.into()))
        .regression(n.verdict == Verdict::Fail)
}

pub(super) fn disappeared(o: &Endpoint, ambiguous: bool) -> Change {
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
pub(super) fn compare(o: &Endpoint, n: &Endpoint, ambiguous: bool, out: &mut Vec<Change>) {
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

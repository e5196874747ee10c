//! `fipsprobe merge A.json B.json … -o OUT.json`: one report from the shards of a scan
//! (`--shard K/N` on several machines).
//!
//! Shards must share the schema version and the policy (id and sha256), or the merged verdicts
//! would mean different things; the error names both files. The summary is recounted, the
//! endpoints sorted by (ip, port, host), the time span widened to cover every shard, and the
//! merged report is complete only when every shard was. An endpoint present in several shards
//! (overlapping shard specs, a re-run) is kept once, preferring an assessed copy, and noted.
//!
//! Verdicts are not taken on trust: each endpoint's is recomputed from its findings
//! ([`recheck`]), and a shard whose stated verdict contradicts them (a `pass` with an unwaived
//! `fail` finding, a `not_assessed` with one and no gap that cut its enumeration short, a
//! `fail` without one, a `pass` for an endpoint that did not answer TLS) is refused, so an edited report cannot count as a pass.
//! Pure: no I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{endpoint_label, ReportError};
use crate::model::{Endpoint, Report, Severity, Status, Summary, Verdict, SCHEMA_VERSION};

/// A merged report and what a person should be told about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The merged report.
    pub report: Report,
    /// One line per duplicate endpoint dropped (`10.0.0.5:6443 is in a.json and b.json; kept
    /// the copy from a.json`), for stderr.
    pub notes: Vec<String>,
}

/// Merges shard reports, given with the path each was read from (used in errors and notes).
///
/// `args` of the result is `["fipsprobe", "merge", <paths>…]`; a caller with the real command
/// line may overwrite it. Errors: no report, a schema version other than 1, different
/// policies, an unparseable timestamp.
pub fn merge(reports: Vec<(String, Report)>) -> Result<Report, ReportError> {
    merge_with_notes(reports).map(|m| m.report)
}

/// [`merge`], also returning the notes about duplicate endpoints.
pub fn merge_with_notes(reports: Vec<(String, Report)>) -> Result<Merged, ReportError> {
    let Some((first_file, first)) = reports.first() else {
        return Err(ReportError::NothingToMerge);
    };
    for (file, r) in &reports {
        if r.schema_version != SCHEMA_VERSION {
            return Err(ReportError::SchemaVersion {
                file: file.clone(),
                found: r.schema_version.to_string(),
                expected: SCHEMA_VERSION,
            });
        }
        if r.policy != first.policy {
            return Err(ReportError::MixedPolicy {
                first_file: first_file.clone(),
                first_policy: format!("{} (sha256 {})", first.policy.id, first.policy.sha256),
                other_file: file.clone(),
                other_policy: format!("{} (sha256 {})", r.policy.id, r.policy.sha256),
            });
        }
    }

    for (file, r) in &reports {
        for e in &r.endpoints {
            recheck(file, e)?;
        }
    }

    let mut started: Option<(OffsetDateTime, &str)> = None;
    let mut finished: Option<(OffsetDateTime, &str)> = None;
    for (file, r) in &reports {
        let s = parse_time(file, "started_at", &r.started_at)?;
        let f = parse_time(file, "finished_at", &r.finished_at)?;
        if started.is_none_or(|(t, _)| s < t) {
            started = Some((s, &r.started_at));
        }
        if finished.is_none_or(|(t, _)| f > t) {
            finished = Some((f, &r.finished_at));
        }
    }
    let started_at = started.map(|(_, s)| s.to_string()).unwrap_or_default();
    let finished_at = finished.map(|(_, s)| s.to_string()).unwrap_or_default();

    // Deduplicate by (ip, port, host): the same address under two names is two endpoints
    // (different SNI); the same triple twice is one endpoint scanned twice.
    let mut kept: BTreeMap<(IpAddr, u16, String), (usize, Endpoint)> = BTreeMap::new();
    let mut notes = Vec::new();
    for (index, (file, r)) in reports.iter().enumerate() {
        for e in &r.endpoints {
            let key = (e.ip, e.port, e.host.to_ascii_lowercase());
            match kept.get_mut(&key) {
                None => {
                    kept.insert(key, (index, e.clone()));
                }
                Some((kept_index, kept_e)) => {
                    let kept_file = reports.get(*kept_index).map_or("?", |(f, _)| f.as_str());
                    // An assessed copy beats one that timed out or was refused.
                    let replace = kept_e.status != Status::Tls && e.status == Status::Tls;
                    let winner = if replace { file.as_str() } else { kept_file };
                    notes.push(format!(
                        "{} is in both {kept_file} and {file}; kept the copy from {winner}",
                        endpoint_label(e)
                    ));
                    if replace {
                        *kept_index = index;
                        *kept_e = e.clone();
                    }
                }
            }
        }
    }
    let endpoints: Vec<Endpoint> = kept.into_values().map(|(_, e)| e).collect();
    for (file, r) in &reports {
        if r.tool != first.tool {
            notes.push(format!(
                "{file} was written by {} {} ({}), {first_file} by {} {} ({}); the merged report names the latter",
                r.tool.name, r.tool.version, r.tool.crypto_provider,
                first.tool.name, first.tool.version, first.tool.crypto_provider
            ));
        }
    }

    let mut args = vec!["fipsprobe".to_string(), "merge".to_string()];
    args.extend(reports.iter().map(|(f, _)| f.clone()));
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: first.tool.clone(),
        policy: first.policy.clone(),
        started_at,
        finished_at,
        args,
        complete: reports.iter().all(|(_, r)| r.complete),
        summary: Summary::of(&endpoints),
        endpoints,
        binaries: Vec::new(),
    };
    let report = crate::binaries::merge_into(report, reports.iter().map(|(_, r)| r));
    Ok(Merged { report, notes })
}

/// Recomputes what an endpoint's findings allow its verdict to be and refuses a contradiction:
/// any unwaived `fail` finding makes it `fail`; `fail` needs one; `pass` needs a TLS answer.
/// A `pass` or `not_assessed` without fail findings stands (grading decided between them).
pub fn recheck(file: &str, e: &Endpoint) -> Result<(), ReportError> {
    let failing = e
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Fail && f.waived.is_none())
        .count();
    let (stated, reason) = match e.verdict {
        // A cut-short enumeration is not assessed whatever it failed; its gaps say so.
        Verdict::NotAssessed if failing > 0 && e.gaps.iter().any(|g| g.cuts_enumeration()) => {
            return Ok(())
        }
        Verdict::Pass | Verdict::NotAssessed if failing > 0 => (
            verdict_name(e.verdict),
            format!("has {failing} unwaived fail finding{}", plural(failing)),
        ),
        Verdict::Fail if failing == 0 => ("fail", "has no unwaived fail finding".to_string()),
        Verdict::Pass if e.status != Status::Tls => (
            "pass",
            format!("its status is {}, not tls", status_name(e.status)),
        ),
        _ => return Ok(()),
    };
    Err(ReportError::Contradiction {
        file: file.to_string(),
        endpoint: super::escape::terminal(&endpoint_label(e)).into_owned(),
        stated,
        reason,
    })
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NotAssessed => "not_assessed",
    }
}

fn status_name(s: Status) -> &'static str {
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

fn parse_time(file: &str, field: &'static str, value: &str) -> Result<OffsetDateTime, ReportError> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| ReportError::Timestamp {
        file: file.to_string(),
        field,
        value: value.to_string(),
    })
}

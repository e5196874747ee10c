//! One scan, start to finish: targets → engine → grading → report. No printing: each graded
//! endpoint is handed to the caller as it finishes (for JSONL and progress), and the whole
//! report is returned at the end.

use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::{
    ConnError, Endpoint, ErrorKind, Observation, PolicyRef, Report, Status, Summary, Tool, Verdict,
    SCHEMA_VERSION,
};
use crate::policy::{self, Policy, Waivers};
use crate::probe::{self, ScanConfig, Stop};
use crate::targets::{Resolve, TargetSet};

/// Planned endpoints waiting for the engine.
const PLANNED_QUEUE: usize = 256;

/// Everything a scan needs.
pub struct ScanJob {
    /// What to scan.
    pub targets: TargetSet,
    /// How names are resolved.
    pub resolver: Arc<dyn Resolve>,
    /// Engine settings.
    pub config: ScanConfig,
    /// The policy to grade against.
    pub policy: Policy,
    /// Accepted exceptions.
    pub waivers: Waivers,
    /// The command line, recorded in the report.
    pub args: Vec<String>,
}

/// The overall result, which `main` maps to an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every endpoint that answered TLS passes, and at least one answered (exit 0).
    Pass,
    /// At least one endpoint fails (exit 1): a `fail`, or a `not_assessed` whose partial
    /// results already carry an unwaived fail finding.
    Fail,
    /// Nothing failed, but the scan is incomplete (exit 3).
    Incomplete,
}

impl Outcome {
    /// The worse of two outcomes (a fail outranks incompleteness, which outranks a pass).
    pub fn and(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::Fail, _) | (_, Outcome::Fail) => Outcome::Fail,
            (Outcome::Incomplete, _) | (_, Outcome::Incomplete) => Outcome::Incomplete,
            _ => Outcome::Pass,
        }
    }

    /// The exit code of docs/report.md.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Incomplete => 3,
        }
    }
}

/// Whether an endpoint belongs in the report: closed or filtered addresses inside a range
/// are normal and would drown the report; anything named explicitly, or open, stays (an open
/// port that proves nothing is reported, never dropped).
pub fn worth_reporting(obs: &Observation) -> bool {
    obs.id.explicit
        || match obs.status {
            Status::Closed => false,
            Status::Timeout => !matches!(obs.failure, Some(ConnError::ConnectTimeout(_))),
            _ => true,
        }
}

/// Whether a reported endpoint leaves the scan incomplete: it was not assessed, and it was
/// named explicitly or is an open port (a closed, filtered or non-TLS member of a range is a
/// normal answer).
pub fn leaves_incomplete(e: &Endpoint) -> bool {
    if e.verdict != Verdict::NotAssessed {
        return false;
    }
    e.explicit
        || match e.status {
            Status::Tls | Status::Error => true,
            Status::Timeout => e.error_kind != Some(ErrorKind::ConnectTimeout),
            Status::Closed | Status::NotTls => false,
        }
}

/// The outcome of a finished report: its endpoints', and its binaries' when it has any.
pub fn outcome(report: &Report) -> Outcome {
    let endpoints = endpoint_outcome(report);
    if report.binaries.is_empty() {
        endpoints
    } else {
        endpoints.and(crate::binaries::outcome(&report.binaries))
    }
}

fn endpoint_outcome(report: &Report) -> Outcome {
    let eps = &report.endpoints;
    // A not-assessed endpoint whose partial lists already fail still fails the policy.
    if eps.iter().any(|e| e.verdict == Verdict::Fail || e.fails()) {
        return Outcome::Fail;
    }
    let any_tls = eps.iter().any(|e| e.status == Status::Tls);
    if !report.complete || eps.iter().any(leaves_incomplete) || !any_tls {
        Outcome::Incomplete
    } else {
        Outcome::Pass
    }
}

/// The tool block of a report written by this build.
pub fn tool() -> Tool {
    Tool {
        name: "fipsprobe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        crypto_provider: crate::fips::provider_name().into(),
        fips_mode: crate::fips::enabled(),
    }
}

/// Now, RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Runs a scan; `on_endpoint` sees every endpoint as it finishes (its observation and its
/// graded report entry), with `true` when it goes into the report.
pub async fn run(
    job: ScanJob,
    stop: Stop,
    mut on_endpoint: impl FnMut(&Observation, &Endpoint, bool),
) -> Report {
    let started_at = now_rfc3339();
    let today = OffsetDateTime::now_utc().date();
    // A short queue of planned endpoints is enough to keep the engine fed (the expansion is
    // cheap); a long one only adds to the resident set of a large sweep (a /12 at 1024 peaked
    // at 2.2x a /24's RSS, at 256 at 1.6x).
    let planned = job.targets.into_stream(job.resolver, PLANNED_QUEUE);
    let mut results = probe::spawn(planned, job.config, stop.clone());
    let mut endpoints = Vec::new();
    while let Some(obs) = results.recv().await {
        let reported = worth_reporting(&obs);
        let grade = policy::grade(&job.policy, &obs, &job.waivers, today);
        let e = Endpoint::new(obs.clone(), grade);
        on_endpoint(&obs, &e, reported);
        if reported {
            endpoints.push(e);
        }
    }
    endpoints.sort_by(|a, b| (a.ip, a.port, &a.host).cmp(&(b.ip, b.port, &b.host)));
    let interrupted = stop.drain.is_cancelled() || stop.abort.is_cancelled();
    let complete = !interrupted && !endpoints.iter().any(leaves_incomplete);
    Report {
        schema_version: SCHEMA_VERSION,
        tool: tool(),
        policy: PolicyRef {
            id: job.policy.id().to_string(),
            sha256: job.policy.sha256().to_string(),
        },
        started_at,
        finished_at: now_rfc3339(),
        args: job.args,
        complete,
        summary: Summary::of(&endpoints),
        endpoints,
        binaries: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(endpoints: Vec<Endpoint>) -> Report {
        Report {
            schema_version: 1,
            tool: tool(),
            policy: PolicyRef {
                id: "fips-140-3".into(),
                sha256: String::new(),
            },
            started_at: String::new(),
            finished_at: String::new(),
            args: vec![],
            complete: true,
            summary: Summary::of(&endpoints),
            endpoints,
            binaries: Vec::new(),
        }
    }

    fn ep(status: Status, verdict: Verdict, explicit: bool) -> Endpoint {
        let id = crate::model::EndpointId {
            explicit,
            ..crate::model::EndpointId::new(
                "t".into(),
                "h".into(),
                std::net::IpAddr::from([127, 0, 0, 1]),
                1,
            )
        };
        let obs = Observation {
            status,
            ..Observation::new(id)
        };
        let reasons = if verdict == Verdict::NotAssessed {
            vec!["x".to_string()]
        } else {
            Vec::new()
        };
        let findings = if verdict == Verdict::Fail {
            vec![crate::model::Finding {
                id: "x".into(),
                severity: crate::model::Severity::Fail,
                message: "x".into(),
                item: None,
                protocol: None,
                source: None,
                waived: None,
            }]
        } else {
            Vec::new()
        };
        let grade = crate::model::Grade::new(findings, Default::default(), Vec::new(), reasons);
        Endpoint::new(obs, grade)
    }

    #[test]
    fn outcomes_follow_the_spec() {
        use Status::*;
        use Verdict::*;
        assert_eq!(outcome(&report(vec![ep(Tls, Pass, true)])), Outcome::Pass);
        assert_eq!(
            outcome(&report(vec![ep(Tls, Pass, true), ep(Tls, Fail, false)])),
            Outcome::Fail
        );
        // A fail outranks incompleteness.
        assert_eq!(
            outcome(&report(vec![
                ep(Timeout, NotAssessed, true),
                ep(Tls, Fail, true)
            ])),
            Outcome::Fail
        );
        assert_eq!(
            outcome(&report(vec![
                ep(Tls, Pass, true),
                ep(Timeout, NotAssessed, true)
            ])),
            Outcome::Incomplete
        );
        // Closed addresses inside a range are normal.
        assert_eq!(
            outcome(&report(vec![
                ep(Tls, Pass, false),
                ep(Closed, NotAssessed, false)
            ])),
            Outcome::Pass
        );
        // An open port inside a range that proves nothing is not.
        assert_eq!(
            outcome(&report(vec![
                ep(Tls, Pass, false),
                ep(Tls, NotAssessed, false)
            ])),
            Outcome::Incomplete
        );
        // Nothing answered TLS at all.
        assert_eq!(outcome(&report(vec![])), Outcome::Incomplete);
    }

    #[test]
    fn range_members_are_reported_when_open() {
        let id = crate::model::EndpointId::new(
            "10.0.0.0/24".into(),
            "10.0.0.1".into(),
            std::net::IpAddr::from([10, 0, 0, 1]),
            443,
        );
        let filtered = Observation::failed(
            id.clone(),
            ConnError::ConnectTimeout(std::time::Duration::from_secs(3)),
        );
        assert!(!worth_reporting(&filtered));
        let closed = Observation::failed(id.clone(), ConnError::Refused);
        assert!(!worth_reporting(&closed));
        let tarpit = Observation::failed(
            id,
            ConnError::ReadTimeout {
                limit: std::time::Duration::from_secs(5),
                partial: false,
                what: crate::model::Awaited::ServerHello,
            },
        );
        assert!(worth_reporting(&tarpit));
    }
}

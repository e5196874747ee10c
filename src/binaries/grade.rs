//! An inspection under a policy's `[[module]]` rules → findings and a verdict. A verdict is
//! earned: `pass` only when every module found is decided validated (or host-provided, and the
//! host provides it); a file that could not be inspected, a module the policy cannot decide,
//! or a host that does not run the FIPS provider leaves the binary `not_assessed`. No I/O.

use super::host::HostFips;
use super::inspect::{Detected, Inspection};
use crate::model::{Finding, Severity, Verdict};
use crate::policy::{ModuleOutcome, Policy};

/// Grades one inspection.
pub fn grade(inspection: &Inspection, policy: &Policy, host: &HostFips) -> (Vec<Finding>, Verdict) {
    let mut findings: Vec<Finding> = inspection
        .notes
        .iter()
        .map(|n| finding(n.id, n.severity, n.message.clone(), None, None))
        .collect();
    if let Some(error) = &inspection.error {
        findings.push(finding(
            "not_inspectable",
            Severity::Info,
            format!("not assessed: {error}"),
            None,
            None,
        ));
        return (findings, Verdict::NotAssessed);
    }
    let go = inspection.go.as_ref().map(|g| g.version.as_str());
    let go_version = go.and_then(|v| v.split_whitespace().next());
    let mut undecided = false;
    let mut passed = false;
    for d in &inspection.modules {
        let item = Some(describe(d));
        let Some(rule) = policy
            .rules()
            .modules
            .find(d.module, d.version.as_deref(), go_version)
        else {
            undecided = true;
            findings.push(finding(
                "module_unlisted",
                Severity::Info,
                format!(
                    "not assessed: policy {} has no rule for {}",
                    policy.id(),
                    describe(d)
                ),
                item,
                None,
            ));
            continue;
        };
        let source = Some(rule.source.clone());
        let why = rule.reason.clone().unwrap_or_default();
        let cert = rule.certificate.clone().unwrap_or_default();
        match rule.outcome {
            ModuleOutcome::Validated => {
                passed = true;
                findings.push(finding(
                    "module_validated",
                    Severity::Info,
                    format!("{} ({}): validated, {cert}", describe(d), d.evidence),
                    item.clone(),
                    source.clone(),
                ));
            }
            ModuleOutcome::Host => {
                let (on, facts) = host.provides(d.module, d.version.as_deref());
                if on {
                    passed = true;
                    findings.push(finding(
                        "module_host_fips",
                        Severity::Info,
                        format!(
                            "{} ({}): the host runs its FIPS provider: {facts}",
                            describe(d),
                            d.evidence
                        ),
                        item.clone(),
                        source.clone(),
                    ));
                } else {
                    undecided = true;
                    findings.push(finding(
                        "module_host_not_fips",
                        Severity::Info,
                        format!(
                            "not assessed: {} ({}) is FIPS only with the host's FIPS provider enabled, and here: {facts}",
                            describe(d),
                            d.evidence
                        ),
                        item.clone(),
                        source.clone(),
                    ));
                }
            }
            ModuleOutcome::NotValidated => findings.push(finding(
                "module_not_validated",
                Severity::Fail,
                format!(
                    "{} ({}): not a validated module: {why}",
                    describe(d),
                    d.evidence
                ),
                item.clone(),
                source.clone(),
            )),
            ModuleOutcome::Undecided => {
                undecided = true;
                findings.push(finding(
                    "module_undecided",
                    Severity::Info,
                    format!("not assessed: {} ({}): {why}", describe(d), d.evidence),
                    item.clone(),
                    source.clone(),
                ));
            }
        }
        if let Some(severity) = rule.fips_only {
            match d.fips_only {
                Some(true) => {}
                Some(false) => findings.push(finding(
                    "tls_not_fips_only",
                    severity,
                    format!(
                        "{}: TLS is not restricted to FIPS settings (crypto/tls/fipsonly not linked); \
                         the network scan shows what it negotiates",
                        describe(d)
                    ),
                    item.clone(),
                    source.clone(),
                )),
                None => {
                    if severity == Severity::Fail {
                        undecided = true;
                    }
                    findings.push(finding(
                        "tls_fips_only_unknown",
                        Severity::Info,
                        format!("{}: whether TLS is restricted to FIPS settings could not be told", describe(d)),
                        item,
                        source,
                    ));
                }
            }
        }
    }
    let failed = findings.iter().any(|f| f.severity == Severity::Fail);
    let verdict = if failed {
        Verdict::Fail
    } else if undecided || !passed {
        Verdict::NotAssessed
    } else {
        Verdict::Pass
    };
    (findings, verdict)
}

/// `go-fips140 v1.0.0-c2097c7c`, `openssl 3`, `go-standard`.
fn describe(d: &Detected) -> String {
    match &d.version {
        Some(v) => format!("{} {v}", d.module),
        None => d.module.to_string(),
    }
}

fn finding(
    id: &str,
    severity: Severity,
    message: String,
    item: Option<String>,
    source: Option<String>,
) -> Finding {
    Finding {
        id: id.to_string(),
        severity,
        message,
        item,
        protocol: None,
        source,
        waived: None,
    }
}

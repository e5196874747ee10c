//! Grading: one endpoint's [`Observation`] + a policy → a [`Grade`] (findings, the grade of
//! every accepted suite, the checks that could not be made, the verdict). Pure: the date is
//! passed in, nothing is mutated, so every rule can be tested with hand-built observations.
//!
//! A rule is checked only on facts the probe vouched for. A fact that is unknown (a sweep cut
//! short, a probe skipped by `--protocols` or `--suites-only`, a hello that got no answer)
//! raises no finding; if the rule applies, it goes into `unchecked` with the reason, and the
//! endpoint cannot pass (docs/report.md, "Verdicts"). An endpoint that negotiated no version
//! at all is `not_assessed` too, with the answers it gave.

use std::collections::BTreeMap;

use time::Date;

use super::cert::grade_certificate;
use super::rules::{Check, Outcome, Rule};
use super::{Policy, Waivers};
use crate::cipher_db::{db, CipherMode, Kx};
use crate::model::{
    Finding, GapCause, Grade, Observation, Probe, Refusal, Severity, Skip, Status, SuiteCode,
    SuiteGrade, Unchecked, Waived,
};
use crate::protocol::Protocol;
use crate::wire::AlertDescription;

/// Every finding id grading can produce, with a description. Ids are stable: never renamed.
pub fn finding_catalog() -> &'static [(&'static str, &'static str)] {
    &[
        ("protocol_not_approved", "A protocol version the policy does not approve is accepted."),
        ("protocol_discouraged", "A protocol version the policy allows only with a warning is accepted."),
        ("suite_not_approved", "A cipher suite the policy does not approve is accepted (one finding per suite and version)."),
        ("suite_discouraged", "A cipher suite the policy approves with a warning is accepted (one finding per suite and version)."),
        ("preferred_suite_not_approved", "The suite the server picks when offered everything is not approved."),
        ("tls13_missing", "TLS 1.3 is not accepted."),
        ("tls12_missing", "TLS 1.2 is not accepted."),
        ("ems_missing", "TLS 1.2 (or older) handshakes complete without the extended master secret (RFC 7627)."),
        ("ems_not_enforced", "The server supports the extended master secret but also completes TLS 1.2 handshakes with a client that does not offer it."),
        ("renegotiation_insecure", "The server does not support secure renegotiation (RFC 5746)."),
        ("compression_enabled", "The server accepts TLS compression."),
        ("encrypt_then_mac_missing", "A CBC suite is negotiated without Encrypt-then-MAC (RFC 7366)."),
        ("ocsp_stapling_missing", "Asked for the certificate status (status_request), the server staples no OCSP response."),
        ("fallback_scsv_missing", "A server offering TLS 1.0/1.1 without TLS 1.3 accepts a lower version from a client signalling TLS_FALLBACK_SCSV (RFC 7507)."),
        ("suite_outside_its_versions", "A cipher suite is negotiated in a version its defining RFC does not allow (an AES-GCM or SHA-256 suite in TLS 1.0/1.1, say); one finding per suite and version."),
        (
            "dh_key_too_small",
            "The server's finite-field DHE group is smaller than the policy's minimum.",
        ),
        ("group_not_approved", "A key-exchange group the policy does not approve is accepted."),
        ("group_discouraged", "A key-exchange group the policy approves with a warning is accepted."),
        ("sig_scheme_not_approved", "A signature scheme the policy does not approve is accepted."),
        ("sig_scheme_discouraged", "A signature scheme the policy approves with a warning is accepted."),
        ("cert_key_too_small", "A certificate's public key is smaller than the policy's minimum."),
        ("cert_key_type_not_approved", "A certificate's key type is not approved by the policy."),
        ("cert_curve_not_approved", "A certificate's EC key is on a curve the policy does not approve."),
        ("cert_curve_discouraged", "A certificate's EC key is on a curve the policy allows only with a warning."),
        ("cert_signature_weak", "A certificate is signed with a hash the policy forbids (MD5, SHA-1)."),
        ("cert_expired", "A certificate in the chain has expired."),
        ("cert_expiring", "A certificate in the chain expires within the policy's warning period."),
        ("waiver_expired", "A waiver for a finding of this endpoint has expired and no longer applies."),
    ]
}

/// Grades one observed endpoint. `today` decides certificate expiry and waiver validity.
pub fn grade(policy: &Policy, obs: &Observation, waivers: &Waivers, today: Date) -> Grade {
    if obs.status != Status::Tls {
        let reason = obs.failure.as_ref().map_or_else(
            || {
                format!(
                    "the endpoint gave no TLS answer (status {})",
                    obs.status.label()
                )
            },
            ToString::to_string,
        );
        return Grade::new(Vec::new(), BTreeMap::new(), Vec::new(), vec![reason]);
    }
    let mut g = Grader {
        policy,
        obs,
        out: Findings::default(),
        suites: BTreeMap::new(),
        unchecked: Vec::new(),
    };
    g.protocols();
    g.preferred();
    g.requirements();
    g.groups();
    g.sig_schemes();
    grade_certificate(policy, obs, today, &mut g.out, &mut g.unchecked);
    let Grader {
        out,
        suites,
        unchecked,
        ..
    } = g;
    let mut findings = out.0;
    apply_waivers(obs, &mut findings, waivers, today);
    let reasons = reasons(obs, &unchecked);
    let grade = Grade::new(findings, suites, unchecked, reasons);
    match cut_short(obs) {
        Some(why) => grade.cut_short(why),
        None => grade,
    }
}

/// Why the endpoint's lists may be missing entries, when they may: one line naming what was
/// cut short and by what.
fn cut_short(obs: &Observation) -> Option<String> {
    let cut: Vec<String> = obs
        .gaps
        .iter()
        .filter(|g| g.cuts_enumeration())
        .map(|g| format!("{} ({})", g.probe, g.cause))
        .collect();
    let (first, rest) = cut.split_first()?;
    let more = match rest.len() {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Some(format!(
        "the enumeration was cut short, so the lists may be missing entries: {first}{more}"
    ))
}

/// Why an endpoint that speaks TLS is not assessed: no version negotiated, or checks that
/// could not be made (one reason per cause, naming the checks).
fn reasons(obs: &Observation, unchecked: &[Unchecked]) -> Vec<String> {
    let mut out = Vec::new();
    if obs.accepted.is_empty() {
        out.push(no_version_reason(obs));
    }
    let mut by_cause: Vec<(&str, Vec<String>)> = Vec::new();
    for u in unchecked {
        let check = match u.protocol {
            Some(p) => format!("{} ({p})", u.check),
            None => u.check.clone(),
        };
        match by_cause.iter_mut().find(|(r, _)| *r == u.reason) {
            Some((_, list)) => {
                if !list.contains(&check) {
                    list.push(check);
                }
            }
            None => by_cause.push((&u.reason, vec![check])),
        }
    }
    for (cause, checks) in by_cause {
        out.push(format!(
            "{} policy check{} could not be made: {cause}: {}",
            checks.len(),
            if checks.len() == 1 { "" } else { "s" },
            checks.join(", ")
        ));
    }
    out
}

/// What an endpoint that negotiated nothing said, in one line an auditor can act on.
fn no_version_reason(obs: &Observation) -> String {
    let alerts: Vec<AlertDescription> = obs
        .refused
        .values()
        .filter_map(|r| match r {
            Refusal::Alert(a) => Some(*a),
            _ => None,
        })
        .collect();
    let all_same = alerts
        .first()
        .filter(|a| alerts.len() == obs.refused.len() && alerts.iter().all(|b| b == *a));
    // A name-based server may refuse SSLv2/SSLv3 otherwise before it looks at the name: one
    // unrecognized_name is enough to say what to do.
    let sni = alerts.contains(&AlertDescription::UNRECOGNIZED_NAME);
    match all_same {
        Some(&a) if a == AlertDescription::UNRECOGNIZED_NAME => format!(
            "no protocol version was negotiated: every hello was refused with alert {a}: \
             the server requires SNI: scan it by host name or pass --sni NAME"
        ),
        _ if sni => {
            let said: Vec<String> = obs
                .refused
                .iter()
                .map(|(v, r)| format!("{v}: {r}"))
                .collect();
            format!(
                "no protocol version was negotiated ({}): the server requires SNI: scan it \
                 by host name or pass --sni NAME",
                said.join("; ")
            )
        }
        Some(&a) if obs.gaps.is_empty() => {
            format!("no protocol version was negotiated: every hello was refused with alert {a}")
        }
        _ => {
            let said: Vec<String> = obs
                .refused
                .iter()
                .map(|(v, r)| format!("{v}: {r}"))
                .collect();
            if said.is_empty() {
                "no protocol version was negotiated".to_string()
            } else {
                format!("no protocol version was negotiated ({})", said.join("; "))
            }
        }
    }
}

struct Grader<'a> {
    policy: &'a Policy,
    obs: &'a Observation,
    out: Findings,
    suites: BTreeMap<(Protocol, SuiteCode), SuiteGrade>,
    unchecked: Vec<Unchecked>,
}

impl Grader<'_> {
    /// Why the answer of `probe` is unknown: its gap, else "no answer carried it".
    fn reason(&self, probe: Probe) -> String {
        match self.obs.gap(probe) {
            Some(g) => g.cause.to_string(),
            None => format!("no answer of the {probe} probe carried it"),
        }
    }

    fn unchecked(&mut self, check: &str, protocol: Option<Protocol>, reason: String) {
        let u = Unchecked {
            check: check.to_string(),
            protocol,
            reason,
        };
        if !self.unchecked.contains(&u) {
            self.unchecked.push(u);
        }
    }

    /// Protocol and suite rules, per version; a version whose sweep is unknown or cut short is
    /// unchecked where the policy could fail something at it.
    fn protocols(&mut self) {
        for p in Protocol::ALL {
            let gap = self.obs.gap(Probe::Suites(p)).map(|g| g.cause.to_string());
            match self.obs.accepted.get(&p) {
                Some(acc) => {
                    self.accepted_version(p, &acc.suites);
                    if let Some(reason) = gap {
                        if can_fail_at(self.policy, p) {
                            self.unchecked("suite_not_approved", Some(p), reason);
                        }
                    }
                }
                None if self.obs.refused.contains_key(&p) && gap.is_none() => {}
                None => {
                    if !can_fail_at(self.policy, p) {
                        continue;
                    }
                    let reason = gap.unwrap_or_else(|| Skip::NotRequested.to_string());
                    let check = if self.policy.protocol_verdict(p).is_approved() {
                        "suite_not_approved"
                    } else {
                        "protocol_not_approved"
                    };
                    self.unchecked(check, Some(p), reason);
                }
            }
        }
    }

    fn accepted_version(&mut self, p: Protocol, suites: &[SuiteCode]) {
        let prule = self.policy.protocol_verdict(p).rule();
        self.out.push_rule(
            prule,
            "protocol_not_approved",
            "protocol_discouraged",
            "protocol",
            p.label(),
            Some(p),
        );
        for &code in suites {
            let known = code.two_byte().and_then(|c| db().suite(c));
            let rule = match known {
                // SSLv2 cipher specs (3-byte codes) have no suite rules: the protocol decides.
                _ if p == Protocol::Ssl2 => prule,
                Some(s) => self.policy.suite_verdict(s, p).rule(),
                None => self.policy.unlisted().rule(),
            };
            self.suites.insert((p, code), suite_grade(rule.outcome));
            let (name, _) = crate::model::suite_names(p, code);
            let item = if known.is_some() || p == Protocol::Ssl2 {
                name
            } else {
                format!("{name} ({code}, unknown to cipher-db)")
            };
            self.out.push_rule(
                rule,
                "suite_not_approved",
                "suite_discouraged",
                "cipher suite",
                &item,
                Some(p),
            );
        }
    }

    fn preferred(&mut self) {
        let Some(p) = self.obs.highest() else { return };
        let Some(code) = self
            .obs
            .accepted
            .get(&p)
            .and_then(|a| a.suites.first())
            .copied()
        else {
            return;
        };
        let (name, _) = crate::model::suite_names(p, code);
        let rule = match code.two_byte().and_then(|c| db().suite(c)) {
            Some(s) if p != Protocol::Ssl2 => self.policy.suite_verdict(s, p).rule(),
            _ if p == Protocol::Ssl2 => self.policy.protocol_verdict(p).rule(),
            _ => self.policy.unlisted().rule(),
        };
        if rule.outcome.is_approved() {
            return;
        }
        if let Some(severity) = rule.outcome.severity() {
            let message = format!(
                "preferred suite {name} ({p}) is not approved: the server picks it when offered every suite (rule {}; {})",
                rule.id, rule.source
            );
            self.out.push(
                "preferred_suite_not_approved",
                severity,
                message,
                Some(name),
                Some(p),
                &rule.source,
            );
        }
    }

    fn requirements(&mut self) {
        let obs = self.obs;
        let facts = &obs.facts;
        let tls_legacy = obs
            .accepted
            .keys()
            .any(|p| *p >= Protocol::Tls10 && *p <= Protocol::Tls12);
        let legacy = obs
            .accepted
            .keys()
            .any(|p| *p >= Protocol::Ssl3 && *p <= Protocol::Tls12);
        let highest_legacy = obs
            .accepted
            .keys()
            .rev()
            .find(|p| **p <= Protocol::Tls12 && **p >= Protocol::Ssl3)
            .copied();
        for req in &self.policy.rules().requires {
            let (id, message, protocol) = match req.check {
                Check::Tls13 | Check::Tls12 => {
                    let (v, id) = if req.check == Check::Tls13 {
                        (Protocol::Tls13, "tls13_missing")
                    } else {
                        (Protocol::Tls12, "tls12_missing")
                    };
                    if obs.accepted.contains_key(&v) {
                        continue;
                    }
                    if !obs.version_known(v) {
                        let reason = self.reason_for_version(v);
                        self.unchecked(id, Some(v), reason);
                        continue;
                    }
                    let evidence = obs
                        .refused
                        .get(&v)
                        .map(|r| format!(" (the server answered with {r})"))
                        .unwrap_or_default();
                    (id, format!("{v} is not accepted{evidence}"), None)
                }
                Check::Ems if tls_legacy => match facts.extended_master_secret {
                    Some(true) => continue,
                    Some(false) => (
                        "ems_missing",
                        "TLS 1.2 handshakes complete without the extended master secret (RFC 7627)"
                            .to_string(),
                        Some(Protocol::Tls12),
                    ),
                    None => {
                        let probe = Probe::Suites(highest_legacy.unwrap_or(Protocol::Tls12));
                        let reason = self.reason(probe);
                        self.unchecked("ems_missing", None, reason);
                        continue;
                    }
                },
                Check::EmsEnforced if tls_legacy && facts.extended_master_secret == Some(true) => {
                    match facts.ems_required {
                        Some(true) => continue,
                        Some(false) => (
                            "ems_not_enforced",
                            "the server supports the extended master secret but also completes \
                             TLS 1.2 handshakes without it (RFC 7627)"
                                .to_string(),
                            Some(Protocol::Tls12),
                        ),
                        None => {
                            let reason = self.reason(Probe::EmsRequired);
                            self.unchecked("ems_not_enforced", None, reason);
                            continue;
                        }
                    }
                }
                Check::SecureRenegotiation if legacy => match facts.secure_renegotiation {
                    Some(true) => continue,
                    Some(false) => (
                        "renegotiation_insecure",
                        "secure renegotiation (RFC 5746 renegotiation_info) is not supported"
                            .to_string(),
                        None,
                    ),
                    None => {
                        let probe = Probe::Suites(highest_legacy.unwrap_or(Protocol::Tls12));
                        let reason = self.reason(probe);
                        self.unchecked("renegotiation_insecure", None, reason);
                        continue;
                    }
                },
                Check::NoCompression if legacy => match facts.compression {
                    Some(false) => continue,
                    Some(true) => (
                        "compression_enabled",
                        "TLS compression is accepted".to_string(),
                        None,
                    ),
                    None => {
                        let reason = self.reason(Probe::Features);
                        self.unchecked("compression_enabled", None, reason);
                        continue;
                    }
                },
                Check::SuiteVersions => {
                    self.suite_versions(req.severity, &req.source);
                    continue;
                }
                Check::EncryptThenMac | Check::OcspStapling | Check::FallbackScsv => {
                    match self.extension_requirement(req.check) {
                        Some(violation) => violation,
                        None => continue,
                    }
                }
                _ => continue,
            };
            self.out.push(
                id,
                req.severity,
                format!("{message} ({})", req.source),
                None,
                protocol,
                &req.source,
            );
        }
    }

    /// The SP 800-52r2 §3.4 extension requirements. Each applies only where the SP says it
    /// does, is a finding only on a fact the probe vouched for, and is unchecked when it
    /// applies and the fact is unknown.
    fn extension_requirement(&mut self, check: Check) -> Option<Violation> {
        let obs = self.obs;
        let facts = &obs.facts;
        let accepts = |p: Protocol| obs.accepted.contains_key(&p);
        match check {
            // §3.4.2: "The Encrypt-then-MAC extension shall be supported if the server is
            // configured to negotiate CBC cipher suites."
            Check::EncryptThenMac => {
                let cbc = obs.accepted.iter().any(|(p, a)| {
                    *p >= Protocol::Tls10
                        && *p <= Protocol::Tls12
                        && a.suites.iter().any(|c| {
                            c.two_byte()
                                .and_then(|c| db().suite(c))
                                .is_some_and(|s| s.cipher.mode == CipherMode::Cbc)
                        })
                });
                match (cbc, facts.encrypt_then_mac) {
                    (false, _) | (true, Some(true)) => None,
                    (true, Some(false)) => Some((
                        "encrypt_then_mac_missing",
                        "a CBC suite is negotiated without Encrypt-then-MAC (RFC 7366): the \
                         server ignored the client's encrypt_then_mac extension"
                            .to_string(),
                        None,
                    )),
                    (true, None) => {
                        let reason = self.reason(Probe::Features);
                        self.unchecked("encrypt_then_mac_missing", None, reason);
                        None
                    }
                }
            }
            // §3.4.1 lists Certificate Status Request among the extensions a server shall
            // support: a stapled response must come when asked.
            Check::OcspStapling => match facts.ocsp_stapling {
                Some(true) => None,
                Some(false) => Some((
                    "ocsp_stapling_missing",
                    "asked for the certificate status (status_request), the server stapled no \
                     OCSP response (RFC 6066 §8)"
                        .to_string(),
                    None,
                )),
                None => {
                    let legacy = obs
                        .accepted
                        .keys()
                        .any(|p| *p >= Protocol::Tls10 && *p <= Protocol::Tls12);
                    let probe = if legacy {
                        Probe::Features
                    } else {
                        Probe::Certificate
                    };
                    let reason = self.reason(probe);
                    self.unchecked("ocsp_stapling_missing", None, reason);
                    None
                }
            },
            // §3.4.2: the fallback SCSV "shall be supported if the server supports versions of
            // TLS prior to TLS 1.2 and does not support TLS 1.3". A server with one version
            // only cannot be asked to fall back.
            Check::FallbackScsv => {
                let below_tls12 = accepts(Protocol::Tls10) || accepts(Protocol::Tls11);
                let versions = obs
                    .accepted
                    .keys()
                    .filter(|p| **p >= Protocol::Ssl3)
                    .count();
                if !below_tls12 || accepts(Protocol::Tls13) || versions < 2 {
                    return None;
                }
                if !obs.version_known(Protocol::Tls13) {
                    let reason = self.reason_for_version(Protocol::Tls13);
                    self.unchecked("fallback_scsv_missing", Some(Protocol::Tls13), reason);
                    return None;
                }
                match facts.fallback_scsv {
                    Some(true) => None,
                    Some(false) => Some((
                        "fallback_scsv_missing",
                        "the server offers TLS 1.0/1.1 without TLS 1.3 and accepts a fallback \
                         hello that carries TLS_FALLBACK_SCSV instead of refusing it with \
                         inappropriate_fallback (RFC 7507)"
                            .to_string(),
                        None,
                    )),
                    None => {
                        let reason = self.reason(Probe::Fallback);
                        self.unchecked("fallback_scsv_missing", None, reason);
                        None
                    }
                }
            }
            _ => None,
        }
    }

    /// Suites the server negotiated in a version cipher-db says they cannot be negotiated in
    /// (their RFC ranges): every pre-1.3 suite is offered at every TLS 1.0-1.2 version (and
    /// SSLv3) to catch exactly this.
    fn suite_versions(&mut self, severity: Severity, source: &str) {
        for (&p, acc) in &self.obs.accepted {
            if p == Protocol::Ssl2 {
                continue;
            }
            for code in &acc.suites {
                let Some(suite) = code.two_byte().and_then(|c| db().suite(c)) else {
                    continue;
                };
                if suite.negotiable_in(p) {
                    continue;
                }
                let allowed: Vec<&str> = suite.versions.iter().map(|v| v.label()).collect();
                let message = format!(
                    "cipher suite {} negotiated in {p}, which its definition does not allow \
                     (only {}; {source})",
                    suite.display_name(),
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                );
                self.out.push(
                    "suite_outside_its_versions",
                    severity,
                    message,
                    Some(suite.display_name().to_string()),
                    Some(p),
                    source,
                );
            }
        }
    }

    fn reason_for_version(&self, v: Protocol) -> String {
        self.obs
            .gap(Probe::Suites(v))
            .map_or_else(|| Skip::NotRequested.to_string(), |g| g.cause.to_string())
    }

    fn groups(&mut self) {
        let obs = self.obs;
        if let Some(check) = &self.policy.rules().dhe_min_bits {
            let dhe = obs.accepted.iter().any(|(p, a)| {
                *p != Protocol::Ssl2
                    && a.suites.iter().any(|c| {
                        c.two_byte()
                            .and_then(|c| db().suite(c))
                            .is_some_and(|s| s.kx == Kx::Dhe)
                    })
            });
            match obs.facts.dh_bits {
                Some(bits) if u64::from(bits) < check.value => {
                    let message = format!(
                        "DHE group of {bits} bits, minimum {} ({})",
                        check.value, check.source
                    );
                    self.out.push(
                        "dh_key_too_small",
                        check.severity,
                        message,
                        Some(format!("DH {bits} bits")),
                        None,
                        &check.source,
                    );
                }
                Some(_) => {}
                None if dhe => {
                    let reason = self.reason(Probe::DhGroup);
                    self.unchecked("dh_key_too_small", None, reason);
                }
                None => {}
            }
        }
        for &code in &obs.groups {
            let name = crate::model::group_name(code);
            let rule = match db().group(code) {
                Some(g) => self.policy.group_verdict(g).rule(),
                None => self.policy.unlisted().rule(),
            };
            self.out.push_rule(
                rule,
                "group_not_approved",
                "group_discouraged",
                "group",
                &name,
                None,
            );
        }
        let cut: Vec<(Protocol, GapCause)> = obs
            .gaps
            .iter()
            .filter_map(|g| match g.probe {
                Probe::Groups(v) => Some((v, g.cause.clone())),
                _ => None,
            })
            .collect();
        for (v, cause) in cut {
            self.unchecked("group_not_approved", Some(v), cause.to_string());
        }
    }

    fn sig_schemes(&mut self) {
        let cut: Vec<(Protocol, String)> = self
            .obs
            .gaps
            .iter()
            .filter_map(|g| match g.probe {
                Probe::SigSchemes(v) => Some((v, g.cause.to_string())),
                _ => None,
            })
            .collect();
        for (v, reason) in cut {
            self.unchecked("sig_scheme_not_approved", Some(v), reason);
        }
        for name in &self.obs.facts.signature_schemes {
            let rule = match db().sig_scheme_by_name(name) {
                Some(s) => self.policy.sig_scheme_verdict(s).rule(),
                None => self.policy.unlisted().rule(),
            };
            self.out.push_rule(
                rule,
                "sig_scheme_not_approved",
                "sig_scheme_discouraged",
                "signature scheme",
                name,
                None,
            );
        }
    }
}

/// A violated requirement: the finding id, its message, the protocol it concerns.
type Violation = (&'static str, String, Option<Protocol>);

/// Whether the policy could raise a failing or warning finding for something accepted at `p`:
/// a non-approved protocol rule, or any suite offered at `p` that it does not approve.
fn can_fail_at(policy: &Policy, p: Protocol) -> bool {
    if !policy.protocol_verdict(p).is_approved() {
        return true;
    }
    match p {
        Protocol::Ssl2 => false,
        Protocol::Tls13 => db()
            .suites_for(p)
            .any(|s| !policy.suite_verdict(s, p).is_approved()),
        _ => db()
            .suites()
            .iter()
            .filter(|s| !s.is_tls13() && !s.flags.scsv && !s.flags.grease)
            .any(|s| !policy.suite_verdict(s, p).is_approved()),
    }
}

fn suite_grade(o: Outcome) -> SuiteGrade {
    match o {
        Outcome::Approved => SuiteGrade::Approved,
        Outcome::Discouraged => SuiteGrade::Discouraged,
        Outcome::Warn => SuiteGrade::Warn,
        Outcome::Fail => SuiteGrade::Fail,
    }
}

/// Findings as grading collects them.
#[derive(Default)]
pub(super) struct Findings(pub(super) Vec<Finding>);

impl Findings {
    pub(super) fn push(
        &mut self,
        id: &str,
        severity: Severity,
        message: String,
        item: Option<String>,
        protocol: Option<Protocol>,
        source: &str,
    ) {
        self.0.push(Finding {
            id: id.to_string(),
            severity,
            message,
            item,
            protocol,
            source: Some(source.to_string()),
            waived: None,
        });
    }

    /// A finding from a rule's outcome: `bad_id` for warn/fail, `discouraged_id` for discouraged.
    #[allow(clippy::too_many_arguments)] // one call shape for every item kind keeps messages uniform
    fn push_rule(
        &mut self,
        rule: &Rule,
        bad_id: &str,
        discouraged_id: &str,
        what: &str,
        item: &str,
        protocol: Option<Protocol>,
    ) {
        let (id, verb) = match rule.outcome {
            Outcome::Approved => return,
            Outcome::Discouraged => (discouraged_id, "allowed with a warning"),
            Outcome::Warn | Outcome::Fail => (bad_id, "not approved"),
        };
        let Some(severity) = rule.outcome.severity() else {
            return;
        };
        let at = protocol.map(|p| format!(" in {p}")).unwrap_or_default();
        let message = format!(
            "{what} {item} accepted{at}: {verb} (rule {}; {})",
            rule.id, rule.source
        );
        self.push(
            id,
            severity,
            message,
            Some(item.to_string()),
            protocol,
            &rule.source,
        );
    }
}

fn apply_waivers(obs: &Observation, findings: &mut Vec<Finding>, waivers: &Waivers, today: Date) {
    let mut expired_lines = Vec::new();
    for f in findings.iter_mut() {
        let mut covering = waivers.iter().filter(|w| w.covers(&obs.id, f));
        let (active, expired): (Vec<_>, Vec<_>) =
            covering.by_ref().partition(|w| w.in_force(today));
        if let Some(w) = active.first() {
            f.waived = Some(Waived {
                reason: w.reason.clone(),
                expires: w.expires.to_string(),
            });
        } else {
            for w in expired {
                if !expired_lines.contains(&w.line) {
                    expired_lines.push(w.line);
                }
            }
        }
    }
    for line in expired_lines {
        let Some(w) = waivers.iter().find(|w| w.line == line) else {
            continue;
        };
        let message = format!(
            "waiver for {} on {} (waiver file line {}) expired on {}; the finding applies again (reason was: {})",
            w.id, w.endpoint, w.line, w.expires, w.reason
        );
        findings.push(Finding {
            id: "waiver_expired".into(),
            severity: Severity::Info,
            message,
            item: Some(w.id.clone()),
            protocol: None,
            source: None,
            waived: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_ids_are_unique() {
        let mut ids: Vec<&str> = finding_catalog().iter().map(|(id, _)| *id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}

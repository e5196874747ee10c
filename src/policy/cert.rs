//! Grading of the certificate chain: key type and size, curve, signature hash, expiry, each
//! per certificate. A chain that could not be read, or a certificate that could not be
//! parsed, or a chain cut at a cap, leaves the checks it needs unchecked, with the reason. Pure.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::grade::Findings;
use super::Policy;
use crate::model::{CertInfo, KeyType, Observation, Probe, Severity, Unchecked};

/// The certificate check ids, in the order they are made.
const CERT_CHECKS: [&str; 4] = [
    "cert_key_type_not_approved",
    "cert_key_too_small",
    "cert_signature_weak",
    "cert_expired",
];

/// Grades `obs`'s certificate chain into `out`; what cannot be checked goes to `unchecked`.
pub(super) fn grade_certificate(
    policy: &Policy,
    obs: &Observation,
    today: Date,
    out: &mut Findings,
    unchecked: &mut Vec<Unchecked>,
) {
    if obs.accepted.is_empty() {
        return;
    }
    let rules = &policy.rules().certificate;
    let any_rule = rules.key_size.is_some()
        || rules.key_types.is_some()
        || rules.curves.is_some()
        || rules.weak_hashes.is_some()
        || rules.expiry.is_some();
    let chain = obs
        .certificate
        .as_ref()
        .map(|c| c.chain.as_slice())
        .unwrap_or_default();
    if chain.is_empty() {
        if any_rule {
            let reason = match obs.gap(Probe::Certificate) {
                Some(g) => g.cause.to_string(),
                None => match obs.certificate.as_ref().and_then(|c| c.error.clone()) {
                    Some(e) => e,
                    None => "no certificate was read".to_string(),
                },
            };
            for check in CERT_CHECKS {
                push_unchecked(unchecked, check, &reason);
            }
        }
        return;
    }
    let all = obs
        .certificate
        .as_ref()
        .map(|c| c.all_certificates())
        .unwrap_or_default();
    for (i, c) in all {
        if let Some(e) = &c.parse_error {
            if any_rule {
                let reason = format!("certificate #{i} could not be parsed: {e}");
                for check in CERT_CHECKS {
                    push_unchecked(unchecked, check, &reason);
                }
            }
            continue;
        }
        grade_one(policy, i, c, today, out, unchecked);
    }
    // A chain cut at a cap: the certificates past it were never seen, so nothing vouches for
    // them (a failing one among those read still fails).
    if let Some(cut) = obs
        .certificate
        .as_ref()
        .and_then(|c| c.truncated.as_deref())
    {
        if any_rule {
            let reason = format!(
                "only the first {} certificates were read: {cut}",
                chain.len()
            );
            for check in CERT_CHECKS {
                push_unchecked(unchecked, check, &reason);
            }
        }
    }
}

fn grade_one(
    policy: &Policy,
    i: usize,
    c: &CertInfo,
    today: Date,
    out: &mut Findings,
    unchecked: &mut Vec<Unchecked>,
) {
    let rules = &policy.rules().certificate;
    let subject = c
        .subject
        .clone()
        .unwrap_or_else(|| format!("certificate #{i}"));
    let role = if i == 0 { "leaf" } else { "chain" };
    let key_type = c.key_type.map(KeyType::policy_name);
    let bits = c.key_bits.map(u64::from);

    if let (Some(check), Some(kt)) = (&rules.key_types, key_type) {
        if !check.value.iter().any(|t| t == kt) {
            let message = format!(
                "{role} certificate {subject}: {kt} keys are not approved ({})",
                check.source
            );
            out.push(
                "cert_key_type_not_approved",
                check.severity,
                message,
                Some(subject.clone()),
                None,
                &check.source,
            );
        }
    }
    if let (Some(check), Some(kt), Some(bits)) = (&rules.key_size, key_type, bits) {
        let min = match kt {
            "rsa" => check.value.rsa_min_bits,
            "ec" => check.value.ec_min_bits,
            "dsa" => check.value.dsa_min_bits,
            _ => None,
        };
        if let Some(min) = min.filter(|m| bits < *m) {
            let message = format!(
                "{role} certificate {subject}: {kt} key of {bits} bits, minimum {min} ({})",
                check.source
            );
            out.push(
                "cert_key_too_small",
                check.severity,
                message,
                Some(subject.clone()),
                None,
                &check.source,
            );
        }
    } else if rules.key_size.is_some() && matches!(key_type, Some("rsa" | "dsa" | "ec")) {
        push_unchecked(
            unchecked,
            "cert_key_too_small",
            &format!("{role} certificate {subject}: key size not readable"),
        );
    }
    if let (Some(check), Some(curve)) = (&rules.curves, c.curve.as_deref()) {
        let curve = canonical_curve(curve);
        if check.value.discouraged.iter().any(|n| n == curve) {
            let message = format!(
                "{role} certificate {subject}: curve {curve} is allowed with a warning ({})",
                check.source
            );
            out.push(
                "cert_curve_discouraged",
                Severity::Warn,
                message,
                Some(subject.clone()),
                None,
                &check.source,
            );
        } else if !check.value.approved.iter().any(|n| n == curve) {
            let message = format!(
                "{role} certificate {subject}: curve {curve} is not approved ({})",
                check.source
            );
            out.push(
                "cert_curve_not_approved",
                check.severity,
                message,
                Some(subject.clone()),
                None,
                &check.source,
            );
        }
    }
    // The signature of a self-signed certificate above the leaf (a trust anchor) is not
    // graded: clients do not verify it.
    let self_signed_anchor = i > 0 && c.self_signed == Some(true);
    if let (Some(check), false) = (&rules.weak_hashes, self_signed_anchor) {
        match c.signature_hash.as_deref() {
            Some(hash) if check.value.iter().any(|h| h == hash) => {
                let message = format!(
                    "{role} certificate {subject} is signed with {hash} ({})",
                    check.source
                );
                out.push(
                    "cert_signature_weak",
                    check.severity,
                    message,
                    Some(subject.clone()),
                    None,
                    &check.source,
                );
            }
            Some(_) => {}
            // EdDSA has its own hash; RSA-PSS keeps it in parameters we do not read.
            None if matches!(key_type, Some("ed25519" | "ed448")) => {}
            None => push_unchecked(
                unchecked,
                "cert_signature_weak",
                &format!(
                    "{role} certificate {subject}: the hash of signature {} is not known",
                    c.signature_algorithm.as_deref().unwrap_or("(unknown)")
                ),
            ),
        }
    }
    if let (Some(exp), Some(not_after)) = (&rules.expiry, c.not_after.as_deref()) {
        let Ok(when) = OffsetDateTime::parse(not_after, &Rfc3339) else {
            push_unchecked(
                unchecked,
                "cert_expired",
                &format!("{role} certificate {subject}: unreadable validity {not_after}"),
            );
            return;
        };
        let day = when.date();
        if day < today {
            let message = format!("{role} certificate {subject} expired on {day}");
            out.push(
                "cert_expired",
                exp.expired,
                message,
                Some(subject.clone()),
                None,
                &exp.source,
            );
        } else if let Some(days) = exp.expiring_days {
            let left = (day - today).whole_days();
            if left <= days {
                let message =
                    format!("{role} certificate {subject} expires on {day}, in {left} days");
                out.push(
                    "cert_expiring",
                    Severity::Warn,
                    message,
                    Some(subject),
                    None,
                    &exp.source,
                );
            }
        }
    }
}

fn push_unchecked(unchecked: &mut Vec<Unchecked>, check: &str, reason: &str) {
    let u = Unchecked {
        check: check.to_string(),
        protocol: None,
        reason: reason.to_string(),
    };
    if !unchecked.contains(&u) {
        unchecked.push(u);
    }
}

/// IANA group name for the usual aliases of the NIST curves.
fn canonical_curve(name: &str) -> &str {
    match name {
        "P-256" | "prime256v1" | "nistp256" => "secp256r1",
        "P-384" | "nistp384" => "secp384r1",
        "P-521" | "nistp521" => "secp521r1",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_aliases_map_to_iana_names() {
        assert_eq!(canonical_curve("P-256"), "secp256r1");
        assert_eq!(canonical_curve("prime256v1"), "secp256r1");
        assert_eq!(canonical_curve("secp384r1"), "secp384r1");
        assert_eq!(canonical_curve("brainpoolP256r1"), "brainpoolP256r1");
    }
}

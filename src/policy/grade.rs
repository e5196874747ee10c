//! Grading: one endpoint's observations + a policy → findings and a verdict. Pure (the date
//! is passed in), so every rule can be tested with hand-built endpoints.
//!
//! What grading reads from an [`Endpoint`]:
//! - `status`: anything but `tls` gives `not_assessed` and no findings.
//! - `protocols[*].suites[*].code`: looked up in the cipher database; `approved` is set on
//!   every entry. SSLv2 entries (3-byte codes do not fit) take the SSLv2 protocol rule.
//! - `preferred_suite` (a suite name) at `highest_protocol()`.
//! - `groups`: IANA group names (`secp256r1`).
//! - `extensions` (each key optional; absent means "not probed", never a finding):
//!   `extended_master_secret: bool` (false → `ems_missing` when TLS 1.2 or older is accepted),
//!   `ems_required: bool` (false → `ems_not_enforced`: the server also completes TLS 1.2
//!   without EMS when the client does not offer it),
//!   `secure_renegotiation: bool` (false → `renegotiation_insecure`),
//!   `compression: bool` (true → `compression_enabled`),
//!   `signature_schemes: [string]` (IANA scheme names the server accepts or uses),
//!   `dh_bits: number` (finite-field DHE prime size → `dh_key_too_small`).
//! - `certificate` (JSON, optional): `{"chain": [CERT, ...]}` leaf first, or a single CERT
//!   object, where CERT has the optional keys
//!   `subject: string`,
//!   `key_type: "rsa" | "ec" | "ed25519" | "ed448" | "dsa"`,
//!   `key_bits: number` (RSA/DSA modulus bits, EC field bits),
//!   `curve: string` (IANA group name `secp256r1`; `P-256` and `prime256v1` are accepted too),
//!   `signature_algorithm: string` (`sha256WithRSAEncryption`, `ecdsa-with-SHA384`, ...),
//!   `signature_hash: string` (`sha1`, `sha256`, ...; wins over parsing `signature_algorithm`),
//!   `not_after: string` (RFC 3339),
//!   `self_signed: bool` (the signature of a self-signed certificate above the leaf is not graded).

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::rules::{Check, Outcome, Rule};
use super::{Policy, Waivers};
use crate::cipher_db::db;
use crate::protocol::Protocol;
use crate::report::model::{Endpoint, Finding, Severity, Status, SuiteCode, Verdict, Waived};

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

/// Grades one endpoint in place: sets `approved` on every accepted suite, replaces `findings`,
/// and sets `verdict`. `today` decides certificate expiry and waiver validity.
pub fn grade(policy: &Policy, endpoint: &mut Endpoint, waivers: &Waivers, today: Date) {
    endpoint.findings.clear();
    if endpoint.status != Status::Tls {
        endpoint.verdict = Verdict::NotAssessed;
        return;
    }
    let mut out = Findings::default();
    grade_protocols(policy, endpoint, &mut out);
    grade_preferred(policy, endpoint, &mut out);
    grade_requirements(policy, endpoint, &mut out);
    grade_groups(policy, endpoint, &mut out);
    grade_sig_schemes(policy, endpoint, &mut out);
    if let Some(cert) = endpoint.certificate.clone() {
        grade_certificate(policy, &cert, today, &mut out);
    }
    let mut findings = out.0;
    apply_waivers(endpoint, &mut findings, waivers, today);
    endpoint.verdict = if findings
        .iter()
        .any(|f| f.severity == Severity::Fail && f.waived.is_none())
    {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    endpoint.findings = findings;
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(
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

fn grade_protocols(policy: &Policy, endpoint: &mut Endpoint, out: &mut Findings) {
    for (&p, result) in endpoint.protocols.iter_mut() {
        let prule = policy.protocol_verdict(p).rule();
        out.push_rule(
            prule,
            "protocol_not_approved",
            "protocol_discouraged",
            "protocol",
            p.label(),
            Some(p),
        );
        for entry in &mut result.suites {
            let known = two_byte(entry.code).and_then(|c| db().suite(c));
            let rule = match known {
                // SSLv2 cipher specs (3-byte codes) have no suite rules: the protocol decides.
                _ if p == Protocol::Ssl2 => prule,
                Some(s) => policy.suite_verdict(s, p).rule(),
                None => policy.unlisted().rule(),
            };
            entry.approved = rule.outcome.is_approved();
            let item = if known.is_some() || p == Protocol::Ssl2 {
                entry.name.clone()
            } else {
                format!("{} ({}, unknown to cipher-db)", entry.name, entry.code)
            };
            out.push_rule(
                rule,
                "suite_not_approved",
                "suite_discouraged",
                "cipher suite",
                &item,
                Some(p),
            );
        }
    }
}

/// The two-byte code of an entry. `SuiteCode` is widened to 24 bits (SSLv2 cipher specs) in
/// later schema revisions; going through `u64` works with either width.
fn two_byte(code: SuiteCode) -> Option<u16> {
    u16::try_from(u64::from(code.0)).ok()
}

fn grade_preferred(policy: &Policy, endpoint: &Endpoint, out: &mut Findings) {
    let (Some(name), Some(p)) = (&endpoint.preferred_suite, endpoint.highest_protocol()) else {
        return;
    };
    let rule = match db().suite_by_name(name) {
        Some(s) => policy.suite_verdict(s, p).rule(),
        None => policy.unlisted().rule(),
    };
    if rule.outcome.is_approved() {
        return;
    }
    if let Some(severity) = rule.outcome.severity() {
        let message = format!(
            "preferred suite {name} ({p}) is not approved: the server picks it when offered every suite (rule {}; {})",
            rule.id, rule.source
        );
        out.push(
            "preferred_suite_not_approved",
            severity,
            message,
            Some(name.clone()),
            Some(p),
            &rule.source,
        );
    }
}

fn grade_requirements(policy: &Policy, endpoint: &Endpoint, out: &mut Findings) {
    let rules = policy.rules();
    let has = |p: Protocol| endpoint.protocols.contains_key(&p);
    let flag = |key: &str| endpoint.extensions.get(key).and_then(Value::as_bool);
    for req in &rules.requires {
        let (id, message, protocol) = match req.check {
            Check::Tls13 if !has(Protocol::Tls13) => {
                ("tls13_missing", "TLS 1.3 is not accepted".to_string(), None)
            }
            Check::Tls12 if !has(Protocol::Tls12) => {
                ("tls12_missing", "TLS 1.2 is not accepted".to_string(), None)
            }
            Check::Ems
                if flag("extended_master_secret") == Some(false)
                    && endpoint
                        .protocols
                        .keys()
                        .any(|p| *p <= Protocol::Tls12 && *p >= Protocol::Ssl3) =>
            {
                (
                    "ems_missing",
                    "TLS 1.2 handshakes complete without the extended master secret (RFC 7627)"
                        .to_string(),
                    Some(Protocol::Tls12),
                )
            }
            Check::EmsEnforced
                if flag("ems_required") == Some(false)
                    && flag("extended_master_secret") != Some(false) =>
            {
                (
                    "ems_not_enforced",
                    "the server supports the extended master secret but also completes TLS 1.2 \
                     handshakes without it (RFC 7627)"
                        .to_string(),
                    Some(Protocol::Tls12),
                )
            }
            Check::SecureRenegotiation if flag("secure_renegotiation") == Some(false) => (
                "renegotiation_insecure",
                "secure renegotiation (RFC 5746 renegotiation_info) is not supported".to_string(),
                None,
            ),
            Check::NoCompression if flag("compression") == Some(true) => (
                "compression_enabled",
                "TLS compression is accepted".to_string(),
                None,
            ),
            Check::EncryptThenMac | Check::OcspStapling | Check::FallbackScsv => {
                match extension_requirement(req.check, endpoint) {
                    Some(violation) => violation,
                    None => continue,
                }
            }
            _ => continue,
        };
        out.push(
            id,
            req.severity,
            format!("{message} ({})", req.source),
            None,
            protocol,
            &req.source,
        );
    }
}

/// A violated requirement: the finding id, its message, the protocol it concerns.
type Violation = (&'static str, String, Option<Protocol>);

/// The SP 800-52r2 §3.4 extension requirements, each a small check of its own. Every one reads
/// the endpoint only through [`fact`] and [`accepts`], and an unknown fact raises nothing.
fn extension_requirement(check: Check, endpoint: &Endpoint) -> Option<Violation> {
    match check {
        Check::EncryptThenMac => encrypt_then_mac_missing(endpoint),
        Check::OcspStapling => ocsp_stapling_missing(endpoint),
        Check::FallbackScsv => fallback_scsv_missing(endpoint),
        _ => None,
    }
}

/// A behaviour the probe established: `None` when no hello could vouch for it (not probed, no
/// answer, or not applicable), which these checks treat as "not checked", never as `false`.
fn fact(endpoint: &Endpoint, key: &str) -> Option<bool> {
    endpoint.extensions.get(key).and_then(Value::as_bool)
}

/// Whether the endpoint accepted protocol version `p`.
fn accepts(endpoint: &Endpoint, p: Protocol) -> bool {
    endpoint.protocols.contains_key(&p)
}

/// SP 800-52r2 §3.4.2: "The Encrypt-then-MAC extension shall be supported if the server is
/// configured to negotiate CBC cipher suites." The probe records `encrypt_then_mac` only when its
/// features hello (CBC suites only, when any was accepted) negotiated a CBC suite, so `false`
/// is exactly "a CBC suite without EtM"; a server that negotiates no CBC suite has no such fact.
fn encrypt_then_mac_missing(endpoint: &Endpoint) -> Option<Violation> {
    (fact(endpoint, "encrypt_then_mac") == Some(false)).then(|| {
        (
            "encrypt_then_mac_missing",
            "a CBC suite is negotiated without Encrypt-then-MAC (RFC 7366): the server ignored \
             the client's encrypt_then_mac extension"
                .to_string(),
            None,
        )
    })
}

/// SP 800-52r2 §3.4.1 lists Certificate Status Request among the extensions a server shall
/// support. `ocsp_stapling` is false when the server, asked with status_request in a TLS 1.0-1.2
/// hello, neither echoed it nor sent a CertificateStatus.
fn ocsp_stapling_missing(endpoint: &Endpoint) -> Option<Violation> {
    (fact(endpoint, "ocsp_stapling") == Some(false)).then(|| {
        (
            "ocsp_stapling_missing",
            "asked for the certificate status (status_request), the server stapled no OCSP \
             response (RFC 6066 §8)"
                .to_string(),
            None,
        )
    })
}

/// SP 800-52r2 §3.4.2: the Fallback SCSV "shall be supported if the server supports versions
/// of TLS prior to TLS 1.2 and does not support TLS 1.3" (a TLS 1.3 server is protected by the
/// RFC 8446 §4.1.3 downgrade sentinel instead). `fallback_scsv` is false when the server went
/// ahead with a lower version it accepts although the hello carried TLS_FALLBACK_SCSV.
fn fallback_scsv_missing(endpoint: &Endpoint) -> Option<Violation> {
    let below_tls12 = accepts(endpoint, Protocol::Tls10) || accepts(endpoint, Protocol::Tls11);
    let applies = below_tls12 && !accepts(endpoint, Protocol::Tls13);
    (applies && fact(endpoint, "fallback_scsv") == Some(false)).then(|| {
        (
            "fallback_scsv_missing",
            "the server offers TLS 1.0/1.1 without TLS 1.3 and accepts a fallback hello that \
             carries TLS_FALLBACK_SCSV instead of refusing it with inappropriate_fallback \
             (RFC 7507)"
                .to_string(),
            None,
        )
    })
}

fn grade_groups(policy: &Policy, endpoint: &Endpoint, out: &mut Findings) {
    if let (Some(check), Some(bits)) = (
        &policy.rules().dhe_min_bits,
        endpoint.extensions.get("dh_bits").and_then(Value::as_u64),
    ) {
        if bits < check.value {
            let message = format!(
                "DHE group of {bits} bits, minimum {} ({})",
                check.value, check.source
            );
            out.push(
                "dh_key_too_small",
                check.severity,
                message,
                Some(format!("DH {bits} bits")),
                None,
                &check.source,
            );
        }
    }
    for name in &endpoint.groups {
        let rule = match db().group_by_name(name) {
            Some(g) => policy.group_verdict(g).rule(),
            None => policy.unlisted().rule(),
        };
        out.push_rule(
            rule,
            "group_not_approved",
            "group_discouraged",
            "group",
            name,
            None,
        );
    }
}

fn grade_sig_schemes(policy: &Policy, endpoint: &Endpoint, out: &mut Findings) {
    let Some(Value::Array(list)) = endpoint.extensions.get("signature_schemes") else {
        return;
    };
    for name in list.iter().filter_map(Value::as_str) {
        let rule = match db().sig_scheme_by_name(name) {
            Some(s) => policy.sig_scheme_verdict(s).rule(),
            None => policy.unlisted().rule(),
        };
        out.push_rule(
            rule,
            "sig_scheme_not_approved",
            "sig_scheme_discouraged",
            "signature scheme",
            name,
            None,
        );
    }
}

fn grade_certificate(policy: &Policy, cert: &Value, today: Date, out: &mut Findings) {
    let rules = &policy.rules().certificate;
    let chain: Vec<&Value> = match cert.get("chain").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None if cert.get("key_type").is_some() || cert.get("not_after").is_some() => vec![cert],
        None => return,
    };
    for (i, c) in chain.iter().enumerate() {
        let subject = c
            .get("subject")
            .and_then(Value::as_str)
            .map_or_else(|| format!("certificate #{i}"), |s| s.to_string());
        let role = if i == 0 { "leaf" } else { "chain" };
        let key_type = c
            .get("key_type")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase);
        let bits = c.get("key_bits").and_then(Value::as_u64);

        if let (Some(check), Some(kt)) = (&rules.key_types, &key_type) {
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
        if let (Some(check), Some(kt), Some(bits)) = (&rules.key_size, &key_type, bits) {
            let min = match kt.as_str() {
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
        }
        if let (Some(check), Some(curve)) = (&rules.curves, c.get("curve").and_then(Value::as_str))
        {
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
        let self_signed_anchor =
            i > 0 && c.get("self_signed").and_then(Value::as_bool) == Some(true);
        if let (Some(check), Some(hash), false) =
            (&rules.weak_hashes, signature_hash(c), self_signed_anchor)
        {
            if check.value.contains(&hash) {
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
        }
        if let (Some(exp), Some(not_after)) =
            (&rules.expiry, c.get("not_after").and_then(Value::as_str))
        {
            let Ok(when) = OffsetDateTime::parse(not_after, &Rfc3339) else {
                continue;
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
                        Some(subject.clone()),
                        None,
                        &exp.source,
                    );
                }
            }
        }
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

/// The hash of a certificate signature: `signature_hash`, or parsed from `signature_algorithm`.
fn signature_hash(c: &Value) -> Option<String> {
    if let Some(h) = c.get("signature_hash").and_then(Value::as_str) {
        return Some(h.to_ascii_lowercase());
    }
    let alg: String = c
        .get("signature_algorithm")
        .and_then(Value::as_str)?
        .to_ascii_lowercase()
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric())
        .collect();
    ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
        .into_iter()
        .find(|h| alg.contains(h))
        .map(str::to_string)
}

fn apply_waivers(endpoint: &Endpoint, findings: &mut Vec<Finding>, waivers: &Waivers, today: Date) {
    let mut expired_lines = Vec::new();
    for f in findings.iter_mut() {
        let mut covering = waivers.iter().filter(|w| w.covers(endpoint, f));
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
    fn signature_hash_reads_names_from_x509_and_tls() {
        let hash = |alg: &str| signature_hash(&serde_json::json!({ "signature_algorithm": alg }));
        assert_eq!(hash("sha1WithRSAEncryption").as_deref(), Some("sha1"));
        assert_eq!(hash("ecdsa-with-SHA1").as_deref(), Some("sha1"));
        assert_eq!(hash("ecdsa-with-SHA256").as_deref(), Some("sha256"));
        assert_eq!(hash("md5WithRSAEncryption").as_deref(), Some("md5"));
        assert_eq!(hash("dsa-with-SHA1").as_deref(), Some("sha1"));
        assert_eq!(hash("Ed25519"), None);
        assert_eq!(hash("rsassaPss"), None);
        let explicit =
            serde_json::json!({"signature_algorithm": "rsassaPss", "signature_hash": "SHA384"});
        assert_eq!(signature_hash(&explicit).as_deref(), Some("sha384"));
    }

    #[test]
    fn curve_aliases_map_to_iana_names() {
        assert_eq!(canonical_curve("P-256"), "secp256r1");
        assert_eq!(canonical_curve("prime256v1"), "secp256r1");
        assert_eq!(canonical_curve("secp384r1"), "secp384r1");
        assert_eq!(canonical_curve("brainpoolP256r1"), "brainpoolP256r1");
    }

    #[test]
    fn two_byte_codes_only() {
        assert_eq!(two_byte(SuiteCode(0xC02F)), Some(0xC02F));
    }

    #[test]
    fn catalog_ids_are_unique() {
        let mut ids: Vec<&str> = finding_catalog().iter().map(|(id, _)| *id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}

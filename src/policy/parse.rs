//! A policy file (TOML) → validated [`Rules`].
//!
//! Every label and code a rule names is checked against the cipher database when the policy
//! loads, so a typo is an error naming the file, line and rule instead of a rule that silently
//! matches nothing. Unknown keys are rejected too (`deny_unknown_fields`). No I/O: the caller
//! hands in the text.

use std::collections::HashSet;
use std::ops::Range;
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use super::rules::{
    CertCheck, CertificatePolicy, Check, Curves, Expiry, GroupRule, KeySize, Outcome, ProtocolRule,
    Requirement, Rule, Rules, SigSchemeRule, SuiteMatch, SuiteRule,
};
use super::PolicyError;
use crate::cipher_db::CipherDb;
use crate::model::Severity;
use crate::protocol::Protocol;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    protocol: Vec<Spanned<RawProtocol>>,
    #[serde(default)]
    suite: Vec<Spanned<RawSuiteRule>>,
    #[serde(default)]
    group: Vec<Spanned<RawGroupRule>>,
    #[serde(default)]
    sig_scheme: Vec<Spanned<RawSigRule>>,
    #[serde(default)]
    require: Vec<Spanned<RawRequire>>,
    #[serde(default)]
    key_exchange: Option<Spanned<RawKeyExchange>>,
    #[serde(default)]
    certificate: Option<Spanned<RawCertificate>>,
    #[serde(default)]
    module: Vec<Spanned<super::modules::RawModule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyExchange {
    dhe_min_bits: u64,
    severity: String,
    source: String,
    decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProtocol {
    id: String,
    versions: Vec<String>,
    outcome: String,
    source: String,
    note: Option<String>,
    decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuiteRule {
    id: String,
    outcome: String,
    source: String,
    note: Option<String>,
    decision: Option<String>,
    codes: Option<Vec<u16>>,
    kx: Option<Vec<String>>,
    auth: Option<Vec<String>>,
    cipher: Option<Vec<String>>,
    mode: Option<Vec<String>>,
    mac: Option<Vec<String>>,
    flags: Option<Vec<String>>,
    versions: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroupRule {
    id: String,
    outcome: String,
    source: String,
    note: Option<String>,
    decision: Option<String>,
    names: Option<Vec<String>>,
    kinds: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigRule {
    id: String,
    outcome: String,
    source: String,
    note: Option<String>,
    decision: Option<String>,
    names: Option<Vec<String>>,
    signature: Option<Vec<String>>,
    hash: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequire {
    check: String,
    severity: String,
    source: String,
    note: Option<String>,
    decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCertificate {
    key_size: Option<RawKeySize>,
    key_types: Option<RawKeyTypes>,
    curves: Option<RawCurves>,
    signature: Option<RawWeak>,
    expiry: Option<RawExpiry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeySize {
    rsa_min_bits: Option<u64>,
    ec_min_bits: Option<u64>,
    dsa_min_bits: Option<u64>,
    severity: String,
    source: String,
    decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyTypes {
    approved: Vec<String>,
    severity: String,
    source: String,
    decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCurves {
    approved: Vec<String>,
    #[serde(default)]
    discouraged: Vec<String>,
    severity: String,
    source: String,
    decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeak {
    weak_hashes: Vec<String>,
    severity: String,
    source: String,
    decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpiry {
    expired: String,
    expiring_days: Option<i64>,
    source: String,
    decision: Option<String>,
}

const KEY_TYPES: [&str; 5] = ["rsa", "ec", "ed25519", "ed448", "dsa"];
const HASHES: [&str; 6] = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        span: &Range<usize>,
        entry: impl Into<String>,
        message: impl Into<String>,
    ) -> PolicyError {
        PolicyError::Invalid {
            file: self.file.to_string(),
            line: crate::cipher_db::line_of(self.text, span.start),
            entry: entry.into(),
            message: message.into(),
        }
    }

    fn labels<T: FromStr>(
        &self,
        span: &Range<usize>,
        entry: &str,
        list: Option<Vec<String>>,
    ) -> Result<Option<Vec<T>>, PolicyError>
    where
        T::Err: std::fmt::Display,
    {
        list.map(|l| {
            l.iter()
                .map(|v| {
                    v.parse::<T>()
                        .map_err(|e| self.err(span, entry, e.to_string()))
                })
                .collect()
        })
        .transpose()
    }

    fn severity(&self, span: &Range<usize>, entry: &str, s: &str) -> Result<Severity, PolicyError> {
        match s {
            "fail" => Ok(Severity::Fail),
            "warn" => Ok(Severity::Warn),
            "info" => Ok(Severity::Info),
            other => Err(self.err(
                span,
                entry,
                format!("unknown severity {other:?} (expected fail, warn or info)"),
            )),
        }
    }

    #[allow(clippy::too_many_arguments)] // mirrors the rule's fields one to one
    fn rule(
        &self,
        span: &Range<usize>,
        entry: &str,
        id: String,
        outcome: &str,
        source: String,
        note: Option<String>,
        decision: Option<String>,
    ) -> Result<Rule, PolicyError> {
        if id.trim().is_empty() {
            return Err(self.err(span, entry, "empty rule id"));
        }
        if source.trim().is_empty() {
            return Err(self.err(span, entry, "every rule needs a source"));
        }
        Ok(Rule {
            outcome: outcome
                .parse()
                .map_err(|e: String| self.err(span, entry, e))?,
            id,
            source,
            note,
            decision,
            line: crate::cipher_db::line_of(self.text, span.start),
        })
    }
}

/// Parses and validates a policy file's text against the cipher database.
pub fn parse(file: &str, text: &str, db: &CipherDb) -> Result<Rules, PolicyError> {
    let cx = Ctx { file, text };
    let raw: RawPolicy = toml::from_str(text).map_err(|e| PolicyError::Syntax {
        file: file.to_string(),
        line: e
            .span()
            .map_or(1, |s| crate::cipher_db::line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;

    let mut protocols = Vec::new();
    let mut seen_versions = HashSet::new();
    for r in raw.protocol {
        let span = r.span();
        let r = r.into_inner();
        let entry = format!("protocol rule {:?}", r.id);
        let versions: Vec<Protocol> = cx
            .labels(&span, &entry, Some(r.versions))?
            .unwrap_or_default();
        for v in &versions {
            if !seen_versions.insert(*v) {
                return Err(cx.err(
                    &span,
                    &entry,
                    format!("{v} is already covered by an earlier protocol rule"),
                ));
            }
        }
        let rule = cx.rule(
            &span, &entry, r.id, &r.outcome, r.source, r.note, r.decision,
        )?;
        protocols.push(ProtocolRule { rule, versions });
    }

    let mut suites = Vec::new();
    let mut ids = HashSet::new();
    for r in raw.suite {
        let span = r.span();
        let r = r.into_inner();
        let entry = format!("suite rule {:?}", r.id);
        if !ids.insert(r.id.clone()) {
            return Err(cx.err(&span, &entry, "duplicate rule id"));
        }
        if let Some(codes) = &r.codes {
            if let Some(c) = codes.iter().find(|c| db.suite(**c).is_none()) {
                return Err(cx.err(
                    &span,
                    &entry,
                    format!("unknown suite code 0x{c:04X} (not in cipher-db/suites.toml)"),
                ));
            }
        }
        if let Some(flags) = &r.flags {
            const FLAGS: [&str; 7] = [
                "iana",
                "export",
                "null",
                "anonymous",
                "aead",
                "scsv",
                "grease",
            ];
            if let Some(f) = flags.iter().find(|f| !FLAGS.contains(&f.as_str())) {
                return Err(cx.err(
                    &span,
                    &entry,
                    format!("unknown flag {f:?} (expected one of: {})", FLAGS.join(", ")),
                ));
            }
        }
        let matcher = SuiteMatch {
            codes: r.codes,
            kx: cx.labels(&span, &entry, r.kx)?,
            auth: cx.labels(&span, &entry, r.auth)?,
            cipher: cx.labels(&span, &entry, r.cipher)?,
            mode: cx.labels(&span, &entry, r.mode)?,
            mac: cx.labels(&span, &entry, r.mac)?,
            flags: r.flags,
            versions: cx.labels(&span, &entry, r.versions)?,
        };
        let rule = cx.rule(
            &span, &entry, r.id, &r.outcome, r.source, r.note, r.decision,
        )?;
        suites.push(SuiteRule { rule, matcher });
    }

    let mut groups = Vec::new();
    ids.clear();
    for r in raw.group {
        let span = r.span();
        let r = r.into_inner();
        let entry = format!("group rule {:?}", r.id);
        if !ids.insert(r.id.clone()) {
            return Err(cx.err(&span, &entry, "duplicate rule id"));
        }
        if let Some(names) = &r.names {
            if let Some(n) = names.iter().find(|n| db.group_by_name(n).is_none()) {
                return Err(cx.err(
                    &span,
                    &entry,
                    format!("unknown group {n:?} (not in cipher-db/groups.toml)"),
                ));
            }
        }
        let kinds = cx.labels(&span, &entry, r.kinds)?;
        let rule = cx.rule(
            &span, &entry, r.id, &r.outcome, r.source, r.note, r.decision,
        )?;
        groups.push(GroupRule {
            rule,
            names: r.names,
            kinds,
        });
    }

    let mut sig_schemes = Vec::new();
    ids.clear();
    for r in raw.sig_scheme {
        let span = r.span();
        let r = r.into_inner();
        let entry = format!("sig_scheme rule {:?}", r.id);
        if !ids.insert(r.id.clone()) {
            return Err(cx.err(&span, &entry, "duplicate rule id"));
        }
        if let Some(names) = &r.names {
            if let Some(n) = names.iter().find(|n| db.sig_scheme_by_name(n).is_none()) {
                return Err(cx.err(
                    &span,
                    &entry,
                    format!("unknown signature scheme {n:?} (not in cipher-db/sigschemes.toml)"),
                ));
            }
        }
        let signature = cx.labels(&span, &entry, r.signature)?;
        let hash = cx.labels(&span, &entry, r.hash)?;
        let rule = cx.rule(
            &span, &entry, r.id, &r.outcome, r.source, r.note, r.decision,
        )?;
        sig_schemes.push(SigSchemeRule {
            rule,
            names: r.names,
            signature,
            hash,
        });
    }

    let mut requires = Vec::new();
    for r in raw.require {
        let span = r.span();
        let r = r.into_inner();
        let entry = format!("require {:?}", r.check);
        let check = Check::ALL
            .into_iter()
            .find(|c| c.label() == r.check)
            .ok_or_else(|| {
                let known: Vec<&str> = Check::ALL.iter().map(|c| c.label()).collect();
                cx.err(
                    &span,
                    &entry,
                    format!("unknown check (expected one of: {})", known.join(", ")),
                )
            })?;
        if requires.iter().any(|q: &Requirement| q.check == check) {
            return Err(cx.err(&span, &entry, "duplicate requirement"));
        }
        requires.push(Requirement {
            check,
            severity: cx.severity(&span, &entry, &r.severity)?,
            source: r.source,
            decision: r.decision,
            note: r.note,
        });
    }

    let dhe_min_bits = match raw.key_exchange {
        None => None,
        Some(k) => {
            let span = k.span();
            let k = k.into_inner();
            Some(CertCheck {
                severity: cx.severity(&span, "key_exchange", &k.severity)?,
                source: k.source,
                decision: k.decision,
                value: k.dhe_min_bits,
            })
        }
    };

    let certificate = match raw.certificate {
        None => CertificatePolicy::default(),
        Some(c) => certificate(&cx, c, db)?,
    };

    Ok(Rules {
        unlisted: Rule {
            id: "unlisted".into(),
            outcome: Outcome::Fail,
            source: format!("policy {}: not approved by any rule", raw.id),
            note: None,
            decision: None,
            line: 0,
        },
        name: raw.id,
        title: raw.title,
        description: raw.description.trim().to_string(),
        protocols,
        suites,
        groups,
        sig_schemes,
        requires,
        dhe_min_bits,
        certificate,
        modules: super::modules::parse(file, text, raw.module)?,
    })
}

fn certificate(
    cx: &Ctx<'_>,
    c: Spanned<RawCertificate>,
    db: &CipherDb,
) -> Result<CertificatePolicy, PolicyError> {
    let span = c.span();
    let c = c.into_inner();
    let mut out = CertificatePolicy::default();
    if let Some(k) = c.key_size {
        let entry = "certificate.key_size";
        out.key_size = Some(CertCheck {
            severity: cx.severity(&span, entry, &k.severity)?,
            source: k.source,
            decision: k.decision,
            value: KeySize {
                rsa_min_bits: k.rsa_min_bits,
                ec_min_bits: k.ec_min_bits,
                dsa_min_bits: k.dsa_min_bits,
            },
        });
    }
    if let Some(k) = c.key_types {
        let entry = "certificate.key_types";
        if let Some(t) = k.approved.iter().find(|t| !KEY_TYPES.contains(&t.as_str())) {
            return Err(cx.err(
                &span,
                entry,
                format!(
                    "unknown key type {t:?} (expected one of: {})",
                    KEY_TYPES.join(", ")
                ),
            ));
        }
        out.key_types = Some(CertCheck {
            severity: cx.severity(&span, entry, &k.severity)?,
            source: k.source,
            decision: k.decision,
            value: k.approved,
        });
    }
    if let Some(k) = c.curves {
        let entry = "certificate.curves";
        if let Some(n) = k
            .approved
            .iter()
            .chain(&k.discouraged)
            .find(|n| db.group_by_name(n).is_none())
        {
            return Err(cx.err(
                &span,
                entry,
                format!("unknown curve {n:?} (use IANA group names: secp256r1, ...)"),
            ));
        }
        out.curves = Some(CertCheck {
            severity: cx.severity(&span, entry, &k.severity)?,
            source: k.source,
            decision: k.decision,
            value: Curves {
                approved: k.approved,
                discouraged: k.discouraged,
            },
        });
    }
    if let Some(k) = c.signature {
        let entry = "certificate.signature";
        if let Some(h) = k.weak_hashes.iter().find(|h| !HASHES.contains(&h.as_str())) {
            return Err(cx.err(
                &span,
                entry,
                format!(
                    "unknown hash {h:?} (expected one of: {})",
                    HASHES.join(", ")
                ),
            ));
        }
        out.weak_hashes = Some(CertCheck {
            severity: cx.severity(&span, entry, &k.severity)?,
            source: k.source,
            decision: k.decision,
            value: k.weak_hashes,
        });
    }
    if let Some(k) = c.expiry {
        let entry = "certificate.expiry";
        out.expiry = Some(Expiry {
            expired: cx.severity(&span, entry, &k.expired)?,
            expiring_days: k.expiring_days,
            source: k.source,
            decision: k.decision,
        });
    }
    Ok(out)
}

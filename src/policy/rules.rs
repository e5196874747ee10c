//! A policy file (TOML) → validated rules, and the matching of suites, groups and schemes.
//!
//! Every label and code a rule names is checked against the cipher database when the policy
//! loads, so a typo is an error naming the file, line and rule instead of a rule that silently
//! matches nothing. No I/O: the caller hands in the text.

use std::collections::HashSet;
use std::ops::Range;
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use super::PolicyError;
use crate::cipher_db::{
    Auth, CipherAlg, CipherDb, CipherMode, Group, GroupKind, Kx, Mac, SigAlg, SigHash, SigScheme,
    Suite,
};
use crate::protocol::Protocol;
use crate::report::model::Severity;

/// What a rule decides about the items it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Allowed; no finding.
    Approved,
    /// Allowed (counts as approved) but reported as a warning.
    Discouraged,
    /// Not approved; reported as a warning, does not fail the endpoint.
    Warn,
    /// Not approved; fails the endpoint unless waived.
    Fail,
}

impl Outcome {
    /// The label used in policy files.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Discouraged => "discouraged",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        }
    }

    /// Whether items with this outcome count as approved.
    pub fn is_approved(self) -> bool {
        matches!(self, Outcome::Approved | Outcome::Discouraged)
    }

    /// The severity of the finding this outcome produces, if any.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Outcome::Approved => None,
            Outcome::Discouraged | Outcome::Warn => Some(Severity::Warn),
            Outcome::Fail => Some(Severity::Fail),
        }
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Outcome::Approved,
            Outcome::Discouraged,
            Outcome::Warn,
            Outcome::Fail,
        ]
        .into_iter()
        .find(|o| o.label() == s)
        .ok_or_else(|| {
            format!("unknown outcome {s:?} (expected approved, discouraged, warn or fail)")
        })
    }
}

/// What every rule carries: a name, a decision, and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Short name, unique within its section (`static-rsa`); `unlisted` for the implicit default.
    pub id: String,
    /// What the rule decides.
    pub outcome: Outcome,
    /// The document (and section) the rule comes from.
    pub source: String,
    /// A remark.
    pub note: Option<String>,
    /// Where sources disagree: which reading this policy takes, and why.
    pub decision: Option<String>,
    /// Line of the rule in the policy file (0 for the implicit default).
    pub line: usize,
}

/// A protocol-version rule.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolRule {
    /// The rule.
    pub rule: Rule,
    /// The versions it covers.
    pub versions: Vec<Protocol>,
}

/// A cipher-suite rule: every given criterion must hold; a list matches any of its values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SuiteMatch {
    /// Explicit codes.
    pub codes: Option<Vec<u16>>,
    /// Key exchange.
    pub kx: Option<Vec<Kx>>,
    /// Authentication.
    pub auth: Option<Vec<Auth>>,
    /// Cipher algorithm.
    pub cipher: Option<Vec<CipherAlg>>,
    /// Cipher mode.
    pub mode: Option<Vec<CipherMode>>,
    /// MAC.
    pub mac: Option<Vec<Mac>>,
    /// Any of these flags set.
    pub flags: Option<Vec<String>>,
    /// The version the suite was accepted in.
    pub versions: Option<Vec<Protocol>>,
}

impl SuiteMatch {
    fn matches(&self, s: &Suite, p: Protocol) -> bool {
        fn any<T: PartialEq>(list: &Option<Vec<T>>, v: &T) -> bool {
            list.as_ref().is_none_or(|l| l.contains(v))
        }
        any(&self.codes, &s.code)
            && any(&self.kx, &s.kx)
            && any(&self.auth, &s.auth)
            && any(&self.cipher, &s.cipher.alg)
            && any(&self.mode, &s.cipher.mode)
            && any(&self.mac, &s.mac)
            && any(&self.versions, &p)
            && self.flags.as_ref().is_none_or(|fl| {
                let set = s.flags.labels();
                fl.iter().any(|f| set.contains(&f.as_str()))
            })
    }

    /// The criteria in one line, for `policy show` (`kx in [RSA] and cipher in [AES]`).
    pub fn describe(&self) -> String {
        fn part<T: std::fmt::Display>(out: &mut Vec<String>, key: &str, list: &Option<Vec<T>>) {
            if let Some(l) = list {
                let items: Vec<String> = l.iter().map(|v| v.to_string()).collect();
                out.push(format!("{key} in [{}]", items.join(", ")));
            }
        }
        let mut out = Vec::new();
        if let Some(codes) = &self.codes {
            let items: Vec<String> = codes.iter().map(|c| format!("0x{c:04X}")).collect();
            out.push(format!("code in [{}]", items.join(", ")));
        }
        part(&mut out, "kx", &self.kx);
        part(&mut out, "auth", &self.auth);
        part(&mut out, "cipher", &self.cipher);
        part(&mut out, "mode", &self.mode);
        part(&mut out, "mac", &self.mac);
        part(&mut out, "flags", &self.flags);
        part(&mut out, "version", &self.versions);
        if out.is_empty() {
            "any suite".to_string()
        } else {
            out.join(" and ")
        }
    }
}

/// A suite rule.
#[derive(Clone, Debug, PartialEq)]
pub struct SuiteRule {
    /// The rule.
    pub rule: Rule,
    /// What it matches.
    pub matcher: SuiteMatch,
}

/// A group rule.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupRule {
    /// The rule.
    pub rule: Rule,
    /// IANA names.
    pub names: Option<Vec<String>>,
    /// Group kinds.
    pub kinds: Option<Vec<GroupKind>>,
}

impl GroupRule {
    fn matches(&self, g: &Group) -> bool {
        self.names.as_ref().is_none_or(|n| n.contains(&g.name))
            && self.kinds.as_ref().is_none_or(|k| k.contains(&g.kind))
    }

    /// The criteria in one line.
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        if let Some(n) = &self.names {
            out.push(format!("name in [{}]", n.join(", ")));
        }
        if let Some(k) = &self.kinds {
            let k: Vec<&str> = k.iter().map(|k| k.label()).collect();
            out.push(format!("kind in [{}]", k.join(", ")));
        }
        if out.is_empty() {
            "any group".into()
        } else {
            out.join(" and ")
        }
    }
}

/// A signature-scheme rule.
#[derive(Clone, Debug, PartialEq)]
pub struct SigSchemeRule {
    /// The rule.
    pub rule: Rule,
    /// IANA names.
    pub names: Option<Vec<String>>,
    /// Signature algorithms.
    pub signature: Option<Vec<SigAlg>>,
    /// Hashes.
    pub hash: Option<Vec<SigHash>>,
}

impl SigSchemeRule {
    fn matches(&self, s: &SigScheme) -> bool {
        self.names.as_ref().is_none_or(|n| n.contains(&s.name))
            && self
                .signature
                .as_ref()
                .is_none_or(|l| l.contains(&s.signature))
            && self.hash.as_ref().is_none_or(|l| l.contains(&s.hash))
    }

    /// The criteria in one line.
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        if let Some(n) = &self.names {
            out.push(format!("name in [{}]", n.join(", ")));
        }
        if let Some(l) = &self.signature {
            let l: Vec<&str> = l.iter().map(|v| v.label()).collect();
            out.push(format!("signature in [{}]", l.join(", ")));
        }
        if let Some(l) = &self.hash {
            let l: Vec<&str> = l.iter().map(|v| v.label()).collect();
            out.push(format!("hash in [{}]", l.join(", ")));
        }
        if out.is_empty() {
            "any scheme".into()
        } else {
            out.join(" and ")
        }
    }
}

/// An endpoint-wide property a policy requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// TLS 1.3 accepted (finding `tls13_missing`).
    Tls13,
    /// TLS 1.2 accepted (finding `tls12_missing`).
    Tls12,
    /// Extended master secret on TLS 1.2 (finding `ems_missing`).
    Ems,
    /// RFC 5746 secure renegotiation (finding `renegotiation_insecure`).
    SecureRenegotiation,
    /// No TLS compression (finding `compression_enabled`).
    NoCompression,
}

impl Check {
    /// Every check.
    pub const ALL: [Check; 5] = [
        Check::Tls13,
        Check::Tls12,
        Check::Ems,
        Check::SecureRenegotiation,
        Check::NoCompression,
    ];

    /// The label used in policy files.
    pub fn label(self) -> &'static str {
        match self {
            Check::Tls13 => "tls13",
            Check::Tls12 => "tls12",
            Check::Ems => "ems",
            Check::SecureRenegotiation => "secure_renegotiation",
            Check::NoCompression => "no_compression",
        }
    }
}

/// A requirement rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    /// What is checked.
    pub check: Check,
    /// How serious a violation is.
    pub severity: Severity,
    /// Where it comes from.
    pub source: String,
    /// Which reading the policy takes, where sources disagree.
    pub decision: Option<String>,
    /// A remark.
    pub note: Option<String>,
}

/// A certificate check with its severity and source.
#[derive(Clone, Debug, PartialEq)]
pub struct CertCheck<T> {
    /// The parameters.
    pub value: T,
    /// Severity of a violation.
    pub severity: Severity,
    /// Where it comes from.
    pub source: String,
}

/// Minimum key sizes.
#[derive(Clone, Debug, PartialEq)]
pub struct KeySize {
    /// Minimum RSA modulus bits.
    pub rsa_min_bits: Option<u64>,
    /// Minimum EC key bits.
    pub ec_min_bits: Option<u64>,
    /// Minimum DSA bits.
    pub dsa_min_bits: Option<u64>,
}

/// Allowed certificate curves.
#[derive(Clone, Debug, PartialEq)]
pub struct Curves {
    /// Approved curves (IANA group names).
    pub approved: Vec<String>,
    /// Allowed with a warning.
    pub discouraged: Vec<String>,
}

/// Expiry checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Expiry {
    /// Severity of an expired certificate.
    pub expired: Severity,
    /// Warn when a certificate expires within this many days.
    pub expiring_days: Option<i64>,
    /// Where it comes from.
    pub source: String,
}

/// The certificate section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CertificatePolicy {
    /// Minimum key sizes (`cert_key_too_small`).
    pub key_size: Option<CertCheck<KeySize>>,
    /// Approved key types: rsa, ec, ed25519, ed448, dsa (`cert_key_type_not_approved`).
    pub key_types: Option<CertCheck<Vec<String>>>,
    /// Approved curves (`cert_curve_not_approved`).
    pub curves: Option<CertCheck<Curves>>,
    /// Hashes a certificate signature must not use (`cert_signature_weak`).
    pub weak_hashes: Option<CertCheck<Vec<String>>>,
    /// Expiry (`cert_expired`, `cert_expiring`).
    pub expiry: Option<Expiry>,
}

/// All rules of one policy, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    /// The `id` the file gives itself.
    pub name: String,
    /// One-line title.
    pub title: String,
    /// Longer description.
    pub description: String,
    /// Protocol rules.
    pub protocols: Vec<ProtocolRule>,
    /// Suite rules, first match wins.
    pub suites: Vec<SuiteRule>,
    /// Group rules, first match wins.
    pub groups: Vec<GroupRule>,
    /// Signature-scheme rules, first match wins.
    pub sig_schemes: Vec<SigSchemeRule>,
    /// Endpoint requirements.
    pub requires: Vec<Requirement>,
    /// Minimum finite-field DHE group size (`dh_key_too_small`, from `extensions.dh_bits`).
    pub dhe_min_bits: Option<CertCheck<u64>>,
    /// Certificate checks.
    pub certificate: CertificatePolicy,
    /// The implicit rule for items no rule matches.
    pub unlisted: Rule,
}

impl Rules {
    /// The first suite rule that matches `s` accepted in `p`.
    pub fn suite_rule(&self, s: &Suite, p: Protocol) -> &Rule {
        self.suites
            .iter()
            .find(|r| r.matcher.matches(s, p))
            .map_or(&self.unlisted, |r| &r.rule)
    }

    /// The rule covering protocol `p`.
    pub fn protocol_rule(&self, p: Protocol) -> &Rule {
        self.protocols
            .iter()
            .find(|r| r.versions.contains(&p))
            .map_or(&self.unlisted, |r| &r.rule)
    }

    /// The first group rule that matches `g`.
    pub fn group_rule(&self, g: &Group) -> &Rule {
        self.groups
            .iter()
            .find(|r| r.matches(g))
            .map_or(&self.unlisted, |r| &r.rule)
    }

    /// The first signature-scheme rule that matches `s`.
    pub fn sig_scheme_rule(&self, s: &SigScheme) -> &Rule {
        self.sig_schemes
            .iter()
            .find(|r| r.matches(s))
            .map_or(&self.unlisted, |r| &r.rule)
    }

    /// The requirement for `check`, if the policy has one.
    pub fn requirement(&self, check: Check) -> Option<&Requirement> {
        self.requires.iter().find(|r| r.check == check)
    }
}

// ---------------------------------------------------------------- raw file

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyExchange {
    dhe_min_bits: u64,
    severity: String,
    source: String,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyTypes {
    approved: Vec<String>,
    severity: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCurves {
    approved: Vec<String>,
    #[serde(default)]
    discouraged: Vec<String>,
    severity: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeak {
    weak_hashes: Vec<String>,
    severity: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpiry {
    expired: String,
    expiring_days: Option<i64>,
    source: String,
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
            value: k.weak_hashes,
        });
    }
    if let Some(k) = c.expiry {
        let entry = "certificate.expiry";
        out.expiry = Some(Expiry {
            expired: cx.severity(&span, entry, &k.expired)?,
            expiring_days: k.expiring_days,
            source: k.source,
        });
    }
    Ok(out)
}

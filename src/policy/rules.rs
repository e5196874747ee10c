//! The validated rules of a policy and how they match suites, versions, groups and schemes
//! (first match wins). Built by `parse.rs`; no I/O.

use std::str::FromStr;

use crate::cipher_db::{
    Auth, CipherAlg, CipherMode, Group, GroupKind, Kx, Mac, SigAlg, SigHash, SigScheme, Suite,
};
use crate::model::Severity;
use crate::protocol::Protocol;

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
    /// TLS 1.2 refused without the extended master secret (finding `ems_not_enforced`).
    EmsEnforced,
    /// RFC 5746 secure renegotiation (finding `renegotiation_insecure`).
    SecureRenegotiation,
    /// No TLS compression (finding `compression_enabled`).
    NoCompression,
    /// Encrypt-then-MAC (RFC 7366) agreed when a CBC suite is negotiated (finding
    /// `encrypt_then_mac_missing`).
    EncryptThenMac,
    /// An OCSP response stapled when the client sends status_request (finding
    /// `ocsp_stapling_missing`).
    OcspStapling,
    /// TLS_FALLBACK_SCSV (RFC 7507) honoured, where SP 800-52r2 asks for it: a server offering
    /// TLS 1.0 or 1.1 without TLS 1.3 (finding `fallback_scsv_missing`).
    FallbackScsv,
}

impl Check {
    /// Every check.
    pub const ALL: [Check; 9] = [
        Check::Tls13,
        Check::Tls12,
        Check::Ems,
        Check::EmsEnforced,
        Check::SecureRenegotiation,
        Check::NoCompression,
        Check::EncryptThenMac,
        Check::OcspStapling,
        Check::FallbackScsv,
    ];

    /// The label used in policy files.
    pub fn label(self) -> &'static str {
        match self {
            Check::Tls13 => "tls13",
            Check::Tls12 => "tls12",
            Check::Ems => "ems",
            Check::EmsEnforced => "ems_enforced",
            Check::SecureRenegotiation => "secure_renegotiation",
            Check::NoCompression => "no_compression",
            Check::EncryptThenMac => "encrypt_then_mac",
            Check::OcspStapling => "ocsp_stapling",
            Check::FallbackScsv => "fallback_scsv",
        }
    }

    /// What the check requires of an endpoint, in a few words (for `policy show`).
    pub fn describe(self) -> &'static str {
        match self {
            Check::Tls13 => "TLS 1.3 accepted",
            Check::Tls12 => "TLS 1.2 accepted",
            Check::Ems => "extended master secret agreed in TLS 1.2 and older",
            Check::EmsEnforced => "TLS 1.2 refused to a client without extended master secret",
            Check::SecureRenegotiation => "secure renegotiation (RFC 5746) supported",
            Check::NoCompression => "TLS compression refused",
            Check::EncryptThenMac => "Encrypt-then-MAC agreed whenever a CBC suite is negotiated",
            Check::OcspStapling => "an OCSP response stapled when the client sends status_request",
            Check::FallbackScsv => {
                "TLS_FALLBACK_SCSV honoured, where TLS 1.0/1.1 is offered without TLS 1.3"
            }
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

/// A certificate (or key-exchange) check with its severity and source.
#[derive(Clone, Debug, PartialEq)]
pub struct CertCheck<T> {
    /// The parameters.
    pub value: T,
    /// Severity of a violation.
    pub severity: Severity,
    /// Where it comes from.
    pub source: String,
    /// Where sources disagree: which reading this policy takes, and why.
    pub decision: Option<String>,
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
    /// Which reading this policy takes, where sources disagree.
    pub decision: Option<String>,
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
    /// Which crypto modules binaries may be built with (`[[module]]`).
    pub modules: super::modules::ModuleRules,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cipher_db::db;

    fn rule(id: &str, outcome: Outcome) -> Rule {
        Rule {
            id: id.into(),
            outcome,
            source: "test".into(),
            note: None,
            decision: None,
            line: 1,
        }
    }

    fn rules(suites: Vec<SuiteRule>) -> Rules {
        Rules {
            name: "t".into(),
            title: "t".into(),
            description: String::new(),
            protocols: Vec::new(),
            suites,
            groups: Vec::new(),
            sig_schemes: Vec::new(),
            requires: Vec::new(),
            dhe_min_bits: None,
            certificate: CertificatePolicy::default(),
            modules: Default::default(),
            unlisted: rule("unlisted", Outcome::Fail),
        }
    }

    #[test]
    fn first_matching_rule_decides_and_unmatched_fails() {
        let r = rules(vec![
            SuiteRule {
                rule: rule("rsa", Outcome::Warn),
                matcher: SuiteMatch {
                    kx: Some(vec![Kx::Rsa]),
                    ..SuiteMatch::default()
                },
            },
            SuiteRule {
                rule: rule("aes", Outcome::Approved),
                matcher: SuiteMatch {
                    cipher: Some(vec![CipherAlg::Aes]),
                    versions: Some(vec![Protocol::Tls12]),
                    ..SuiteMatch::default()
                },
            },
        ]);
        let s = |c: u16| db().suite(c).unwrap();
        assert_eq!(r.suite_rule(s(0x009C), Protocol::Tls12).id, "rsa");
        assert_eq!(r.suite_rule(s(0xC013), Protocol::Tls12).id, "aes");
        assert_eq!(
            r.suite_rule(s(0xC013), Protocol::Tls10).id,
            "unlisted",
            "version criterion"
        );
        assert_eq!(r.suite_rule(s(0x1303), Protocol::Tls13).id, "unlisted");
    }

    #[test]
    fn flags_match_any_listed_flag() {
        let m = SuiteMatch {
            flags: Some(vec!["export".into(), "null".into()]),
            ..SuiteMatch::default()
        };
        assert!(m.matches(db().suite(0x0003).unwrap(), Protocol::Tls10));
        assert!(m.matches(db().suite(0x0002).unwrap(), Protocol::Tls12));
        assert!(!m.matches(db().suite(0xC030).unwrap(), Protocol::Tls12));
        assert_eq!(m.describe(), "flags in [export, null]");
        assert_eq!(SuiteMatch::default().describe(), "any suite");
    }

    #[test]
    fn outcomes_map_to_approval_and_severity() {
        assert!(Outcome::Discouraged.is_approved());
        assert_eq!(Outcome::Discouraged.severity(), Some(Severity::Warn));
        assert!(!Outcome::Warn.is_approved());
        assert_eq!(Outcome::Approved.severity(), None);
        assert!("maybe".parse::<Outcome>().is_err());
    }
}

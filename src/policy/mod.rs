//! Policies (bundled and user files) and grading. Pure: no I/O beyond reading a policy or
//! waiver file.
//!
//! A policy is a list of rules over the cipher database's attributes (`cipher-db/policies/`);
//! [`Policy`] answers "what does this policy say about that suite / version / group / scheme"
//! and [`grade`] turns an endpoint's observation into a grade (findings, verdict).

mod cert;
mod grade;
mod listing;
mod modules;
mod parse;
mod rules;
mod show;
mod waiver;

use std::path::Path;

pub use grade::{finding_catalog, grade};
pub use listing::{policy_list, suites_listing, ListFormat, SuiteFilter};
pub use modules::{go_minor, ModuleOutcome, ModuleRule, ModuleRules};
pub use rules::{
    CertCheck, CertificatePolicy, Check, Curves, Expiry, GroupRule, KeySize, Outcome, ProtocolRule,
    Requirement, Rule, Rules, SigSchemeRule, SuiteMatch, SuiteRule,
};
pub use show::policy_show;
pub use waiver::{Waiver, Waivers};

use crate::cipher_db::{self, Group, SigScheme, Suite};
use crate::model::Severity;
use crate::protocol::Protocol;

/// The policy used when none is named.
pub const DEFAULT_POLICY: &str = "fips-140-3";

/// The bundled policies: id and file text.
const BUNDLED: [(&str, &str); 2] = [
    (
        "fips-140-2",
        include_str!("../../cipher-db/policies/fips-140-2.toml"),
    ),
    (
        "fips-140-3",
        include_str!("../../cipher-db/policies/fips-140-3.toml"),
    ),
];

/// Why a policy or waiver file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Neither a bundled id nor an existing file.
    #[error("unknown policy {spec:?}: not a bundled policy ({known}) and no such file")]
    Unknown {
        /// What the user gave.
        spec: String,
        /// The bundled ids, comma-separated.
        known: String,
    },
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not valid TOML, or a table of the wrong shape (unknown key, wrong type).
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The file (bundled id's file name, or the path).
        file: String,
        /// 1-based line.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// A well-formed entry with a bad value (unknown label, code, group...).
    #[error("{file}:{line}: {entry}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line of the entry.
        line: usize,
        /// The entry (`suite rule "static-rsa"`).
        entry: String,
        /// What is wrong.
        message: String,
    },
}

/// A loaded, validated policy.
#[derive(Clone, Debug)]
pub struct Policy {
    id: String,
    sha256: String,
    rules: Rules,
}

/// What a policy says about one item, with the rule that decided.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RuleOutcome<'p> {
    /// Approved, no finding.
    Approved(&'p Rule),
    /// Approved, but reported as a warning.
    Discouraged(&'p Rule),
    /// Not approved; a warning.
    Warn(&'p Rule),
    /// Not approved; fails the endpoint.
    Fail(&'p Rule),
}

impl<'p> RuleOutcome<'p> {
    fn of(rule: &'p Rule) -> RuleOutcome<'p> {
        match rule.outcome {
            Outcome::Approved => RuleOutcome::Approved(rule),
            Outcome::Discouraged => RuleOutcome::Discouraged(rule),
            Outcome::Warn => RuleOutcome::Warn(rule),
            Outcome::Fail => RuleOutcome::Fail(rule),
        }
    }

    /// The deciding rule.
    pub fn rule(&self) -> &'p Rule {
        match self {
            RuleOutcome::Approved(r)
            | RuleOutcome::Discouraged(r)
            | RuleOutcome::Warn(r)
            | RuleOutcome::Fail(r) => r,
        }
    }

    /// Approved or discouraged.
    pub fn is_approved(&self) -> bool {
        self.rule().outcome.is_approved()
    }

    /// The severity of the finding it produces (none when approved).
    pub fn severity(&self) -> Option<Severity> {
        self.rule().outcome.severity()
    }

    /// `approved`, `discouraged`, `warn` or `fail`.
    pub fn label(&self) -> &'static str {
        self.rule().outcome.label()
    }
}

impl Policy {
    /// Loads a bundled policy by id (`fips-140-3`) or a policy file by path.
    ///
    /// A bundled id wins over a file of the same name in the working directory. Errors name
    /// the file, line and entry.
    pub fn load(spec: &str) -> Result<Policy, PolicyError> {
        if let Some((id, text)) = BUNDLED.iter().find(|(id, _)| *id == spec) {
            return Policy::from_text(id, &format!("cipher-db/policies/{id}.toml"), text);
        }
        let path = Path::new(spec);
        if !path.exists() {
            return Err(PolicyError::Unknown {
                spec: spec.to_string(),
                known: Policy::bundled_ids().join(", "),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: spec.to_string(),
            source,
        })?;
        Policy::from_text(spec, spec, &text)
    }

    /// Parses policy text; `id` is what reports record, `file` what errors name.
    pub fn from_text(id: &str, file: &str, text: &str) -> Result<Policy, PolicyError> {
        let rules = parse::parse(file, text, cipher_db::db())?;
        Ok(Policy {
            id: id.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            rules,
        })
    }

    /// The ids of the bundled policies.
    pub fn bundled_ids() -> &'static [&'static str] {
        &["fips-140-2", "fips-140-3"]
    }

    /// The text of a bundled policy.
    pub fn bundled_text(id: &str) -> Option<&'static str> {
        BUNDLED.iter().find(|(i, _)| *i == id).map(|(_, t)| *t)
    }

    /// The bundled id, or the path of a user policy (what reports record as `policy.id`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Lower-case hex SHA-256 of the policy file's bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The one-line title.
    pub fn title(&self) -> &str {
        &self.rules.title
    }

    /// Every rule.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The policy reference a report records.
    pub fn reference(&self) -> crate::model::PolicyRef {
        crate::model::PolicyRef {
            id: self.id.clone(),
            sha256: self.sha256.clone(),
        }
    }

    /// What the policy says about `suite` accepted in protocol `p`.
    pub fn suite_verdict(&self, suite: &Suite, p: Protocol) -> RuleOutcome<'_> {
        RuleOutcome::of(self.rules.suite_rule(suite, p))
    }

    /// What the policy says about protocol version `p`.
    pub fn protocol_verdict(&self, p: Protocol) -> RuleOutcome<'_> {
        RuleOutcome::of(self.rules.protocol_rule(p))
    }

    /// What the policy says about a key-exchange group.
    pub fn group_verdict(&self, g: &Group) -> RuleOutcome<'_> {
        RuleOutcome::of(self.rules.group_rule(g))
    }

    /// What the policy says about a signature scheme.
    pub fn sig_scheme_verdict(&self, s: &SigScheme) -> RuleOutcome<'_> {
        RuleOutcome::of(self.rules.sig_scheme_rule(s))
    }

    /// The policy's verdict on an unknown item (the implicit `unlisted` rule).
    pub fn unlisted(&self) -> RuleOutcome<'_> {
        RuleOutcome::of(&self.rules.unlisted)
    }
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bundled_policies_load() {
        for id in Policy::bundled_ids() {
            let p = Policy::load(id).unwrap();
            assert_eq!(p.id(), *id);
            assert_eq!(p.sha256().len(), 64);
            assert_eq!(p.rules().name, *id);
        }
        assert_eq!(Policy::load(DEFAULT_POLICY).unwrap().id(), "fips-140-3");
    }

    #[test]
    fn unknown_policy_names_the_bundled_ones() {
        let err = Policy::load("fips-140-9").unwrap_err().to_string();
        assert!(err.contains("fips-140-2, fips-140-3"), "{err}");
    }

    #[test]
    fn sha256_is_of_the_file_bytes() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let p = Policy::load("fips-140-2").unwrap();
        assert_eq!(
            p.sha256(),
            sha256_hex(Policy::bundled_text("fips-140-2").unwrap().as_bytes())
        );
    }
}

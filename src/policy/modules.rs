//! The `[[module]]` section of a policy: which crypto modules a binary may be built with
//! (`fipsprobe binaries`, `scan --binaries`). Each rule names a module as the binary inspection
//! reports it, optionally narrowed to module versions or Go toolchains, and decides it:
//! `validated` (with its CMVP certificate), `host` (passes only when the host's FIPS provider
//! is installed and enabled), `not_validated` or `undecided` (each with its reason). The first
//! rule that matches decides; a module no rule names is not assessed. No I/O.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::PolicyError;
use crate::binaries::CryptoModule;
use crate::model::Severity;

/// What a module rule decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleOutcome {
    /// A validated module: the binary passes.
    Validated,
    /// Validated only as the host provides it: passes when the host's FIPS provider for that
    /// library is installed and enabled, otherwise not assessed.
    Host,
    /// Not a validated module: the binary fails.
    NotValidated,
    /// The policy cannot decide (for example, a module still in process): not assessed.
    Undecided,
}

impl ModuleOutcome {
    /// The label in policy files.
    pub fn label(self) -> &'static str {
        match self {
            ModuleOutcome::Validated => "validated",
            ModuleOutcome::Host => "host",
            ModuleOutcome::NotValidated => "not_validated",
            ModuleOutcome::Undecided => "undecided",
        }
    }
}

/// One `[[module]]` rule.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleRule {
    /// Unique within the section.
    pub id: String,
    /// The module it decides.
    pub module: CryptoModule,
    /// Module versions it covers, as prefixes (`v1.0.0-` covers `v1.0.0-c2097c7c`); all
    /// versions, and an unknown one, when absent.
    pub versions: Option<Vec<String>>,
    /// The newest Go toolchain (`1.23`) it covers; any toolchain when absent.
    pub go_max: Option<(u32, u32)>,
    /// The decision.
    pub outcome: ModuleOutcome,
    /// The CMVP certificate(s), for `validated` and `host`.
    pub certificate: Option<String>,
    /// Why, for `not_validated` and `undecided`.
    pub reason: Option<String>,
    /// Severity of a finding when the binary does not restrict TLS to FIPS settings
    /// (`crypto/tls/fipsonly`, `fips140=only`); no finding when absent.
    pub fips_only: Option<Severity>,
    /// Where the rule comes from.
    pub source: String,
    /// A remark.
    pub note: Option<String>,
    /// Line in the policy file.
    pub line: usize,
}

impl ModuleRule {
    fn matches(&self, module: CryptoModule, version: Option<&str>, go: Option<&str>) -> bool {
        if self.module != module {
            return false;
        }
        let version_ok = match (&self.versions, version) {
            (None, _) => true,
            (Some(list), Some(v)) => list.iter().any(|p| v.starts_with(p.as_str())),
            (Some(_), None) => false,
        };
        let go_ok = match (self.go_max, go.and_then(go_minor)) {
            (None, _) => true,
            (Some(max), Some(v)) => v <= max,
            (Some(_), None) => false,
        };
        version_ok && go_ok
    }
}

/// The module rules of a policy, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModuleRules {
    /// The rules.
    pub rules: Vec<ModuleRule>,
}

impl ModuleRules {
    /// The first rule for `module` at `version`, in a binary built by Go `go` (`go1.23.5`).
    pub fn find(
        &self,
        module: CryptoModule,
        version: Option<&str>,
        go: Option<&str>,
    ) -> Option<&ModuleRule> {
        self.rules.iter().find(|r| r.matches(module, version, go))
    }
}

/// `(1, 23)` from `go1.23.5`, `go1.23`, `go1.15.5b5`, `1.23`.
pub fn go_minor(v: &str) -> Option<(u32, u32)> {
    let v = v.strip_prefix("go").unwrap_or(v);
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

/// A `[[module]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModule {
    id: String,
    module: String,
    versions: Option<Vec<String>>,
    go_max: Option<String>,
    outcome: String,
    certificate: Option<String>,
    reason: Option<String>,
    fips_only: Option<String>,
    source: String,
    note: Option<String>,
}

/// Validates the section: known module names and outcomes, a certificate where the outcome
/// passes, a reason where it does not, unique ids.
pub(super) fn parse(
    file: &str,
    text: &str,
    raw: Vec<Spanned<RawModule>>,
) -> Result<ModuleRules, PolicyError> {
    let mut rules: Vec<ModuleRule> = Vec::new();
    for r in raw {
        let span = r.span();
        let r = r.into_inner();
        let entry = format!("module rule {:?}", r.id);
        let err = |message: String| invalid(file, text, &span, &entry, message);
        if r.id.trim().is_empty() {
            return Err(err("empty rule id".into()));
        }
        if rules.iter().any(|q| q.id == r.id) {
            return Err(err("duplicate rule id".into()));
        }
        if r.source.trim().is_empty() {
            return Err(err("every rule needs a source".into()));
        }
        let module: CryptoModule = r.module.parse().map_err(&err)?;
        let outcome = [
            ModuleOutcome::Validated,
            ModuleOutcome::Host,
            ModuleOutcome::NotValidated,
            ModuleOutcome::Undecided,
        ]
        .into_iter()
        .find(|o| o.label() == r.outcome)
        .ok_or_else(|| {
            err(format!(
                "unknown outcome {:?} (expected validated, host, not_validated or undecided)",
                r.outcome
            ))
        })?;
        let passes = matches!(outcome, ModuleOutcome::Validated | ModuleOutcome::Host);
        if outcome == ModuleOutcome::Validated && r.certificate.is_none() {
            return Err(err("a validated module needs its certificate".into()));
        }
        if !passes && r.reason.is_none() {
            return Err(err(format!("outcome {} needs a reason", outcome.label())));
        }
        let go_max = r
            .go_max
            .as_deref()
            .map(|v| {
                go_minor(v)
                    .ok_or_else(|| err(format!("go_max {v:?} is not a Go version like 1.23")))
            })
            .transpose()?;
        let fips_only = r
            .fips_only
            .as_deref()
            .map(|s| match s {
                "fail" => Ok(Severity::Fail),
                "warn" => Ok(Severity::Warn),
                "info" => Ok(Severity::Info),
                other => Err(err(format!(
                    "unknown severity {other:?} (expected fail, warn or info)"
                ))),
            })
            .transpose()?;
        rules.push(ModuleRule {
            id: r.id,
            module,
            versions: r.versions,
            go_max,
            outcome,
            certificate: r.certificate,
            reason: r.reason,
            fips_only,
            source: r.source,
            note: r.note,
            line: crate::cipher_db::line_of(text, span.start),
        });
    }
    Ok(ModuleRules { rules })
}

fn invalid(
    file: &str,
    text: &str,
    span: &Range<usize>,
    entry: &str,
    message: String,
) -> PolicyError {
    PolicyError::Invalid {
        file: file.to_string(),
        line: crate::cipher_db::line_of(text, span.start),
        entry: entry.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::policy::Policy;

    #[test]
    fn go_versions_compare_by_minor() {
        assert_eq!(go_minor("go1.23.5"), Some((1, 23)));
        assert_eq!(go_minor("go1.15.5b5"), Some((1, 15)));
        assert_eq!(go_minor("1.9"), Some((1, 9)));
        assert_eq!(go_minor("devel"), None);
    }

    #[test]
    fn bundled_policies_decide_every_go_module() {
        for id in Policy::bundled_ids() {
            let p = Policy::load(id).unwrap();
            let m = &p.rules().modules;
            for module in [
                CryptoModule::GoBoringcrypto,
                CryptoModule::GoFips140,
                CryptoModule::GoStandard,
                CryptoModule::GoOpenssl,
                CryptoModule::None,
                CryptoModule::Openssl,
            ] {
                assert!(
                    m.find(module, None, Some("go1.23.5")).is_some(),
                    "{id}: {module}"
                );
            }
            let standard = m.find(CryptoModule::GoStandard, None, None).unwrap();
            assert_eq!(standard.outcome, ModuleOutcome::NotValidated, "{id}");
        }
        let p3 = Policy::load("fips-140-3").unwrap();
        let v1 = p3
            .rules()
            .modules
            .find(
                CryptoModule::GoFips140,
                Some("v1.0.0-c2097c7c"),
                Some("go1.24.1"),
            )
            .unwrap();
        assert_eq!(v1.outcome, ModuleOutcome::Validated);
        assert!(v1.certificate.as_deref().unwrap().contains("5247"));
        let latest = p3
            .rules()
            .modules
            .find(CryptoModule::GoFips140, Some("latest"), Some("go1.25.0"))
            .unwrap();
        assert_eq!(latest.outcome, ModuleOutcome::NotValidated);
    }

    #[test]
    fn rules_are_validated() {
        let base = "id = \"t\"\ntitle = \"t\"\n";
        let bad = [
            ("[[module]]\nid = \"a\"\nmodule = \"go-nope\"\noutcome = \"validated\"\ncertificate = \"x\"\nsource = \"s\"\n", "unknown module"),
            ("[[module]]\nid = \"a\"\nmodule = \"none\"\noutcome = \"validated\"\nsource = \"s\"\n", "certificate"),
            ("[[module]]\nid = \"a\"\nmodule = \"none\"\noutcome = \"not_validated\"\nsource = \"s\"\n", "reason"),
            ("[[module]]\nid = \"a\"\nmodule = \"none\"\noutcome = \"maybe\"\nsource = \"s\"\n", "unknown outcome"),
        ];
        for (section, want) in bad {
            let text = format!("{base}{section}");
            let err = Policy::from_text("t", "t.toml", &text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{err}");
            assert!(err.starts_with("t.toml:3:"), "{err}");
        }
    }
}

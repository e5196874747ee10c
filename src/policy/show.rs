//! Text for `fipsprobe policy show`: every rule of a policy with what it checks, its grade, its
//! source and, where sources disagree, the reading the policy takes. Returns a string; printing
//! is the caller's job.
//!
//! The table format is a list of blocks, one per rule, wrapped to 80 columns: source and
//! decision texts run to several sentences, which a six-column grid can only show as a tall
//! ribbon of fragments.

use serde_json::{json, Value};

use super::listing::{csv_cell, ListFormat};
use super::rules::{Outcome, Rule};
use super::Policy;
use crate::model::Severity;

/// The width the table format wraps to.
const WIDTH: usize = 80;
/// Where the texts after a label (`checks`, `source`...) start.
const LABEL_WIDTH: usize = 12;
/// The indent of a rule's lines under its section heading.
const INDENT: usize = 2;

/// One rule as `policy show` prints it.
struct Shown {
    /// The policy section (`suite`, `require`, `certificate`...).
    section: &'static str,
    /// The rule id, the check label, or the certificate table.
    id: String,
    /// What it matches or checks, in one line.
    checks: String,
    /// The outcome, or the severity of a violation.
    grade: String,
    source: String,
    decision: Option<String>,
    note: Option<String>,
}

impl Shown {
    fn rule(section: &'static str, rule: &Rule, checks: String) -> Shown {
        Shown {
            section,
            id: rule.id.clone(),
            checks,
            grade: rule.outcome.label().to_string(),
            source: rule.source.clone(),
            decision: rule.decision.clone(),
            note: rule.note.clone(),
        }
    }

    fn check(
        section: &'static str,
        id: &str,
        checks: String,
        severity: Severity,
        source: &str,
        decision: Option<&String>,
    ) -> Shown {
        Shown {
            section,
            id: id.to_string(),
            checks,
            grade: severity_label(severity).to_string(),
            source: source.to_string(),
            decision: decision.cloned(),
            note: None,
        }
    }

    /// Decision and note in one cell (CSV and the JSON `notes` key).
    fn notes(&self) -> String {
        [self.decision.as_deref(), self.note.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warn => "warn",
        Severity::Fail => "fail",
    }
}

/// Every rule of `policy` with what it checks, its grade, its source and its decision.
pub fn policy_show(policy: &Policy, format: ListFormat) -> String {
    let shown = rules_of(policy);
    let description = &policy.rules().description;
    match format {
        ListFormat::Json => {
            let list: Vec<Value> = shown
                .iter()
                .map(|r| {
                    let notes = r.notes();
                    json!({"section": r.section, "id": r.id, "matches": r.checks,
                           "outcome": r.grade, "source": r.source,
                           "decision": r.decision, "note": r.note,
                           "notes": if notes.is_empty() { Value::Null } else { json!(notes) }})
                })
                .collect();
            let doc = json!({"id": policy.id(), "title": policy.title(), "description": description,
                             "sha256": policy.sha256(), "rules": list});
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
        }
        ListFormat::Csv => {
            let mut out = String::from("section,id,matches,outcome,source,notes\n");
            for r in &shown {
                let cells = [r.section, &r.id, &r.checks, &r.grade, &r.source, &r.notes()];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
            out
        }
        ListFormat::Table => {
            let mut out = format!(
                "{} — {}\nsha256 {}\n\n{}\n",
                policy.id(),
                policy.title(),
                policy.sha256(),
                wrap_lines(description, WIDTH)
            );
            out.push_str(&wrap_lines(
                "In each section the first rule that matches an item decides, and anything \
                 no rule matches fails. \"discouraged\" is approved with a warning; \"warn\" \
                 is not approved but does not fail the endpoint.",
                WIDTH,
            ));
            let mut section = "";
            for r in &shown {
                if r.section != section {
                    section = r.section;
                    out.push('\n');
                    out.push_str(heading(section));
                    out.push('\n');
                }
                block(&mut out, r);
            }
            out
        }
    }
}

/// The rules in file order, section by section, then the implicit default.
fn rules_of(policy: &Policy) -> Vec<Shown> {
    let r = policy.rules();
    let mut out = Vec::new();
    for p in &r.protocols {
        let v: Vec<&str> = p.versions.iter().map(|v| v.label()).collect();
        out.push(Shown::rule("protocol", &p.rule, v.join(", ")));
    }
    for s in &r.suites {
        out.push(Shown::rule("suite", &s.rule, s.matcher.describe()));
    }
    for g in &r.groups {
        out.push(Shown::rule("group", &g.rule, g.describe()));
    }
    for s in &r.sig_schemes {
        out.push(Shown::rule("sig_scheme", &s.rule, s.describe()));
    }
    for q in &r.requires {
        let mut shown = Shown::check(
            "require",
            q.check.label(),
            q.check.describe().to_string(),
            q.severity,
            &q.source,
            q.decision.as_ref(),
        );
        shown.note = q.note.clone();
        out.push(shown);
    }
    if let Some(k) = &r.dhe_min_bits {
        out.push(Shown::check(
            "key_exchange",
            "dhe_min_bits",
            format!("finite-field DHE group of at least {} bits", k.value),
            k.severity,
            &k.source,
            k.decision.as_ref(),
        ));
    }
    let c = &r.certificate;
    if let Some(k) = &c.key_size {
        let mut parts = Vec::new();
        if let Some(b) = k.value.rsa_min_bits {
            parts.push(format!("RSA >= {b}"));
        }
        if let Some(b) = k.value.ec_min_bits {
            parts.push(format!("EC >= {b}"));
        }
        if let Some(b) = k.value.dsa_min_bits {
            parts.push(format!("DSA >= {b}"));
        }
        let checks = format!("key sizes: {}", parts.join(", "));
        out.push(cert("key_size", checks, k.severity, &k.source, &k.decision));
    }
    if let Some(k) = &c.key_types {
        let checks = format!("key types approved: {}", k.value.join(", "));
        out.push(cert(
            "key_types",
            checks,
            k.severity,
            &k.source,
            &k.decision,
        ));
    }
    if let Some(k) = &c.curves {
        let mut checks = format!("curves approved: {}", k.value.approved.join(", "));
        if !k.value.discouraged.is_empty() {
            checks.push_str(&format!(
                "; with a warning: {}",
                k.value.discouraged.join(", ")
            ));
        }
        out.push(cert("curves", checks, k.severity, &k.source, &k.decision));
    }
    if let Some(k) = &c.weak_hashes {
        let checks = format!("not signed with: {}", k.value.join(", "));
        out.push(cert(
            "signature",
            checks,
            k.severity,
            &k.source,
            &k.decision,
        ));
    }
    if let Some(e) = &c.expiry {
        let checks = match e.expiring_days {
            Some(d) => format!("not expired; a warning within {d} days of expiry"),
            None => "not expired".into(),
        };
        out.push(cert("expiry", checks, e.expired, &e.source, &e.decision));
    }
    let mut default = Shown::rule("default", &r.unlisted, "anything no rule matches".into());
    default.grade = Outcome::Fail.label().to_string();
    out.push(default);
    out
}

fn cert(
    what: &str,
    checks: String,
    severity: Severity,
    source: &str,
    decision: &Option<String>,
) -> Shown {
    Shown::check(
        "certificate",
        what,
        checks,
        severity,
        source,
        decision.as_ref(),
    )
}

fn heading(section: &str) -> &'static str {
    match section {
        "protocol" => "Protocol versions [[protocol]]",
        "suite" => "Cipher suites [[suite]]",
        "group" => "Key-exchange groups [[group]]",
        "sig_scheme" => "Signature schemes [[sig_scheme]]",
        "require" => "Endpoint requirements [[require]] (grade: severity of a violation)",
        "key_exchange" => "Finite-field DHE [key_exchange]",
        "certificate" => "Server certificates [certificate.*] (grade: severity of a violation)",
        _ => "Default",
    }
}

/// One rule: its id and grade on a line, then labelled, wrapped texts.
fn block(out: &mut String, r: &Shown) {
    let indent = " ".repeat(INDENT);
    let room = WIDTH.saturating_sub(INDENT + r.grade.chars().count() + 1);
    let id_width = r.id.chars().count();
    if id_width <= room {
        let pad = " ".repeat(room - id_width + 1);
        out.push_str(&format!("{indent}{}{pad}{}\n", r.id, r.grade));
    } else {
        out.push_str(&format!("{indent}{} {}\n", r.id, r.grade));
    }
    labelled(out, "checks", &r.checks);
    labelled(out, "source", &r.source);
    if let Some(d) = &r.decision {
        labelled(out, "decision", d);
    }
    if let Some(n) = &r.note {
        labelled(out, "note", n);
    }
}

/// `    label     text…` with the text wrapped under itself.
fn labelled(out: &mut String, label: &str, text: &str) {
    let lead = INDENT + 2;
    let text_at = lead + LABEL_WIDTH;
    let lines = wrap(text, WIDTH.saturating_sub(text_at));
    for (i, line) in lines.iter().enumerate() {
        let head = if i == 0 { label } else { "" };
        out.push_str(&format!(
            "{}{head:<width$}{line}\n",
            " ".repeat(lead),
            width = LABEL_WIDTH
        ));
    }
}

fn wrap_lines(text: &str, width: usize) -> String {
    wrap(text, width)
        .into_iter()
        .map(|l| l + "\n")
        .collect::<String>()
}

/// Greedy word wrap by characters; a word longer than `width` gets a line of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0usize;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if len > 0 && len + 1 + w > width {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += w;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn wrap_keeps_words_and_width() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 10), vec![String::new()]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            vec!["averyveryverylongword", "x"]
        );
        assert_eq!(wrap("§3.1 (x) —", 10), vec!["§3.1 (x) —"]);
    }

    #[test]
    fn table_fits_80_columns_and_shows_every_decision() {
        for id in Policy::bundled_ids() {
            let p = Policy::load(id).unwrap();
            let table = policy_show(&p, ListFormat::Table);
            for line in table.lines() {
                assert!(line.chars().count() <= WIDTH, "{id}: {line}");
            }
            let decisions = rules_of(&p).iter().filter(|r| r.decision.is_some()).count();
            assert_eq!(table.matches("    decision  ").count(), decisions, "{id}");
        }
    }
}

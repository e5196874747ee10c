//! The last section (5, or 6 with binaries), because it is long: the policy the endpoints were graded against: its id and SHA-256 (what the report
//! records), its title and description, and every rule as `fipsprobe policy show` lists it
//! (what it checks, its grade, its source and, where sources disagree, the reading it takes).
//! The rules are shown only when the policy at hand is the one the report names (same
//! SHA-256); otherwise the page says so rather than show rules that did not grade it. No I/O.

use std::fmt::Write as _;

use super::escape::{suite, text};
use crate::model::Report;
use crate::policy::{rule_section_heading, rules_of, Policy, HOW_RULES_APPLY};

pub(super) fn write(out: &mut String, report: &Report, policy: Option<&Policy>, section: usize) {
    let _ = write!(
        out,
        "<section class=\"policy\" id=\"policy\">\n<h2><span class=\"sec\">{section}</span> The policy</h2>\n\
         <dl class=\"kv\"><dt>Policy</dt><dd><b>{}</b>{}</dd>\
         <dt>SHA-256</dt><dd><code class=\"hash\">{}</code> <small>of the policy file</small></dd></dl>\n",
        text(&report.policy.id),
        policy
            .map(|p| format!(": {}", text(p.title())))
            .unwrap_or_default(),
        text(&report.policy.sha256),
    );
    let Some(policy) = policy else {
        let _ = writeln!(
            out,
            "<p class=\"note\">The rules are not shown: the policy at hand when this page was \
             made is not the file the report was graded with (its SHA-256 differs). \
             <code>fipsprobe policy show {}</code> with that file lists them.</p>\n</section>",
            text(&report.policy.id)
        );
        return;
    };
    let _ = writeln!(
        out,
        "<p>{}</p>\n<p class=\"note\">{}</p>",
        text(&one_line(&policy.rules().description)),
        text(HOW_RULES_APPLY)
    );
    let mut section = "";
    for r in rules_of(policy) {
        if r.section != section {
            if !section.is_empty() {
                out.push_str("</tbody>\n</table>\n");
            }
            section = r.section;
            let _ = writeln!(
                out,
                "<h3>{}</h3>\n<table class=\"rules\">\n<thead><tr><th>Rule</th><th>Checks</th>\
                 <th>Grade</th><th>Source, and the reading taken</th></tr></thead>\n<tbody>",
                text(rule_section_heading(section))
            );
        }
        let (symbol, class) = grade(&r.grade);
        let mut why = format!("<span class=\"srv\">{}</span>", text(&one_line(&r.source)));
        if let Some(d) = &r.decision {
            let _ = write!(
                why,
                "<p class=\"decision\"><b>Decision:</b> {}</p>",
                text(&one_line(d))
            );
        }
        if let Some(n) = &r.note {
            let _ = write!(
                why,
                "<p class=\"decision\"><b>Note:</b> {}</p>",
                text(&one_line(n))
            );
        }
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"checks\">{}</td>\
             <td class=\"g {class}\">{symbol} {}</td><td class=\"why\">{why}</td></tr>",
            suite(&r.id),
            suite(&one_line(&r.checks)),
            text(&r.grade),
        );
    }
    if !section.is_empty() {
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

/// A policy file's multi-line text as the one paragraph it is (its line breaks are the file's
/// layout, not content; any other hidden character is still shown by the escaping).
fn one_line(s: &str) -> String {
    s.split([' ', '\n', '\r', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The mark of a rule's grade (`approved`... for items, a severity for checks).
fn grade(label: &str) -> (&'static str, &'static str) {
    match label {
        "approved" => ("✓", "ok"),
        "discouraged" => ("!", "disc"),
        "warn" => ("!", "warn"),
        "fail" => ("✗", "no"),
        _ => ("i", "info"),
    }
}

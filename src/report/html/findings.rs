//! A configuration's findings, worst first, each with its severity as symbol and word, its id,
//! its message and a numbered reference to its source; the sources are listed once under the
//! table, so a rule cited by ten findings is printed once. Waived findings are marked with the
//! waiver's reason and expiry. Then the checks that could not be made and the probes that gave
//! no answer. No I/O.

use std::fmt::Write as _;

use super::escape::text;
use super::marks::severity_mark;
use crate::model::{Endpoint, Finding, Status};
use crate::report::fleet::{without_source, Citations};

pub(super) fn write(out: &mut String, e: &Endpoint) {
    if e.findings.is_empty() {
        if e.status == Status::Tls {
            out.push_str("<p class=\"none-found\">✓ No findings.</p>\n");
        }
    } else {
        table(out, &e.findings);
    }
    if !e.unchecked.is_empty() {
        out.push_str("<div class=\"unchecked\"><h4>Checks that could not be made</h4><ul>");
        for u in &e.unchecked {
            let at = u.protocol.map(|p| format!(" ({p})")).unwrap_or_default();
            let _ = write!(
                out,
                "<li><code>{}</code>{at}: <span class=\"srv\">{}</span></li>",
                text(&u.check),
                text(&u.reason)
            );
        }
        out.push_str("</ul></div>\n");
    }
    if !e.gaps.is_empty() {
        out.push_str("<div class=\"gaps\"><h4>Probes without an answer</h4><ul>");
        for g in &e.gaps {
            let at = g.protocol.map(|p| format!(" {p}")).unwrap_or_default();
            let _ = write!(
                out,
                "<li><code>{}</code>{at}: <span class=\"srv\">{}</span></li>",
                text(&g.probe),
                text(&g.reason)
            );
        }
        out.push_str("</ul></div>\n");
    }
}

fn table(out: &mut String, findings: &[Finding]) {
    let mut ordered: Vec<&Finding> = findings.iter().collect();
    // Failing first, then warnings, then the waived and informational; stable otherwise.
    ordered.sort_by_key(|f| (f.waived.is_some(), std::cmp::Reverse(f.severity)));
    let mut sources = Citations::new();
    out.push_str(
        "<table class=\"findings\">\n<thead><tr><th>Severity</th><th>Finding</th>\
         <th>What was found</th><th>Source</th></tr></thead>\n<tbody>\n",
    );
    for f in ordered {
        let (symbol, class, word) = severity_mark(f.severity, f.waived.is_some());
        let source = f.source.as_deref().filter(|s| !s.is_empty());
        let reference = sources
            .cite(f)
            .map(|n| format!("<span class=\"ref\">[{n}]</span>"))
            .unwrap_or_default();
        let waiver = f
            .waived
            .as_ref()
            .map(|w| {
                format!(
                    "<br><span class=\"waiver\">~ waived until {}: {}</span>",
                    text(&w.expires),
                    text(&w.reason)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td class=\"sev {class}\">{symbol} {word}</td>\
             <td><code>{}</code></td><td class=\"srv\">{}{waiver}</td><td>{reference}</td></tr>",
            text(&f.id),
            text(&without_source(&f.message, source)),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if !sources.sources().is_empty() {
        out.push_str("<ol class=\"sources\">");
        for s in sources.sources() {
            let _ = write!(out, "<li class=\"srv\">{}</li>", text(s));
        }
        out.push_str("</ol>\n");
    }
}

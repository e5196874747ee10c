//! The second picture of the fleet: which suites each configuration accepts, version by
//! version, as a grid with one column per distinct configuration (so 126 identical endpoints
//! are one column). A cell is `✓` approved, `!` approved but discouraged, `✗` not approved,
//! `·` not accepted, `?` not known (the version was not probed, or its sweep gave no full answer): a symbol and a
//! colour each. Wide fleets are split into grids of [`COLUMNS`] columns so a grid fits the
//! width of an A4 page. No I/O.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::escape::{suite, text};
use super::marks::{grade_mark, suite_grade, verdict_class, verdict_symbol, verdict_word};
use crate::model::{Endpoint, Status, SuiteCode};
use crate::protocol::Protocol;
use crate::report::fleet::Config;

/// Configurations per grid.
const COLUMNS: usize = 14;
/// Configurations shown in grids at most (failing ones come first); five pages' width.
const MAX_COLUMNS: usize = 5 * COLUMNS;

/// One row: a suite at a version.
struct Row {
    version: Protocol,
    code: SuiteCode,
    name: String,
}

pub(super) fn write(out: &mut String, configs: &[Config<'_>]) {
    // Configurations that never answered TLS have no suites to show; they keep their numbers.
    let numbered: Vec<(usize, &Config<'_>)> = configs
        .iter()
        .enumerate()
        .map(|(i, c)| (i.saturating_add(1), c))
        .filter(|(_, c)| {
            let e = c.representative();
            e.status == Status::Tls || !e.protocols.is_empty()
        })
        .collect();
    let rows = rows(configs);
    out.push_str("<h3>Accepted cipher suites across the fleet</h3>\n");
    if rows.is_empty() {
        out.push_str("<p>No endpoint accepted any cipher suite.</p>\n");
        return;
    }
    out.push_str(
        "<p class=\"legend\">One column per distinct configuration (identical endpoints share \
         one; section 3 lists them). <span class=\"m ok\">✓</span> approved · \
         <span class=\"m disc\">!</span> approved, discouraged · <span class=\"m no\">✗</span> \
         not approved · <span class=\"m none\">·</span> not accepted · \
         <span class=\"m unk\">?</span> not known</p>\n",
    );
    let shown = numbered.get(..MAX_COLUMNS).unwrap_or(&numbered);
    for chunk in shown.chunks(COLUMNS) {
        grid(out, &rows, chunk);
    }
    if numbered.len() > shown.len() {
        let _ = writeln!(
            out,
            "<p class=\"note\">The grids show the first {} of {} configurations; section 3 \
             and the JSON report have them all.</p>",
            shown.len(),
            numbered.len()
        );
    }
    let silent = configs.len().saturating_sub(numbered.len());
    if silent > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{silent} configuration{} that gave no TLS answer {} left out of \
             the grid.</p>",
            super::marks::plural(silent),
            if silent == 1 { "is" } else { "are" }
        );
    }
}

/// Every (version, suite) some configuration accepts: newest version first, suites in the
/// order the configurations list them (server preference where they have one).
fn rows(configs: &[Config<'_>]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut seen: BTreeSet<(Protocol, SuiteCode)> = BTreeSet::new();
    for version in Protocol::ALL.iter().rev() {
        for c in configs {
            let Some(p) = c.representative().protocols.get(version) else {
                continue;
            };
            for s in &p.suites {
                if seen.insert((*version, s.code)) {
                    rows.push(Row {
                        version: *version,
                        code: s.code,
                        name: s.name.clone(),
                    });
                }
            }
        }
    }
    rows
}

fn grid(out: &mut String, rows: &[Row], columns: &[(usize, &Config<'_>)]) {
    out.push_str(
        "<div class=\"grid\">\n<table class=\"matrix\">\n<thead><tr>\
         <th class=\"corner\">Version and suite</th>",
    );
    for (n, c) in columns {
        let v = c.representative().verdict;
        let _ = write!(
            out,
            "<th class=\"col\"><a href=\"#cfg-{n}\">#{n}</a><span class=\"vm {}\" title=\"{}\">{}</span></th>",
            verdict_class(v),
            verdict_word(v),
            verdict_symbol(v),
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let mut version = None;
    for row in rows {
        if version != Some(row.version) {
            version = Some(row.version);
            let _ = writeln!(
                out,
                "<tr class=\"ver\"><th colspan=\"{}\">{}</th></tr>",
                columns.len().saturating_add(1),
                row.version
            );
        }
        let _ = write!(out, "<tr><th class=\"suite\">{}</th>", suite(&row.name));
        for (_, c) in columns {
            let (symbol, class, words) = cell(c.representative(), row);
            let _ = write!(
                out,
                "<td class=\"m {class}\" title=\"{words}\">{symbol}</td>"
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n<ol class=\"key\">\n");
    for (n, c) in columns {
        let e = c.representative();
        let _ = writeln!(
            out,
            "<li><a href=\"#cfg-{n}\">#{n}</a> <span class=\"vm {}\">{} {}</span> \
             <span class=\"addr\">{}</span>{}</li>",
            verdict_class(e.verdict),
            verdict_symbol(e.verdict),
            verdict_word(e.verdict),
            text(&c.addresses(3)),
            crate::report::service_name(e)
                .map(|s| format!(" <span class=\"svc\">{}</span>", text(s)))
                .unwrap_or_default(),
        );
    }
    out.push_str("</ol>\n</div>\n");
}

fn cell(e: &Endpoint, row: &Row) -> (&'static str, &'static str, &'static str) {
    let not_accepted = ("·", "none", "not accepted");
    let unknown = ("?", "unk", "not known");
    match e.protocols.get(&row.version) {
        Some(p) => match p.suites.iter().find(|s| s.code == row.code) {
            Some(s) => grade_mark(suite_grade(s)),
            // A sweep that gave no full answer may have missed the suite.
            None if sweep_failed(e, row.version) => unknown,
            None => not_accepted,
        },
        None if e.refused.contains_key(&row.version) => not_accepted,
        // Neither accepted nor refused: not probed, or no answer.
        None => unknown,
    }
}

fn sweep_failed(e: &Endpoint, version: Protocol) -> bool {
    e.gaps
        .iter()
        .any(|g| g.probe == "suites" && g.protocol == Some(version))
}

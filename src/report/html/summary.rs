//! The top of the page: what the report is, the overall verdict in the words of the table's
//! verdict line, the counts, why endpoints were not assessed (their reasons and the checks
//! that could not be made, counted over the fleet) and which findings the fleet has. No I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::escape::{suite, text};
use super::marks::{plural, severity_mark, verdict_class};
use super::scan;
use crate::model::{Endpoint, Report, Severity, Verdict};
use crate::report::fleet::{self, Config};
use crate::report::table::verdict_line;

/// Endpoints listed by address in a "which endpoints" cell before the rest are counted.
const MAX_RUNS: usize = 4;
/// Items (suites, versions...) named in one row of the findings overview.
const MAX_ITEMS: usize = 4;

pub(super) fn write(out: &mut String, report: &Report, configs: &[Config<'_>]) {
    let s = &report.summary;
    let _ = write!(
        out,
        "<header class=\"top\">\n<p class=\"kicker\">{} · TLS compliance report</p>\n\
         <h1>Do these endpoints meet policy {}?</h1>\n\
         <p class=\"meta\">Scanned {} · {} endpoint{} · {} {} · policy sha256 <code>{}</code></p>\n\
         </header>\n",
        text(&report.tool.name),
        text(&report.policy.id),
        text(&scan::when(&report.started_at)),
        s.endpoints,
        plural(usize::try_from(s.endpoints).unwrap_or(usize::MAX)),
        text(&report.tool.name),
        text(&report.tool.version),
        text(short_hash(&report.policy.sha256)),
    );

    let line = verdict_line(report);
    // `FAIL: 1 of 2 TLS endpoints fail ...`: the word goes in large type, the rest beneath.
    let (word, rest) = line.split_once(": ").unwrap_or(("", line.as_str()));
    // Both halves of `check fips`: the endpoints and, when inspected, the binaries.
    let overall = match crate::scan::outcome(report) {
        crate::scan::Outcome::Fail => Verdict::Fail,
        crate::scan::Outcome::Incomplete => Verdict::NotAssessed,
        crate::scan::Outcome::Pass => Verdict::Pass,
    };
    let symbol = super::marks::verdict_symbol(overall);
    let _ = write!(
        out,
        "<section class=\"summary\" id=\"summary\">\n<h2><span class=\"sec\">1</span> Verdict</h2>\n\
         <div class=\"verdict {}\">\n<div class=\"big\">{symbol} {}</div>\n\
         <p class=\"line\">{}</p>\n</div>\n",
        verdict_class(overall),
        text(word),
        text(rest),
    );

    let _ = write!(
        out,
        "<div class=\"counts\">\n\
         <div class=\"count\"><b>{}</b>endpoint{} scanned</div>\n\
         <div class=\"count\"><b>{}</b>answered TLS</div>\n\
         <div class=\"count pass\"><b>✓ {}</b>pass</div>\n\
         <div class=\"count fail\"><b>✗ {}</b>fail</div>\n\
         <div class=\"count na\"><b>? {}</b>not assessed</div>\n\
         <div class=\"count\"><b>{}</b>distinct configuration{}</div>\n{}</div>\n",
        s.endpoints,
        plural(usize::try_from(s.endpoints).unwrap_or(usize::MAX)),
        s.tls,
        s.pass,
        s.fail,
        s.not_assessed,
        configs.len(),
        plural(configs.len()),
        s.binaries
            .as_ref()
            .map(|b| format!(
                "<div class=\"count\"><b>{}</b>binar{} inspected: {} pass, {} fail, {} not \
                 assessed (section 4)</div>\n",
                b.binaries,
                if b.binaries == 1 { "y" } else { "ies" },
                b.pass,
                b.fail,
                b.not_assessed
            ))
            .unwrap_or_default(),
    );

    let _ = writeln!(
        out,
        "<p class=\"intro\">{} connected to each endpoint, offered it every TLS version and \
         cipher suite one at a time, and recorded what it accepted and refused; then it graded \
         what it found against the policy <b>{}</b> (its rules are in section {}). An endpoint \
         <b>passes</b> when every rule holds and every check the rules need could be made; it \
         <b>fails</b> when it breaks a rule that no waiver covers; it is <b>not assessed</b> \
         when it could not be checked completely, for the reasons given.</p>",
        text(&report.tool.name),
        text(&report.policy.id),
        if s.binaries.is_some() { 6 } else { 5 },
    );
    if !report.complete {
        out.push_str(
            "<p class=\"callout na\">? The scan is <b>incomplete</b>: an endpoint named on the \
             command line could not be assessed, or the scan was interrupted (endpoints it did \
             not reach are then missing from this report).</p>\n",
        );
    }
    not_assessed(out, report);
    findings_overview(out, report);
    out.push_str("</section>\n");
}

/// The first 12 hex digits of a SHA-256: enough to tell two policies apart at a glance.
fn short_hash(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// `10.0.0.1-5:6443, 10.0.0.9:6443 and 3 more` over `endpoints`.
fn where_(endpoints: &[&Endpoint]) -> String {
    let runs = fleet::runs(endpoints);
    let shown: Vec<&str> = runs.iter().take(MAX_RUNS).map(String::as_str).collect();
    let mut s = shown.join(", ");
    if runs.len() > MAX_RUNS {
        let _ = write!(s, " and {} more", runs.len().saturating_sub(MAX_RUNS));
    }
    s
}

fn not_assessed(out: &mut String, report: &Report) {
    let mut reasons: BTreeMap<&str, Vec<&Endpoint>> = BTreeMap::new();
    let mut unchecked: BTreeMap<(String, &str), Vec<&Endpoint>> = BTreeMap::new();
    for e in &report.endpoints {
        if e.verdict == Verdict::NotAssessed {
            for r in &e.reasons {
                reasons.entry(r.as_str()).or_default().push(e);
            }
        }
        for u in &e.unchecked {
            let check = match u.protocol {
                Some(p) => format!("{} ({p})", u.check),
                None => u.check.clone(),
            };
            unchecked
                .entry((check, u.reason.as_str()))
                .or_default()
                .push(e);
        }
    }
    if reasons.is_empty() && unchecked.is_empty() {
        return;
    }
    out.push_str("<div class=\"why\">\n<h3>Why endpoints were not assessed</h3>\n");
    if !reasons.is_empty() {
        out.push_str(
            "<table class=\"list\">\n<thead><tr><th>Reason</th><th class=\"n\">Endpoints</th>\
             <th>Which</th></tr></thead>\n<tbody>\n",
        );
        let mut rows: Vec<_> = reasons.into_iter().collect();
        rows.sort_by_key(|(_, es)| std::cmp::Reverse(es.len()));
        for (reason, es) in rows {
            let _ = writeln!(
                out,
                "<tr><td class=\"srv\">{}</td><td class=\"n\">{}</td><td class=\"addr\">{}</td></tr>",
                text(reason),
                es.len(),
                text(&where_(&es)),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if !unchecked.is_empty() {
        out.push_str(
            "<p>Checks of the policy that could not be made (a rule that cannot be checked \
             keeps an endpoint from passing, never makes it fail):</p>\n\
             <table class=\"list\">\n<thead><tr><th>Check</th><th>Why not</th>\
             <th class=\"n\">Endpoints</th><th>Which</th></tr></thead>\n<tbody>\n",
        );
        for ((check, reason), es) in unchecked {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"srv\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"addr\">{}</td></tr>",
                text(&check),
                text(reason),
                es.len(),
                text(&where_(&es)),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</div>\n");
}

/// One row per finding id and severity (waived ones apart): how many endpoints have it and
/// on what.
fn findings_overview(out: &mut String, report: &Report) {
    type Key<'a> = (std::cmp::Reverse<Severity>, bool, &'a str);
    let mut rows: BTreeMap<Key<'_>, (Vec<&Endpoint>, BTreeSet<&str>)> = BTreeMap::new();
    for e in &report.endpoints {
        for f in &e.findings {
            let key = (
                std::cmp::Reverse(f.severity),
                f.waived.is_some(),
                f.id.as_str(),
            );
            let (es, items) = rows.entry(key).or_default();
            // An endpoint's findings come together: one look back is enough to count it once.
            if !es.last().is_some_and(|x| std::ptr::eq(*x, e)) {
                es.push(e);
            }
            if let Some(item) = f.item.as_deref() {
                items.insert(item);
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    out.push_str(
        "<div class=\"overview\">\n<h3>Findings across the fleet</h3>\n\
         <table class=\"list\">\n<thead><tr><th></th><th>Finding</th><th>On</th>\
         <th class=\"n\">Endpoints</th><th>Which</th></tr></thead>\n<tbody>\n",
    );
    for ((severity, waived, id), (es, items)) in rows {
        let (symbol, class, word) = severity_mark(severity.0, waived);
        let mut on = items
            .iter()
            .take(MAX_ITEMS)
            .map(|i| suite(i).to_string())
            .collect::<Vec<_>>()
            .join(", ");
        if items.len() > MAX_ITEMS {
            let _ = write!(on, " and {} more", items.len().saturating_sub(MAX_ITEMS));
        }
        let _ = writeln!(
            out,
            "<tr><td class=\"sev {class}\">{symbol} {word}</td><td><code>{}</code></td>\
             <td class=\"srv\">{on}</td><td class=\"n\">{}</td><td class=\"addr\">{}</td></tr>",
            text(id),
            es.len(),
            text(&where_(&es)),
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

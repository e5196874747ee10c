//! Section 3: each distinct configuration once, failing ones first. A block has the addresses
//! that share it and its verdict, a one-line summary, why it was not assessed, every version
//! with what was accepted (suites with their grade, in the server's order) or the evidence it
//! was refused, the key exchange and behaviour facts, the certificate, and the findings. A
//! block is kept on one printed page where it fits. No I/O.

use std::fmt::Write as _;

use super::escape::{suite, text};
use super::marks::{grade_mark, plural, suite_grade, verdict_badge, verdict_class};
use super::{cert, facts, findings};
use crate::model::{Endpoint, ProtocolResult, Severity, Status, Verdict};
use crate::protocol::Protocol;
use crate::report::fleet::Config;
use crate::report::{endpoint_label, service_name};

/// Address runs named in a block's title before the rest are counted.
const TITLE_RUNS: usize = 6;
/// Members listed by name under a block; more are counted (the JSON report has them all).
const MAX_MEMBERS: usize = 1000;
/// Configuration blocks on one page at most (failing ones come first): beyond this the page
/// would be too long to open, and the JSON report has every endpoint.
const MAX_BLOCKS: usize = 500;

pub(super) fn write_all(out: &mut String, configs: &[Config<'_>]) {
    out.push_str(
        "<section class=\"configs\" id=\"configs\">\n<h2><span class=\"sec\">3</span> \
         Configurations</h2>\n<p class=\"intro\">Endpoints whose results are identical (same \
         versions, suites and order, groups, facts and findings) are one configuration, shown \
         once; failing configurations come first.</p>\n",
    );
    for (i, c) in configs.iter().enumerate().take(MAX_BLOCKS) {
        block(out, i.saturating_add(1), c);
    }
    if configs.len() > MAX_BLOCKS {
        let left: usize = configs.iter().skip(MAX_BLOCKS).map(Config::len).sum();
        let _ = writeln!(
            out,
            "<p class=\"callout na\">{} more configurations ({left} endpoints, the ones that \
             pass or were not assessed coming last) are not shown here: the JSON report has \
             every endpoint.</p>",
            configs.len().saturating_sub(MAX_BLOCKS)
        );
    }
    out.push_str("</section>\n");
}

fn block(out: &mut String, n: usize, c: &Config<'_>) {
    let e = c.representative();
    let title = if c.len() == 1 {
        endpoint_title(e)
    } else {
        c.addresses(TITLE_RUNS)
    };
    let _ = write!(
        out,
        "<article class=\"config {}\" id=\"cfg-{n}\">\n<header class=\"cfg-head\">\
         <span class=\"num\">#{n}</span><h3 class=\"addr\">{}</h3>",
        verdict_class(e.verdict),
        text(&title),
    );
    if let Some(s) = service_name(e) {
        let _ = write!(out, "<span class=\"svc\">{}</span>", text(s));
    }
    let _ = writeln!(out, "{}</header>", verdict_badge(e.verdict));
    if c.len() > 1 {
        let _ = writeln!(
            out,
            "<p class=\"members-count\">{} endpoints, identical</p>",
            c.len()
        );
    }
    if e.status == Status::Tls {
        let _ = writeln!(out, "<p class=\"oneline\">{}</p>", one_line(e));
    } else {
        let _ = writeln!(
            out,
            "<p class=\"callout na\"><b>? No TLS answer</b> ({}){}</p>",
            status_words(e.status),
            e.error
                .as_deref()
                .map(|m| format!(": <span class=\"srv\">{}</span>", text(m)))
                .unwrap_or_default(),
        );
    }
    // Reasons that only repeat the error above are not said twice.
    let reasons: Vec<&String> = e
        .reasons
        .iter()
        .filter(|r| e.status == Status::Tls || Some(r.as_str()) != e.error.as_deref())
        .collect();
    if e.verdict == Verdict::NotAssessed && !reasons.is_empty() {
        out.push_str("<div class=\"callout na\"><b>? Not assessed because</b><ul>\n");
        for r in reasons {
            let _ = writeln!(out, "<li class=\"srv\">{}</li>", text(r));
        }
        out.push_str("</ul></div>\n");
    }
    if e.status == Status::Tls || !e.protocols.is_empty() {
        versions(out, e);
        facts::write(out, e);
    }
    cert::write(out, c);
    findings::write(out, e);
    members(out, c);
    out.push_str("</article>\n");
}

/// `node1.example.com:2379 (10.0.0.6)` for a named host, else the socket address.
fn endpoint_title(e: &Endpoint) -> String {
    let label = endpoint_label(e);
    if crate::report::host_is_name(e) {
        format!("{label} ({})", e.ip)
    } else {
        label
    }
}

/// `Preferred TLS_AES_128_GCM_SHA256 (TLSv1.3) · 2 failing findings · 1 warning`.
fn one_line(e: &Endpoint) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &e.preferred_suite {
        let version = e
            .highest_protocol()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        parts.push(format!("Preferred suite <b>{}</b>{version}", suite(p)));
    }
    let failing = e.findings.iter().filter(|f| f.fails()).count();
    let warnings = e
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warn && f.waived.is_none())
        .count();
    let waived = e.findings.iter().filter(|f| f.waived.is_some()).count();
    if e.status == Status::Tls {
        parts.push(format!("{failing} failing finding{}", plural(failing)));
        parts.push(format!("{warnings} warning{}", plural(warnings)));
        if waived > 0 {
            parts.push(format!("{waived} waived"));
        }
    }
    if let Some(r) = e.reasons.first() {
        parts.push(format!("<span class=\"srv\">{}</span>", text(r)));
    }
    parts.join(" · ")
}

fn status_words(s: Status) -> &'static str {
    match s {
        Status::Tls => "TLS",
        Status::Closed => "closed",
        Status::Timeout => "timed out",
        Status::NotTls => "something answered, but not TLS",
        Status::Error => "error",
    }
}

/// Every version, newest first: accepted with its suites (a row each, in the server's order
/// where it has one), refused with the evidence, or why it is not known.
fn versions(out: &mut String, e: &Endpoint) {
    out.push_str(
        "<table class=\"versions\">\n<thead><tr><th>Version</th><th></th><th>Cipher suite</th>\
         <th>Grade</th><th>Code</th><th>OpenSSL name</th></tr></thead>\n<tbody>\n",
    );
    for v in Protocol::ALL.iter().rev() {
        if let Some(p) = e.protocols.get(v) {
            accepted(out, e, *v, p);
        } else if let Some(evidence) = e.refused.get(v) {
            let _ = writeln!(
                out,
                "<tr class=\"refused\"><th>{v}</th><td class=\"m none\">–</td>\
                 <td colspan=\"4\">refused: <span class=\"srv\">{}</span></td></tr>",
                text(evidence)
            );
        } else {
            let why = suites_gap(e, *v).unwrap_or("not probed");
            let _ = writeln!(
                out,
                "<tr class=\"unknown\"><th>{v}</th><td class=\"m unk\">?</td>\
                 <td colspan=\"4\">not known: <span class=\"srv\">{}</span></td></tr>",
                text(why)
            );
        }
    }
    out.push_str("</tbody>\n</table>\n");
}

fn suites_gap(e: &Endpoint, v: Protocol) -> Option<&str> {
    e.gaps
        .iter()
        .find(|g| g.probe == "suites" && g.protocol == Some(v))
        .map(|g| g.reason.as_str())
}

fn accepted(out: &mut String, e: &Endpoint, v: Protocol, p: &ProtocolResult) {
    let order = match (p.server_order, p.suites.len()) {
        (_, 0 | 1) => "",
        (Some(true), _) => "server's order",
        (Some(false), _) => "client's order",
        (None, _) => "order unknown",
    };
    let gap = suites_gap(e, v)
        .map(|r| {
            format!(
                "<small class=\"srv\">the list may be incomplete: {}</small>",
                text(r)
            )
        })
        .unwrap_or_default();
    let rows = p.suites.len().max(1);
    let _ = write!(
        out,
        "<tr class=\"accepted first\"><th rowspan=\"{rows}\">{v}<small>accepted</small>\
         <small>{order}</small>{gap}</th>"
    );
    if p.suites.is_empty() {
        out.push_str("<td></td><td colspan=\"4\">no suite enumerated</td></tr>\n");
    }
    for (i, s) in p.suites.iter().enumerate() {
        if i > 0 {
            out.push_str("<tr class=\"accepted\">");
        }
        let (symbol, class, words) = grade_mark(suite_grade(s));
        let preferred = if p.preferred.as_deref() == Some(s.name.as_str()) && p.suites.len() > 1 {
            " <span class=\"pref\">preferred</span>"
        } else {
            ""
        };
        let openssl = s.openssl.as_deref().filter(|o| *o != s.name).unwrap_or("");
        let _ = writeln!(
            out,
            "<td class=\"m {class}\">{symbol}</td><td class=\"sn\">{}{preferred}</td>\
             <td class=\"g {class}\">{words}</td><td class=\"code\">{}</td>\
             <td class=\"ossl\">{}</td></tr>",
            suite(&s.name),
            s.code,
            text(openssl),
        );
    }
}

/// The endpoints of a configuration with more than one, by address.
fn members(out: &mut String, c: &Config<'_>) {
    if c.len() < 2 {
        return;
    }
    let _ = write!(
        out,
        "<div class=\"members\"><h4>The {} endpoints of this configuration</h4><ul>",
        c.len()
    );
    for e in c.members().iter().take(MAX_MEMBERS) {
        let sni = e
            .sni
            .as_deref()
            .filter(|s| *s != e.host)
            .map(|s| format!(" <small>SNI {}</small>", text(s)))
            .unwrap_or_default();
        let _ = write!(out, "<li>{}{sni}</li>", text(&endpoint_title(e)));
    }
    out.push_str("</ul>");
    if c.len() > MAX_MEMBERS {
        let _ = write!(
            out,
            "<p class=\"note\">and {} more (the JSON report lists every endpoint)</p>",
            c.len().saturating_sub(MAX_MEMBERS)
        );
    }
    out.push_str("</div>\n");
}

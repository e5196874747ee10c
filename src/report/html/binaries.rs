//! The binary half of `check fips` (`fipsprobe binaries`, `scan --binaries`): which crypto
//! module each program was built with, read from the file alone and graded by the policy's
//! module rules. The counts, one row per binary (verdict, path with size and SHA-256, module
//! and its version, Go toolchain and build settings, whether TLS is restricted to FIPS
//! settings), then the findings of each binary that does not pass, citing each rule's source
//! once. Paths come from the file system and everything else from the files: all escaped.
//! No I/O.

use std::fmt::Write as _;

use super::escape::text;
use super::marks::{severity_mark, verdict_badge, verdict_class};
use crate::binaries::{Binary, BinarySummary, Kind};
use crate::model::{Report, Verdict};
use crate::report::fleet::{without_source, Citations};

/// Binaries listed on the page; a walk of `/usr/bin` is about a thousand, the JSON has them all.
const MAX_ROWS: usize = 2000;

pub(super) fn write(out: &mut String, report: &Report, n: usize) {
    let Some(s) = &report.summary.binaries else {
        return;
    };
    let _ = write!(
        out,
        "<section class=\"binaries\" id=\"binaries\">\n<h2><span class=\"sec\">{n}</span> \
         Binaries</h2>\n<p class=\"intro\">Which crypto module each program was built with, \
         read from the file alone (its ELF headers, Go build information and function table, \
         linked libraries), graded by the policy's module rules. A binary <b>passes</b> when it \
         uses a module the policy approves, <b>fails</b> when the module is not approved, and \
         is <b>not assessed</b> when the module could not be told.</p>\n"
    );
    counts(out, s);
    if report.binaries.is_empty() {
        out.push_str("<p class=\"callout na\">? No ELF executable was found to inspect.</p>\n");
        out.push_str("</section>\n");
        return;
    }
    out.push_str(
        "<table class=\"bins\">\n<thead><tr><th>Verdict</th><th>Binary</th>\
         <th>Crypto module</th><th>Go</th><th>FIPS-only TLS</th></tr></thead>\n<tbody>\n",
    );
    for b in report.binaries.iter().take(MAX_ROWS) {
        row(out, b);
    }
    out.push_str("</tbody>\n</table>\n");
    if report.binaries.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "<p class=\"note\">and {} more binaries (the JSON report lists every one)</p>",
            report.binaries.len().saturating_sub(MAX_ROWS)
        );
    }
    findings(out, &report.binaries);
    out.push_str("</section>\n");
}

fn counts(out: &mut String, s: &BinarySummary) {
    let skipped = if s.skipped > 0 {
        format!(
            "<div class=\"count\"><b>{}</b>other files skipped</div>\n",
            s.skipped
        )
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<div class=\"counts\">\n\
         <div class=\"count\"><b>{}</b>binar{} inspected</div>\n\
         <div class=\"count pass\"><b>✓ {}</b>pass</div>\n\
         <div class=\"count fail\"><b>✗ {}</b>fail</div>\n\
         <div class=\"count na\"><b>? {}</b>not assessed</div>\n{skipped}</div>\n",
        s.binaries,
        if s.binaries == 1 { "y" } else { "ies" },
        s.pass,
        s.fail,
        s.not_assessed,
    );
}

fn row(out: &mut String, b: &Binary) {
    let mut file = Vec::new();
    file.push(format!("{} bytes", b.size));
    file.push(kind_words(b.kind).to_string());
    let hash = b
        .sha256
        .as_deref()
        .map(|h| {
            format!(
                "<br><small>SHA-256 <code class=\"hash\">{}</code></small>",
                text(h)
            )
        })
        .unwrap_or_default();
    let mut module = text(&b.crypto_module).to_string();
    if let Some(v) = &b.module_version {
        let _ = write!(module, " {}", text(v));
    }
    let others: Vec<String> = b
        .modules
        .iter()
        .filter(|m| **m != b.crypto_module)
        .map(|m| text(m).to_string())
        .collect();
    if !others.is_empty() {
        let _ = write!(module, "<br><small>also {}</small>", others.join(", "));
    }
    if !b.libraries.is_empty() {
        let libs: Vec<String> = b.libraries.iter().map(|l| text(l).to_string()).collect();
        let _ = write!(module, "<br><small>links {}</small>", libs.join(", "));
    }
    let go = match (&b.go_version, &b.go) {
        (None, None) => "–".to_string(),
        (v, go) => {
            let mut s = v
                .as_deref()
                .map(|v| text(v).to_string())
                .unwrap_or_default();
            if let Some(g) = go {
                let mut settings = Vec::new();
                if !g.experiments.is_empty() {
                    settings.push(format!("GOEXPERIMENT={}", g.experiments.join(",")));
                }
                if let Some(v) = &g.gofips140 {
                    settings.push(format!("GOFIPS140={v}"));
                }
                if let Some(v) = &g.godebug_fips140 {
                    settings.push(format!("GODEBUG fips140={v}"));
                }
                if let Some(v) = &g.cgo_enabled {
                    settings.push(format!("CGO_ENABLED={v}"));
                }
                if !g.tags.is_empty() {
                    settings.push(format!("-tags {}", g.tags.join(",")));
                }
                if let Some(m) = &g.main_module {
                    settings.push(format!("module {m}"));
                }
                if !settings.is_empty() {
                    let _ = write!(s, "<br><small>{}</small>", text(&settings.join(" · ")));
                }
            }
            s
        }
    };
    let fips_only = match b.fips_only {
        Some(true) => "yes",
        Some(false) => "no",
        None => "–",
    };
    let error = b
        .error
        .as_deref()
        .map(|e| format!("<br><small class=\"srv\">{}</small>", text(e)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<tr class=\"{}\"><td>{}</td><td class=\"path\"><code class=\"srv\">{}</code><br>\
         <small>{}</small>{hash}{error}</td><td>{module}</td><td>{go}</td><td>{fips_only}</td></tr>",
        verdict_class(b.verdict),
        verdict_badge(b.verdict),
        text(&b.path),
        file.join(", "),
    );
}

fn kind_words(k: Kind) -> &'static str {
    match k {
        Kind::Go => "Go executable",
        Kind::Elf => "ELF executable",
        Kind::ElfLibrary => "ELF library or object",
        Kind::Script => "script",
        Kind::Empty => "empty file",
        Kind::NotElf => "not ELF",
        Kind::Unreadable => "unreadable",
    }
}

/// The findings of the binaries that do not pass, each rule's source cited once for all.
fn findings(out: &mut String, binaries: &[Binary]) {
    let not_passing: Vec<&Binary> = binaries
        .iter()
        .filter(|b| b.verdict != Verdict::Pass && !b.findings.is_empty())
        .take(MAX_ROWS)
        .collect();
    if not_passing.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<div class=\"bin-findings\"><h3>Why {} binar{} did not pass</h3>",
        not_passing.len(),
        if not_passing.len() == 1 { "y" } else { "ies" }
    );
    let mut citations = Citations::new();
    for b in not_passing {
        let _ = write!(
            out,
            "<div class=\"bin {}\"><p class=\"bin-path\">{} <code class=\"srv\">{}</code></p><ul>",
            verdict_class(b.verdict),
            verdict_badge(b.verdict),
            text(&b.path)
        );
        for f in &b.findings {
            let (symbol, class, word) = severity_mark(f.severity, f.waived.is_some());
            let reference = citations
                .cite(f)
                .map(|n| format!(" <span class=\"ref\">[{n}]</span>"))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<li><span class=\"sev {class}\">{symbol} {word}</span> <code>{}</code>: \
                 <span class=\"srv\">{}</span>{reference}</li>",
                text(&f.id),
                text(&without_source(&f.message, f.source.as_deref())),
            );
        }
        out.push_str("</ul></div>\n");
    }
    if !citations.sources().is_empty() {
        out.push_str("<ol class=\"sources\">");
        for s in citations.sources() {
            let _ = write!(out, "<li class=\"srv\">{}</li>", text(s));
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</div>\n");
}

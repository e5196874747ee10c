//! The binaries as a person reads them, in the spirit of `check fips`'s "Signature Validated
//! [OK]" lines: one row per binary (verdict, module, Go version, fipsonly, path), then the
//! findings that explain each verdict, then a summary and one verdict line. Paths and messages
//! come from the file system and from the files themselves, so control characters are shown
//! escaped, never printed.

use std::fmt::Write as _;

use comfy_table::{presets, ContentArrangement, Table};

use super::model::{Binary, BinarySummary};
use crate::model::{Severity, Verdict};
use crate::report::escape::terminal;

/// Renders the binaries, their summary and (when `verdict_line`) the overall verdict.
pub fn render(
    binaries: &[Binary],
    summary: &BinarySummary,
    policy: &str,
    width: Option<u16>,
    verdict_line: bool,
) -> String {
    let mut out = String::new();
    let mut table = Table::new();
    table.load_style(presets::ASCII_FULL_CONDENSED);
    table
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width.unwrap_or(100))
        .set_header(["VERDICT", "CRYPTO MODULE", "GO", "FIPS-ONLY", "BINARY"]);
    for b in binaries {
        let module = match &b.module_version {
            Some(v) => format!("{} {}", b.crypto_module, v),
            None => b.crypto_module.clone(),
        };
        let fips_only = match b.fips_only {
            Some(true) => "yes",
            Some(false) => "no",
            None => "-",
        };
        table.add_row([
            label(b.verdict).to_string(),
            escape(&module),
            b.go_version
                .as_deref()
                .map_or_else(|| "-".to_string(), escape),
            fips_only.to_string(),
            escape(&b.path),
        ]);
    }
    if !binaries.is_empty() {
        let _ = writeln!(out, "Binaries (policy {policy}):\n{table}");
    }
    for b in binaries.iter().filter(|b| b.verdict != Verdict::Pass) {
        let _ = writeln!(out, "{} {}", label(b.verdict), escape(&b.path));
        for f in &b.findings {
            let mark = match f.severity {
                Severity::Fail => "FAIL",
                Severity::Warn => "warn",
                Severity::Info => "info",
            };
            let _ = writeln!(out, "  [{mark}] {} ({})", escape(&f.message), f.id);
        }
    }
    let _ = writeln!(
        out,
        "Binaries: {} inspected, {} pass, {} fail, {} not assessed{}",
        summary.binaries,
        summary.pass,
        summary.fail,
        summary.not_assessed,
        if summary.skipped > 0 {
            format!(" ({} non-ELF or library files skipped)", summary.skipped)
        } else {
            String::new()
        }
    );
    if verdict_line {
        let overall = match super::outcome(binaries) {
            crate::scan::Outcome::Pass => "PASS",
            crate::scan::Outcome::Fail => "FAIL",
            crate::scan::Outcome::Incomplete => "NOT ASSESSED",
        };
        let _ = writeln!(out, "Verdict: {overall} (policy {policy})");
    }
    out
}

fn label(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NotAssessed => "NOT ASSESSED",
    }
}

/// Control characters (terminal escapes, newlines in file names) and bidirectional overrides
/// shown as escapes, as everywhere in the table (`report::escape`).
fn escape(s: &str) -> String {
    terminal(s).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("a\x1b[31mb\n"), "a\\x1b[31mb\\n");
        assert_eq!(escape("evil\u{202e}fle.so"), "evil\\u{202e}fle.so");
    }
}

//! Section 4 (5 with binaries): what was scanned, when, by which build and with which command line, so that a
//! reader can repeat the scan or tell two reports apart, and the SHA-256 of the JSON report of
//! the same scan, which ties the page to that (signed) file. Times are printed to the second in
//! UTC; one that does not parse is shown as written. No I/O.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::escape::text;
use crate::model::{Report, SCHEMA_VERSION};
use crate::report::timing;

/// Targets listed before the rest are counted.
const MAX_TARGETS: usize = 40;

pub(super) fn write(
    out: &mut String,
    report: &Report,
    configs: usize,
    json_sha256: &str,
    section: usize,
) {
    let s = &report.summary;
    let tool = &report.tool;
    let took = timing::duration_seconds(report)
        .map(|d| format!(" <small>(took {d:.1} s)</small>"))
        .unwrap_or_default();
    let targets: BTreeSet<&str> = report.endpoints.iter().map(|e| e.target.as_str()).collect();
    let mut target_list: Vec<String> = targets
        .iter()
        .take(MAX_TARGETS)
        .map(|t| format!("<code>{}</code>", text(t)))
        .collect();
    if targets.len() > MAX_TARGETS {
        target_list.push(format!(
            "and {} more",
            targets.len().saturating_sub(MAX_TARGETS)
        ));
    }
    let handshakes: u64 = report
        .endpoints
        .iter()
        .map(|e| u64::from(e.handshakes))
        .sum();
    let _ = write!(
        out,
        "<section class=\"scan\" id=\"scan\">\n<h2><span class=\"sec\">{section}</span> About this scan</h2>\n\
         <dl class=\"kv\">\
         <dt>Made by</dt><dd>{} {} <small>(crypto provider {}; FIPS mode {})</small></dd>\
         <dt>Started</dt><dd>{}</dd>\
         <dt>Finished</dt><dd>{}{took}</dd>\
         <dt>Complete</dt><dd>{}</dd>\
         <dt>Command line</dt><dd><code class=\"cmd\">{}</code></dd>\
         <dt>Targets</dt><dd>{}</dd>\
         <dt>Endpoints</dt><dd>{} in the report, {} answered TLS, {} distinct configuration{}; \
         {handshakes} TLS handshakes</dd>\
         <dt>JSON report</dt><dd>SHA-256 <code class=\"hash\">{json_sha256}</code> \
         <small>of the report <code>-o FILE</code> writes for this scan: <code>sha256sum</code> \
         ties this page to it, <code>fipsprobe verify</code> checks its signature</small></dd>\
         <dt>Report format</dt><dd>fipsprobe report schema version {} (this page shows \
         version {SCHEMA_VERSION})</dd>\
         </dl>\n</section>\n",
        text(&tool.name),
        text(&tool.version),
        text(&tool.crypto_provider),
        if tool.fips_mode { "on" } else { "off" },
        text(&when(&report.started_at)),
        text(&when(&report.finished_at)),
        if report.complete {
            "yes"
        } else {
            "no (an endpoint named on the command line was not assessed, or the scan was \
             interrupted)"
        },
        text(&shell_words(&report.args)),
        target_list.join(", "),
        s.endpoints,
        s.tls,
        configs,
        super::marks::plural(configs),
        report.schema_version,
    );
}

/// `2026-12-02 15:28:02 UTC`, or the text as written when it is not RFC 3339.
pub(super) fn when(rfc3339: &str) -> String {
    crate::report::table::to_the_second(rfc3339)
}

/// `2026-12-02`, for the page title.
pub(super) fn day(rfc3339: &str) -> String {
    let w = when(rfc3339);
    w.get(..10).map(str::to_string).unwrap_or(w)
}

/// The command line as a shell would take it back: words with anything unusual in single
/// quotes.
fn shell_words(args: &[String]) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./:=,@%+-[]".contains(c);
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(safe) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_to_the_second_in_utc() {
        assert_eq!(
            when("2026-12-02T15:28:02.751818378Z"),
            "2026-12-02 15:28:02 UTC"
        );
        assert_eq!(when("2026-12-02T16:28:02+01:00"), "2026-12-02 15:28:02 UTC");
        assert_eq!(when("yesterday"), "yesterday");
        assert_eq!(day("2026-12-02T15:28:02Z"), "2026-12-02");
    }

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let args = ["fipsprobe", "scan", "10.0.0.0/24", "a b", "it's", ""].map(String::from);
        assert_eq!(
            shell_words(&args),
            "fipsprobe scan 10.0.0.0/24 'a b' 'it'\\''s' ''"
        );
    }
}

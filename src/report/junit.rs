//! JUnit XML (`--format junit`, `--junit FILE`) for CI systems, which show compliance best as
//! test results: one `<testsuite>` per scan, one `<testcase>` per endpoint named by address and
//! service, a `<failure>` carrying the findings of each failing endpoint, `<skipped>` with the
//! reason for each endpoint that could not be assessed. Passing endpoints with warnings list
//! them in `<system-out>`. A report with a binary half (`fipsprobe binaries`,
//! `scan --binaries`) adds a second `<testsuite>`, one `<testcase>` per binary named by its
//! path, failing, skipped or passing as the binary's verdict says; a report of binaries alone
//! has only that suite. The shape validates against the Jenkins xUnit plugin's
//! `junit-10.xsd` (a copy is in `tests/data/evidence/`, with its provenance).
//!
//! Every string here may come from a server or a hand-edited report, so all text goes through
//! [`escape_text`] and [`escape_attr`]: markup characters become entities, and characters
//! XML 1.0 cannot carry at all (most C0 controls, U+FFFE, U+FFFF) become a visible
//! `\x1B`-style escape instead of making the file unreadable. No I/O.

use std::fmt::Write;

use super::{endpoint_label, has_binaries, service_name, timing};
use crate::binaries::Binary;
use crate::model::{Endpoint, Finding, Report, Severity, Verdict};

/// The whole report as a JUnit XML document.
pub fn to_junit(report: &Report) -> String {
    // A not-assessed endpoint whose partial results already fail is a failure to CI.
    let endpoints = Counts {
        tests: report.endpoints.len(),
        failures: report.endpoints.iter().filter(|e| e.fails()).count(),
        skipped: report
            .endpoints
            .iter()
            .filter(|e| e.verdict == Verdict::NotAssessed && !e.fails())
            .count(),
    };
    // The binary half, when the report has one (`fipsprobe binaries`, `scan --binaries`).
    let binaries = has_binaries(report).then(|| Counts {
        tests: report.binaries.len(),
        failures: report
            .binaries
            .iter()
            .filter(|b| b.verdict == Verdict::Fail)
            .count(),
        skipped: report
            .binaries
            .iter()
            .filter(|b| b.verdict == Verdict::NotAssessed)
            .count(),
    });
    // A report of binaries alone (`fipsprobe binaries`) has no endpoint suite, and its times
    // are those of the binaries.
    let endpoint_suite = binaries.is_none() || !report.endpoints.is_empty();
    let time = timing::duration_seconds(report).map(seconds);
    let tests = endpoints.tests + binaries.as_ref().map_or(0, |b| b.tests);
    let failures = endpoints.failures + binaries.as_ref().map_or(0, |b| b.failures);

    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<testsuites name=\"fipsprobe\"");
    attr(&mut x, "tests", &tests.to_string());
    attr(&mut x, "failures", &failures.to_string());
    attr(&mut x, "errors", "0");
    if let Some(t) = &time {
        attr(&mut x, "time", t);
    }
    x.push_str(">\n");
    if endpoint_suite {
        let name = format!("fipsprobe policy {}", report.policy.id);
        suite_start(&mut x, report, &name, &endpoints, true);
        x.push_str("    </properties>\n");
        for e in &report.endpoints {
            testcase(&mut x, e);
        }
        x.push_str("  </testsuite>\n");
    }
    if let Some(counts) = &binaries {
        let name = format!("fipsprobe binaries policy {}", report.policy.id);
        suite_start(&mut x, report, &name, counts, !endpoint_suite);
        let skipped = report
            .summary
            .binaries
            .as_ref()
            .map_or(0, |s| s.skipped)
            .to_string();
        property(&mut x, "binaries.skipped", &skipped);
        x.push_str("    </properties>\n");
        for b in &report.binaries {
            binary_testcase(&mut x, b);
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Test cases in one suite, by outcome.
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

/// `<testsuite ...>` and its `<properties>` up to the last common one; the caller adds its
/// own and closes them. `timed`: the suite carries the report's time and start.
fn suite_start(x: &mut String, report: &Report, name: &str, counts: &Counts, timed: bool) {
    x.push_str("  <testsuite");
    attr(x, "name", name);
    attr(x, "tests", &counts.tests.to_string());
    attr(x, "failures", &counts.failures.to_string());
    attr(x, "errors", "0");
    attr(x, "skipped", &counts.skipped.to_string());
    if timed {
        if let Some(t) = timing::duration_seconds(report) {
            attr(x, "time", &seconds(t));
        }
        if let Some(start) = timing::started(report) {
            // Ant's timestamp: ISO 8601 to the second, no zone; ours is UTC (the exact RFC
            // 3339 times are among the properties).
            let ts = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                start.year(),
                u8::from(start.month()),
                start.day(),
                start.hour(),
                start.minute(),
                start.second()
            );
            attr(x, "timestamp", &ts);
        }
    }
    x.push_str(">\n    <properties>\n");
    let complete = report.complete.to_string();
    let fips_mode = report.tool.fips_mode.to_string();
    for (name, value) in [
        ("fipsprobe.version", report.tool.version.as_str()),
        (
            "fipsprobe.crypto_provider",
            report.tool.crypto_provider.as_str(),
        ),
        ("fipsprobe.fips_mode", fips_mode.as_str()),
        ("policy.id", report.policy.id.as_str()),
        ("policy.sha256", report.policy.sha256.as_str()),
        ("scan.started_at", report.started_at.as_str()),
        ("scan.finished_at", report.finished_at.as_str()),
        ("scan.complete", complete.as_str()),
    ] {
        property(x, name, value);
    }
}

fn property(x: &mut String, name: &str, value: &str) {
    x.push_str("      <property");
    attr(x, "name", name);
    attr(x, "value", value);
    x.push_str("/>\n");
}

fn testcase(x: &mut String, e: &Endpoint) {
    let service = service_name(e);
    let name = match service {
        Some(s) => format!("{} {s}", endpoint_label(e)),
        None => endpoint_label(e),
    };
    let classname = format!(
        "fipsprobe.{}",
        service.map_or_else(|| format!("port-{}", e.port), str::to_string)
    );
    x.push_str("    <testcase");
    attr(x, "name", &name);
    attr(x, "classname", &classname);
    attr(x, "time", &seconds(e.duration_ms as f64 / 1000.0));
    match e.verdict {
        _ if e.fails() => {
            let more = if e.verdict == Verdict::NotAssessed {
                format!(" (not assessed in full: {})", not_assessed_reason(e))
            } else {
                String::new()
            };
            failure(x, &e.findings, &more);
        }
        Verdict::Fail | Verdict::NotAssessed => skipped(x, &not_assessed_reason(e), &e.findings),
        Verdict::Pass => passed(x, &e.findings),
    }
}

/// One binary of the report's binary half: named by its path, failing when its verdict is
/// `fail` (with the findings), skipped with the reason when it is `not_assessed`.
fn binary_testcase(x: &mut String, b: &Binary) {
    x.push_str("    <testcase");
    attr(x, "name", &b.path);
    attr(x, "classname", "fipsprobe.binaries");
    match b.verdict {
        Verdict::Fail => failure(x, &b.findings, ""),
        Verdict::NotAssessed => skipped(x, &binary_not_assessed_reason(b), &b.findings),
        Verdict::Pass => passed(x, &b.findings),
    }
}

/// The rest of an open `<testcase` that fails: a `<failure>` naming the failing finding ids
/// (then `more`) and carrying every finding.
fn failure(x: &mut String, findings: &[Finding], more: &str) {
    let mut failing: Vec<&str> = Vec::new();
    for f in findings {
        if f.severity == Severity::Fail && f.waived.is_none() && !failing.contains(&f.id.as_str()) {
            failing.push(&f.id);
        }
    }
    let mut message = if failing.is_empty() {
        "fails the policy".to_string()
    } else {
        format!("fails the policy: {}", failing.join(", "))
    };
    message.push_str(more);
    x.push_str(">\n      <failure");
    attr(x, "message", &message);
    attr(x, "type", failing.first().copied().unwrap_or("policy"));
    x.push('>');
    x.push_str(&escape_text(&findings_text(findings)));
    x.push_str("</failure>\n    </testcase>\n");
}

/// The rest of an open `<testcase` that was not assessed: `<skipped>` with the reason, and
/// the findings when there are any.
fn skipped(x: &mut String, reason: &str, findings: &[Finding]) {
    let body = findings_text(findings);
    x.push_str(">\n      <skipped");
    attr(x, "message", reason);
    if body.is_empty() {
        x.push_str("/>\n    </testcase>\n");
    } else {
        x.push('>');
        x.push_str(&escape_text(&body));
        x.push_str("</skipped>\n    </testcase>\n");
    }
}

/// The rest of an open `<testcase` that passes: its findings (warnings, notes) in
/// `<system-out>` when there are any.
fn passed(x: &mut String, findings: &[Finding]) {
    let body = findings_text(findings);
    if body.is_empty() {
        x.push_str("/>\n");
    } else {
        x.push_str(">\n      <system-out>");
        x.push_str(&escape_text(&body));
        x.push_str("</system-out>\n    </testcase>\n");
    }
}

/// `not assessed: timeout: connect timed out`: the status, and the reasons (or the error)
/// where there are any.
fn not_assessed_reason(e: &Endpoint) -> String {
    let status = e.status.label();
    if !e.reasons.is_empty() {
        return format!("not assessed: {status}: {}", e.reasons.join("; "));
    }
    match &e.error {
        Some(err) if !err.is_empty() => format!("not assessed: {status}: {err}"),
        _ => format!("not assessed: {status}"),
    }
}

/// `not assessed: policy fips-140-3 has no rule for openssl 1.1`: what the findings say could
/// not be decided, else why the file could not be inspected.
fn binary_not_assessed_reason(b: &Binary) -> String {
    let undecided: Vec<&str> = b
        .findings
        .iter()
        .filter_map(|f| f.message.strip_prefix("not assessed: "))
        .collect();
    if !undecided.is_empty() {
        return format!("not assessed: {}", undecided.join("; "));
    }
    match &b.error {
        Some(err) if !err.is_empty() => format!("not assessed: {err}"),
        _ => "not assessed: no crypto module the policy decides".to_string(),
    }
}

/// One line per finding, failing ones first: `FAIL suite_not_approved: message`.
fn findings_text(findings: &[Finding]) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut out = String::new();
    for f in sorted {
        let level = match f.severity {
            Severity::Fail => "FAIL",
            Severity::Warn => "WARN",
            Severity::Info => "INFO",
        };
        let _ = write!(out, "{level} {}: {}", f.id, f.message);
        if let Some(source) = &f.source {
            if !f.message.contains(source.as_str()) {
                let _ = write!(out, " ({source})");
            }
        }
        if let Some(w) = &f.waived {
            let _ = write!(out, " [waived until {}: {}]", w.expires, w.reason);
        }
        out.push('\n');
    }
    out
}

/// Seconds with millisecond precision: the form the schemas' `time` pattern takes.
fn seconds(s: f64) -> String {
    format!("{:.3}", s.max(0.0))
}

/// ` name="value"`, the value escaped for an attribute.
fn attr(x: &mut String, name: &str, value: &str) {
    x.push(' ');
    x.push_str(name);
    x.push_str("=\"");
    x.push_str(&escape_attr(value));
    x.push('"');
}

/// Text made safe for an XML 1.0 attribute value: see [`escape_text`]; tab and LF also
/// become character references, which attribute-value normalisation would otherwise turn
/// into spaces.
pub fn escape_attr(s: &str) -> String {
    escape_with(s, true)
}

/// Text made safe for XML 1.0 element content.
///
/// `&`, `<`, `>`, `"`, `'` become entities; CR becomes a character reference (line-end
/// normalisation would drop it). DEL and the C1 controls are legal XML but unsafe on a
/// terminal that `cat`s the file: they become character references too. What XML 1.0 cannot
/// carry even as a reference (other C0 controls, U+FFFE, U+FFFF: XML 1.0 §2.2 `Char`) is
/// written as visible text, `\x1B` or `\u{FFFE}`, so the file stays well-formed and the
/// reader still sees that something odd was there.
pub fn escape_text(s: &str) -> String {
    escape_with(s, false)
}

fn escape_with(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' if !attribute => out.push(c),
            '\t' | '\n' | '\r' | '\u{7F}'..='\u{9F}' => {
                let _ = write!(out, "&#x{:X};", u32::from(c));
            }
            '\u{0}'..='\u{1F}' => {
                let _ = write!(out, "\\x{:02X}", u32::from(c));
            }
            '\u{FFFE}' | '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:X}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use crate::report::json;

    /// A report of three endpoints, one per verdict, as JSON (the stable contract), with
    /// hostile text where a server or an edited file could put it.
    pub(crate) fn sample() -> Report {
        json::from_json(
            include_str!("../../tests/data/evidence/hostile-report.json"),
            "hostile-report.json",
        )
        .unwrap()
    }

    #[test]
    fn escape_leaves_no_markup_and_no_illegal_character() {
        let hostile = "a<b>&\"'\u{0}\u{1b}[31m\t\r\n\u{7f}\u{85}\u{fffe}é]]>";
        assert_eq!(
            escape_attr(hostile),
            "a&lt;b&gt;&amp;&quot;&apos;\\x00\\x1B[31m&#x9;&#xD;&#xA;&#x7F;&#x85;\\u{FFFE}é]]&gt;"
        );
        assert_eq!(
            escape_text(hostile),
            "a&lt;b&gt;&amp;&quot;&apos;\\x00\\x1B[31m\t&#xD;\n&#x7F;&#x85;\\u{FFFE}é]]&gt;"
        );
    }

    #[test]
    fn one_testcase_per_endpoint_with_failure_and_skipped_as_the_verdicts_say() {
        let x = to_junit(&sample());
        assert_eq!(x.matches("<testcase ").count(), 3, "{x}");
        assert_eq!(x.matches("<failure ").count(), 1, "{x}");
        assert_eq!(x.matches("<skipped ").count(), 1, "{x}");
        assert!(x.contains(r#"<testsuite name="fipsprobe policy fips-140-3" tests="3" failures="1" errors="0" skipped="1" time="191.000" timestamp="2026-11-23T02:00:00">"#), "{x}");
        assert!(x.contains(r#"<testcase name="10.0.0.5:6443 kube-apiserver" classname="fipsprobe.kube-apiserver" time="0.120"/>"#), "{x}");
        assert!(x.contains(r#"<failure message="fails the policy: protocol_not_approved, suite_not_approved" type="protocol_not_approved">FAIL protocol_not_approved: "#), "{x}");
    }

    /// A binary of `verdict` at `path`, with one finding of `severity`.
    pub(crate) fn binary(path: &str, verdict: Verdict, id: &str, severity: Severity) -> Binary {
        Binary {
            path: path.to_string(),
            sha256: None,
            size: 1,
            kind: crate::binaries::Kind::Go,
            go_version: Some("go1.24.4".into()),
            crypto_module: "go-standard".into(),
            module_version: None,
            fips_only: None,
            modules: Vec::new(),
            libraries: Vec::new(),
            go: None,
            error: None,
            findings: vec![Finding {
                id: id.to_string(),
                severity,
                message: format!("not assessed: {id} <of> {path}"),
                item: None,
                protocol: None,
                source: None,
                waived: None,
            }],
            verdict,
        }
    }

    fn with_binaries(mut report: Report) -> Report {
        report.binaries = vec![
            binary(
                "/usr/bin/ok",
                Verdict::Pass,
                "module_validated",
                Severity::Info,
            ),
            binary(
                "/usr/bin/bad<\u{1b}[2J\"",
                Verdict::Fail,
                "module_not_validated",
                Severity::Fail,
            ),
            binary(
                "/usr/bin/odd",
                Verdict::NotAssessed,
                "module_undecided",
                Severity::Info,
            ),
        ];
        report.summary.binaries = Some(crate::binaries::BinarySummary::of(&report.binaries, 2));
        report
    }

    #[test]
    fn binaries_are_a_testsuite_of_their_own_as_their_verdicts_say() {
        let x = to_junit(&with_binaries(sample()));
        assert_eq!(x.matches("<testsuite ").count(), 2, "{x}");
        assert!(
            x.contains(
                r#"<testsuites name="fipsprobe" tests="6" failures="2" errors="0" time="191.000">"#
            ),
            "{x}"
        );
        // The endpoint suite is as it was; the binaries' has no time of its own.
        assert!(x.contains(r#"<testsuite name="fipsprobe policy fips-140-3" tests="3" failures="1" errors="0" skipped="1" time="191.000" timestamp="2026-11-23T02:00:00">"#), "{x}");
        assert!(x.contains(r#"<testsuite name="fipsprobe binaries policy fips-140-3" tests="3" failures="1" errors="0" skipped="1">"#), "{x}");
        assert!(
            x.contains(r#"<property name="binaries.skipped" value="2"/>"#),
            "{x}"
        );
        assert!(
            x.contains(
                r#"<testcase name="/usr/bin/ok" classname="fipsprobe.binaries">
      <system-out>INFO module_validated: "#
            ),
            "{x}"
        );
        assert!(x.contains(r#"<testcase name="/usr/bin/bad&lt;\x1B[2J&quot;" classname="fipsprobe.binaries">
      <failure message="fails the policy: module_not_validated" type="module_not_validated">FAIL module_not_validated: not assessed: module_not_validated &lt;of&gt; /usr/bin/bad&lt;\x1B[2J&quot;
</failure>"#), "{x}");
        assert!(x.contains(r#"<testcase name="/usr/bin/odd" classname="fipsprobe.binaries">
      <skipped message="not assessed: module_undecided &lt;of&gt; /usr/bin/odd">INFO module_undecided: "#), "{x}");
        assert!(!x.contains('\u{1b}'));
    }

    #[test]
    fn a_report_of_binaries_alone_has_only_their_suite_with_its_times() {
        let mut report = with_binaries(sample());
        report.endpoints.clear();
        let x = to_junit(&report);
        assert_eq!(x.matches("<testsuite ").count(), 1, "{x}");
        assert!(
            x.contains(
                r#"<testsuites name="fipsprobe" tests="3" failures="1" errors="0" time="191.000">"#
            ),
            "{x}"
        );
        assert!(x.contains(r#"<testsuite name="fipsprobe binaries policy fips-140-3" tests="3" failures="1" errors="0" skipped="1" time="191.000" timestamp="2026-11-23T02:00:00">"#), "{x}");
        // A walk that found nothing to report is still a (empty) suite of binaries.
        report.binaries.clear();
        report.summary.binaries = Some(crate::binaries::BinarySummary::default());
        let x = to_junit(&report);
        assert!(x.contains(r#"<testsuite name="fipsprobe binaries policy fips-140-3" tests="0" failures="0" errors="0" skipped="0""#), "{x}");
        assert_eq!(x.matches("<testsuite ").count(), 1, "{x}");
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let x = to_junit(&with_binaries(sample()));
        // No raw control character but line ends and tabs in element text.
        assert!(
            !x.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{x:?}"
        );
        assert!(!x.contains("<script"), "{x}");
        assert!(x.contains("&lt;script&gt;"), "{x}");
        assert!(x.contains("\\x1B[2J"), "{x}");
        // Every `<` starts one of our elements or the declaration.
        for piece in x.split('<').skip(1) {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "?/-".contains(*c))
                .collect();
            assert!(
                [
                    "?xml",
                    "testsuites",
                    "testsuite",
                    "properties",
                    "property",
                    "testcase",
                    "failure",
                    "skipped",
                    "system-out",
                    "/testsuites",
                    "/testsuite",
                    "/properties",
                    "/testcase",
                    "/failure",
                    "/skipped",
                    "/system-out"
                ]
                .contains(&name.as_str()),
                "unexpected element {name:?} in {x}"
            );
        }
    }
}

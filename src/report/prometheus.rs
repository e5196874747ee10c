//! Prometheus text exposition (`--format prometheus`, `--prometheus FILE`): a textfile for
//! node_exporter's textfile collector, written by a cron job after each scan, so dashboards
//! and alerts see the fleet's compliance without reading JSON.
//!
//! Metrics, all gauges describing the last scan:
//!
//! | metric | labels |
//! |---|---|
//! | `fipsprobe_scan_info` (always 1) | `version`, `crypto_provider`, `fips_mode`, `policy`, `policy_sha256` |
//! | `fipsprobe_endpoints` | `service`, `verdict` (every verdict of every service seen, zeros included) |
//! | `fipsprobe_findings` | `id`, `severity`, `waived` |
//! | `fipsprobe_scan_complete` | 1 when complete, 0 when interrupted or a named endpoint was not assessed |
//! | `fipsprobe_scan_duration_seconds` | |
//! | `fipsprobe_last_scan_timestamp_seconds` | Unix time the scan finished |
//! | `fipsprobe_binaries` | `verdict` (zeros included): only with a binary half (`fipsprobe binaries`, `scan --binaries`), as are the three below |
//! | `fipsprobe_binaries_skipped` | files met in directories and left out (not ELF executables) |
//! | `fipsprobe_binary_verdict` | `path`, `verdict`: 1 for the binary's verdict, 0 for the other two |
//! | `fipsprobe_binary_info` (1) | `path`, `kind`, `crypto_module` |
//!
//! Label values are escaped as the exposition format requires (`\\`, `\"`, `\n`); other
//! control characters, which the format would carry raw, are replaced with U+FFFD so a
//! hand-edited report or a file name cannot put terminal escapes into a scrape. An endpoint
//! without a well-known service is labelled by its port (`8443/tcp`). No I/O.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{has_binaries, service_name, timing};
use crate::model::{Report, Severity, Verdict};

/// The report as a Prometheus text-format document (ends with a newline).
pub fn to_prometheus(report: &Report) -> String {
    let mut out = String::new();

    family(
        &mut out,
        "fipsprobe_scan_info",
        "The tool and policy of the last fipsprobe scan (always 1).",
    );
    sample(
        &mut out,
        "fipsprobe_scan_info",
        &[
            ("version", &report.tool.version),
            ("crypto_provider", &report.tool.crypto_provider),
            ("fips_mode", &report.tool.fips_mode.to_string()),
            ("policy", &report.policy.id),
            ("policy_sha256", &report.policy.sha256),
        ],
        "1",
    );

    family(
        &mut out,
        "fipsprobe_scan_complete",
        "1 when the last scan was complete; 0 when it was interrupted or an endpoint named explicitly could not be assessed.",
    );
    let complete = if report.complete { "1" } else { "0" };
    sample(&mut out, "fipsprobe_scan_complete", &[], complete);

    if let Some(seconds) = timing::duration_seconds(report) {
        family(
            &mut out,
            "fipsprobe_scan_duration_seconds",
            "Wall time of the last scan.",
        );
        sample(
            &mut out,
            "fipsprobe_scan_duration_seconds",
            &[],
            &number(seconds),
        );
    }
    if let Some(end) = timing::finished(report) {
        family(
            &mut out,
            "fipsprobe_last_scan_timestamp_seconds",
            "Unix time the last scan finished.",
        );
        sample(
            &mut out,
            "fipsprobe_last_scan_timestamp_seconds",
            &[],
            &number(timing::unix_seconds(end)),
        );
    }

    family(
        &mut out,
        "fipsprobe_endpoints",
        "Endpoints in the last scan by service and verdict.",
    );
    let mut by_service: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for e in &report.endpoints {
        let service = service_name(e).map_or_else(|| format!("{}/tcp", e.port), str::to_string);
        let [pass, fail, not_assessed] = by_service.entry(service).or_default();
        let slot = match e.verdict {
            Verdict::Pass => pass,
            Verdict::Fail => fail,
            Verdict::NotAssessed => not_assessed,
        };
        *slot = slot.saturating_add(1);
    }
    for (service, counts) in &by_service {
        for (verdict, n) in ["pass", "fail", "not_assessed"].iter().zip(counts) {
            sample(
                &mut out,
                "fipsprobe_endpoints",
                &[("service", service), ("verdict", verdict)],
                &n.to_string(),
            );
        }
    }

    family(
        &mut out,
        "fipsprobe_findings",
        "Findings in the last scan by id, severity and whether a waiver covers them.",
    );
    let mut findings: BTreeMap<(String, &'static str, bool), u64> = BTreeMap::new();
    for f in report.endpoints.iter().flat_map(|e| &e.findings) {
        let severity = match f.severity {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Fail => "fail",
        };
        let n = findings
            .entry((f.id.clone(), severity, f.waived.is_some()))
            .or_default();
        *n = n.saturating_add(1);
    }
    for ((id, severity, waived), n) in &findings {
        sample(
            &mut out,
            "fipsprobe_findings",
            &[
                ("id", id),
                ("severity", severity),
                ("waived", if *waived { "true" } else { "false" }),
            ],
            &n.to_string(),
        );
    }
    if has_binaries(report) {
        binaries(&mut out, report);
    }
    out
}

/// The binary half (`fipsprobe binaries`, `scan --binaries`): counts by verdict, files left
/// out, and per binary its verdict and crypto module.
fn binaries(out: &mut String, report: &Report) {
    let verdicts = ["pass", "fail", "not_assessed"];
    let slot = |v: Verdict| match v {
        Verdict::Pass => 0,
        Verdict::Fail => 1,
        Verdict::NotAssessed => 2,
    };

    family(
        out,
        "fipsprobe_binaries",
        "Binaries inspected in the last run by verdict.",
    );
    let mut counts = [0u64; 3];
    for b in &report.binaries {
        if let Some(n) = counts.get_mut(slot(b.verdict)) {
            *n = n.saturating_add(1);
        }
    }
    for (verdict, n) in verdicts.iter().zip(counts) {
        sample(
            out,
            "fipsprobe_binaries",
            &[("verdict", verdict)],
            &n.to_string(),
        );
    }

    family(
        out,
        "fipsprobe_binaries_skipped",
        "Files met in directories that are not ELF executables (scripts, libraries), left out.",
    );
    let skipped = report.summary.binaries.as_ref().map_or(0, |s| s.skipped);
    sample(out, "fipsprobe_binaries_skipped", &[], &skipped.to_string());

    // Keyed by the label as written, so two paths that print alike (control characters) are
    // one series that counts both, never a repeated series the collector would refuse.
    let mut by_path: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    let mut info: BTreeMap<(String, &'static str, String), u64> = BTreeMap::new();
    for b in &report.binaries {
        let path = label_key(&b.path);
        if let Some(n) = by_path
            .entry(path.clone())
            .or_default()
            .get_mut(slot(b.verdict))
        {
            *n = n.saturating_add(1);
        }
        let n = info
            .entry((path, b.kind.as_str(), label_key(&b.crypto_module)))
            .or_default();
        *n = n.saturating_add(1);
    }
    family(
        out,
        "fipsprobe_binary_verdict",
        "1 for the verdict of the binary at this path in the last run, 0 for the other two.",
    );
    for (path, counts) in &by_path {
        for (verdict, n) in verdicts.iter().zip(counts) {
            sample(
                out,
                "fipsprobe_binary_verdict",
                &[("path", path), ("verdict", verdict)],
                &n.to_string(),
            );
        }
    }
    family(
        out,
        "fipsprobe_binary_info",
        "The kind and crypto module of the binary at this path in the last run (1; more only for paths that print alike).",
    );
    for ((path, kind, module), n) in &info {
        sample(
            out,
            "fipsprobe_binary_info",
            &[("path", path), ("kind", kind), ("crypto_module", module)],
            &n.to_string(),
        );
    }
}

/// `s` with the characters [`escape_label`] replaces (controls but the line feed) already
/// replaced: the key under which two values that would be written alike are counted as one.
fn label_key(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// `# HELP` and `# TYPE` lines: every metric here is a gauge of the last scan.
fn family(out: &mut String, name: &str, help: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            out.push_str(&escape_label(v));
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// A float in the exposition format: millisecond precision, no exponent.
fn number(v: f64) -> String {
    format!("{v:.3}")
}

/// A label value as the text format writes it: backslash, double quote and line feed
/// escaped; other control characters (the format would carry them raw) replaced with U+FFFD.
pub fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::report::json;

    fn sample_report() -> Report {
        json::from_json(
            include_str!("../../tests/data/evidence/hostile-report.json"),
            "hostile-report.json",
        )
        .unwrap()
    }

    #[test]
    fn binaries_by_verdict_and_path_and_none_without_a_binary_half() {
        let text = to_prometheus(&sample_report());
        assert!(!text.contains("fipsprobe_binar"), "{text}");

        let mut report = sample_report();
        use crate::report::junit::tests::binary;
        report.binaries = vec![
            binary("/bin/ok", Verdict::Pass, "module_validated", Severity::Info),
            binary(
                "/bin/bad\"\\\n",
                Verdict::Fail,
                "module_not_validated",
                Severity::Fail,
            ),
            // Two paths that print alike (the controls become U+FFFD): one series, counting both.
            binary(
                "/bin/x\u{1b}",
                Verdict::NotAssessed,
                "module_undecided",
                Severity::Info,
            ),
            binary(
                "/bin/x\u{7}",
                Verdict::Fail,
                "module_not_validated",
                Severity::Fail,
            ),
        ];
        report.summary.binaries = Some(crate::binaries::BinarySummary::of(&report.binaries, 3));
        let text = to_prometheus(&report);
        for line in [
            "fipsprobe_binaries{verdict=\"pass\"} 1",
            "fipsprobe_binaries{verdict=\"fail\"} 2",
            "fipsprobe_binaries{verdict=\"not_assessed\"} 1",
            "fipsprobe_binaries_skipped 3",
            "fipsprobe_binary_verdict{path=\"/bin/ok\",verdict=\"pass\"} 1",
            "fipsprobe_binary_verdict{path=\"/bin/ok\",verdict=\"fail\"} 0",
            "fipsprobe_binary_verdict{path=\"/bin/bad\\\"\\\\\\n\",verdict=\"fail\"} 1",
            "fipsprobe_binary_verdict{path=\"/bin/x\u{FFFD}\",verdict=\"fail\"} 1",
            "fipsprobe_binary_verdict{path=\"/bin/x\u{FFFD}\",verdict=\"not_assessed\"} 1",
            "fipsprobe_binary_info{path=\"/bin/ok\",kind=\"go\",crypto_module=\"go-standard\"} 1",
            "fipsprobe_binary_info{path=\"/bin/x\u{FFFD}\",kind=\"go\",crypto_module=\"go-standard\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "no line {line:?} in\n{text}");
        }
        // No series twice.
        let series: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.rsplit_once(' ').map(|(s, _)| s))
            .collect();
        let mut unique = series.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), series.len(), "{text}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
    }

    #[test]
    fn label_values_are_escaped_as_the_format_says() {
        assert_eq!(
            escape_label("a\"b\\c\nd\u{1b}e\r"),
            "a\\\"b\\\\c\\nd\u{FFFD}e\u{FFFD}"
        );
    }

    #[test]
    fn endpoints_by_service_and_verdict_and_findings_by_id() {
        let text = to_prometheus(&sample_report());
        for line in [
            "fipsprobe_endpoints{service=\"kube-apiserver\",verdict=\"pass\"} 1",
            "fipsprobe_endpoints{service=\"kube-apiserver\",verdict=\"fail\"} 0",
            "fipsprobe_endpoints{service=\"etcd-client\",verdict=\"fail\"} 1",
            "fipsprobe_endpoints{service=\"evil\\\"svc\\\\\\nname\u{FFFD}\",verdict=\"not_assessed\"} 1",
            "fipsprobe_findings{id=\"suite_not_approved\",severity=\"fail\",waived=\"false\"} 1",
            "fipsprobe_findings{id=\"suite_not_approved\",severity=\"fail\",waived=\"true\"} 1",
            "fipsprobe_findings{id=\"tls13_missing\",severity=\"warn\",waived=\"false\"} 1",
            "fipsprobe_scan_complete 0",
            "fipsprobe_scan_duration_seconds 191.000",
            "fipsprobe_last_scan_timestamp_seconds 1795399391.000",
        ] {
            assert!(text.lines().any(|l| l == line), "no line {line:?} in\n{text}");
        }
        assert!(text.ends_with('\n'));
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
    }
}

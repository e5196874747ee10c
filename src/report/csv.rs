//! CSV for spreadsheets (`--format csv`): one row per endpoint × protocol version × accepted
//! suite, so a filter on `approved = false` lists every offending suite. An endpoint with no
//! accepted suite (closed, timeout, not TLS) still gets one row, with the suite columns empty.
//!
//! Quoting follows RFC 4180 (fields holding a comma, quote, CR or LF are quoted, quotes
//! doubled). Lines end in `\n`. Cells that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or CR) are prefixed with `'` (OWASP "CSV injection"): `error` and
//! `target` can hold text a remote peer or an input file chose. Control characters are shown
//! as escapes (`\x1b`, `\r`, `\n`: see [`crate::report::escape::terminal`]), so every record is
//! one line and no cell carries a raw control character; the JSON report keeps the exact text.

use crate::model::{Endpoint, Finding, Report, Severity};

/// The header row, in column order.
pub const COLUMNS: [&str; 19] = [
    "target",
    "host",
    "ip",
    "port",
    "service",
    "sni",
    "status",
    "verdict",
    "protocol",
    "suite",
    "code",
    "openssl",
    "approved",
    "server_order",
    "protocol_preferred",
    "preferred_suite",
    "fail_findings",
    "waived_findings",
    "error",
];

/// The whole report as CSV: a header row, then the rows described in the module doc.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::new();
    push_row(&mut out, COLUMNS.iter().map(|c| c.to_string()));
    for e in &report.endpoints {
        let mut wrote = false;
        for (protocol, result) in &e.protocols {
            for suite in &result.suites {
                let row = [
                    protocol.label().to_string(),
                    suite.name.clone(),
                    suite.code.to_string(),
                    suite.openssl.clone().unwrap_or_default(),
                    suite.approved.to_string(),
                    tri(result.server_order),
                    result.preferred.clone().unwrap_or_default(),
                ];
                push_row(&mut out, endpoint_cells(e, row));
                wrote = true;
            }
        }
        if !wrote {
            push_row(&mut out, endpoint_cells(e, Default::default()));
        }
    }
    out
}

/// Endpoint columns around the seven per-suite columns, in [`COLUMNS`] order.
fn endpoint_cells(e: &Endpoint, suite: [String; 7]) -> impl Iterator<Item = String> {
    let head = [
        e.target.clone(),
        e.host.clone(),
        e.ip.to_string(),
        e.port.to_string(),
        e.service.clone().unwrap_or_default(),
        e.sni.clone().unwrap_or_default(),
        enum_text(&e.status),
        enum_text(&e.verdict),
    ];
    let tail = [
        e.preferred_suite.clone().unwrap_or_default(),
        finding_ids(&e.findings, false),
        finding_ids(&e.findings, true),
        e.error.clone().unwrap_or_default(),
    ];
    head.into_iter().chain(suite).chain(tail)
}

/// `true` / `false` / empty for unknown.
fn tri(v: Option<bool>) -> String {
    v.map(|b| b.to_string()).unwrap_or_default()
}

/// The snake_case JSON spelling of a unit enum (`not_assessed`).
fn enum_text<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// `fail` findings as `id@protocol:item` joined by `;`: unwaived ones, or the waived ones.
fn finding_ids(findings: &[Finding], waived: bool) -> String {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Fail && f.waived.is_some() == waived)
        .map(|f| {
            let mut s = f.id.clone();
            if let Some(p) = f.protocol {
                s.push('@');
                s.push_str(p.label());
            }
            if let Some(item) = &f.item {
                s.push(':');
                s.push_str(item);
            }
            s
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(&cell));
    }
    out.push('\n');
}

/// One cell, its control characters escaped, neutralised against formula injection and quoted
/// when needed.
pub fn quote(cell: &str) -> String {
    let cell = super::escape::terminal(cell);
    let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_per_rfc4180() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "two\\nlines");
        assert_eq!(quote("\x1b[2J,\r"), "\"\\x1b[2J,\\r\"");
        assert_eq!(quote(""), "");
    }

    #[test]
    fn neutralises_formulas() {
        assert_eq!(quote("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(quote("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(quote("-1+1"), "'-1+1");
    }
}

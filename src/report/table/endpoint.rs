//! One endpoint's block: title with the verdict, details (SNI, preferred suite, groups,
//! extensions), the accepted-suite table by version with non-approved suites marked, and the
//! findings (waived ones marked). No I/O.

use std::fmt::Write as _;

use comfy_table::{Cell, Color};

use super::{error_suffix, severity_text, status_text, text_width, verdict_text, Renderer};
use crate::report::escape::terminal;
use crate::report::model::{Endpoint, Finding, Severity, Status};
use crate::report::{endpoint_label, host_is_name, service_name, socket_label};

impl Renderer<'_> {
    pub(super) fn endpoint_block(&self, e: &Endpoint, out: &mut String) {
        // Title: address, service, verdict on the right like `[OK]` in konvoy's output.
        let mut title = endpoint_label(e);
        if host_is_name(e) {
            let _ = write!(title, " ({})", socket_label(e.ip, e.port));
        }
        if let Some(service) = service_name(e) {
            let _ = write!(title, "  {service}");
        }
        let title = terminal(&title).into_owned();
        let tag = format!("[{}]", verdict_text(e.verdict));
        let pad = self.width.map_or(2, |w| {
            w.saturating_sub(text_width(&title) + text_width(&tag))
                .max(2)
        });
        if pad + text_width(&title) + text_width(&tag) <= self.width.unwrap_or(usize::MAX) {
            let _ = writeln!(
                out,
                "{}{}{}",
                self.bold(&title),
                " ".repeat(pad),
                self.verdict_paint(e.verdict, &tag)
            );
        } else {
            self.wrapped(&title, "", "  ", out);
            let _ = writeln!(out, "  {}", self.verdict_paint(e.verdict, &tag));
        }

        // Details: status when odd, SNI, preferred suite, groups.
        if e.status != Status::Tls {
            let line = format!("Status: {}{}", status_text(e.status), error_suffix(e));
            self.wrapped(&line, "  ", "    ", out);
        }
        if let Some(sni) = e.sni.as_deref().filter(|s| *s != e.host) {
            self.wrapped(&format!("SNI: {sni}"), "  ", "    ", out);
        }
        let preferred = match &e.preferred_suite {
            Some(name) => self.suite_with_names(e, name),
            None => self.marks.none.to_string(),
        };
        self.wrapped(&format!("Preferred: {preferred}"), "  ", "    ", out);
        // Groups per version when the probe split them, else the union.
        match e.extensions.get("groups").and_then(|g| g.as_object()) {
            Some(by_version) if !by_version.is_empty() => {
                for (version, groups) in by_version.iter().rev() {
                    let names: Vec<String> = groups
                        .as_array()
                        .map(|a| a.iter().map(plain).collect())
                        .unwrap_or_default();
                    self.wrapped(
                        &format!("Groups {version}: {}", names.join(", ")),
                        "  ",
                        "    ",
                        out,
                    );
                }
            }
            _ if !e.groups.is_empty() => self.wrapped(
                &format!("Groups: {}", e.groups.join(", ")),
                "  ",
                "    ",
                out,
            ),
            _ => {}
        }
        // Everything else the probe recorded, as key=value; the group lines above say the rest.
        let facts: Vec<String> = e
            .extensions
            .iter()
            .filter(|(k, _)| k.as_str() != "groups")
            .map(|(k, v)| format!("{k}={}", plain(v)))
            .collect();
        if !facts.is_empty() {
            self.wrapped(
                &format!("Extensions: {}", facts.join(", ")),
                "  ",
                "    ",
                out,
            );
        }

        if !e.protocols.is_empty() {
            out.push_str(&self.suite_table(e));
            out.push('\n');
        }
        if !e.findings.is_empty() {
            for f in &e.findings {
                self.finding(f, out);
            }
        } else if e.status == Status::Tls {
            self.wrapped("No findings.", "  ", "    ", out);
        }
    }

    /// `NAME (OPENSSL-NAME, 0xC030)`: the OpenSSL name where it differs, the code when wide.
    fn suite_with_names(&self, e: &Endpoint, name: &str) -> String {
        let entry = e
            .protocols
            .values()
            .rev()
            .flat_map(|p| p.suites.iter())
            .find(|s| s.name == name);
        let mut extra = Vec::new();
        if let Some(s) = entry {
            if let Some(o) = s.openssl.as_deref().filter(|o| *o != name) {
                extra.push(o.to_string());
            }
            if self.opts.wide {
                extra.push(s.code.to_string());
            }
            if !s.approved {
                extra.push("not approved".to_string());
            }
        }
        if extra.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({})", extra.join(", "))
        }
    }

    fn suite_table(&self, e: &Endpoint) -> String {
        let mut t = self.new_table();
        let mut header = vec!["Version", "Server order", "Accepted suite"];
        if self.opts.wide {
            header.extend(["Code", "OpenSSL name"]);
        }
        header.push("FIPS");
        t.set_header(header);
        for (protocol, result) in &e.protocols {
            let order = match result.server_order {
                Some(true) => "yes",
                Some(false) => "no",
                None => self.marks.none,
            };
            if result.suites.is_empty() {
                let mut row = vec![
                    Cell::new(protocol.label()),
                    Cell::new(order),
                    Cell::new("(no suite enumerated)"),
                ];
                if self.opts.wide {
                    row.extend([Cell::new(""), Cell::new("")]);
                }
                row.push(Cell::new(""));
                t.add_row(row);
            }
            for (i, suite) in result.suites.iter().enumerate() {
                let (version, order) = if i == 0 {
                    (protocol.label(), order)
                } else {
                    ("", "")
                };
                let mark = if suite.approved {
                    self.marks.approved
                } else {
                    self.marks.not_approved
                };
                let colour = if suite.approved {
                    Color::Green
                } else {
                    Color::Red
                };
                let mut row = vec![
                    Cell::new(version),
                    Cell::new(order),
                    self.cell(&suite.name, (!suite.approved).then_some(Color::Red)),
                ];
                if self.opts.wide {
                    row.push(Cell::new(suite.code));
                    row.push(self.cell(suite.openssl.as_deref().unwrap_or(self.marks.none), None));
                }
                row.push(self.cell(mark, Some(colour)));
                t.add_row(row);
            }
        }
        t.to_string()
    }

    fn finding(&self, f: &Finding, out: &mut String) {
        let (mark, label, colour) = match (&f.waived, f.severity) {
            (Some(_), s) => (
                self.marks.waived,
                format!("WAIVED {}", severity_text(s)),
                "33",
            ),
            (None, Severity::Fail) => (self.marks.fail, "FAIL".to_string(), "31"),
            (None, Severity::Warn) => (self.marks.warn, "WARN".to_string(), "33"),
            (None, Severity::Info) => (self.marks.info, "INFO".to_string(), "36"),
        };
        let mut text = format!("{mark} {label} {}: {}", f.id, f.message);
        if let Some(source) = f.source.as_deref().filter(|s| !f.message.contains(*s)) {
            let _ = write!(text, " [{source}]");
        }
        if let Some(w) = &f.waived {
            let _ = write!(text, " (waived until {}: {})", w.expires, w.reason);
        }
        let mut lines = String::new();
        self.wrapped(&text, "  ", "      ", &mut lines);
        if self.opts.color {
            for line in lines.lines() {
                let _ = writeln!(out, "\x1b[{colour}m{line}\x1b[0m");
            }
        } else {
            out.push_str(&lines);
        }
    }
}

/// A JSON value as a person reads it: strings unquoted, arrays as `a b c`.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

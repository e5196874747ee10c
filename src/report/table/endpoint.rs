//! One endpoint's block: title with the verdict, details (SNI, preferred suite, groups,
//! extensions), the accepted-suite table by version with non-approved suites marked, and the
//! findings (waived ones marked). No I/O.

use std::fmt::Write as _;

use comfy_table::{Cell, Color};

use super::{error_suffix, severity_text, status_text, text_width, verdict_text, Renderer};
use crate::model::{Certificate, Endpoint, Facts, Finding, Severity, Status, Verdict};
use crate::report::escape::terminal;
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
        if !e.extensions.groups.is_empty() {
            for (version, groups) in e.extensions.groups.iter().rev() {
                self.wrapped(
                    &format!("Groups {version}: {}", groups.join(", ")),
                    "  ",
                    "    ",
                    out,
                );
            }
        } else if !e.groups.is_empty() {
            self.wrapped(
                &format!("Groups: {}", e.groups.join(", ")),
                "  ",
                "    ",
                out,
            );
        }
        let facts = facts_line(&e.extensions, self.marks.sep);
        if !facts.is_empty() {
            self.wrapped(&format!("Facts: {facts}"), "  ", "    ", out);
        }
        if let Some(cert) = &e.certificate {
            let line = certificate_line(cert, self.marks.sep);
            self.wrapped(&format!("Certificate: {line}"), "  ", "    ", out);
        }
        if !e.refused.is_empty() {
            let refused: Vec<String> = e
                .refused
                .iter()
                .rev()
                .map(|(v, r)| format!("{v} ({r})"))
                .collect();
            self.wrapped(
                &format!("Refused: {}", refused.join(", ")),
                "  ",
                "    ",
                out,
            );
        }
        if e.verdict == Verdict::NotAssessed {
            for reason in &e.reasons {
                self.wrapped(&format!("Not assessed: {reason}"), "  ", "    ", out);
            }
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

/// The typed facts as short labelled items, only those known.
fn facts_line(f: &Facts, sep: &str) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut items = Vec::new();
    match (f.extended_master_secret, f.ems_required) {
        (Some(true), Some(true)) => items.push("EMS required".to_string()),
        (Some(true), Some(false)) => items.push("EMS offered, not required".to_string()),
        (Some(v), _) => items.push(format!("EMS {}", yes_no(v))),
        (None, _) => {}
    }
    if let Some(v) = f.secure_renegotiation {
        items.push(format!("secure renegotiation {}", yes_no(v)));
    }
    if let Some(v) = f.compression {
        items.push(format!("compression {}", yes_no(v)));
    }
    if let Some(v) = f.ocsp_stapling {
        items.push(format!("OCSP stapling {}", yes_no(v)));
    }
    if let Some(v) = f.session_ticket {
        items.push(format!("session tickets {}", yes_no(v)));
    }
    if let Some(v) = f.encrypt_then_mac {
        items.push(format!("encrypt-then-MAC {}", yes_no(v)));
    }
    if let Some(v) = f.fallback_scsv {
        items.push(format!("fallback SCSV {}", yes_no(v)));
    }
    if let Some(v) = f.downgrade_sentinel {
        items.push(format!("downgrade sentinel {}", yes_no(v)));
    }
    if let Some(c) = f.client_certificate {
        items.push(format!(
            "client certificate {}",
            c.label().replace('_', " ")
        ));
    }
    if let Some(bits) = f.dh_bits {
        items.push(format!("DH {bits} bits"));
    }
    if !f.signature_schemes.is_empty() {
        items.push(format!("signs with {}", f.signature_schemes.join(" ")));
    }
    items.join(sep)
}

/// The leaf certificate in one line: key, signature, expiry, subject, name match.
fn certificate_line(c: &Certificate, sep: &str) -> String {
    let Some(leaf) = c.leaf() else {
        return c.error.clone().unwrap_or_else(|| "not read".to_string());
    };
    if let Some(e) = &leaf.parse_error {
        return format!("unparseable ({e})");
    }
    let mut items = Vec::new();
    let mut key = leaf
        .key_type
        .map(|k| k.label().to_string())
        .unwrap_or_default();
    if let Some(curve) = &leaf.curve {
        key.push(' ');
        key.push_str(curve);
    } else if let Some(bits) = leaf.key_bits {
        let _ = write!(key, " {bits}");
    }
    items.push(key);
    if let Some(sig) = &leaf.signature_algorithm {
        items.push(sig.clone());
    }
    if let Some(not_after) = &leaf.not_after {
        let day = not_after.get(..10).unwrap_or(not_after);
        match leaf.days_left {
            Some(d) if d < 0 => items.push(format!("expired {day}")),
            Some(d) => items.push(format!("expires {day} ({d} days)")),
            None => items.push(format!("expires {day}")),
        }
    }
    if let Some(subject) = &leaf.subject {
        items.push(subject.clone());
    }
    match c.name_matches {
        Some(true) => items.push("name matches".into()),
        Some(false) => items.push("name does not match".into()),
        None => {}
    }
    if c.chain.len() > 1 {
        items.push(format!("{} certificates in chain", c.chain.len()));
    }
    items.join(sep)
}

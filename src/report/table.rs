//! The table a person reads (`--format table`, the default on a terminal).
//!
//! Shape, in the spirit of `konvoy check fips`: one block per endpoint that answered TLS
//! (address and service, verdict, preferred suite, every accepted suite by version with the
//! non-approved ones marked, the findings), then one compact table of the endpoints that could
//! not be assessed, then the summary and exactly one verdict line. The marks are symbols in
//! every mode; colour is only added on top when asked for, so a cron mail loses nothing.
//!
//! Width: everything is laid out for `width` columns (80 when unknown) by comfy-table's dynamic
//! arrangement and by wrapping our own lines; `wide` adds the code and OpenSSL columns and
//! lists every unreachable endpoint, and then honours `width` only when one is given.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{presets, Cell, Color, ContentArrangement, Table};

use super::model::{Endpoint, Finding, Report, Severity, Status, Verdict};
use super::{endpoint_label, host_is_name, service_name, socket_label};

/// How to draw the table.
#[derive(Clone, Debug, Default)]
pub struct TableOptions {
    /// Add ANSI colour (only on a terminal, and never with `NO_COLOR`/`--no-color`).
    pub color: bool,
    /// Extra columns (suite code, OpenSSL name) and every unreachable endpoint listed.
    pub wide: bool,
    /// Columns available; `None` means 80 (or unlimited with `wide`).
    pub width: Option<u16>,
    /// Only ASCII in the output (borders and marks), for mail and old consoles.
    pub ascii: bool,
}

/// The width used when none is known: what a cron mail and a default terminal both show.
pub const DEFAULT_WIDTH: u16 = 80;

/// Closed/timed-out endpoints of one range are listed one by one only up to this many; more
/// become one counted line (a /24 × 2 ports is 512 lines nobody reads). `wide` lists them all.
const MAX_LISTED_PER_RANGE: usize = 3;

/// The symbols used for marks; ASCII and UTF-8 variants carry the same meaning.
struct Marks {
    approved: &'static str,
    not_approved: &'static str,
    fail: &'static str,
    warn: &'static str,
    info: &'static str,
    waived: &'static str,
    none: &'static str,
    sep: &'static str,
}

const UTF8_MARKS: Marks = Marks {
    approved: "✓",
    not_approved: "✗ NO",
    fail: "✗",
    warn: "!",
    info: "i",
    waived: "~",
    none: "—",
    sep: " · ",
};

const ASCII_MARKS: Marks = Marks {
    approved: "ok",
    not_approved: "X NO",
    fail: "X",
    warn: "!",
    info: "i",
    waived: "~",
    none: "-",
    sep: " | ",
};

/// Renders the whole report; the result ends with the verdict line and a newline.
pub fn render(report: &Report, opts: &TableOptions) -> String {
    let r = Renderer::new(opts);
    let mut out = String::new();
    r.header(report, &mut out);
    let (blocks, compact): (Vec<&Endpoint>, Vec<&Endpoint>) =
        report.endpoints.iter().partition(|e| has_block(e));
    for e in &blocks {
        out.push('\n');
        r.endpoint_block(e, &mut out);
    }
    if !compact.is_empty() {
        out.push('\n');
        r.unassessed(&compact, &mut out);
    }
    out.push('\n');
    r.summary(report, &mut out);
    out
}

/// The verdict line alone (also the last line of [`render`]): `FAIL: 2 of 3 TLS endpoints
/// fail fips-140-3`.
pub fn verdict_line(report: &Report) -> String {
    let s = &report.summary;
    let policy = &report.policy.id;
    let incomplete = if report.complete {
        ""
    } else {
        "; the scan is incomplete"
    };
    if s.fail > 0 {
        format!(
            "FAIL: {} of {} TLS endpoint{} fail{} {policy}{incomplete}",
            s.fail,
            s.tls,
            plural(s.tls),
            if s.fail == 1 { "s" } else { "" },
        )
    } else if s.tls == 0 {
        format!(
            "NOT ASSESSED: no endpoint answered TLS ({} endpoint{} scanned)",
            s.endpoints,
            plural(s.endpoints)
        )
    } else if !report.complete {
        format!(
            "INCOMPLETE: no endpoint fails {policy}, but the scan is incomplete ({} not assessed)",
            s.not_assessed
        )
    } else if s.pass == s.tls {
        format!(
            "PASS: all {} TLS endpoint{} pass {policy}",
            s.tls,
            plural(s.tls)
        )
    } else {
        format!(
            "PASS: no endpoint fails {policy} ({} pass, {} TLS endpoint{} not assessed)",
            s.pass,
            s.tls - s.pass.min(s.tls),
            plural(s.tls - s.pass.min(s.tls))
        )
    }
}

/// Endpoints with something to show get a block; the rest go to the compact table.
fn has_block(e: &Endpoint) -> bool {
    e.status == Status::Tls || !e.protocols.is_empty() || !e.findings.is_empty()
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

struct Renderer<'o> {
    opts: &'o TableOptions,
    marks: &'static Marks,
    /// Total columns for our own lines; `None` only for `wide` without a width.
    width: Option<usize>,
}

impl<'o> Renderer<'o> {
    fn new(opts: &'o TableOptions) -> Self {
        let width = match (opts.width, opts.wide) {
            (Some(w), _) => Some(usize::from(w.max(40))),
            (None, false) => Some(usize::from(DEFAULT_WIDTH)),
            (None, true) => None,
        };
        Renderer {
            opts,
            marks: if opts.ascii {
                &ASCII_MARKS
            } else {
                &UTF8_MARKS
            },
            width,
        }
    }

    fn header(&self, report: &Report, out: &mut String) {
        let sha = report
            .policy
            .sha256
            .get(..12)
            .unwrap_or(&report.policy.sha256);
        let mut line = format!(
            "{} {}{}policy {} (sha256 {sha})",
            report.tool.name, report.tool.version, self.marks.sep, report.policy.id,
        );
        if !report.complete {
            line.push_str(self.marks.sep);
            line.push_str("INCOMPLETE SCAN");
        }
        self.wrapped(&line, "", "  ", out);
        let line = format!("Scanned {} to {}", report.started_at, report.finished_at);
        self.wrapped(&line, "", "  ", out);
    }

    fn endpoint_block(&self, e: &Endpoint, out: &mut String) {
        // Title: address, service, verdict on the right like `[OK]` in konvoy's output.
        let mut title = endpoint_label(e);
        if host_is_name(e) {
            let _ = write!(title, " ({})", socket_label(e.ip, e.port));
        }
        if let Some(service) = service_name(e) {
            let _ = write!(title, "  {service}");
        }
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
        if !e.groups.is_empty() {
            self.wrapped(
                &format!("Groups: {}", e.groups.join(", ")),
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
                    row.push(Cell::new(
                        suite.openssl.as_deref().unwrap_or(self.marks.none),
                    ));
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

    /// Endpoints that did not answer TLS, one line each, ranges' closed/timeout ones counted.
    fn unassessed(&self, endpoints: &[&Endpoint], out: &mut String) {
        let _ = writeln!(
            out,
            "{}",
            self.bold(&format!("Not assessed ({}):", endpoints.len()))
        );
        let mut t = self.new_table();
        t.set_header(vec!["Endpoint", "Service", "Status", "Reason"]);

        // Group the quiet failures of ranges by (target, status); everything else is listed.
        let mut groups: BTreeMap<(&str, &'static str), Vec<&Endpoint>> = BTreeMap::new();
        let mut listed: Vec<&Endpoint> = Vec::new();
        for e in endpoints {
            if !self.opts.wide
                && is_range(&e.target)
                && matches!(e.status, Status::Closed | Status::Timeout)
            {
                groups
                    .entry((e.target.as_str(), status_text(e.status)))
                    .or_default()
                    .push(e);
            } else {
                listed.push(e);
            }
        }
        for ((target, status), members) in groups {
            if members.len() <= MAX_LISTED_PER_RANGE {
                listed.extend(members);
                continue;
            }
            let mut ports: Vec<u16> = members.iter().map(|e| e.port).collect();
            ports.sort_unstable();
            ports.dedup();
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            t.add_row(vec![
                Cell::new(target),
                Cell::new(format!("port {}", ports.join(", "))),
                Cell::new(status),
                Cell::new(format!(
                    "{} endpoints in this range (--wide lists them)",
                    members.len()
                )),
            ]);
        }
        for e in listed {
            t.add_row(vec![
                Cell::new(endpoint_label(e)),
                Cell::new(service_name(e).unwrap_or(self.marks.none)),
                self.cell(status_text(e.status), Some(Color::Yellow)),
                Cell::new(e.error.as_deref().unwrap_or(self.marks.none)),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }

    fn summary(&self, report: &Report, out: &mut String) {
        let s = &report.summary;
        let line = format!(
            "Summary: {} endpoint{}{}{} TLS{}{} pass{}{} fail{}{} not assessed",
            s.endpoints,
            plural(s.endpoints),
            self.marks.sep,
            s.tls,
            self.marks.sep,
            s.pass,
            self.marks.sep,
            s.fail,
            self.marks.sep,
            s.not_assessed,
        );
        self.wrapped(&line, "", "  ", out);
        let verdict = verdict_line(report);
        let overall = if report.summary.fail > 0 {
            Verdict::Fail
        } else if report.summary.tls == 0 || !report.complete {
            Verdict::NotAssessed
        } else {
            Verdict::Pass
        };
        let _ = writeln!(out, "{}", self.verdict_paint(overall, &verdict));
    }

    fn new_table(&self) -> Table {
        let mut t = Table::new();
        t.load_style(if self.opts.ascii {
            presets::ASCII_FULL_CONDENSED
        } else {
            presets::UTF8_FULL_CONDENSED
        });
        if self.opts.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        if let Some(w) = self.width {
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_width(u16::try_from(w).unwrap_or(u16::MAX));
        }
        t
    }

    fn cell(&self, text: &str, colour: Option<Color>) -> Cell {
        let cell = Cell::new(text);
        match colour {
            Some(c) if self.opts.color => cell.fg(c),
            _ => cell,
        }
    }

    fn bold(&self, text: &str) -> String {
        if self.opts.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn verdict_paint(&self, v: Verdict, text: &str) -> String {
        if !self.opts.color {
            return text.to_string();
        }
        let code = match v {
            Verdict::Pass => "1;32",
            Verdict::Fail => "1;31",
            Verdict::NotAssessed => "1;33",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// Appends `text` wrapped at the width: `first` indents the first line, `rest` the others.
    fn wrapped(&self, text: &str, first: &str, rest: &str, out: &mut String) {
        for line in wrap(text, self.width, first, rest) {
            out.push_str(&line);
            out.push('\n');
        }
    }
}

/// Greedy word wrap by characters; a word longer than a line is cut, never dropped.
pub fn wrap(text: &str, width: Option<usize>, first: &str, rest: &str) -> Vec<String> {
    let Some(width) = width else {
        return vec![format!("{first}{text}")];
    };
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut has_word = false;
    for whole in text.split_whitespace() {
        let mut word = whole;
        loop {
            let used = text_width(&line);
            if used + text_width(word) + usize::from(has_word) <= width {
                if has_word {
                    line.push(' ');
                }
                line.push_str(word);
                has_word = true;
                break;
            }
            if has_word {
                lines.push(std::mem::replace(&mut line, rest.to_string()));
                has_word = false;
                continue;
            }
            // Alone on its line and still too long: cut it at the width.
            let room = width.saturating_sub(used).max(1);
            let cut = word.char_indices().nth(room).map_or(word.len(), |(i, _)| i);
            line.push_str(&word[..cut]);
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            word = &word[cut..];
            if word.is_empty() {
                break;
            }
        }
    }
    if has_word || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Columns a string takes, ignoring ANSI colour sequences (all our glyphs are one column).
pub fn text_width(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// True for nmap-style range targets (`10.0.0.0/24`, `10.0.0.1-50`), whose closed addresses
/// are expected and summarised; a host name with a dash is not a range.
fn is_range(target: &str) -> bool {
    target.contains('/')
        || (target.contains('-')
            && target
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | ':')))
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NotAssessed => "NOT ASSESSED",
    }
}

fn severity_text(s: Severity) -> &'static str {
    match s {
        Severity::Fail => "fail",
        Severity::Warn => "warn",
        Severity::Info => "info",
    }
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Tls => "tls",
        Status::Closed => "closed",
        Status::Timeout => "timeout",
        Status::NotTls => "not_tls",
        Status::Error => "error",
    }
}

fn error_suffix(e: &Endpoint) -> String {
    e.error
        .as_deref()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_width_and_indent() {
        let lines = wrap("aaa bbb ccc ddd eee", Some(9), "  ", "    ");
        assert_eq!(lines, vec!["  aaa bbb", "    ccc", "    ddd", "    eee"]);
        for l in &lines {
            assert!(text_width(l) <= 9);
        }
    }

    #[test]
    fn wrap_cuts_overlong_words() {
        let lines = wrap("x ABCDEFGHIJKLMNOP y", Some(8), "", "  ");
        assert!(lines.iter().all(|l| text_width(l) <= 8), "{lines:?}");
        let joined: String = lines
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert_eq!(joined, "xABCDEFGHIJKLMNOPy");
    }

    #[test]
    fn ranges_are_recognised() {
        assert!(is_range("10.0.0.0/24"));
        assert!(is_range("10.0.0.1-50"));
        assert!(!is_range("etcd-1.example.com"));
        assert!(!is_range("10.0.0.1:2379"));
    }

    #[test]
    fn text_width_skips_ansi() {
        assert_eq!(text_width("\x1b[31m✗ NO\x1b[0m"), 4);
    }
}

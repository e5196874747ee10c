//! One configuration in full (an endpoint, or endpoints with identical results): title with the
//! verdict, why it was not assessed, the preferred suite, every version newest first (accepted
//! with its suites in the server's order and the non-approved ones marked, refused with the
//! evidence, or why it is not known), key exchange and behaviour, certificates, the findings
//! (waived ones marked) citing each rule's source once, the checks that could not be made and
//! the probes without an answer. No I/O.

use std::fmt::Write as _;

use super::text::{pad, text_width, wrap};
use super::{config_label, severity_text, verdict_text, Renderer};
use crate::model::{Endpoint, Finding, ProtocolResult, Severity, Status, SuiteGrade};
use crate::protocol::Protocol;
use crate::report::escape::terminal;
use crate::report::fleet::{without_source, Citations, Config};
use crate::report::service_name;

/// Address runs named in a block's title; the rest follow on an `Endpoints:` line.
const TITLE_RUNS: usize = 6;

impl Renderer<'_> {
    pub(super) fn block(&self, c: &Config<'_>, out: &mut String) {
        let e = c.representative();
        self.title(c, out);
        if c.len() > 1 && c.addresses(usize::MAX) != c.addresses(TITLE_RUNS) {
            self.labelled(2, "Endpoints", &c.addresses(usize::MAX), out);
        }
        if e.status != Status::Tls {
            let status = match &e.error {
                Some(err) => format!("{}: {err}", e.status.label()),
                None => e.status.label().to_string(),
            };
            self.labelled(2, "Status", &status, out);
        }
        if c.len() == 1 {
            if let Some(sni) = e.sni.as_deref().filter(|s| *s != e.host) {
                self.labelled(2, "SNI", sni, out);
            }
        }
        for reason in &e.reasons {
            self.labelled(2, "Not assessed", reason, out);
        }
        let preferred = match &e.preferred_suite {
            Some(name) => self.suite_with_names(e, name),
            None => self.marks.none.to_string(),
        };
        self.labelled(2, "Preferred suite", &preferred, out);
        self.versions(e, out);
        self.facts(e, out);
        self.certificates(c, out);
        self.findings(e, out);
    }

    /// Address and service on the left, `[PASS]` on the right like `[OK]` in `check fips`.
    fn title(&self, c: &Config<'_>, out: &mut String) {
        let e = c.representative();
        let mut title = config_label(c, TITLE_RUNS);
        if let Some(service) = service_name(e) {
            let _ = write!(title, "  {service}");
        }
        let title = terminal(&title).into_owned();
        let tag = format!("[{}]", verdict_text(e.verdict));
        let used = text_width(&title) + text_width(&tag);
        match self.width {
            Some(w) if used + 2 > w => {
                for line in wrap(&title, self.width, "", "  ") {
                    let _ = writeln!(out, "{}", self.bold(&line));
                }
                let _ = writeln!(out, "  {}", self.verdict_paint(e.verdict, &tag));
            }
            w => {
                let gap = w.map_or(2, |w| w.saturating_sub(used));
                let _ = writeln!(
                    out,
                    "{}{}{}",
                    self.bold(&title),
                    " ".repeat(gap),
                    self.verdict_paint(e.verdict, &tag)
                );
            }
        }
    }

    /// `NAME (TLSv1.3)`, with the OpenSSL name where it differs and the code when wide.
    fn suite_with_names(&self, e: &Endpoint, name: &str) -> String {
        let found = e
            .protocols
            .iter()
            .rev()
            .find_map(|(v, p)| p.suites.iter().find(|s| s.name == name).map(|s| (*v, s)));
        let mut extra = Vec::new();
        if let Some((version, s)) = found {
            extra.push(version.label().to_string());
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

    /// Every version, newest first.
    fn versions(&self, e: &Endpoint, out: &mut String) {
        if e.status != Status::Tls && e.protocols.is_empty() && e.refused.is_empty() {
            return;
        }
        self.heading(2, "Versions:", out);
        let label_width = Protocol::ALL
            .iter()
            .map(|p| text_width(p.label()))
            .max()
            .unwrap_or(0);
        for v in Protocol::ALL.iter().rev() {
            let label = pad(v.label(), label_width + 2);
            if let Some(p) = e.protocols.get(v) {
                let order = match (p.server_order, p.suites.len()) {
                    (_, 0 | 1) => "accepted",
                    (Some(true), _) => "accepted, in the server's order",
                    (Some(false), _) => "accepted, in the client's order",
                    (None, _) => "accepted, order unknown",
                };
                self.wrapped(order, &format!("    {label}"), "        ", out);
                if let Some(gap) = suites_gap(e, *v) {
                    let line = format!("the list may be incomplete: {gap}");
                    self.wrapped(&line, "      ", "        ", out);
                }
                self.suites(p, out);
            } else if let Some(evidence) = e.refused.get(v) {
                let line = format!("refused: {evidence}");
                self.wrapped(&line, &format!("    {label}"), "        ", out);
            } else {
                let why = suites_gap(e, *v).unwrap_or("not probed");
                let line = format!("not known: {why}");
                self.wrapped(&line, &format!("    {label}"), "        ", out);
            }
        }
    }

    /// A version's suites, one a line: mark, name, and when wide the code and OpenSSL name
    /// (beside the name when they fit, else beneath it).
    fn suites(&self, p: &ProtocolResult, out: &mut String) {
        if p.suites.is_empty() {
            let _ = writeln!(out, "      (no suite enumerated)");
            return;
        }
        let mark_width = text_width(self.marks.approved).max(text_width(self.marks.not_approved));
        let name_width = p
            .suites
            .iter()
            .map(|s| text_width(&terminal(&s.name)))
            .max()
            .unwrap_or(0);
        for s in &p.suites {
            let (mark, colour) = if s.approved {
                (self.marks.approved, "32")
            } else {
                (self.marks.not_approved, "31")
            };
            let name = terminal(&s.name).into_owned();
            let note = match s.grade {
                Some(SuiteGrade::Discouraged) => "  (approved, discouraged)",
                Some(SuiteGrade::Warn) => "  (not approved: a warning)",
                _ => "",
            };
            let extra = if self.opts.wide {
                format!(
                    "{}  {}",
                    s.code,
                    terminal(s.openssl.as_deref().unwrap_or(self.marks.none))
                )
            } else {
                String::new()
            };
            let head = format!("      {}  ", pad(mark, mark_width));
            let mut line = format!("{head}{}", pad(&name, name_width));
            let beside = extra.is_empty()
                || self
                    .width
                    .is_none_or(|w| text_width(&line) + 2 + text_width(&extra) <= w);
            if beside && !extra.is_empty() {
                let _ = write!(line, "  {extra}");
            }
            let line = format!("{}{note}", line.trim_end());
            let painted = match line.strip_prefix(head.as_str()) {
                Some(rest) => format!(
                    "      {}{}",
                    self.paint(colour, &pad(mark, mark_width + 2)),
                    rest
                ),
                None => line,
            };
            let _ = writeln!(out, "{painted}");
            if !beside {
                for l in wrap(&extra, self.width, "          ", "          ") {
                    let _ = writeln!(out, "{l}");
                }
            }
        }
    }

    /// Findings (failing first), checks not made, probes without an answer, and the sources
    /// the findings cite, each once.
    fn findings(&self, e: &Endpoint, out: &mut String) {
        let mut citations = Citations::new();
        if e.findings.is_empty() {
            if e.status == Status::Tls {
                self.labelled(2, "Findings", "none", out);
            }
        } else {
            self.heading(2, "Findings:", out);
            let mut ordered: Vec<&Finding> = e.findings.iter().collect();
            ordered.sort_by_key(|f| (f.waived.is_some(), std::cmp::Reverse(f.severity)));
            for f in ordered {
                let cited = citations.cite(f);
                self.finding(f, cited, out);
            }
        }
        if !e.unchecked.is_empty() {
            self.heading(
                2,
                "Checks not made (they keep the endpoint from passing):",
                out,
            );
            for u in &e.unchecked {
                let at = u.protocol.map(|p| format!(" ({p})")).unwrap_or_default();
                let line = format!("{}{at}: {}", u.check, u.reason);
                self.wrapped(&line, "    ", "        ", out);
            }
        }
        if !e.gaps.is_empty() {
            self.heading(2, "Probes without an answer:", out);
            for g in &e.gaps {
                let at = g.protocol.map(|p| format!(" {p}")).unwrap_or_default();
                let line = format!("{}{at}: {}", g.probe, g.reason);
                self.wrapped(&line, "    ", "        ", out);
            }
        }
        if !citations.sources().is_empty() {
            self.heading(2, "Sources:", out);
            for (i, s) in citations.sources().iter().enumerate() {
                let first = format!("    [{}] ", i + 1);
                self.wrapped(s, &first, "        ", out);
            }
        }
    }

    fn finding(&self, f: &Finding, cited: Option<usize>, out: &mut String) {
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
        let message = match cited {
            Some(_) => without_source(&f.message, f.source.as_deref()),
            None => f.message.as_str().into(),
        };
        let mut text = format!("{mark} {label} {}: {message}", f.id);
        if let Some(n) = cited {
            let _ = write!(text, " [{n}]");
        }
        let mut lines = String::new();
        self.wrapped(&text, "    ", "        ", &mut lines);
        if let Some(w) = &f.waived {
            let waiver = format!("waived until {}: {}", w.expires, w.reason);
            self.wrapped(&waiver, "        ", "        ", &mut lines);
        }
        for line in lines.lines() {
            let _ = writeln!(out, "{}", self.paint(colour, line));
        }
    }
}

fn suites_gap(e: &Endpoint, v: Protocol) -> Option<&str> {
    e.gaps
        .iter()
        .find(|g| g.probe == "suites" && g.protocol == Some(v))
        .map(|g| g.reason.as_str())
}

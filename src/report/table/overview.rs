//! The overview: one line per endpoint, or per configuration of identical endpoints: verdict,
//! address, service, preferred suite, counts of failing and warning findings, and the first
//! reason (what fails it, or why it was not assessed). Columns are aligned when they fit the
//! width; the reason then follows on the same line, or wraps beneath it. When even the columns
//! do not fit, each entry is one wrapped paragraph. No I/O.

use std::fmt::Write as _;

use super::text::{pad, text_width, wrap};
use super::{config_label, plural_n, Renderer};
use crate::model::{Endpoint, Severity, Status, Verdict};
use crate::report::escape::terminal;
use crate::report::fleet::Config;
use crate::report::service_name;

/// Address runs named in an overview line before the rest are counted.
const RUNS: usize = 3;
/// Columns the reason needs beside the others; with less room it goes beneath them.
const MIN_REASON: usize = 24;
/// Indentation of an entry's continuation lines when the reason cannot sit in its column.
const HANG: &str = "    ";

/// One entry's cells, escaped.
struct Entry {
    verdict: Verdict,
    cells: [String; 6],
    reason: String,
}

const HEADERS: [&str; 6] = [
    "Verdict",
    "Endpoint",
    "Service",
    "Preferred suite",
    "Fail",
    "Warn",
];

impl Renderer<'_> {
    pub(super) fn overview(&self, configs: &[Config<'_>], endpoints: usize, out: &mut String) {
        let title = if configs.len() < endpoints {
            format!(
                "Endpoints ({endpoints}, in {} configuration{}):",
                configs.len(),
                plural_n(configs.len())
            )
        } else {
            format!("Endpoints ({endpoints}):")
        };
        let _ = writeln!(out, "{}", self.bold(&title));
        let entries: Vec<Entry> = configs.iter().map(|c| self.entry(c)).collect();
        let mut widths = HEADERS.map(text_width);
        for e in &entries {
            for (w, cell) in widths.iter_mut().zip(&e.cells) {
                *w = (*w).max(text_width(cell));
            }
        }
        // Two spaces between columns, and before the reason.
        let fixed: usize = widths.iter().sum::<usize>() + 2 * widths.len();
        let fits = self.width.is_none_or(|w| fixed <= w);
        if !fits {
            for e in &entries {
                self.paragraph(e, out);
            }
            return;
        }
        // The reason sits in its column when there is room for it there, else beneath.
        let beside = self.width.is_none_or(|w| fixed + MIN_REASON <= w);
        let reason_indent = if beside {
            " ".repeat(fixed)
        } else {
            HANG.to_string()
        };
        let mut header = String::new();
        for (h, w) in HEADERS.iter().zip(widths) {
            header.push_str(&pad(h, w + 2));
        }
        // With the reasons beneath, the label can run past the width (a 15-column address and
        // kube-apiserver leave 2 of 80 columns): then it is left out.
        if self.width.is_none_or(|w| fixed + text_width("Why") <= w) {
            header.push_str("Why");
        }
        let _ = writeln!(out, "{}", header.trim_end());
        for e in &entries {
            let mut line = String::new();
            for (i, (cell, w)) in e.cells.iter().zip(widths).enumerate() {
                // Counts are numbers: right-aligned.
                let cell = if i >= 4 {
                    format!("{cell:>w$}  ")
                } else {
                    pad(cell, w + 2)
                };
                line.push_str(&cell);
            }
            // A word of the reason wider than its column would run past the width there.
            let longest = e
                .reason
                .split_whitespace()
                .map(text_width)
                .max()
                .unwrap_or(0);
            let room = self.width.map_or(usize::MAX, |w| w.saturating_sub(fixed));
            let lines = if beside && longest <= room {
                // One line per entry: a long reason is cut at a word (its block has it whole).
                wrap(
                    &fit(&e.reason, room, self.marks.more),
                    self.width,
                    &line,
                    &reason_indent,
                )
            } else {
                let mut lines = vec![line.trim_end().to_string()];
                if !e.reason.is_empty() {
                    lines.extend(wrap(&e.reason, self.width, HANG, HANG));
                }
                lines
            };
            for (i, l) in lines.iter().enumerate() {
                // Colour the verdict only: it is the first cell.
                match l.strip_prefix(e.cells[0].as_str()).filter(|_| i == 0) {
                    Some(rest) => {
                        let verdict = self.verdict_paint(e.verdict, &e.cells[0]);
                        let _ = writeln!(out, "{verdict}{rest}");
                    }
                    None => {
                        let _ = writeln!(out, "{l}");
                    }
                }
            }
        }
    }

    /// An entry when the columns do not fit: verdict, endpoint and service on one line, then
    /// the preferred suite, the counts and the reason beneath.
    fn paragraph(&self, e: &Entry, out: &mut String) {
        let [verdict, endpoint, service, preferred, fail, warn] = &e.cells;
        let mut head = endpoint.clone();
        if service != self.marks.none {
            head.push_str(self.marks.sep);
            head.push_str(service);
        }
        let first = format!("{verdict}  ");
        for (i, line) in wrap(&head, self.width, &first, HANG).iter().enumerate() {
            match line.strip_prefix(verdict.as_str()).filter(|_| i == 0) {
                Some(rest) => {
                    let _ = writeln!(out, "{}{rest}", self.verdict_paint(e.verdict, verdict));
                }
                None => {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        let mut parts = Vec::new();
        if preferred != self.marks.none {
            parts.push(format!("preferred {preferred}"));
        }
        if !fail.is_empty() {
            parts.push(format!("{fail} fail, {warn} warn"));
        }
        if !e.reason.is_empty() {
            parts.push(e.reason.clone());
        }
        if !parts.is_empty() {
            for line in wrap(&parts.join(self.marks.sep), self.width, HANG, HANG) {
                let _ = writeln!(out, "{line}");
            }
        }
    }

    fn entry(&self, c: &Config<'_>) -> Entry {
        let e = c.representative();
        let tls = e.status == Status::Tls;
        let count = |s: Severity| {
            e.findings
                .iter()
                .filter(|f| f.severity == s && f.waived.is_none())
                .count()
                .to_string()
        };
        let (fail, warn) = if tls || !e.findings.is_empty() {
            (count(Severity::Fail), count(Severity::Warn))
        } else {
            (String::new(), String::new())
        };
        let preferred = e
            .preferred_suite
            .as_deref()
            .unwrap_or(self.marks.none)
            .to_string();
        Entry {
            verdict: e.verdict,
            cells: [
                self.verdict_mark(e.verdict),
                terminal(&config_label(c, RUNS)).into_owned(),
                terminal(service_name(e).unwrap_or(self.marks.none)).into_owned(),
                terminal(&preferred).into_owned(),
                fail,
                warn,
            ],
            reason: terminal(&first_reason(e)).into_owned(),
        }
    }
}

/// `text` cut after the last word that fits in `room` columns with `more` (`…`) after it.
fn fit(text: &str, room: usize, more: &str) -> String {
    if text_width(text) <= room {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split_whitespace() {
        let sep = usize::from(!out.is_empty());
        if text_width(&out) + sep + text_width(word) + text_width(more) > room {
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push_str(more);
    out
}

/// What an auditor reads first: why the endpoint was not assessed, or its first failing
/// finding, or its first warning; empty for a clean pass.
pub(super) fn first_reason(e: &Endpoint) -> String {
    let more = |n: usize, what: &str| {
        if n > 1 {
            format!(" (and {} more {what}{})", n - 1, plural_n(n - 1))
        } else {
            String::new()
        }
    };
    match e.verdict {
        // The error says it in full ("connect timed out after 3 s", "not TLS: got ...").
        Verdict::NotAssessed if e.status != Status::Tls => match e.error.as_deref() {
            Some(err) => err.to_string(),
            None => match e.status {
                Status::Closed => "closed",
                Status::Timeout => "timed out",
                Status::NotTls => "not TLS",
                Status::Error | Status::Tls => "error",
            }
            .to_string(),
        },
        Verdict::NotAssessed => match e.reasons.first() {
            Some(r) => format!("{r}{}", more(e.reasons.len(), "reason")),
            None => "not assessed".to_string(),
        },
        Verdict::Fail | Verdict::Pass => {
            let severity = if e.verdict == Verdict::Fail {
                Severity::Fail
            } else {
                Severity::Warn
            };
            let found: Vec<_> = e
                .findings
                .iter()
                .filter(|f| f.severity == severity && f.waived.is_none())
                .collect();
            let Some(f) = found.first() else {
                return String::new();
            };
            let mut s = f.id.clone();
            if let Some(item) = &f.item {
                let _ = write!(s, ": {item}");
            }
            if let Some(p) = f.protocol.filter(|p| f.item.as_deref() != Some(p.label())) {
                let _ = write!(s, " ({p})");
            }
            s
        }
    }
}

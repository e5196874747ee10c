//! The table a person reads (`--format table`, the default on a terminal).
//!
//! Shape, in the spirit of `konvoy check fips`: one block per endpoint that answered TLS
//! (address and service, verdict, preferred suite, every accepted suite by version with the
//! non-approved ones marked, the findings), then one compact table of the endpoints that could
//! not be assessed, then the summary and exactly one verdict line. The marks are symbols in
//! every mode; colour is only added on top when asked for, so a cron mail loses nothing.
//!
//! Text that came from elsewhere (a server's certificate fields and errors, target names,
//! policy paths) goes through [`terminal`] in [`Renderer::cell`] and [`Renderer::wrapped`], the
//! two ways text enters the table, so no control character reaches the terminal raw; colour is
//! added after escaping, and only by us.
//!
//! Width: everything is laid out for `width` columns (80 when unknown) by comfy-table's dynamic
//! arrangement and by wrapping our own lines; `wide` adds the code and OpenSSL columns and
//! lists every unreachable endpoint, and then honours `width` only when one is given.

use std::fmt::Write as _;

use comfy_table::{presets, Cell, Color, ContentArrangement, Table};

use crate::model::{Endpoint, Report, Severity, Status, Verdict};
use crate::report::escape::terminal;

mod endpoint;
mod text;
mod unassessed;

pub use text::{text_width, wrap};

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
/// fail fips-140-3`. It is never wrapped, whatever the width: scripts take the last line.
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
            "PASS: every TLS endpoint passes {policy} ({} of {})",
            s.pass, s.tls
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
        let verdict = terminal(&verdict_line(report)).into_owned();
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

    /// A table cell holding `text`, escaped, in `colour` when colour is on.
    fn cell(&self, text: &str, colour: Option<Color>) -> Cell {
        let cell = Cell::new(terminal(text));
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

    /// Appends `text`, escaped, wrapped at the width: `first` indents the first line, `rest`
    /// the others.
    fn wrapped(&self, text: &str, first: &str, rest: &str, out: &mut String) {
        for line in wrap(&terminal(text), self.width, first, rest) {
            out.push_str(&line);
            out.push('\n');
        }
    }
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

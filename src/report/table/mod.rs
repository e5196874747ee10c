//! The table a person reads (`--format table`, the default on a terminal).
//!
//! Shape, in the spirit of `konvoy check fips`: a header (tool, policy, when, to the second),
//! then one line per endpoint (verdict, address, service, preferred suite, counts of failing
//! and warning findings, and the first reason: why it fails, or why it was not assessed), where
//! endpoints with identical results are one line (`127.0.0.1-127:5556, 126 endpoints,
//! identical`, grouped by [`crate::report::fleet`], as in the HTML report); then each distinct
//! configuration once in full: every version accepted (its suites, non-approved ones marked)
//! or refused (with the evidence), the key exchange, the behaviour facts and the certificates
//! as labelled lines an auditor can quote, the findings with each rule's source cited once;
//! then the binaries when there are any, the summary and exactly one verdict line. `--details`
//! (and `--wide`) shows every endpoint in full instead of each configuration once.
//!
//! Marks are symbols in every mode; colour is only added on top when asked for, so a cron mail
//! loses nothing. Text that came from elsewhere (a server's certificate fields and errors,
//! target names, policy paths, file names) goes through [`terminal`] before it is laid out, so
//! no control character reaches the terminal raw; colour is added after escaping, and only by
//! us.
//!
//! Width: everything is laid out for `width` columns: the terminal's (its `COLUMNS`, else its
//! size), 80 when stdout is not a terminal; `wide` without a width does not wrap. Lines wrap at
//! spaces only: a name (suite, address, fingerprint) is never broken, and runs past the width
//! when it alone is wider.

use std::fmt::Write as _;
use std::io::IsTerminal;

use crate::model::{Endpoint, Report, Severity, Status, Verdict};
use crate::report::escape::terminal;
use crate::report::fleet::{self, Config};
use crate::scan::Outcome;

mod cert;
mod endpoint;
mod facts;
mod overview;
mod text;

pub(crate) use facts::{behaviour as behaviour_rows, key_exchange as key_exchange_rows};
pub use text::{text_width, to_the_second, wrap};

/// How to draw the table.
#[derive(Clone, Debug, Default)]
pub struct TableOptions {
    /// Add ANSI colour (only on a terminal, and never with `NO_COLOR`/`--no-color`).
    pub color: bool,
    /// Extra columns (suite code, OpenSSL name); every endpoint in full, as with `details`.
    pub wide: bool,
    /// Every endpoint in full, instead of each configuration of identical endpoints once.
    pub details: bool,
    /// Columns available; `None` means 80 (or unlimited with `wide`).
    pub width: Option<u16>,
    /// Only ASCII in the output (borders and marks), for mail and old consoles.
    pub ascii: bool,
}

/// The width used when none is known: what a cron mail and a default terminal both show.
pub const DEFAULT_WIDTH: u16 = 80;

/// Targets named in the header before the rest are counted.
const MAX_TARGETS: usize = 8;

/// Narrowest layout tried: below it, every line would be a single word.
const MIN_WIDTH: usize = 40;

/// The width of the terminal stdout is, `None` when it is not one: `COLUMNS` when it is set
/// (a user's override; shells often do not export it), else the terminal's own size.
pub fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok());
    // comfy-table asks the terminal (TIOCGWINSZ) when stdout is one.
    columns
        .or_else(|| comfy_table::Table::new().width())
        .filter(|w| *w > 0)
}

/// The symbols used for marks; ASCII and UTF-8 variants carry the same meaning.
struct Marks {
    approved: &'static str,
    not_approved: &'static str,
    pass: &'static str,
    fail: &'static str,
    warn: &'static str,
    info: &'static str,
    waived: &'static str,
    unknown: &'static str,
    none: &'static str,
    sep: &'static str,
    more: &'static str,
}

const UTF8_MARKS: Marks = Marks {
    approved: "✓",
    not_approved: "✗ NO",
    pass: "✓",
    fail: "✗",
    warn: "!",
    info: "i",
    waived: "~",
    unknown: "?",
    none: "—",
    sep: " · ",
    more: "…",
};

const ASCII_MARKS: Marks = Marks {
    approved: "ok",
    not_approved: "X NO",
    pass: "ok",
    fail: "X",
    warn: "!",
    info: "i",
    waived: "~",
    unknown: "?",
    none: "-",
    sep: " | ",
    more: "...",
};

/// Renders the whole report; the result ends with the verdict line and a newline.
pub fn render(report: &Report, opts: &TableOptions) -> String {
    let r = Renderer::new(opts);
    let mut out = String::new();
    r.header(report, &mut out);
    let configs = if opts.details || opts.wide {
        fleet::each(&report.endpoints)
    } else {
        fleet::group(&report.endpoints)
    };
    if !configs.is_empty() {
        out.push('\n');
        r.overview(&configs, report.endpoints.len(), &mut out);
    }
    for c in configs.iter().filter(|c| has_block(c.representative())) {
        out.push('\n');
        r.block(c, &mut out);
    }
    if let Some(summary) = &report.summary.binaries {
        out.push('\n');
        let width = r.width.and_then(|w| u16::try_from(w).ok());
        let binaries = crate::binaries::table::render(
            &report.binaries,
            summary,
            &report.policy.id,
            width,
            false,
        );
        out.push_str(&binaries);
    }
    out.push('\n');
    r.summary(report, configs.len(), &mut out);
    out
}

/// The verdict line alone (also the last line of [`render`]): `FAIL: 2 of 3 TLS endpoints
/// fail fips-140-3`, with the binaries' part after a `;` when the report has binaries. It is
/// never wrapped, whatever the width: scripts take the last line.
pub fn verdict_line(report: &Report) -> String {
    let policy = &report.policy.id;
    let Some(b) = &report.summary.binaries else {
        return endpoints_line(report);
    };
    let binaries = if b.fail > 0 {
        format!(
            "{} of {} binar{} fail{}",
            b.fail,
            b.binaries,
            if b.binaries == 1 { "y" } else { "ies" },
            if b.fail == 1 { "s" } else { "" }
        )
    } else if b.binaries == 0 {
        "no binary inspected".to_string()
    } else if b.not_assessed > 0 {
        format!(
            "{} of {} binar{} not assessed",
            b.not_assessed,
            b.binaries,
            if b.binaries == 1 { "y" } else { "ies" }
        )
    } else {
        format!("every binary passes ({} of {})", b.pass, b.binaries)
    };
    if report.endpoints.is_empty() {
        let word = outcome_word(crate::binaries::outcome(&report.binaries), "NOT ASSESSED");
        return format!("{word}: {binaries} ({policy})");
    }
    let endpoints = endpoints_line(report);
    let (endpoint_word, rest) = endpoints
        .split_once(": ")
        .unwrap_or(("NOT ASSESSED", endpoints.as_str()));
    let undecided = match endpoint_word {
        "INCOMPLETE" => "INCOMPLETE",
        _ => "NOT ASSESSED",
    };
    let word = outcome_word(crate::scan::outcome(report), undecided);
    format!("{word}: {rest}; binaries: {binaries}")
}

fn outcome_word(o: Outcome, undecided: &'static str) -> &'static str {
    match o {
        Outcome::Pass => "PASS",
        Outcome::Fail => "FAIL",
        Outcome::Incomplete => undecided,
    }
}

/// The endpoints' half of the verdict line.
fn endpoints_line(report: &Report) -> String {
    let s = &report.summary;
    let policy = &report.policy.id;
    let incomplete = if report.complete {
        ""
    } else {
        "; the scan is incomplete"
    };
    // An endpoint whose enumeration was cut short after it had already failed is not
    // assessed, yet it fails the policy (and the scan exits 1): the line says FAIL for it.
    let failing = s.fail + s.not_assessed_failing;
    if failing > 0 {
        let cut = match s.not_assessed_failing {
            0 => String::new(),
            n => format!(
                " ({n} of them not assessed: cut short after {} failed)",
                if n == 1 { "it" } else { "they" }
            ),
        };
        format!(
            "FAIL: {} of {} TLS endpoint{} fail{} {policy}{cut}{incomplete}",
            failing,
            s.tls,
            plural(s.tls),
            if failing == 1 { "s" } else { "" },
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

/// Endpoints with something to show get a block; for the rest the overview line says it all.
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

fn plural_n(n: usize) -> &'static str {
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
            (Some(w), _) => Some(usize::from(w).max(MIN_WIDTH)),
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
        let took = crate::report::timing::duration_seconds(report)
            .map(|d| format!(" ({d:.1} s)"))
            .unwrap_or_default();
        let line = format!(
            "Scanned {} to {}{took}",
            to_the_second(&report.started_at),
            to_the_second(&report.finished_at)
        );
        self.wrapped(&line, "", "  ", out);
        let mut targets: Vec<&str> = Vec::new();
        for e in &report.endpoints {
            if !targets.contains(&e.target.as_str()) {
                targets.push(&e.target);
            }
        }
        if !targets.is_empty() {
            let mut line = targets
                .iter()
                .take(MAX_TARGETS)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if targets.len() > MAX_TARGETS {
                let _ = write!(line, " and {} more", targets.len() - MAX_TARGETS);
            }
            self.labelled(0, "Targets", &line, out);
        }
    }

    fn summary(&self, report: &Report, configs: usize, out: &mut String) {
        let s = &report.summary;
        let mut line = format!(
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
        if !(self.opts.details || self.opts.wide) && (configs as u64) < s.endpoints {
            let _ = write!(
                line,
                "{}{configs} distinct configuration{} (--details shows every endpoint)",
                self.marks.sep,
                plural_n(configs)
            );
        }
        self.wrapped(&line, "", "  ", out);
        let verdict = terminal(&verdict_line(report)).into_owned();
        let overall = match crate::scan::outcome(report) {
            Outcome::Fail => Verdict::Fail,
            Outcome::Incomplete => Verdict::NotAssessed,
            Outcome::Pass => Verdict::Pass,
        };
        let _ = writeln!(out, "{}", self.verdict_paint(overall, &verdict));
    }

    fn bold(&self, text: &str) -> String {
        if self.opts.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.opts.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn verdict_paint(&self, v: Verdict, text: &str) -> String {
        let code = match v {
            Verdict::Pass => "1;32",
            Verdict::Fail => "1;31",
            Verdict::NotAssessed => "1;33",
        };
        self.paint(code, text)
    }

    /// `✓ PASS`, `✗ FAIL`, `? NOT ASSESSED`.
    fn verdict_mark(&self, v: Verdict) -> String {
        let mark = match v {
            Verdict::Pass => self.marks.pass,
            Verdict::Fail => self.marks.fail,
            Verdict::NotAssessed => self.marks.unknown,
        };
        format!("{mark} {}", verdict_text(v))
    }

    /// Appends `text`, escaped, wrapped at the width: `first` indents the first line, `rest`
    /// the others.
    fn wrapped(&self, text: &str, first: &str, rest: &str, out: &mut String) {
        for line in wrap(&terminal(text), self.width, first, rest) {
            out.push_str(&line);
            out.push('\n');
        }
    }

    /// `    Label: value`, the value escaped and wrapped under itself.
    fn labelled(&self, indent: usize, label: &str, value: &str, out: &mut String) {
        let first = format!("{}{label}: ", " ".repeat(indent));
        let rest = " ".repeat(indent.saturating_add(4));
        for line in wrap(&terminal(value), self.width, &first, &rest) {
            out.push_str(&line);
            out.push('\n');
        }
    }

    /// A heading line inside a block (`  Certificate:`).
    fn heading(&self, indent: usize, text: &str, out: &mut String) {
        let line = format!("{}{text}", " ".repeat(indent));
        let _ = writeln!(out, "{}", self.bold(&terminal(&line)));
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

/// The label of a configuration: `10.0.0.5:6443`, `node1:2379 (10.0.0.6:2379)`, or
/// `127.0.0.1-127:5556, 126 endpoints, identical` (at most `runs` address runs named).
fn config_label(c: &Config<'_>, runs: usize) -> String {
    let e = c.representative();
    if c.len() == 1 {
        let mut title = crate::report::endpoint_label(e);
        if crate::report::host_is_name(e) {
            let _ = write!(title, " ({})", crate::report::socket_label(e.ip, e.port));
        }
        title
    } else {
        format!("{}, {} endpoints, identical", c.addresses(runs), c.len())
    }
}

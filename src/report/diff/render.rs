//! How a [`Diff`] is shown: the verdict line, the table (one small table per endpoint, so the
//! detail column keeps most of 80 columns) and the JSON. Report text in the table is escaped
//! for the terminal; the JSON keeps it exact. No I/O.

use std::fmt::Write as _;

use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
use serde::Serialize;

use super::{plural, Diff};
use crate::report::escape::terminal;

impl Diff {
    /// The one-line outcome: `REGRESSED: 2 of 5 changes make things worse`.
    pub fn verdict_line(&self) -> String {
        let total = self.changes.len();
        let worse = self.regressions().count();
        if total == 0 {
            "NO CHANGES".to_string()
        } else if worse == 0 {
            format!(
                "NO REGRESSION: {total} change{}, none makes things worse",
                plural(total)
            )
        } else {
            format!(
                "REGRESSED: {worse} of {total} change{} make{} things worse",
                plural(total),
                if worse == 1 { "s" } else { "" }
            )
        }
    }

    /// A table of the changes (regressions marked `✗`, red with `color`), then the verdict
    /// line; laid out for 80 columns.
    pub fn render_table(&self, color: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Changes from {} to {}",
            terminal(&self.old.started_at),
            terminal(&self.new.started_at)
        );
        // One small table per endpoint, under its name: the detail column keeps most of the
        // 80 columns instead of repeating the endpoint on every row.
        let mut order: Vec<&str> = Vec::new();
        for c in &self.changes {
            if !order.contains(&c.endpoint.as_str()) {
                order.push(&c.endpoint);
            }
        }
        for endpoint in order {
            out.push('\n');
            let heading = if endpoint.is_empty() {
                "Whole report".into()
            } else {
                terminal(endpoint)
            };
            if color {
                let _ = writeln!(out, "\x1b[1m{heading}\x1b[0m");
            } else {
                let _ = writeln!(out, "{heading}");
            }
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED);
            if color {
                t.enforce_styling();
            } else {
                t.force_no_tty();
            }
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_width(80);
            t.set_header(vec!["", "Change", "Detail"]);
            for c in self.changes.iter().filter(|c| c.endpoint == endpoint) {
                let mut mark = Cell::new(if c.regression { "✗" } else { "" });
                let mut kind = Cell::new(c.kind.label());
                if color && c.regression {
                    mark = mark.fg(Color::Red);
                    kind = kind.fg(Color::Red);
                }
                t.add_row(vec![mark, kind, Cell::new(terminal(&c.message))]);
            }
            out.push_str(&t.to_string());
            out.push('\n');
        }
        let line = self.verdict_line();
        if color {
            let code = if self.regressed() { "1;31" } else { "1;32" };
            let _ = writeln!(out, "\x1b[{code}m{line}\x1b[0m");
        } else {
            let _ = writeln!(out, "{line}");
        }
        out
    }

    /// The diff as pretty JSON with a trailing newline:
    /// `{"regressed": …, "regressions": n, "old": …, "new": …, "changes": […]}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            regressed: bool,
            regressions: usize,
            #[serde(flatten)]
            diff: &'a Diff,
        }
        let out = Out {
            regressed: self.regressed(),
            regressions: self.regressions().count(),
            diff: self,
        };
        // Invariant: strings, integers and bools only; serialization cannot fail.
        let mut text = serde_json::to_string_pretty(&out).expect("diff always serializes");
        text.push('\n');
        text
    }
}

//! The first picture of the fleet: endpoints by verdict per service, as an inline SVG bar chart.
//! Each bar is one service (or port, where no service is known), split into pass, fail and not
//! assessed. The three are told apart by colour, by fill pattern (solid, striped, dotted: they
//! stay distinct in black and white) and by the counts written beside each bar with their
//! symbols. No I/O.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::escape::plain;
use crate::model::{Report, Verdict};
use crate::report::service_name;

/// Width of the drawing (user units; the SVG scales to the page).
const WIDTH: f64 = 760.0;
/// Right edge of the service labels.
const LABEL_END: f64 = 196.0;
/// Where the bars start.
const BAR_X: f64 = 206.0;
/// Length of the longest bar.
const BAR_W: f64 = 380.0;
/// Where the counts beside the bars start.
const COUNT_X: f64 = 598.0;
/// Height of one row and of its bar.
const ROW_H: f64 = 30.0;
const BAR_H: f64 = 20.0;
/// The legend's band at the top.
const LEGEND_H: f64 = 30.0;
/// Longest service label drawn, in characters (the rest becomes `…`).
const MAX_LABEL: usize = 28;
/// A segment narrower than this carries no number inside (the counts beside still do).
const MIN_NUMBERED: f64 = 22.0;

/// The three segments in drawing order, with their fill. Numbers on them are dark on a white
/// halo (`text.num` in the stylesheet), legible on every fill.
const SEGMENTS: [(Verdict, &str, &str); 3] = [
    (Verdict::Pass, "#0b7a53", "pass"),
    (Verdict::Fail, "url(#p-fail)", "fail"),
    (Verdict::NotAssessed, "url(#p-na)", "not assessed"),
];

#[derive(Default)]
struct Counts {
    pass: usize,
    fail: usize,
    na: usize,
}

impl Counts {
    fn of(&self, v: Verdict) -> usize {
        match v {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::NotAssessed => self.na,
        }
    }

    fn total(&self) -> usize {
        self.pass.saturating_add(self.fail).saturating_add(self.na)
    }
}

pub(super) fn write(out: &mut String, report: &Report) {
    if report.endpoints.is_empty() {
        out.push_str("<p>The report has no endpoints.</p>\n");
        return;
    }
    // Services with a name first (alphabetically), then bare ports in numeric order.
    let mut by_service: BTreeMap<(bool, u16, String), Counts> = BTreeMap::new();
    for e in &report.endpoints {
        let key = match service_name(e) {
            Some(s) => (false, 0, s.to_string()),
            None => (true, e.port, format!("port {}", e.port)),
        };
        let c = by_service.entry(key).or_default();
        match e.verdict {
            Verdict::Pass => c.pass = c.pass.saturating_add(1),
            Verdict::Fail => c.fail = c.fail.saturating_add(1),
            Verdict::NotAssessed => c.na = c.na.saturating_add(1),
        }
    }
    let max = by_service
        .values()
        .map(Counts::total)
        .max()
        .unwrap_or(1)
        .max(1);
    let rows = by_service.len();
    let height = LEGEND_H + ROW_H * rows as f64 + 6.0;
    let _ = write!(
        out,
        "<figure class=\"chart\">\n<svg viewBox=\"0 0 {WIDTH} {height}\" \
         role=\"img\" aria-labelledby=\"chart-title\">\n<title id=\"chart-title\">Endpoints by verdict per service</title>\n\
         <defs>\n<pattern id=\"p-fail\" width=\"7\" height=\"7\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"7\" height=\"7\" fill=\"#c0330f\"/><rect width=\"2.5\" height=\"7\" fill=\"#f0a58e\"/></pattern>\n\
         <pattern id=\"p-na\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">\
         <rect width=\"6\" height=\"6\" fill=\"#e8b64c\"/><circle cx=\"3\" cy=\"3\" r=\"1.4\" fill=\"#7a5200\"/></pattern>\n\
         </defs>\n"
    );
    legend(out);
    for (row, ((_, _, service), counts)) in by_service.iter().enumerate() {
        let y = LEGEND_H + ROW_H * row as f64;
        let mid = y + BAR_H / 2.0 + 4.5;
        let _ = writeln!(
            out,
            "<text x=\"{LABEL_END}\" y=\"{mid}\" text-anchor=\"end\" class=\"svc\">{}</text>",
            plain(&shorten(service)),
        );
        let mut x = BAR_X;
        for (verdict, fill, word) in SEGMENTS {
            let n = counts.of(verdict);
            if n == 0 {
                continue;
            }
            let w = (BAR_W * n as f64 / max as f64).max(3.0);
            let _ = writeln!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR_H}\" fill=\"{fill}\" \
                 stroke=\"#ffffff\" stroke-width=\"1\"><title>{n} {word}</title></rect>"
            );
            if w >= MIN_NUMBERED {
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{mid}\" text-anchor=\"middle\" class=\"num\">{n}</text>",
                    x + w / 2.0
                );
            }
            x += w;
        }
        let _ = writeln!(
            out,
            "<text x=\"{COUNT_X}\" y=\"{mid}\" class=\"cnt\">✓ {} pass  ✗ {} fail  ? {} n/a</text>",
            counts.pass, counts.fail, counts.na
        );
    }
    out.push_str(
        "</svg>\n<figcaption>Endpoints by verdict per service. Solid: ✓ pass; \
                  striped: ✗ fail; dotted: ? not assessed (n/a).</figcaption>\n</figure>\n",
    );
}

fn legend(out: &mut String) {
    let mut x = BAR_X;
    for (verdict, fill, word) in SEGMENTS {
        let symbol = super::marks::verdict_symbol(verdict);
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"4\" width=\"16\" height=\"14\" fill=\"{fill}\"/>\
             <text x=\"{}\" y=\"16\" class=\"leg\">{symbol} {word}</text>",
            x + 22.0
        );
        x += 130.0;
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(MAX_LABEL.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

//! The HTML report (`--format html`, `--html FILE`): one self-contained page for people who
//! have never seen the tool, to attach to a compliance ticket or print on A4.
//!
//! Order of the page: the verdict and the counts (with why endpoints were not assessed), a
//! picture of the fleet (endpoints by verdict per service, the accepted suites across
//! configurations), each distinct configuration once ([`super::fleet`]), what was scanned,
//! when and how, and last (it is long) the policy's rules.
//!
//! Self-contained means nothing is fetched: the CSS is inline, the charts are inline SVG, there
//! is no script, font, image or link to anywhere, and the Content-Security-Policy says so to
//! the browser as well. Colour never carries meaning alone: every mark is also a symbol and a
//! word, for colour-blind readers and black-and-white print. Every string from a server, a
//! report file or the command line is escaped by [`escape`]. No I/O.

mod cert;
mod chart;
mod config;
mod escape;
mod facts;
mod findings;
mod marks;
mod matrix;
mod policy;
mod scan;
mod summary;

use std::fmt::Write as _;

use escape::text;

use super::fleet;
use crate::model::Report;
use crate::policy::Policy;

/// The stylesheet, inlined into every page.
const STYLE: &str = include_str!("style.css");

/// The Content-Security-Policy of the page: nothing may be loaded, no script may run; only
/// the inline styles and `data:` images (the empty favicon) are allowed.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// The whole report as one HTML page. `policy` adds its rules when it is the policy the report
/// was graded with (same SHA-256); otherwise the page names the policy by id and hash only.
pub fn to_html(report: &Report, policy: Option<&Policy>) -> String {
    let policy = policy.filter(|p| p.sha256() == report.policy.sha256);
    let configs = marks::ordered(fleet::group(&report.endpoints));
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>TLS compliance report: {} ({})</title>\n<style>\n{STYLE}</style>\n</head>\n\
         <body>\n<main>\n",
        escape::plain(&report.tool.name),
        escape::plain(&report.tool.version),
        escape::plain(&report.policy.id),
        escape::plain(&scan::day(&report.started_at)),
    );
    summary::write(&mut out, report, &configs);
    out.push_str(
        "<section class=\"fleet\" id=\"fleet\">\n<h2><span class=\"sec\">2</span> The fleet</h2>\n",
    );
    chart::write(&mut out, report);
    matrix::write(&mut out, &configs);
    out.push_str("</section>\n");
    config::write_all(&mut out, &configs);
    scan::write(&mut out, report, configs.len());
    policy::write(&mut out, report, policy);
    let _ = write!(
        out,
        "<footer>Made by {} {} from the scan that started {}. The JSON report of the same scan \
         (<code>-o FILE</code>) is the machine-readable record; <code>--sign</code> signs it.\
         </footer>\n</main>\n</body>\n</html>\n",
        text(&report.tool.name),
        text(&report.tool.version),
        text(&scan::when(&report.started_at)),
    );
    out
}

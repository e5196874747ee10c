//! The HTML report (`--format html`, `--html FILE`): one self-contained page for people who
//! have never seen the tool, to attach to a compliance ticket or print on A4.
//!
//! Order of the page: the verdict and the counts (with why endpoints were not assessed), a
//! picture of the fleet (endpoints by verdict per service, the accepted suites across
//! configurations), each distinct configuration once ([`super::fleet`]), the binaries and
//! their crypto modules when the report has any, what was scanned, when and how, and last (it
//! is long) the policy's rules.
//!
//! Self-contained means nothing is fetched: the CSS is inline, the charts are inline SVG, there
//! is no script, font, image or link to anywhere, and the Content-Security-Policy says so to
//! the browser as well. Colour never carries meaning alone: every mark is also a symbol and a
//! word, for colour-blind readers and black-and-white print. Every string from a server, a
//! report file or the command line is escaped by [`escape`]. No I/O.

mod binaries;
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

/// The numbers of the sections after the configurations: the binaries have one only when the
/// report has binaries.
#[derive(Clone, Copy, Debug)]
struct Sections {
    binaries: Option<usize>,
    scan: usize,
    policy: usize,
}

impl Sections {
    fn of(report: &Report) -> Sections {
        match report.summary.binaries {
            Some(_) => Sections {
                binaries: Some(4),
                scan: 5,
                policy: 6,
            },
            None => Sections {
                binaries: None,
                scan: 4,
                policy: 5,
            },
        }
    }
}

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
    let sections = Sections::of(report);
    if let Some(n) = sections.binaries {
        binaries::write(&mut out, report, n);
    }
    // The bytes `-o FILE` writes for this report: the page names them, so a reader can tie it
    // to the (signed) JSON report beside it.
    let json_sha256 = crate::policy::sha256_hex(super::json::to_json(report).as_bytes());
    scan::write(&mut out, report, configs.len(), &json_sha256, sections.scan);
    policy::write(&mut out, report, policy, sections.policy);
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{
        CertInfo, Certificate, Endpoint, EndpointId, Finding, Grade, Observation, Severity,
        Summary, Verdict,
    };

    fn report(endpoints: Vec<Endpoint>) -> Report {
        Report {
            schema_version: 1,
            tool: crate::scan::tool(),
            policy: Policy::load("fips-140-3").unwrap().reference(),
            started_at: "2026-11-23T02:00:00Z".into(),
            finished_at: "2026-11-23T02:00:01Z".into(),
            args: vec!["fipsprobe".into()],
            complete: true,
            summary: Summary::of(&endpoints),
            endpoints,
            binaries: Vec::new(),
        }
    }

    /// An endpoint with `s` in every string a server or a report file controls.
    fn endpoint_saying(s: &str) -> Endpoint {
        let id = EndpointId::new(s.into(), s.into(), [10, 0, 0, 1].into(), 443);
        let mut e = Endpoint::new(
            Observation::new(id),
            Grade::new(Vec::new(), BTreeMap::new(), Vec::new(), vec![s.into()]),
        );
        e.service = Some(s.into());
        e.error = Some(s.into());
        e.findings.push(Finding {
            id: s.into(),
            severity: Severity::Warn,
            message: s.into(),
            item: Some(s.into()),
            protocol: None,
            source: Some(s.into()),
            waived: None,
        });
        e.certificate = Some(Certificate {
            chain: vec![CertInfo {
                subject: Some(s.into()),
                issuer: Some(s.into()),
                sans: vec![s.into()],
                sha256: s.into(),
                ..CertInfo::default()
            }],
            error: Some(s.into()),
            ..Certificate::default()
        });
        e.verdict = Verdict::NotAssessed;
        e
    }

    #[test]
    fn a_fleet_of_distinct_endpoints_is_cut_to_a_page_that_opens() {
        let endpoints: Vec<Endpoint> = (0..600u32)
            .map(|i| {
                let mut e = endpoint_saying("x");
                e.ip = std::net::Ipv4Addr::from(0x0A00_0000 + i).into();
                e.extensions.dh_bits = Some(i);
                e.status = crate::model::Status::Tls;
                let suite = crate::model::SuiteEntry {
                    name: "TLS_AES_128_GCM_SHA256".into(),
                    code: crate::model::SuiteCode(0x1301),
                    openssl: None,
                    approved: true,
                    grade: Some(crate::model::SuiteGrade::Approved),
                };
                e.protocols.insert(
                    crate::protocol::Protocol::Tls13,
                    crate::model::ProtocolResult {
                        suites: vec![suite],
                        server_order: None,
                        preferred: None,
                    },
                );
                e
            })
            .collect();
        let page = to_html(&report(endpoints), None);
        assert_eq!(page.matches("<article").count(), 500);
        assert!(page.contains("100 more configurations (100 endpoints"));
        assert_eq!(page.matches("<table class=\"matrix\">").count(), 5);
        assert!(page.contains("The grids show the first 70 of 600 configurations"));
    }

    #[test]
    fn an_empty_report_is_a_whole_page() {
        let page = to_html(&report(Vec::new()), None);
        assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
        for id in ["summary", "fleet", "configs", "scan", "policy"] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(page.contains("The rules are not shown"));
    }

    /// Every `<` opens one of the page's own tags and every `&` starts one of the entities the
    /// escaping writes: a string that skipped the escaping would leave a bare one.
    fn only_our_markup(page: &str) -> Result<(), String> {
        const TAGS: &[&str] = &[
            "!DOCTYPE",
            "html",
            "head",
            "meta",
            "link",
            "title",
            "style",
            "body",
            "main",
            "header",
            "footer",
            "section",
            "article",
            "div",
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "b",
            "small",
            "code",
            "span",
            "a",
            "br",
            "wbr",
            "ul",
            "ol",
            "li",
            "dl",
            "dt",
            "dd",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "figure",
            "figcaption",
            "svg",
            "title",
            "defs",
            "pattern",
            "rect",
            "circle",
            "text",
        ];
        const ENTITIES: &[&str] = &["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
        for (i, _) in page.match_indices('<') {
            let rest = page.get(i + 1..).unwrap_or("");
            let rest = rest.strip_prefix('/').unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
                .collect();
            let after = rest.get(name.len()..).unwrap_or("");
            if !TAGS.contains(&name.as_str()) || !after.starts_with([' ', '>', '/', '\n']) {
                return Err(format!("bare < at {i}: {:?}", page.get(i..i + 20)));
            }
        }
        for (i, _) in page.match_indices('&') {
            let rest = page.get(i..).unwrap_or("");
            if !ENTITIES.iter().any(|e| rest.starts_with(e)) {
                return Err(format!("bare & at {i}: {:?}", page.get(i..i + 20)));
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn no_string_becomes_markup_or_stays_hidden(s in "\\PC{0,24}|(?s).{0,24}") {
            let page = to_html(&report(vec![endpoint_saying(&s)]), None);
            proptest::prop_assert!(!page.chars().any(|c| c != '\n' && escape::is_hidden(c)));
            proptest::prop_assert_eq!(only_our_markup(&page), Ok(()));
        }
    }

    #[test]
    fn markup_in_every_server_string_stays_text() {
        let page = to_html(
            &report(vec![endpoint_saying("<x>&y\"z'\u{1b}[2J_<script>")]),
            None,
        );
        assert_eq!(only_our_markup(&page), Ok(()));
        assert!(!page.contains("<script"));
    }
}

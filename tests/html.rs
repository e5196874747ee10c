//! The HTML report in a real browser: headless Chromium loads the page, and the DOM it built is
//! checked for every endpoint with its verdict, for server strings shown as text and never as
//! markup, and for the absence of anything that could fetch from elsewhere; the page is also
//! screenshotted and printed to A4 PDF (left in `target/tmp/html-report/` for people to look at).
//!
//! Two pages: a hand-built hostile report (`html/fixtures.rs`), and a real scan by the binary
//! of in-process rustls servers (`fipsprobe::demo`) on this file's loopback range
//! `127.63.<net>.0/24`: a small cluster with identical nodes, a drifted one and a closed port.
//! Also both halves of `check fips` on one page (a real scan with `--binaries`), and a real Go
//! server with an RSA and an ECDSA certificate, whose two chains the page shows.
//! Chromium, `timeout`, `pdfinfo` and Go come from `scripts/install-test-deps.sh`; a missing
//! one fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "html/chromium.rs"]
mod chromium;
mod common;
#[path = "html/fixtures.rs"]
mod fixtures;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

use fipsprobe::model::{Report, Verdict};
use fipsprobe::policy::rules_of;
use fipsprobe::report::{endpoint_label, html, json};

use common::{GoCrypto, GoTlsServer};

// ---------------------------------------------------------------------------------------------
// What a reader sees

/// Characters the page must never carry raw (the report's escaping promise).
fn is_hidden(c: char) -> bool {
    let n = u32::from(c);
    c.is_control()
        || matches!(n, 0xAD | 0x61C | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E
            | 0x2060..=0x206F | 0xFDD0..=0xFDEF | 0xFEFF | 0xFFF9..=0xFFFB | 0xE0000..=0xE007F)
        || n & 0xFFFE == 0xFFFE
}

/// `s` as the page shows it: hidden characters spelled as escapes.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            '\t' => "\\t".to_string(),
            c if is_hidden(c) && u32::from(c) < 0x100 => format!("\\x{:02x}", u32::from(c)),
            c if is_hidden(c) => format!("\\u{{{:04x}}}", u32::from(c)),
            c => c.to_string(),
        })
        .collect()
}

/// The text of serialized HTML: tags dropped, entities decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Every `<article>` (one per configuration) of a DOM.
fn articles(dom: &str) -> Vec<&str> {
    dom.split("<article")
        .skip(1)
        .map(|a| a.split("</article>").next().unwrap())
        .collect()
}

/// The words of an article's verdict badge (`FAIL`).
fn badge(article: &str) -> String {
    let start = article.find("class=\"badge ").expect("a badge");
    let rest = &article[start..];
    let text = &rest[rest.find('>').unwrap() + 1..rest.find("</span>").unwrap()];
    text.trim_start_matches(['✓', '✗', '?', ' ']).to_string()
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NotAssessed => "NOT ASSESSED",
    }
}

/// Every endpoint of `report` is in a configuration block whose badge is its verdict, and its
/// target is named on the page.
#[track_caller]
fn assert_every_endpoint_with_its_verdict(report: &Report, dom: &str) {
    let blocks: Vec<(String, String)> = articles(dom)
        .into_iter()
        .map(|a| (visible_text(a), badge(a)))
        .collect();
    let page = visible_text(dom);
    for e in &report.endpoints {
        let label = shown(&endpoint_label(e));
        let block = blocks
            .iter()
            .find(|(text, _)| text.contains(&label))
            .unwrap_or_else(|| panic!("no block shows {label}"));
        assert_eq!(block.1, verdict_word(e.verdict), "verdict of {label}");
        assert!(
            page.contains(&shown(&e.target)),
            "target {:?} not shown",
            e.target
        );
    }
}

/// Nothing in the page can fetch anything or run anything, and no hidden character is raw.
#[track_caller]
fn assert_self_contained(page: &str) {
    assert!(
        page.contains(&format!("content=\"{}\"", html::CSP)),
        "no Content-Security-Policy"
    );
    let lower = page.to_ascii_lowercase();
    for attr in [
        "src",
        "href",
        "xlink:href",
        "srcset",
        "action",
        "formaction",
        "poster",
        "data",
        "background",
    ] {
        for value in lower.split(&format!(" {attr}=\"")).skip(1) {
            let value = value.split('"').next().unwrap();
            assert!(
                value.starts_with('#') || value.starts_with("data:"),
                "{attr}=\"{value}\" points outside the page"
            );
        }
    }
    for banned in [
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<img",
        "@import",
        "@font-face",
        "<base",
    ] {
        assert!(!lower.contains(banned), "page contains {banned}");
    }
    for (i, _) in lower.match_indices("url(") {
        assert!(lower[i + 4..].starts_with('#'), "url() to elsewhere at {i}");
    }
    let raw: Vec<char> = page
        .chars()
        .filter(|&c| c != '\n' && is_hidden(c))
        .collect();
    assert!(raw.is_empty(), "raw hidden characters in the page: {raw:?}");
}

/// The screenshot and the A4 PDF, left for people; the PDF has pages and they are A4.
fn look_at(page: &Path, name: &str) {
    let dir = chromium::out_dir();
    let png = dir.join(format!("{name}.png"));
    chromium::screenshot(page, &png);
    let (pages, size) = chromium::print_to_pdf(page, &dir.join(format!("{name}.pdf")));
    assert!(pages >= 1, "{name}.pdf has no pages");
    assert!(size.contains("(A4)"), "{name}.pdf pages are {size}, not A4");
    let bytes = std::fs::metadata(page).unwrap().len();
    eprintln!(
        "{name}: {bytes} bytes of HTML, {} ({pages} A4 pages in {name}.pdf)",
        png.display()
    );
}

// ---------------------------------------------------------------------------------------------
// The hostile report

#[test]
fn hostile_server_strings_are_text_not_markup_in_chromium() {
    let report = fixtures::hostile_report();
    let policy = fixtures::policy();
    let page = html::to_html(&report, Some(&policy));
    assert_self_contained(&page);

    let file = chromium::out_dir().join("hostile.html");
    std::fs::write(&file, &page).unwrap();
    let dom = chromium::dump_dom(&file);
    let lower = dom.to_ascii_lowercase();
    for markup in [
        "<script",
        "<img",
        "<h1>owned",
        "<a href=\"https",
        "<b>bad",
        "<i>sp",
    ] {
        assert!(
            !lower.contains(markup),
            "the browser built {markup} from a server string"
        );
    }
    // The issuer tried to close the table around it: the browser sees our tables only.
    assert_eq!(
        dom.matches("<table").count(),
        page.matches("<table").count()
    );
    assert_eq!(dom.matches("<h1").count(), 1);

    let text = visible_text(&dom);
    let mut expected: Vec<String> = vec![
        shown(fixtures::SUBJECT),
        shown(fixtures::ISSUER),
        "alert <b>bad</b>\\x1b[31m red".into(),
        "RSA 1024 bits <script>x</script>".into(),
        "answered with <script>alert(2)</script>\\x1b[2J\\x00".into(),
        "connection reset <after> \\x1b[K".into(),
        "reset by peer \"quoted\" \\r\\n".into(),
        "NIST <i>SP</i> 800-52r2 & \"§3.1\"".into(),
        shown(fixtures::SECOND_SUBJECT),
        shown(fixtures::SERVED_FOR),
        "<b>scheme13</b>\\u{202e}".into(),
        "signed with rsa_pkcs1_sha1<i>".into(),
        "fipsprobe offered at most 64 suites per hello".into(),
    ];
    expected.extend(fixtures::SANS.iter().map(|s| shown(s)));
    for s in &expected {
        assert!(
            text.contains(s.as_str()),
            "the page does not show {s:?} as text"
        );
    }
    // Hidden characters stand out as marked escapes.
    assert!(dom.contains("<span class=\"ctl\">\\x1b</span>[2J"));
    assert!(dom.contains("<span class=\"ctl\">\\u{202e}</span>gnp.exe"));
    // The waiver is marked as such, its markup as text.
    assert!(text.contains(
        "~ waived until 2099-12-31\\x00: ticket <a href=\"https://evil.example/\">SEC-1</a>"
    ));
    assert_every_endpoint_with_its_verdict(&report, &dom);
    look_at(&file, "hostile");
}

#[test]
fn a_fleet_reads_as_a_fleet_in_chromium() {
    let report = fixtures::fleet_report();
    let page = html::to_html(&report, Some(&fixtures::policy()));
    assert_self_contained(&page);
    let file = chromium::out_dir().join("fleet.html");
    std::fs::write(&file, &page).unwrap();
    let dom = chromium::dump_dom(&file);
    assert_every_endpoint_with_its_verdict(&report, &dom);
    let text = visible_text(&dom);
    assert!(
        text.contains("10.0.0.1-126:6443"),
        "no range for the identical nodes"
    );
    assert!(text.contains("126 endpoints, identical"));
    assert_eq!(articles(&dom).len(), 21, "one block per configuration");
    // 21 configurations: a grid of 14 columns and one of 7, each fitting an A4 page's width.
    assert_eq!(dom.matches("<table class=\"matrix\">").count(), 2);
    look_at(&file, "fleet");
}

#[test]
fn the_policy_rules_are_shown_only_for_the_policy_that_graded() {
    let policy = fixtures::policy();
    let report = fixtures::hostile_report();
    let page = html::to_html(&report, Some(&policy));
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = words(&visible_text(&page));
    for rule in rules_of(&policy) {
        assert!(
            text.contains(&words(&rule.source)),
            "rule {} without its source",
            rule.id
        );
        if let Some(d) = &rule.decision {
            assert!(
                text.contains(&words(d)),
                "rule {} without its decision",
                rule.id
            );
        }
    }
    assert!(page.contains(policy.sha256()));

    let mut other = report.clone();
    other.policy.sha256 = "0".repeat(64);
    let page = html::to_html(&other, Some(&policy));
    assert!(page.contains("The rules are not shown"));
    assert!(!page.contains("<table class=\"rules\">"));
}

// ---------------------------------------------------------------------------------------------
// A real scan

fn ip(net: u8, host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 63, net, host))
}

fn free_port(at: IpAddr) -> u16 {
    TcpListener::bind(SocketAddr::new(at, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `wanted` (a well-known port, so the page names the service) when it is free on `at`, else
/// any free port.
fn port_at(at: IpAddr, wanted: u16) -> u16 {
    match TcpListener::bind(SocketAddr::new(at, wanted)) {
        Ok(_) => wanted,
        Err(_) => free_port(at),
    }
}

/// A small cluster: five identical FIPS kube-apiservers, a sixth that drifted (EMS no longer
/// required), two non-FIPS etcds and a kubelet port that is closed. The scan fails; the page
/// shows four configurations, not nine endpoints.
#[test]
fn a_real_scan_renders_in_chromium_as_a_fleet() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let net = 1;
    let kube = port_at(ip(net, 1), 6443);
    let etcd = port_at(ip(net, 10), 2379);
    let kubelet = port_at(ip(net, 20), 10250);
    let mut drifted = fipsprobe::demo::kube_apiserver_fips();
    drifted.require_ems = false;
    let mut fleet: Vec<(u8, u16, fipsprobe::demo::ServerSpec)> = (1..=5)
        .map(|h| (h, kube, fipsprobe::demo::kube_apiserver_fips()))
        .collect();
    fleet.push((6, kube, drifted));
    fleet.push((10, etcd, fipsprobe::demo::etcd_non_fips()));
    fleet.push((11, etcd, fipsprobe::demo::etcd_non_fips()));
    let mut servers = Vec::new();
    for (host, port, spec) in &fleet {
        let addr = SocketAddr::new(ip(net, *host), *port);
        servers.push(rt.block_on(fipsprobe::demo::spawn(spec, addr)).unwrap());
    }

    let dir = tempfile::tempdir().unwrap();
    let html_file = dir.path().join("report.html");
    let json_file = dir.path().join("report.json");
    let o = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args([
            "scan",
            "--connect-timeout",
            "1s",
            "--handshake-timeout",
            "2s",
            "--timeout",
            "20s",
        ])
        .arg(format!("127.63.{net}.1-6:{kube}"))
        .arg(format!("127.63.{net}.10-11:{etcd}"))
        .arg(format!("127.63.{net}.20:{kubelet}"))
        .args(["--format", "html", "--html"])
        .arg(&html_file)
        .arg("-o")
        .arg(&json_file)
        .output()
        .unwrap();
    drop(servers);
    assert_eq!(
        o.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let page = std::fs::read_to_string(&html_file).unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        page,
        "stdout and --html differ"
    );
    assert_self_contained(&page);
    let json_text = std::fs::read_to_string(&json_file).unwrap();
    let report = json::from_json(&json_text, "report.json").unwrap();
    // The page names the JSON report it goes with by its SHA-256.
    let sha = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, json_text.as_bytes());
    let hex: String = sha.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        page.contains(&hex),
        "the page does not name the JSON report's SHA-256 {hex}"
    );
    assert_eq!(report.endpoints.len(), 9);

    let dom = chromium::dump_dom(&html_file);
    assert_every_endpoint_with_its_verdict(&report, &dom);
    let text = visible_text(&dom);
    // Identical endpoints are one configuration each, named by their range.
    assert!(
        text.contains(&format!("127.63.{net}.1-5:{kube}")),
        "no range label"
    );
    assert!(text.contains("5 endpoints, identical"));
    assert!(text.contains(&format!("127.63.{net}.10-11:{etcd}")));
    assert_eq!(articles(&dom).len(), 4, "etcd, drifted, closed, kube ×5");
    assert!(text.contains("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"));
    assert!(text.contains("ems_not_enforced"));

    let kept = chromium::out_dir().join("scan.html");
    std::fs::copy(&html_file, &kept).unwrap();
    look_at(&kept, "scan");
}

#[test]
fn an_html_file_that_cannot_be_written_fails_before_the_scan() {
    let o = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args([
            "scan",
            "127.63.2.1",
            "-p",
            "1",
            "--html",
            "/nonexistent-dir/report.html",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent-dir/report.html"), "{err}");
    assert!(o.stdout.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Both halves of `check fips`, and servers with several certificates

/// The big verdict word at the top of the page (`FAIL`).
fn overall(dom: &str) -> String {
    let start = dom.find("<div class=\"big\">").expect("the verdict");
    let rest = &dom[start + "<div class=\"big\">".len()..];
    rest[..rest.find("</div>").unwrap()]
        .trim_start_matches(['✓', '✗', '?', ' '])
        .to_string()
}

/// A passing endpoint and a failing binary (this very program: aws-lc without its FIPS
/// module) under a hostile file name: the page has a binaries section that shows the name as
/// text, and its verdict is the binary's FAIL although the endpoint passes. `fipsprobe
/// binaries --format html` makes a page of the binaries alone, the same as its `--html FILE`.
#[test]
fn the_binaries_are_a_section_of_the_page_in_chromium() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let at = ip(3, 1);
    let port = free_port(at);
    let server = rt
        .block_on(fipsprobe::demo::spawn(
            &fipsprobe::demo::kube_apiserver_fips(),
            SocketAddr::new(at, port),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let name = "fips<b>probe&amp;\u{1b}[2J\u{202e}exe";
    let binary = dir.path().join(name);
    std::fs::copy(assert_cmd::cargo::cargo_bin("fipsprobe"), &binary).unwrap();
    let o = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args(["scan", &format!("{at}:{port}"), "--connect-timeout", "1s"])
        .args(["--timeout", "20s", "--format", "html", "--binaries"])
        .arg(&binary)
        .output()
        .unwrap();
    drop(server);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let page = String::from_utf8(o.stdout).unwrap();
    assert_self_contained(&page);
    let file = chromium::out_dir().join("binaries.html");
    std::fs::write(&file, &page).unwrap();
    let dom = chromium::dump_dom(&file);
    let section = dom
        .split("<section class=\"binaries\" id=\"binaries\">")
        .nth(1)
        .expect("a binaries section")
        .split("</section>")
        .next()
        .unwrap();
    let text = visible_text(section);
    assert!(
        text.contains(&shown(&binary.display().to_string())),
        "{text}"
    );
    assert!(!section.contains("<b>probe"), "the file name became markup");
    assert!(text.contains("aws-lc"), "{text}");
    assert!(text.contains("module_not_validated"), "{text}");
    assert!(text.contains("✗ FAIL"), "{text}");
    assert!(
        text.contains("1 binary inspected") || text.contains("1binary inspected"),
        "{text}"
    );
    // The endpoint passes, the binary fails: so does the page.
    assert_eq!(articles(&dom).len(), 1);
    assert_eq!(badge(articles(&dom)[0]), "PASS");
    assert_eq!(overall(&dom), "FAIL");
    assert!(visible_text(&dom).contains("binaries: 1 of 1 binary fails"));
    look_at(&file, "binaries");

    // The binaries alone.
    let html_file = dir.path().join("bins.html");
    let o = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args(["binaries", "--format", "html", "--html"])
        .arg(&html_file)
        .arg(&binary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let page = String::from_utf8(o.stdout).unwrap();
    assert_eq!(std::fs::read_to_string(&html_file).unwrap(), page);
    assert_self_contained(&page);
    let dom = chromium::dump_dom(&html_file);
    assert_eq!(overall(&dom), "FAIL");
    assert!(visible_text(&dom).contains(&shown(&binary.display().to_string())));
}

/// A Go server with an RSA and an ECDSA certificate, scanned for real: the page shows both
/// chains, each with what it was served for and its own key.
#[test]
fn every_chain_a_server_serves_is_on_the_page_in_chromium() {
    let server = require_server!(GoTlsServer::dual_cert(GoCrypto::Standard));
    let dir = tempfile::tempdir().unwrap();
    let json_file = dir.path().join("r.json");
    let o = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args(["scan", &server.addr().to_string(), "--timeout", "60s"])
        .args(["--format", "html", "-o"])
        .arg(&json_file)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let page = String::from_utf8(o.stdout).unwrap();
    let report = json::from_json(&std::fs::read_to_string(&json_file).unwrap(), "r").unwrap();
    let chains = &report.endpoints[0].certificate.as_ref().unwrap().chains;
    assert_eq!(chains.len(), 2, "the probe found both chains");
    let file = chromium::out_dir().join("chains.html");
    std::fs::write(&file, &page).unwrap();
    let dom = chromium::dump_dom(&file);
    let text = visible_text(&dom);
    for (i, c) in chains.iter().enumerate() {
        let title = format!("Chain {}, served for {}", i + 1, c.served_for);
        assert!(text.contains(&title), "no {title:?}");
        assert!(
            text.contains(&c.chain[0].sha256),
            "chain {} fingerprint",
            i + 1
        );
    }
    assert!(text.contains("RSA 2048 bits") && text.contains("EC secp256r1 (256 bits)"));
    assert!(text.contains("The server serves 2 certificate chains, and each is graded."));
}

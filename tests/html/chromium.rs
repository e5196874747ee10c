//! Headless Chromium (Debian's `chromium`) for the HTML report tests: load a file, give back
//! the DOM as the browser built it, a screenshot, or the page printed to PDF.
//!
//! Every run gets a fresh profile directory, no network services (background networking,
//! component updates, sync and first-run work are off), and is bounded by coreutils `timeout`,
//! which kills Chromium's whole process group when it hangs. `--no-sandbox` because the tests
//! run as root in containers, where Chromium's sandbox cannot start. A missing `chromium`,
//! `timeout` or `pdfinfo` fails the test: `scripts/install-test-deps.sh` installs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::evidence::tool;

/// Longest a Chromium run may take before `timeout` kills it.
const LIMIT_SECONDS: &str = "90";

fn url(page: &Path) -> String {
    format!("file://{}", page.canonicalize().unwrap().display())
}

/// Runs Chromium on `page` with `mode` flags; returns its stdout. Panics (with stderr) on a
/// non-zero exit or a timeout.
fn run(page: &Path, mode: &[String]) -> Vec<u8> {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(tool("timeout", "coreutils"))
        .args(["-k", "5", LIMIT_SECONDS])
        .arg(tool("chromium", "chromium"))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(mode)
        .arg(url(page))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "chromium {mode:?} failed ({:?}; 124 is the timeout): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// The DOM after Chromium parsed the page, serialized by Chromium.
pub fn dump_dom(page: &Path) -> String {
    String::from_utf8(run(page, &["--dump-dom".to_string()])).unwrap()
}

/// A 1200×2000 screenshot of the top of the page, written to `png`.
pub fn screenshot(page: &Path, png: &Path) {
    let _ = std::fs::remove_file(png);
    run(
        page,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,2000".to_string(),
        ],
    );
    let bytes = std::fs::read(png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000,
        "{} is not a screenshot ({} bytes)",
        png.display(),
        bytes.len()
    );
}

/// The page printed to `pdf` as Chromium prints it (the page's own `@page` size, A4); returns
/// `pdfinfo`'s page count and page size line.
pub fn print_to_pdf(page: &Path, pdf: &Path) -> (u32, String) {
    let _ = std::fs::remove_file(pdf);
    run(
        page,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_string(),
        ],
    );
    let o = Command::new(tool("pdfinfo", "poppler-utils"))
        .arg(pdf)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "pdfinfo: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let info = String::from_utf8(o.stdout).unwrap();
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    (field("Pages:").parse().unwrap_or(0), field("Page size:"))
}

/// Where the tests leave screenshots and PDFs for people to look at.
pub fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

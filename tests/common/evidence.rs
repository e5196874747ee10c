//! Checks of the evidence formats with the tools CI systems trust: JUnit XML validated by
//! `xmllint` against the Jenkins xUnit plugin's `junit-10.xsd` (`tests/data/evidence/`) and
//! read back with XPath, Prometheus text checked by `promtool check metrics` and by a strict
//! parser here. `tests/evidence.rs` (scans) and `tests/binaries.rs` (`fipsprobe binaries`)
//! use them. `xmllint` (libxml2-utils) and `promtool` (prometheus) come from
//! `scripts/install-test-deps.sh`; a missing one fails the test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A tool the tests need, installed by `scripts/install-test-deps.sh`: missing is a failure.
pub fn tool(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("{name} not found: install the Debian package {package} (scripts/install-test-deps.sh)");
}

/// `xmllint --schema junit-10.xsd FILE`: Ok, or the validator's complaint.
pub fn validate_junit(file: &Path) -> Result<(), String> {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/evidence/junit-10.xsd");
    let o = Command::new(tool("xmllint", "libxml2-utils"))
        .args(["--noout", "--nonet", "--schema", s(&xsd), s(file)])
        .output()
        .unwrap();
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// The string value of an XPath expression over `file`, as libxml2 reads the document.
pub fn xpath(file: &Path, expr: &str) -> String {
    let o = Command::new(tool("xmllint", "libxml2-utils"))
        .args(["--nonet", "--xpath", expr, s(file)])
        .output()
        .unwrap();
    // xmllint exits 10 when the expression selects nothing; an empty string says the same.
    // It ends each result with a newline of its own.
    let mut text = String::from_utf8(o.stdout).unwrap();
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

/// `promtool check metrics` on `text`: Ok, or what promtool said.
pub fn promtool_check(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut child = Command::new(tool("promtool", "prometheus"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// A strict reader of the text exposition format: every line a comment, `# HELP`/`# TYPE`
/// before a family's samples, each family once and contiguous, names and label names as the
/// format allows, label values with only `\\`, `\"` and `\n` escapes, values that parse, no
/// series twice. Returns the samples keyed by name and sorted labels.
pub fn parse_exposition(text: &str) -> Result<BTreeMap<Series, f64>, String> {
    fn name_ok(n: &str, colon: bool) -> bool {
        let mut chars = n.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
    }
    if !text.ends_with('\n') {
        return Err("no final newline".into());
    }
    let mut samples = BTreeMap::new();
    let mut typed: Vec<String> = Vec::new();
    let mut helped: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let err = |m: &str| format!("line {}: {m}: {line:?}", n + 1);
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let list = match kind {
                "HELP" => &mut helped,
                "TYPE" => {
                    if parts.next() != Some("gauge") {
                        return Err(err("not a gauge"));
                    }
                    &mut typed
                }
                _ => return Err(err("unknown comment")),
            };
            if list.contains(&name.to_string()) || !name_ok(name, true) {
                return Err(err("family repeated or badly named"));
            }
            list.push(name.to_string());
            current = Some(name.to_string());
            continue;
        }
        let (name, rest) = match line.find(['{', ' ']) {
            Some(i) => line.split_at(i),
            None => return Err(err("no value")),
        };
        if current.as_deref() != Some(name) || !typed.contains(&name.to_string()) {
            return Err(err("sample outside its family"));
        }
        let mut labels = Vec::new();
        let mut rest = rest;
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices().peekable();
            loop {
                let start = chars
                    .peek()
                    .map(|(i, _)| *i)
                    .ok_or_else(|| err("open labels"))?;
                if body[start..].starts_with('}') {
                    rest = &body[start + 1..];
                    break;
                }
                let eq = body[start..]
                    .find("=\"")
                    .ok_or_else(|| err("label without value"))?;
                let label = &body[start..start + eq];
                if !name_ok(label, false) {
                    return Err(err("bad label name"));
                }
                for _ in 0..eq + 2 {
                    chars.next();
                }
                let mut value = String::new();
                loop {
                    match chars.next().ok_or_else(|| err("unterminated value"))?.1 {
                        '"' => break,
                        '\\' => match chars.next().ok_or_else(|| err("dangling escape"))?.1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            _ => return Err(err("invalid escape")),
                        },
                        c => value.push(c),
                    }
                }
                labels.push((label.to_string(), value));
                match chars.peek().map(|(_, c)| *c) {
                    Some(',') => {
                        chars.next();
                    }
                    Some('}') => {}
                    _ => return Err(err("expected , or }")),
                }
            }
        }
        let value = rest
            .strip_prefix(' ')
            .ok_or_else(|| err("no space before value"))?;
        let value: f64 = value.parse().map_err(|_| err("value is not a number"))?;
        labels.sort();
        let key = Series {
            name: name.to_string(),
            labels,
        };
        if samples.insert(key, value).is_some() {
            return Err(err("series repeated"));
        }
    }
    if helped != typed {
        return Err(format!("HELP and TYPE disagree: {helped:?} vs {typed:?}"));
    }
    Ok(samples)
}

/// One time series: a metric name and its labels, sorted.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Series {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

pub fn series(samples: &BTreeMap<Series, f64>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    labels.sort();
    samples
        .get(&Series {
            name: name.to_string(),
            labels,
        })
        .copied()
}

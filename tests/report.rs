//! The report formats as a user sees them: JSON (schema-validated, round-tripped), JSONL, CSV,
//! the table, diff and merge, all built from reports made in code.
//!
//! `validate_report(&serde_json::Value)` is the helper other tests can copy: it validates any
//! JSON against `schema/report-v1.schema.json` and names every violation.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;

use fipsprobe::model::{
    CertInfo, Certificate, Endpoint, ErrorKind, Facts, Finding, KeyType, PolicyRef, ProtocolResult,
    Report, Severity, Status, SuiteCode, SuiteEntry, SuiteGrade, Summary, Tool, Verdict, Waived,
};
use fipsprobe::protocol::Protocol;
use fipsprobe::report::diff::{diff, ChangeKind};
use fipsprobe::report::table::{render, TableOptions};
use fipsprobe::report::{csv, file, json, jsonl, merge, schema_text, ReportError};

// ---------------------------------------------------------------------------------------------
// Schema helper

/// Validates `instance` against the published schema; `Err` lists every violation with its path.
pub fn validate_report(instance: &Value) -> Result<(), Vec<String>> {
    let schema: Value = serde_json::from_str(schema_text()).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} (at {})", e, e.instance_path))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn assert_valid(text: &str) {
    let v: Value = serde_json::from_str(text).unwrap();
    if let Err(errors) = validate_report(&v) {
        panic!("report does not match the schema:\n{}", errors.join("\n"));
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const SHA_A: &str = "3f1d0c5e9b7a2486e0f1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a493827";
const SHA_B: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn suite(name: &str, code: u16, openssl: Option<&str>, approved: bool) -> SuiteEntry {
    SuiteEntry {
        name: name.to_string(),
        code: SuiteCode(u32::from(code)),
        openssl: openssl.map(str::to_string),
        approved,
        grade: Some(if approved {
            SuiteGrade::Approved
        } else {
            SuiteGrade::Fail
        }),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn endpoint(target: &str, host: &str, addr: &str, port: u16) -> Endpoint {
    Endpoint {
        target: target.to_string(),
        host: host.to_string(),
        ip: ip(addr),
        port,
        sni: None,
        explicit: true,
        service: None,
        status: Status::Tls,
        error: None,
        error_kind: None,
        protocols: BTreeMap::new(),
        refused: BTreeMap::new(),
        preferred_suite: None,
        groups: Vec::new(),
        certificate: None,
        findings: Vec::new(),
        verdict: Verdict::Pass,
        reasons: Vec::new(),
        unchecked: Vec::new(),
        gaps: Vec::new(),
        incomplete: false,
        handshakes: 40,
        duration_ms: 120,
        extensions: Facts::default(),
    }
}

fn finding(
    id: &str,
    severity: Severity,
    protocol: Option<Protocol>,
    item: Option<&str>,
    message: &str,
) -> Finding {
    Finding {
        id: id.to_string(),
        severity,
        message: message.to_string(),
        item: item.map(str::to_string),
        protocol,
        source: Some("NIST SP 800-52r2 §3.3.1".to_string()),
        waived: None,
    }
}

/// A kube-apiserver that passes: TLS 1.2 and 1.3, approved suites only.
fn passing() -> Endpoint {
    let mut e = endpoint("10.0.0.5", "10.0.0.5", "10.0.0.5", 6443);
    e.service = Some("kube-apiserver".into());
    e.protocols.insert(
        Protocol::Tls12,
        ProtocolResult {
            suites: vec![
                suite(
                    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                    0xC030,
                    Some("ECDHE-RSA-AES256-GCM-SHA384"),
                    true,
                ),
                suite(
                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                    0xC02F,
                    Some("ECDHE-RSA-AES128-GCM-SHA256"),
                    true,
                ),
            ],
            server_order: Some(true),
            preferred: Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into()),
        },
    );
    e.protocols.insert(
        Protocol::Tls13,
        ProtocolResult {
            suites: vec![
                suite(
                    "TLS_AES_256_GCM_SHA384",
                    0x1302,
                    Some("TLS_AES_256_GCM_SHA384"),
                    true,
                ),
                suite(
                    "TLS_AES_128_GCM_SHA256",
                    0x1301,
                    Some("TLS_AES_128_GCM_SHA256"),
                    true,
                ),
            ],
            server_order: Some(false),
            preferred: Some("TLS_AES_256_GCM_SHA384".into()),
        },
    );
    e.preferred_suite = Some("TLS_AES_256_GCM_SHA384".into());
    e.groups = vec!["secp256r1".into(), "secp384r1".into()];
    e.certificate = Some(Certificate {
        chain: vec![CertInfo {
            subject: Some("CN=kube-apiserver".into()),
            key_type: Some(KeyType::Rsa),
            key_bits: Some(2048),
            ..CertInfo::default()
        }],
        ..Certificate::default()
    });
    e.extensions.extended_master_secret = Some(true);
    e
}

/// An etcd named by host that fails: TLS 1.0, a static-RSA suite, one waived finding.
fn failing() -> Endpoint {
    let mut e = endpoint(
        "node1.example.com:2379",
        "node1.example.com",
        "10.0.0.6",
        2379,
    );
    e.sni = Some("node1.example.com".into());
    e.service = Some("etcd-client".into());
    e.protocols.insert(
        Protocol::Tls10,
        ProtocolResult {
            suites: vec![suite(
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                0xC013,
                Some("ECDHE-RSA-AES128-SHA"),
                false,
            )],
            server_order: None,
            preferred: Some("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA".into()),
        },
    );
    e.protocols.insert(
        Protocol::Tls12,
        ProtocolResult {
            suites: vec![
                suite(
                    "TLS_RSA_WITH_AES_128_GCM_SHA256",
                    0x009C,
                    Some("AES128-GCM-SHA256"),
                    false,
                ),
                suite(
                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                    0xC02F,
                    Some("ECDHE-RSA-AES128-GCM-SHA256"),
                    true,
                ),
                suite(
                    "TLS_RSA_WITH_AES_256_GCM_SHA384",
                    0x009D,
                    Some("AES256-GCM-SHA384"),
                    false,
                ),
            ],
            server_order: Some(true),
            preferred: Some("TLS_RSA_WITH_AES_128_GCM_SHA256".into()),
        },
    );
    e.preferred_suite = Some("TLS_RSA_WITH_AES_128_GCM_SHA256".into());
    e.groups = vec!["secp256r1".into()];
    e.findings = vec![
        finding(
            "protocol_not_approved",
            Severity::Fail,
            Some(Protocol::Tls10),
            Some("TLSv1.0"),
            "TLSv1.0 is accepted but not approved (NIST SP 800-52r2 §3.1)",
        ),
        finding(
            "suite_not_approved",
            Severity::Fail,
            Some(Protocol::Tls12),
            Some("TLS_RSA_WITH_AES_128_GCM_SHA256"),
            "TLSv1.2 accepts TLS_RSA_WITH_AES_128_GCM_SHA256, which is not approved",
        ),
        Finding {
            waived: Some(Waived {
                reason: "legacy backup client, ticket SEC-1234".into(),
                expires: "2027-03-31".into(),
            }),
            ..finding(
                "suite_not_approved",
                Severity::Fail,
                Some(Protocol::Tls12),
                Some("TLS_RSA_WITH_AES_256_GCM_SHA384"),
                "TLSv1.2 accepts TLS_RSA_WITH_AES_256_GCM_SHA384, which is not approved",
            )
        },
        finding(
            "tls13_missing",
            Severity::Warn,
            None,
            Some("TLSv1.3"),
            "TLSv1.3 is not accepted",
        ),
    ];
    e.verdict = Verdict::Fail;
    e
}

fn timed_out() -> Endpoint {
    let mut e = endpoint("10.0.0.7:10250", "10.0.0.7", "10.0.0.7", 10250);
    e.service = Some("kubelet".into());
    e.status = Status::Timeout;
    e.error = Some("connect timed out after 3 s".into());
    e.error_kind = Some(ErrorKind::ConnectTimeout);
    e.verdict = Verdict::NotAssessed;
    e.reasons = vec!["connect timed out after 3 s".into()];
    e.handshakes = 0;
    e
}

fn not_tls() -> Endpoint {
    let mut e = endpoint("10.0.0.8", "10.0.0.8", "10.0.0.8", 2379);
    e.status = Status::NotTls;
    e.error = Some("not TLS: got \"HTTP/1.1 400 Bad Request\", then closed".into());
    e.error_kind = Some(ErrorKind::NotTls);
    e.verdict = Verdict::NotAssessed;
    e.reasons = vec!["not TLS".into()];
    e
}

fn ipv6() -> Endpoint {
    let mut e = passing();
    e.target = "[2001:db8::1]:6443".into();
    e.host = "2001:db8::1".into();
    e.ip = ip("2001:db8::1");
    e
}

fn closed_in_range(last: u8, port: u16) -> Endpoint {
    let addr = format!("10.0.1.{last}");
    let mut e = endpoint("10.0.1.0/24", &addr, &addr, port);
    e.status = Status::Closed;
    e.error = Some("connection refused".into());
    e.error_kind = Some(ErrorKind::Refused);
    e.verdict = Verdict::NotAssessed;
    e.handshakes = 0;
    e
}

fn report(endpoints: Vec<Endpoint>) -> Report {
    Report {
        schema_version: 1,
        tool: Tool {
            name: "fipsprobe".into(),
            version: "0.1.0".into(),
            crypto_provider: "aws-lc-rs".into(),
            fips_mode: false,
        },
        policy: PolicyRef {
            id: "fips-140-3".into(),
            sha256: SHA_A.into(),
        },
        started_at: "2026-11-23T02:00:00Z".into(),
        finished_at: "2026-11-23T02:03:11Z".into(),
        args: vec!["fipsprobe".into(), "scan".into(), "10.0.0.5".into()],
        complete: true,
        summary: Summary::of(&endpoints),
        endpoints,
        binaries: Vec::new(),
    }
}

/// Every kind of endpoint: pass, fail with a waived finding, timeout, not TLS, IPv6, a range.
fn full() -> Report {
    let mut endpoints = vec![passing(), failing(), timed_out(), not_tls(), ipv6()];
    for last in 10..16 {
        endpoints.push(closed_in_range(last, 6443));
    }
    report(endpoints)
}

// ---------------------------------------------------------------------------------------------
// JSON

#[test]
fn json_round_trips_and_validates() {
    for r in [full(), report(vec![passing()]), report(vec![])] {
        let text = json::to_json(&r);
        assert!(text.ends_with("}\n"));
        assert_valid(&text);
        let back = json::from_json(&text, "r.json").unwrap();
        assert_eq!(back, r);
    }
}

#[test]
fn json_has_the_spec_keys_and_spellings() {
    let v: Value = serde_json::from_str(&json::to_json(&full())).unwrap();
    assert_eq!(v["schema_version"], 1);
    let fail = &v["endpoints"][1];
    assert_eq!(fail["verdict"], "fail");
    assert_eq!(fail["protocols"]["TLSv1.2"]["suites"][0]["code"], "0x009C");
    assert_eq!(fail["protocols"]["TLSv1.0"]["server_order"], Value::Null);
    assert_eq!(fail["findings"][2]["waived"]["expires"], "2027-03-31");
    assert_eq!(v["endpoints"][2]["status"], "timeout");
    assert_eq!(v["endpoints"][3]["status"], "not_tls");
    assert_eq!(v["endpoints"][4]["ip"], "2001:db8::1");
    assert_eq!(v["summary"]["not_assessed"], 8);
}

#[test]
fn schema_rejects_malformed_reports() {
    let good: Value = serde_json::from_str(&json::to_json(&full())).unwrap();
    assert!(validate_report(&good).is_ok());
    type Breakage = Box<dyn Fn(&mut Value)>;
    let breakages: Vec<(&str, Breakage)> = vec![
        (
            "missing summary",
            Box::new(|v| drop(v.as_object_mut().unwrap().remove("summary"))),
        ),
        (
            "schema_version 2",
            Box::new(|v| v["schema_version"] = 2.into()),
        ),
        (
            "bad status",
            Box::new(|v| v["endpoints"][0]["status"] = "open".into()),
        ),
        (
            "bad verdict",
            Box::new(|v| v["endpoints"][0]["verdict"] = "PASS".into()),
        ),
        (
            "decimal code",
            Box::new(|v| {
                v["endpoints"][0]["protocols"]["TLSv1.2"]["suites"][0]["code"] = 49200.into()
            }),
        ),
        (
            "unknown version",
            Box::new(|v| {
                v["endpoints"][0]["protocols"]["TLSv1.4"] =
                    serde_json::json!({"suites": [], "server_order": null, "preferred": null})
            }),
        ),
        (
            "port too big",
            Box::new(|v| v["endpoints"][0]["port"] = 70000.into()),
        ),
        (
            "renamed key",
            Box::new(|v| {
                let o = v.as_object_mut().unwrap();
                let c = o.remove("complete").unwrap();
                o.insert("completed".into(), c);
            }),
        ),
        (
            "missing finding message",
            Box::new(|v| {
                drop(
                    v["endpoints"][1]["findings"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("message"),
                )
            }),
        ),
        (
            "bad timestamp",
            Box::new(|v| v["started_at"] = "yesterday".into()),
        ),
        (
            "bad sha256",
            Box::new(|v| v["policy"]["sha256"] = "ABC".into()),
        ),
    ];
    for (what, breakage) in breakages {
        let mut v = good.clone();
        breakage(&mut v);
        assert!(
            validate_report(&v).is_err(),
            "schema accepted a report with {what}"
        );
    }
}

#[test]
fn schema_is_a_valid_draft_2020_12_schema() {
    let schema: Value = serde_json::from_str(schema_text()).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::meta::validate(&schema).unwrap();
}

#[test]
fn from_json_names_the_file_on_every_error() {
    let mut v: Value = serde_json::from_str(&json::to_json(&full())).unwrap();
    v["schema_version"] = 2.into();
    let err = json::from_json(&v.to_string(), "/var/lib/fipsprobe/last.json").unwrap_err();
    assert!(matches!(err, ReportError::SchemaVersion { .. }));
    assert!(err.to_string().contains("/var/lib/fipsprobe/last.json"));
    let err = json::from_json("{\"schema_version\": 1, \"tool\": 3}", "x.json").unwrap_err();
    assert!(err.to_string().starts_with("x.json: "), "{err}");
}

#[test]
fn reports_in_test_data_behave_as_named() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reports");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = json::from_json(&text, &name);
        let value: Result<Value, _> = serde_json::from_str(&text);
        if name.starts_with("bad-") {
            let schema_ok = value.map(|v| validate_report(&v).is_ok()).unwrap_or(false);
            assert!(parsed.is_err() || !schema_ok, "{name} should be rejected");
            assert!(!schema_ok, "{name} should fail the schema");
        } else {
            let r = parsed.unwrap_or_else(|e| panic!("{e}"));
            assert_valid(&text);
            assert_eq!(
                r.summary,
                Summary::of(&r.endpoints),
                "{name}: summary disagrees"
            );
        }
        seen += 1;
    }
    assert!(seen >= 3);
}

#[test]
fn sample_report_in_examples_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-report.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_valid(&text);
    let r = json::from_json(&text, "examples/sample-report.json").unwrap();
    assert_eq!(r.summary, Summary::of(&r.endpoints));
}

// ---------------------------------------------------------------------------------------------
// JSONL and CSV

#[test]
fn jsonl_is_one_endpoint_per_line_then_the_summary() {
    let r = full();
    let mut out = String::new();
    for e in &r.endpoints {
        out.push_str(&jsonl::endpoint_line(e));
        out.push('\n');
    }
    out.push_str(&jsonl::summary_line(&r.summary, r.complete));
    out.push('\n');
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), r.endpoints.len() + 1);
    for (line, e) in lines.iter().zip(&r.endpoints) {
        let back: Endpoint = serde_json::from_str(line).unwrap();
        assert_eq!(&back, e);
    }
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["summary"]["endpoints"], r.endpoints.len());
    assert_eq!(last["complete"], true);
    // The endpoint lines, wrapped back into a report, validate against the schema.
    let mut v: Value = serde_json::from_str(&json::to_json(&r)).unwrap();
    v["endpoints"] = lines[..lines.len() - 1]
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect();
    assert!(validate_report(&v).is_ok());
}

/// A small RFC 4180 reader, to check the writer from the outside.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        !quoted && cell.is_empty() && row.is_empty(),
        "CSV must end with a newline"
    );
    rows
}

#[test]
fn csv_has_one_row_per_endpoint_version_suite() {
    let r = full();
    let rows = parse_csv(&csv::to_csv(&r));
    assert_eq!(rows[0], csv::COLUMNS.to_vec());
    assert!(rows.iter().all(|row| row.len() == csv::COLUMNS.len()));
    // 4 + 4 suites for the passing endpoints, 4 for the failing one, 1 row for each of 8 others.
    assert_eq!(rows.len() - 1, 4 + 4 + 4 + 8);
    let col = |name: &str| csv::COLUMNS.iter().position(|c| *c == name).unwrap();
    let bad: Vec<&Vec<String>> = rows
        .iter()
        .filter(|row| row[col("approved")] == "false")
        .collect();
    assert_eq!(bad.len(), 3);
    assert!(bad
        .iter()
        .any(|row| row[col("suite")] == "TLS_RSA_WITH_AES_128_GCM_SHA256"
            && row[col("protocol")] == "TLSv1.2"
            && row[col("code")] == "0x009C"
            && row[col("host")] == "node1.example.com"));
    let fail_row = bad[0];
    assert_eq!(
        fail_row[col("fail_findings")],
        "protocol_not_approved@TLSv1.0:TLSv1.0;suite_not_approved@TLSv1.2:TLS_RSA_WITH_AES_128_GCM_SHA256"
    );
    assert_eq!(
        fail_row[col("waived_findings")],
        "suite_not_approved@TLSv1.2:TLS_RSA_WITH_AES_256_GCM_SHA384"
    );
    // The error with a comma and quotes survives quoting intact.
    let nt = rows
        .iter()
        .find(|row| row[col("status")] == "not_tls")
        .unwrap();
    assert_eq!(
        nt[col("error")],
        "not TLS: got \"HTTP/1.1 400 Bad Request\", then closed"
    );
    assert_eq!(nt[col("suite")], "");
    assert!(rows.iter().any(|row| row[col("ip")] == "2001:db8::1"));
}

// ---------------------------------------------------------------------------------------------
// Table

fn plain(width: u16) -> TableOptions {
    TableOptions {
        color: false,
        wide: false,
        details: false,
        width: Some(width),
        ascii: false,
    }
}

#[test]
fn table_shows_every_endpoint_suite_and_the_verdict() {
    let r = full();
    let t = render(&r, &plain(80));
    println!("{t}");
    assert_eq!(
        t.lines().last().unwrap(),
        "FAIL: 1 of 3 TLS endpoints fails fips-140-3"
    );
    assert_eq!(t.matches("FAIL: ").count(), 1, "one verdict line");
    for needle in [
        "10.0.0.5:6443",
        "kube-apiserver",
        "node1.example.com:2379 (10.0.0.6:2379)",
        "etcd-client",
        "[2001:db8::1]:6443",
        "[PASS]",
        "[FAIL]",
        "Preferred suite: TLS_RSA_WITH_AES_128_GCM_SHA256 (TLSv1.2, AES128-GCM-SHA256,",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLSv1.0",
        "protocol_not_approved",
        "WAIVED fail suite_not_approved",
        "waived until 2027-03-31",
        "WARN tls13_missing",
        "connect timed out after 3 s",
        "10.0.1.0/24",
        "10.0.1.10-15:6443, 6 endpoints, identical",
        "Extended master secret: used",
    ] {
        assert!(t.contains(needle), "table lacks {needle:?}:\n{t}");
    }
    // Each non-approved suite's row carries the mark, approved rows don't.
    let marked: Vec<&str> = t.lines().filter(|l| l.contains("✗ NO")).collect();
    assert_eq!(marked.len(), 3, "{t}");
    assert!(marked
        .iter()
        .all(|l| l.contains("TLS_RSA_WITH") || l.contains("_CBC_")));
    assert!(!t.contains('\x1b'), "no colour unless asked");
}

#[test]
fn table_fits_80_columns() {
    let r = full();
    for opts in [
        plain(80),
        TableOptions {
            ascii: true,
            ..plain(80)
        },
        TableOptions {
            color: true,
            ..plain(80)
        },
    ] {
        let t = render(&r, &opts);
        for line in t.lines() {
            let width = fipsprobe::report::table::text_width(line);
            assert!(width <= 80, "{width} columns: {line:?}\n{t}");
        }
    }
}

#[test]
fn table_fits_any_reasonable_width() {
    let r = full();
    for width in [40u16, 50, 60, 72, 100, 132] {
        for wide in [false, true] {
            let t = render(
                &r,
                &TableOptions {
                    wide,
                    ..plain(width)
                },
            );
            // The verdict line is never wrapped (scripts take the last line); all else fits,
            // but for a name wider than the room left, which is never broken.
            let names: Vec<&str> = r
                .endpoints
                .iter()
                .flat_map(|e| e.protocols.values())
                .flat_map(|p| p.suites.iter().map(|s| s.name.as_str()))
                .collect();
            let body: Vec<&str> = t.lines().collect();
            for line in &body[..body.len() - 1] {
                let w = fipsprobe::report::table::text_width(line);
                let name = names
                    .iter()
                    .find(|n| line.contains(**n))
                    .map_or(0, |n| n.len());
                assert!(
                    w <= usize::from(width) || w - name < usize::from(width) / 2,
                    "width {width} wide {wide}: {w} columns: {line:?}"
                );
            }
            for name in &names {
                assert!(t.contains(name), "{name} broken at width {width}:\n{t}");
            }
            assert!(
                t.contains("TLS_RSA_WITH_AES_128_GCM_SHA256") || width < 60,
                "{t}"
            );
        }
    }
}

#[test]
fn table_ascii_mode_is_ascii_and_still_marks() {
    let t = render(
        &full(),
        &TableOptions {
            ascii: true,
            ..plain(80)
        },
    );
    // Only the data (the rule source's "§") may be non-ASCII; marks and borders are not.
    assert!(t.replace('§', "S").is_ascii(), "{t}");
    println!("{t}");
    assert_eq!(t.lines().filter(|l| l.contains("X NO")).count(), 3);
}

#[test]
fn table_colour_only_when_asked() {
    let t = render(
        &full(),
        &TableOptions {
            color: true,
            ..plain(100)
        },
    );
    assert!(t.contains("\x1b["));
    assert!(t.contains("✗ NO"), "the symbol stays with colour");
}

#[test]
fn table_wide_adds_codes_and_lists_range_endpoints() {
    let t = render(
        &full(),
        &TableOptions {
            wide: true,
            width: None,
            ..plain(80)
        },
    );
    assert!(t.contains("0x009C"));
    assert!(t.contains("ECDHE-RSA-AES128-SHA"));
    assert!(t.contains("10.0.1.15:6443"));
    assert!(!t.contains("endpoints in this range"));
}

#[test]
fn table_verdict_lines_for_each_outcome() {
    let last = |r: &Report| render(r, &plain(80)).lines().last().unwrap().to_string();
    assert_eq!(
        last(&report(vec![passing(), ipv6()])),
        "PASS: every TLS endpoint passes fips-140-3 (2 of 2)"
    );
    assert_eq!(
        last(&report(vec![timed_out()])),
        "NOT ASSESSED: no endpoint answered TLS (1 endpoint scanned)"
    );
    let mut incomplete = report(vec![passing(), timed_out()]);
    incomplete.complete = false;
    assert!(last(&incomplete).starts_with("INCOMPLETE: no endpoint fails fips-140-3"));
    let mut two = failing();
    two.ip = ip("10.0.0.9");
    assert_eq!(
        last(&report(vec![failing(), two, passing()])),
        "FAIL: 2 of 3 TLS endpoints fail fips-140-3"
    );
    // Cut short after it failed: not assessed, its fail findings stand, and the scan exits 1,
    // so the line must not say PASS.
    let mut cut = failing();
    cut.verdict = Verdict::NotAssessed;
    cut.reasons = vec!["the enumeration was cut short".into()];
    assert_eq!(
        last(&report(vec![cut, passing()])),
        "FAIL: 1 of 2 TLS endpoints fails fips-140-3 (1 of them not assessed: cut short after it \
         failed)"
    );
}

// ---------------------------------------------------------------------------------------------
// Atomic file

#[test]
fn write_atomic_writes_the_json_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let text = json::to_json(&full());
    file::write_atomic(&path, text.as_bytes()).unwrap();
    let back = std::fs::read_to_string(&path).unwrap();
    assert_eq!(back, text);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Diff

fn kinds(d: &fipsprobe::report::diff::Diff) -> Vec<(ChangeKind, bool)> {
    d.changes.iter().map(|c| (c.kind, c.regression)).collect()
}

#[test]
fn diff_of_identical_reports_is_empty() {
    let d = diff(&full(), &full());
    assert!(d.changes.is_empty());
    assert!(!d.regressed());
    assert!(d.render_table(false).ends_with("NO CHANGES\n"));
}

#[test]
fn diff_detects_appeared_and_disappeared_endpoints() {
    let d = diff(
        &report(vec![passing(), timed_out()]),
        &report(vec![passing(), failing()]),
    );
    let k = kinds(&d);
    assert!(
        k.contains(&(ChangeKind::EndpointAppeared, true)),
        "a failing newcomer regresses: {k:?}"
    );
    assert!(k.contains(&(ChangeKind::EndpointDisappeared, false)));
    assert!(d.regressed());
    let d = diff(&report(vec![passing()]), &report(vec![passing(), ipv6()]));
    assert_eq!(kinds(&d), vec![(ChangeKind::EndpointAppeared, false)]);
    assert!(!d.regressed());
    // Closed addresses coming and going (ranges may leave them out) are not news.
    let d = diff(
        &report(vec![passing(), closed_in_range(10, 6443)]),
        &report(vec![passing(), closed_in_range(11, 6443)]),
    );
    assert!(d.changes.is_empty(), "{:?}", d.changes);
}

#[test]
fn diff_detects_suites_accepted_and_dropped_per_version() {
    let old = report(vec![passing()]);
    let mut e = passing();
    let tls12 = e.protocols.get_mut(&Protocol::Tls12).unwrap();
    tls12.suites.remove(1);
    tls12.suites.push(suite(
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009C,
        None,
        false,
    ));
    let d = diff(&old, &report(vec![e.clone()]));
    let added = d
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::SuiteAccepted)
        .unwrap();
    assert!(added.regression);
    assert_eq!(added.protocol, Some(Protocol::Tls12));
    assert_eq!(
        added.item.as_deref(),
        Some("TLS_RSA_WITH_AES_128_GCM_SHA256")
    );
    let dropped = d
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::SuiteDropped)
        .unwrap();
    assert!(!dropped.regression);
    assert_eq!(
        dropped.item.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );

    // Re-adding an approved suite is a change but not a regression.
    let d = diff(&report(vec![e]), &old);
    assert!(d
        .changes
        .iter()
        .any(|c| c.kind == ChangeKind::SuiteAccepted && !c.regression));
    assert!(!d.regressed());
}

#[test]
fn diff_detects_versions_accepted_and_dropped() {
    let old = report(vec![passing()]);
    let mut e = passing();
    e.protocols.insert(
        Protocol::Tls11,
        ProtocolResult {
            suites: vec![suite(
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                0xC013,
                None,
                false,
            )],
            server_order: None,
            preferred: None,
        },
    );
    let d = diff(&old, &report(vec![e]));
    assert!(kinds(&d).contains(&(ChangeKind::ProtocolAccepted, true)));
    assert!(kinds(&d).contains(&(ChangeKind::SuiteAccepted, true)));

    let mut e = passing();
    e.protocols.remove(&Protocol::Tls13);
    let d = diff(&old, &report(vec![e.clone()]));
    assert!(kinds(&d).contains(&(ChangeKind::ProtocolDropped, false)));
    // TLS 1.3 coming (back) with approved suites only is progress, not a regression.
    let d = diff(&report(vec![e]), &old);
    assert!(
        kinds(&d).contains(&(ChangeKind::ProtocolAccepted, false)),
        "{:?}",
        kinds(&d)
    );
    assert!(!d.regressed());
}

#[test]
fn diff_detects_verdict_and_finding_changes() {
    let mut fixed = failing();
    fixed.verdict = Verdict::Pass;
    fixed.findings.retain(|f| f.severity != Severity::Fail);
    let d = diff(&report(vec![fixed.clone()]), &report(vec![failing()]));
    let k = kinds(&d);
    assert!(k.contains(&(ChangeKind::VerdictChanged, true)));
    assert!(k.contains(&(ChangeKind::FindingNew, true)));
    // The waived finding is new too, but waived: not a regression on its own.
    assert_eq!(
        d.changes
            .iter()
            .filter(|c| c.kind == ChangeKind::FindingNew && !c.regression)
            .count(),
        1
    );
    let back = diff(&report(vec![failing()]), &report(vec![fixed]));
    assert!(kinds(&back).contains(&(ChangeKind::VerdictChanged, false)));
    assert!(kinds(&back).contains(&(ChangeKind::FindingResolved, false)));
    assert!(!back.regressed());

    // A waiver that expired turns a waived finding into a failing one: a regression.
    let mut expired = failing();
    for f in &mut expired.findings {
        f.waived = None;
    }
    let d = diff(&report(vec![failing()]), &report(vec![expired]));
    assert_eq!(kinds(&d), vec![(ChangeKind::FindingChanged, true)]);
}

#[test]
fn diff_matches_named_hosts_across_address_changes() {
    let mut moved = failing();
    moved.ip = ip("10.0.0.99");
    let d = diff(&report(vec![failing()]), &report(vec![moved]));
    assert_eq!(kinds(&d), vec![(ChangeKind::AddressChanged, false)]);
}

#[test]
fn diff_matches_multi_address_names_address_by_address() {
    let mut second = failing();
    second.ip = ip("10.0.0.16");
    let mut third = failing();
    third.ip = ip("10.0.0.17");
    let d = diff(
        &report(vec![failing(), second.clone()]),
        &report(vec![failing(), third]),
    );
    let k = kinds(&d);
    assert_eq!(
        k,
        vec![
            (ChangeKind::EndpointDisappeared, false),
            (ChangeKind::EndpointAppeared, true)
        ],
        "{:?}",
        d.changes
    );
    assert!(d.changes[0].endpoint.contains("10.0.0.16"));
    assert!(d.changes[1].endpoint.contains("10.0.0.17"));
    // Same addresses on both sides: nothing changed.
    assert!(diff(
        &report(vec![failing(), second.clone()]),
        &report(vec![second, failing()])
    )
    .changes
    .is_empty());
}

#[test]
fn diff_preferred_suite_change() {
    let mut e = passing();
    e.preferred_suite = Some("TLS_AES_128_GCM_SHA256".into());
    let d = diff(&report(vec![passing()]), &report(vec![e]));
    assert_eq!(kinds(&d), vec![(ChangeKind::PreferredChanged, false)]);
}

#[test]
fn diff_table_and_json() {
    let d = diff(
        &report(vec![passing()]),
        &report(vec![failing(), passing()]),
    );
    let t = d.render_table(false);
    println!("{t}");
    assert!(t.contains("node1.example.com:2379"));
    assert!(t.contains("✗"));
    assert!(t.lines().last().unwrap().starts_with("REGRESSED: "));
    for line in t.lines() {
        assert!(fipsprobe::report::table::text_width(line) <= 80, "{line}");
    }
    let v: Value = serde_json::from_str(&d.to_json()).unwrap();
    assert_eq!(v["regressed"], true);
    assert_eq!(v["changes"][0]["kind"], "endpoint_appeared");
    assert_eq!(v["changes"][0]["regression"], true);
    assert_eq!(v["old"]["summary"]["endpoints"], 1);
    assert_eq!(v["new"]["policy"]["id"], "fips-140-3");
}

#[test]
fn diff_notes_a_policy_change() {
    let mut new = full();
    new.policy.sha256 = SHA_B.into();
    let d = diff(&full(), &new);
    assert_eq!(kinds(&d), vec![(ChangeKind::PolicyChanged, false)]);
}

// ---------------------------------------------------------------------------------------------
// Merge

#[test]
fn merge_round_trips_a_split_report() {
    let whole = full();
    let a: Vec<Endpoint> = whole.endpoints.iter().step_by(2).cloned().collect();
    let b: Vec<Endpoint> = whole.endpoints.iter().skip(1).step_by(2).cloned().collect();
    let mut ra = report(a);
    let mut rb = report(b);
    ra.finished_at = "2026-11-23T02:01:00Z".into();
    rb.started_at = "2026-11-23T02:00:30+00:00".into();
    rb.finished_at = "2026-11-23T02:03:11Z".into();
    // Shard b went through JSON, as it would in real life.
    let rb = json::from_json(&json::to_json(&rb), "b.json").unwrap();
    let merged = merge::merge(vec![("b.json".into(), rb), ("a.json".into(), ra)]).unwrap();
    let mut expected = whole.endpoints.clone();
    expected.sort_by(|x, y| (x.ip, x.port, &x.host).cmp(&(y.ip, y.port, &y.host)));
    assert_eq!(merged.endpoints, expected);
    assert_eq!(merged.summary, whole.summary);
    assert_eq!(merged.started_at, "2026-11-23T02:00:00Z");
    assert_eq!(merged.finished_at, "2026-11-23T02:03:11Z");
    assert!(merged.complete);
    assert_eq!(merged.args, vec!["fipsprobe", "merge", "b.json", "a.json"]);
    assert_valid(&json::to_json(&merged));
    // Same content as the unsplit report: the diff is empty.
    assert!(diff(&whole, &merged).changes.is_empty());
}

#[test]
fn merge_refuses_mixed_policies_naming_both_files() {
    let a = report(vec![passing()]);
    let mut b = report(vec![failing()]);
    b.policy.sha256 = SHA_B.into();
    let err = merge::merge(vec![
        ("shard-1.json".into(), a.clone()),
        ("shard-2.json".into(), b),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ReportError::MixedPolicy { .. }));
    assert!(
        text.contains("shard-1.json") && text.contains("shard-2.json"),
        "{text}"
    );
    let mut c = report(vec![failing()]);
    c.policy.id = "fips-140-2".into();
    let err = merge::merge(vec![("a.json".into(), a.clone()), ("c.json".into(), c)]).unwrap_err();
    assert!(err.to_string().contains("fips-140-2"));
    let mut d = report(vec![]);
    d.schema_version = 2;
    let err = merge::merge(vec![("a.json".into(), a), ("d.json".into(), d)]).unwrap_err();
    assert!(matches!(err, ReportError::SchemaVersion { .. }));
    assert!(err.to_string().contains("d.json"));
    assert!(matches!(
        merge::merge(vec![]),
        Err(ReportError::NothingToMerge)
    ));
}

#[test]
fn merge_keeps_one_copy_of_duplicates_and_says_so() {
    let mut refused = passing();
    refused.status = Status::Timeout;
    refused.protocols.clear();
    refused.verdict = Verdict::NotAssessed;
    let mut a = report(vec![refused, failing()]);
    a.complete = false;
    let mut b = report(vec![passing(), failing()]);
    b.tool.version = "0.2.0".into();
    let m = merge::merge_with_notes(vec![("a.json".into(), a), ("b.json".into(), b)]).unwrap();
    assert_eq!(m.report.endpoints.len(), 2);
    assert_eq!(m.report.tool.version, "0.1.0");
    assert!(
        m.notes
            .iter()
            .any(|n| n.starts_with("b.json was written by fipsprobe 0.2.0")),
        "{:?}",
        m.notes
    );
    assert_eq!(m.report.endpoints[0], passing(), "the assessed copy wins");
    assert_eq!(m.notes.len(), 3);
    assert!(m
        .notes
        .iter()
        .any(|n| n.contains("10.0.0.5:6443") && n.ends_with("kept the copy from b.json")));
    assert!(m
        .notes
        .iter()
        .any(|n| n.contains("node1.example.com:2379") && n.ends_with("kept the copy from a.json")));
    assert!(
        !m.report.complete,
        "incomplete shard makes the merge incomplete"
    );
    assert_eq!(m.report.summary, Summary::of(&m.report.endpoints));
}

#[test]
fn merge_refuses_bad_timestamps() {
    let mut a = report(vec![]);
    a.started_at = "last tuesday".into();
    let err = merge::merge(vec![("a.json".into(), a)]).unwrap_err();
    assert!(err.to_string().contains("a.json") && err.to_string().contains("started_at"));
}

// ---------------------------------------------------------------------------------------------
// Fixture files

/// The sample report of `examples/` and the reports of `tests/data/reports/`, written from the
/// fixtures above: `FIPSPROBE_WRITE_FIXTURES=1 cargo test --test report -- --ignored`.
#[test]
#[ignore = "writes files; run by hand after changing the fixtures"]
fn write_fixture_files() {
    if std::env::var_os("FIPSPROBE_WRITE_FIXTURES").is_none() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sample = full();
    sample.args = [
        "fipsprobe",
        "scan",
        "10.0.0.5",
        "node1.example.com:2379",
        "10.0.0.7:10250",
        "10.0.0.8",
        "[2001:db8::1]:6443",
        "10.0.1.0/24",
        "-p",
        "6443,2379",
        "-o",
        "report.json",
    ]
    .map(String::from)
    .to_vec();
    // 10.0.0.7:10250 was named explicitly and timed out: the scan is incomplete.
    sample.complete = false;
    std::fs::write(
        root.join("examples/sample-report.json"),
        json::to_json(&sample),
    )
    .unwrap();

    let dir = root.join("tests/data/reports");
    std::fs::create_dir_all(&dir).unwrap();
    // A nightly pair: yesterday all passed; tonight etcd on node1 regressed.
    let mut fixed = failing();
    fixed.protocols.remove(&Protocol::Tls10);
    if let Some(p) = fixed.protocols.get_mut(&Protocol::Tls12) {
        p.suites.retain(|s| s.approved);
        p.preferred = Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into());
    }
    fixed.preferred_suite = Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into());
    fixed.findings.retain(|f| f.severity != Severity::Fail);
    fixed.verdict = Verdict::Pass;
    let mut old = report(vec![passing(), fixed]);
    old.started_at = "2026-11-22T02:00:00Z".into();
    old.finished_at = "2026-11-22T02:02:40Z".into();
    let new = report(vec![passing(), failing()]);
    std::fs::write(dir.join("nightly-old.json"), json::to_json(&old)).unwrap();
    std::fs::write(dir.join("nightly-new.json"), json::to_json(&new)).unwrap();
    let mut other_policy = new.clone();
    other_policy.policy = PolicyRef {
        id: "fips-140-2".into(),
        sha256: SHA_B.into(),
    };
    std::fs::write(dir.join("policy-140-2.json"), json::to_json(&other_policy)).unwrap();

    let mut v: Value = serde_json::from_str(&json::to_json(&new)).unwrap();
    v["schema_version"] = 2.into();
    std::fs::write(dir.join("bad-schema-version-2.json"), format!("{v:#}\n")).unwrap();
    let mut v: Value = serde_json::from_str(&json::to_json(&new)).unwrap();
    v.as_object_mut().unwrap().remove("summary");
    std::fs::write(dir.join("bad-missing-summary.json"), format!("{v:#}\n")).unwrap();
    let mut v: Value = serde_json::from_str(&json::to_json(&new)).unwrap();
    v["endpoints"][1]["protocols"]["TLSv1.2"]["suites"][0]["code"] = "156".into();
    std::fs::write(dir.join("bad-suite-code-decimal.json"), format!("{v:#}\n")).unwrap();
    std::fs::write(dir.join("bad-truncated.json"), &json::to_json(&new)[..200]).unwrap();
}

#[test]
fn nightly_fixture_pair_regresses_and_reverse_does_not() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reports");
    let read = |name: &str| {
        json::from_json(&std::fs::read_to_string(dir.join(name)).unwrap(), name).unwrap()
    };
    let (old, new) = (read("nightly-old.json"), read("nightly-new.json"));
    let d = diff(&old, &new);
    println!("{}", d.render_table(false));
    assert!(d.regressed());
    let k = kinds(&d);
    for expected in [
        (ChangeKind::VerdictChanged, true),
        (ChangeKind::ProtocolAccepted, true),
        (ChangeKind::SuiteAccepted, true),
        (ChangeKind::PreferredChanged, true),
        (ChangeKind::FindingNew, true),
    ] {
        assert!(k.contains(&expected), "{expected:?} missing from {k:?}");
    }
    let back = diff(&new, &old);
    assert!(!back.regressed(), "{}", back.render_table(false));
    assert!(kinds(&back).contains(&(ChangeKind::ProtocolDropped, false)));
    // A report graded under another policy cannot be merged with tonight's.
    let other = read("policy-140-2.json");
    assert!(matches!(
        merge::merge(vec![
            ("nightly-new.json".into(), new),
            ("policy-140-2.json".into(), other)
        ]),
        Err(ReportError::MixedPolicy { .. })
    ));
}

#[test]
fn cron_script_selftest() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("sh")
        .arg(root.join("examples/cron/selftest.sh"))
        .arg(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("selftest ok"));
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest::proptest! {
    /// Whatever a cell holds (peer-chosen error text included), the CSV reads back as that cell
    /// with its control characters escaped, prefixed with `'` when a spreadsheet would run it
    /// as a formula; no record spans two lines.
    #[test]
    fn csv_cells_read_back(cells in proptest::collection::vec("(?s)[a-z,\"\\n\\r\\t =+@§-]{0,30}|.{0,30}", 1..6)) {
        let mut text = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&csv::quote(c));
        }
        text.push('\n');
        let rows = parse_csv(&text);
        proptest::prop_assert_eq!(rows.len(), 1);
        proptest::prop_assert_eq!(text.lines().count(), 1);
        proptest::prop_assert!(!text.trim_end_matches('\n').chars().any(char::is_control));
        let expected: Vec<String> = cells
            .iter()
            .map(|c| fipsprobe::report::escape::terminal(c).into_owned())
            .map(|c| if c.starts_with(['=', '+', '-', '@']) { format!("'{c}") } else { c })
            .collect();
        proptest::prop_assert_eq!(&rows[0], &expected);
    }

    /// Wrapping never exceeds the width but for a word longer than a line (never broken, alone
    /// on its line), and never loses a character.
    #[test]
    fn wrap_fits_and_keeps_everything(text in "[a-zA-Z0-9_§✗ ]{0,200}", width in 12usize..100) {
        let lines = fipsprobe::report::table::wrap(&text, Some(width), "  ", "    ");
        for l in &lines {
            let alone = l.split_whitespace().count() == 1;
            proptest::prop_assert!(fipsprobe::report::table::text_width(l) <= width || alone, "{:?}", l);
        }
        let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        proptest::prop_assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
        let kept: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let orig: String = text.chars().filter(|c| *c != ' ').collect();
        proptest::prop_assert_eq!(kept, orig);
    }

    /// Any split of a report into shards merges back to the same endpoints and summary.
    #[test]
    fn any_split_merges_back(mask in proptest::collection::vec(proptest::bool::ANY, 11)) {
        let whole = full();
        let pick = |side: bool| -> Vec<Endpoint> {
            mask.iter().zip(&whole.endpoints).filter(|(m, _)| **m == side).map(|(_, e)| e.clone()).collect()
        };
        let (ra, rb) = (report(pick(true)), report(pick(false)));
        let merged = merge::merge(vec![("a.json".into(), ra), ("b.json".into(), rb)]).unwrap();
        proptest::prop_assert_eq!(&merged.summary, &whole.summary);
        proptest::prop_assert!(diff(&whole, &merged).changes.is_empty());
    }
}

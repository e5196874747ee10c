//! Evidence for compliance tickets, end to end with the real binary: JUnit XML validated by
//! `xmllint` against the Jenkins xUnit plugin's `junit-10.xsd` (`tests/data/evidence/`),
//! Prometheus text checked by `promtool check metrics` and by a strict parser (both checks in
//! `tests/common/evidence.rs`), and signed reports: `keygen`, `--sign`, `verify`,
//! `merge`/`diff --verify-key`, checked against OpenSSL in both directions, and the nightly
//! cron script run with real keys.
//!
//! Servers are in-process rustls (`fipsprobe::demo`) on this file's own loopback range,
//! `127.62.<net>.0/24`, one /24 per test. `xmllint` (libxml2-utils), `promtool` (prometheus)
//! and `openssl` come from `scripts/install-test-deps.sh`; a missing one fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use base64::Engine;
use serde_json::Value;

use fipsprobe::demo::{self, RunningServer, ServerSpec};
use fipsprobe::report::{json, junit, prometheus};

#[path = "common/evidence.rs"]
mod evidence;
use evidence::{parse_exposition, promtool_check, series, tool, validate_junit, xpath};

// ---------------------------------------------------------------------------------------------
// Harness

struct Lab {
    rt: tokio::runtime::Runtime,
    servers: Vec<RunningServer>,
    net: u8,
    port: u16,
}

impl Lab {
    fn new(net: u8) -> Lab {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let port = TcpListener::bind(SocketAddr::new(ip(net, 1), 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Lab {
            rt,
            servers: Vec::new(),
            net,
            port,
        }
    }

    fn start(&mut self, host: u8, spec: &ServerSpec) -> String {
        let addr = SocketAddr::new(ip(self.net, host), self.port);
        let server = self.rt.block_on(demo::spawn(spec, addr)).unwrap();
        self.servers.push(server);
        addr.to_string()
    }

    /// `127.62.<net>.<host>` on a port where nothing listens: named explicitly, it is reported
    /// `closed`, `not_assessed`.
    fn closed(&self, host: u8) -> String {
        let lo = ip(self.net, host);
        let port = TcpListener::bind(SocketAddr::new(lo, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        SocketAddr::new(lo, port).to_string()
    }
}

fn ip(net: u8, host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 62, net, host))
}

fn fipsprobe() -> Command {
    let mut c = Command::cargo_bin("fipsprobe").unwrap();
    c.env_remove("NO_COLOR").env_remove("COLUMNS");
    c
}

fn run(args: &[&str]) -> Output {
    fipsprobe().args(args).output().unwrap()
}

fn scan_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "scan",
        "--connect-timeout",
        "1s",
        "--handshake-timeout",
        "2s",
        "--timeout",
        "20s",
    ];
    v.extend_from_slice(extra);
    v
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[track_caller]
fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit code; stderr: {}\nstdout: {}",
        stderr(o),
        stdout(o).chars().take(3000).collect::<String>()
    );
}

/// Exit `code`, one line on stderr that mentions `mentions`, nothing on stdout.
#[track_caller]
fn assert_one_line(o: &Output, code: i32, mentions: &str) {
    assert_code(o, code);
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("fipsprobe: "), "{err:?}");
    assert!(
        err.contains(mentions),
        "{err:?} should mention {mentions:?}"
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn openssl(args: &[&str]) -> Output {
    Command::new(tool("openssl", "openssl"))
        .args(args)
        .output()
        .unwrap()
}

/// The report of the hostile fixture (`tests/data/evidence/hostile-report.json`).
fn hostile_report() -> fipsprobe::model::Report {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/evidence/hostile-report.json");
    json::from_json(
        &std::fs::read_to_string(path).unwrap(),
        "hostile-report.json",
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// JUnit

#[test]
fn junit_validates_and_has_a_testcase_per_endpoint_as_the_verdicts_say() {
    let mut lab = Lab::new(1);
    let good = lab.start(1, &demo::kube_apiserver_fips());
    let bad = lab.start(2, &demo::etcd_non_fips());
    let closed = lab.closed(3);
    let dir = tempfile::tempdir().unwrap();
    let (xml, json_path) = (dir.path().join("r.xml"), dir.path().join("r.json"));
    let o = run(&scan_args(&[
        &good,
        &bad,
        &closed,
        "--format",
        "junit",
        "--junit",
        s(&xml),
        "-o",
        s(&json_path),
    ]));
    assert_code(&o, 1);
    // stdout and --junit FILE are the same document, and it validates.
    assert_eq!(stdout(&o), std::fs::read_to_string(&xml).unwrap());
    validate_junit(&xml).unwrap_or_else(|e| panic!("{e}\n{}", stdout(&o)));

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let endpoints = report["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 3);
    assert_eq!(xpath(&xml, "count(//testsuite)"), "1");
    assert_eq!(xpath(&xml, "count(//testcase)"), "3");
    assert_eq!(xpath(&xml, "string(//testsuite/@failures)"), "1");
    assert_eq!(xpath(&xml, "string(//testsuite/@skipped)"), "1");
    for e in endpoints {
        let addr = format!("{}:{}", e["ip"].as_str().unwrap(), e["port"]);
        let case = format!("//testcase[starts-with(@name, '{addr}')]");
        assert_eq!(xpath(&xml, &format!("count({case})")), "1", "{addr}");
        let failures = xpath(&xml, &format!("count({case}/failure)"));
        let skipped = xpath(&xml, &format!("count({case}/skipped)"));
        match e["verdict"].as_str().unwrap() {
            "pass" => assert_eq!((failures.as_str(), skipped.as_str()), ("0", "0"), "{addr}"),
            "fail" => {
                assert_eq!((failures.as_str(), skipped.as_str()), ("1", "0"), "{addr}");
                // The failure carries every failing finding, by id and message.
                let text = xpath(&xml, &format!("string({case}/failure)"));
                for f in e["findings"].as_array().unwrap() {
                    if f["severity"] == "fail" {
                        let line = format!(
                            "FAIL {}: {}",
                            f["id"].as_str().unwrap(),
                            f["message"].as_str().unwrap()
                        );
                        assert!(text.contains(&line), "{line:?} not in {text:?}");
                    }
                }
            }
            "not_assessed" => {
                assert_eq!((failures.as_str(), skipped.as_str()), ("0", "1"), "{addr}");
                let reason = xpath(&xml, &format!("string({case}/skipped/@message)"));
                assert!(reason.starts_with("not assessed: closed"), "{reason:?}");
            }
            v => panic!("verdict {v}"),
        }
    }
    // Named by address (and service: the lab's port has no well-known one, so the class says
    // the port; the unit tests in src/report/junit.rs cover named services).
    assert_eq!(
        xpath(&xml, &format!("count(//testcase[@name='{good}'])")),
        "1"
    );
    assert_eq!(
        xpath(
            &xml,
            &format!("string(//testcase[@name='{good}']/@classname)")
        ),
        format!("fipsprobe.port-{}", lab.port)
    );
}

#[test]
fn junit_of_hostile_text_validates_and_reads_back_as_the_text() {
    let report = hostile_report();
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("hostile.xml");
    std::fs::write(&xml, junit::to_junit(&report)).unwrap();
    validate_junit(&xml).unwrap();
    // What a parser reads back is the server's text, markup and all, with the characters XML
    // cannot carry shown as escapes.
    let failure = xpath(&xml, "string(//testcase[2]/failure)");
    assert!(
        failure.contains(
            "<script>alert('x')</script> & \"quotes\" \\x1B[2J\\x00\\x07 cr\r lf\n tab\t"
        ),
        "{failure:?}"
    );
    assert!(failure.contains("]]> \\u{FFFE} end"), "{failure:?}");
    let reason = xpath(&xml, "string(//testcase[3]/skipped/@message)");
    assert!(
        reason.starts_with("not assessed: not_tls: answered with <script>"),
        "{reason:?}"
    );
    // An attribute keeps its CR, LF and tab (they are character references).
    assert!(
        reason.contains(" cr\r lf\n tab\t del\u{7f} c1\u{85} "),
        "{reason:?}"
    );
    let name = xpath(&xml, "string(//testcase[3]/@name)");
    assert_eq!(name, "10.0.0.7:8443 evil\"svc\\\nname\\x1B");
    assert_eq!(xpath(&xml, "count(//script)"), "0");
    assert_eq!(xpath(&xml, "count(//comment())"), "0");
}

#[test]
fn the_schema_check_catches_a_broken_document() {
    // The validator this file relies on says no when it should.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"x\" tests=\"1\"><testcase name=\"a\"/></testsuite></testsuites>\n",
    )
    .unwrap();
    assert!(
        validate_junit(&bad).is_err(),
        "failures/errors are required"
    );
    std::fs::write(&bad, "<testsuites>\u{1b}</testsuites>").unwrap();
    assert!(validate_junit(&bad).is_err(), "ESC is not XML");
}

// ---------------------------------------------------------------------------------------------
// Prometheus

#[test]
fn prometheus_passes_promtool_and_agrees_with_the_report() {
    let mut lab = Lab::new(2);
    let good = lab.start(1, &demo::kube_apiserver_fips());
    let bad = lab.start(2, &demo::etcd_non_fips());
    let dir = tempfile::tempdir().unwrap();
    let (prom, json_path) = (dir.path().join("fipsprobe.prom"), dir.path().join("r.json"));
    let o = run(&scan_args(&[
        &good,
        &bad,
        "--format",
        "prometheus",
        "--prometheus",
        s(&prom),
        "-o",
        s(&json_path),
    ]));
    assert_code(&o, 1);
    let text = stdout(&o);
    assert_eq!(text, std::fs::read_to_string(&prom).unwrap());
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let samples = parse_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let by_verdict = |verdict: &str| -> f64 {
        samples
            .iter()
            .filter(|(series, _)| {
                series.name == "fipsprobe_endpoints"
                    && series
                        .labels
                        .iter()
                        .any(|(k, v)| k == "verdict" && v == verdict)
            })
            .map(|(_, v)| v)
            .sum()
    };
    for verdict in ["pass", "fail", "not_assessed"] {
        assert_eq!(
            by_verdict(verdict),
            report["summary"][verdict].as_f64().unwrap(),
            "{verdict}"
        );
    }
    // The demo servers run on the lab's own port, not a well-known one.
    let service = format!("{}/tcp", lab.port);
    assert_eq!(
        series(
            &samples,
            "fipsprobe_endpoints",
            &[("service", &service), ("verdict", "fail")]
        ),
        Some(1.0)
    );
    // Findings by id and severity sum to the report's findings.
    let findings: usize = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["findings"].as_array().unwrap().len())
        .sum();
    let counted: f64 = samples
        .iter()
        .filter(|(series, _)| series.name == "fipsprobe_findings")
        .map(|(_, v)| v)
        .sum();
    assert_eq!(counted, findings as f64);
    assert!(series(
        &samples,
        "fipsprobe_findings",
        &[
            ("id", "suite_not_approved"),
            ("severity", "fail"),
            ("waived", "false")
        ]
    )
    .is_some_and(|n| n >= 1.0));
    assert_eq!(series(&samples, "fipsprobe_scan_complete", &[]), Some(1.0));
    let duration = series(&samples, "fipsprobe_scan_duration_seconds", &[]).unwrap();
    assert!(duration > 0.0 && duration < 120.0, "{duration}");
    let finished = series(&samples, "fipsprobe_last_scan_timestamp_seconds", &[]).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - finished).abs() < 300.0, "{finished} vs now {now}");
}

#[test]
fn prometheus_of_hostile_text_passes_and_reads_back_as_the_text() {
    let text = prometheus::to_prometheus(&hostile_report());
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let samples = parse_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    // `"`, `\` and the newline survive; the ESC the format would carry raw is replaced.
    assert_eq!(
        series(
            &samples,
            "fipsprobe_endpoints",
            &[
                ("service", "evil\"svc\\\nname\u{FFFD}"),
                ("verdict", "not_assessed")
            ]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(series(&samples, "fipsprobe_scan_complete", &[]), Some(0.0));
}

#[test]
fn the_exposition_checks_catch_broken_text() {
    for bad in [
        "# HELP a x\n# TYPE a gauge\na{l=\"v\"c\"} 1\n",
        "# HELP a x\n# TYPE a gauge\na{l=\"v\\q\"} 1\n",
    ] {
        assert!(promtool_check(bad).is_err(), "promtool took {bad:?}");
        assert!(parse_exposition(bad).is_err(), "parser took {bad:?}");
    }
    // What promtool lets through and the parser does not: a repeated series, a sample before
    // its TYPE.
    for bad in [
        "# HELP a x\n# TYPE a gauge\na 1\na 2\n",
        "a 1\n# HELP a x\n# TYPE a gauge\n",
    ] {
        assert!(parse_exposition(bad).is_err(), "parser took {bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Signed reports

/// `fipsprobe keygen --out DIR/NAME.pem`; returns (private, public).
fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.pem"));
    let o = run(&["keygen", "--out", s(&key)]);
    assert_code(&o, 0);
    (key, dir.join(format!("{name}.pub.pem")))
}

fn verify(report: &Path, key: &Path) -> Output {
    run(&["verify", s(report), "--key", s(key)])
}

#[test]
fn keygen_writes_a_p256_pair_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("sign.pem");
    let o = run(&["keygen", "--out", s(&key)]);
    assert_code(&o, 0);
    let public = dir.path().join("sign.pub.pem");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the private key is for its owner only");
    }
    // OpenSSL reads both as P-256, and the key id printed is SHA-256 of the SPKI DER.
    let text = openssl(&["pkey", "-in", s(&key), "-noout", "-text"]);
    assert!(
        stdout(&text).contains("NIST CURVE: P-256") || stdout(&text).contains("prime256v1"),
        "{}",
        stdout(&text)
    );
    let der = openssl(&["pkey", "-pubin", "-in", s(&public), "-outform", "DER"]);
    assert!(der.status.success());
    let id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der.stdout);
    let hex: String = id.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert!(stdout(&o).contains(&hex), "{}", stdout(&o));
    // The public key OpenSSL derives from the private one is the one written.
    let derived = openssl(&["pkey", "-in", s(&key), "-pubout", "-outform", "DER"]);
    assert_eq!(derived.stdout, der.stdout);

    let before = std::fs::read(&key).unwrap();
    let o = run(&["keygen", "--out", s(&key)]);
    assert_one_line(&o, 2, "refusing to overwrite");
    assert_eq!(std::fs::read(&key).unwrap(), before);
    std::fs::remove_file(&key).unwrap();
    // The public half alone is enough to refuse.
    let o = run(&["keygen", "--out", s(&key)]);
    assert_one_line(&o, 2, "sign.pub.pem exists");
    assert!(!key.exists());
}

#[test]
fn a_signed_report_verifies_and_a_one_byte_change_does_not() {
    let mut lab = Lab::new(3);
    let good = lab.start(1, &demo::kube_apiserver_fips());
    let bad = lab.start(2, &demo::etcd_non_fips());
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path(), "k");
    let report = dir.path().join("report.json");
    let sig = dir.path().join("report.json.sig");
    let o = run(&scan_args(&[
        &good,
        &bad,
        "-q",
        "-o",
        s(&report),
        "--sign",
        s(&key),
    ]));
    assert_code(&o, 1);
    let envelope: Value = serde_json::from_str(&std::fs::read_to_string(&sig).unwrap()).unwrap();
    assert_eq!(
        envelope["payloadType"],
        "application/vnd.fipsprobe.report+json"
    );
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        payload,
        std::fs::read(&report).unwrap(),
        "the exact bytes of the report"
    );

    let o = verify(&report, &public);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("signature verified"), "{}", stdout(&o));

    // The red-team edit: one verdict from fail to pass. A single byte changes too.
    let original = std::fs::read(&report).unwrap();
    let text = String::from_utf8(original.clone()).unwrap();
    std::fs::write(
        &report,
        text.replacen("\"verdict\": \"fail\"", "\"verdict\": \"pass\"", 1),
    )
    .unwrap();
    assert_one_line(&verify(&report, &public), 1, "payload differs from file");
    let mut one = original.clone();
    let last = one.len() - 2;
    one[last] ^= 0x01;
    std::fs::write(&report, &one).unwrap();
    assert_one_line(&verify(&report, &public), 1, "payload differs from file");
    std::fs::write(&report, &original).unwrap();
    assert_code(&verify(&report, &public), 0);

    // Editing the envelope's payload to match cannot be re-signed.
    let mut forged = envelope.clone();
    forged["payload"] = base64::engine::general_purpose::STANDARD
        .encode(&one)
        .into();
    std::fs::write(&sig, forged.to_string()).unwrap();
    std::fs::write(&report, &one).unwrap();
    assert_one_line(&verify(&report, &public), 1, "bad signature");
    std::fs::write(&report, &original).unwrap();
    std::fs::write(&sig, envelope.to_string()).unwrap();

    // Another key: the envelope names a key id that is not the given key's.
    let (_, other) = keygen(dir.path(), "other");
    assert_one_line(&verify(&report, &other), 1, "wrong key id");

    // Bad input: exit 2.
    let private_as_public = verify(&report, &key);
    assert_one_line(&private_as_public, 2, "expected an ECDSA P-256 public key");
    std::fs::write(dir.path().join("junk.pem"), "not a key").unwrap();
    assert_one_line(
        &verify(&report, &dir.path().join("junk.pem")),
        2,
        "junk.pem",
    );
    assert_one_line(
        &verify(&dir.path().join("none.json"), &public),
        2,
        "none.json",
    );
    std::fs::write(&sig, "{\"payload\": 1}").unwrap();
    assert_one_line(&verify(&report, &public), 2, "not a DSSE envelope");
    std::fs::remove_file(&sig).unwrap();
    assert_one_line(&verify(&report, &public), 2, "report.json.sig");
}

#[test]
fn signatures_interoperate_with_openssl() {
    let mut lab = Lab::new(4);
    let good = lab.start(1, &demo::kube_apiserver_fips());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // OpenSSL checks what fipsprobe signed: ECDSA P-256 SHA-256, DER, over DSSE's PAE.
    let (key, public) = keygen(d, "ours");
    let report = d.join("r.json");
    assert_code(
        &run(&scan_args(&[
            &good,
            "-q",
            "-o",
            s(&report),
            "--sign",
            s(&key),
        ])),
        0,
    );
    let envelope: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json.sig")).unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let payload_type = envelope["payloadType"].as_str().unwrap();
    let mut pae = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    pae.extend_from_slice(&payload);
    std::fs::write(d.join("pae.bin"), &pae).unwrap();
    std::fs::write(
        d.join("sig.der"),
        b64.decode(envelope["signatures"][0]["sig"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let o = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        s(&public),
        "-signature",
        s(&d.join("sig.der")),
        s(&d.join("pae.bin")),
    ]);
    assert!(
        stdout(&o).contains("Verified OK"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );

    // fipsprobe signs with a key OpenSSL made, and verifies with OpenSSL's public key.
    let theirs = d.join("theirs.pem");
    let o = openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        s(&theirs),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let theirs_pub = d.join("theirs-pub.pem");
    assert!(
        openssl(&["pkey", "-in", s(&theirs), "-pubout", "-out", s(&theirs_pub)])
            .status
            .success()
    );
    let r2 = d.join("r2.json");
    assert_code(
        &run(&scan_args(&[
            &good,
            "-q",
            "-o",
            s(&r2),
            "--sign",
            s(&theirs),
        ])),
        0,
    );
    assert_code(&verify(&r2, &theirs_pub), 0);

    // An envelope OpenSSL signed verifies with fipsprobe.
    let o = openssl(&[
        "dgst",
        "-sha256",
        "-sign",
        s(&theirs),
        "-out",
        s(&d.join("sig2.der")),
        s(&d.join("pae.bin")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sig2 = b64.encode(std::fs::read(d.join("sig2.der")).unwrap());
    let env2 = serde_json::json!({
        "payloadType": payload_type,
        "payload": b64.encode(&payload),
        "signatures": [{"keyid": "", "sig": sig2}],
    });
    std::fs::write(d.join("r.json.openssl.sig"), env2.to_string()).unwrap();
    let o = run(&[
        "verify",
        s(&report),
        "--key",
        s(&theirs_pub),
        "--signature",
        s(&d.join("r.json.openssl.sig")),
    ]);
    assert_code(&o, 0);

    // SEC 1 keys (`openssl ecparam -genkey`) sign too; P-384 is refused before any scan.
    let sec1 = d.join("sec1.pem");
    assert!(openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-out",
        s(&sec1)
    ])
    .status
    .success());
    let r3 = d.join("r3.json");
    assert_code(
        &run(&scan_args(&[&good, "-q", "-o", s(&r3), "--sign", s(&sec1)])),
        0,
    );
    let p384 = d.join("p384.pem");
    assert!(openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
        "-out",
        s(&p384)
    ])
    .status
    .success());
    let o = run(&scan_args(&[
        &good,
        "-q",
        "-o",
        s(&d.join("r4.json")),
        "--sign",
        s(&p384),
    ]));
    assert_one_line(&o, 2, "not an ECDSA P-256 private key");
    assert!(!d.join("r4.json").exists());
}

#[test]
fn a_bad_signing_key_stops_the_scan_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    // A listener that would see any connection: none may come.
    let listener = TcpListener::bind(SocketAddr::new(ip(5, 1), 0)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let (key, public) = keygen(dir.path(), "k");
    let out = dir.path().join("r.json");
    let (missing, no_dir) = (
        dir.path().join("missing.pem"),
        dir.path().join("no/dir/x.xml"),
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-o", s(&out), "--sign", s(&missing)], "missing.pem"),
        (
            vec!["-o", s(&out), "--sign", s(&public)],
            "holds PUBLIC KEY",
        ),
        (vec!["--sign", s(&key)], "--sign needs a report file"),
        (vec!["-o", s(&out), "--junit", s(&no_dir)], "no/dir"),
        (
            vec!["-o", s(&out), "--prometheus", s(dir.path())],
            "directory",
        ),
    ];
    for (extra, mentions) in cases {
        let mut args = scan_args(&[&target]);
        args.extend(extra);
        assert_one_line(&run(&args), 2, mentions);
    }
    let o = run(&["demo", "-q", "--sign", s(&public), "-o", s(&out)]);
    assert_one_line(&o, 2, "holds PUBLIC KEY");
    let o = run(&["merge", s(&out), "--sign", s(&key)]);
    assert_one_line(&o, 2, "--sign needs a report file");
    assert!(
        listener.accept().is_err(),
        "a usage error sent something to the target"
    );
    assert!(!out.exists());
}

#[test]
fn merge_and_diff_with_verify_key_refuse_unsigned_or_tampered_input() {
    let mut lab = Lab::new(6);
    let a = lab.start(1, &demo::kube_apiserver_fips());
    let b = lab.start(2, &demo::etcd_non_fips());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (key, public) = keygen(d, "k");
    let (ra, rb) = (d.join("a.json"), d.join("b.json"));
    assert_code(
        &run(&scan_args(&[&a, "-q", "-o", s(&ra), "--sign", s(&key)])),
        0,
    );
    assert_code(
        &run(&scan_args(&[&b, "-q", "-o", s(&rb), "--sign", s(&key)])),
        1,
    );

    // Signed inputs merge, and the merged report is signed in turn.
    let merged = d.join("merged.json");
    let o = run(&[
        "merge",
        s(&ra),
        s(&rb),
        "--verify-key",
        s(&public),
        "-o",
        s(&merged),
        "--sign",
        s(&key),
    ]);
    assert_code(&o, 0);
    assert_code(&verify(&merged, &public), 0);
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    assert_eq!(m["summary"]["endpoints"], 2);
    assert_code(
        &run(&[
            "diff",
            s(&ra),
            s(&merged),
            "--verify-key",
            s(&public),
            "--format",
            "json",
        ]),
        1,
    );

    // An unsigned input.
    let unsigned = d.join("unsigned.json");
    std::fs::copy(&rb, &unsigned).unwrap();
    let o = run(&[
        "merge",
        s(&ra),
        s(&unsigned),
        "--verify-key",
        s(&public),
        "-o",
        s(&d.join("x.json")),
    ]);
    assert_one_line(&o, 2, "unsigned.json.sig");
    assert!(!d.join("x.json").exists());
    // Without --verify-key the same inputs merge: the check is asked for, not implied.
    assert_code(
        &run(&["merge", s(&ra), s(&unsigned), "-o", s(&d.join("x.json"))]),
        0,
    );

    // The red-team edit: b's failing verdict turned into a pass.
    let text = std::fs::read_to_string(&rb).unwrap();
    std::fs::write(
        &rb,
        text.replace("\"verdict\": \"fail\"", "\"verdict\": \"pass\""),
    )
    .unwrap();
    let o = run(&[
        "merge",
        s(&ra),
        s(&rb),
        "--verify-key",
        s(&public),
        "-o",
        s(&d.join("y.json")),
    ]);
    assert_one_line(
        &o,
        2,
        "b.json: signature does not verify: payload differs from file",
    );
    assert!(!d.join("y.json").exists());
    let o = run(&["diff", s(&rb), s(&ra), "--verify-key", s(&public)]);
    assert_one_line(&o, 2, "payload differs from file");
    // Another key's signature is refused too.
    let (_, other) = keygen(d, "other");
    let o = run(&["diff", s(&ra), s(&merged), "--verify-key", s(&other)]);
    assert_one_line(&o, 2, "wrong key id");
}

// ---------------------------------------------------------------------------------------------
// The cron example with the real binary

#[test]
fn nightly_cron_script_signs_reports_and_refuses_an_edited_baseline() {
    let mut lab = Lab::new(7);
    let good = lab.start(1, &demo::kube_apiserver_fips());
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::write(state.join("targets.txt"), format!("{good}\n")).unwrap();
    let (_, public) = keygen(&state, "signing-key");
    let log = dir.path().join("log");
    let logger = dir.path().join("logger");
    std::fs::write(
        &logger,
        format!("#!/bin/sh\necho \"$*\" >>'{}'\n", log.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&logger, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cron/fipsprobe-nightly.sh");
    let bin = assert_cmd::cargo::cargo_bin("fipsprobe");
    let textfile = dir.path().join("fipsprobe.prom");
    let night = |stamp: &str| -> i32 {
        Command::new("sh")
            .arg(&script)
            .env("FIPSPROBE", &bin)
            .env("FIPSPROBE_STATE", &state)
            .env(
                "FIPSPROBE_ARGS",
                "--connect-timeout 1s --handshake-timeout 2s --timeout 20s",
            )
            .env("FIPSPROBE_MAILTO", "")
            .env("FIPSPROBE_LOGGER", &logger)
            .env("FIPSPROBE_TEXTFILE", &textfile)
            .env("FIPSPROBE_STAMP", stamp)
            .status()
            .unwrap()
            .code()
            .unwrap()
    };
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();

    assert_eq!(night("night1"), 0, "{}", log_text());
    let first = state.join("reports/night1.json");
    assert_code(&verify(&first, &public), 0);
    promtool_check(&std::fs::read_to_string(&textfile).unwrap()).unwrap();

    assert_eq!(night("night2"), 0, "{}", log_text());
    assert!(log_text().contains("no regression"), "{}", log_text());
    assert_code(&verify(&state.join("reports/night2.json"), &public), 0);

    // Someone edits the baseline: tonight's comparison refuses it and says so.
    let baseline = state.join("reports/night2.json");
    let text = std::fs::read_to_string(&baseline).unwrap();
    std::fs::write(&baseline, text.replacen("\"pass\"", "\"fail\"", 1)).unwrap();
    assert_eq!(night("night3"), 2, "{}", log_text());
    let log = log_text();
    assert!(log.contains("diff failed"), "{log}");
    assert!(
        log.contains("night2.json: signature does not verify: payload differs from file"),
        "{log}"
    );
}

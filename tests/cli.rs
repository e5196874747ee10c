//! The `fipsprobe` binary end to end: exit codes exactly as SPEC defines them, every output
//! format, report files, target lists, sharding + merge, signals, and what goes to stderr.
//!
//! Each test starts its own in-process rustls servers (`fipsprobe::demo`) on a tokio runtime it
//! owns, on a loopback /24 of its own (`127.61.N.0/24`), and runs the real binary against them.
//! Every JSON report the binary writes is validated against `schema/report-v1.schema.json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

use fipsprobe::demo::{self, RunningServer, ServerSpec};
use fipsprobe::report::schema_text;

// ---------------------------------------------------------------------------------------------
// Harness

/// Servers for one test: a runtime of its own and the servers running on it.
struct Lab {
    rt: tokio::runtime::Runtime,
    servers: Vec<RunningServer>,
    /// The test's own /24: `127.61.<net>.0/24`.
    net: u8,
    /// The port every server of this lab listens on.
    port: u16,
    /// The port held on every host a server may start on, until it does: nothing else (an
    /// outgoing connection's source port, another listener) can take it meanwhile.
    reserved: Vec<Option<tokio::net::TcpSocket>>,
}

/// Hosts `.1` to `.LAB_HOSTS` of a lab can run a server.
const LAB_HOSTS: u8 = 16;

impl Lab {
    /// A lab on `127.61.<net>.0/24`; `net` is unique per test so tests can run in parallel.
    fn new(net: u8) -> Lab {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        // One free port for the whole lab: every host of the /24 serves on it. It is held on
        // every host from now on by a socket bound but not listening (connections to a host
        // without a server are still refused), because a port free on .1 need not stay free
        // on .5: try ports until one is free on all of them.
        let _guard = rt.enter();
        let bind = |addr: SocketAddr| {
            let socket = tokio::net::TcpSocket::new_v4().ok()?;
            socket.bind(addr).ok()?;
            Some(socket)
        };
        let (port, reserved) = (0..50)
            .find_map(|_| {
                let first = bind(SocketAddr::new(ip(net, 1), 0))?;
                let port = first.local_addr().ok()?.port();
                let mut held = vec![Some(first)];
                for host in 2..=LAB_HOSTS {
                    held.push(Some(bind(SocketAddr::new(ip(net, host), port))?));
                }
                Some((port, held))
            })
            .expect("a port free on every host of the lab");
        drop(_guard);
        Lab {
            rt,
            servers: Vec::new(),
            net,
            port,
            reserved,
        }
    }

    /// Starts `spec` on host `.host` of the lab's /24; returns `ip:port`.
    fn start(&mut self, host: u8, spec: &ServerSpec) -> String {
        let addr = SocketAddr::new(ip(self.net, host), self.port);
        // Release the reservation right before the server binds the same address.
        if let Some(slot) = self.reserved.get_mut(usize::from(host.saturating_sub(1))) {
            drop(slot.take());
        }
        let server = self.rt.block_on(demo::spawn(spec, addr)).unwrap();
        self.servers.push(server);
        addr.to_string()
    }

    /// A plain listener (accepts, never answers) on host `.host` at the lab's port.
    fn listen(&mut self, host: u8) -> TcpListener {
        if let Some(slot) = self.reserved.get_mut(usize::from(host.saturating_sub(1))) {
            drop(slot.take());
        }
        TcpListener::bind(SocketAddr::new(ip(self.net, host), self.port)).unwrap()
    }

    /// Stops the server on host `.host`.
    fn stop(&mut self, host: u8) {
        let want = ip(self.net, host);
        let i = self
            .servers
            .iter()
            .position(|s| s.addr.ip() == want)
            .unwrap();
        let s = self.servers.remove(i);
        self.rt.block_on(s.shutdown());
    }

    /// `127.61.<net>.<host>` with the lab's port.
    fn addr(&self, host: u8) -> String {
        SocketAddr::new(ip(self.net, host), self.port).to_string()
    }

    /// `127.61.<net>.<first>-<last>`.
    fn range(&self, first: u8, last: u8) -> String {
        format!("127.61.{}.{first}-{last}", self.net)
    }
}

fn ip(net: u8, host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 61, net, host))
}

/// The binary, with a short timeout budget so a broken test fails fast instead of hanging.
fn fipsprobe() -> Command {
    let mut c = Command::cargo_bin("fipsprobe").unwrap();
    c.env_remove("NO_COLOR").env_remove("COLUMNS");
    c
}

fn run(args: &[&str]) -> Output {
    fipsprobe().args(args).output().unwrap()
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = fipsprobe()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A scan with timeouts short enough for tests.
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

/// Validates `instance` against the published schema; `Err` lists every violation.
fn validate_report(instance: &Value) -> Result<(), Vec<String>> {
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

/// Parses a JSON report and checks it against the schema.
#[track_caller]
fn report(text: &str) -> Value {
    let v: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", &text[..text.len().min(500)]));
    if let Err(errors) = validate_report(&v) {
        panic!("report does not match the schema:\n{}", errors.join("\n"));
    }
    v
}

#[track_caller]
fn report_file(path: &Path) -> Value {
    report(&std::fs::read_to_string(path).unwrap())
}

/// `ip:port` of every endpoint in a report, sorted.
fn endpoints(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["ip"].as_str().unwrap(),
                e["port"].as_u64().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

fn endpoint<'a>(r: &'a Value, addr: &str) -> &'a Value {
    r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| format!("{}:{}", e["ip"].as_str().unwrap(), e["port"]) == addr)
        .unwrap_or_else(|| panic!("{addr} not in report"))
}

/// A usage error: exit 2, one line on stderr naming the problem, nothing on stdout.
#[track_caller]
fn assert_usage_error(o: &Output, mentions: &str) {
    assert_code(o, 2);
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("fipsprobe: "), "{err:?}");
    assert!(
        err.to_lowercase().contains(&mentions.to_lowercase()),
        "{err:?} should mention {mentions:?}"
    );
}

/// A port on `ip` where nothing listens.
fn closed_port(ip: IpAddr) -> u16 {
    let l = TcpListener::bind(SocketAddr::new(ip, 0)).unwrap();
    l.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn passing_server_exits_0_and_failing_server_exits_1() {
    let mut lab = Lab::new(1);
    let good = lab.start(1, &demo::kube_apiserver_fips());
    let bad = lab.start(2, &demo::etcd_non_fips());

    let o = run(&scan_args(&[&good, "--format", "json"]));
    assert_code(&o, 0);
    assert!(o.stderr.is_empty(), "stderr not a terminal: {}", stderr(&o));
    let r = report(&stdout(&o));
    assert_eq!(r["complete"], true);
    assert_eq!(r["summary"]["pass"], 1);
    let e = endpoint(&r, &good);
    assert_eq!(e["verdict"], "pass");
    assert_eq!(e["status"], "tls");
    assert_eq!(r["args"][0], "fipsprobe");

    let o = run(&scan_args(&[&bad, "--format", "json"]));
    assert_code(&o, 1);
    let r = report(&stdout(&o));
    assert_eq!(endpoint(&r, &bad)["verdict"], "fail");

    // One failing endpoint among passing ones fails the scan.
    let o = run(&scan_args(&[&good, &bad, "--format", "json"]));
    assert_code(&o, 1);
    let r = report(&stdout(&o));
    assert_eq!(endpoints(&r).len(), 2);
    assert_eq!(r["summary"]["fail"], 1);
    assert_eq!(r["summary"]["pass"], 1);
}

#[test]
fn bad_input_exits_2_with_one_line_and_scans_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A listener that counts connections: a usage error must not send anything.
    let listener = TcpListener::bind("127.61.2.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap().to_string();

    let bad_policy = dir.path().join("policy.toml");
    std::fs::write(&bad_policy, "this is = = not toml [").unwrap();
    let bad_policy = bad_policy.to_str().unwrap();
    let missing = dir.path().join("missing.txt");
    let missing = missing.to_str().unwrap();
    let no_dir = dir.path().join("no/such/dir/out.json");
    let no_dir = no_dir.to_str().unwrap();
    let dir_s = dir.path().to_str().unwrap();

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["scan", "10.0.0.300"], "10.0.0.300"),
        (vec!["scan", &target, "not_a_target!"], "not_a_target!"),
        (vec!["scan", "--policy", "fips-9000", &target], "fips-9000"),
        (vec!["scan", "--policy", bad_policy, &target], "policy"),
        (vec!["scan", "-iL", missing], "missing.txt"),
        (vec!["scan", "--shard", "3/2", &target], "shard"),
        (vec!["scan", "--shard", "x", &target], "shard"),
        (vec!["scan", "-p", "70000", &target], "70000"),
        (vec!["scan", "-p", "0", "127.61.2.1"], "port"),
        (vec!["scan", "127.61.2.1:99999"], "99999"),
        (
            vec!["scan", "--exclude", "10.0.0.0/33", &target],
            "10.0.0.0/33",
        ),
        (vec!["scan", "--concurrency", "0", &target], "concurrency"),
        (
            vec!["scan", "--connect-concurrency", "0", &target],
            "--connect-concurrency",
        ),
        (vec!["scan", "--rate", "-1", &target], "--rate"),
        (vec!["scan", "--waivers", missing, &target], "missing.txt"),
        (vec!["merge"], "<REPORTS>"),
        (vec!["scan", "--timeout", "fast", &target], "fast"),
        (vec!["scan", "--frobnicate", &target], "frobnicate"),
        (vec!["scan"], "target"),
        (vec!["scan", "-o", no_dir, &target], "no/such/dir"),
        (vec!["scan", "-o", dir_s, &target], "directory"),
        (vec!["scan", "--protocols", "TLSv9", &target], "TLSv9"),
        (vec!["diff", bad_policy, bad_policy], "policy.toml"),
        (vec!["scan", "--baseline", missing, &target], "missing.txt"),
        (vec!["nonsense"], "nonsense"),
        (vec!["policy", "show", "fips-9000"], "fips-9000"),
        (vec!["diff", missing, missing], "missing.txt"),
        (vec!["merge", missing], "missing.txt"),
    ];
    for (args, mentions) in cases {
        let o = run(&args);
        assert_usage_error(&o, mentions);
    }
    // Nothing connected to the listener.
    assert!(
        listener.accept().is_err(),
        "a usage error sent something to the target"
    );
}

#[test]
fn unassessed_explicit_endpoints_exit_3() {
    let lab = Lab::new(3);
    let lo = ip(lab.net, 1);
    // A closed port, named explicitly.
    let closed = SocketAddr::new(lo, closed_port(lo)).to_string();
    let o = run(&scan_args(&[&closed, "--format", "json"]));
    assert_code(&o, 3);
    let r = report(&stdout(&o));
    assert_eq!(endpoint(&r, &closed)["status"], "closed");
    assert_eq!(endpoint(&r, &closed)["verdict"], "not_assessed");

    // A server that accepts and never answers.
    let silent = TcpListener::bind(SocketAddr::new(lo, 0)).unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let o = run(&[
        "scan",
        &silent_addr,
        "--format",
        "json",
        "--handshake-timeout",
        "300ms",
        "--timeout",
        "3s",
        "--retries",
        "0",
    ]);
    assert_code(&o, 3);
    let r = report(&stdout(&o));
    assert_eq!(r["complete"], false);
    assert_ne!(endpoint(&r, &silent_addr)["status"], "tls");
    drop(silent);
}

#[test]
fn closed_addresses_inside_a_range_are_normal() {
    let mut lab = Lab::new(4);
    let good = lab.start(3, &demo::kube_apiserver_fips());
    let port = lab.port.to_string();
    // .1-.8: one TLS server, seven closed addresses.
    let o = run(&scan_args(&[
        &lab.range(1, 8),
        "-p",
        &port,
        "--format",
        "json",
    ]));
    assert_code(&o, 0);
    let r = report(&stdout(&o));
    assert_eq!(endpoints(&r), vec![good]);
    assert_eq!(r["complete"], true);

    // A range where nothing answers TLS at all: incomplete.
    let o = run(&scan_args(&[
        &lab.range(10, 13),
        "-p",
        &port,
        "--format",
        "json",
    ]));
    assert_code(&o, 3);
    let r = report(&stdout(&o));
    assert!(endpoints(&r).is_empty());
}

#[test]
fn baseline_and_diff_report_regressions() {
    let mut lab = Lab::new(5);
    let addr = lab.start(1, &demo::kube_apiserver_fips());
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let old_s = old.to_str().unwrap();
    let o = run(&scan_args(&[&addr, "-q", "-o", old_s]));
    assert_code(&o, 0);
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    report_file(&old);

    // Same server again: no regression.
    let o = run(&scan_args(&[
        &addr,
        "--format",
        "json",
        "--baseline",
        old_s,
    ]));
    assert_code(&o, 0);
    report(&stdout(&o));

    // The endpoint now accepts ChaCha20 and x25519: a regression.
    lab.stop(1);
    let mut worse = demo::kube_apiserver_fips();
    worse
        .suites
        .push(demo::suite::ECDHE_RSA_CHACHA20_POLY1305_SHA256);
    lab.start(1, &worse);
    let new = dir.path().join("new.json");
    let new_s = new.to_str().unwrap();
    let o = run(&scan_args(&[
        &addr,
        "--format",
        "json",
        "--baseline",
        old_s,
        "-o",
        new_s,
    ]));
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("CHACHA20"),
        "baseline comparison on stderr: {}",
        stderr(&o)
    );
    report(&stdout(&o));
    report_file(&new);

    let o = run(&["diff", old_s, new_s, "--format", "json"]);
    assert_code(&o, 1);
    let d: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(d
        .to_string()
        .contains("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"));
    let o = run(&["diff", old_s, old_s, "--format", "table"]);
    assert_code(&o, 0);
    // Going back to the old state is an improvement, not a regression.
    let o = run(&["diff", new_s, old_s]);
    assert_code(&o, 0);

    // Reports made under different policies do not merge: one line, exit 2.
    let other = dir.path().join("other.json");
    let o = run(&scan_args(&[
        &addr,
        "-q",
        "--policy",
        "fips-140-2",
        "-o",
        other.to_str().unwrap(),
    ]));
    assert_code(&o, 1);
    report_file(&other);
    let o = run(&["merge", new_s, other.to_str().unwrap()]);
    assert_usage_error(&o, "polic");
}

#[test]
fn suites_only_skips_the_group_and_behaviour_probes() {
    let mut lab = Lab::new(40);
    let good = lab.start(1, &demo::kube_apiserver_fips());
    let full = report(&stdout(&run(&scan_args(&[&good, "--format", "json"]))));
    let o = run(&scan_args(&[&good, "--format", "json", "--suites-only"]));
    // The checks the skipped probes feed are not made: not a pass (exit 3), and said so.
    assert_code(&o, 3);
    let quick = report(&stdout(&o));
    let (full, quick) = (endpoint(&full, &good), endpoint(&quick, &good));
    assert_eq!(full["verdict"], "pass");
    assert_eq!(quick["verdict"], "not_assessed");
    // The same suites, fewer handshakes, and none of the facts only the extra probes find.
    assert_eq!(full["protocols"], quick["protocols"]);
    assert!(quick["handshakes"].as_u64() < full["handshakes"].as_u64());
    assert!(full["extensions"].get("ems_required").is_some());
    assert!(full["extensions"].get("compression").is_some());
    for fact in [
        "ems_required",
        "groups",
        "compression",
        "ocsp_stapling",
        "session_ticket",
    ] {
        assert!(quick["extensions"].get(fact).is_none(), "{fact}: {quick:#}");
    }
    assert_eq!(quick["extensions"]["extended_master_secret"], true);
    let unchecked: Vec<&str> = quick["unchecked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["check"].as_str().unwrap())
        .collect();
    for check in [
        "ems_not_enforced",
        "compression_enabled",
        "group_not_approved",
    ] {
        assert!(unchecked.contains(&check), "{check} not in {unchecked:?}");
    }
    assert!(quick["unchecked"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["reason"] == "not probed (--suites-only)"));
    assert!(
        quick["findings"].as_array().unwrap().is_empty(),
        "{quick:#}"
    );
}

/// `--protocols` states nothing about the versions it left out: no `tls13_missing` for a
/// TLS 1.3 never probed, no pass.
#[test]
fn protocols_raise_nothing_about_versions_not_probed() {
    let mut lab = Lab::new(41);
    let good = lab.start(1, &demo::kube_apiserver_fips());
    for (only, skipped) in [("TLSv1.2", "tls13_missing"), ("TLSv1.3", "tls12_missing")] {
        let o = run(&scan_args(&[
            &good,
            "--format",
            "json",
            "--protocols",
            only,
        ]));
        assert_code(&o, 3);
        let r = report(&stdout(&o));
        let e = endpoint(&r, &good);
        assert_eq!(e["verdict"], "not_assessed", "{only}");
        let ids: Vec<&str> = e["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert!(!ids.contains(&skipped), "{only}: {ids:?}");
        assert!(
            e["unchecked"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["check"] == skipped && u["reason"] == "not probed (--protocols)"),
            "{only}: {e:#}"
        );
        assert!(
            e["refused"].as_object().is_none_or(|m| m.is_empty()),
            "{e:#}"
        );
        // The table says why, and counts it.
        let t = stdout(&run(&scan_args(&[
            &good,
            "--format",
            "table",
            "--protocols",
            only,
        ])));
        assert!(t.contains("Not assessed:"), "{t}");
        assert!(t.contains("1 not assessed"), "{t}");
    }
}

#[test]
fn demo_scans_its_own_servers() {
    let o = run(&["demo", "--format", "json"]);
    assert_code(&o, 0);
    let r = report(&stdout(&o));
    assert_eq!(r["summary"]["pass"], 1);
    assert_eq!(r["summary"]["fail"], 1);
    assert!(stderr(&o).contains("as expected"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// Output formats and files

#[test]
fn jsonl_streams_endpoints_then_summary() {
    let mut lab = Lab::new(6);
    let a = lab.start(1, &demo::kube_apiserver_fips());
    let b = lab.start(2, &demo::etcd_non_fips());
    let port = lab.port.to_string();
    let o = run(&scan_args(&[
        &lab.range(1, 4),
        "-p",
        &port,
        "--format",
        "jsonl",
    ]));
    assert_code(&o, 1);
    let out = stdout(&o);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "two endpoints and a summary: {out}");
    let mut seen: Vec<String> = lines[..2]
        .iter()
        .map(|e| format!("{}:{}", e["ip"].as_str().unwrap(), e["port"]))
        .collect();
    seen.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(seen, want);
    let last = &lines[2];
    assert_eq!(last["complete"], true);
    assert_eq!(last["summary"]["endpoints"], 2);
    assert_eq!(last["summary"]["fail"], 1);
    // Each endpoint line is an endpoint of a valid report.
    let assembled = {
        let o = run(&scan_args(&[&lab.addr(1), "--format", "json"]));
        let mut r = report(&stdout(&o));
        r["endpoints"] = Value::Array(lines[..2].to_vec());
        r["summary"] = last["summary"].clone();
        r
    };
    validate_report(&assembled).unwrap();
}

#[test]
fn csv_has_a_row_per_suite() {
    let mut lab = Lab::new(7);
    let a = lab.start(1, &demo::kube_apiserver_fips());
    let o = run(&scan_args(&[&a, "--format", "csv"]));
    assert_code(&o, 0);
    let out = stdout(&o);
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(header.contains("port"), "{header}");
    let column = header.split(',').position(|c| c == "suite").unwrap();
    let suites: Vec<&str> = lines.map(|r| r.split(',').nth(column).unwrap()).collect();
    let spec = demo::kube_apiserver_fips();
    // Two TLS 1.2 and two TLS 1.3 suites, one row each.
    assert_eq!(suites.len(), spec.suites.len(), "{out}");
    for name in [
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
    ] {
        assert_eq!(suites.iter().filter(|s| **s == name).count(), 1, "{name}");
    }
}

#[test]
fn output_file_is_written_whole_and_the_table_still_printed() {
    let mut lab = Lab::new(8);
    let a = lab.start(1, &demo::kube_apiserver_fips());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let o = run(&scan_args(&[
        &a,
        "--format",
        "table",
        "-o",
        path.to_str().unwrap(),
    ]));
    assert_code(&o, 0);
    let table = stdout(&o);
    assert!(table.contains("PASS"), "{table}");
    assert!(
        table.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "{table}"
    );
    assert!(!table.contains('\x1b'), "no colour in a pipe");
    let r = report_file(&path);
    assert_eq!(endpoints(&r), vec![a.clone()]);
    // Only the report is left in the directory: no temp files.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");

    // --json is the same as -o, and overwrites whole.
    let o = run(&scan_args(&[&a, "-q", "--json", path.to_str().unwrap()]));
    assert_code(&o, 0);
    report_file(&path);
}

#[test]
fn target_lists_from_files_and_stdin_with_exclude() {
    let mut lab = Lab::new(9);
    let a = lab.start(1, &demo::kube_apiserver_fips());
    let b = lab.start(2, &demo::kube_apiserver_fips());
    let c = lab.start(3, &demo::kube_apiserver_fips());
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("targets.txt");
    std::fs::write(
        &list,
        format!("# control plane\n{a}   # first node\n\n  {b}\n# {c} is commented out\n"),
    )
    .unwrap();
    let o = run(&scan_args(&[
        "-iL",
        list.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_code(&o, 0);
    let r = report(&stdout(&o));
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(endpoints(&r), want);

    // From stdin, combined with a target on the command line, minus an exclusion.
    let o = run_stdin(
        &scan_args(&[
            &c,
            "-iL",
            "-",
            "--exclude",
            &lab.addr(2).replace(&format!(":{}", lab.port), ""),
            "--format",
            "json",
        ]),
        &format!("{a}\n{b} # comment\n"),
    );
    assert_code(&o, 0);
    let r = report(&stdout(&o));
    let mut want = vec![a, c];
    want.sort();
    assert_eq!(endpoints(&r), want);
}

#[test]
fn shards_merged_equal_one_unsharded_run() {
    let mut lab = Lab::new(10);
    for h in [1, 2, 5, 7, 11, 12] {
        let spec = if h % 2 == 0 {
            demo::etcd_non_fips()
        } else {
            demo::kube_apiserver_fips()
        };
        lab.start(h, &spec);
    }
    let port = lab.port.to_string();
    let range = lab.range(1, 14);
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.json");
    let o = run(&scan_args(&[
        &range,
        "-p",
        &port,
        "-q",
        "-o",
        whole.to_str().unwrap(),
    ]));
    assert_code(&o, 1);
    let whole = report_file(&whole);
    assert_eq!(endpoints(&whole).len(), 6);

    let mut parts = Vec::new();
    let mut sizes = Vec::new();
    for k in 1..=3 {
        let path = dir.path().join(format!("shard{k}.json"));
        let shard = format!("{k}/3");
        let o = run(&scan_args(&[
            &range,
            "-p",
            &port,
            "--shard",
            &shard,
            "-q",
            "-o",
            path.to_str().unwrap(),
        ]));
        assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", stderr(&o));
        sizes.push(endpoints(&report_file(&path)).len());
        parts.push(path.to_str().unwrap().to_string());
    }
    assert_eq!(sizes.iter().sum::<usize>(), 6, "{sizes:?}");
    let merged = dir.path().join("merged.json");
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["-o", merged.to_str().unwrap()]);
    let o = run(&args);
    assert_code(&o, 0);
    let merged = report_file(&merged);
    assert_eq!(endpoints(&merged), endpoints(&whole));
    assert_eq!(merged["summary"], whole["summary"]);
    for e in endpoints(&whole) {
        assert_eq!(
            endpoint(&merged, &e)["protocols"],
            endpoint(&whole, &e)["protocols"]
        );
    }
    // Without -o, the merged report goes to stdout.
    let o = run(&args[..args.len() - 2]);
    assert_code(&o, 0);
    assert_eq!(endpoints(&report(&stdout(&o))), endpoints(&whole));
}

#[test]
fn sigterm_writes_an_incomplete_report_and_exits_3() {
    let lo = ip(11, 1);
    // Accepts connections and never answers: every handshake waits for its timeout.
    let silent = TcpListener::bind(SocketAddr::new(lo, 0)).unwrap();
    let target = silent.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let child = fipsprobe()
        .args([
            "scan",
            &target,
            "--handshake-timeout",
            "60s",
            "--timeout",
            "120s",
            "--format",
            "json",
            "-o",
            path.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the scan is under way (the probe has connected).
    silent.set_nonblocking(false).unwrap();
    let (_conn, _) = silent.accept().unwrap();
    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    assert_code(&out, 3);
    // Generous on purpose (not a speed claim): the handshake alone would wait 60 s.
    assert!(
        took < Duration::from_secs(40),
        "took {took:?} after SIGTERM"
    );
    let r = report_file(&path);
    assert_eq!(r["complete"], false);
    assert_eq!(report(&stdout(&out))["complete"], false);
    // The endpoint cut short is not assessed, never counted as a pass.
    for e in r["endpoints"].as_array().unwrap() {
        assert_eq!(e["verdict"], "not_assessed", "{e:#}");
    }
    assert_eq!(r["summary"]["pass"], 0);
}

#[test]
fn no_colour_and_no_progress_when_asked_or_not_a_terminal() {
    let mut lab = Lab::new(12);
    let a = lab.start(1, &demo::etcd_non_fips());
    for (env, flag) in [(Some("1"), None), (None, Some("--no-color"))] {
        let mut c = fipsprobe();
        c.args(scan_args(&[&a, "--format", "table"]));
        if let Some(f) = flag {
            c.arg(f);
        }
        if let Some(v) = env {
            c.env("NO_COLOR", v);
        }
        let o = c.output().unwrap();
        assert_code(&o, 1);
        let out = stdout(&o);
        assert!(out.contains("FAIL"), "{out}");
        assert!(!out.contains('\x1b'), "ANSI escape in {out:?}");
        assert!(o.stderr.is_empty(), "stderr: {}", stderr(&o));
    }
}

/// On a terminal (a pseudo-terminal from `script`), colours appear unless NO_COLOR is set.
#[test]
fn colour_on_a_terminal_unless_no_color() {
    if Command::new("script").arg("--version").output().is_err() {
        // Like a missing server: a failure unless the run opted out of missing tools.
        assert!(
            std::env::var("FIPSPROBE_ALLOW_MISSING_SERVERS").is_ok_and(|v| v == "1"),
            "no `script` (Debian package bsdutils) to provide a terminal"
        );
        eprintln!("\n**********\n*** SKIPPED: no `script` to provide a terminal\n**********\n");
        return;
    }
    let mut lab = Lab::new(13);
    let a = lab.start(1, &demo::etcd_non_fips());
    let bin = env!("CARGO_BIN_EXE_fipsprobe");
    let cmd = format!("{bin} scan {a} --connect-timeout 1s --handshake-timeout 2s");
    let on_tty = |no_color: bool| {
        let mut c = Command::new("script");
        c.args(["-qefc", &cmd, "/dev/null"]).env("TERM", "xterm");
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        c.output().unwrap()
    };
    let o = on_tty(false);
    assert_code(&o, 1);
    assert!(stdout(&o).contains("FAIL"));
    assert!(stdout(&o).contains('\x1b'), "a terminal gets colour");
    let o = on_tty(true);
    assert_code(&o, 1);
    // The progress bar may draw (it is on stderr, which is the same terminal here) but the
    // report itself must be plain: no SGR colour sequences.
    let out = stdout(&o);
    assert!(!out.contains("\x1b[3"), "NO_COLOR: colour in {out:?}");
}

// ---------------------------------------------------------------------------------------------
// The other subcommands

#[test]
fn suites_policy_and_version() {
    let o = run(&["suites", "--format", "json"]);
    assert_code(&o, 0);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let suites = v["suites"].as_array().unwrap();
    assert!(suites.len() > 100, "{}", suites.len());
    assert!(suites.iter().any(|s| s["code"] == "0xC02F"));

    let o = run(&["policy", "list"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("fips-140-3"));
    assert!(stdout(&o).contains("fips-140-2"));

    let o = run(&["policy", "show", "fips-140-3"]);
    assert_code(&o, 0);
    assert!(stdout(&o).len() > 200);
    let o = run(&["policy", "show", "fips-140-3", "--format", "json"]);
    assert_code(&o, 0);
    let _: Value = serde_json::from_str(&stdout(&o)).unwrap();

    let o = run(&["--version"]);
    assert_code(&o, 0);
    let v = stdout(&o);
    assert!(v.starts_with("fipsprobe "), "{v}");
    assert!(v.contains("aws-lc-rs"), "{v}");
}

#[test]
fn closed_pipe_is_not_a_crash() {
    let mut child = fipsprobe()
        .args(["suites"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once, like `| head -0`.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
}

/// Mixed target lists (README "Usage"): CIDR + range + name + IPv6 + a file, in one scan.
#[test]
fn mixed_target_list_scans_each_endpoint_once() {
    let mut lab = Lab::new(14);
    let cidr = lab.start(1, &demo::kube_apiserver_fips());
    let ranged = lab.start(5, &demo::kube_apiserver_fips());
    let v6 = lab
        .rt
        .block_on(demo::spawn(
            &demo::kube_apiserver_fips(),
            "[::1]:0".parse().unwrap(),
        ))
        .unwrap();
    let v6_addr = v6.addr;
    lab.servers.push(v6);
    let named = lab
        .rt
        .block_on(demo::spawn(
            &demo::kube_apiserver_fips(),
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let named_port = named.addr.port();
    lab.servers.push(named);

    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    // The file names the host again (duplicates are scanned once) and the v6 endpoint.
    std::fs::write(
        &list,
        format!("[::1]:{}  # v6\nlocalhost:{named_port}\n", v6_addr.port()),
    )
    .unwrap();
    let port = lab.port.to_string();
    let o = run(&scan_args(&[
        "127.61.14.0/30",
        "127.61.14.4-6",
        &format!("localhost:{named_port}"),
        &format!("[::1]:{}", v6_addr.port()),
        "-iL",
        list.to_str().unwrap(),
        "-p",
        &port,
        "--format",
        "json",
    ]));
    assert_code(&o, 0);
    let r = report(&stdout(&o));
    let mut want = vec![
        cidr,
        ranged,
        format!("::1:{}", v6_addr.port()),
        format!("127.0.0.1:{named_port}"),
    ];
    want.sort();
    assert_eq!(endpoints(&r), want);
    let by_name = endpoint(&r, &format!("127.0.0.1:{named_port}"));
    assert_eq!(by_name["host"], "localhost");
    assert_eq!(by_name["sni"], "localhost");
    assert_eq!(by_name["verdict"], "pass");
}

/// `--format jsonl | head -1`: once nobody reads the stream, the scan stops instead of running
/// on (here: a silent server would otherwise hold it for its whole 120 s budget).
#[test]
fn jsonl_stops_when_the_reader_goes_away() {
    let mut lab = Lab::new(15);
    let tls = lab.start(1, &demo::kube_apiserver_fips());
    let silent = lab.listen(2);
    let start = Instant::now();
    let mut child = fipsprobe()
        .args([
            "scan",
            &tls,
            &silent.local_addr().unwrap().to_string(),
            "--format",
            "jsonl",
            "--handshake-timeout",
            "120s",
            "--timeout",
            "120s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    // Generous on purpose (not a speed claim): the silent server would hold it for 120 s.
    assert!(took < Duration::from_secs(60), "ran on for {took:?}");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    drop(silent);
}

//! Hostile servers and hostile input, one test per case a red team found: memory bounded by
//! design (endless records, endless certificates, huge length fields, a drip), caps that keep
//! what was answered, time limits that hold, report files that are only ever regular files,
//! server strings escaped on terminals and in CSV, numeric options with ranges, output errors,
//! diff and merge that refuse what they cannot compare, and errors that name their input
//! briefly. Every server is scripted on loopback (`common::hostile`) and bounded in time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use common::{Hostile, HostileServer};
use fipsprobe::model::{ConnError, GapCause, Observation, Status, Verdict};
use fipsprobe::probe::conn::{self, ReadUntil};
use fipsprobe::probe::limits::Limits;
use fipsprobe::probe::{probe, ProbeConfig};
use fipsprobe::protocol::Protocol;
use fipsprobe::targets::EndpointSpec;
use fipsprobe::wire::ProbeHello;
use tokio_util::sync::CancellationToken;

// ---------------------------------------------------------------------------------------------
// Harness

fn spec(addr: SocketAddr) -> EndpointSpec {
    EndpointSpec {
        target: addr.to_string().into(),
        host: addr.ip().to_string().into(),
        ip: addr.ip(),
        port: addr.port(),
        sni: None,
        explicit: true,
    }
}

/// Short timeouts: every hostile case must end on a cap, long before these.
fn quick() -> ProbeConfig {
    ProbeConfig {
        connect_timeout: Duration::from_secs(1),
        handshake_timeout: Duration::from_secs(3),
        endpoint_timeout: Duration::from_secs(20),
        ..ProbeConfig::default()
    }
}

async fn scan_with(
    addr: SocketAddr,
    cfg: &ProbeConfig,
    rate: Option<f64>,
) -> (Observation, Duration) {
    let limits = Limits::new(4, rate);
    let started = Instant::now();
    let e = probe(
        &spec(addr),
        cfg,
        &limits.host(addr.ip()),
        &CancellationToken::new(),
    )
    .await;
    (e, started.elapsed())
}

/// A TLS 1.2 hello offering one suite (ECDHE-RSA-AES128-GCM-SHA256).
fn tls12_hello() -> Vec<u8> {
    ProbeHello {
        version: Protocol::Tls12,
        suites: &[0xC02F],
        sni: None,
        groups: &[0x0017],
        key_shares: &[],
        sig_schemes: &[0x0804, 0x0401],
        ems: true,
        renegotiation_scsv: false,
        fallback_scsv: false,
        random: [7; 32],
    }
    .to_client_hello()
    .encode_records(0x0301)
}

/// One exchange reading the whole flight, against `server`, with a 5 s limit.
async fn read_flight(server: &HostileServer) -> (Result<conn::Flight, conn::ConnError>, Duration) {
    let stream = conn::connect(server.addr, Duration::from_secs(1))
        .await
        .unwrap();
    let started = Instant::now();
    let flight = conn::exchange(
        stream,
        &tls12_hello(),
        ReadUntil::FlightEnd,
        Duration::from_secs(5),
    )
    .await;
    (flight, started.elapsed())
}

fn fipsprobe() -> Command {
    let mut cmd = Command::cargo_bin("fipsprobe").unwrap();
    cmd.env("NO_COLOR", "1").stdin(Stdio::null());
    cmd
}

fn run(args: &[&str]) -> Output {
    fipsprobe().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2 with exactly one line on stderr that contains `want`.
fn assert_usage_error(o: &Output, want: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.contains(want), "{want:?} not in {err:?}");
}

// ---------------------------------------------------------------------------------------------
// 1. Memory: what one connection reads is capped, and the answer before the cap is kept.

/// Endless 4-byte handshake messages after a ServerHello: the exchange stops at the message
/// cap at once, with the ServerHello kept, instead of reading (and keeping) until the timeout.
#[tokio::test]
async fn endless_records_stop_at_the_message_cap() {
    let server = HostileServer::start(Hostile::EndlessRecords);
    let (flight, took) = read_flight(&server).await;
    let flight = flight.unwrap();
    assert!(took < Duration::from_secs(2), "read for {took:?}");
    assert!(
        flight.messages.len() <= 16,
        "{} messages kept",
        flight.messages.len()
    );
    assert_eq!(flight.messages[0].name(), "server_hello");
    let cut = flight.cut().expect("the cut is recorded").to_string();
    assert_eq!(cut, "server flight exceeds the cap of 16 messages");
}

/// Endless 16 KiB Certificate messages: stopped at the flight's byte cap.
#[tokio::test]
async fn endless_certificates_stop_at_the_byte_cap() {
    let server = HostileServer::start(Hostile::EndlessCertificates);
    let (flight, took) = read_flight(&server).await;
    let flight = flight.unwrap();
    assert!(took < Duration::from_secs(2), "read for {took:?}");
    let kept: usize = flight
        .messages
        .iter()
        .map(|m| match m {
            fipsprobe::wire::ServerMessage::Certificate(c) => c.chain.iter().map(Vec::len).sum(),
            _ => 0,
        })
        .sum();
    assert!(kept <= 96 * 1024, "{kept} certificate bytes kept");
    assert_eq!(
        flight.cut().unwrap().to_string(),
        "server flight exceeds the cap of 98304 bytes"
    );
}

/// Length fields at their maximum (a 16 MiB Certificate whose one certificate claims as much):
/// nothing is allocated from them; the flight is cut at the byte cap and the endpoint says the
/// certificate could not be checked.
#[tokio::test]
async fn huge_length_fields_are_never_allocated() {
    let server = HostileServer::start(Hostile::HugeLengths);
    let (flight, took) = read_flight(&server).await;
    assert!(took < Duration::from_secs(2), "read for {took:?}");
    assert!(flight.unwrap().cut().is_some());

    let (obs, took) = scan_with(server.addr, &quick(), None).await;
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert_eq!(obs.status, Status::Tls, "{:?}", obs.failure);
    let cert = obs
        .certificate
        .clone()
        .expect("the certificate's fate is reported");
    let error = cert.error.unwrap_or_default();
    assert_eq!(error, "Certificate message exceeds the cap of 65536 bytes");
    // Unknown is never false: without a certificate the endpoint cannot pass.
    assert_ne!(
        common::scan::graded(&obs, "fips-140-3").verdict,
        Verdict::Pass
    );
}

/// A server that drips its ServerHello and then tiny records a byte every 5 ms: one exchange
/// ends at the message cap (not at its timeout, holding what came), and with a byte every
/// 100 ms the endpoint's `--timeout` ends the whole probe.
#[tokio::test]
async fn a_drip_is_bounded_by_the_caps_and_the_endpoint_timeout() {
    let fast = HostileServer::start(Hostile::Drip {
        every: Duration::from_millis(5),
    });
    let (flight, took) = read_flight(&fast).await;
    let flight = flight.unwrap();
    assert!(took < Duration::from_secs(3), "read for {took:?}");
    assert!(
        flight.messages.len() <= 16,
        "{} messages",
        flight.messages.len()
    );
    assert_eq!(
        flight.cut().map(|c| c.to_string()).as_deref(),
        Some("server flight exceeds the cap of 16 messages")
    );

    let slow = HostileServer::start(Hostile::Drip {
        every: Duration::from_millis(100),
    });
    let cfg = ProbeConfig {
        endpoint_timeout: Duration::from_secs(3),
        ..quick()
    };
    let (obs, took) = scan_with(slow.addr, &cfg, None).await;
    assert!(took < Duration::from_millis(3500), "{took:?}");
    assert!(obs.accepted.is_empty(), "{:?}", obs.accepted);
}

// ---------------------------------------------------------------------------------------------
// Caps never discard what was already answered.

/// A 200-certificate chain: the ServerHello and the first 64 certificates are kept, the
/// truncation is recorded with its unit, and the version counts as accepted.
#[tokio::test]
async fn a_200_certificate_chain_keeps_the_hello_and_the_first_certificates() {
    let leaf = fipsprobe::demo::generate_cert(
        fipsprobe::demo::KeyKind::EcdsaP256,
        &fipsprobe::demo::CertOptions::default(),
    )
    .unwrap();
    // The leaf, then 199 small stand-ins: 200 certificates in 20 KB, well within the bytes.
    let mut certs = vec![leaf.cert_der.clone()];
    certs.extend((0..199u8).map(|i| vec![0x30, 1, i]));
    let server = HostileServer::start(Hostile::Chain { certs });
    let cfg = ProbeConfig {
        versions: vec![Protocol::Tls12],
        extras: false,
        ..quick()
    };
    let (obs, _) = scan_with(server.addr, &cfg, None).await;
    assert_eq!(obs.status, Status::Tls, "{:?}", obs.failure);
    assert!(
        obs.accepted.contains_key(&Protocol::Tls12),
        "{:?}",
        obs.gaps
    );
    let cert = obs.certificate.clone().expect("a certificate");
    assert_eq!(cert.chain.len(), 64, "{cert:?}");
    assert_eq!(
        cert.truncated.as_deref().unwrap_or_default(),
        "certificate chain cut at the cap of 64 certificates (the server sent 200)"
    );
    // The 136 certificates never read vouch for nothing: the checks stay unchecked.
    let graded = common::scan::graded(&obs, "fips-140-3");
    assert_ne!(graded.verdict, Verdict::Pass);
    assert!(
        graded
            .unchecked
            .iter()
            .any(|u| u.check == "cert_signature_weak"
                && u.reason
                    .contains("only the first 64 certificates were read")),
        "{:?}",
        graded.unchecked
    );
}

/// An 80 KB chain in a TLS 1.2 flight: the certificates within the 64 KiB cap are read, the
/// rest skipped unbuffered, the flight read on to its end.
#[tokio::test]
async fn an_overlong_tls12_chain_is_read_up_to_the_cap() {
    let leaf = fipsprobe::demo::generate_cert(
        fipsprobe::demo::KeyKind::Rsa2048,
        &fipsprobe::demo::CertOptions::default(),
    )
    .unwrap();
    // The leaf and forty 2 000-byte intermediates (stand-ins: nothing parses them here).
    let mut certs = vec![leaf.cert_der.clone()];
    certs.extend((0..40u8).map(|i| vec![i; 2000]));
    let server = HostileServer::start(Hostile::Chain {
        certs: certs.clone(),
    });
    let (flight, _) = read_flight(&server).await;
    let flight = flight.unwrap();
    assert!(flight.cut().is_none(), "{:?}", flight.cut());
    let names: Vec<&str> = flight.messages.iter().map(|m| m.name()).collect();
    assert_eq!(names, ["server_hello", "certificate", "server_hello_done"]);
    let fipsprobe::wire::ServerMessage::Certificate(c) = &flight.messages[1] else {
        unreachable!()
    };
    let fit = (65536 - 3 - leaf.cert_der.len() - 3) / 2003;
    assert!(
        c.chain == certs[..1 + fit],
        "{} certificates kept",
        c.chain.len()
    );
    let cut = c.truncated.unwrap();
    assert_eq!((cut.limit, cut.unit), (65536, "bytes"));
    assert_eq!(cut.sent, 3 + leaf.cert_der.len() + 3 + 40 * 2003);
}

// ---------------------------------------------------------------------------------------------
// 8. Time: --timeout bounds an endpoint whatever --rate says.

/// `--rate 0.5 --timeout 3s` against a server that accepts every suite (hundreds of hellos):
/// rate waits count against the budget, so the endpoint ends at 3 s, not 12.
#[tokio::test]
async fn rate_waits_count_against_the_endpoint_timeout() {
    let leaf = fipsprobe::demo::generate_cert(
        fipsprobe::demo::KeyKind::EcdsaP256,
        &fipsprobe::demo::CertOptions::default(),
    )
    .unwrap();
    let server = HostileServer::start(Hostile::Flight { der: leaf.cert_der });
    let cfg = ProbeConfig {
        endpoint_timeout: Duration::from_secs(3),
        ..quick()
    };
    let (obs, took) = scan_with(server.addr, &cfg, Some(0.5)).await;
    assert!(took < Duration::from_millis(3300), "{took:?}");
    assert!(
        obs.gaps.iter().any(|g| matches!(
            g.cause,
            GapCause::Failed(ConnError::BudgetExhausted(d)) if d == Duration::from_secs(3)
        )),
        "a sweep cut by the budget is a gap: {:?}",
        obs.gaps
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Errors name their input briefly, and say why a name did not resolve.

/// A scripted DNS server on loopback: every query gets NXDOMAIN (its question echoed), or,
/// `silent`, nothing at all. Stops after `lifetime`.
fn dns_server(silent: bool) -> SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut buf = [0u8; 512];
        while started.elapsed() < Duration::from_secs(20) {
            let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                continue;
            };
            if silent || n < 12 {
                continue;
            }
            // Header: same id, QR=1, opcode and RD kept, RA=1, RCODE=3 (NXDOMAIN); one
            // question, no other records.
            let mut end = 12;
            while end < n && buf[end] != 0 {
                end += 1 + usize::from(buf[end]);
            }
            let end = (end + 5).min(n);
            let mut reply = buf[..end].to_vec();
            reply[2] = 0x80 | (buf[2] & 0x79);
            reply[3] = 0x83;
            reply[4..12].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
            let _ = socket.send_to(&reply, peer);
        }
    });
    addr
}

#[tokio::test]
async fn an_unresolvable_name_says_whether_it_does_not_exist_or_dns_did_not_answer() {
    use fipsprobe::targets::{Resolve, SystemResolver};
    let timeout = Duration::from_millis(500);

    let nx = SystemResolver::with_name_servers(&[dns_server(false)], timeout);
    let e = nx.lookup("no-such-node.invalid.").await.unwrap_err();
    assert_eq!(
        e,
        "cannot resolve no-such-node.invalid.: no such name (NXDOMAIN)"
    );

    let silent = SystemResolver::with_name_servers(&[dns_server(true)], timeout);
    let started = Instant::now();
    let e = silent.lookup("node1.example.test.").await.unwrap_err();
    assert!(
        e.starts_with("cannot resolve node1.example.test.: no answer from the DNS server"),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Nothing listens there at all (UDP and TCP refused).
    let nobody = SocketAddr::from(([127, 0, 0, 1], common::free_port()));
    let refused = SystemResolver::with_name_servers(&[nobody], timeout);
    let e = refused.lookup("node2.example.test.").await.unwrap_err();
    assert!(
        e.starts_with("cannot resolve node2.example.test.: no answer from the DNS server"),
        "{e}"
    );
}

/// A 10 MB line in an `-iL` file: the one-line error names file and line, not the 10 MB.
#[test]
fn a_10mb_target_line_gives_a_short_error() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("targets.txt");
    std::fs::write(&list, format!("127.0.0.1\n{}\n", "a".repeat(10 << 20))).unwrap();
    let o = run(&["scan", "-iL", list.to_str().unwrap()]);
    assert_usage_error(&o, "targets.txt:2: line longer than 65536 bytes");
    assert!(
        stderr(&o).len() < 300,
        "{} bytes of error",
        stderr(&o).len()
    );

    // A long token on a short line: quoted by its first 60 characters and its length.
    std::fs::write(&list, format!("{}!\n", "b".repeat(5000))).unwrap();
    let o = run(&["scan", "-iL", list.to_str().unwrap()]);
    assert_usage_error(&o, "…(5001 bytes)");
    assert!(stderr(&o).len() < 300, "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// 2. Report files: only regular files are created or replaced, and the rest is refused
// before scanning.

/// A loopback port where nothing listens: scanning it takes milliseconds.
fn closed_target() -> String {
    common::closed_port().to_string()
}

#[cfg(unix)]
#[test]
fn report_files_are_only_regular_files() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let sock = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path().join("elsewhere.json"), &link).unwrap();
    let subdir = dir.path().join("sub");
    std::fs::create_dir(&subdir).unwrap();
    let mut cases = vec![
        (fifo.clone(), "a FIFO"),
        (sock.clone(), "a socket"),
        (link.clone(), "a symbolic link"),
        (subdir.clone(), "a directory"),
    ];
    // As root (the cron job's user), a device node of our own: /dev/null's numbers.
    let null = dir.path().join("null");
    let is_root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if is_root {
        let made = Command::new("mknod")
            .arg(&null)
            .args(["c", "1", "3"])
            .status();
        assert!(made.unwrap().success());
        cases.push((null.clone(), "a character device"));
    }
    let target = closed_target();
    for (path, what) in &cases {
        for flag in ["-o", "--json"] {
            let started = Instant::now();
            let o = run(&[
                "scan",
                &target,
                flag,
                path.to_str().unwrap(),
                "--format",
                "json",
            ]);
            assert_usage_error(
                &o,
                &format!("cannot write report {}: {what}", path.display()),
            );
            assert!(o.stdout.is_empty(), "refused before scanning");
            assert!(started.elapsed() < Duration::from_secs(5));
        }
    }
    // merge -o refuses the same way.
    let report = dir.path().join("r.json");
    let o = run(&[
        "scan",
        &target,
        "-o",
        report.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let o = run(&[
        "merge",
        report.to_str().unwrap(),
        "-o",
        fifo.to_str().unwrap(),
    ]);
    assert_usage_error(&o, "a FIFO");
    // Everything is still what it was.
    let kind = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().file_type();
    assert!(kind(&fifo).is_fifo());
    assert!(kind(&sock).is_socket());
    assert!(kind(&link).is_symlink());
    assert!(kind(&subdir).is_dir());
    if is_root {
        assert!(kind(&null).is_char_device());
    }
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        names.len(),
        cases.len() + 1,
        "no temp or probe file left: {names:?}"
    );
}

/// `-o /dev/null` (and `/dev/full`, `/dev/stdout`): refused before anything is written, and the
/// device stays a device.
#[cfg(unix)]
#[test]
fn dev_null_is_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let target = closed_target();
    for (path, what) in [
        ("/dev/null", "a character device"),
        ("/dev/full", "a character device"),
        ("/dev/stdout", "a symbolic link"),
    ] {
        let o = run(&["scan", &target, "-o", path, "--format", "json"]);
        assert_usage_error(&o, &format!("cannot write report {path}: {what}"));
    }
    let null = std::fs::symlink_metadata("/dev/null").unwrap().file_type();
    assert!(
        null.is_char_device(),
        "/dev/null is still a character device"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Every numeric option has a range; none panics.

#[test]
fn numeric_options_have_ranges_and_one_line_errors() {
    let target = closed_target();
    for (option, value) in [
        ("--rate", "1e-300"),
        ("--rate", "NaN"),
        ("--rate", "inf"),
        ("--rate", "0"),
        ("--rate", "-1"),
        ("--rate", "1e9"),
        ("--timeout", "99999999999h"),
        ("--timeout", "0.0000001s"),
        ("--handshake-timeout", "1e300"),
        ("--connect-timeout", "25h"),
        ("--concurrency", "0"),
        ("--concurrency", "99999999999999999999"),
        ("--per-host", "0"),
        ("--per-host", "100000"),
        ("--retries", "1000000"),
        ("--shard", "0/0"),
        ("--ports", "0"),
        ("--ports", "70000"),
    ] {
        let o = run(&["scan", &target, option, value]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{option} {value}: {err}");
        assert_eq!(err.lines().count(), 1, "{option} {value}: {err}");
        assert!(!err.contains("panicked"), "{option} {value}: {err}");
        assert!(
            err.contains(value) || err.contains(option),
            "{option} {value}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Output errors are errors.

#[cfg(unix)]
#[test]
fn a_failed_write_to_stdout_exits_2_with_one_line() {
    let target = closed_target();
    for format in ["json", "jsonl", "csv", "table"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = fipsprobe()
            .args(["scan", &target, "--format", format])
            .stdout(full)
            .output()
            .unwrap();
        assert_usage_error(&o, "writing to stdout: No space left on device");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. diff and --baseline refuse reports graded by different policies; merge refuses verdicts
// that contradict their findings.

fn fixture(name: &str) -> String {
    format!("{}/tests/data/reports/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn diff_across_policies_exits_2_unless_allowed() {
    let (new, other) = (fixture("nightly-new.json"), fixture("policy-140-2.json"));
    let o = run(&["diff", &new, &other, "--format", "json"]);
    assert_usage_error(&o, "graded with policy fips-140-3");
    assert!(
        stderr(&o).contains("--allow-policy-change"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "diff",
        &new,
        &other,
        "--format",
        "json",
        "--allow-policy-change",
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let diff: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(diff["changes"][0]["kind"], "policy_changed");

    // --baseline: refused before scanning.
    let started = Instant::now();
    let o = run(&[
        "scan",
        &closed_target(),
        "--baseline",
        &other,
        "--format",
        "json",
    ]);
    assert_usage_error(&o, "graded with policy fips-140-2");
    assert!(o.stdout.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn merge_refuses_verdicts_that_contradict_findings() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("nightly-new.json")).unwrap();
    let mut report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let failing = report["endpoints"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["verdict"] == "fail")
        .unwrap();
    failing["verdict"] = "pass".into();
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, report.to_string()).unwrap();
    let o = run(&["merge", edited.to_str().unwrap()]);
    assert_usage_error(&o, "is stated pass but has 2 unwaived fail findings");
    assert!(o.stdout.is_empty());

    // And a fail with nothing failing.
    let mut report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let passing = report["endpoints"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["verdict"] == "pass")
        .unwrap();
    passing["verdict"] = "fail".into();
    std::fs::write(&edited, report.to_string()).unwrap();
    let o = run(&["merge", edited.to_str().unwrap()]);
    assert_usage_error(&o, "is stated fail but has no unwaived fail finding");

    // A not_assessed with fail findings stands only when a gap cut its enumeration short;
    // it still fails the merged report.
    let mut report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let failing = report["endpoints"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["verdict"] == "fail")
        .unwrap();
    failing["verdict"] = "not_assessed".into();
    std::fs::write(&edited, report.to_string()).unwrap();
    let o = run(&["merge", edited.to_str().unwrap()]);
    assert_usage_error(
        &o,
        "is stated not_assessed but has 2 unwaived fail findings",
    );
    let failing = report["endpoints"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["verdict"] == "not_assessed" && e["status"] == "tls")
        .unwrap();
    failing["gaps"] = serde_json::json!([{
        "probe": "suites", "protocol": "TLSv1.1", "kind": "reset",
        "reason": "connection reset by the server"
    }]);
    std::fs::write(&edited, report.to_string()).unwrap();
    let out = dir.path().join("merged.json");
    let o = run(&[
        "merge",
        edited.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(merged["summary"]["not_assessed_failing"], 1, "{merged}");

    // The untouched fixture merges.
    let o = run(&["merge", &fixture("nightly-new.json")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// 3. Server strings are escaped in the table, diff and CSV; JSON keeps them exact.

/// What a hostile certificate subject holds: clear the screen, home, forge a verdict.
const FORGED: &str = "\x1b[2J\x1b[HALL ENDPOINTS PASS\r\n\u{202e}x";

#[test]
fn server_strings_are_escaped_for_terminals_and_spreadsheets() {
    let options = fipsprobe::demo::CertOptions {
        common_name: FORGED.to_string(),
        ..fipsprobe::demo::CertOptions::expired()
    };
    let leaf =
        fipsprobe::demo::generate_cert(fipsprobe::demo::KeyKind::EcdsaP256, &options).unwrap();
    let server = HostileServer::start(Hostile::Flight { der: leaf.cert_der });
    let target = server.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let scan = |format: &str| {
        let o = run(&[
            "scan",
            &target,
            "--protocols",
            "TLSv1.2",
            "--suites-only",
            "--no-color",
            "-o",
            report.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "the expired leaf fails: {}",
            stderr(&o)
        );
        String::from_utf8(o.stdout).unwrap()
    };

    let table = scan("table");
    assert!(!table.contains('\x1b') && !table.contains('\r'), "{table}");
    // Escaped (and wrapped at spaces like any text).
    assert!(table.contains("CN=\\x1b[2J\\x1b[HALL"), "{table}");
    assert!(table.contains("PASS\\r\\n\\u{202e}x"), "{table}");
    assert!(
        table.lines().last().unwrap().starts_with("FAIL:"),
        "{table}"
    );

    let csv = scan("csv");
    assert!(!csv.chars().any(|c| c.is_control() && c != '\n'), "{csv:?}");
    let records = csv.lines().count();
    assert!(records >= 2, "{csv}");
    assert!(csv.contains("\\x1b[2J"), "{csv}");

    // JSON: exact.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let subject = json["endpoints"][0]["certificate"]["chain"][0]["subject"]
        .as_str()
        .unwrap();
    assert!(subject.contains(FORGED), "{subject:?}");

    // diff: the new finding quotes the subject, escaped on the terminal.
    let mut old: serde_json::Value = json.clone();
    old["endpoints"][0]["findings"] = serde_json::json!([]);
    old["endpoints"][0]["verdict"] = "pass".into();
    let old_path = dir.path().join("old.json");
    std::fs::write(&old_path, old.to_string()).unwrap();
    let o = run(&[
        "diff",
        old_path.to_str().unwrap(),
        report.to_str().unwrap(),
        "--format",
        "table",
        "--no-color",
    ]);
    let shown = String::from_utf8(o.stdout).unwrap();
    assert!(!shown.contains('\x1b') && !shown.contains('\r'), "{shown}");
    assert!(shown.contains("\\x1b[2J"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// 9. A TLS 1.3 certificate too large for rustls is still read.

/// A TLS 1.3-only rustls server on loopback serving `cert` and then `intermediates`; runs until
/// the test's runtime ends (at most 30 s).
async fn tls13_server(
    cert: &fipsprobe::demo::GeneratedCert,
    intermediates: &[Vec<u8>],
) -> SocketAddr {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            std::iter::once(&cert.cert_der)
                .chain(intermediates)
                .map(|der| CertificateDer::from(der.clone()))
                .collect(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tokio::time::timeout(Duration::from_secs(30), async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await;
            });
        }
    }));
    addr
}

/// A certificate of about 109 KB: 4 500 DNS names.
fn huge_certificate() -> fipsprobe::demo::GeneratedCert {
    let options = fipsprobe::demo::CertOptions {
        sans: (0..4500)
            .map(|i| format!("node{i:05}.cluster.example"))
            .collect(),
        ..fipsprobe::demo::CertOptions::default()
    };
    fipsprobe::demo::generate_cert(fipsprobe::demo::KeyKind::EcdsaP256, &options).unwrap()
}

fn sha256_hex(der: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A leaf and a 109 KB certificate above it (rustls will not serve a leaf that large, but
/// sends any intermediate): rustls's client refuses the 110 KB Certificate message, ours reads
/// it, and both certificates are graded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_109kb_tls13_certificate_is_read() {
    let huge = huge_certificate();
    assert!(
        huge.cert_der.len() > 100_000,
        "{} bytes",
        huge.cert_der.len()
    );
    let leaf = fipsprobe::demo::generate_cert(
        fipsprobe::demo::KeyKind::EcdsaP256,
        &fipsprobe::demo::CertOptions::default(),
    )
    .unwrap();
    let addr = tls13_server(&leaf, std::slice::from_ref(&huge.cert_der)).await;
    let cfg = ProbeConfig {
        versions: vec![Protocol::Tls13],
        extras: false,
        ..quick()
    };
    let (obs, _) = scan_with(addr, &cfg, None).await;
    assert_eq!(obs.status, Status::Tls, "{:?}", obs.failure);
    let certificate = obs.certificate.clone().expect("a certificate");
    assert_eq!(certificate.error, None, "{certificate:?}");
    let chain = &certificate.chain;
    assert_eq!(chain.len(), 2, "{certificate:?}");
    assert_eq!(chain[0].sha256, sha256_hex(&leaf.cert_der));
    assert_eq!(chain[1].sha256, sha256_hex(&huge.cert_der));
    assert_eq!(chain[1].sans.len(), 4500);
    assert!(!obs
        .gaps
        .iter()
        .any(|g| g.probe == fipsprobe::model::Probe::Certificate));
    // rustls's handshake, then ours: one more hello than the sweep.
    assert!(obs.handshakes >= 2);
}

/// The reader without rustls, on a server with an ordinary chain: the same chain as rustls
/// reads, so the two agree where both can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tls13_chain_reader_agrees_with_rustls() {
    let cert = fipsprobe::demo::generate_cert(
        fipsprobe::demo::KeyKind::Rsa2048,
        &fipsprobe::demo::CertOptions::default(),
    )
    .unwrap();
    let addr = tls13_server(&cert, &[]).await;
    let stream = conn::connect(addr, Duration::from_secs(1)).await.unwrap();
    let facts = fipsprobe::probe::tls13_chain::read_chain(stream, None, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        facts.chain == [cert.cert_der.clone()],
        "{} certificates",
        facts.chain.len()
    );
    let stream = conn::connect(addr, Duration::from_secs(1)).await.unwrap();
    let by_rustls = fipsprobe::probe::tls13::certificate(
        stream,
        addr,
        None,
        Duration::from_secs(5),
        fipsprobe::probe::offer::sig_schemes_tls13(),
    )
    .await
    .unwrap();
    assert!(
        by_rustls.chain == facts.chain,
        "rustls and the reader disagree"
    );
}

//! Benchmark harness: stands up many loopback TLS endpoints (in-process rustls servers on
//! 127.0.1.x, ports 6443 and 2379) plus a population of closed addresses, scans them with the
//! real engine, and prints endpoints/s, handshakes/s, wall time, CPU (scanner vs servers) and
//! peak RSS. `--nmap` runs nmap's ssl-enum-ciphers on the same TLS endpoints, side by side, and
//! compares the results; `--sslyze` does the same with sslyze (all endpoints in one invocation,
//! SSL 2.0 to TLS 1.3); `--sweep P` sweeps a /P of closed loopback addresses on two ports.
//!
//! ```sh
//! cargo run --release --example bench -- --nmap             # 128 hosts x 2 ports + 2048 closed
//! SSLYZE=~/.cache/sslyze-venv/bin/sslyze cargo run --release --example bench -- --sslyze
//! cargo run --release --example bench -- --sweep 16          # a /16 of closed addresses, 2 ports
//! cargo run --release --example bench -- --sweep 24; cargo run --release --example bench -- --sweep 12
//! ```
//!
//! Options: `--hosts N` (TLS hosts, 1..=254, default 128), `--closed N` (closed addresses,
//! default 1024), `--concurrency N`, `--connect-concurrency N` and `--per-host N` (the CLI's
//! defaults, 256, 4 x 256 and 4). The servers of one address count their open connections
//! together, and the run prints the most one address had at once: the per-host cap as the
//! servers saw it.
//! sslyze is found through `$SSLYZE` (a command, split on spaces, e.g. `python3 -m sslyze`), else
//! `sslyze` or `python3 -m sslyze` on PATH; without it `--sslyze` says so and is skipped. It runs
//! with `--mozilla_config disable` and only the six cipher-suite commands, so it sends nothing
//! but handshakes to the loopback endpoints (no certificate, OCSP or trust-store traffic).
//!
//! `--serve A.B.C [--delay-ms D]` only serves: the same servers on 127.0.1.x, each behind a
//! relay on A.B.C.x (same ports) that holds every chunk D ms (default 10) each way, so a
//! round trip costs 2D; `--tarpit ADDR:PORT` adds a listener that accepts and never answers.
//! `scripts/bench-netns.sh` runs it inside a network namespace, with filtered and closed
//! addresses and packet loss, and nmap on the same endpoints (`sudo scripts/bench-netns.sh`).
//! `--compare-nmap REPORT.json NMAP.xml` compares a fipsprobe report with nmap's XML.
//!
//! The servers run on a runtime of their own (threads `srv`), the scanner on another (threads
//! `scan`), so the CPU each spends is read apart from /proc: the servers' handshake CPU is the
//! floor, the scanner's is what the client costs. Every address is on loopback; the servers stop
//! when the program ends.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fipsprobe::demo::{self, CertOptions, RunningServer};
use fipsprobe::model::{Report, Status};
use fipsprobe::policy::{Policy, Waivers};
use fipsprobe::probe::{ProbeConfig, ScanConfig, Stop};
use fipsprobe::protocol::Protocol;
use fipsprobe::scan::{self, ScanJob};
use fipsprobe::targets::{self, StaticResolver, TargetSet};

const PORTS: [u16; 2] = [6443, 2379];

struct Options {
    hosts: u8,
    closed: u32,
    nmap: bool,
    sslyze: bool,
    /// `--require-ems`: the kube-like servers refuse TLS 1.2 without extended master secret,
    /// as FIPS 140-3 servers (RHEL >= 9.2) do. nmap and sslyze never offer EMS, so they then
    /// miss every TLS 1.2 suite of those servers: this shows that blind spot.
    require_ems: bool,
    /// `--suites-only`: versions and suites only, like nmap's ssl-enum-ciphers (no group
    /// sweeps or behaviour probes).
    suites_only: bool,
    sweep: Option<u8>,
    concurrency: usize,
    connect_concurrency: Option<usize>,
    per_host: usize,
    /// `--compare-nmap REPORT.json NMAP.xml`: only compare two result files.
    compare_nmap: Option<(String, String)>,
    /// `--serve NET`: only serve, behind relays listening on NET.1-hosts (for bench-netns.sh).
    serve: Option<String>,
    /// `--tarpit ADDR:PORT` (with `--serve`): also a listener that accepts and never answers.
    tarpit: Option<SocketAddr>,
    delay_ms: u64,
}

/// Set once from `--require-ems` before any server starts.
static REQUIRE_EMS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// The kube-apiserver-like spec the fleet serves on 6443. By default it does not require EMS,
/// so that nmap and sslyze (which never offer it) can be compared on equal terms.
fn kube_spec() -> demo::ServerSpec {
    demo::ServerSpec {
        require_ems: REQUIRE_EMS.get().copied().unwrap_or(false),
        ..demo::kube_apiserver_fips()
    }
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        hosts: 128,
        closed: 1024,
        nmap: false,
        sslyze: false,
        require_ems: false,
        suites_only: false,
        sweep: None,
        concurrency: 256,
        connect_concurrency: None,
        per_host: 4,
        compare_nmap: None,
        serve: None,
        tarpit: None,
        delay_ms: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--nmap" {
            o.nmap = true;
            continue;
        }
        if flag == "--sslyze" {
            o.sslyze = true;
            continue;
        }
        if flag == "--require-ems" {
            o.require_ems = true;
            continue;
        }
        if flag == "--suites-only" {
            o.suites_only = true;
            continue;
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        if flag == "--compare-nmap" {
            let xml = args
                .next()
                .ok_or("--compare-nmap needs REPORT.json NMAP.xml")?;
            o.compare_nmap = Some((value, xml));
            continue;
        }
        let bad = |_| format!("bad value {value:?} for {flag}");
        match flag.as_str() {
            "--hosts" => o.hosts = value.parse().map_err(bad)?,
            "--closed" => o.closed = value.parse().map_err(bad)?,
            "--concurrency" => o.concurrency = value.parse().map_err(bad)?,
            "--connect-concurrency" => o.connect_concurrency = Some(value.parse().map_err(bad)?),
            "--per-host" => o.per_host = value.parse().map_err(bad)?,
            "--sweep" => o.sweep = Some(value.parse().map_err(bad)?),
            "--serve" => o.serve = Some(value),
            "--tarpit" => {
                o.tarpit = Some(
                    value
                        .parse()
                        .map_err(|_| format!("bad address {value:?}"))?,
                )
            }
            "--delay-ms" => o.delay_ms = value.parse().map_err(bad)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !(1..=254).contains(&o.hosts) {
        return Err("--hosts is 1..=254 (one /24)".into());
    }
    if o.sweep.is_some_and(|p| !(8..=32).contains(&p)) {
        return Err("--sweep takes a prefix length 8..=32".into());
    }
    Ok(o)
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(2);
        }
    };
    let _ = REQUIRE_EMS.set(o.require_ems);
    if let Some((report, xml)) = &o.compare_nmap {
        if let Err(e) = compare_files(report, xml) {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Some(net) = &o.serve {
        if let Err(e) = runtime("srv").block_on(serve(net, &o)) {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
        return;
    }
    let scanner = runtime("scan");
    if let Some(prefix) = o.sweep {
        scanner.block_on(sweep(prefix, &o));
    } else if let Err(e) = tls_bench(&scanner, &o) {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

fn runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
}

/// A line of /proc/self/status in MiB (the value is in KiB).
fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn memory_line() -> String {
    format!(
        "peak RSS {:.1} MiB (now: anon {:.1}, file {:.1})",
        status_mib("VmHWM:"),
        status_mib("RssAnon:"),
        status_mib("RssFile:")
    )
}

/// CPU seconds (user+system) spent so far by this process's threads whose name starts with
/// `prefix`, from /proc/self/task/*/stat. Threads that already ended are not counted, which is
/// fine: both runtimes live for the whole program.
fn thread_cpu(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ticks = 0u64;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !stat[open + 1..close].starts_with(prefix) {
            continue;
        }
        // Fields after the command: state is field 3, utime 14, stime 15.
        let rest: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let field = |n: usize| rest.get(n - 3).and_then(|v| v.parse::<u64>().ok());
        ticks += field(14).unwrap_or(0) + field(15).unwrap_or(0);
    }
    // USER_HZ is 100 on Linux.
    ticks as f64 / 100.0
}

/// The scanner's CPU: its runtime's workers plus the main thread, which drives `scan::run`
/// (grading and the result loop) in `block_on`.
fn scanner_cpu() -> f64 {
    thread_cpu("scan") + thread_cpu("bench")
}

fn job(includes: &[String], o: &Options) -> ScanJob {
    let includes = includes
        .iter()
        .map(|t| targets::parse_target(t).unwrap_or_else(|e| panic!("target {t}: {e}")))
        .collect();
    ScanJob {
        targets: TargetSet::new(includes, Vec::new(), PORTS.to_vec(), None),
        resolver: Arc::new(StaticResolver::default()),
        config: ScanConfig {
            concurrency: fipsprobe::probe::fit_concurrency(o.concurrency, o.per_host),
            connect_concurrency: fipsprobe::probe::fit_connect_concurrency(
                o.connect_concurrency
                    .unwrap_or(o.concurrency * fipsprobe::probe::engine::CONNECT_FACTOR),
                o.concurrency,
                o.per_host,
            ),
            per_host: o.per_host,
            probe: ProbeConfig {
                extras: !o.suites_only,
                ..ProbeConfig::default()
            },
            ..ScanConfig::default()
        },
        policy: Policy::load("fips-140-3").unwrap_or_else(|e| panic!("bundled policy: {e}")),
        waivers: Waivers::none(),
        args: vec!["bench".into()],
    }
}

/// One timed scan and its figures.
struct Run {
    report: Report,
    seen: u64,
    wall: Duration,
    scan_cpu: f64,
    server_cpu: f64,
}

fn timed_scan(rt: &tokio::runtime::Runtime, includes: &[String], o: &Options) -> Run {
    let (scan0, srv0) = (scanner_cpu(), thread_cpu("srv"));
    let start = Instant::now();
    let mut seen = 0u64;
    let report = rt.block_on(scan::run(job(includes, o), Stop::default(), |_, _, _| {
        seen += 1
    }));
    Run {
        report,
        seen,
        wall: start.elapsed(),
        scan_cpu: scanner_cpu() - scan0,
        server_cpu: thread_cpu("srv") - srv0,
    }
}

fn print_run(label: &str, r: &Run) {
    let tls: Vec<_> = r
        .report
        .endpoints
        .iter()
        .filter(|e| e.status == Status::Tls)
        .collect();
    let handshakes: u64 = tls.iter().map(|e| u64::from(e.handshakes)).sum();
    let secs = r.wall.as_secs_f64();
    println!(
        "{label}: {} endpoints ({} TLS) in {secs:.2} s wall: {:.0} endpoints/s, {} handshakes = {:.0} handshakes/s ({:.1} per TLS endpoint)",
        r.seen,
        tls.len(),
        r.seen as f64 / secs,
        handshakes,
        handshakes as f64 / secs,
        handshakes as f64 / tls.len().max(1) as f64,
    );
    println!(
        "{label}: CPU scanner {:.2} s, servers {:.2} s; {}",
        r.scan_cpu,
        r.server_cpu,
        memory_line()
    );
}

fn tls_bench(scanner: &tokio::runtime::Runtime, o: &Options) -> Result<(), String> {
    let servers_rt = runtime("srv");
    let servers = servers_rt.block_on(start_servers(o.hosts))?;
    let tls_range = format!("127.0.1.1-{}", o.hosts);
    println!(
        "bench: {} TLS endpoints ({} hosts x ports 6443 (FIPS kube-apiserver-like, RSA) and 2379 (non-FIPS etcd-like, ECDSA)), {} closed addresses x 2 ports; {} CPUs, load {}",
        servers.len(),
        o.hosts,
        if o.closed > 0 { 1u64 << closed_bits(o.closed) } else { 0 },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?"),
    );

    // The same endpoints nmap gets, and nothing else: the side-by-side figure.
    let tls_only = timed_scan(scanner, std::slice::from_ref(&tls_range), o);
    print_run("fipsprobe, TLS endpoints only", &tls_only);
    check_expected(&tls_only.report, servers.len())?;

    // The mixed population: TLS endpoints plus closed addresses.
    let mut includes = vec![tls_range.clone()];
    if o.closed > 0 {
        includes.push(format!("127.0.64.0/{}", 32 - closed_bits(o.closed)));
    }
    let mixed = timed_scan(scanner, &includes, o);
    print_run("fipsprobe, TLS + closed", &mixed);
    check_expected(&mixed.report, servers.len())?;
    println!(
        "per-host: at most {} connections open at once at one address, as its servers counted them (--per-host {}; a busy server notices a close late, so this counts high)",
        peak_per_host(&servers),
        o.per_host
    );

    if o.nmap {
        compare_nmap(&tls_only, &tls_range);
    }
    if o.sslyze {
        compare_sslyze(&tls_only, o.hosts);
    }
    drop(servers);
    Ok(())
}

/// The closed population is a CIDR block of at least `closed` addresses (127.0.64.0/…).
fn closed_bits(closed: u32) -> u32 {
    closed.next_power_of_two().trailing_zeros().min(14)
}

async fn start_servers(hosts: u8) -> Result<Vec<RunningServer>, String> {
    let kube = kube_spec();
    let etcd = demo::etcd_non_fips();
    let kube_cert =
        demo::generate_cert(kube.key, &CertOptions::default()).map_err(|e| e.to_string())?;
    let etcd_cert =
        demo::generate_cert(etcd.key, &CertOptions::default()).map_err(|e| e.to_string())?;
    let mut servers = Vec::new();
    for h in 1..=hosts {
        let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 1, h));
        // Both servers of an address count their open connections together: the per-host cap
        // is per address.
        let gauge = Arc::new(demo::OpenGauge::default());
        for (spec, cert, port) in [(&kube, &kube_cert, 6443), (&etcd, &etcd_cert, 2379)] {
            let s = demo::spawn_with_gauge(spec, SocketAddr::new(ip, port), cert, gauge.clone())
                .await
                .map_err(|e| format!("starting {ip}:{port}: {e} (is something already there?)"))?;
            servers.push(s);
        }
    }
    Ok(servers)
}

/// The most connections one address had open at once, as its servers counted them.
fn peak_per_host(servers: &[RunningServer]) -> u64 {
    servers
        .iter()
        .map(RunningServer::peak_open)
        .max()
        .unwrap_or(0)
}

/// Every server found with exactly the suites its spec serves.
fn check_expected(report: &Report, servers: usize) -> Result<(), String> {
    let kube = kube_spec();
    let etcd = demo::etcd_non_fips();
    let mut ok = 0;
    for e in report.endpoints.iter().filter(|e| e.status == Status::Tls) {
        let spec = if e.port == 6443 { &kube } else { &etcd };
        let right = [Protocol::Tls12, Protocol::Tls13].iter().all(|v| {
            let mut got: Vec<u16> = e
                .protocols
                .get(v)
                .map(|r| r.suites.iter().map(|s| s.code.0 as u16).collect())
                .unwrap_or_default();
            let mut want = spec.suites_for(*v);
            got.sort_unstable();
            want.sort_unstable();
            got == want
        }) && e.protocols.keys().all(|v| *v >= Protocol::Tls12);
        if right {
            ok += 1;
        }
    }
    if ok == servers {
        println!("check: all {ok} TLS endpoints found with exactly their servers' suites");
        Ok(())
    } else {
        Err(format!(
            "only {ok} of {servers} TLS endpoints match their servers' suites"
        ))
    }
}

/// Runs nmap's ssl-enum-ciphers on the same servers and compares the suites per version.
fn compare_nmap(ours: &Run, range: &str) {
    let srv0 = thread_cpu("srv");
    let start = Instant::now();
    let out = Command::new("nmap")
        .args([
            "-Pn",
            "-n",
            "-T4",
            "--script",
            "ssl-enum-ciphers",
            "-p",
            "6443,2379",
            "-oX",
            "-",
            range,
        ])
        .output();
    let wall = start.elapsed();
    let server_cpu = thread_cpu("srv") - srv0;
    let out = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            println!("nmap failed: {}", String::from_utf8_lossy(&o.stderr));
            return;
        }
        Err(e) => {
            println!("nmap not run ({e}): apt-get install nmap");
            return;
        }
    };
    let (endpoints, differences, compared) = nmap_differences(&ours.report, &out);
    println!(
        "nmap -Pn -n -T4 --script ssl-enum-ciphers: {endpoints} endpoints in {:.2} s wall (servers' CPU {:.2} s); fipsprobe {:.2} s: {:.1}x faster",
        wall.as_secs_f64(),
        server_cpu,
        ours.wall.as_secs_f64(),
        wall.as_secs_f64() / ours.wall.as_secs_f64(),
    );
    println!(
        "results: {differences} endpoints differ; {compared} (endpoint, {NMAP_VERSIONS_LABEL} suite) pairs compared"
    );
}

/// The versions compared with nmap, as nmap labels them.
const NMAP_VERSIONS: [&str; 5] = ["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
const NMAP_VERSIONS_LABEL: &str = "SSLv3-TLS 1.3";

/// Compares the TLS endpoints of `report` with nmap's XML: `(endpoints nmap found open with
/// results, endpoints that differ, pairs compared)`; prints the first differences. An endpoint
/// only one side found counts as a difference.
fn nmap_differences(report: &Report, nmap_xml: &str) -> (usize, usize, usize) {
    let theirs = parse_nmap_xml(nmap_xml);
    let mut mine: BTreeMap<(String, u16), BTreeSet<String>> = BTreeMap::new();
    for e in report.endpoints.iter().filter(|e| e.status == Status::Tls) {
        let set = mine.entry((e.ip.to_string(), e.port)).or_default();
        for (p, r) in &e.protocols {
            if NMAP_VERSIONS.contains(&p.label()) {
                set.extend(r.suites.iter().map(|s| format!("{}:{}", p.label(), s.name)));
            }
        }
    }
    let compared: usize = mine.values().map(BTreeSet::len).sum();
    let mut differences = 0;
    for key in mine.keys().chain(theirs.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (mine.get(key), theirs.get(key));
        if a != b {
            differences += 1;
            if differences <= 3 {
                println!(
                    "difference at {}:{}: fipsprobe {a:?} nmap {b:?}",
                    key.0, key.1
                );
            }
        }
    }
    (theirs.len(), differences, compared)
}

/// `--compare-nmap REPORT.json NMAP.xml` (for `scripts/bench-netns.sh`): compares a fipsprobe
/// JSON report with nmap's XML output of the same scan; exit 1 on any difference.
fn compare_files(report: &str, xml: &str) -> Result<(), String> {
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    let report: Report = serde_json::from_str(&read(report)?).map_err(|e| e.to_string())?;
    let (endpoints, differences, compared) = nmap_differences(&report, &read(xml)?);
    let ours = report
        .endpoints
        .iter()
        .filter(|e| e.status == Status::Tls)
        .count();
    println!(
        "results: {ours} TLS endpoints (fipsprobe), {endpoints} (nmap); {differences} differ; {compared} (endpoint, {NMAP_VERSIONS_LABEL} suite) pairs compared"
    );
    if differences == 0 && ours > 0 {
        Ok(())
    } else {
        Err("the results differ".into())
    }
}

/// Pulls `(ip, port) → {"TLSv1.2:SUITE", ...}` out of nmap's XML without an XML crate: the
/// script output is a flat list of `<table key="TLSv1.2">` … `<elem key="name">SUITE</elem>`.
/// nmap names TLS 1.3 suites with draft names (`TLS_AKE_WITH_AES_128_GCM_SHA256`): they are
/// mapped to the RFC 8446 names (`TLS_AES_128_GCM_SHA256`).
fn parse_nmap_xml(xml: &str) -> BTreeMap<(String, u16), BTreeSet<String>> {
    let mut map: BTreeMap<(String, u16), BTreeSet<String>> = BTreeMap::new();
    for host in xml.split("<host ").skip(1) {
        let ip = host
            .split("addr=\"")
            .nth(1)
            .and_then(|a| a.split('"').next())
            .unwrap_or_default()
            .to_string();
        for port in host.split("<port ").skip(1) {
            let Some(portid) = port
                .split("portid=\"")
                .nth(1)
                .and_then(|p| p.split('"').next())
                .and_then(|p| p.parse().ok())
            else {
                continue;
            };
            if !port.contains("state=\"open\"") || !port.contains("ssl-enum-ciphers") {
                continue;
            }
            let set = map.entry((ip.clone(), portid)).or_default();
            for version in NMAP_VERSIONS {
                let marker = format!("<table key=\"{version}\">");
                if let Some(section) = port.split(&marker).nth(1) {
                    let ciphers = section
                        .split("<table key=\"compressors\">")
                        .next()
                        .unwrap_or("");
                    // The version's table ends where the next one (or the script) begins.
                    let ciphers = ciphers.split("<table key=\"TLSv").next().unwrap_or("");
                    for name in ciphers.split("<elem key=\"name\">").skip(1) {
                        let n = name.split('<').next().unwrap_or_default();
                        let n = n.replace("TLS_AKE_WITH_", "TLS_");
                        set.insert(format!("{version}:{n}"));
                    }
                }
            }
        }
    }
    map
}

/// sslyze's JSON keys for the six cipher-suite scans, with the version each one tests.
const SSLYZE_SCANS: [(&str, Protocol); 6] = [
    ("ssl_2_0_cipher_suites", Protocol::Ssl2),
    ("ssl_3_0_cipher_suites", Protocol::Ssl3),
    ("tls_1_0_cipher_suites", Protocol::Tls10),
    ("tls_1_1_cipher_suites", Protocol::Tls11),
    ("tls_1_2_cipher_suites", Protocol::Tls12),
    ("tls_1_3_cipher_suites", Protocol::Tls13),
];

/// The sslyze command: `$SSLYZE` (split on spaces), else `sslyze`, else `python3 -m sslyze`,
/// whichever answers `--help`.
fn sslyze_command() -> Option<Vec<String>> {
    let candidates: Vec<Vec<String>> = match std::env::var("SSLYZE") {
        Ok(c) if !c.trim().is_empty() => vec![c.split_whitespace().map(String::from).collect()],
        _ => vec![
            vec!["sslyze".into()],
            vec!["python3".into(), "-m".into(), "sslyze".into()],
        ],
    };
    candidates.into_iter().find(|c| {
        Command::new(&c[0])
            .args(&c[1..])
            .arg("--help")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs sslyze once over all the TLS endpoints (SSL 2.0 to TLS 1.3 cipher-suite scans only) and
/// compares the accepted suites per endpoint and version; both sides use IANA names.
fn compare_sslyze(ours: &Run, hosts: u8) {
    let Some(cmd) = sslyze_command() else {
        println!(
            "sslyze not run: not found (set SSLYZE=/path/to/sslyze, or pip install sslyze into a virtualenv)"
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!("fipsprobe-bench-sslyze-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        println!("sslyze not run: {}: {e}", dir.display());
        return;
    }
    let (targets_file, json_file) = (dir.join("targets.txt"), dir.join("out.json"));
    let targets: String = (1..=hosts)
        .flat_map(|h| PORTS.map(|p| format!("127.0.1.{h}:{p}\n")))
        .collect();
    if let Err(e) = std::fs::write(&targets_file, targets) {
        println!("sslyze not run: {}: {e}", targets_file.display());
        return;
    }
    let srv0 = thread_cpu("srv");
    let start = Instant::now();
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .args([
            "--quiet",
            "--mozilla_config",
            "disable",
            "--sslv2",
            "--sslv3",
            "--tlsv1",
            "--tlsv1_1",
            "--tlsv1_2",
            "--tlsv1_3",
            "--targets_in",
        ])
        .arg(&targets_file)
        .arg("--json_out")
        .arg(&json_file)
        .output();
    let wall = start.elapsed();
    let server_cpu = thread_cpu("srv") - srv0;
    let json = match out {
        Ok(o) if o.status.success() => std::fs::read_to_string(&json_file),
        Ok(o) => {
            println!("sslyze failed: {}", String::from_utf8_lossy(&o.stderr));
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        Err(e) => {
            println!("sslyze not run ({e})");
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let parsed = json
        .map_err(|e| e.to_string())
        .and_then(|j| parse_sslyze_json(&j));
    let (version, theirs, errors) = match parsed {
        Ok(p) => p,
        Err(e) => {
            println!("sslyze output not understood: {e}");
            return;
        }
    };
    let mut mine: BTreeMap<(String, u16), BTreeSet<String>> = BTreeMap::new();
    for e in ours
        .report
        .endpoints
        .iter()
        .filter(|e| e.status == Status::Tls)
    {
        let set = mine.entry((e.ip.to_string(), e.port)).or_default();
        for (p, r) in &e.protocols {
            set.extend(r.suites.iter().map(|s| format!("{}:{}", p.label(), s.name)));
        }
    }
    let compared: usize = mine.values().map(BTreeSet::len).sum();
    let (kube, etcd) = (kube_spec(), demo::etcd_non_fips());
    let (mut differences, mut explained) = (0, 0);
    let empty = BTreeSet::new();
    for key in mine.keys().chain(theirs.keys()).collect::<BTreeSet<_>>() {
        let a = mine.get(key).unwrap_or(&empty);
        let b = theirs.get(key).unwrap_or(&empty);
        if a == b || !theirs.contains_key(key) {
            differences += usize::from(a != b);
            continue;
        }
        differences += 1;
        // sslyze tests every TLS 1.2 suite its legacy OpenSSL 1.0.2 knows with that client, which
        // sends no extended_master_secret (OpenSSL 1.1.0+), so a server that requires EMS (RFC
        // 7627, as FIPS 140-3 TLS 1.2 does) rejects them all: sslyze's own --ems scan finds EMS
        // supported on the same server. Those misses are counted apart, not hidden.
        let spec = if key.1 == 6443 { &kube } else { &etcd };
        if spec.require_ems && b.is_subset(a) && a.difference(b).all(|s| s.starts_with("TLSv1.2:"))
        {
            explained += 1;
        }
        if differences <= 3 {
            println!(
                "difference at {}:{}: only fipsprobe {:?}, only sslyze {:?}",
                key.0,
                key.1,
                a.difference(b).collect::<Vec<_>>(),
                b.difference(a).collect::<Vec<_>>(),
            );
        }
    }
    for e in errors.iter().take(3) {
        println!("sslyze error: {e}");
    }
    println!(
        "sslyze {version} --mozilla_config disable --sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3: {} endpoints in {:.2} s wall (servers' CPU {:.2} s); fipsprobe {:.2} s: {:.1}x faster",
        theirs.len(),
        wall.as_secs_f64(),
        server_cpu,
        ours.wall.as_secs_f64(),
        wall.as_secs_f64() / ours.wall.as_secs_f64(),
    );
    println!(
        "results: {} endpoints differ; {} (endpoint, SSLv2-TLS 1.3 suite) pairs compared; {} sslyze scan errors",
        differences,
        compared,
        errors.len()
    );
    if explained > 0 {
        println!(
            "explained: at {explained} of them sslyze misses only TLS 1.2 suites of a server that requires extended_master_secret (sslyze tries those suites with its legacy OpenSSL 1.0.2 client, which never offers EMS); {} unexplained",
            differences - explained
        );
    }
}

/// sslyze's version, `(ip, port) → {"TLSv1.2:SUITE", ...}` from its `--json_out` document, and
/// the scans it could not complete (an endpoint or scan that errored is reported, not guessed).
type SslyzeResults = (
    String,
    BTreeMap<(String, u16), BTreeSet<String>>,
    Vec<String>,
);

fn parse_sslyze_json(json: &str) -> Result<SslyzeResults, String> {
    let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let version = doc["sslyze_version"].as_str().unwrap_or("?").to_string();
    let mut errors: Vec<String> = doc["invalid_server_strings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| format!("invalid target {v}"))
        .collect();
    let mut map: BTreeMap<(String, u16), BTreeSet<String>> = BTreeMap::new();
    let results = doc["server_scan_results"]
        .as_array()
        .ok_or("no server_scan_results")?;
    for server in results {
        let loc = &server["server_location"];
        let ip = loc["ip_address"].as_str().unwrap_or_default().to_string();
        let Some(port) = loc["port"].as_u64().and_then(|p| u16::try_from(p).ok()) else {
            errors.push(format!("no port in {loc}"));
            continue;
        };
        if server["scan_status"].as_str() != Some("COMPLETED") {
            errors.push(format!(
                "{ip}:{port}: {} {}",
                server["connectivity_status"], server["connectivity_error_trace"]
            ));
            continue;
        }
        let set = map.entry((ip.clone(), port)).or_default();
        for (key, protocol) in SSLYZE_SCANS {
            let scan = &server["scan_result"][key];
            if scan["status"].as_str() != Some("COMPLETED") {
                errors.push(format!("{ip}:{port} {key}: {}", scan["error_reason"]));
                continue;
            }
            for suite in scan["result"]["accepted_cipher_suites"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(name) = suite["cipher_suite"]["name"].as_str() {
                    set.insert(format!("{}:{name}", protocol.label()));
                }
            }
        }
    }
    Ok((version, map, errors))
}

async fn sweep(prefix: u8, o: &Options) {
    let range = format!("127.200.0.0/{prefix}");
    let scan0 = scanner_cpu();
    let start = Instant::now();
    let mut seen = 0u64;
    let report = scan::run(
        job(std::slice::from_ref(&range), o),
        Stop::default(),
        |_, _, _| seen += 1,
    )
    .await;
    let wall = start.elapsed();
    println!(
        "sweep {range} x 2 ports: {seen} endpoints in {:.2} s ({:.0} endpoints/s), {} reported, CPU {:.2} s; {}",
        wall.as_secs_f64(),
        seen as f64 / wall.as_secs_f64(),
        report.endpoints.len(),
        scanner_cpu() - scan0,
        memory_line()
    );
}

/// Serves `--hosts` server pairs on 127.0.1.x and relays A.B.C.x:port to them with a delay
/// each way; runs until killed.
async fn serve(net: &str, o: &Options) -> Result<(), String> {
    let servers = start_servers(o.hosts).await?;
    let delay = Duration::from_millis(o.delay_ms);
    for s in &servers {
        let IpAddr::V4(upstream) = s.addr.ip() else {
            continue;
        };
        let host = upstream.octets()[3];
        let listen: SocketAddr = format!("{net}.{host}:{}", s.addr.port())
            .parse()
            .map_err(|e| format!("relay address {net}.{host}: {e}"))?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("relay on {listen}: {e}"))?;
        let upstream = s.addr;
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, delay));
            }
        });
    }
    if let Some(addr) = o.tarpit {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("tarpit on {addr}: {e}"))?;
        tokio::spawn(async move {
            // Accepted and held, never read or answered, until the program ends.
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
    }
    println!(
        "ready: {} servers behind relays on {net}.1-{} (+{} ms each way){}",
        servers.len(),
        o.hosts,
        o.delay_ms,
        o.tarpit
            .map(|a| format!(", a tarpit on {a}"))
            .unwrap_or_default()
    );
    std::future::pending::<()>().await;
    drop(servers);
    Ok(())
}

/// One relayed connection: both directions, each chunk held `delay` before it is passed on.
async fn relay(client: tokio::net::TcpStream, upstream: SocketAddr, delay: Duration) {
    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        delayed_pipe(client_read, server_write, delay),
        delayed_pipe(server_read, client_write, delay)
    );
}

async fn delayed_pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf).await {
            if tx
                .send((tokio::time::Instant::now() + delay, buf[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sslyze_json_gives_suites_per_version_and_errors() {
        let json = r#"{"sslyze_version": "6.3.1", "invalid_server_strings": [],
          "server_scan_results": [
            {"server_location": {"ip_address": "127.0.1.1", "port": 6443},
             "scan_status": "COMPLETED",
             "scan_result": {
               "ssl_2_0_cipher_suites": {"status": "COMPLETED", "result": {"accepted_cipher_suites": []}},
               "tls_1_2_cipher_suites": {"status": "COMPLETED", "result": {"accepted_cipher_suites": [
                 {"cipher_suite": {"name": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}]}},
               "tls_1_3_cipher_suites": {"status": "COMPLETED", "result": {"accepted_cipher_suites": [
                 {"cipher_suite": {"name": "TLS_AES_128_GCM_SHA256"}}]}},
               "tls_1_1_cipher_suites": {"status": "ERROR", "error_reason": "BUG_IN_SSLYZE"}}},
            {"server_location": {"ip_address": "127.0.1.1", "port": 2379},
             "scan_status": "ERROR_NO_CONNECTIVITY", "connectivity_status": "ERROR"}]}"#;
        let (version, map, errors) = parse_sslyze_json(json).unwrap();
        assert_eq!(version, "6.3.1");
        let want: BTreeSet<String> = [
            "TLSv1.2:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLSv1.3:TLS_AES_128_GCM_SHA256",
        ]
        .map(String::from)
        .into();
        assert_eq!(map.get(&("127.0.1.1".into(), 6443)), Some(&want));
        assert!(!map.contains_key(&("127.0.1.1".into(), 2379)));
        // The missing SSLv3/TLS 1.0 scans, the failed TLS 1.1 one and the unreachable endpoint.
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(parse_sslyze_json("not json").is_err());
    }
}

//! Memory benchmark against hostile servers: runs 1 and then 256 hostile endpoints of each kind
//! (endless records, endless certificates, a drip, huge length fields) at once through the
//! library's engine (`probe::spawn`, the CLI's defaults: 256 endpoints at once, 4 connections
//! per address), then all four kinds together, and prints the scanner's peak RSS (VmHWM from
//! /proc/self/status) and the wall time. Each row is a process of its own (this program with
//! `--row`), so no row inherits another's heap.
//!
//! ```sh
//! cargo run --release --example hostile_bench            # every kind, 1 and 256 endpoints
//! cargo run --release --example hostile_bench -- --count 64 --timeout 5s
//! ```
//!
//! The servers (`tests/common/hostile.rs`) run in a child process (this program with `--serve`),
//! so their threads and buffers are not in the figures; each endpoint has an address of its own
//! on 127.0.0.0/8 (so the per-address cap does not serialise them), and the child is killed by
//! its PID at the end. Goal (README): under 64 MiB for one hostile endpoint, under 256 MiB for 256.

#[path = "../tests/common/hostile.rs"]
#[allow(dead_code)]
mod hostile;

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fipsprobe::probe::{self, ProbeConfig, ScanConfig, Stop};
use fipsprobe::targets::{EndpointSpec, Planned};
use hostile::{Hostile, HostileServer};

const KINDS: [&str; 4] = [
    "endless-records",
    "endless-certificates",
    "drip",
    "huge-lengths",
];

fn hostile(kind: &str) -> Hostile {
    match kind {
        "endless-records" => Hostile::EndlessRecords,
        "endless-certificates" => Hostile::EndlessCertificates,
        "drip" => Hostile::Drip {
            every: Duration::from_millis(20),
        },
        _ => Hostile::HugeLengths,
    }
}

/// The address of endpoint `i` of kind number `k`: 127.(20+k).(i/250).(i%250+1).
fn address(k: usize, i: usize, port: u16) -> SocketAddr {
    let [a, b] = [20 + k, i / 250].map(|n| u8::try_from(n).unwrap_or(255));
    let c = u8::try_from(i % 250 + 1).unwrap_or(1);
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, a, b, c)), port)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--serve") => return serve(&args[2..]),
        Some("--row") => return row_process(&args[2..]),
        _ => {}
    }
    let mut count = 256usize;
    let mut timeout = Duration::from_secs(10);
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--count" => count = it.next().and_then(|v| v.parse().ok()).unwrap_or(count),
            "--timeout" => {
                timeout = it
                    .next()
                    .and_then(|v| v.trim_end_matches('s').parse().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(timeout)
            }
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
    }
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "hostile_bench: {build} build, {} CPUs, --timeout {timeout:?}, defaults otherwise (256 at once, 4 per address)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| hostile kind | endpoints | peak RSS | wall time | handshakes | outcome |");
    println!("|---|---|---|---|---|---|");

    for (k, kind) in KINDS.iter().enumerate() {
        for n in [1, count] {
            row(kind, &[(k, kind)], n, n, timeout);
        }
    }
    let all: Vec<(usize, &str)> = KINDS.iter().copied().enumerate().collect();
    row("all four kinds", &all, count, 256, timeout);
    row(
        "all four kinds, --concurrency 1024",
        &all,
        count,
        count * 4,
        timeout,
    );
}

/// Runs one row in a fresh process (`--row`) and passes its line through.
fn row(name: &str, kinds: &[(usize, &str)], n: usize, concurrency: usize, timeout: Duration) {
    let status = Command::new(std::env::current_exe().expect("own path"))
        .arg("--row")
        .args([
            name.to_string(),
            n.to_string(),
            concurrency.to_string(),
            timeout.as_secs().to_string(),
        ])
        .args(kinds.iter().map(|(k, kind)| format!("{k}:{kind}")))
        .stdin(Stdio::null())
        .status();
    if !status.as_ref().is_ok_and(|s| s.success()) {
        println!("| {name} | {n} | (run failed: {status:?}) | | | |");
    }
}

/// One row: `NAME N CONCURRENCY TIMEOUT_S K:KIND...`: starts N servers of each kind in a child,
/// scans them `CONCURRENCY` at once, prints the row.
fn row_process(args: &[String]) {
    let name = args.first().cloned().unwrap_or_default();
    let arg = |i: usize| -> usize { args.get(i).and_then(|v| v.parse().ok()).unwrap_or(1) };
    let (n, concurrency) = (arg(1), arg(2));
    let timeout = Duration::from_secs(u64::try_from(arg(3)).unwrap_or(10));
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .arg("--serve")
        .arg(n.to_string())
        .args(args.iter().skip(4))
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("starting the hostile servers");
    let mut lines = BufReader::new(child.stdout.take().expect("piped"));
    let mut addrs: Vec<SocketAddr> = Vec::new();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        match line.trim() {
            "ready" => break,
            addr => addrs.extend(addr.parse::<SocketAddr>()),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let results = runtime.block_on(scan(&addrs, concurrency, timeout));
    let wall = started.elapsed();
    let peak = rss_mib("VmHWM");
    let _ = child.kill(); // the PID we spawned
    let _ = child.wait();
    let handshakes: u64 = results.iter().map(|e| u64::from(e.handshakes)).sum();
    let mut outcomes: Vec<String> = results
        .iter()
        .map(|e| format!("{:?}", e.status).to_lowercase())
        .collect();
    outcomes.sort();
    outcomes.dedup();
    println!(
        "| {name} | {} | {peak:.1} MiB | {:.1} s | {handshakes} | {} |",
        addrs.len(),
        wall.as_secs_f64(),
        outcomes.join(", ")
    );
    let _ = std::io::stdout().flush();
}

async fn scan(
    addrs: &[SocketAddr],
    concurrency: usize,
    timeout: Duration,
) -> Vec<fipsprobe::model::Observation> {
    let (tx, rx) = tokio::sync::mpsc::channel(addrs.len().max(1));
    for addr in addrs {
        let spec = EndpointSpec {
            target: addr.to_string().into(),
            host: addr.ip().to_string().into(),
            ip: addr.ip(),
            port: addr.port(),
            sni: None,
            explicit: true,
        };
        let _ = tx.send(Planned::Endpoint(spec)).await;
    }
    drop(tx);
    let cfg = ScanConfig {
        probe: ProbeConfig {
            endpoint_timeout: timeout,
            ..ProbeConfig::default()
        },
        concurrency: probe::fit_concurrency(concurrency, 4),
        ..ScanConfig::default()
    };
    let mut results = probe::spawn(rx, cfg, Stop::default());
    let mut out = Vec::new();
    while let Some(e) = results.recv().await {
        out.push(e);
    }
    out
}

/// The child: `N K:KIND...` starts N servers of each kind on their own addresses, prints one
/// address per line, then `ready`, and serves until killed (or 10 minutes).
fn serve(args: &[String]) {
    let n: usize = args.first().and_then(|v| v.parse().ok()).unwrap_or(1);
    let mut servers = Vec::new();
    let mut out = std::io::stdout().lock();
    for spec in args.iter().skip(1) {
        let Some((k, kind)) = spec.split_once(':') else {
            continue;
        };
        let k: usize = k.parse().unwrap_or(0);
        for i in 0..n {
            let server = HostileServer::start_on(address(k, i, 0), hostile(kind));
            let _ = writeln!(out, "{}", server.addr);
            servers.push(server);
        }
    }
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    std::thread::sleep(Duration::from_secs(600));
}

/// A /proc/self/status figure in MiB (`VmHWM`: peak RSS; `VmRSS`: now).
fn rss_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

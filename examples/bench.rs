//! Benchmark harness: stands up many loopback TLS endpoints (in-process rustls servers on
//! 127.0.1.x, ports 6443 and 2379) plus a population of closed addresses, scans them with the
//! real engine, and prints endpoints/s, handshakes/s, wall time and peak RSS. Optionally runs
//! nmap's ssl-enum-ciphers on the same servers, side by side, and compares the results.
//!
//! ```sh
//! cargo run --release --example bench -- --hosts 128 --closed 1024 --nmap
//! cargo run --release --example bench -- --sweep 16      # a /16 of closed addresses, 2 ports
//! ```
//!
//! Every address is on loopback; the servers stop when the program ends.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fipsprobe::demo::{self, CertOptions, KeyKind};
use fipsprobe::policy::{Policy, Waivers};
use fipsprobe::probe::{ScanConfig, Stop};
use fipsprobe::protocol::Protocol;
use fipsprobe::report::model::{Report, Status};
use fipsprobe::scan::{self, ScanJob};
use fipsprobe::targets::{self, StaticResolver, TargetSet};

struct Options {
    hosts: u32,
    closed: u32,
    nmap: bool,
    sweep: Option<u8>,
    concurrency: usize,
}

fn options() -> Options {
    let mut o = Options {
        hosts: 128,
        closed: 1024,
        nmap: false,
        sweep: None,
        concurrency: 512,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--hosts" => o.hosts = value.parse().expect("--hosts N"),
            "--closed" => o.closed = value.parse().expect("--closed N"),
            "--concurrency" => o.concurrency = value.parse().expect("--concurrency N"),
            "--sweep" => o.sweep = Some(value.parse().expect("--sweep PREFIXLEN")),
            "--nmap" => {
                o.nmap = true;
                i += 1;
                continue;
            }
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    o
}

fn main() {
    let o = options();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if let Some(prefix) = o.sweep {
        rt.block_on(sweep(prefix, o.concurrency));
    } else {
        rt.block_on(tls_bench(&o));
    }
}

/// Peak resident set size of this process, from /proc (KiB).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn job(includes: Vec<String>, concurrency: usize) -> ScanJob {
    let includes = includes
        .iter()
        .map(|t| targets::parse_target(t).expect("target"))
        .collect();
    ScanJob {
        targets: TargetSet::new(includes, Vec::new(), vec![6443, 2379], None),
        resolver: Arc::new(StaticResolver::default()),
        config: ScanConfig {
            concurrency: fipsprobe::probe::fit_concurrency(concurrency, 4),
            ..ScanConfig::default()
        },
        policy: Policy::load("fips-140-3").expect("bundled policy"),
        waivers: Waivers::none(),
        args: vec!["bench".into()],
    }
}

async fn tls_bench(o: &Options) {
    let kube_cert = demo::generate_cert(KeyKind::Rsa2048, &CertOptions::default()).expect("cert");
    let etcd_spec = demo::etcd_non_fips();
    let etcd_cert = demo::generate_cert(etcd_spec.key, &CertOptions::default()).expect("cert");
    let kube_spec = demo::kube_apiserver_fips();
    let mut servers = Vec::new();
    for h in 1..=o.hosts {
        let ip = Ipv4Addr::new(127, 0, 1 + (h / 256) as u8, (h % 256) as u8);
        for (spec, cert, port) in [
            (&kube_spec, &kube_cert, 6443),
            (&etcd_spec, &etcd_cert, 2379),
        ] {
            let s = demo::spawn_with_cert(spec, SocketAddr::new(IpAddr::V4(ip), port), cert)
                .await
                .expect("spawn server");
            servers.push(s);
        }
    }
    let last = Ipv4Addr::new(127, 0, 1 + (o.hosts / 256) as u8, (o.hosts % 256) as u8);
    let tls_range = format!("127.0.1.1-{}", last.octets()[3]);
    let tls_range = if o.hosts < 256 {
        tls_range
    } else {
        format!("127.0.1.0/{}", 32 - (o.hosts as f64).log2().ceil() as u32)
    };
    let mut includes = vec![tls_range.clone()];
    if o.closed > 0 {
        let bits = (o.closed as f64).log2().ceil() as u32;
        includes.push(format!("127.0.64.0/{}", 32 - bits));
    }
    println!(
        "fipsprobe bench: {} TLS endpoints ({} hosts x 2 ports, in-process rustls) + {} closed endpoints",
        servers.len(),
        o.hosts,
        2 * (1u64 << (o.closed as f64).log2().ceil() as u32).min(u64::from(o.closed.max(1)) * 2)
    );

    let start = Instant::now();
    let seen = Arc::new(AtomicU64::new(0));
    let seen2 = Arc::clone(&seen);
    let report = scan::run(
        job(includes, o.concurrency),
        Stop::default(),
        move |_, _| {
            seen2.fetch_add(1, Ordering::Relaxed);
        },
    )
    .await;
    let wall = start.elapsed();
    let tls: Vec<_> = report
        .endpoints
        .iter()
        .filter(|e| e.status == Status::Tls)
        .collect();
    let handshakes: u64 = tls.iter().map(|e| u64::from(e.handshakes)).sum();
    println!(
        "fipsprobe: {} endpoints scanned, {} TLS, {} handshakes",
        seen.load(Ordering::Relaxed),
        tls.len(),
        handshakes
    );
    println!(
        "fipsprobe: wall {:.2} s, {:.0} endpoints/s, {:.0} handshakes/s, {:.1} handshakes per TLS endpoint, peak RSS {} MiB",
        wall.as_secs_f64(),
        seen.load(Ordering::Relaxed) as f64 / wall.as_secs_f64(),
        handshakes as f64 / wall.as_secs_f64(),
        handshakes as f64 / tls.len().max(1) as f64,
        peak_rss_kib() / 1024
    );

    if o.nmap {
        compare_nmap(&report, &tls_range, wall).await;
    }
    drop(servers);
}

/// Runs nmap's ssl-enum-ciphers on the same servers and compares TLS 1.0-1.2 results (nmap
/// names TLS 1.3 suites by its own rules, so 1.3 is compared by count only).
async fn compare_nmap(report: &Report, range: &str, ours: Duration) {
    let range = range.to_string();
    let start = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("nmap")
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
                &range,
            ])
            .output()
    })
    .await
    .expect("join");
    let wall = start.elapsed();
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
    let theirs = parse_nmap_xml(&out);
    let mut ours_map: BTreeMap<(String, u16), BTreeSet<String>> = BTreeMap::new();
    for e in report.endpoints.iter().filter(|e| e.status == Status::Tls) {
        let set = ours_map.entry((e.ip.to_string(), e.port)).or_default();
        for (p, r) in &e.protocols {
            if *p >= Protocol::Tls10 && *p <= Protocol::Tls12 {
                for s in &r.suites {
                    set.insert(format!("{}:{}", p.label(), s.name));
                }
            }
        }
    }
    let mut differences = 0;
    for (key, set) in &ours_map {
        let empty = BTreeSet::new();
        let t = theirs.get(key).unwrap_or(&empty);
        if t != set {
            differences += 1;
            if differences <= 3 {
                println!(
                    "difference at {}:{}: fipsprobe {:?} nmap {:?}",
                    key.0, key.1, set, t
                );
            }
        }
    }
    println!(
        "nmap ssl-enum-ciphers: wall {:.2} s on the same {} TLS endpoints; fipsprobe is {:.1}x faster; {} endpoints differ (TLS 1.0-1.2 suites)",
        wall.as_secs_f64(),
        ours_map.len(),
        wall.as_secs_f64() / ours.as_secs_f64(),
        differences
    );
}

/// Pulls `(ip, port) → {"TLSv1.2:SUITE", ...}` out of nmap's XML without an XML crate: the
/// script output is a flat list of `<table key="TLSv1.2">` … `<elem key="name">SUITE</elem>`.
fn parse_nmap_xml(xml: &str) -> BTreeMap<(String, u16), BTreeSet<String>> {
    let mut map: BTreeMap<(String, u16), BTreeSet<String>> = BTreeMap::new();
    let mut ip = String::new();
    for host in xml.split("<host ").skip(1) {
        if let Some(a) = host.split("addr=\"").nth(1) {
            ip = a.split('"').next().unwrap_or_default().to_string();
        }
        for port in host.split("<port ").skip(1) {
            let portid: u16 = port
                .split("portid=\"")
                .nth(1)
                .and_then(|p| p.split('"').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            let set = map.entry((ip.clone(), portid)).or_default();
            for version in ["TLSv1.0", "TLSv1.1", "TLSv1.2"] {
                let marker = format!("<table key=\"{version}\">");
                if let Some(section) = port.split(&marker).nth(1) {
                    let ciphers = section
                        .split("<table key=\"compressors\">")
                        .next()
                        .unwrap_or("");
                    for name in ciphers.split("<elem key=\"name\">").skip(1) {
                        let n = name.split('<').next().unwrap_or_default();
                        set.insert(format!("{version}:{n}"));
                    }
                }
            }
        }
    }
    map
}

async fn sweep(prefix: u8, concurrency: usize) {
    let range = format!("127.200.0.0/{prefix}");
    let start = Instant::now();
    let seen = Arc::new(AtomicU64::new(0));
    let seen2 = Arc::clone(&seen);
    let report = scan::run(
        job(vec![range.clone()], concurrency),
        Stop::default(),
        move |_, _| {
            seen2.fetch_add(1, Ordering::Relaxed);
        },
    )
    .await;
    let wall = start.elapsed();
    let n = seen.load(Ordering::Relaxed);
    println!(
        "sweep {range} x 2 ports: {n} endpoints in {:.2} s ({:.0} endpoints/s), {} reported, peak RSS {} MiB",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        report.endpoints.len(),
        peak_rss_kib() / 1024
    );
}

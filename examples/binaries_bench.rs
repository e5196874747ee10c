//! How fast `fipsprobe binaries` gets through a tree, and how little it reads:
//!
//! ```sh
//! cargo run --release --example binaries_bench -- /usr/bin /usr/lib
//! cargo run --release --example binaries_bench -- --no-hash /usr/bin /usr/lib
//! ```
//!
//! Prints the files opened, the ELF executables reported, the bytes read to inspect them against
//! their total size (and the bytes hashed for `sha256`, unless `--no-hash`), the wall time, the
//! peak resident set (VmHWM from /proc/self/status) and the modules found. The page cache is
//! not dropped: run it twice to see the warm figure.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use fipsprobe::binaries::{self, Options};
use fipsprobe::policy::Policy;

fn main() {
    let mut hash = true;
    let mut paths = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--no-hash" {
            hash = false;
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    if paths.is_empty() {
        paths = vec![PathBuf::from("/usr/bin"), PathBuf::from("/usr/lib")];
    }
    let policy = match Policy::load("fips-140-3") {
        Ok(p) => p,
        Err(e) => {
            eprintln!("binaries_bench: {e}");
            std::process::exit(2);
        }
    };
    let options = Options {
        hash,
        ..Options::default()
    };
    let start = Instant::now();
    let run = match binaries::run(&paths, &policy, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("binaries_bench: {e}");
            std::process::exit(2);
        }
    };
    let wall = start.elapsed();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mut modules: BTreeMap<&str, u64> = BTreeMap::new();
    for b in &run.binaries {
        *modules.entry(b.crypto_module.as_str()).or_default() += 1;
    }
    let unparsed = run.binaries.iter().filter(|b| b.error.is_some()).count();
    println!(
        "paths:            {}",
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("workers:          {}", options.workers);
    println!("files opened:     {} (executable bit set)", run.files);
    println!(
        "ELF executables:  {} reported ({} pass, {} fail, {} not assessed; {} could not be parsed), {} other files skipped",
        run.summary.binaries, run.summary.pass, run.summary.fail, run.summary.not_assessed, unparsed, run.summary.skipped
    );
    println!(
        "bytes inspected:  {:.1} MiB of {:.1} MiB on disk ({:.2}%)",
        mib(run.bytes_inspected),
        mib(run.bytes_total),
        100.0 * run.bytes_inspected as f64 / (run.bytes_total.max(1)) as f64
    );
    if hash {
        println!(
            "bytes hashed:     {:.1} MiB (sha256 of every reported file)",
            mib(run.bytes_hashed)
        );
    }
    println!("wall time:        {:.2} s", wall.as_secs_f64());
    println!(
        "peak RSS:         {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    println!("modules:          {modules:?}");
}

/// VmHWM from /proc/self/status.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
}

//! The fuzz targets' bodies (`fipsprobe::wire::fuzz`) under a stable toolchain, for machines
//! without nightly or cargo-fuzz: the seed captures in `tests/data/*.bin`, then random
//! mutations of them (bit flips, byte overwrites, truncations, splices, length-field maxima)
//! and random bytes, until the time is up. A panic is a bug found: the input is written to
//! `fuzz/artifacts/<target>/` and the program exits 1.
//!
//! ```sh
//! cargo run --release --example fuzz_smoke -- server_flight 60
//! cargo run --release --example fuzz_smoke -- client_hello_roundtrip 60
//! ```
//!
//! This finds less than libFuzzer (no coverage guidance, no sanitizers); `scripts/fuzz-smoke.sh`
//! prefers cargo-fuzz and falls back to this.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).map(String::as_str).unwrap_or("server_flight");
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let body: fn(&[u8]) = match target {
        "server_flight" => fipsprobe::wire::fuzz::server_flight,
        "client_hello_roundtrip" => fipsprobe::wire::fuzz::client_hello_roundtrip,
        other => {
            eprintln!("fuzz_smoke: unknown target {other} (server_flight, client_hello_roundtrip)");
            std::process::exit(2);
        }
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seeds = seeds(&root.join("tests/data"));
    // Panics are what we look for: keep the default hook quiet, report our own way.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(u64::from(std::process::id()) | 1);
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < until {
        for _ in 0..256 {
            let input = if runs < seeds.len() as u64 {
                seeds[runs as usize].clone()
            } else {
                mutate(&mut rng, &seeds)
            };
            runs += 1;
            if std::panic::catch_unwind(|| body(&input)).is_err() {
                let dir = root.join("fuzz/artifacts").join(target);
                let _ = std::fs::create_dir_all(&dir);
                let path = dir.join(format!("crash-{runs}"));
                let _ = std::fs::write(&path, &input);
                eprintln!(
                    "fuzz_smoke {target}: PANIC on input {} ({} bytes) after {runs} runs",
                    path.display(),
                    input.len()
                );
                std::process::exit(1);
            }
        }
    }
    println!(
        "fuzz_smoke {target}: {runs} inputs in {seconds} s from {} seeds, no panic",
        seeds.len()
    );
}

fn seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "bin"))
                .filter_map(|p| std::fs::read(p).ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    // The server-flight target reads its first 4 bytes as chunk sizes: seed both ways.
    let chunked: Vec<Vec<u8>> = out
        .iter()
        .map(|s| [&[7, 1, 200, 3][..], s].concat())
        .collect();
    out.extend(chunked);
    out.push(Vec::new());
    out
}

/// xorshift64*: fast, deterministic per seed, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut input = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(8) {
        let len = input.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 if len > 0 => input.truncate(rng.below(len)),
            3 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len());
                let at = rng.below(len + 1);
                let piece: Vec<u8> = other[from..]
                    .iter()
                    .take(rng.below(64) + 1)
                    .copied()
                    .collect();
                input.splice(at..at, piece);
            }
            // A length field at its maximum, or zero.
            4 if len > 1 => {
                let i = rng.below(len - 1);
                let v = if rng.below(2) == 0 { 0xff } else { 0 };
                input[i] = v;
                input[i + 1] = v;
            }
            5 => {
                let at = rng.below(len + 1);
                let n = rng.below(32) + 1;
                let piece: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                input.splice(at..at, piece);
            }
            _ => {
                input = (0..rng.below(512)).map(|_| rng.next() as u8).collect();
            }
        }
    }
    input
}

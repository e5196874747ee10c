//! The binary half of a FIPS check: which crypto module each executable was built with, from
//! the file alone, graded by the policy's `[[module]]` rules (`fipsprobe binaries`,
//! `scan --binaries`). docs/binaries.md describes what is recognised and how.
//!
//! ```text
//!  walk (paths → files) ──► inspect (read ─► elf ─► goinfo + pclntab | native) ──► grade ──► Binary
//!                                                                       host FIPS facts ──┘
//! ```
//!
//! Files are read with positioned, capped reads ([`read`]): the ELF headers, the Go build
//! information, the Go function-name table or `.rodata`, streamed a chunk at a time, never a
//! whole file into memory. Everything under `binaries/` parses untrusted bytes, so the lints
//! below make "no panic, no unchecked arithmetic" a compiler check; a truncated or hostile file
//! is `not_assessed` with the reason.

#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::arithmetic_side_effects
)]

mod elf;
pub mod fuzz;
mod goinfo;
mod grade;
mod host;
mod inspect;
pub mod model;
mod module;
mod native;
mod pclntab;
mod read;
pub mod table;
mod walk;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub use goinfo::BuildInfo;
pub use host::HostFips;
pub use inspect::{classify_go, Detected, Inspection};
pub use model::{Binary, BinarySummary, GoBuild, Kind};
pub use module::CryptoModule;
pub use read::{FileSource, SliceSource, Source};

use crate::model::Verdict;
use crate::policy::Policy;
use crate::scan::Outcome;

/// Why a file's bytes could not be inspected (the binary is then `not_assessed`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// A structure runs past the end of the file.
    #[error("truncated: {what} at offset {offset} runs past the end of the file ({size} bytes)")]
    Truncated {
        /// The structure.
        what: &'static str,
        /// Where it starts.
        offset: u64,
        /// The file's size.
        size: u64,
    },
    /// A structure is larger than the tool reads.
    #[error("{what} is {len} bytes, more than the {max} this tool reads")]
    TooLarge {
        /// The structure.
        what: &'static str,
        /// Its size.
        len: u64,
        /// The cap.
        max: usize,
    },
    /// A structure does not parse.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// The structure.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The read itself failed.
    #[error("read error: {0}")]
    Io(std::io::ErrorKind),
}

/// Why `binaries` could not run at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum BinariesError {
    /// A path named does not exist.
    #[error("no such file or directory: {0}")]
    NotFound(String),
    /// A directory named could not be read.
    #[error("cannot read {0}: {1}")]
    Unreadable(String, std::io::ErrorKind),
}

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Hash every reported file (SHA-256 of the whole file, streamed).
    pub hash: bool,
    /// Inspections at once (files are independent).
    pub workers: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            hash: true,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// The result of one run.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// Reported files, in walk order.
    pub binaries: Vec<Binary>,
    /// Counts.
    pub summary: BinarySummary,
    /// Files opened.
    pub files: u64,
    /// Their bytes on disk.
    pub bytes_total: u64,
    /// Bytes read to inspect them.
    pub bytes_inspected: u64,
    /// Bytes read to hash the reported ones.
    pub bytes_hashed: u64,
}

/// Inspects every file the paths name and grades each under `policy`.
pub fn run(paths: &[PathBuf], policy: &Policy, options: &Options) -> Result<Run, BinariesError> {
    let candidates = walk::candidates(paths)?;
    let host = HostFips::probe();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Option<Binary>, Stats)>> = Mutex::new(Vec::new());
    let workers = options.workers.clamp(1, 64);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = candidates.get(i) else { break };
                let (binary, stats) = one(c, policy, &host, options.hash);
                results
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((i, binary, stats));
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(i, _, _)| *i);
    let mut run = Run::default();
    let mut skipped: u64 = 0;
    for (_, binary, stats) in results {
        run.files = run.files.saturating_add(1);
        run.bytes_total = run.bytes_total.saturating_add(stats.size);
        run.bytes_inspected = run.bytes_inspected.saturating_add(stats.inspected);
        run.bytes_hashed = run.bytes_hashed.saturating_add(stats.hashed);
        match binary {
            Some(b) => run.binaries.push(b),
            None => skipped = skipped.saturating_add(1),
        }
    }
    run.summary = BinarySummary::of(&run.binaries, skipped);
    Ok(run)
}

#[derive(Default)]
struct Stats {
    size: u64,
    inspected: u64,
    hashed: u64,
}

/// Inspects, grades and hashes one file; `None` when a walk met it and it is not an ELF
/// executable.
fn one(
    c: &walk::Candidate,
    policy: &Policy,
    host: &HostFips,
    hash: bool,
) -> (Option<Binary>, Stats) {
    let path = c.path.display().to_string();
    let opened = File::open(&c.path).and_then(|f| {
        let size = f.metadata()?.len();
        Ok((f, size))
    });
    let (file, size) = match opened {
        Ok(x) => x,
        Err(e) => {
            let inspection = Inspection {
                kind: Kind::Unreadable,
                go: None,
                modules: Vec::new(),
                libraries: Vec::new(),
                notes: Vec::new(),
                error: Some(format!("cannot open: {e}")),
            };
            let b = binary(path, None, 0, &inspection, policy, host);
            return (c.explicit.then_some(b), Stats::default());
        }
    };
    let mut src = FileSource::new(file, size);
    let inspection = inspect::inspect(&mut src);
    let mut stats = Stats {
        size,
        inspected: src.bytes_read(),
        hashed: 0,
    };
    if !c.explicit && !inspection.is_executable() {
        return (None, stats);
    }
    let file = src.into_file();
    let sha256 = if hash {
        match sha256_file(&file, size) {
            Ok(h) => {
                stats.hashed = size;
                Some(h)
            }
            Err(_) => None,
        }
    } else {
        None
    };
    (
        Some(binary(path, sha256, size, &inspection, policy, host)),
        stats,
    )
}

fn binary(
    path: String,
    sha256: Option<String>,
    size: u64,
    inspection: &Inspection,
    policy: &Policy,
    host: &HostFips,
) -> Binary {
    let (findings, verdict) = grade::grade(inspection, policy, host);
    let first = inspection.modules.first();
    Binary {
        path,
        sha256,
        size,
        kind: inspection.kind,
        go_version: inspection
            .go
            .as_ref()
            .and_then(|g| g.version.split_whitespace().next().map(str::to_string)),
        crypto_module: first
            .map_or(CryptoModule::Unknown, |d| d.module)
            .to_string(),
        module_version: first.and_then(|d| d.version.clone()),
        fips_only: first.and_then(|d| d.fips_only),
        modules: if inspection.modules.len() > 1 {
            inspection
                .modules
                .iter()
                .map(|d| d.module.to_string())
                .collect()
        } else {
            Vec::new()
        },
        libraries: inspection.libraries.clone(),
        go: inspection.go.clone(),
        error: inspection.error.clone(),
        findings,
        verdict,
    }
}

/// SHA-256 of a whole file, streamed with positioned reads.
fn sha256_file(file: &File, size: u64) -> std::io::Result<String> {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buf = vec![0u8; read::STREAM_CHUNK];
    let mut at: u64 = 0;
    while at < size {
        let n = file.read_at(&mut buf, at)?;
        if n == 0 {
            break;
        }
        ctx.update(buf.get(..n).unwrap_or_default());
        at = at.saturating_add(n as u64);
    }
    Ok(ctx
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The exit outcome of a set of binaries: fail when any fails; incomplete when any is not
/// assessed or there are none; pass otherwise.
pub fn outcome(binaries: &[Binary]) -> Outcome {
    if binaries.iter().any(|b| b.verdict == Verdict::Fail) {
        Outcome::Fail
    } else if binaries.is_empty() || binaries.iter().any(|b| b.verdict == Verdict::NotAssessed) {
        Outcome::Incomplete
    } else {
        Outcome::Pass
    }
}

/// Inspects bytes in memory and grades them (tests, fuzzing, library users).
pub fn inspect_bytes(data: &[u8], policy: &Policy, host: &HostFips) -> Binary {
    let mut src = SliceSource::new(data);
    let inspection = inspect::inspect(&mut src);
    binary(
        "<memory>".into(),
        None,
        data.len() as u64,
        &inspection,
        policy,
        host,
    )
}

/// Puts a run's binaries and their counts into a report.
pub fn attach(report: &mut crate::model::Report, run: Run) {
    report.summary.binaries = Some(run.summary);
    report.binaries = run.binaries;
}

/// The binaries of several reports (shards) in one: each path and hash once, in order.
pub fn merge_into<'a>(
    mut merged: crate::model::Report,
    reports: impl Iterator<Item = &'a crate::model::Report>,
) -> crate::model::Report {
    let mut skipped: u64 = 0;
    for r in reports {
        skipped = skipped.max(r.summary.binaries.as_ref().map_or(0, |s| s.skipped));
        for b in &r.binaries {
            if !merged
                .binaries
                .iter()
                .any(|m| m.path == b.path && m.sha256 == b.sha256)
            {
                merged.binaries.push(b.clone());
            }
        }
    }
    if !merged.binaries.is_empty() {
        merged.summary.binaries = Some(BinarySummary::of(&merged.binaries, skipped));
    }
    merged
}

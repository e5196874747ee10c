//! Which files `fipsprobe binaries PATH...` inspects. A file named is always inspected. A
//! directory named is walked recursively, in name order, for regular files with an execute
//! bit; a symbolic link met inside is followed once, and only when its target lies inside the
//! directory named (a walk never leaves what it was given). Each file (device and inode) is
//! inspected once, under the first path it was met by.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::BinariesError;

/// Directory levels descended at most: deeper trees are cut there, not followed forever.
pub const MAX_DEPTH: usize = 64;

/// A file to inspect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The path to report.
    pub path: PathBuf,
    /// Named on the command line (reported whatever it is) rather than met in a walk
    /// (reported only when it is an ELF executable).
    pub explicit: bool,
}

/// Expands the paths named into files; a path that does not exist is bad input.
pub fn candidates(paths: &[PathBuf]) -> Result<Vec<Candidate>, BinariesError> {
    for p in paths {
        if std::fs::metadata(p).is_err() {
            return Err(BinariesError::NotFound(p.display().to_string()));
        }
    }
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| BinariesError::Unreadable(p.display().to_string(), e.kind()))?;
        if meta.is_dir() {
            walk(p, &mut seen, &mut out)?;
        } else if seen.insert((meta.dev(), meta.ino())) {
            out.push(Candidate {
                path: p.clone(),
                explicit: true,
            });
        }
    }
    Ok(out)
}

fn walk(
    root: &Path,
    seen: &mut HashSet<(u64, u64)>,
    out: &mut Vec<Candidate>,
) -> Result<(), BinariesError> {
    let canonical_root = std::fs::canonicalize(root)
        .map_err(|e| BinariesError::Unreadable(root.display().to_string(), e.kind()))?;
    let mut dirs_seen: HashSet<(u64, u64)> = HashSet::new();
    let mut stack: Vec<(PathBuf, usize)> = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&dir) else {
            continue;
        };
        if !dirs_seen.insert((meta.dev(), meta.ino())) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let meta = if kind.is_symlink() {
                // Followed once, and only inside what was named.
                let Ok(target) = std::fs::canonicalize(&path) else {
                    continue;
                };
                if !target.starts_with(&canonical_root) {
                    continue;
                }
                let Ok(m) = std::fs::metadata(&target) else {
                    continue;
                };
                m
            } else {
                let Ok(m) = entry.metadata() else { continue };
                m
            };
            if meta.is_dir() {
                if depth < MAX_DEPTH {
                    subdirs.push((path, depth.saturating_add(1)));
                }
            } else if meta.is_file()
                && meta.mode() & 0o111 != 0
                && seen.insert((meta.dev(), meta.ino()))
            {
                out.push(Candidate {
                    path,
                    explicit: false,
                });
            }
        }
        // Depth-first in name order: push in reverse so the first name is walked first.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

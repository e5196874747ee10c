//! `-iL FILE`: target lists, one or more targets per line (separated by whitespace or commas),
//! `#` comments, blank lines ignored. Every error names the list and the line.

use std::io::{BufRead, BufReader, Read};

use super::spec::parse_target_list;
use super::{Problem, TargetError, TargetSet, TargetSpec};

/// Longest line of a target list we read: thousands of targets fit on one, and a longer line
/// is refused rather than buffered.
pub const MAX_LINE_LEN: usize = 64 * 1024;

impl TargetSet {
    /// Reads the target list `-iL PATH` names: `-` is stdin, anything else a file path.
    pub fn read_list_path(path: &str) -> Result<Vec<TargetSpec>, TargetError> {
        if path == "-" {
            return TargetSet::read_list(std::io::stdin().lock(), "-");
        }
        let file = std::fs::File::open(path).map_err(|error| TargetError::Read {
            source_name: path.to_string(),
            error,
        })?;
        TargetSet::read_list(BufReader::new(file), path)
    }

    /// Reads a target list. `source` names it in errors (`targets.txt:3: invalid target …`).
    pub fn read_list(
        mut reader: impl BufRead,
        source: &str,
    ) -> Result<Vec<TargetSpec>, TargetError> {
        let mut specs = Vec::new();
        let mut buf = Vec::new();
        let mut line = 0usize;
        loop {
            buf.clear();
            let limit = u64::try_from(MAX_LINE_LEN)
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            let read = reader
                .by_ref()
                .take(limit)
                .read_until(b'\n', &mut buf)
                .map_err(|error| TargetError::Read {
                    source_name: source.to_string(),
                    error,
                })?;
            if read == 0 {
                return Ok(specs);
            }
            line += 1;
            let in_list = |error| TargetError::InList {
                source_name: source.to_string(),
                line,
                error: Box::new(error),
            };
            if buf.len() > MAX_LINE_LEN {
                return Err(in_list(TargetError::LineTooLong { max: MAX_LINE_LEN }));
            }
            let text = std::str::from_utf8(&buf).map_err(|_| {
                in_list(TargetError::Target {
                    target: String::from_utf8_lossy(&buf).trim().to_string(),
                    problem: Problem::NotUtf8,
                })
            })?;
            let content = text.split('#').next().unwrap_or_default();
            specs.extend(parse_target_list(content).map_err(in_list)?);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn texts(list: &str) -> Vec<String> {
        TargetSet::read_list(list.as_bytes(), "t.txt")
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn reads_targets_comments_and_blank_lines() {
        let list = "# control plane\n10.0.0.1\n\n  node1.example.com:2379  # etcd\n\
                    10.0.1.0/24 [::1]:6443,10.0.0.9\r\n10.0.0,2.1\n# end";
        assert_eq!(
            texts(list),
            [
                "10.0.0.1",
                "node1.example.com:2379",
                "10.0.1.0/24",
                "[::1]:6443",
                "10.0.0.9",
                "10.0.0,2.1"
            ]
        );
        assert!(texts("").is_empty());
    }

    #[test]
    fn errors_name_the_source_and_line() {
        let e = TargetSet::read_list("10.0.0.1\n# c\n10.0.0.300\n".as_bytes(), "fleet.txt")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"fleet.txt:3: invalid target "10.0.0.300": octet 300 out of range"#
        );
        let e = TargetSet::read_list(&b"ok\n\xff\xfe\n"[..], "-").unwrap_err();
        assert!(e.to_string().starts_with("-:2: invalid target"), "{e}");
        assert!(e.to_string().ends_with("not UTF-8 text"), "{e}");
    }

    #[test]
    fn long_lines_and_tokens_are_named_briefly() {
        let huge = format!("10.0.0.1\n{}\n", "a".repeat(10 * 1024 * 1024));
        let e = TargetSet::read_list(huge.as_bytes(), "t.txt").unwrap_err();
        assert_eq!(e.to_string(), "t.txt:2: line longer than 65536 bytes");
        let long = format!("{}.example", "a".repeat(70_000 / 2));
        let e = TargetSet::read_list(format!("{long} {long}x").as_bytes(), "t.txt");
        assert!(e.is_err());
        let bad = format!("{}!", "b".repeat(1000));
        let e = TargetSet::read_list(bad.as_bytes(), "t.txt")
            .unwrap_err()
            .to_string();
        assert!(e.len() < 200, "{e}");
        assert!(e.contains("…(1001 bytes)"), "{e}");
    }

    #[test]
    fn reads_a_list_by_path_and_names_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("targets.txt");
        std::fs::write(&path, "10.0.0.1 # one\n10.0.0.2\n").unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(TargetSet::read_list_path(path).unwrap().len(), 2);
        let missing = dir.path().join("missing.txt");
        let e = TargetSet::read_list_path(missing.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("reading {}: ", missing.display())),
            "{e}"
        );
    }
}

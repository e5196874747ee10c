//! The `binaries` entries of the JSON report (schema version 1) and their summary: serde types
//! only, no I/O. Keys are added with `#[serde(default)]`, never renamed.

use serde::{Deserialize, Serialize};

use crate::model::{Finding, Verdict};

/// One inspected file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Binary {
    /// The path as found (under a directory named, or as named).
    pub path: String,
    /// Lower-case hex SHA-256 of the whole file; null when hashing was turned off or the file
    /// could not be read.
    pub sha256: Option<String>,
    /// Bytes on disk.
    pub size: u64,
    /// What the file is.
    pub kind: Kind,
    /// The Go toolchain (`go1.23.5`), for Go binaries.
    pub go_version: Option<String>,
    /// The crypto module it was built with (`go-boringcrypto`, `openssl`, ..., `unknown`).
    pub crypto_module: String,
    /// The module's version where known (`v1.0.0-c2097c7c`, `3` of `libcrypto.so.3`).
    pub module_version: Option<String>,
    /// True when TLS is restricted to FIPS settings (`crypto/tls/fipsonly` linked, or
    /// `fips140=only`); null where that does not apply or could not be told.
    pub fips_only: Option<bool>,
    /// Every crypto module found, when there is more than one (`crypto_module` is the first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// Crypto libraries it links (`DT_NEEDED`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<String>,
    /// Go build facts, for Go binaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go: Option<GoBuild>,
    /// Why the file could not be inspected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Graded findings.
    pub findings: Vec<Finding>,
    /// The grade.
    pub verdict: Verdict,
}

/// What a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A Go executable (has Go build information).
    Go,
    /// Any other ELF executable.
    Elf,
    /// An ELF file that is not an executable (shared library, object).
    ElfLibrary,
    /// A script (`#!`).
    Script,
    /// An empty file.
    Empty,
    /// Something else.
    NotElf,
    /// Could not be opened or read.
    Unreadable,
}

impl Kind {
    /// The JSON spelling (`elf_library`), as labels and other formats write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Go => "go",
            Kind::Elf => "elf",
            Kind::ElfLibrary => "elf_library",
            Kind::Script => "script",
            Kind::Empty => "empty",
            Kind::NotElf => "not_elf",
            Kind::Unreadable => "unreadable",
        }
    }
}

/// Go build facts from the build information and the function table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoBuild {
    /// The version string as written (`go1.23.5 X:boringcrypto`).
    pub version: String,
    /// Experiments (` X:` suffix and `GOEXPERIMENT`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub experiments: Vec<String>,
    /// `GOFIPS140`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gofips140: Option<String>,
    /// `fips140=` in `DefaultGODEBUG`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub godebug_fips140: Option<String>,
    /// `CGO_ENABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgo_enabled: Option<String>,
    /// `-tags`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The main package path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The main module path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_module: Option<String>,
    /// The main module version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_version: Option<String>,
    /// The function table's format (`go1.20+`); null when the binary has none.
    #[serde(default)]
    pub function_table: Option<String>,
    /// For go-fips140: true when the module is a frozen snapshot (`GOFIPS140=v1.0.0-...`),
    /// false when it is the toolchain's in-tree code (`GOFIPS140=latest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fips140_frozen: Option<bool>,
}

/// Counts over a report's binaries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinarySummary {
    /// Entries in `binaries`.
    pub binaries: u64,
    /// Verdict pass.
    pub pass: u64,
    /// Verdict fail.
    pub fail: u64,
    /// Verdict not_assessed.
    pub not_assessed: u64,
    /// Files met in directories that are not ELF executables (scripts, libraries), left out.
    #[serde(default)]
    pub skipped: u64,
}

impl BinarySummary {
    /// Counts `binaries`, with `skipped` files left out of them.
    pub fn of(binaries: &[Binary], skipped: u64) -> BinarySummary {
        let mut s = BinarySummary {
            binaries: binaries.len() as u64,
            skipped,
            ..BinarySummary::default()
        };
        for b in binaries {
            let slot = match b.verdict {
                Verdict::Pass => &mut s.pass,
                Verdict::Fail => &mut s.fail,
                Verdict::NotAssessed => &mut s.not_assessed,
            };
            *slot = slot.saturating_add(1);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_as_str_is_the_json_spelling() {
        for kind in [
            Kind::Go,
            Kind::Elf,
            Kind::ElfLibrary,
            Kind::Script,
            Kind::Empty,
            Kind::NotElf,
            Kind::Unreadable,
        ] {
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::String(kind.as_str().to_string()))
            );
        }
    }
}

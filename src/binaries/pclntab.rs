//! Go's function table (`.gopclntab`): the names of every function linked into a Go binary.
//! The linker keeps it in stripped binaries too (`-ldflags=-s -w`, `strip`), since the runtime
//! needs it for stack traces, so it says which crypto packages a program really contains.
//!
//! Header (Go's `debug/gosym`, `runtime/symtab.go`): a 4-byte magic in the file's byte order
//! (`0xfffffffb` Go 1.2-1.15, `0xfffffffa` Go 1.16-1.17, `0xfffffff0` Go 1.18-1.19,
//! `0xfffffff1` Go 1.20+), two zero bytes, the PC quantum (1, 2 or 4), the pointer size (4 or
//! 8), then pointer-sized words. From Go 1.16 on, word 2 (1.16) or 3 (1.18+) is the offset of
//! `funcnametab`, a run of NUL-terminated names that ends where the next table (`cutab`, the
//! following word) starts. Go 1.2-1.15 has no such table: the names sit among the other
//! tables, so the whole section is scanned for NUL-delimited names.
//!
//! The names are streamed ([`STREAM_CHUNK`](super::read::STREAM_CHUNK) at a time) and matched
//! as they pass; nothing but the markers found is kept.

use super::elf::Elf;
use super::read::{Endian, Source};
use super::InspectError;

/// The largest function table scanned. Kubernetes' kube-apiserver has one of about 30 MB; a
/// table past this cap is reported, not half-read.
pub const MAX_TABLE: u64 = 512 << 20;
/// The bytes of each name kept for matching: every marker is a prefix far shorter than this,
/// and generic instantiations can make names kilobytes long.
pub const NAME_PREFIX: usize = 512;

const MAGIC_12: u32 = 0xffff_fffb;
const MAGIC_116: u32 = 0xffff_fffa;
const MAGIC_118: u32 = 0xffff_fff0;
const MAGIC_120: u32 = 0xffff_fff1;

/// What the function table says about a program's crypto.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Functions {
    /// Which table format (`go1.20+`, ...).
    pub format: &'static str,
    /// Names scanned.
    pub names: u64,
    /// Some function name contains `crypto` (Go's crypto packages, x/crypto, third-party).
    pub crypto: bool,
    /// `crypto/internal/boring/sig.BoringCrypto`: BoringCrypto is linked (rsc/goversion).
    pub boring_sig: bool,
    /// `crypto/internal/boring/sig.StandardCrypto`: Go's own crypto.
    pub standard_sig: bool,
    /// `crypto/internal/boring/sig.FIPSOnly` or `crypto/tls/fipsonly.*`: `crypto/tls/fipsonly`
    /// is imported, restricting TLS to FIPS-approved settings.
    pub fips_only: bool,
    /// `_Cfunc__goboringcrypto_*`: cgo calls into a goboringcrypto C API.
    pub goboringcrypto_cfunc: bool,
    /// An OpenSSL backend (`_goboringcrypto_DLOPEN_OPENSSL` in Red Hat's Go < 1.22,
    /// `github.com/golang-fips/openssl` in Red Hat's >= 1.22 and Microsoft's).
    pub openssl_backend: bool,
    /// `crypto/internal/fips140/...` is linked (Go 1.24+'s native module).
    pub fips140: bool,
    /// The frozen snapshot the fips140 packages come from (`v1.0.0-c2097c7c` in
    /// `crypto/internal/fips140/v1.0.0-c2097c7c/aes.New`), when one is used.
    pub fips140_snapshot: Option<String>,
}

/// Finds the function table and scans its names; `Ok(None)` when the file has none.
pub fn read(elf: &Elf, src: &mut dyn Source) -> Result<Option<Functions>, InspectError> {
    // Internally linked PIE binaries keep the table in `.data.rel.ro.gopclntab`
    // (`cmd/internal/objfile`).
    let Some(section) = elf
        .section(".gopclntab")
        .or_else(|| elf.section(".data.rel.ro.gopclntab"))
    else {
        return Ok(None);
    };
    if section.size > MAX_TABLE {
        return Err(InspectError::TooLarge {
            what: "Go function table",
            len: section.size,
            max: usize::try_from(MAX_TABLE).unwrap_or(usize::MAX),
        });
    }
    let header = src.read(
        section.offset,
        64.min(section.size),
        64,
        "Go function table header",
    )?;
    let layout = Layout::parse(&header, elf.endian).ok_or(InspectError::Malformed {
        what: "Go function table",
        detail: "unknown header".into(),
    })?;
    let (start, end) = match layout.names {
        Some((start, end)) if start <= end && end <= section.size => (start, end),
        Some(_) => {
            return Err(InspectError::Malformed {
                what: "Go function table",
                detail: "name table outside the section".into(),
            })
        }
        None => (0, section.size),
    };
    let mut scan = NameScan::default();
    src.stream(
        section.offset.saturating_add(start),
        end.saturating_sub(start),
        "Go function names",
        &mut |chunk| {
            scan.feed(chunk);
            true
        },
    )?;
    scan.finish();
    let mut f = scan.found;
    f.format = layout.format;
    Ok(Some(f))
}

/// Where the names are, from the header.
struct Layout {
    format: &'static str,
    /// `[start, end)` of `funcnametab` relative to the table, when the format has one.
    names: Option<(u64, u64)>,
}

impl Layout {
    fn parse(h: &[u8], endian: Endian) -> Option<Layout> {
        let magic = u32::try_from(endian.u32(h, 0)?).ok()?;
        let (pad, quantum, ptr) = (h.get(4..6)?, *h.get(6)?, *h.get(7)?);
        if pad != [0, 0] || !matches!(quantum, 1 | 2 | 4) || !matches!(ptr, 4 | 8) {
            return None;
        }
        let wide = ptr == 8;
        let word = |i: usize| -> Option<u64> {
            let at = i.checked_mul(usize::from(ptr))?.checked_add(8)?;
            endian.word(h, at, wide)
        };
        match magic {
            MAGIC_120 | MAGIC_118 => Some(Layout {
                format: if magic == MAGIC_120 {
                    "go1.20+"
                } else {
                    "go1.18"
                },
                names: Some((word(3)?, word(4)?)),
            }),
            MAGIC_116 => Some(Layout {
                format: "go1.16",
                names: Some((word(2)?, word(3)?)),
            }),
            MAGIC_12 => Some(Layout {
                format: "go1.2",
                names: None,
            }),
            _ => None,
        }
    }
}

/// Splits a stream into NUL-terminated names and matches each one.
#[derive(Default)]
pub struct NameScan {
    current: Vec<u8>,
    /// What the names matched so far.
    pub found: Functions,
}

impl NameScan {
    /// Feeds the next bytes of the stream.
    pub fn feed(&mut self, chunk: &[u8]) {
        for (part, terminated) in super::read::split_nul(chunk) {
            self.push(part);
            if terminated {
                self.name_done();
            }
        }
    }

    /// Ends the stream (a last name without its NUL).
    pub fn finish(&mut self) {
        self.name_done();
    }

    fn push(&mut self, part: &[u8]) {
        let room = NAME_PREFIX.saturating_sub(self.current.len());
        self.current
            .extend_from_slice(part.get(..room.min(part.len())).unwrap_or_default());
    }

    fn name_done(&mut self) {
        if !self.current.is_empty() {
            let name = std::mem::take(&mut self.current);
            self.matches(&name);
            self.current = name;
            self.current.clear();
        }
    }

    fn matches(&mut self, name: &[u8]) {
        let f = &mut self.found;
        f.names = f.names.saturating_add(1);
        f.openssl_backend |= contains(name, b"github.com/golang-fips/openssl");
        if !contains(name, b"crypto") {
            return;
        }
        f.crypto = true;
        const SIG: &[u8] = b"crypto/internal/boring/sig.";
        if let Some(rest) = name.strip_prefix(SIG) {
            f.boring_sig |= rest.starts_with(b"BoringCrypto");
            f.standard_sig |= rest.starts_with(b"StandardCrypto");
            f.fips_only |= rest.starts_with(b"FIPSOnly");
        }
        f.fips_only |= name.starts_with(b"crypto/tls/fipsonly.");
        if contains(name, b"_Cfunc__goboringcrypto_") {
            f.goboringcrypto_cfunc = true;
            f.openssl_backend |= contains(name, b"DLOPEN_OPENSSL");
        }
        if let Some(rest) = name.strip_prefix(b"crypto/internal/fips140/") {
            f.fips140 = true;
            if f.fips140_snapshot.is_none() {
                f.fips140_snapshot = snapshot(rest);
            }
        }
    }
}

/// `v1.0.0-c2097c7c` from `v1.0.0-c2097c7c/aes.New`; `None` for the in-tree packages
/// (`aes.New`, `sha256.(*Digest).Write`).
fn snapshot(rest: &[u8]) -> Option<String> {
    let end = rest.iter().position(|b| *b == b'/')?;
    let component = rest.get(..end)?;
    let looks_like_version =
        component.first() == Some(&b'v') && component.get(1).is_some_and(u8::is_ascii_digit);
    looks_like_version.then(|| String::from_utf8_lossy(component).into_owned())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn scan(names: &[&str]) -> Functions {
        let mut s = NameScan::default();
        let joined: Vec<u8> = names.iter().flat_map(|n| n.bytes().chain([0])).collect();
        // Fed in two-byte pieces, so every name straddles a chunk boundary.
        for chunk in joined.chunks(2) {
            s.feed(chunk);
        }
        s.finish();
        s.found
    }

    #[test]
    fn markers_across_chunks() {
        let f = scan(&[
            "runtime.main",
            "crypto/internal/boring/sig.BoringCrypto",
            "crypto/tls/fipsonly.init.0",
        ]);
        assert!(f.crypto && f.boring_sig && f.fips_only && !f.standard_sig);
        assert_eq!(f.names, 3);
        let f = scan(&["main.main", "fmt.Println"]);
        assert!(!f.crypto);
    }

    #[test]
    fn fips140_snapshot_is_read_from_the_path() {
        let f = scan(&["crypto/internal/fips140/v1.0.0-c2097c7c/aes.New"]);
        assert_eq!(f.fips140_snapshot.as_deref(), Some("v1.0.0-c2097c7c"));
        let f = scan(&[
            "crypto/internal/fips140/aes.New",
            "crypto/internal/fips140/sha256.New",
        ]);
        assert!(f.fips140);
        assert_eq!(f.fips140_snapshot, None);
    }

    #[test]
    fn openssl_backends() {
        assert!(
            scan(&["crypto/internal/boring._Cfunc__goboringcrypto_DLOPEN_OPENSSL"]).openssl_backend
        );
        assert!(scan(&["vendor/github.com/golang-fips/openssl/v2.dlopen"]).openssl_backend);
        assert!(
            !scan(&["crypto/internal/boring._Cfunc__goboringcrypto_AES_encrypt"]).openssl_backend
        );
    }
}

//! Go build information: the version string and module information the Go linker writes into
//! every binary (read by `go version -m`), found from the `.go.buildinfo` section or, without
//! one, from the start of the first data segment.
//!
//! Layout (Go's `debug/buildinfo`, `cmd/link` `buildinfo`): a 16-byte-aligned 32-byte header
//! that starts with the 14-byte magic `\xff Go buildinf:`, then the pointer size and a flags
//! byte. With flag 2 (Go 1.18+) the version and the module information follow the header as
//! two uvarint-length-prefixed strings; otherwise (Go 1.13-1.17) the header holds two
//! addresses of Go string headers `{data pointer, length}` in the byte order of flag 1. The
//! module information is framed by two 16-byte sentinels and holds lines
//! `path\t...`, `mod\tPATH\tVERSION\tSUM`, `dep\t...` and `build\tKEY=VALUE`, a value being
//! Go-quoted when it holds spaces, tabs, newlines or quotes (`runtime/debug.BuildInfo.String`).

use super::elf::Elf;
use super::read::{Endian, Source};
use super::InspectError;

/// `\xff Go buildinf:`.
const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// The header the magic starts.
const HEADER_LEN: usize = 32;
/// The header's alignment.
const ALIGN: usize = 16;
/// How far into the data segment the magic is looked for when there is no `.go.buildinfo`
/// section: the linker puts the blob at its start; 1 MiB leaves room for odd layouts.
pub const MAX_SEARCH: usize = 1 << 20;
/// The most build-information bytes read: the module list of a large program (Kubernetes:
/// a few hundred dependencies, about 40 KB) fits many times over.
pub const MAX_BLOB: usize = 1 << 20;
/// The longest version or module string accepted.
pub const MAX_STRING: u64 = 1 << 20;

/// The build information of one Go binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// The version string as written (`go1.23.5 X:boringcrypto`).
    pub version: String,
    /// The main package path (`path` line).
    pub path: Option<String>,
    /// The main module path and version (`mod` line).
    pub main_module: Option<(String, String)>,
    /// `build` settings in order, unquoted.
    pub settings: Vec<(String, String)>,
}

impl BuildInfo {
    /// The value of build setting `key` (`CGO_ENABLED`, `GOFIPS140`, `-tags`, ...).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The toolchain version alone (`go1.23.5`).
    pub fn go_version(&self) -> &str {
        self.version.split_whitespace().next().unwrap_or("")
    }

    /// Experiments: the version's ` X:a,b` suffix and the `GOEXPERIMENT` setting.
    pub fn experiments(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let from_version = self
            .version
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("X:"));
        let from_setting = self.setting("GOEXPERIMENT").into_iter();
        for list in from_version.chain(from_setting) {
            for e in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                if !out.iter().any(|o| o == e) {
                    out.push(e.to_string());
                }
            }
        }
        out
    }

    /// The value `key` takes in the binary's default GODEBUG (`DefaultGODEBUG` setting; the
    /// last occurrence wins, as at run time).
    pub fn default_godebug(&self, key: &str) -> Option<&str> {
        self.setting("DefaultGODEBUG")?
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim())
            .next_back()
    }

    /// Build tags (`-tags` setting, comma-separated).
    pub fn tags(&self) -> Vec<&str> {
        self.setting("-tags")
            .map(|t| t.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }
}

/// Finds and decodes the build information; `Ok(None)` when the file has none (not Go).
pub fn read(elf: &Elf, src: &mut dyn Source) -> Result<Option<BuildInfo>, InspectError> {
    let (offset, len) = match elf.section(".go.buildinfo") {
        Some(s) => (s.offset, s.size),
        None => match elf.first_data_segment() {
            Some(seg) => (seg.offset, seg.filesz.min(MAX_SEARCH as u64)),
            None => return Ok(None),
        },
    };
    let data = src.read_up_to(offset, len, MAX_SEARCH, "Go build information")?;
    let Some(at) = find_magic(&data) else {
        return Ok(None);
    };
    let Some(blob) = data.get(at..) else {
        return Ok(None);
    };
    // Inline strings may run past the section as read when it was cut at MAX_SEARCH; read
    // the blob again from its own start, capped, in that case.
    let blob = if blob.len() < MAX_BLOB && data.len() == MAX_SEARCH {
        src.read_up_to(
            offset.saturating_add(at as u64),
            MAX_BLOB as u64,
            MAX_BLOB,
            "Go build information",
        )?
    } else {
        blob.to_vec()
    };
    decode(&blob, &mut |vaddr, n| {
        let off = elf
            .file_offset(vaddr, n)
            .ok_or_else(|| malformed("Go build information points outside the file"))?;
        let cap = usize::try_from(MAX_STRING).unwrap_or(usize::MAX);
        src.read(off, n, cap, "Go build information string")
    })
    .map(Some)
}

/// The offset of the first 16-byte-aligned magic followed by a whole header.
fn find_magic(data: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    loop {
        let rest = data.get(at..)?;
        let i = rest.windows(MAGIC.len()).position(|w| w == MAGIC)?;
        let pos = at.checked_add(i)?;
        if pos % ALIGN == 0 && data.len().saturating_sub(pos) >= HEADER_LEN {
            return Some(pos);
        }
        at = pos.checked_add(1)?;
    }
}

/// Decodes a blob that starts with the header; `read_vaddr(address, length)` reads memory for
/// the pointer form (Go 1.13-1.17).
pub fn decode(
    blob: &[u8],
    read_vaddr: &mut dyn FnMut(u64, u64) -> Result<Vec<u8>, InspectError>,
) -> Result<BuildInfo, InspectError> {
    if !blob.starts_with(MAGIC) || blob.len() < HEADER_LEN {
        return Err(malformed("no build information header"));
    }
    let ptr_size = *blob.get(14).unwrap_or(&0);
    let flags = *blob.get(15).unwrap_or(&0);
    let (version, modinfo) = if flags & 2 != 0 {
        let rest = blob.get(HEADER_LEN..).unwrap_or_default();
        let (version, rest) =
            uvarint_string(rest).ok_or_else(|| malformed("bad version string"))?;
        let (modinfo, _) = uvarint_string(rest).unwrap_or((Vec::new(), &[]));
        (version, modinfo)
    } else {
        let endian = if flags & 1 != 0 {
            Endian::Big
        } else {
            Endian::Little
        };
        let wide = match ptr_size {
            4 => false,
            8 => true,
            _ => return Err(malformed("unknown pointer size")),
        };
        let width = usize::from(ptr_size);
        let version_ptr = endian
            .word(blob, 16, wide)
            .ok_or_else(|| malformed("short header"))?;
        let mod_ptr = endian
            .word(blob, 16usize.saturating_add(width), wide)
            .ok_or_else(|| malformed("short header"))?;
        let version = go_string(version_ptr, endian, wide, read_vaddr)?;
        let modinfo = go_string(mod_ptr, endian, wide, read_vaddr).unwrap_or_default();
        (version, modinfo)
    };
    if version.is_empty() {
        return Err(malformed("empty Go version"));
    }
    let mut info = BuildInfo {
        version: String::from_utf8_lossy(&version).into_owned(),
        ..BuildInfo::default()
    };
    parse_modinfo(&strip_sentinels(&modinfo), &mut info);
    Ok(info)
}

/// A Go string header `{data, len}` at `ptr`, and the bytes it points to.
fn go_string(
    ptr: u64,
    endian: Endian,
    wide: bool,
    read_vaddr: &mut dyn FnMut(u64, u64) -> Result<Vec<u8>, InspectError>,
) -> Result<Vec<u8>, InspectError> {
    let width: u64 = if wide { 8 } else { 4 };
    let header = read_vaddr(ptr, width.saturating_mul(2))?;
    let data = endian
        .word(&header, 0, wide)
        .ok_or_else(|| malformed("short string header"))?;
    let len = endian
        .word(
            &header,
            usize::from(wide).saturating_mul(4).saturating_add(4),
            wide,
        )
        .ok_or_else(|| malformed("short string header"))?;
    if len > MAX_STRING {
        return Err(InspectError::TooLarge {
            what: "Go build information string",
            len,
            max: usize::try_from(MAX_STRING).unwrap_or(usize::MAX),
        });
    }
    if len == 0 {
        return Ok(Vec::new());
    }
    read_vaddr(data, len)
}

/// A uvarint-length-prefixed string and what follows it.
fn uvarint_string(data: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let (len, used) = uvarint(data)?;
    let rest = data.get(used..)?;
    let len = usize::try_from(len).ok()?;
    let s = rest.get(..len)?;
    Some((s.to_vec(), rest.get(len..).unwrap_or_default()))
}

/// Go's `binary.Uvarint`: at most 10 bytes, 7 bits each.
fn uvarint(data: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, b) in data.iter().take(10).enumerate() {
        let bits = u64::from(b & 0x7f);
        let shift = u32::try_from(i).ok()?.checked_mul(7)?;
        value |= bits.checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some((value, i.checked_add(1)?));
        }
    }
    None
}

/// Removes the 16-byte sentinels around the module information; empty when they are not
/// there (as Go's reader does).
fn strip_sentinels(modinfo: &[u8]) -> String {
    const SENTINEL: usize = 16;
    let len = modinfo.len();
    let framed = len >= 33 && modinfo.get(len.saturating_sub(17)) == Some(&b'\n');
    if !framed {
        return String::new();
    }
    let inner = modinfo
        .get(SENTINEL..len.saturating_sub(SENTINEL))
        .unwrap_or_default();
    String::from_utf8_lossy(inner).into_owned()
}

fn parse_modinfo(text: &str, info: &mut BuildInfo) {
    for line in text.lines() {
        let mut fields = line.split('\t');
        match fields.next() {
            Some("path") => info.path = fields.next().map(str::to_string),
            Some("mod") => {
                let path = fields.next().unwrap_or("").to_string();
                let version = fields.next().unwrap_or("").to_string();
                info.main_module = Some((path, version));
            }
            Some("build") => {
                let rest = line.get(6..).unwrap_or("");
                if let Some((k, v)) = split_setting(rest) {
                    info.settings.push((k, v));
                }
            }
            _ => {}
        }
    }
}

/// `KEY=VALUE`, either side possibly Go-quoted.
fn split_setting(s: &str) -> Option<(String, String)> {
    let (key, value) = if s.starts_with('"') {
        let (key, used) = unquote_prefix(s)?;
        (key, s.get(used..)?.strip_prefix('=')?)
    } else {
        let (k, v) = s.split_once('=')?;
        (k.to_string(), v)
    };
    let value = if value.starts_with('"') {
        unquote_prefix(value).map_or_else(|| value.to_string(), |(v, _)| v)
    } else {
        value.to_string()
    };
    Some((key, value))
}

/// A Go double-quoted string at the start of `s` (`strconv.Quote` output): its value and the
/// bytes it used. Unknown escapes make it `None`.
fn unquote_prefix(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i.checked_add(1)?)),
            '\\' => {
                let (_, e) = chars.next()?;
                let simple = match e {
                    'n' => Some('\n'),
                    't' => Some('\t'),
                    'r' => Some('\r'),
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{c}'),
                    'v' => Some('\u{b}'),
                    '\\' => Some('\\'),
                    '"' => Some('"'),
                    '\'' => Some('\''),
                    _ => None,
                };
                if let Some(c) = simple {
                    out.push(c);
                    continue;
                }
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => return None,
                };
                let mut v: u32 = 0;
                for _ in 0..digits {
                    let d = chars.next()?.1.to_digit(16)?;
                    v = v.checked_mul(16)?.checked_add(d)?;
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            c => out.push(c),
        }
    }
    None
}

fn malformed(detail: &str) -> InspectError {
    InspectError::Malformed {
        what: "Go build information",
        detail: detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn settings_unquote() {
        assert_eq!(
            split_setting(r#"-ldflags="-s -w""#),
            Some(("-ldflags".into(), "-s -w".into()))
        );
        assert_eq!(
            split_setting("CGO_ENABLED=1"),
            Some(("CGO_ENABLED".into(), "1".into()))
        );
        assert_eq!(
            split_setting(r#""a=b"="x\ty""#),
            Some(("a=b".into(), "x\ty".into()))
        );
    }

    #[test]
    fn uvarint_matches_go() {
        assert_eq!(uvarint(&[0x05]), Some((5, 1)));
        assert_eq!(uvarint(&[0xac, 0x02]), Some((300, 2)));
        assert_eq!(uvarint(&[0x80; 11]), None);
    }
}

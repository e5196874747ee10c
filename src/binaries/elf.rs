//! Just enough ELF to find what the inspectors need: the file header, program headers (to map
//! addresses to file offsets, to see `PT_INTERP`), section headers with their names, and the
//! `DT_NEEDED` libraries of the dynamic segment. Every table is read whole only after its
//! size is checked against a cap; section contents are never read here.
//!
//! Layouts: the System V ABI (gABI) "ELF Header", "Program Header", "Sections" and "Dynamic
//! Section" chapters; 32- and 64-bit, either byte order.

use super::read::{Endian, Source};
use super::InspectError;

/// Program headers read at most: executables have about ten; more is a hostile file.
pub const MAX_SEGMENTS: usize = 256;
/// Section headers read at most: linked programs have tens (a Go binary about 35).
pub const MAX_SECTIONS: usize = 4096;
/// The section-name string table read at most.
pub const MAX_SHSTRTAB: usize = 256 * 1024;
/// The dynamic segment read at most (4096 entries of 16 bytes).
pub const MAX_DYNAMIC: usize = 64 * 1024;
/// `DT_NEEDED` entries kept at most.
pub const MAX_NEEDED: usize = 256;
/// Longest library or section name kept; longer names are cut.
pub const MAX_NAME: usize = 256;

/// `e_type` of an executable linked at a fixed address.
pub const ET_EXEC: u16 = 2;
/// `e_type` of a position-independent executable or a shared library.
pub const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
/// Segment flag: executable.
pub const PF_X: u32 = 1;
/// Segment flag: writable.
pub const PF_W: u32 = 2;
const SHT_NOBITS: u32 = 8;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_FLAGS_1: u64 = 0x6fff_fffb;
const DF_1_PIE: u64 = 0x0800_0000;
const SHN_XINDEX: u64 = 0xffff;

/// One program header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// `p_type`.
    pub typ: u32,
    /// `p_flags`.
    pub flags: u32,
    /// Where its bytes start in the file.
    pub offset: u64,
    /// Where it is loaded.
    pub vaddr: u64,
    /// Bytes in the file.
    pub filesz: u64,
    /// Bytes in memory.
    pub memsz: u64,
}

/// One section header, with its name resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// `.gopclntab`, `.rodata`, ...
    pub name: String,
    /// `sh_addr`.
    pub addr: u64,
    /// Where its bytes start in the file (meaningless for `SHT_NOBITS`).
    pub offset: u64,
    /// Bytes in the file (0 for `SHT_NOBITS`).
    pub size: u64,
}

/// A parsed ELF file's headers.
#[derive(Clone, Debug)]
pub struct Elf {
    /// Byte order.
    pub endian: Endian,
    /// 64-bit (`ELFCLASS64`).
    pub wide: bool,
    /// `e_type`.
    pub elf_type: u16,
    /// Program headers.
    pub segments: Vec<Segment>,
    /// Section headers (empty when the file has none, as some stripped files do).
    pub sections: Vec<Section>,
}

/// What the dynamic segment says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dynamic {
    /// `DT_NEEDED` library names, in order.
    pub needed: Vec<String>,
    /// `DF_1_PIE` is set: a position-independent executable without an interpreter.
    pub pie: bool,
}

/// True when the bytes start like an ELF file.
pub fn is_elf(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
}

impl Elf {
    /// Reads the file header and the program and section header tables.
    pub fn parse(src: &mut dyn Source) -> Result<Elf, InspectError> {
        let ident = src.read(0, 16, 16, "ELF identification")?;
        if !is_elf(&ident) {
            return Err(malformed("ELF header", "no ELF magic"));
        }
        let wide = match ident.get(4) {
            Some(1) => false,
            Some(2) => true,
            _ => return Err(malformed("ELF header", "unknown class (EI_CLASS)")),
        };
        let endian = match ident.get(5) {
            Some(1) => Endian::Little,
            Some(2) => Endian::Big,
            _ => return Err(malformed("ELF header", "unknown byte order (EI_DATA)")),
        };
        let header_len: u64 = if wide { 64 } else { 52 };
        let h = src.read(0, header_len, 64, "ELF header")?;
        let e = endian;
        let field = |at64: usize, at32: usize, size: usize| -> Result<u64, InspectError> {
            let at = if wide { at64 } else { at32 };
            let v = match size {
                2 => e.u16(&h, at),
                4 => e.u32(&h, at),
                _ => e.word(&h, at, wide),
            };
            v.ok_or_else(|| malformed("ELF header", "short header"))
        };
        let elf_type = u16::try_from(field(16, 16, 2)?).unwrap_or(0);
        let phoff = field(32, 28, 8)?;
        let shoff = field(40, 32, 8)?;
        let phentsize = field(54, 42, 2)?;
        let mut phnum = field(56, 44, 2)?;
        let shentsize = field(58, 46, 2)?;
        let mut shnum = field(60, 48, 2)?;
        let mut shstrndx = field(62, 50, 2)?;

        // Extended numbering (gABI): counts too large for the header live in section 0.
        let min_sh: u64 = if wide { 64 } else { 40 };
        if shoff != 0 && (shnum == 0 || shstrndx == SHN_XINDEX || phnum == 0xffff) {
            if shentsize < min_sh {
                return Err(malformed("section headers", "entry size too small"));
            }
            let s0 = src.read(shoff, shentsize, 256, "section header 0")?;
            if shnum == 0 {
                shnum = e.word(&s0, if wide { 32 } else { 20 }, wide).unwrap_or(0);
            }
            if shstrndx == SHN_XINDEX {
                shstrndx = e.u32(&s0, if wide { 40 } else { 24 }).unwrap_or(0);
            }
            if phnum == 0xffff {
                phnum = e.u32(&s0, if wide { 44 } else { 28 }).unwrap_or(0);
            }
        }

        let segments = read_segments(src, e, wide, phoff, phentsize, phnum)?;
        let sections = if shoff == 0 || shnum == 0 {
            Vec::new()
        } else {
            read_sections(src, e, wide, shoff, shentsize, shnum, shstrndx)?
        };
        // A file cut short can still hold every table we read; what its headers promise
        // must all be there, or nothing it says is trusted.
        let size = src.size();
        // Empty entries (`SHT_NOBITS` such as .bss) occupy nothing, wherever they point.
        let past_end = |offset: u64, len: u64| {
            len != 0 && offset.checked_add(len).is_none_or(|end| end > size)
        };
        if let Some(s) = segments.iter().find(|s| past_end(s.offset, s.filesz)) {
            return Err(InspectError::Truncated {
                what: "a loaded segment",
                offset: s.offset,
                size,
            });
        }
        if let Some(s) = sections.iter().find(|s| past_end(s.offset, s.size)) {
            return Err(InspectError::Truncated {
                what: "a section",
                offset: s.offset,
                size,
            });
        }
        Ok(Elf {
            endian,
            wide,
            elf_type,
            segments,
            sections,
        })
    }

    /// The first section named `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// True when the program names an interpreter (dynamically linked executables, PIE).
    pub fn has_interp(&self) -> bool {
        self.segments.iter().any(|s| s.typ == PT_INTERP)
    }

    /// The file offset of `len` bytes at virtual address `vaddr`, when a loaded segment holds
    /// all of them in the file.
    pub fn file_offset(&self, vaddr: u64, len: u64) -> Option<u64> {
        self.segments
            .iter()
            .filter(|s| s.typ == PT_LOAD)
            .find_map(|s| {
                let rel = vaddr.checked_sub(s.vaddr)?;
                let end = rel.checked_add(len)?;
                (end <= s.filesz)
                    .then(|| s.offset.checked_add(rel))
                    .flatten()
            })
    }

    /// The first loaded segment that is writable and not executable (where Go puts its build
    /// information when there is no `.go.buildinfo` section).
    pub fn first_data_segment(&self) -> Option<&Segment> {
        self.segments
            .iter()
            .find(|s| s.typ == PT_LOAD && s.flags & (PF_X | PF_W) == PF_W)
    }

    /// Reads the dynamic segment: `DT_NEEDED` names and `DF_1_PIE`. A static executable has
    /// none and yields an empty [`Dynamic`].
    pub fn dynamic(&self, src: &mut dyn Source) -> Result<Dynamic, InspectError> {
        let Some(seg) = self.segments.iter().find(|s| s.typ == PT_DYNAMIC) else {
            return Ok(Dynamic::default());
        };
        let table = src.read(seg.offset, seg.filesz, MAX_DYNAMIC, "dynamic segment")?;
        let entry: usize = if self.wide { 16 } else { 8 };
        let half = if self.wide { 8 } else { 4 };
        let mut needed_offsets = Vec::new();
        let mut strtab = None;
        let mut out = Dynamic::default();
        for chunk in table.chunks_exact(entry) {
            let tag = self.endian.word(chunk, 0, self.wide).unwrap_or(DT_NULL);
            let val = self.endian.word(chunk, half, self.wide).unwrap_or(0);
            match tag {
                DT_NULL => break,
                DT_NEEDED if needed_offsets.len() < MAX_NEEDED => needed_offsets.push(val),
                DT_STRTAB => strtab = Some(val),
                DT_FLAGS_1 => out.pie = val & DF_1_PIE != 0,
                _ => {}
            }
        }
        if needed_offsets.is_empty() {
            return Ok(out);
        }
        let strtab =
            strtab.ok_or_else(|| malformed("dynamic segment", "DT_NEEDED without DT_STRTAB"))?;
        let base = self
            .file_offset(strtab, 1)
            .ok_or_else(|| malformed("dynamic segment", "DT_STRTAB outside the loaded segments"))?;
        for off in needed_offsets {
            let at = base
                .checked_add(off)
                .ok_or_else(|| malformed("dynamic segment", "DT_NEEDED offset overflows"))?;
            let bytes = src.read_up_to(at, MAX_NAME as u64, MAX_NAME, "DT_NEEDED name")?;
            out.needed.push(c_string(&bytes));
        }
        Ok(out)
    }

    /// An executable rather than a library or object: `ET_EXEC`, or `ET_DYN` with an
    /// interpreter (PIE) or the `DF_1_PIE` flag (static PIE).
    pub fn is_executable(&self, dynamic: &Dynamic) -> bool {
        self.elf_type == ET_EXEC || (self.elf_type == ET_DYN && (self.has_interp() || dynamic.pie))
    }
}

fn read_segments(
    src: &mut dyn Source,
    e: Endian,
    wide: bool,
    phoff: u64,
    phentsize: u64,
    phnum: u64,
) -> Result<Vec<Segment>, InspectError> {
    if phnum == 0 {
        return Ok(Vec::new());
    }
    let min: u64 = if wide { 56 } else { 32 };
    if phentsize < min {
        return Err(malformed("program headers", "entry size too small"));
    }
    let count = usize::try_from(phnum)
        .ok()
        .filter(|n| *n <= MAX_SEGMENTS)
        .ok_or(InspectError::TooLarge {
            what: "program header table",
            len: phnum,
            max: MAX_SEGMENTS,
        })?;
    let step = usize::try_from(phentsize).unwrap_or(usize::MAX);
    let total = phentsize.saturating_mul(phnum);
    let table = src.read(
        phoff,
        total,
        MAX_SEGMENTS.saturating_mul(256),
        "program headers",
    )?;
    let mut out = Vec::with_capacity(count);
    for ph in table.chunks(step).take(count) {
        let get = |at64: usize, at32: usize, word: bool| -> u64 {
            let at = if wide { at64 } else { at32 };
            if word {
                e.word(ph, at, wide)
            } else {
                e.u32(ph, at)
            }
            .unwrap_or(0)
        };
        out.push(Segment {
            typ: u32::try_from(get(0, 0, false)).unwrap_or(0),
            flags: u32::try_from(get(4, 24, false)).unwrap_or(0),
            offset: get(8, 4, true),
            vaddr: get(16, 8, true),
            filesz: get(32, 16, true),
            memsz: get(40, 20, true),
        });
    }
    Ok(out)
}

fn read_sections(
    src: &mut dyn Source,
    e: Endian,
    wide: bool,
    shoff: u64,
    shentsize: u64,
    shnum: u64,
    shstrndx: u64,
) -> Result<Vec<Section>, InspectError> {
    let min: u64 = if wide { 64 } else { 40 };
    if shentsize < min {
        return Err(malformed("section headers", "entry size too small"));
    }
    let count = usize::try_from(shnum)
        .ok()
        .filter(|n| *n <= MAX_SECTIONS)
        .ok_or(InspectError::TooLarge {
            what: "section header table",
            len: shnum,
            max: MAX_SECTIONS,
        })?;
    let step = usize::try_from(shentsize).unwrap_or(usize::MAX);
    let total = shentsize.saturating_mul(shnum);
    let table = src.read(
        shoff,
        total,
        MAX_SECTIONS.saturating_mul(256),
        "section headers",
    )?;
    struct Raw {
        name: u64,
        typ: u64,
        addr: u64,
        offset: u64,
        size: u64,
    }
    let raw: Vec<Raw> = table
        .chunks(step)
        .take(count)
        .map(|sh| {
            let word = |at64: usize, at32: usize| {
                e.word(sh, if wide { at64 } else { at32 }, wide)
                    .unwrap_or(0)
            };
            Raw {
                name: e.u32(sh, 0).unwrap_or(0),
                typ: e.u32(sh, 4).unwrap_or(0),
                addr: word(16, 12),
                offset: word(24, 16),
                size: word(32, 20),
            }
        })
        .collect();
    let names = usize::try_from(shstrndx)
        .ok()
        .and_then(|i| raw.get(i))
        .map(|s| src.read(s.offset, s.size, MAX_SHSTRTAB, "section name table"))
        .transpose()?
        .unwrap_or_default();
    Ok(raw
        .into_iter()
        .map(|r| {
            let name = usize::try_from(r.name)
                .ok()
                .and_then(|at| names.get(at..))
                .map(|rest| c_string(rest.get(..MAX_NAME.min(rest.len())).unwrap_or(rest)))
                .unwrap_or_default();
            let nobits = r.typ == u64::from(SHT_NOBITS);
            Section {
                name,
                addr: r.addr,
                offset: r.offset,
                size: if nobits { 0 } else { r.size },
            }
        })
        .collect())
}

/// The bytes up to the first NUL, as text (invalid UTF-8 replaced).
pub fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned()
}

fn malformed(what: &'static str, detail: &str) -> InspectError {
    InspectError::Malformed {
        what,
        detail: detail.to_string(),
    }
}

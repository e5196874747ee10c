//! Bounded reads of a file under inspection: every read names its offset and length, is
//! checked against the file's size and a cap before any allocation, and is counted, so the
//! benchmark can report bytes read against bytes on disk. No parsing here.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::InspectError;

/// Bytes read per step when a region is streamed (pclntab names, `.rodata` markers): large
/// enough that a 10 MB function table is a handful of system calls, small enough that memory
/// stays flat whatever the file's size.
pub const STREAM_CHUNK: usize = 1 << 20;

/// What the inspectors read from: a file on disk, or bytes in memory (tests, fuzzing).
pub trait Source {
    /// The size of the whole input.
    fn size(&self) -> u64;

    /// Fills `buf` from `offset`; the caller has checked that the range is inside the input.
    fn fill(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), InspectError>;

    /// Reads `len` bytes at `offset`, refusing ranges past the end or longer than `cap`
    /// (`what` names the structure in the error).
    fn read(
        &mut self,
        offset: u64,
        len: u64,
        cap: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, InspectError> {
        let end = offset.checked_add(len).ok_or(InspectError::Truncated {
            what,
            offset,
            size: self.size(),
        })?;
        if end > self.size() {
            return Err(InspectError::Truncated {
                what,
                offset,
                size: self.size(),
            });
        }
        let len =
            usize::try_from(len)
                .ok()
                .filter(|l| *l <= cap)
                .ok_or(InspectError::TooLarge {
                    what,
                    len,
                    max: cap,
                })?;
        let mut buf = vec![0u8; len];
        self.fill(offset, &mut buf)?;
        Ok(buf)
    }

    /// Like [`Source::read`], but shortens the range to what the input holds (for searches
    /// that may run off the end of a segment).
    fn read_up_to(
        &mut self,
        offset: u64,
        len: u64,
        cap: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, InspectError> {
        let available = self.size().saturating_sub(offset);
        let len = len
            .min(available)
            .min(u64::try_from(cap).unwrap_or(u64::MAX));
        self.read(offset, len, cap, what)
    }

    /// Streams `len` bytes from `offset` in chunks of at most [`STREAM_CHUNK`] to `visit`,
    /// which returns false to stop early.
    fn stream(
        &mut self,
        offset: u64,
        len: u64,
        what: &'static str,
        visit: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), InspectError> {
        let mut at = offset;
        let end = offset.checked_add(len).ok_or(InspectError::Truncated {
            what,
            offset,
            size: self.size(),
        })?;
        while at < end {
            let step = (end.saturating_sub(at)).min(STREAM_CHUNK as u64);
            let chunk = self.read(at, step, STREAM_CHUNK, what)?;
            if !visit(&chunk) {
                break;
            }
            at = at.saturating_add(step);
        }
        Ok(())
    }
}

/// A file, read with positioned reads (`pread`): nothing is mapped or read ahead.
pub struct FileSource {
    file: File,
    size: u64,
    bytes_read: u64,
}

impl FileSource {
    /// Wraps an open file of the given size.
    pub fn new(file: File, size: u64) -> FileSource {
        FileSource {
            file,
            size,
            bytes_read: 0,
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Gives the file back (for hashing).
    pub fn into_file(self) -> File {
        self.file
    }
}

impl Source for FileSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn fill(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), InspectError> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| InspectError::Io(e.kind()))?;
        self.bytes_read = self.bytes_read.saturating_add(buf.len() as u64);
        Ok(())
    }
}

/// Bytes in memory.
pub struct SliceSource<'a> {
    data: &'a [u8],
}

impl<'a> SliceSource<'a> {
    /// Wraps `data`.
    pub fn new(data: &'a [u8]) -> SliceSource<'a> {
        SliceSource { data }
    }
}

impl Source for SliceSource<'_> {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    fn fill(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), InspectError> {
        let start = usize::try_from(offset).map_err(|_| InspectError::Truncated {
            what: "read",
            offset,
            size: self.size(),
        })?;
        let part = start
            .checked_add(buf.len())
            .and_then(|end| self.data.get(start..end))
            .ok_or(InspectError::Truncated {
                what: "read",
                offset,
                size: self.size(),
            })?;
        buf.copy_from_slice(part);
        Ok(())
    }
}

/// Reads a fixed-size little- or big-endian integer out of a header buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    fn bytes<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
        buf.get(at..at.checked_add(N)?)?.try_into().ok()
    }

    /// A u16 at `at`; `None` when the buffer is too short.
    pub fn u16(self, buf: &[u8], at: usize) -> Option<u64> {
        let b = Self::bytes::<2>(buf, at)?;
        Some(u64::from(match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }))
    }

    /// A u32 at `at`.
    pub fn u32(self, buf: &[u8], at: usize) -> Option<u64> {
        let b = Self::bytes::<4>(buf, at)?;
        Some(u64::from(match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }))
    }

    /// A u64 at `at`.
    pub fn u64(self, buf: &[u8], at: usize) -> Option<u64> {
        let b = Self::bytes::<8>(buf, at)?;
        Some(match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        })
    }

    /// A pointer-sized word (8 bytes when `wide`, else 4).
    pub fn word(self, buf: &[u8], at: usize, wide: bool) -> Option<u64> {
        if wide {
            self.u64(buf, at)
        } else {
            self.u32(buf, at)
        }
    }
}

/// One chunk of a stream of NUL-terminated strings, as `(bytes, terminated)` pieces: a string
/// may span chunks, so its first pieces come unterminated. Both scanners of strings in binaries
/// (Go function names, native version strings) walk their streams with this, each keeping its
/// own bounded copy of the current string.
pub fn split_nul(chunk: &[u8]) -> impl Iterator<Item = (&[u8], bool)> {
    let mut pieces = chunk.split(|b| *b == 0).peekable();
    std::iter::from_fn(move || {
        let piece = pieces.next()?;
        Some((piece, pieces.peek().is_some()))
    })
}

#[cfg(test)]
mod split_tests {
    use super::split_nul;

    #[test]
    fn pieces_say_whether_their_string_ended() {
        let got: Vec<_> = split_nul(b"ab\0\0cd").collect();
        assert_eq!(
            got,
            [(&b"ab"[..], true), (&b""[..], true), (&b"cd"[..], false)]
        );
        assert_eq!(split_nul(b"").collect::<Vec<_>>(), [(&b""[..], false)]);
        assert_eq!(
            split_nul(b"\0").collect::<Vec<_>>(),
            [(&b""[..], true), (&b""[..], false)]
        );
    }
}

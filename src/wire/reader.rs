//! Bounded reading of peer bytes ([`Reader`]) and length back-filling when writing
//! ([`LengthPrefixed`]). No slice indexing anywhere: every access is checked.

use std::ops::{Deref, DerefMut};

use crate::wire::DecodeError;

/// The width of a length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LenPrefix {
    /// One byte (max 255).
    U8,
    /// Two bytes (max 65 535).
    U16,
    /// Three bytes (max 2^24 - 1).
    U24,
}

impl LenPrefix {
    /// The number of prefix bytes.
    pub fn width(self) -> usize {
        match self {
            LenPrefix::U8 => 1,
            LenPrefix::U16 => 2,
            LenPrefix::U24 => 3,
        }
    }

    /// The largest length the prefix can express.
    pub fn max(self) -> usize {
        match self {
            LenPrefix::U8 => 0xff,
            LenPrefix::U16 => 0xffff,
            LenPrefix::U24 => 0xff_ffff,
        }
    }
}

/// The longest session id TLS allows (RFC 8446 §4.1.2).
const MAX_SESSION_ID_LEN: usize = 32;

/// A cursor over bytes that came from the peer. Reads never go past the end; a child reader
/// from [`Reader::sub`] can never see bytes outside its length prefix.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// The next `n` bytes, or `Truncated { what }`.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or(DecodeError::Truncated { what })?;
        self.rest = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub fn take_array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        <[u8; N]>::try_from(bytes).map_err(|_| DecodeError::Truncated { what })
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        let [b] = self.take_array::<1>(what)?;
        Ok(b)
    }

    /// A big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.take_array(what)?))
    }

    /// A big-endian 24-bit length.
    pub fn u24(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let [a, b, c] = self.take_array(what)?;
        Ok(u32::from_be_bytes([0, a, b, c]) as usize)
    }

    /// A length prefix of the given width.
    pub fn len(&mut self, prefix: LenPrefix, what: &'static str) -> Result<usize, DecodeError> {
        match prefix {
            LenPrefix::U8 => self.u8(what).map(usize::from),
            LenPrefix::U16 => self.u16(what).map(usize::from),
            LenPrefix::U24 => self.u24(what),
        }
    }

    /// Reads a length prefix and returns a child reader over exactly that many bytes.
    pub fn sub(
        &mut self,
        prefix: LenPrefix,
        what: &'static str,
    ) -> Result<Reader<'a>, DecodeError> {
        let n = self.len(prefix, what)?;
        Ok(Reader::new(self.take(n, what)?))
    }

    /// The bytes behind a length prefix.
    pub fn vec(&mut self, prefix: LenPrefix, what: &'static str) -> Result<Vec<u8>, DecodeError> {
        Ok(self.sub(prefix, what)?.rest().to_vec())
    }

    /// A hello's session id: `opaque legacy_session_id<0..32>` (RFC 8446 §4.1.2, RFC 5246
    /// §7.4.1.2). Longer is malformed, whoever sends it.
    pub fn session_id(&mut self) -> Result<Vec<u8>, DecodeError> {
        let id = self.vec(LenPrefix::U8, "session_id")?;
        if id.len() > MAX_SESSION_ID_LEN {
            return Err(DecodeError::TooLong {
                what: "session_id",
                len: id.len(),
                max: MAX_SESSION_ID_LEN,
            });
        }
        Ok(id)
    }

    /// A length-prefixed list of u16 values (odd byte counts are invalid).
    pub fn u16_list(
        &mut self,
        prefix: LenPrefix,
        what: &'static str,
    ) -> Result<Vec<u16>, DecodeError> {
        let mut sub = self.sub(prefix, what)?;
        if sub.remaining() % 2 != 0 {
            return Err(DecodeError::Invalid { what });
        }
        let mut out = Vec::with_capacity(sub.remaining() / 2);
        while !sub.is_empty() {
            out.push(sub.u16(what)?);
        }
        Ok(out)
    }

    /// All remaining bytes.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Fails with `Trailing { what }` unless every byte has been read.
    pub fn finish(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Trailing { what })
        }
    }
}

/// Writes a length prefix and back-fills it with the length of whatever is written through the
/// guard before it is dropped. Dereferences to the output vector.
///
/// Builders keep bodies within the prefix's range; if a caller still overflows it (a broken
/// invariant of our own code) debug builds panic and release builds write the maximum length.
pub struct LengthPrefixed<'b> {
    out: &'b mut Vec<u8>,
    start: usize,
    prefix: LenPrefix,
}

impl<'b> LengthPrefixed<'b> {
    /// Reserves the prefix in `out`.
    pub fn new(out: &'b mut Vec<u8>, prefix: LenPrefix) -> Self {
        out.extend(std::iter::repeat_n(0u8, prefix.width()));
        let start = out.len();
        LengthPrefixed { out, start, prefix }
    }
}

impl Deref for LengthPrefixed<'_> {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        self.out
    }
}

impl DerefMut for LengthPrefixed<'_> {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        self.out
    }
}

impl Drop for LengthPrefixed<'_> {
    fn drop(&mut self) {
        let len = self.out.len().saturating_sub(self.start);
        debug_assert!(len <= self.prefix.max(), "length prefix overflow: {len}");
        let len = u32::try_from(len.min(self.prefix.max())).unwrap_or(u32::MAX);
        let bytes = len.to_be_bytes();
        let width = self.prefix.width();
        let field = self
            .start
            .checked_sub(width)
            .and_then(|at| self.out.get_mut(at..self.start));
        let value = bytes.get(bytes.len().saturating_sub(width)..);
        if let (Some(field), Some(value)) = (field, value) {
            field.copy_from_slice(value);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn sub_reader_cannot_read_past_its_prefix() {
        let mut r = Reader::new(&[2, 0xaa, 0xbb, 0xcc]);
        let mut sub = r.sub(LenPrefix::U8, "x").unwrap();
        assert_eq!(sub.take(2, "x").unwrap(), &[0xaa, 0xbb]);
        assert_eq!(sub.u8("x"), Err(DecodeError::Truncated { what: "x" }));
        assert_eq!(r.rest(), &[0xcc]);
    }

    #[test]
    fn prefix_longer_than_input_is_truncated() {
        let mut r = Reader::new(&[0, 5, 1, 2]);
        assert_eq!(
            r.sub(LenPrefix::U16, "list").err(),
            Some(DecodeError::Truncated { what: "list" })
        );
    }

    #[test]
    fn finish_rejects_trailing_bytes() {
        let mut r = Reader::new(&[1, 2]);
        r.u8("a").unwrap();
        assert_eq!(r.finish("b"), Err(DecodeError::Trailing { what: "b" }));
    }

    #[test]
    fn odd_u16_list_is_invalid() {
        let mut r = Reader::new(&[0, 3, 1, 2, 3]);
        assert_eq!(
            r.u16_list(LenPrefix::U16, "l"),
            Err(DecodeError::Invalid { what: "l" })
        );
    }

    #[test]
    fn length_prefixed_backfills_each_width() {
        for (prefix, head) in [
            (LenPrefix::U8, vec![3]),
            (LenPrefix::U16, vec![0, 3]),
            (LenPrefix::U24, vec![0, 0, 3]),
        ] {
            let mut out = vec![0xee];
            {
                let mut body = LengthPrefixed::new(&mut out, prefix);
                body.extend_from_slice(&[7, 8, 9]);
            }
            let mut want = vec![0xee];
            want.extend(head);
            want.extend([7, 8, 9]);
            assert_eq!(out, want);
        }
    }

    #[test]
    fn nested_length_prefixes() {
        let mut out = Vec::new();
        {
            let mut outer = LengthPrefixed::new(&mut out, LenPrefix::U16);
            outer.push(1);
            let mut inner = LengthPrefixed::new(&mut outer, LenPrefix::U8);
            inner.extend_from_slice(&[5, 6]);
        }
        assert_eq!(out, vec![0, 4, 1, 2, 5, 6]);
    }
}

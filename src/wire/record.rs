//! The TLS record layer (RFC 8446 §5.1): framing outgoing messages into records, and a
//! [`Deframer`] that cuts the peer's byte stream into records without trusting its lengths.

use crate::wire::{
    ContentType, DecodeError, LenPrefix, LengthPrefixed, MAX_BUFFERED_LEN, MAX_FRAGMENT_LEN,
    MAX_RECORD_LEN,
};

/// Frames `payload` into records of `typ` and `version`, at most 2^14 bytes each. An empty
/// payload gives no records.
pub fn encode_records(typ: ContentType, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len().saturating_add(5));
    for fragment in payload.chunks(MAX_FRAGMENT_LEN) {
        out.push(typ.0);
        out.extend_from_slice(&version.to_be_bytes());
        LengthPrefixed::new(&mut out, LenPrefix::U16).extend_from_slice(fragment);
    }
    out
}

/// One record as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Content type, kept as sent.
    pub typ: ContentType,
    /// Record-layer version, kept as sent.
    pub version: u16,
    /// The fragment (≤ [`MAX_RECORD_LEN`] bytes).
    pub payload: Vec<u8>,
}

/// Cuts a byte stream into TLS records. Holds at most [`MAX_BUFFERED_LEN`] bytes; a record
/// header claiming more than [`MAX_RECORD_LEN`] bytes is rejected as soon as the header is in.
#[derive(Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
}

/// What the start of a buffer says about a TLS record header.
pub(crate) enum HeaderCheck {
    /// Could be TLS; need more bytes or have a full header.
    Plausible,
    /// Cannot be a TLS record.
    NotTls,
}

impl Deframer {
    /// An empty deframer.
    pub fn new() -> Self {
        Deframer::default()
    }

    /// Appends bytes from the peer. Fails with `TooLong` instead of growing past
    /// [`MAX_BUFFERED_LEN`]; drain records with [`Deframer::next_record`] between feeds.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let len = self.buf.len().saturating_add(bytes.len());
        if len > MAX_BUFFERED_LEN {
            return Err(DecodeError::TooLong {
                what: "buffered input",
                len,
                max: MAX_BUFFERED_LEN,
            });
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next complete record, `Ok(None)` if more bytes are needed.
    pub fn next_record(&mut self) -> Result<Option<Record>, DecodeError> {
        let Some(&[typ, major, minor, len_hi, len_lo]) = self.buf.first_chunk::<5>() else {
            return Ok(None);
        };
        let typ = ContentType(typ);
        if !typ.is_known() {
            return Err(DecodeError::Invalid {
                what: "record content type",
            });
        }
        if major != 3 {
            return Err(DecodeError::Invalid {
                what: "record version",
            });
        }
        let len = usize::from(u16::from_be_bytes([len_hi, len_lo]));
        if len > MAX_RECORD_LEN {
            return Err(DecodeError::TooLong {
                what: "record",
                len,
                max: MAX_RECORD_LEN,
            });
        }
        let Some(payload) = self.buf.get(5..).and_then(|rest| rest.get(..len)) else {
            return Ok(None);
        };
        let record = Record {
            typ,
            version: u16::from_be_bytes([major, minor]),
            payload: payload.to_vec(),
        };
        self.buf.drain(..len.saturating_add(5));
        Ok(Some(record))
    }

    /// Bytes buffered but not yet returned as a record.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The buffered bytes, for the first-record sniffing of [`crate::wire::FlightReader`].
    pub(crate) fn peek(&self) -> &[u8] {
        &self.buf
    }

    /// Drops everything buffered.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
    }

    /// Removes the first `n` buffered bytes (the SSLv2 path consumes its own records).
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
    }
}

/// Whether the first bytes of a stream can start a TLS record: a known content type followed by
/// major version 3. Decides as soon as one or two bytes are in.
pub(crate) fn check_tls_header(start: &[u8]) -> HeaderCheck {
    match start {
        [] => HeaderCheck::Plausible,
        [typ, rest @ ..] if ContentType(*typ).is_known() => match rest.first() {
            None | Some(3) => HeaderCheck::Plausible,
            Some(_) => HeaderCheck::NotTls,
        },
        _ => HeaderCheck::NotTls,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn yields_records_split_at_any_byte() {
        let mut stream = encode_records(ContentType::HANDSHAKE, 0x0303, &[1, 2, 3]);
        stream.extend(encode_records(ContentType::ALERT, 0x0303, &[2, 40]));
        for cut in 0..stream.len() {
            let mut d = Deframer::new();
            let mut got = Vec::new();
            for part in [&stream[..cut], &stream[cut..]] {
                d.feed(part).unwrap();
                while let Some(rec) = d.next_record().unwrap() {
                    got.push(rec);
                }
            }
            assert_eq!(got.len(), 2, "cut at {cut}");
            assert_eq!(got[0].payload, vec![1, 2, 3]);
            assert_eq!(got[1].typ, ContentType::ALERT);
            assert_eq!(d.buffered(), 0);
        }
    }

    #[test]
    fn oversized_record_is_rejected_from_its_header() {
        let mut d = Deframer::new();
        d.feed(&[23, 3, 3, 0xff, 0xff]).unwrap();
        assert!(matches!(
            d.next_record(),
            Err(DecodeError::TooLong { what: "record", .. })
        ));
    }

    #[test]
    fn feeding_past_the_cap_fails() {
        let mut d = Deframer::new();
        d.feed(&vec![22; MAX_BUFFERED_LEN]).unwrap();
        assert!(matches!(d.feed(&[0]), Err(DecodeError::TooLong { .. })));
    }

    #[test]
    fn sniffs_non_tls_from_the_first_bytes() {
        assert!(matches!(
            check_tls_header(b"HTTP/1.1 400"),
            HeaderCheck::NotTls
        ));
        assert!(matches!(check_tls_header(b"SSH-2.0"), HeaderCheck::NotTls));
        assert!(matches!(check_tls_header(&[22]), HeaderCheck::Plausible));
        assert!(matches!(
            check_tls_header(&[22, 3, 1]),
            HeaderCheck::Plausible
        ));
        assert!(matches!(check_tls_header(&[22, 0x48]), HeaderCheck::NotTls));
    }
}

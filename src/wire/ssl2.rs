//! SSLv2 (draft-hickman-netscape-ssl-00): just enough to ask "do you speak SSLv2?" with a
//! CLIENT-HELLO and to read the SERVER-HELLO (or ERROR) that answers. Records use the 2-byte
//! header: high bit set, 15-bit length.

use crate::wire::{DecodeError, LenPrefix, Reader, Wire, MAX_SSL2_RECORD_LEN};

/// SSLv2 message types we handle.
const MSG_ERROR: u8 = 0;
const MSG_CLIENT_HELLO: u8 = 1;
const MSG_SERVER_HELLO: u8 = 4;

/// Fixed part of a CLIENT-HELLO body: type, version, three lengths.
const CLIENT_HELLO_FIXED_LEN: usize = 9;

/// Every SSLv2 cipher spec (draft-hickman-netscape-ssl-00, appendix C), for offering all of
/// them at once: RC4_128_WITH_MD5, RC4_128_EXPORT40_WITH_MD5, RC2_128_CBC_WITH_MD5,
/// RC2_128_CBC_EXPORT40_WITH_MD5, IDEA_128_CBC_WITH_MD5, DES_64_CBC_WITH_MD5,
/// DES_192_EDE3_CBC_WITH_MD5.
pub const SSL2_CIPHER_SPECS: [u32; 7] = [
    0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700c0,
];

/// An SSLv2 CLIENT-HELLO record offering `cipher_specs` (3-byte codes, e.g. 0x010080 for
/// SSL_CK_RC4_128_WITH_MD5; the top byte of each u32 is ignored) with no session id.
/// Specs beyond what one record holds (about 10 900) are left out.
pub fn ssl2_client_hello(cipher_specs: &[u32], challenge: [u8; 16]) -> Vec<u8> {
    let room = MAX_SSL2_RECORD_LEN
        .saturating_sub(CLIENT_HELLO_FIXED_LEN)
        .saturating_sub(challenge.len())
        / 3;
    let specs = cipher_specs.get(..room).unwrap_or(cipher_specs);
    let mut body = vec![MSG_CLIENT_HELLO, 0x00, 0x02];
    let specs_len = u16::try_from(specs.len().saturating_mul(3)).unwrap_or(u16::MAX);
    body.extend_from_slice(&specs_len.to_be_bytes());
    body.extend_from_slice(&[0, 0]); // session id length
    body.extend_from_slice(&[0, 16]); // challenge length
    for spec in specs {
        let [_, a, b, c] = spec.to_be_bytes();
        body.extend_from_slice(&[a, b, c]);
    }
    body.extend_from_slice(&challenge);
    // Fits 15 bits by construction of `room`.
    let len = u16::try_from(body.len()).unwrap_or(u16::MAX) | 0x8000;
    let mut out = len.to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// An SSLv2 SERVER-HELLO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssl2ServerHello {
    /// server_version (0x0002 for SSLv2).
    pub version: u16,
    /// Whether the server found our session (we never send one).
    pub session_id_hit: u8,
    /// certificate_type (1 = X.509).
    pub certificate_type: u8,
    /// The cipher specs the server supports among ours (3-byte codes in the low bits).
    pub cipher_specs: Vec<u32>,
    /// The server certificate, DER.
    pub certificate: Vec<u8>,
    /// connection_id.
    pub connection_id: Vec<u8>,
}

impl Wire<'_> for Ssl2ServerHello {
    /// The message body (from the type byte on; no record header).
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[MSG_SERVER_HELLO, self.session_id_hit, self.certificate_type]);
        out.extend_from_slice(&self.version.to_be_bytes());
        let len16 = |n: usize| u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes();
        out.extend_from_slice(&len16(self.certificate.len()));
        out.extend_from_slice(&len16(self.cipher_specs.len().saturating_mul(3)));
        out.extend_from_slice(&len16(self.connection_id.len()));
        out.extend_from_slice(&self.certificate);
        for spec in &self.cipher_specs {
            let [_, a, b, c] = spec.to_be_bytes();
            out.extend_from_slice(&[a, b, c]);
        }
        out.extend_from_slice(&self.connection_id);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        if r.u8("ssl2 message type")? != MSG_SERVER_HELLO {
            return Err(DecodeError::Invalid {
                what: "ssl2 message type (want server-hello)",
            });
        }
        let session_id_hit = r.u8("ssl2 session_id_hit")?;
        let certificate_type = r.u8("ssl2 certificate_type")?;
        let version = r.u16("ssl2 server_version")?;
        let cert_len = r.len(LenPrefix::U16, "ssl2 certificate_length")?;
        let specs_len = r.len(LenPrefix::U16, "ssl2 cipher_specs_length")?;
        let conn_len = r.len(LenPrefix::U16, "ssl2 connection_id_length")?;
        let certificate = r.take(cert_len, "ssl2 certificate")?.to_vec();
        if specs_len % 3 != 0 {
            return Err(DecodeError::Invalid {
                what: "ssl2 cipher_specs_length",
            });
        }
        let mut specs = Reader::new(r.take(specs_len, "ssl2 cipher_specs")?);
        let mut cipher_specs = Vec::with_capacity(specs_len / 3);
        while !specs.is_empty() {
            let [a, b, c] = specs.take_array("ssl2 cipher spec")?;
            cipher_specs.push(u32::from_be_bytes([0, a, b, c]));
        }
        let connection_id = r.take(conn_len, "ssl2 connection_id")?.to_vec();
        Ok(Ssl2ServerHello {
            version,
            session_id_hit,
            certificate_type,
            cipher_specs,
            certificate,
            connection_id,
        })
    }
}

/// What an SSLv2 record at the start of the stream holds.
pub(crate) enum Ssl2Start {
    /// Need more bytes to decide.
    NeedMore,
    /// Not an SSLv2 SERVER-HELLO or ERROR.
    NotSsl2,
    /// A complete record of `len` bytes (header included) with this message.
    Message {
        consumed: usize,
        message: Result<Ssl2ServerHello, DecodeError>,
    },
}

/// Looks for an SSLv2 SERVER-HELLO or ERROR record at the start of `buf` (2-byte header).
pub(crate) fn read_ssl2_start(buf: &[u8]) -> Ssl2Start {
    let Some(&[hi, lo, typ]) = buf.first_chunk::<3>() else {
        return match buf.first() {
            Some(b) if b & 0x80 == 0 => Ssl2Start::NotSsl2,
            _ => Ssl2Start::NeedMore,
        };
    };
    if hi & 0x80 == 0 || !(typ == MSG_SERVER_HELLO || typ == MSG_ERROR) {
        return Ssl2Start::NotSsl2;
    }
    let len = usize::from(u16::from_be_bytes([hi & 0x7f, lo]));
    let Some(body) = buf.get(2..).and_then(|b| b.get(..len)) else {
        return Ssl2Start::NeedMore;
    };
    let consumed = len.saturating_add(2);
    let message = if typ == MSG_ERROR {
        let mut r = Reader::new(body);
        r.u8("ssl2 message type")
            .and_then(|_| r.u16("ssl2 error code"))
            .and_then(|code| Err(DecodeError::Ssl2Error { code }))
    } else {
        Ssl2ServerHello::from_bytes(body, "ssl2 server-hello")
    };
    Ssl2Start::Message { consumed, message }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn client_hello_layout() {
        let bytes = ssl2_client_hello(&[0x010080, 0x0700c0], [0xaa; 16]);
        assert_eq!(&bytes[..11], &[0x80, 31, 1, 0, 2, 0, 6, 0, 0, 0, 16]);
        assert_eq!(&bytes[11..17], &[1, 0, 0x80, 7, 0, 0xc0]);
        assert_eq!(bytes.len(), 2 + 31);
    }

    #[test]
    fn too_many_specs_still_fit_one_record() {
        let bytes = ssl2_client_hello(&vec![0x010080; 20_000], [0; 16]);
        assert!(bytes.len() - 2 <= MAX_SSL2_RECORD_LEN);
        assert_eq!(bytes[0] & 0x80, 0x80);
    }

    #[test]
    fn reads_server_hello_record() {
        let sh = Ssl2ServerHello {
            version: 2,
            session_id_hit: 0,
            certificate_type: 1,
            cipher_specs: vec![0x010080],
            certificate: vec![0x30, 0x82],
            connection_id: vec![9; 16],
        };
        let body = sh.to_bytes();
        let mut rec = (u16::try_from(body.len()).unwrap() | 0x8000)
            .to_be_bytes()
            .to_vec();
        rec.extend(&body);
        let Ssl2Start::Message { consumed, message } = read_ssl2_start(&rec) else {
            panic!()
        };
        assert_eq!(consumed, rec.len());
        assert_eq!(message.unwrap(), sh);
        assert!(matches!(
            read_ssl2_start(&rec[..rec.len() - 1]),
            Ssl2Start::NeedMore
        ));
    }

    #[test]
    fn error_message_becomes_ssl2_error() {
        let Ssl2Start::Message { message, .. } = read_ssl2_start(&[0x80, 3, 0, 0, 1]) else {
            panic!()
        };
        assert_eq!(message, Err(DecodeError::Ssl2Error { code: 1 }));
    }

    proptest! {
        #[test]
        fn server_hello_round_trips(
            version: u16, hit: u8, typ: u8,
            specs in prop::collection::vec(0u32..0x0100_0000, 0..10),
            certificate in prop::collection::vec(any::<u8>(), 0..100),
            connection_id in prop::collection::vec(any::<u8>(), 0..32),
        ) {
            let sh = Ssl2ServerHello { version, session_id_hit: hit, certificate_type: typ, cipher_specs: specs, certificate, connection_id };
            prop_assert_eq!(Ssl2ServerHello::from_bytes(&sh.to_bytes(), "sh").unwrap(), sh);
        }

        #[test]
        fn arbitrary_starts_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
            let _ = read_ssl2_start(&bytes);
        }
    }
}

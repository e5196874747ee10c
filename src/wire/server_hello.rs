//! ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4; RFC 5246 §7.4.1.3). They share one
//! wire format; a HelloRetryRequest is recognised here, by its fixed random, and nowhere else.
//! Every extension is kept, known or not, in the server's order.

use crate::wire::{DecodeError, ExtensionType, LenPrefix, LengthPrefixed, Reader, Wire};

/// The random of every HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// One extension as the server sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawExtension {
    /// Extension type.
    pub typ: u16,
    /// Extension body.
    pub body: Vec<u8>,
}

impl Wire<'_> for RawExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.typ.to_be_bytes());
        LengthPrefixed::new(out, LenPrefix::U16).extend_from_slice(&self.body);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = r.u16("extension type")?;
        let body = r.vec(LenPrefix::U16, "extension body")?;
        Ok(RawExtension { typ, body })
    }
}

/// A ServerHello (not a HelloRetryRequest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// legacy_version (the negotiated version up to TLS 1.2; 0x0303 in TLS 1.3).
    pub legacy_version: u16,
    /// server random.
    pub random: [u8; 32],
    /// session id (≤ 32 bytes).
    pub session_id: Vec<u8>,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The chosen compression method.
    pub compression: u8,
    /// Every extension, in the server's order (none for SSLv3-style hellos).
    pub extensions: Vec<RawExtension>,
}

/// What a handshake message of type server_hello turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerHelloKind {
    /// A real ServerHello.
    Hello(ServerHello),
    /// A HelloRetryRequest (the random was [`HRR_RANDOM`]).
    Retry(HelloRetryRequest),
}

/// A TLS 1.3 HelloRetryRequest: the server accepts the suite but wants a key share for
/// `selected_group`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloRetryRequest {
    /// legacy_version as sent (0x0303).
    pub legacy_version: u16,
    /// The echoed session id.
    pub session_id: Vec<u8>,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The group from the key_share extension, if present.
    pub selected_group: Option<u16>,
    /// The version from supported_versions, else legacy_version.
    pub version: u16,
    /// Every extension, in the server's order.
    pub extensions: Vec<RawExtension>,
}

impl ServerHelloKind {
    /// Reads a server_hello body and tells a HelloRetryRequest from a ServerHello.
    pub fn read(r: &mut Reader<'_>) -> Result<ServerHelloKind, DecodeError> {
        let hello = ServerHello::read(r)?;
        if hello.random != HRR_RANDOM {
            return Ok(ServerHelloKind::Hello(hello));
        }
        let version = hello.version();
        let selected_group = hello.key_share_group();
        Ok(ServerHelloKind::Retry(HelloRetryRequest {
            legacy_version: hello.legacy_version,
            session_id: hello.session_id,
            cipher_suite: hello.cipher_suite,
            selected_group,
            version,
            extensions: hello.extensions,
        }))
    }
}

impl ServerHello {
    /// The negotiated version: supported_versions if present (TLS 1.3), else legacy_version.
    pub fn version(&self) -> u16 {
        supported_version(&self.extensions).unwrap_or(self.legacy_version)
    }

    /// Whether the server sent an extension of type `typ`.
    pub fn has_extension(&self, typ: u16) -> bool {
        self.extensions.iter().any(|e| e.typ == typ)
    }

    /// The body of the first extension of type `typ`.
    pub fn extension(&self, typ: u16) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|e| e.typ == typ)
            .map(|e| e.body.as_slice())
    }

    /// The group of the server's key_share (TLS 1.3), if it sent a well-formed one.
    pub fn key_share_group(&self) -> Option<u16> {
        key_share_group(&self.extensions)
    }

    /// Whether the server signalled RFC 5746 secure renegotiation (renegotiation_info present).
    pub fn secure_renegotiation(&self) -> bool {
        self.has_extension(ExtensionType::RENEGOTIATION_INFO.0)
    }

    /// Whether the server agreed to extended_master_secret.
    pub fn extended_master_secret(&self) -> bool {
        self.has_extension(ExtensionType::EXTENDED_MASTER_SECRET.0)
    }
}

impl HelloRetryRequest {
    /// Whether the server sent an extension of type `typ`.
    pub fn has_extension(&self, typ: u16) -> bool {
        self.extensions.iter().any(|e| e.typ == typ)
    }

    /// The same message in ServerHello form (random = [`HRR_RANDOM`]), e.g. to encode it.
    pub fn to_server_hello(&self) -> ServerHello {
        ServerHello {
            legacy_version: self.legacy_version,
            random: HRR_RANDOM,
            session_id: self.session_id.clone(),
            cipher_suite: self.cipher_suite,
            compression: 0,
            extensions: self.extensions.clone(),
        }
    }
}

fn supported_version(extensions: &[RawExtension]) -> Option<u16> {
    let ext = extensions
        .iter()
        .find(|e| e.typ == ExtensionType::SUPPORTED_VERSIONS.0)?;
    let bytes: [u8; 2] = ext.body.as_slice().try_into().ok()?;
    Some(u16::from_be_bytes(bytes))
}

/// RFC 8446 §4.2.8: a ServerHello's key_share starts with the group (then the share); an HRR's
/// is only the group. Either way the first two bytes.
fn key_share_group(extensions: &[RawExtension]) -> Option<u16> {
    let ext = extensions
        .iter()
        .find(|e| e.typ == ExtensionType::KEY_SHARE.0)?;
    let mut r = Reader::new(&ext.body);
    r.u16("key_share group").ok()
}

impl Wire<'_> for ServerHello {
    /// The handshake body (no handshake header).
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.legacy_version.to_be_bytes());
        out.extend_from_slice(&self.random);
        LengthPrefixed::new(out, LenPrefix::U8).extend_from_slice(&self.session_id);
        out.extend_from_slice(&self.cipher_suite.to_be_bytes());
        out.push(self.compression);
        if !self.extensions.is_empty() {
            let mut exts = LengthPrefixed::new(out, LenPrefix::U16);
            for e in &self.extensions {
                e.encode(&mut exts);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = r.u16("server_version")?;
        let random = r.take_array("server random")?;
        let session_id = r.session_id()?;
        let cipher_suite = r.u16("cipher_suite")?;
        let compression = r.u8("compression_method")?;
        let mut extensions = Vec::new();
        // RFC 5246 §7.4.1.3: the extensions block is optional (SSLv3 and old servers omit it).
        if !r.is_empty() {
            let mut exts = r.sub(LenPrefix::U16, "server_hello extensions")?;
            while !exts.is_empty() {
                extensions.push(RawExtension::read(&mut exts)?);
            }
        }
        r.finish("server_hello")?;
        Ok(ServerHello {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression,
            extensions,
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    fn read_kind(bytes: &[u8]) -> Result<ServerHelloKind, DecodeError> {
        let mut r = Reader::new(bytes);
        ServerHelloKind::read(&mut r)
    }

    fn tls13_hello(random: [u8; 32], key_share: Vec<u8>) -> ServerHello {
        ServerHello {
            legacy_version: 0x0303,
            random,
            session_id: vec![1; 32],
            cipher_suite: 0x1302,
            compression: 0,
            extensions: vec![
                RawExtension {
                    typ: 43,
                    body: vec![3, 4],
                },
                RawExtension {
                    typ: 51,
                    body: key_share,
                },
                RawExtension {
                    typ: 0x7777,
                    body: vec![1, 2, 3],
                },
            ],
        }
    }

    #[test]
    fn tls13_version_comes_from_supported_versions() {
        let sh = tls13_hello([5; 32], vec![0, 0x1d, 0, 32]);
        let ServerHelloKind::Hello(got) = read_kind(&sh.to_bytes()).unwrap() else {
            panic!("not a hello")
        };
        assert_eq!(got.version(), 0x0304);
        assert_eq!(got.key_share_group(), Some(0x1d));
        assert!(got.has_extension(0x7777), "keeps_unknown_extension");
    }

    #[test]
    fn hrr_is_not_a_server_hello() {
        let sh = tls13_hello(HRR_RANDOM, vec![0, 0x18]);
        let ServerHelloKind::Retry(hrr) = read_kind(&sh.to_bytes()).unwrap() else {
            panic!("not an HRR")
        };
        assert_eq!(hrr.selected_group, Some(0x18));
        assert_eq!(hrr.cipher_suite, 0x1302);
        assert_eq!(hrr.version, 0x0304);
        assert_eq!(hrr.to_server_hello(), sh);
    }

    #[test]
    fn sslv3_style_hello_without_extensions() {
        let mut bytes = vec![3, 0];
        bytes.extend([9; 32]);
        bytes.extend([0, 0x00, 0x0a, 0]);
        let ServerHelloKind::Hello(sh) = read_kind(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!((sh.version(), sh.cipher_suite), (0x0300, 0x000a));
        assert!(!sh.secure_renegotiation());
    }

    #[test]
    fn truncated_extension_is_an_error() {
        let mut bytes = tls13_hello([5; 32], vec![0, 0x1d]).to_bytes();
        bytes.pop();
        assert!(matches!(
            read_kind(&bytes),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn long_session_id_is_rejected() {
        let mut bytes = vec![3, 3];
        bytes.extend([9; 32]);
        bytes.push(33);
        bytes.extend([0; 33]);
        bytes.extend([0, 0x2f, 0]);
        assert!(matches!(
            read_kind(&bytes),
            Err(DecodeError::TooLong {
                what: "session_id",
                ..
            })
        ));
    }

    pub(crate) fn arb_server_hello() -> impl Strategy<Value = ServerHello> {
        (
            any::<u16>(),
            any::<[u8; 32]>(),
            prop::collection::vec(any::<u8>(), 0..=32),
            any::<u16>(),
            any::<u8>(),
            prop::collection::vec(
                (any::<u16>(), prop::collection::vec(any::<u8>(), 0..40))
                    .prop_map(|(typ, body)| RawExtension { typ, body }),
                0..8,
            ),
        )
            .prop_map(
                |(legacy_version, random, session_id, cipher_suite, compression, extensions)| {
                    ServerHello {
                        legacy_version,
                        random,
                        session_id,
                        cipher_suite,
                        compression,
                        extensions,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn server_hello_round_trips(sh in arb_server_hello()) {
            prop_assert_eq!(ServerHello::from_bytes(&sh.to_bytes(), "sh").unwrap(), sh);
        }

        #[test]
        fn hrr_round_trips(mut sh in arb_server_hello()) {
            sh.random = HRR_RANDOM;
            sh.compression = 0;
            let ServerHelloKind::Retry(hrr) = read_kind(&sh.to_bytes()).unwrap() else { panic!() };
            prop_assert_eq!(hrr.to_server_hello(), sh);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = read_kind(&bytes);
        }
    }
}

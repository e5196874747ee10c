//! The ClientHello message (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) and its extensions. Encoding is
//! exact; reading keeps every extension, and any extension whose body is not in the canonical
//! form we would write is kept as [`ClientExtension::Unknown`] so that bytes always round-trip.

use crate::wire::{
    encode_records, ContentType, DecodeError, ExtensionType, HandshakeType, LenPrefix,
    LengthPrefixed, Reader, Wire,
};

/// Hellos whose handshake message (4-byte header included) is this long or longer, but shorter
/// than [`PAD_TO`], hang some F5 load balancers (RFC 7685 §1); we pad them up to [`PAD_TO`].
const PAD_FROM: usize = 256;

/// See [`PAD_FROM`].
const PAD_TO: usize = 512;

/// Handshake lengths mod 256 that some middleboxes cannot take (testssl.sh PR #1113, #1120).
const BAD_REMAINDERS: [usize; 2] = [10, 14];

/// A ClientHello, ready to encode. Fields are sent exactly as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// legacy_version (the offered version up to TLS 1.2; 0x0303 for TLS 1.3 hellos).
    pub legacy_version: u16,
    /// client random.
    pub random: [u8; 32],
    /// legacy_session_id (0..=32 bytes).
    pub session_id: Vec<u8>,
    /// Cipher suites in the order sent.
    pub cipher_suites: Vec<u16>,
    /// Compression methods (normally `[0]`).
    pub compression_methods: Vec<u8>,
    /// Extensions in the order sent. Empty means no extensions block at all (SSLv3 style).
    pub extensions: Vec<ClientExtension>,
}

/// One key_share entry (RFC 8446 §4.2.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The named group.
    pub group: u16,
    /// The public value.
    pub key_exchange: Vec<u8>,
}

/// A ClientHello extension. Known ones are typed; anything else, or a known type with a body we
/// would not write ourselves, is `Unknown` and round-trips byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientExtension {
    /// server_name with one host_name entry.
    ServerName(String),
    /// status_request for OCSP with empty responder and extension lists.
    StatusRequest,
    /// supported_groups, in preference order.
    SupportedGroups(Vec<u16>),
    /// ec_point_formats (0 = uncompressed).
    EcPointFormats(Vec<u8>),
    /// signature_algorithms.
    SignatureAlgorithms(Vec<u16>),
    /// padding of this many zero bytes.
    Padding(usize),
    /// encrypt_then_mac (empty).
    EncryptThenMac,
    /// extended_master_secret (empty).
    ExtendedMasterSecret,
    /// session_ticket with this ticket (empty asks for a new one).
    SessionTicket(Vec<u8>),
    /// supported_versions.
    SupportedVersions(Vec<u16>),
    /// signature_algorithms_cert.
    SignatureAlgorithmsCert(Vec<u16>),
    /// key_share client_shares.
    KeyShare(Vec<KeyShareEntry>),
    /// renegotiation_info with this renegotiated_connection (empty on an initial handshake).
    RenegotiationInfo(Vec<u8>),
    /// Anything else, kept as sent.
    Unknown {
        /// Extension type.
        typ: u16,
        /// Extension body.
        body: Vec<u8>,
    },
}

impl ClientExtension {
    /// The extension type code.
    pub fn typ(&self) -> u16 {
        let t = match self {
            ClientExtension::ServerName(_) => ExtensionType::SERVER_NAME,
            ClientExtension::StatusRequest => ExtensionType::STATUS_REQUEST,
            ClientExtension::SupportedGroups(_) => ExtensionType::SUPPORTED_GROUPS,
            ClientExtension::EcPointFormats(_) => ExtensionType::EC_POINT_FORMATS,
            ClientExtension::SignatureAlgorithms(_) => ExtensionType::SIGNATURE_ALGORITHMS,
            ClientExtension::Padding(_) => ExtensionType::PADDING,
            ClientExtension::EncryptThenMac => ExtensionType::ENCRYPT_THEN_MAC,
            ClientExtension::ExtendedMasterSecret => ExtensionType::EXTENDED_MASTER_SECRET,
            ClientExtension::SessionTicket(_) => ExtensionType::SESSION_TICKET,
            ClientExtension::SupportedVersions(_) => ExtensionType::SUPPORTED_VERSIONS,
            ClientExtension::SignatureAlgorithmsCert(_) => ExtensionType::SIGNATURE_ALGORITHMS_CERT,
            ClientExtension::KeyShare(_) => ExtensionType::KEY_SHARE,
            ClientExtension::RenegotiationInfo(_) => ExtensionType::RENEGOTIATION_INFO,
            ClientExtension::Unknown { typ, .. } => return *typ,
        };
        t.0
    }

    /// Writes the extension body (without type and length).
    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            ClientExtension::ServerName(name) => {
                let mut list = LengthPrefixed::new(out, LenPrefix::U16);
                list.push(0); // name_type host_name
                LengthPrefixed::new(&mut list, LenPrefix::U16).extend_from_slice(name.as_bytes());
            }
            // status_type ocsp, empty responder_id_list, empty request_extensions.
            ClientExtension::StatusRequest => out.extend_from_slice(&[1, 0, 0, 0, 0]),
            ClientExtension::SupportedGroups(v)
            | ClientExtension::SignatureAlgorithms(v)
            | ClientExtension::SignatureAlgorithmsCert(v) => {
                encode_u16_list(out, LenPrefix::U16, v)
            }
            ClientExtension::SupportedVersions(v) => encode_u16_list(out, LenPrefix::U8, v),
            ClientExtension::EcPointFormats(v) | ClientExtension::RenegotiationInfo(v) => {
                LengthPrefixed::new(out, LenPrefix::U8).extend_from_slice(v)
            }
            ClientExtension::Padding(n) => out.extend(std::iter::repeat_n(0u8, *n)),
            ClientExtension::EncryptThenMac | ClientExtension::ExtendedMasterSecret => {}
            ClientExtension::SessionTicket(v) | ClientExtension::Unknown { body: v, .. } => {
                out.extend_from_slice(v)
            }
            ClientExtension::KeyShare(entries) => {
                let mut list = LengthPrefixed::new(out, LenPrefix::U16);
                for e in entries {
                    list.extend_from_slice(&e.group.to_be_bytes());
                    LengthPrefixed::new(&mut list, LenPrefix::U16)
                        .extend_from_slice(&e.key_exchange);
                }
            }
        }
    }

    /// Parses a known body strictly; `None` if it is not in our canonical form.
    fn read_known(typ: u16, body: &[u8]) -> Option<ClientExtension> {
        let mut r = Reader::new(body);
        let ext = match ExtensionType(typ) {
            ExtensionType::SERVER_NAME => {
                let mut list = r.sub(LenPrefix::U16, "server_name list").ok()?;
                if list.u8("name_type").ok()? != 0 {
                    return None;
                }
                let name = list.sub(LenPrefix::U16, "host_name").ok()?.rest();
                list.finish("server_name list").ok()?;
                ClientExtension::ServerName(String::from_utf8(name.to_vec()).ok()?)
            }
            ExtensionType::STATUS_REQUEST => {
                if r.rest() != [1, 0, 0, 0, 0] {
                    return None;
                }
                ClientExtension::StatusRequest
            }
            ExtensionType::SUPPORTED_GROUPS => {
                ClientExtension::SupportedGroups(r.u16_list(LenPrefix::U16, "groups").ok()?)
            }
            ExtensionType::SIGNATURE_ALGORITHMS => {
                ClientExtension::SignatureAlgorithms(r.u16_list(LenPrefix::U16, "sigalgs").ok()?)
            }
            ExtensionType::SIGNATURE_ALGORITHMS_CERT => ClientExtension::SignatureAlgorithmsCert(
                r.u16_list(LenPrefix::U16, "sigalgs").ok()?,
            ),
            ExtensionType::SUPPORTED_VERSIONS => {
                ClientExtension::SupportedVersions(r.u16_list(LenPrefix::U8, "versions").ok()?)
            }
            ExtensionType::EC_POINT_FORMATS => {
                ClientExtension::EcPointFormats(r.vec(LenPrefix::U8, "formats").ok()?)
            }
            ExtensionType::RENEGOTIATION_INFO => {
                ClientExtension::RenegotiationInfo(r.vec(LenPrefix::U8, "renegotiation_info").ok()?)
            }
            ExtensionType::PADDING => {
                let pad = r.rest();
                if pad.iter().any(|b| *b != 0) {
                    return None;
                }
                ClientExtension::Padding(pad.len())
            }
            ExtensionType::ENCRYPT_THEN_MAC => ClientExtension::EncryptThenMac,
            ExtensionType::EXTENDED_MASTER_SECRET => ClientExtension::ExtendedMasterSecret,
            ExtensionType::SESSION_TICKET => ClientExtension::SessionTicket(r.rest().to_vec()),
            ExtensionType::KEY_SHARE => {
                let mut list = r.sub(LenPrefix::U16, "client_shares").ok()?;
                let mut entries = Vec::new();
                while !list.is_empty() {
                    let group = list.u16("group").ok()?;
                    let key_exchange = list.vec(LenPrefix::U16, "key_exchange").ok()?;
                    entries.push(KeyShareEntry {
                        group,
                        key_exchange,
                    });
                }
                ClientExtension::KeyShare(entries)
            }
            _ => return None,
        };
        r.finish("extension").ok()?;
        Some(ext)
    }
}

impl Wire<'_> for ClientExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.typ().to_be_bytes());
        self.encode_body(&mut LengthPrefixed::new(out, LenPrefix::U16));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = r.u16("extension type")?;
        let body = r.sub(LenPrefix::U16, "extension body")?.rest();
        // Keep the typed form only if writing it back gives the same bytes.
        if let Some(ext) = ClientExtension::read_known(typ, body) {
            let mut again = Vec::with_capacity(body.len());
            ext.encode_body(&mut again);
            if again == body {
                return Ok(ext);
            }
        }
        Ok(ClientExtension::Unknown {
            typ,
            body: body.to_vec(),
        })
    }
}

impl Wire<'_> for ClientHello {
    /// The handshake body (no handshake header).
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.legacy_version.to_be_bytes());
        out.extend_from_slice(&self.random);
        LengthPrefixed::new(out, LenPrefix::U8).extend_from_slice(&self.session_id);
        encode_u16_list(out, LenPrefix::U16, &self.cipher_suites);
        LengthPrefixed::new(out, LenPrefix::U8).extend_from_slice(&self.compression_methods);
        if !self.extensions.is_empty() {
            let mut exts = LengthPrefixed::new(out, LenPrefix::U16);
            for e in &self.extensions {
                e.encode(&mut exts);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = r.u16("client_version")?;
        let random = r.take_array("client random")?;
        let session_id = r.session_id()?;
        let cipher_suites = r.u16_list(LenPrefix::U16, "cipher_suites")?;
        let compression_methods = r.vec(LenPrefix::U8, "compression_methods")?;
        let mut extensions = Vec::new();
        if !r.is_empty() {
            let mut exts = r.sub(LenPrefix::U16, "extensions")?;
            while !exts.is_empty() {
                extensions.push(ClientExtension::read(&mut exts)?);
            }
            // An empty extensions block would not round-trip (we omit it); refuse it here so
            // that `read(encode(x)) == x` holds for everything `read` accepts.
            if extensions.is_empty() {
                return Err(DecodeError::Invalid {
                    what: "empty extensions block",
                });
            }
        }
        Ok(ClientHello {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }
}

impl ClientHello {
    /// The full handshake message: type 1, 24-bit length, body.
    pub fn encode_handshake(&self) -> Vec<u8> {
        let mut out = vec![HandshakeType::CLIENT_HELLO.0];
        self.encode(&mut LengthPrefixed::new(&mut out, LenPrefix::U24));
        out
    }

    /// Reads a full handshake message (header included); the message must span `bytes`.
    pub fn read_handshake(bytes: &[u8]) -> Result<ClientHello, DecodeError> {
        let mut r = Reader::new(bytes);
        if r.u8("handshake type")? != HandshakeType::CLIENT_HELLO.0 {
            return Err(DecodeError::Invalid {
                what: "handshake type (want client_hello)",
            });
        }
        let mut body = r.sub(LenPrefix::U24, "client_hello")?;
        r.finish("client_hello handshake")?;
        let hello = ClientHello::read(&mut body)?;
        body.finish("client_hello")?;
        Ok(hello)
    }

    /// A copy with a padding extension appended if the handshake message would otherwise be
    /// 256..=511 bytes long (RFC 7685; the F5 bug), or a length whose remainder mod 256 is 10 or
    /// 14 (522, 778, ...: middleboxes testssl.sh users met choke on those). Hellos without
    /// extensions (SSLv3) cannot be padded and are returned as they are, as are hellos that
    /// already carry padding.
    pub fn padded(&self) -> ClientHello {
        let mut hello = self.clone();
        let has_padding = hello
            .extensions
            .iter()
            .any(|e| matches!(e, ClientExtension::Padding(_)));
        if hello.extensions.is_empty() || has_padding {
            return hello;
        }
        let len = hello.encode_handshake().len();
        if (PAD_FROM..PAD_TO).contains(&len) {
            // The extension header itself takes 4 bytes.
            let pad = PAD_TO.saturating_sub(len).saturating_sub(4);
            hello.extensions.push(ClientExtension::Padding(pad));
        } else if BAD_REMAINDERS.contains(&(len % 256)) {
            // 4 bytes of header move 10 to 14 (as bad) and 14 to 18; one byte more fixes 10.
            let pad = if len % 256 == 10 { 1 } else { 0 };
            hello.extensions.push(ClientExtension::Padding(pad));
        }
        hello
    }

    /// The padded hello ([`ClientHello::padded`]) as a handshake message inside TLS record(s)
    /// of version `record_version` (0x0301 is the safest for TLS hellos, 0x0300 for SSLv3),
    /// split into 2^14-byte fragments when longer.
    pub fn encode_records(&self, record_version: u16) -> Vec<u8> {
        encode_records(
            ContentType::HANDSHAKE,
            record_version,
            &self.padded().encode_handshake(),
        )
    }
}

fn encode_u16_list(out: &mut Vec<u8>, prefix: LenPrefix, values: &[u16]) {
    let mut list = LengthPrefixed::new(out, prefix);
    for v in values {
        list.extend_from_slice(&v.to_be_bytes());
    }
}

#[cfg(test)]
#[path = "client_hello_test.rs"]
mod tests;

//! Protocol code points as newtypes. Only values the codec branches on get a const; human names
//! live in `cipher-db/`. Unknown values are kept as they are.

/// TLS record content type (RFC 8446 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContentType(pub u8);

impl ContentType {
    /// change_cipher_spec (20).
    pub const CHANGE_CIPHER_SPEC: ContentType = ContentType(20);
    /// alert (21).
    pub const ALERT: ContentType = ContentType(21);
    /// handshake (22).
    pub const HANDSHAKE: ContentType = ContentType(22);
    /// application_data (23).
    pub const APPLICATION_DATA: ContentType = ContentType(23);
    /// heartbeat (24, RFC 6520).
    pub const HEARTBEAT: ContentType = ContentType(24);

    /// Whether a record may carry this type at all; used to tell TLS from other protocols.
    pub fn is_known(self) -> bool {
        (20..=24).contains(&self.0)
    }
}

/// Handshake message type (RFC 8446 §4, RFC 5246 §7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandshakeType(pub u8);

impl HandshakeType {
    /// client_hello.
    pub const CLIENT_HELLO: HandshakeType = HandshakeType(1);
    /// server_hello (also HelloRetryRequest in TLS 1.3).
    pub const SERVER_HELLO: HandshakeType = HandshakeType(2);
    /// certificate.
    pub const CERTIFICATE: HandshakeType = HandshakeType(11);
    /// server_key_exchange.
    pub const SERVER_KEY_EXCHANGE: HandshakeType = HandshakeType(12);
    /// certificate_request.
    pub const CERTIFICATE_REQUEST: HandshakeType = HandshakeType(13);
    /// server_hello_done.
    pub const SERVER_HELLO_DONE: HandshakeType = HandshakeType(14);
    /// certificate_status (RFC 6066 §8).
    pub const CERTIFICATE_STATUS: HandshakeType = HandshakeType(22);
}

/// Extension type (IANA "TLS ExtensionType Values").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtensionType(pub u16);

impl ExtensionType {
    /// server_name (RFC 6066).
    pub const SERVER_NAME: ExtensionType = ExtensionType(0);
    /// status_request (RFC 6066).
    pub const STATUS_REQUEST: ExtensionType = ExtensionType(5);
    /// supported_groups (RFC 8422, RFC 7919).
    pub const SUPPORTED_GROUPS: ExtensionType = ExtensionType(10);
    /// ec_point_formats (RFC 8422).
    pub const EC_POINT_FORMATS: ExtensionType = ExtensionType(11);
    /// signature_algorithms (RFC 8446 §4.2.3).
    pub const SIGNATURE_ALGORITHMS: ExtensionType = ExtensionType(13);
    /// padding (RFC 7685).
    pub const PADDING: ExtensionType = ExtensionType(21);
    /// encrypt_then_mac (RFC 7366).
    pub const ENCRYPT_THEN_MAC: ExtensionType = ExtensionType(22);
    /// extended_master_secret (RFC 7627).
    pub const EXTENDED_MASTER_SECRET: ExtensionType = ExtensionType(23);
    /// session_ticket (RFC 5077).
    pub const SESSION_TICKET: ExtensionType = ExtensionType(35);
    /// supported_versions (RFC 8446 §4.2.1).
    pub const SUPPORTED_VERSIONS: ExtensionType = ExtensionType(43);
    /// signature_algorithms_cert (RFC 8446 §4.2.3).
    pub const SIGNATURE_ALGORITHMS_CERT: ExtensionType = ExtensionType(50);
    /// key_share (RFC 8446 §4.2.8).
    pub const KEY_SHARE: ExtensionType = ExtensionType(51);
    /// renegotiation_info (RFC 5746).
    pub const RENEGOTIATION_INFO: ExtensionType = ExtensionType(0xff01);
}

/// Named group (IANA "TLS Supported Groups").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NamedGroup(pub u16);

impl NamedGroup {
    /// secp256r1 (P-256).
    pub const SECP256R1: NamedGroup = NamedGroup(0x0017);
    /// secp384r1 (P-384).
    pub const SECP384R1: NamedGroup = NamedGroup(0x0018);
    /// secp521r1 (P-521).
    pub const SECP521R1: NamedGroup = NamedGroup(0x0019);
    /// x25519 (RFC 7748).
    pub const X25519: NamedGroup = NamedGroup(0x001d);
    /// x448 (RFC 7748).
    pub const X448: NamedGroup = NamedGroup(0x001e);
    /// ffdhe2048 (RFC 7919).
    pub const FFDHE2048: NamedGroup = NamedGroup(0x0100);
    /// ffdhe3072.
    pub const FFDHE3072: NamedGroup = NamedGroup(0x0101);
    /// ffdhe4096.
    pub const FFDHE4096: NamedGroup = NamedGroup(0x0102);
    /// ffdhe6144.
    pub const FFDHE6144: NamedGroup = NamedGroup(0x0103);
    /// ffdhe8192.
    pub const FFDHE8192: NamedGroup = NamedGroup(0x0104);
    /// MLKEM512 (pure ML-KEM, draft-connolly-tls-mlkem-key-agreement).
    pub const MLKEM512: NamedGroup = NamedGroup(0x0200);
    /// MLKEM768.
    pub const MLKEM768: NamedGroup = NamedGroup(0x0201);
    /// MLKEM1024.
    pub const MLKEM1024: NamedGroup = NamedGroup(0x0202);
    /// SecP256r1MLKEM768 (draft-ietf-tls-ecdhe-mlkem).
    pub const SECP256R1_MLKEM768: NamedGroup = NamedGroup(0x11eb);
    /// X25519MLKEM768.
    pub const X25519_MLKEM768: NamedGroup = NamedGroup(0x11ec);
    /// SecP384r1MLKEM1024.
    pub const SECP384R1_MLKEM1024: NamedGroup = NamedGroup(0x11ed);

    /// Whether the group is a finite-field DH group (RFC 7919 range 0x0100..=0x01FF).
    pub fn is_ffdhe(self) -> bool {
        (0x0100..=0x01ff).contains(&self.0)
    }

    /// Whether offering this group should come with ec_point_formats: every elliptic-curve
    /// group, i.e. everything below the FFDHE range (RFC 8422 §5.1.1).
    pub fn is_ec(self) -> bool {
        self.0 < 0x0100
    }
}

/// Cipher suite code. Only the signalling values the builder adds get consts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
    pub const EMPTY_RENEGOTIATION_INFO_SCSV: CipherSuite = CipherSuite(0x00ff);
    /// TLS_FALLBACK_SCSV (RFC 7507).
    pub const FALLBACK_SCSV: CipherSuite = CipherSuite(0x5600);
}

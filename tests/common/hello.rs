//! A minimal TLS client hello encoder and server-answer reader for the reference enumeration
//! (`reference.rs`), written independently of fipsprobe's `wire` module: the reference must not
//! share the code it checks. It builds one ClientHello offering exactly one suite, sends it, and
//! reads the answer only far enough to classify it (ServerHello or HelloRetryRequest with the
//! chosen version and suite, the cleartext leaf certificate, an alert, or a failure).
//!
//! The hello is what a permissive client sends: every elliptic-curve group (no FFDHE groups in
//! TLS 1.0-1.2, which under RFC 7919 would let a server refuse DHE suites), uncompressed points,
//! every signature scheme (TLS 1.2+), extended master secret, the renegotiation SCSV, and for
//! TLS 1.3 key shares for x25519 and P-256 (the P-256 share is the curve's generator: a valid
//! point, no key generation needed). Hellos whose handshake length falls in 256..=511 bytes are
//! padded to 512 (RFC 7685), as browsers do for the appliances that choke on those lengths.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Protocol wire versions.
pub const SSL3: u16 = 0x0300;
/// TLS 1.0.
pub const TLS10: u16 = 0x0301;
/// TLS 1.1.
pub const TLS11: u16 = 0x0302;
/// TLS 1.2.
pub const TLS12: u16 = 0x0303;
/// TLS 1.3.
pub const TLS13: u16 = 0x0304;

/// The renegotiation SCSV (RFC 5746), sent beside the offered suite.
const RENEGOTIATION_SCSV: u16 = 0x00FF;

/// Elliptic-curve groups for TLS 1.0-1.2 hellos: the common ones first, then every other
/// RFC 8422 / RFC 7027 curve (codes 1-30).
fn ec_groups() -> Vec<u16> {
    let first = [0x001D, 0x0017, 0x0018, 0x0019, 0x001E];
    let rest = (0x0001..=0x001C).filter(|g| !first.contains(g));
    first.into_iter().chain(rest).collect()
}

/// Groups for TLS 1.3 hellos: the EC groups, the brainpool TLS 1.3 curves, the ML-KEM hybrids
/// and FFDHE (TLS 1.3 has no DHE suites, so listing FFDHE restricts nothing).
fn tls13_groups() -> Vec<u16> {
    let mut groups = vec![0x11EC, 0x6399, 0x001D, 0x0017, 0x0018, 0x0019, 0x001E];
    groups.extend([
        0x001F, 0x0020, 0x0021, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
    ]);
    groups
}

/// Every signature scheme a server might need to sign with (TLS 1.2+).
const SIG_SCHEMES: [u16; 23] = [
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B, 0x081A,
    0x081B, 0x081C, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0203, 0x0201, 0x0402, 0x0202,
];

/// The P-256 base point, uncompressed: a valid public key share whose private key is 1.
const P256_GENERATOR: [u8; 65] = [
    0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40,
    0xF2, 0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2,
    0x96, 0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E,
    0x16, 0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51,
    0xF5,
];

/// The HelloRetryRequest random (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// Never read more than this from one server answer (a long certificate chain fits).
const MAX_ANSWER: usize = 512 * 1024;

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend(v.to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, v: usize) {
    out.extend(&(v as u32).to_be_bytes()[1..]);
}

fn ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    put_u16(out, kind);
    put_u16(out, body.len() as u16);
    out.extend(body);
}

fn list16(items: &[u16]) -> Vec<u8> {
    let mut out = Vec::new();
    put_u16(&mut out, (items.len() * 2) as u16);
    for &i in items {
        put_u16(&mut out, i);
    }
    out
}

/// A ClientHello record offering `suites` (plus the renegotiation SCSV) at `version`, with
/// `sni` if given and every group. TLS 1.3 is offered with `supported_versions` only (legacy
/// version 1.2).
pub fn client_hello(version: u16, suites: &[u16], sni: Option<&str>, seed: u64) -> Vec<u8> {
    client_hello_with(&Spec {
        version,
        suites,
        sni,
        seed,
        ..Spec::default()
    })
}

/// A hello beyond the defaults of [`client_hello`].
#[derive(Clone, Copy, Debug)]
pub struct Spec<'a> {
    /// The wire version.
    pub version: u16,
    /// The suites offered (the renegotiation SCSV is added below TLS 1.3).
    pub suites: &'a [u16],
    /// The server name, if any.
    pub sni: Option<&'a str>,
    /// Varies the random.
    pub seed: u64,
    /// Offer only these groups; a TLS 1.3 hello then carries an empty key_share list, so that
    /// the server names the group it picks in a HelloRetryRequest (RFC 8446 §4.2.8) without
    /// any key exchange.
    pub only_groups: Option<&'a [u16]>,
    /// Offer extended_master_secret (TLS 1.0-1.2).
    pub ems: bool,
    /// More extensions with an empty body (encrypt_then_mac 0x0016, session_ticket 0x0023).
    pub empty_exts: &'a [u16],
    /// signature_algorithms (TLS 1.2+): `None` offers every scheme, `Some(&[])` leaves the
    /// extension out.
    pub sig_schemes: Option<&'a [u16]>,
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            version: TLS12,
            suites: &[],
            sni: None,
            seed: 0,
            only_groups: None,
            ems: true,
            empty_exts: &[],
            sig_schemes: None,
        }
    }
}

/// The ClientHello record `spec` describes.
pub fn client_hello_with(spec: &Spec<'_>) -> Vec<u8> {
    let Spec {
        version,
        suites,
        sni,
        seed,
        only_groups,
        ems,
        empty_exts,
        sig_schemes,
    } = *spec;
    let mut random = [0u8; 32];
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    for b in random.iter_mut() {
        // xorshift: distinct randoms per hello, no crypto needed.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let tls13 = version == TLS13;
    let mut body = Vec::new();
    put_u16(&mut body, if tls13 { TLS12 } else { version });
    body.extend(random);
    if tls13 {
        body.push(32);
        body.extend(random.iter().rev());
    } else {
        body.push(0);
    }
    let mut offered = suites.to_vec();
    if !tls13 {
        offered.push(RENEGOTIATION_SCSV);
    }
    body.extend(list16(&offered));
    body.extend([1, 0]); // null compression

    let mut exts = Vec::new();
    if let Some(name) = sni {
        let mut entry = vec![0u8];
        put_u16(&mut entry, name.len() as u16);
        entry.extend(name.as_bytes());
        let mut list = Vec::new();
        put_u16(&mut list, entry.len() as u16);
        list.extend(entry);
        ext(&mut exts, 0x0000, &list);
    }
    if version != SSL3 {
        let groups = match only_groups {
            Some(list) => list.to_vec(),
            None if tls13 => tls13_groups(),
            None => ec_groups(),
        };
        ext(&mut exts, 0x000A, &list16(&groups));
        ext(&mut exts, 0x000B, &[1, 0]); // ec_point_formats: uncompressed
        match sig_schemes {
            _ if version < TLS12 => {}
            None => ext(&mut exts, 0x000D, &list16(&SIG_SCHEMES)),
            Some([]) => {}
            Some(list) => ext(&mut exts, 0x000D, &list16(list)),
        }
        if !tls13 && ems {
            ext(&mut exts, 0x0017, &[]); // extended_master_secret
        }
    }
    for &kind in empty_exts {
        ext(&mut exts, kind, &[]);
    }
    if tls13 {
        ext(&mut exts, 0x002B, &[2, 0x03, 0x04]); // supported_versions: TLS 1.3
        ext(&mut exts, 0x002D, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
        let mut shares = Vec::new();
        if only_groups.is_none() {
            put_u16(&mut shares, 0x001D);
            put_u16(&mut shares, 32);
            shares.extend(random.iter().map(|b| b | 1)); // any 32 bytes are an x25519 share
            put_u16(&mut shares, 0x0017);
            put_u16(&mut shares, P256_GENERATOR.len() as u16);
            shares.extend(P256_GENERATOR);
        }
        let mut list = Vec::new();
        put_u16(&mut list, shares.len() as u16);
        list.extend(shares);
        ext(&mut exts, 0x0033, &list);
    }
    // 4 (handshake header) + body + 2 (extensions length) + extensions.
    let unpadded = 4 + body.len() + 2 + exts.len();
    if (256..512).contains(&unpadded) {
        let pad = (512 - unpadded).saturating_sub(4);
        ext(&mut exts, 0x0015, &vec![0u8; pad]);
    }
    if !exts.is_empty() {
        put_u16(&mut body, exts.len() as u16);
        body.extend(exts);
    }
    let mut handshake = vec![0x01];
    put_u24(&mut handshake, body.len());
    handshake.extend(body);
    let mut record = vec![0x16];
    put_u16(&mut record, if version == SSL3 { SSL3 } else { TLS10 });
    put_u16(&mut record, handshake.len() as u16);
    record.extend(handshake);
    record
}

/// How a server answered one hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A ServerHello (or HelloRetryRequest, `retry`) choosing `version` and `suite`, with the
    /// leaf certificate when it came in cleartext (TLS 1.2 and below).
    Hello {
        /// The negotiated version (supported_versions when present).
        version: u16,
        /// The chosen suite.
        suite: u16,
        /// Whether it was a HelloRetryRequest.
        retry: bool,
        /// The leaf certificate (DER), if one was read.
        leaf: Option<Vec<u8>>,
        /// The group: the key_share (TLS 1.3 ServerHello or HelloRetryRequest) or the named
        /// curve of an ECDHE ServerKeyExchange (TLS 1.0-1.2).
        group: Option<u16>,
        /// The extension types of the ServerHello, in order.
        extensions: Vec<u16>,
        /// The scheme a TLS 1.2 ServerKeyExchange is signed with.
        scheme: Option<u16>,
    },
    /// A fatal or warning alert before any ServerHello.
    Alert(u8),
    /// The connection failed without a protocol answer (reset, close, timeout, garbage).
    Failed(String),
}

/// Connects, sends `hello`, and classifies the answer. `timeout` bounds the connect and every
/// read.
pub fn exchange(addr: SocketAddr, hello: &[u8], timeout: Duration) -> Answer {
    let mut sock = match TcpStream::connect_timeout(&addr, timeout) {
        Ok(s) => s,
        Err(e) => return Answer::Failed(format!("connect: {e}")),
    };
    let _ = sock.set_nodelay(true);
    let _ = sock.set_read_timeout(Some(timeout));
    let _ = sock.set_write_timeout(Some(timeout));
    if let Err(e) = sock.write_all(hello) {
        return Answer::Failed(format!("write: {e}"));
    }
    read_answer(&mut sock)
}

/// What was read of the server's first flight so far.
#[derive(Default)]
struct Flight {
    hello: Option<ServerHello>,
    leaf: Option<Vec<u8>>,
    group: Option<u16>,
    scheme: Option<u16>,
}

impl Flight {
    /// The answer once reading stops: a ServerHello is an answer even if the rest of the
    /// flight never came; without one, `why` is the failure.
    fn answer(self, why: String) -> Answer {
        match self.hello {
            Some(h) => Answer::Hello {
                version: h.version,
                suite: h.suite,
                retry: h.retry,
                leaf: self.leaf,
                group: self.group.or(h.group),
                extensions: h.extensions,
                scheme: self.scheme,
            },
            None => Answer::Failed(why),
        }
    }
}

/// Reads records until the answer is classified.
fn read_answer(sock: &mut TcpStream) -> Answer {
    let mut handshake = Vec::new();
    let mut flight = Flight::default();
    let mut total = 0usize;
    loop {
        let mut header = [0u8; 5];
        if let Err(e) = sock.read_exact(&mut header) {
            return flight.answer(io_kind(&e));
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        total += 5 + len;
        if header[1] != 3 || len > 18 * 1024 || total > MAX_ANSWER {
            return flight.answer(format!("not TLS: {header:02X?}"));
        }
        let mut payload = vec![0u8; len];
        if let Err(e) = sock.read_exact(&mut payload) {
            return flight.answer(io_kind(&e));
        }
        match header[0] {
            0x15 if flight.hello.is_none() => {
                return match payload.get(1) {
                    Some(&code) => Answer::Alert(code),
                    None => Answer::Failed("empty alert record".into()),
                };
            }
            0x16 => handshake.extend(payload),
            // ChangeCipherSpec (TLS 1.3 compatibility) or encrypted records after a ServerHello.
            _ => {}
        }
        while handshake.len() >= 4 {
            let mlen = (usize::from(handshake[1]) << 16)
                | (usize::from(handshake[2]) << 8)
                | usize::from(handshake[3]);
            if handshake.len() < 4 + mlen {
                break;
            }
            let kind = handshake[0];
            let msg: Vec<u8> = handshake[4..4 + mlen].to_vec();
            handshake.drain(..4 + mlen);
            match kind {
                0x02 => match parse_server_hello(&msg) {
                    Some(parsed) => {
                        let tls13 = parsed.version == TLS13;
                        flight.hello = Some(parsed);
                        // TLS 1.3: everything after is encrypted; a retry ends the exchange.
                        if tls13 {
                            return flight.answer(String::new());
                        }
                    }
                    None => return Answer::Failed("malformed ServerHello".into()),
                },
                0x0B if flight.hello.is_some() => flight.leaf = first_certificate(&msg),
                // ServerKeyExchange: ECDHE with a named curve (curve_type 3).
                0x0C => {
                    let Some(h) = &flight.hello else { continue };
                    let kx = fipsprobe::cipher_db::db().suite(h.suite).map(|s| s.kx);
                    let ecdhe = kx == Some(fipsprobe::cipher_db::Kx::Ecdhe);
                    if ecdhe && msg.first() == Some(&3) {
                        flight.group = msg.get(1..3).map(|c| u16::from_be_bytes([c[0], c[1]]));
                    }
                    let dhe = kx == Some(fipsprobe::cipher_db::Kx::Dhe);
                    if h.version == TLS12 && (ecdhe || dhe) {
                        flight.scheme = ske_scheme(&msg, ecdhe);
                    }
                }
                0x0E if flight.hello.is_some() => return flight.answer(String::new()),
                _ => {}
            }
        }
    }
}

fn io_kind(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::UnexpectedEof => "closed".into(),
        ErrorKind::ConnectionReset => "reset".into(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut => "timeout".into(),
        _ => format!("read: {e}"),
    }
}

/// What the reference reads from a ServerHello.
#[derive(Clone)]
struct ServerHello {
    version: u16,
    suite: u16,
    retry: bool,
    group: Option<u16>,
    extensions: Vec<u16>,
}

/// A ServerHello (or HelloRetryRequest) body.
fn parse_server_hello(msg: &[u8]) -> Option<ServerHello> {
    let legacy = u16::from_be_bytes([*msg.first()?, *msg.get(1)?]);
    let random = msg.get(2..34)?;
    let sid_len = usize::from(*msg.get(34)?);
    let at = 35 + sid_len;
    let suite = u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]);
    let mut version = legacy;
    let mut group = None;
    let mut extensions = Vec::new();
    // Extensions, if any, after the compression method.
    let ext_at = at + 3;
    if let Some(len) = msg.get(ext_at..ext_at + 2) {
        let end = ext_at + 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        let mut i = ext_at + 2;
        while i + 4 <= end.min(msg.len()) {
            let kind = u16::from_be_bytes([msg[i], msg[i + 1]]);
            let elen = usize::from(u16::from_be_bytes([msg[i + 2], msg[i + 3]]));
            extensions.push(kind);
            let value = || Some(u16::from_be_bytes([*msg.get(i + 4)?, *msg.get(i + 5)?]));
            if kind == 0x002B && elen == 2 {
                version = value()?;
            }
            // key_share: the group alone (HelloRetryRequest) or the group and the share.
            if kind == 0x0033 && elen >= 2 {
                group = value();
            }
            i += 4 + elen;
        }
    }
    Some(ServerHello {
        version,
        suite,
        retry: random == HRR_RANDOM,
        group,
        extensions,
    })
}

/// The signature scheme of a TLS 1.2 ServerKeyExchange: the two bytes after the ECDHE
/// parameters (curve type, curve, point) or the DHE ones (p, g, Ys).
fn ske_scheme(msg: &[u8], ecdhe: bool) -> Option<u16> {
    let u16_at = |at: usize| Some(u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]));
    let at = if ecdhe {
        4 + usize::from(*msg.get(3)?)
    } else {
        let mut at = 0;
        for _ in 0..3 {
            at += 2 + usize::from(u16_at(at)?);
        }
        at
    };
    u16_at(at)
}

/// The first certificate of a TLS 1.0-1.2 Certificate message.
fn first_certificate(msg: &[u8]) -> Option<Vec<u8>> {
    let len = |at: usize| -> Option<usize> {
        Some(
            (usize::from(*msg.get(at)?) << 16)
                | (usize::from(*msg.get(at + 1)?) << 8)
                | usize::from(*msg.get(at + 2)?),
        )
    };
    let first = len(3)?;
    msg.get(6..6 + first).map(<[u8]>::to_vec)
}

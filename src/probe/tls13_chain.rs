//! The TLS 1.3 certificate chain without rustls, for servers whose Certificate message rustls
//! will not take: rustls refuses any handshake message over 64 KiB (`HandshakePayloadTooLarge`),
//! and a 109 KB certificate is real. Reading the chain takes only the server's first flight: we
//! send a ClientHello with ephemeral key shares, derive the server's handshake traffic key
//! (RFC 8446 §7.1), decrypt its records and stop at the Certificate message. Nothing is
//! verified and nothing is sent after the hello: we audit the server, we do not trust it.
//!
//! Bounded: at most [`MAX_CERTIFICATE_LEN`] bytes of Certificate message and
//! [`MAX_READ_LEN`] bytes from the socket; the first [`MAX_CHAIN_CERTS`] certificates are kept.
//! A HelloRetryRequest (none of our three key shares suits the server) ends the attempt.

#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::arithmetic_side_effects
)]

use std::time::Duration;

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::digest;
use aws_lc_rs::hkdf::{self, Prk, Salt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::model::{Awaited, ConnError};
use crate::probe::offer::SIG_SCHEMES;
use crate::probe::tls13::Tls13Facts;
use crate::wire::{
    ClientExtension, ClientHello, ContentType, Deframer, KeyShareEntry, LenPrefix, Reader,
    ServerHelloKind, MAX_CHAIN_CERTS,
};

/// Longest TLS 1.3 Certificate message read: four times rustls's limit.
pub const MAX_CERTIFICATE_LEN: usize = 256 * 1024;

/// Most bytes read from the socket: the Certificate message and what precedes it.
pub const MAX_READ_LEN: usize = MAX_CERTIFICATE_LEN + 64 * 1024;

/// Longest handshake message other than the Certificate (ServerHello, EncryptedExtensions,
/// CertificateRequest).
const MAX_OTHER_LEN: usize = 64 * 1024;

/// Whether a rustls handshake error is rustls refusing a handshake message's size, the one
/// failure this module reads past.
pub fn rustls_refused_size(error: &ConnError) -> bool {
    matches!(error, ConnError::Handshake(text) if text.contains("HandshakePayloadTooLarge"))
}

/// The server's TLS 1.3 chain, leaf first, read from its first flight on `stream`, within
/// `limit`, and whether a CertificateRequest came before it (whether the server would insist
/// on a client certificate, or staple OCSP, is not learnt: that needs the rest of the
/// handshake).
pub async fn read_chain(
    stream: TcpStream,
    sni: Option<&str>,
    limit: Duration,
) -> Result<Tls13Facts, ConnError> {
    match tokio::time::timeout(limit, read(stream, sni)).await {
        Err(_) => Err(ConnError::ReadTimeout {
            limit,
            partial: false,
            what: Awaited::Handshake,
        }),
        Ok(Ok(facts)) => Ok(facts),
        Ok(Err(why)) => Err(ConnError::Handshake(format!(
            "reading the TLS 1.3 chain without rustls: {why}"
        ))),
    }
}

/// The groups we send key shares for: enough that almost every server picks one.
const SHARES: [(u16, &agreement::Algorithm); 3] = [
    (0x001d, &agreement::X25519),
    (0x0017, &agreement::ECDH_P256),
    (0x0018, &agreement::ECDH_P384),
];

/// What the ServerHello's suite needs: the hash, the key length, the AEAD.
struct Suite {
    hash: &'static digest::Algorithm,
    hkdf: hkdf::Algorithm,
    aead: &'static aead::Algorithm,
}

fn suite(code: u16) -> Option<Suite> {
    match code {
        0x1301 => Some(Suite {
            hash: &digest::SHA256,
            hkdf: hkdf::HKDF_SHA256,
            aead: &aead::AES_128_GCM,
        }),
        0x1302 => Some(Suite {
            hash: &digest::SHA384,
            hkdf: hkdf::HKDF_SHA384,
            aead: &aead::AES_256_GCM,
        }),
        0x1303 => Some(Suite {
            hash: &digest::SHA256,
            hkdf: hkdf::HKDF_SHA256,
            aead: &aead::CHACHA20_POLY1305,
        }),
        _ => None,
    }
}

async fn read(mut stream: TcpStream, sni: Option<&str>) -> Result<Tls13Facts, String> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut keys = Vec::new();
    let mut entries = Vec::new();
    for (group, alg) in SHARES {
        let key = EphemeralPrivateKey::generate(alg, &rng).map_err(|_| "key generation failed")?;
        let public = key
            .compute_public_key()
            .map_err(|_| "key generation failed")?;
        entries.push(KeyShareEntry {
            group,
            key_exchange: public.as_ref().to_vec(),
        });
        keys.push((group, alg, key));
    }
    // The transcript is what goes on the wire: the hello as padded for sending.
    let hello = client_hello(sni, entries).padded();
    let hello_message = hello.encode_handshake();
    stream
        .write_all(&hello.encode_records(0x0301))
        .await
        .map_err(|e| format!("sending the hello: {e}"))?;

    let mut records = Records::default();
    let server_hello = records.plain_message(&mut stream).await?;
    let body = server_hello.get(4..).unwrap_or_default();
    let sh = match ServerHelloKind::read(&mut Reader::new(body)).map_err(|e| e.to_string())? {
        ServerHelloKind::Hello(sh) => sh,
        ServerHelloKind::Retry(_) => {
            return Err("the server asked for another key share (HelloRetryRequest)".into())
        }
    };
    if sh.version() != 0x0304 {
        return Err(format!("the server chose version {:#06x}", sh.version()));
    }
    let suite = suite(sh.cipher_suite)
        .ok_or_else(|| format!("the server chose suite {:#06x}", sh.cipher_suite))?;
    let mut share = Reader::new(sh.extension(0x0033).unwrap_or_default());
    let group = share.u16("key_share group").map_err(|e| e.to_string())?;
    let peer = share
        .vec(LenPrefix::U16, "key_share")
        .map_err(|e| e.to_string())?;
    let (_, alg, key) = keys
        .into_iter()
        .find(|(g, _, _)| *g == group)
        .ok_or_else(|| format!("the server chose group {group:#06x}, not offered"))?;
    let shared = agreement::agree_ephemeral(
        key,
        UnparsedPublicKey::new(alg, &peer),
        "the server's key share is invalid".to_string(),
        |secret| Ok(secret.to_vec()),
    )?;

    let mut transcript = digest::Context::new(suite.hash);
    transcript.update(&hello_message);
    transcript.update(&server_hello);
    let keys = HandshakeKeys::derive(&suite, &shared, transcript.finish().as_ref())?;
    records.decrypt_with(keys);
    let mut client_cert_requested = false;
    loop {
        let message = records.encrypted_message(&mut stream).await?;
        match message.first() {
            Some(8) => {} // EncryptedExtensions
            Some(13) => client_cert_requested = true,
            Some(11) => {
                return Ok(Tls13Facts {
                    chain: certificate_chain(message.get(4..).unwrap_or_default())?,
                    client_cert_requested,
                    client_cert_required: None,
                    ocsp_stapled: None,
                    scheme: None,
                })
            }
            Some(other) => return Err(format!("unexpected handshake message type {other}")),
            None => return Err("empty handshake message".into()),
        }
    }
}

fn client_hello(sni: Option<&str>, shares: Vec<KeyShareEntry>) -> ClientHello {
    let random = crate::probe::behaviour::random();
    let mut extensions = Vec::new();
    if let Some(name) = sni.filter(|s| s.parse::<std::net::IpAddr>().is_err()) {
        extensions.push(ClientExtension::ServerName(name.to_string()));
    }
    extensions.extend([
        ClientExtension::SupportedGroups(SHARES.iter().map(|(g, _)| *g).collect()),
        ClientExtension::SignatureAlgorithms(SIG_SCHEMES.to_vec()),
        ClientExtension::SupportedVersions(vec![0x0304]),
        ClientExtension::KeyShare(shares),
    ]);
    ClientHello {
        legacy_version: 0x0303,
        random,
        session_id: random.to_vec(),
        cipher_suites: vec![0x1301, 0x1302, 0x1303],
        compression_methods: vec![0],
        extensions,
    }
}

/// The server's handshake traffic key and IV (RFC 8446 §7.1, §7.3).
struct HandshakeKeys {
    key: LessSafeKey,
    iv: [u8; 12],
}

impl HandshakeKeys {
    fn derive(suite: &Suite, shared: &[u8], transcript: &[u8]) -> Result<Self, String> {
        let (key, iv) = traffic_key(suite, shared, transcript)?;
        let key = UnboundKey::new(suite.aead, &key).map_err(|_| "bad traffic key")?;
        Ok(HandshakeKeys {
            key: LessSafeKey::new(key),
            iv,
        })
    }
}

/// The server handshake traffic key and IV from the (EC)DHE secret and the hash of
/// ClientHello..ServerHello, without a PSK.
fn traffic_key(
    suite: &Suite,
    shared: &[u8],
    transcript: &[u8],
) -> Result<(Vec<u8>, [u8; 12]), String> {
    let len = suite.hash.output_len();
    let zeros = vec![0u8; len];
    let early = Salt::new(suite.hkdf, &zeros).extract(&zeros);
    let empty = digest::digest(suite.hash, b"");
    let derived = expand_label(&early, b"derived", empty.as_ref(), len)?;
    let handshake = Salt::new(suite.hkdf, &derived).extract(shared);
    let secret = expand_label(&handshake, b"s hs traffic", transcript, len)?;
    let traffic = Prk::new_less_safe(suite.hkdf, &secret);
    let key = expand_label(&traffic, b"key", b"", suite.aead.key_len())?;
    let iv = expand_label(&traffic, b"iv", b"", 12)?;
    Ok((key, iv.try_into().map_err(|_| "bad traffic iv")?))
}

/// HKDF-Expand-Label (RFC 8446 §7.1).
fn expand_label(secret: &Prk, label: &[u8], context: &[u8], len: usize) -> Result<Vec<u8>, String> {
    let full = u16::try_from(len)
        .map_err(|_| "label length")?
        .to_be_bytes();
    let label_len = [u8::try_from(label.len().saturating_add(6)).map_err(|_| "label")?];
    let context_len = [u8::try_from(context.len()).map_err(|_| "context")?];
    let info: [&[u8]; 6] = [&full, &label_len, b"tls13 ", label, &context_len, context];
    let mut out = vec![0u8; len];
    secret
        .expand(&info, Len(len))
        .and_then(|okm| okm.fill(&mut out))
        .map_err(|_| "key derivation failed")?;
    Ok(out)
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// Records from the socket, deframed, decrypted once keys are set, and reassembled into
/// handshake messages, within [`MAX_READ_LEN`].
#[derive(Default)]
struct Records {
    deframer: Deframer,
    read: usize,
    keys: Option<HandshakeKeys>,
    sequence: u64,
    handshake: Vec<u8>,
}

impl Records {
    fn decrypt_with(&mut self, keys: HandshakeKeys) {
        self.keys = Some(keys);
        self.sequence = 0;
    }

    /// The next handshake message sent in clear (the ServerHello), header included.
    async fn plain_message(&mut self, stream: &mut TcpStream) -> Result<Vec<u8>, String> {
        loop {
            if let Some(message) = self.cut_message(MAX_OTHER_LEN)? {
                return Ok(message);
            }
            let record = self.record(stream).await?;
            match record.typ {
                ContentType::HANDSHAKE => self.handshake.extend_from_slice(&record.payload),
                ContentType::ALERT => return Err(alert_text(&record.payload)),
                other => return Err(format!("unexpected record type {} first", other.0)),
            }
        }
    }

    /// The next handshake message from the encrypted records, header included.
    async fn encrypted_message(&mut self, stream: &mut TcpStream) -> Result<Vec<u8>, String> {
        loop {
            let limit = match self.handshake.first() {
                Some(11) => MAX_CERTIFICATE_LEN,
                _ => MAX_OTHER_LEN,
            };
            if let Some(message) = self.cut_message(limit)? {
                return Ok(message);
            }
            let record = self.record(stream).await?;
            match record.typ {
                // Sent for middlebox compatibility (RFC 8446 §D.4), in clear.
                ContentType::CHANGE_CIPHER_SPEC => {}
                ContentType::ALERT => return Err(alert_text(&record.payload)),
                ContentType::APPLICATION_DATA => {
                    let header = record_header(&record.payload)?;
                    let (typ, plain) = self.open(header, record.payload)?;
                    match typ {
                        22 => self.handshake.extend_from_slice(&plain),
                        21 => return Err(alert_text(&plain)),
                        other => return Err(format!("unexpected inner content type {other}")),
                    }
                }
                other => return Err(format!("unexpected record type {}", other.0)),
            }
        }
    }

    /// Decrypts one record body; returns the inner content type and the plaintext.
    fn open(&mut self, header: [u8; 5], mut body: Vec<u8>) -> Result<(u8, Vec<u8>), String> {
        let keys = self.keys.as_ref().ok_or("no keys")?;
        let mut nonce = keys.iv;
        let sequence = self.sequence.to_be_bytes();
        for (n, s) in nonce.iter_mut().skip(4).zip(sequence) {
            *n ^= s;
        }
        self.sequence = self.sequence.wrapping_add(1);
        let plain = keys
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header),
                &mut body,
            )
            .map_err(|_| "a record did not decrypt")?;
        let end = plain.iter().rposition(|b| *b != 0).ok_or("empty record")?;
        let typ = *plain.get(end).ok_or("empty record")?;
        Ok((typ, plain.get(..end).unwrap_or_default().to_vec()))
    }

    /// One whole handshake message off the reassembly buffer, if there is one.
    fn cut_message(&mut self, limit: usize) -> Result<Option<Vec<u8>>, String> {
        let Some(&[_, a, b, c]) = self.handshake.first_chunk::<4>() else {
            return Ok(None);
        };
        let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
        if len > limit {
            return Err(format!(
                "handshake message exceeds the cap of {limit} bytes (the server sent {len})"
            ));
        }
        let whole = len.saturating_add(4);
        if self.handshake.len() < whole {
            return Ok(None);
        }
        let rest = self.handshake.split_off(whole);
        Ok(Some(std::mem::replace(&mut self.handshake, rest)))
    }

    async fn record(&mut self, stream: &mut TcpStream) -> Result<crate::wire::Record, String> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(record) = self.deframer.next_record().map_err(|e| e.to_string())? {
                return Ok(record);
            }
            let n = stream
                .read(&mut buf)
                .await
                .map_err(|e| format!("reading: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            self.read = self.read.saturating_add(n);
            if self.read > MAX_READ_LEN {
                return Err(format!(
                    "the server's flight exceeds the cap of {MAX_READ_LEN} bytes"
                ));
            }
            self.deframer
                .feed(buf.get(..n).unwrap_or_default())
                .map_err(|e| e.to_string())?;
        }
    }
}

/// The header of an application_data record of `body` (what the AEAD authenticates).
fn record_header(body: &[u8]) -> Result<[u8; 5], String> {
    let len = u16::try_from(body.len()).map_err(|_| "record too long")?;
    let [hi, lo] = len.to_be_bytes();
    Ok([ContentType::APPLICATION_DATA.0, 3, 3, hi, lo])
}

fn alert_text(payload: &[u8]) -> String {
    match payload {
        [level, description, ..] => format!("alert {level}/{description} from the server"),
        _ => "a malformed alert from the server".into(),
    }
}

/// A TLS 1.3 Certificate body (RFC 8446 §4.4.2): context, then entries of a certificate and
/// its extensions. The first [`MAX_CHAIN_CERTS`] are kept.
fn certificate_chain(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut r = Reader::new(body);
    let read = |r: &mut Reader<'_>| -> Result<Vec<Vec<u8>>, crate::wire::DecodeError> {
        r.sub(LenPrefix::U8, "certificate_request_context")?;
        let mut list = r.sub(LenPrefix::U24, "certificate_list")?;
        let mut chain = Vec::new();
        while !list.is_empty() {
            let cert = list.vec(LenPrefix::U24, "cert_data")?;
            list.sub(LenPrefix::U16, "certificate extensions")?;
            if chain.len() < MAX_CHAIN_CERTS {
                chain.push(cert);
            }
        }
        Ok(chain)
    };
    read(&mut r).map_err(|e| format!("malformed Certificate: {e}"))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 8448 §3 (simple 1-RTT handshake): its ClientHello and ServerHello (the captures in
    /// tests/data) hash to the transcript the RFC prints, and with its ECDHE shared secret
    /// give its server handshake key and IV.
    #[test]
    fn key_schedule_matches_rfc8448() {
        let client_hello = include_bytes!("../../tests/data/rfc8448-client_hello.bin");
        let server_hello = include_bytes!("../../tests/data/rfc8448-server_hello-record.bin");
        let mut transcript = digest::Context::new(&digest::SHA256);
        transcript.update(client_hello);
        transcript.update(&server_hello[5..]);
        let transcript = transcript.finish();
        assert_eq!(
            transcript.as_ref(),
            hex("86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed
                 d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8")
        );
        let shared = hex("8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d
                          35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d");
        let (key, iv) = traffic_key(&suite(0x1301).unwrap(), &shared, transcript.as_ref()).unwrap();
        assert_eq!(key, hex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"));
        assert_eq!(iv.to_vec(), hex("5d 31 3e b2 67 12 76 ee 13 00 0b 30"));
    }

    #[test]
    fn a_tls13_certificate_body_reads_its_chain() {
        // context "", two entries: [0x30 0x01] with no extensions, [0x30 0x02] with 2 bytes.
        let body = [
            0, 0, 0, 16, 0, 0, 2, 0x30, 1, 0, 0, 0, 0, 2, 0x30, 2, 0, 2, 9, 9,
        ];
        let chain = certificate_chain(&body).unwrap();
        assert_eq!(chain, vec![vec![0x30, 1], vec![0x30, 2]]);
        assert!(certificate_chain(&body[..10]).is_err());
    }

    #[test]
    fn a_message_over_its_limit_is_refused_from_its_header() {
        let mut records = Records {
            handshake: vec![11, 0xff, 0xff, 0xff],
            ..Records::default()
        };
        let err = records.cut_message(MAX_CERTIFICATE_LEN).unwrap_err();
        assert!(err.contains("the cap of 262144 bytes"), "{err}");
        records.handshake = vec![8, 0, 0, 2, 1];
        assert_eq!(records.cut_message(MAX_OTHER_LEN), Ok(None));
        records.handshake.extend([2, 99]);
        assert_eq!(
            records.cut_message(MAX_OTHER_LEN),
            Ok(Some(vec![8, 0, 0, 2, 1, 2]))
        );
        assert_eq!(records.handshake, [99]);
    }

    proptest::proptest! {
        #[test]
        fn certificate_bodies_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = certificate_chain(&body);
            let mut records = Records { handshake: body, ..Records::default() };
            while let Ok(Some(_)) = records.cut_message(MAX_OTHER_LEN) {}
        }
    }
}

//! A TLS 1.3 server's first flight read without rustls: the certificate chain, the OCSP
//! staple it carries, and the scheme of its CertificateVerify. For servers whose Certificate
//! message rustls will not take (rustls refuses any handshake message over 64 KiB,
//! `HandshakePayloadTooLarge`, and a 109 KB certificate is real), for servers that will not
//! take rustls's hello (it always carries status_request, and cannot be padded out of the
//! 256-511-byte class some load balancers drop), and for the TLS 1.3 signature-scheme sweep,
//! whose hellos must be ours. We send a padded ClientHello (`wire`) with ephemeral key shares,
//! derive the server's handshake traffic key (RFC 8446 §7.1), decrypt its records and stop at
//! the CertificateVerify. Nothing is verified and nothing is sent after the hello: we audit the
//! server, we do not trust it.
//!
//! Bounded: at most [`MAX_CERTIFICATE_LEN`] bytes of Certificate message and
//! [`MAX_READ_LEN`] bytes from the socket; the first [`MAX_CHAIN_CERTS`] certificates are kept.
//! A HelloRetryRequest (none of our key shares suits the server) is answered once, with the
//! named group (X25519, P-256, P-384 or P-521) and the cookie, over the synthetic message_hash
//! transcript (RFC 8446 §4.4.1).

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
use crate::wire::AlertDescription;
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

/// What the hello offers beyond what TLS 1.3 needs.
#[derive(Clone, Copy, Debug)]
pub struct Hello<'a> {
    /// The server name (left out for an address).
    pub sni: Option<&'a str>,
    /// signature_algorithms, in order.
    pub schemes: &'a [u16],
    /// Ask for an OCSP staple (status_request).
    pub status_request: bool,
    /// signature_algorithms_cert (RFC 8446 §4.2.3), when not empty: what the chain may be
    /// signed with, so that a short `schemes` list does not rule out the certificate itself.
    pub cert_schemes: &'a [u16],
}

/// The server's TLS 1.3 chain, leaf first, read from its first flight on `stream`, within
/// `limit`, whether a CertificateRequest came before it, the staple when `hello` asked for
/// one, and the CertificateVerify's scheme when the flight got that far (whether the server
/// would insist on a client certificate is not learnt: that needs the rest of the handshake).
/// An alert is [`ConnError::Alert`]: the server refused the hello.
pub async fn read_flight(
    stream: TcpStream,
    hello: Hello<'_>,
    limit: Duration,
) -> Result<Tls13Facts, ConnError> {
    match tokio::time::timeout(limit, read(stream, hello)).await {
        Err(_) => Err(ConnError::ReadTimeout {
            limit,
            partial: false,
            what: Awaited::Handshake,
        }),
        Ok(Ok(facts)) => Ok(facts),
        Ok(Err(Fail::Conn(e))) => Err(e),
        Ok(Err(Fail::Text(why))) => Err(ConnError::Handshake(format!(
            "reading the TLS 1.3 flight without rustls: {why}"
        ))),
    }
}

/// [`read_flight`] asking for nothing optional: the chain of a server that refused rustls.
pub async fn read_chain(
    stream: TcpStream,
    sni: Option<&str>,
    limit: Duration,
) -> Result<Tls13Facts, ConnError> {
    let hello = Hello {
        sni,
        schemes: SIG_SCHEMES,
        status_request: false,
        cert_schemes: &[],
    };
    read_flight(stream, hello, limit).await
}

/// Why a read ended: a typed connection fault or answer, or a malformed flight.
enum Fail {
    Conn(ConnError),
    Text(String),
}

impl From<String> for Fail {
    fn from(s: String) -> Fail {
        Fail::Text(s)
    }
}

impl From<&str> for Fail {
    fn from(s: &str) -> Fail {
        Fail::Text(s.to_string())
    }
}

/// The groups we send key shares for: enough that almost every server picks one.
const SHARES: [(u16, &agreement::Algorithm); 3] = [
    (0x001d, &agreement::X25519),
    (0x0017, &agreement::ECDH_P256),
    (0x0018, &agreement::ECDH_P384),
];

/// The groups a HelloRetryRequest may ask a share of: ours, and P-521.
fn retry_alg(group: u16) -> Option<&'static agreement::Algorithm> {
    match group {
        0x0019 => Some(&agreement::ECDH_P521),
        g => SHARES.iter().find(|(c, _)| *c == g).map(|(_, alg)| *alg),
    }
}

/// A fresh key pair for `group` and its key_share entry.
fn share(
    group: u16,
    alg: &'static agreement::Algorithm,
    rng: &aws_lc_rs::rand::SystemRandom,
) -> Result<(EphemeralPrivateKey, KeyShareEntry), Fail> {
    let key = EphemeralPrivateKey::generate(alg, rng).map_err(|_| "key generation failed")?;
    let public = key
        .compute_public_key()
        .map_err(|_| "key generation failed")?;
    let entry = KeyShareEntry {
        group,
        key_exchange: public.as_ref().to_vec(),
    };
    Ok((key, entry))
}

async fn send(stream: &mut TcpStream, hello: &ClientHello) -> Result<(), Fail> {
    stream
        .write_all(&hello.encode_records(0x0301))
        .await
        .map_err(|e| Fail::Conn(crate::probe::conn::socket_error(&e, false)))
}

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

async fn read(mut stream: TcpStream, offer: Hello<'_>) -> Result<Tls13Facts, Fail> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut keys = Vec::new();
    let mut entries = Vec::new();
    for (group, alg) in SHARES {
        let (key, entry) = share(group, alg, &rng)?;
        entries.push(entry);
        keys.push((group, alg, key));
    }
    // The transcript is what goes on the wire: the hello as padded for sending.
    let first_hello = client_hello(offer, entries);
    let hello = first_hello.padded();
    let hello_message = hello.encode_handshake();
    send(&mut stream, &hello).await?;

    let mut records = Records::default();
    let mut answer = records.plain_message(&mut stream).await?;
    // What the handshake keys are derived from: the transcript up to the ServerHello, as
    // messages, and (after a HelloRetryRequest) the first hello's hash in its place.
    let mut transcript: Vec<Vec<u8>> = vec![hello_message];
    let mut retried = false;
    let sh = loop {
        let body = answer.get(4..).unwrap_or_default();
        match ServerHelloKind::read(&mut Reader::new(body))
            .map_err(|e| Fail::Conn(ConnError::Malformed(e)))?
        {
            ServerHelloKind::Hello(sh) => break sh,
            ServerHelloKind::Retry(_) if retried => {
                return Err("a second HelloRetryRequest".into());
            }
            ServerHelloKind::Retry(hrr) => {
                // RFC 8446 §4.1.4: one more hello with a share of the group the server asked
                // for (and its cookie), the first hello replaced by its hash in the transcript.
                retried = true;
                let group = hrr
                    .selected_group
                    .ok_or("a HelloRetryRequest without a group")?;
                let alg = retry_alg(group).ok_or_else(|| {
                    format!(
                        "the server asked for a share of group {group:#06x}, which we cannot make"
                    )
                })?;
                let hash = suite(hrr.cipher_suite)
                    .ok_or_else(|| format!("the server chose suite {:#06x}", hrr.cipher_suite))?
                    .hash;
                let (key, entry) = share(group, alg, &rng)?;
                keys = vec![(group, alg, key)];
                let mut second = first_hello.clone();
                for e in &mut second.extensions {
                    if let ClientExtension::KeyShare(list) = e {
                        *list = vec![entry.clone()];
                    }
                }
                if let Some(cookie) = hrr.extensions.iter().find(|e| e.typ == 0x002c) {
                    second.extensions.push(ClientExtension::Unknown {
                        typ: 0x002c,
                        body: cookie.body.clone(),
                    });
                }
                let second = second.padded();
                let first_hash = digest::digest(hash, transcript.first().map_or(&[][..], |m| m));
                let mut synthetic = vec![254, 0, 0];
                synthetic.push(u8::try_from(first_hash.as_ref().len()).map_err(|_| "hash")?);
                synthetic.extend_from_slice(first_hash.as_ref());
                transcript = vec![synthetic, answer, second.encode_handshake()];
                send(&mut stream, &second).await?;
                answer = records.plain_message(&mut stream).await?;
            }
        }
    };
    if sh.version() != 0x0304 {
        return Err(format!("the server chose version {:#06x}", sh.version()).into());
    }
    let suite = suite(sh.cipher_suite)
        .ok_or_else(|| format!("the server chose suite {:#06x}", sh.cipher_suite))?;
    let mut peer_share = Reader::new(sh.extension(0x0033).unwrap_or_default());
    let group = peer_share
        .u16("key_share group")
        .map_err(|e| e.to_string())?;
    let peer = peer_share
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

    let mut hash = digest::Context::new(suite.hash);
    for message in &transcript {
        hash.update(message);
    }
    hash.update(&answer);
    let keys = HandshakeKeys::derive(&suite, &shared, hash.finish().as_ref())?;
    records.decrypt_with(keys);
    let mut client_cert_requested = false;
    let mut facts = loop {
        let message = records.encrypted_message(&mut stream).await?;
        match message.first() {
            Some(8) => {} // EncryptedExtensions
            Some(13) => client_cert_requested = true,
            Some(11) => {
                let (chain, stapled) = certificate_chain(message.get(4..).unwrap_or_default())?;
                break Tls13Facts {
                    chain,
                    client_cert_requested,
                    client_cert_required: None,
                    ocsp_stapled: offer.status_request.then_some(stapled),
                    scheme: None,
                    alert_after_certificate: None,
                };
            }
            Some(other) => return Err(format!("unexpected handshake message type {other}").into()),
            None => return Err("empty handshake message".into()),
        }
    };
    // The CertificateVerify names the scheme; a flight cut after the Certificate still gave
    // the chain.
    match records.encrypted_message(&mut stream).await {
        Ok(message) => {
            if let (Some(15), Some(&[a, b])) = (message.first(), message.get(4..6)) {
                facts.scheme = Some(u16::from_be_bytes([a, b]));
            }
        }
        Err(Fail::Conn(ConnError::Alert(a))) => facts.alert_after_certificate = Some(a),
        Err(_) => {}
    }
    Ok(facts)
}

fn client_hello(offer: Hello<'_>, shares: Vec<KeyShareEntry>) -> ClientHello {
    let random = crate::probe::behaviour::random();
    let mut extensions = Vec::new();
    if let Some(name) = offer.sni.filter(|s| s.parse::<std::net::IpAddr>().is_err()) {
        extensions.push(ClientExtension::ServerName(name.to_string()));
    }
    if offer.status_request {
        extensions.push(ClientExtension::StatusRequest);
    }
    if !offer.cert_schemes.is_empty() {
        extensions.push(ClientExtension::SignatureAlgorithmsCert(
            offer.cert_schemes.to_vec(),
        ));
    }
    extensions.extend([
        ClientExtension::SupportedGroups(SHARES.iter().map(|(g, _)| *g).collect()),
        ClientExtension::SignatureAlgorithms(offer.schemes.to_vec()),
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
    async fn plain_message(&mut self, stream: &mut TcpStream) -> Result<Vec<u8>, Fail> {
        loop {
            if let Some(message) = self.cut_message(MAX_OTHER_LEN)? {
                return Ok(message);
            }
            let record = self.record(stream).await?;
            match record.typ {
                ContentType::HANDSHAKE => self.handshake.extend_from_slice(&record.payload),
                // Middlebox compatibility (RFC 8446 §D.4): may follow a HelloRetryRequest.
                ContentType::CHANGE_CIPHER_SPEC => {}
                ContentType::ALERT => return Err(alert(&record.payload)),
                other => return Err(format!("unexpected record type {} first", other.0).into()),
            }
        }
    }

    /// The next handshake message from the encrypted records, header included.
    async fn encrypted_message(&mut self, stream: &mut TcpStream) -> Result<Vec<u8>, Fail> {
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
                ContentType::ALERT => return Err(alert(&record.payload)),
                ContentType::APPLICATION_DATA => {
                    let header = record_header(&record.payload)?;
                    let (typ, plain) = self.open(header, record.payload)?;
                    match typ {
                        22 => self.handshake.extend_from_slice(&plain),
                        21 => return Err(alert(&plain)),
                        other => {
                            return Err(format!("unexpected inner content type {other}").into())
                        }
                    }
                }
                other => return Err(format!("unexpected record type {}", other.0).into()),
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

    async fn record(&mut self, stream: &mut TcpStream) -> Result<crate::wire::Record, Fail> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(record) = self.deframer.next_record().map_err(|e| e.to_string())? {
                return Ok(record);
            }
            let partial = self.read > 0;
            let n = stream
                .read(&mut buf)
                .await
                .map_err(|e| Fail::Conn(crate::probe::conn::socket_error(&e, partial)))?;
            if n == 0 {
                return Err(Fail::Conn(ConnError::Closed { partial }));
            }
            self.read = self.read.saturating_add(n);
            if self.read > MAX_READ_LEN {
                return Err(
                    format!("the server's flight exceeds the cap of {MAX_READ_LEN} bytes").into(),
                );
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

/// An alert record: the server refusing (a fatal alert, or any alert before its flight).
fn alert(payload: &[u8]) -> Fail {
    match payload {
        [_, description, ..] => Fail::Conn(ConnError::Alert(AlertDescription(*description))),
        _ => "a malformed alert from the server".into(),
    }
}

/// A TLS 1.3 Certificate body (RFC 8446 §4.4.2): context, then entries of a certificate and
/// its extensions. The first [`MAX_CHAIN_CERTS`] are kept.
fn certificate_chain(body: &[u8]) -> Result<(Vec<Vec<u8>>, bool), String> {
    let mut r = Reader::new(body);
    let read = |r: &mut Reader<'_>| -> Result<(Vec<Vec<u8>>, bool), crate::wire::DecodeError> {
        r.sub(LenPrefix::U8, "certificate_request_context")?;
        let mut list = r.sub(LenPrefix::U24, "certificate_list")?;
        let mut chain = Vec::new();
        let mut stapled = false;
        while !list.is_empty() {
            let cert = list.vec(LenPrefix::U24, "cert_data")?;
            let mut extensions = list.sub(LenPrefix::U16, "certificate extensions")?;
            // The leaf's status_request extension is the staple (RFC 8446 §4.4.2.1).
            while chain.is_empty() && !extensions.is_empty() {
                let typ = extensions.u16("extension type")?;
                extensions.sub(LenPrefix::U16, "extension data")?;
                stapled |= typ == 5;
            }
            if chain.len() < MAX_CHAIN_CERTS {
                chain.push(cert);
            }
        }
        Ok((chain, stapled))
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
        let (chain, stapled) = certificate_chain(&body).unwrap();
        assert_eq!(chain, vec![vec![0x30, 1], vec![0x30, 2]]);
        assert!(!stapled);
        assert!(certificate_chain(&body[..10]).is_err());
        // The leaf carrying status_request (type 5, a 1-byte body): stapled.
        let body = [0, 0, 0, 12, 0, 0, 2, 0x30, 1, 0, 5, 0, 5, 0, 1, 7];
        let (chain, stapled) = certificate_chain(&body).unwrap();
        assert_eq!(chain, vec![vec![0x30, 1]]);
        assert!(stapled);
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

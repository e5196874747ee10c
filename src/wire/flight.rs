//! The server's flight: bytes in, messages out. [`FlightReader`] deframes records, reassembles
//! handshake messages across records (and splits several out of one record), recognises an
//! SSLv2 SERVER-HELLO as the first thing on the wire, and tells non-TLS peers apart.
//!
//! Bounded: at most [`MAX_FLIGHT_LEN`] bytes are accepted from one flight and at most
//! [`MAX_FLIGHT_MESSAGES`] messages yielded from it; at most one partial handshake message of
//! [`MAX_HANDSHAKE_LEN`] bytes (plus one record) is held. A Certificate message past that length
//! is read as far as the cap and marked truncated, its tail skipped as it arrives; no length
//! field the peer writes ever sizes an allocation.

use std::collections::VecDeque;

use crate::wire::certificate::read_certificate_status;
use crate::wire::record::{check_tls_header, HeaderCheck};
use crate::wire::ssl2::{read_ssl2_start, Ssl2Start};
use crate::wire::{
    Alert, Certificate, CertificateRequest, ContentType, DecodeError, Deframer, ExtensionType,
    HandshakeType, HelloRetryRequest, Reader, ServerHello, ServerHelloKind, ServerKeyExchange,
    Ssl2ServerHello, Wire, MAX_FLIGHT_LEN, MAX_FLIGHT_MESSAGES, MAX_HANDSHAKE_LEN,
};

/// One thing the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMessage {
    /// A ServerHello (any version).
    ServerHello(ServerHello),
    /// A TLS 1.3 HelloRetryRequest.
    HelloRetryRequest(HelloRetryRequest),
    /// The certificate chain (TLS ≤ 1.2).
    Certificate(Certificate),
    /// An OCSP response stapled with CertificateStatus.
    CertificateStatus(Vec<u8>),
    /// A ServerKeyExchange (parse it with [`ServerKeyExchange::params`]).
    ServerKeyExchange(ServerKeyExchange),
    /// The server asks for a client certificate.
    CertificateRequest(CertificateRequest),
    /// ServerHelloDone: the TLS ≤ 1.2 flight is complete.
    ServerHelloDone,
    /// An alert in clear.
    Alert(Alert),
    /// A ChangeCipherSpec record.
    ChangeCipherSpec,
    /// A record we cannot read without keys (application_data, or anything after the server's
    /// ChangeCipherSpec in TLS ≤ 1.2 or its ServerHello in TLS 1.3). Not decrypted.
    EncryptedRecord,
    /// An SSLv2 SERVER-HELLO (the server speaks SSLv2).
    Ssl2ServerHello(Ssl2ServerHello),
    /// Any other handshake message, by type.
    OtherHandshake {
        /// The handshake type.
        typ: u8,
    },
}

impl ServerMessage {
    /// A short name for logs and error messages (`server_hello`, `alert`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            ServerMessage::ServerHello(_) => "server_hello",
            ServerMessage::HelloRetryRequest(_) => "hello_retry_request",
            ServerMessage::Certificate(_) => "certificate",
            ServerMessage::CertificateStatus(_) => "certificate_status",
            ServerMessage::ServerKeyExchange(_) => "server_key_exchange",
            ServerMessage::CertificateRequest(_) => "certificate_request",
            ServerMessage::ServerHelloDone => "server_hello_done",
            ServerMessage::Alert(_) => "alert",
            ServerMessage::ChangeCipherSpec => "change_cipher_spec",
            ServerMessage::EncryptedRecord => "encrypted_record",
            ServerMessage::Ssl2ServerHello(_) => "ssl2_server_hello",
            ServerMessage::OtherHandshake { .. } => "other_handshake",
        }
    }
}

/// Feeds on the server's bytes and yields [`ServerMessage`]s. Sans-IO: the caller reads the
/// socket, calls [`FlightReader::feed`], then [`FlightReader::next_message`] until `Ok(None)`.
/// After an error every later call returns the same error.
#[derive(Debug, Default)]
pub struct FlightReader {
    deframer: Deframer,
    /// Bytes of handshake messages not yet complete.
    handshake: Vec<u8>,
    /// Alerts beyond the first of one record, and similar queued output.
    pending: VecDeque<ServerMessage>,
    /// Whether the first record has been sniffed (TLS, SSLv2 or not TLS at all).
    started: bool,
    /// The peer answered in SSLv2; nothing after its first record is read.
    ssl2: bool,
    /// The version of the server's (retry) hello, once seen.
    version: Option<u16>,
    /// Records from here on are encrypted.
    encrypted: bool,
    /// Bytes accepted by [`FlightReader::feed`] so far (at most [`MAX_FLIGHT_LEN`]).
    accepted: usize,
    /// The peer sent more than [`MAX_FLIGHT_LEN`]: once what was accepted is read, the flight
    /// ends with a [`DecodeError::Cap`].
    over_cap: bool,
    /// Messages yielded so far.
    yielded: usize,
    /// Handshake bytes still to drop: the tail of a Certificate message past the cap.
    skip: usize,
    failed: Option<DecodeError>,
}

/// Most alerts we accept in one record. Servers send one (two when a warning precedes the fatal
/// alert); the cap keeps a 16 KiB record of alerts from becoming 8 000 queued messages.
const MAX_ALERTS_PER_RECORD: usize = 4;

/// The TLS 1.3 version code: from its ServerHello on, records are encrypted.
const TLS13: u16 = 0x0304;

impl FlightReader {
    /// A reader at the start of a connection.
    pub fn new() -> Self {
        FlightReader::default()
    }

    /// Appends bytes read from the peer. Past [`MAX_FLIGHT_LEN`] bytes in all, the rest is
    /// dropped and [`FlightReader::next_message`] ends the flight with a [`DecodeError::Cap`]
    /// once the bytes before the cap are read.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.ssl2 {
            return Ok(()); // We stop reading after an SSLv2 answer; don't buffer the rest.
        }
        let room = MAX_FLIGHT_LEN.saturating_sub(self.accepted);
        let (taken, dropped) = bytes.split_at(bytes.len().min(room));
        if !dropped.is_empty() {
            self.over_cap = true;
        }
        self.accepted = self.accepted.saturating_add(taken.len());
        self.deframer.feed(taken).map_err(|e| self.fail(e))
    }

    /// The next complete message, or `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<ServerMessage>, DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.step() {
            Ok(Some(_)) if self.yielded >= MAX_FLIGHT_MESSAGES => {
                Err(self.fail(DecodeError::Cap {
                    what: "server flight",
                    limit: MAX_FLIGHT_MESSAGES,
                    unit: "messages",
                }))
            }
            Ok(Some(m)) => {
                self.yielded = self.yielded.saturating_add(1);
                Ok(Some(m))
            }
            Ok(None) if self.over_cap => Err(self.fail(DecodeError::Cap {
                what: "server flight",
                limit: MAX_FLIGHT_LEN,
                unit: "bytes",
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Whether the flight ran into one of the caps (bytes or messages).
    pub fn capped(&self) -> bool {
        matches!(self.failed, Some(DecodeError::Cap { .. }))
    }

    /// The negotiated version from the server's hello, once seen.
    pub fn version(&self) -> Option<u16> {
        self.version
    }

    /// Bytes received but not yet returned as a message (non-zero at EOF means a truncated flight).
    pub fn buffered(&self) -> usize {
        self.deframer
            .buffered()
            .saturating_add(self.handshake.len())
    }

    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.failed = Some(e.clone());
        e
    }

    fn step(&mut self) -> Result<Option<ServerMessage>, DecodeError> {
        loop {
            if let Some(m) = self.pending.pop_front() {
                return Ok(Some(m));
            }
            if let Some(m) = self.next_handshake()? {
                return Ok(Some(m));
            }
            if self.ssl2 {
                return Ok(None);
            }
            if !self.started {
                match self.sniff_start()? {
                    Start::NeedMore => return Ok(None),
                    Start::Ssl2(m) => return Ok(Some(m)),
                    Start::Tls => self.started = true,
                }
            }
            let Some(record) = self.deframer.next_record()? else {
                return Ok(None);
            };
            let mid_message = !self.handshake.is_empty() || self.skip > 0;
            if mid_message && record.typ != ContentType::HANDSHAKE {
                return Err(DecodeError::Invalid {
                    what: "record interleaved in a handshake message",
                });
            }
            match record.typ {
                ContentType::APPLICATION_DATA => return Ok(Some(ServerMessage::EncryptedRecord)),
                ContentType::CHANGE_CIPHER_SPEC => {
                    if record.payload != [1] {
                        return Err(DecodeError::Invalid {
                            what: "change_cipher_spec",
                        });
                    }
                    // TLS 1.3 (RFC 8446 §5) sends CCS only for middlebox compatibility.
                    if self.version != Some(TLS13) {
                        self.encrypted = true;
                    }
                    return Ok(Some(ServerMessage::ChangeCipherSpec));
                }
                ContentType::ALERT => {
                    if self.encrypted && record.payload.len() != 2 {
                        return Ok(Some(ServerMessage::EncryptedRecord));
                    }
                    let len = record.payload.len();
                    if len > 2 * MAX_ALERTS_PER_RECORD {
                        let max = 2 * MAX_ALERTS_PER_RECORD;
                        return Err(DecodeError::TooLong {
                            what: "alert record",
                            len,
                            max,
                        });
                    }
                    if record.payload.is_empty() || record.payload.len() % 2 != 0 {
                        return Err(DecodeError::Invalid {
                            what: "alert record length",
                        });
                    }
                    for pair in record.payload.chunks(2) {
                        self.pending
                            .push_back(ServerMessage::Alert(Alert::from_bytes(pair, "alert")?));
                    }
                }
                ContentType::HANDSHAKE => {
                    if self.encrypted {
                        return Ok(Some(ServerMessage::EncryptedRecord));
                    }
                    // RFC 8446 §5.1: zero-length handshake fragments are forbidden.
                    if record.payload.is_empty() {
                        return Err(DecodeError::Invalid {
                            what: "empty handshake record",
                        });
                    }
                    // The tail of a Certificate message cut at the cap: dropped, not held.
                    let skipped = self.skip.min(record.payload.len());
                    self.skip = self.skip.saturating_sub(skipped);
                    if let Some(rest) = record.payload.get(skipped..) {
                        self.handshake.extend_from_slice(rest);
                    }
                }
                // Heartbeat (RFC 6520) carries nothing we report.
                _ => {}
            }
        }
    }

    /// Decides what the first bytes are: TLS, an SSLv2 answer, or not TLS at all.
    fn sniff_start(&mut self) -> Result<Start, DecodeError> {
        let buf = self.deframer.peek();
        match read_ssl2_start(buf) {
            Ssl2Start::NeedMore => return Ok(Start::NeedMore),
            Ssl2Start::Message { consumed, message } => {
                self.deframer.consume(consumed);
                self.deframer.clear();
                self.started = true;
                self.ssl2 = true;
                self.version = Some(0x0002);
                return Ok(Start::Ssl2(ServerMessage::Ssl2ServerHello(message?)));
            }
            Ssl2Start::NotSsl2 => {}
        }
        match check_tls_header(buf) {
            HeaderCheck::NotTls => Err(DecodeError::NotTls),
            HeaderCheck::Plausible if buf.len() < 5 => Ok(Start::NeedMore),
            HeaderCheck::Plausible => Ok(Start::Tls),
        }
    }

    /// Cuts one complete handshake message off the reassembly buffer, if there is one.
    fn next_handshake(&mut self) -> Result<Option<ServerMessage>, DecodeError> {
        let Some(&[typ, a, b, c]) = self.handshake.first_chunk::<4>() else {
            return Ok(None);
        };
        let len = u32::from_be_bytes([0, a, b, c]) as usize;
        if len > MAX_HANDSHAKE_LEN {
            if HandshakeType(typ) != HandshakeType::CERTIFICATE {
                return Err(DecodeError::Cap {
                    what: "handshake message",
                    limit: MAX_HANDSHAKE_LEN,
                    unit: "bytes",
                });
            }
            return Ok(self.truncated_certificate(len));
        }
        let buffer = std::mem::take(&mut self.handshake);
        let Some(body) = buffer.get(4..).and_then(|rest| rest.get(..len)) else {
            self.handshake = buffer;
            return Ok(None);
        };
        let message = self.parse_handshake(HandshakeType(typ), body);
        self.handshake = buffer;
        self.handshake.drain(..len.saturating_add(4));
        message.map(Some)
    }

    /// A Certificate message of `len` bytes, longer than we hold: once its first
    /// [`MAX_HANDSHAKE_LEN`] bytes are in, the whole certificates among them, marked truncated;
    /// the rest of the message is skipped as it arrives.
    fn truncated_certificate(&mut self, len: usize) -> Option<ServerMessage> {
        let end = MAX_HANDSHAKE_LEN.saturating_add(4);
        let prefix = self.handshake.get(4..end)?;
        let cert = Certificate::read_prefix(prefix, len);
        let held = self.handshake.len().min(len.saturating_add(4));
        self.handshake.drain(..held);
        self.skip = len.saturating_add(4).saturating_sub(held);
        Some(ServerMessage::Certificate(cert))
    }

    fn parse_handshake(
        &mut self,
        typ: HandshakeType,
        body: &[u8],
    ) -> Result<ServerMessage, DecodeError> {
        let mut r = Reader::new(body);
        let message = match typ {
            HandshakeType::SERVER_HELLO => match ServerHelloKind::read(&mut r)? {
                ServerHelloKind::Hello(sh) => {
                    // RFC 8446 §4.2.1: only a TLS 1.3 (or draft) ServerHello carries
                    // supported_versions; everything after it is encrypted.
                    self.version = Some(sh.version());
                    self.encrypted = sh.has_extension(ExtensionType::SUPPORTED_VERSIONS.0);
                    ServerMessage::ServerHello(sh)
                }
                ServerHelloKind::Retry(hrr) => {
                    self.version = Some(hrr.version);
                    ServerMessage::HelloRetryRequest(hrr)
                }
            },
            HandshakeType::CERTIFICATE => ServerMessage::Certificate(Certificate::read(&mut r)?),
            HandshakeType::CERTIFICATE_STATUS => {
                ServerMessage::CertificateStatus(read_certificate_status(&mut r)?)
            }
            HandshakeType::SERVER_KEY_EXCHANGE => {
                ServerMessage::ServerKeyExchange(ServerKeyExchange {
                    body: r.rest().to_vec(),
                })
            }
            HandshakeType::CERTIFICATE_REQUEST => {
                let version = self.version.unwrap_or(0x0303);
                ServerMessage::CertificateRequest(CertificateRequest::read_version(
                    &mut r, version,
                )?)
            }
            HandshakeType::SERVER_HELLO_DONE => ServerMessage::ServerHelloDone,
            HandshakeType(other) => {
                r.rest();
                ServerMessage::OtherHandshake { typ: other }
            }
        };
        r.finish("handshake message")?;
        Ok(message)
    }
}

/// What the first bytes of the stream turned out to be.
enum Start {
    NeedMore,
    Ssl2(ServerMessage),
    Tls,
}

#[cfg(test)]
#[path = "flight_test.rs"]
mod tests;

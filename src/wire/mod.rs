//! Sans-IO TLS codec: bytes ⇄ types. No tokio, no sockets, no clocks.
//!
//! The probe builds a [`ProbeHello`], turns it into a [`ClientHello`] and sends
//! [`ClientHello::encode_records`]; whatever the server answers is fed to a [`FlightReader`],
//! which yields [`ServerMessage`]s. Nothing here trusts the peer: every length-prefixed field is
//! parsed inside its own bounded [`Reader`], and what a peer can make us buffer is capped by the
//! constants below.
//!
//! ```
//! use fipsprobe::protocol::Protocol;
//! use fipsprobe::wire::{AlertDescription, FlightReader, ProbeHello, ServerMessage};
//!
//! let hello = ProbeHello {
//!     version: Protocol::Tls12,
//!     suites: &[0xc02f, 0x002f],
//!     sni: Some("etcd.example"),
//!     groups: &[0x0017, 0x001d],
//!     key_shares: &[],
//!     sig_schemes: &[0x0403, 0x0804, 0x0401],
//!     ems: true,
//!     renegotiation_scsv: false,
//!     fallback_scsv: false,
//!     random: [0x42; 32],
//! };
//! let to_send: Vec<u8> = hello.to_client_hello().encode_records(0x0301);
//! assert_eq!(&to_send[..3], &[22, 3, 1]);
//!
//! // For every read from the socket: feed, then drain.
//! let mut reader = FlightReader::new();
//! reader.feed(&[21, 3, 3, 0, 2, 2, 40])?;
//! while let Some(message) = reader.next_message()? {
//!     if let ServerMessage::Alert(alert) = message {
//!         assert_eq!(alert.description, AlertDescription::HANDSHAKE_FAILURE);
//!     }
//! }
//! # Ok::<(), fipsprobe::wire::DecodeError>(())
//! ```
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::arithmetic_side_effects
)]

mod alert;
mod certificate;
mod client_hello;
mod enums;
mod error;
mod flight;
pub mod fuzz;
mod key_exchange;
mod key_share;
mod probe_hello;
mod reader;
mod record;
mod server_hello;
mod ssl2;

pub use alert::{Alert, AlertDescription, AlertLevel};
pub use certificate::{Certificate, CertificateRequest, Truncation};
pub use client_hello::{ClientExtension, ClientHello, KeyShareEntry};
pub use enums::{CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup};
pub use error::DecodeError;
pub use flight::{FlightReader, ServerMessage};
pub use key_exchange::{KxKind, KxParams, ServerKeyExchange};
pub use key_share::key_share_value;
pub use probe_hello::ProbeHello;
pub use reader::{LenPrefix, LengthPrefixed, Reader};
pub use record::{encode_records, Deframer, Record};
pub use server_hello::{HelloRetryRequest, RawExtension, ServerHello, ServerHelloKind, HRR_RANDOM};
pub use ssl2::{ssl2_client_hello, Ssl2ServerHello, SSL2_CIPHER_SPECS};

/// Largest TLS record body we accept: RFC 5246 §6.2.3 lets a TLSCiphertext carry 2^14 bytes of
/// plaintext plus up to 2048 bytes of MAC, padding and explicit IV. Anything longer is not TLS.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// Largest plaintext fragment we put in one record when sending (RFC 8446 §5.1: 2^14).
pub const MAX_FRAGMENT_LEN: usize = 1 << 14;

/// Largest handshake message body we reassemble. The biggest legitimate message in a server's
/// cleartext flight is a TLS ≤ 1.2 Certificate; real chains are 2–10 KiB, and rustls refuses
/// any handshake message over 64 KiB, so larger chains do not work with common clients anyway.
/// A longer Certificate message is not refused: its first [`MAX_HANDSHAKE_LEN`] bytes are read
/// as a chain marked [`Truncation`], the rest is skipped unbuffered. Any other message that
/// long is a [`DecodeError::Cap`].
pub const MAX_HANDSHAKE_LEN: usize = 64 * 1024;

/// Most certificates we keep from one Certificate message. Real chains have 1–5; the cap stops a
/// server from turning 64 KiB of 3-byte empty entries into ~20 000 allocations. Past it the
/// chain is kept up to the cap and marked [`Truncation`].
pub const MAX_CHAIN_CERTS: usize = 64;

/// Most bytes a [`FlightReader`] accepts from one server flight, whatever its records hold: a
/// ServerHello, a chain up to [`MAX_HANDSHAKE_LEN`], a stapled OCSP response, a key exchange and
/// a CertificateRequest fit with room to spare. A peer that streams records without end is cut
/// here (a [`DecodeError::Cap`]), so one connection never holds more than this plus the one
/// message being parsed.
pub const MAX_FLIGHT_LEN: usize = 96 * 1024;

/// Most messages a [`FlightReader`] yields from one flight. A full TLS ≤ 1.2 flight has six
/// (ServerHello, Certificate, CertificateStatus, ServerKeyExchange, CertificateRequest,
/// ServerHelloDone); the cap turns a stream of 4-byte messages into an error, not a vector of
/// millions.
pub const MAX_FLIGHT_MESSAGES: usize = 16;

/// Most undeframed bytes a [`FlightReader`] holds. After `next_message` has returned `Ok(None)`
/// at most one partial record (≤ 5 + [`MAX_RECORD_LEN`] bytes) is left, so a caller that drains
/// messages after each `feed` of up to 32 KiB never hits this cap; a caller that only feeds does.
pub const MAX_BUFFERED_LEN: usize = 64 * 1024;

/// Largest SSLv2 record (2-byte header: 15-bit length).
pub const MAX_SSL2_RECORD_LEN: usize = 0x7fff;

/// Every wire type reads itself from a bounded [`Reader`] and writes itself to a buffer.
pub trait Wire<'a>: Sized {
    /// Appends the encoding. Cannot fail: limits are checked when the value is built.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value. Never panics, whatever the input.
    fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError>;

    /// The encoding as a fresh vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads one value that must span all of `bytes`.
    fn from_bytes(bytes: &'a [u8], what: &'static str) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.finish(what)?;
        Ok(v)
    }
}

//! The one error type of the codec: what was wrong with the peer's bytes.

/// Why bytes from the peer could not be decoded. Cheap, static context only.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The very first bytes cannot start a TLS or SSL record (an HTTP or SSH banner, say).
    #[error("the peer does not speak TLS or SSL")]
    NotTls,
    /// The input ended inside `what`.
    #[error("truncated {what}")]
    Truncated {
        /// The field being read.
        what: &'static str,
    },
    /// `what` claims more bytes than we allow.
    #[error("{what} of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// The field or buffer.
        what: &'static str,
        /// The length claimed or needed.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// `what` ran into one of fipsprobe's own limits (not the protocol's): the peer may be
    /// valid but sends more than we read from one peer.
    #[error("{what} exceeds the cap of {limit} {unit}")]
    Cap {
        /// What was limited (`server flight`, `handshake message`).
        what: &'static str,
        /// The limit.
        limit: usize,
        /// The unit of the limit (`bytes`, `messages`).
        unit: &'static str,
    },
    /// `what` has a value the protocol forbids.
    #[error("invalid {what}")]
    Invalid {
        /// The field.
        what: &'static str,
    },
    /// Bytes were left over after `what`.
    #[error("trailing bytes after {what}")]
    Trailing {
        /// The field.
        what: &'static str,
    },
    /// The server answered with an SSLv2 ERROR message: it speaks SSLv2 but refused the offer.
    #[error("SSLv2 error message, code {code:#06x}")]
    Ssl2Error {
        /// The SSLv2 error code (1 = NO-CIPHER-ERROR).
        code: u16,
    },
}

//! Why an exchange with an endpoint gave no answer, typed from the socket to the report.
//!
//! The cause is decided where the failure happens (`probe::conn` and the rustls handshake),
//! carried as this type through the probe and grading, and turned into text once, by
//! `Display`, where a person reads it. Each cause knows the status it gives an endpoint that
//! never answered ([`ConnError::status`]) and whether another attempt may help
//! ([`ConnError::is_transient`]). No I/O here.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::Status;
use crate::protocol::Protocol;
use crate::wire::{AlertDescription, DecodeError};

/// How a connection attempt or one exchange failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnError {
    /// The port is closed: the SYN was answered with a reset.
    #[error("connection refused")]
    Refused,
    /// No answer to the SYN in time (filtered, or the host is down).
    #[error("connect timed out after {}", secs(*.0))]
    ConnectTimeout(Duration),
    /// Connected and sent the hello, but no complete answer came in time. `partial`: some
    /// bytes of an answer had arrived (a drip, or a server that stalls mid-message).
    #[error("{}", read_timeout(*.limit, *.partial, *.what))]
    ReadTimeout {
        /// The limit that ran out.
        limit: Duration,
        /// Part of an answer had arrived.
        partial: bool,
        /// What was waited for.
        what: Awaited,
    },
    /// The server reset the connection before a complete answer.
    #[error("connection reset by the server{}", partial_note(*.partial))]
    Reset {
        /// Part of an answer had arrived.
        partial: bool,
    },
    /// The server closed the connection before a complete answer, without an alert.
    #[error("connection closed by the server without an answer{}", partial_note(*.partial))]
    Closed {
        /// Part of an answer had arrived.
        partial: bool,
    },
    /// The first bytes cannot start a TLS or SSL record (an HTTP or SSH banner, say).
    #[error("not TLS: the server's first bytes are not a TLS record")]
    NotTls,
    /// Bytes that looked like TLS but broke the codec's rules.
    #[error("malformed TLS from the server: {0}")]
    Malformed(DecodeError),
    /// A well-formed answer the protocol forbids.
    #[error("protocol violation: {0}")]
    Violation(Violation),
    /// A fatal alert where the protocol leaves no choice to refuse (a behaviour probe's
    /// hello, a full handshake). Sweeps take alerts as answers and never produce this.
    #[error("the server refused the handshake with alert {0}")]
    Alert(AlertDescription),
    /// The rustls handshake failed for a reason that is none of the above.
    #[error("TLS handshake failed: {0}")]
    Handshake(String),
    /// A cap on what one connection may make us buffer was reached (see `wire` and
    /// `probe::conn`): the answer is cut there, and what came before it is kept.
    #[error("{what} exceeds the cap of {limit} {unit}")]
    Cap {
        /// What was capped (`certificate chain`, `flight`).
        what: &'static str,
        /// The cap.
        limit: usize,
        /// Its unit (`bytes`, `certificates`, `records`).
        unit: &'static str,
    },
    /// The endpoint's time budget (`--timeout`) ran out.
    #[error("endpoint time budget of {} exhausted", secs(*.0))]
    BudgetExhausted(Duration),
    /// The scan was interrupted (Ctrl-C, SIGTERM, a closed output pipe).
    #[error("scan interrupted")]
    Aborted,
    /// The host name did not resolve; the text is the resolver's.
    #[error("{0}")]
    Unresolved(String),
    /// Any other socket error.
    #[error("socket error: {0}")]
    Io(IoKind),
}

/// What a read was waiting for when it timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Awaited {
    /// The answer to a ClientHello (ServerHello, HelloRetryRequest or alert).
    ServerHello,
    /// The rest of the server's first flight (certificate, key exchange).
    Flight,
    /// The end of a full handshake (rustls).
    Handshake,
}

/// `std::io::ErrorKind` is not `Eq` across versions in a way worth relying on in tests; this
/// keeps its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoKind(pub String);

impl fmt::Display for IoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&std::io::Error> for IoKind {
    fn from(e: &std::io::Error) -> Self {
        IoKind(e.to_string())
    }
}

/// An answer the protocol forbids: something we did not offer, or a message out of place.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// The server chose a suite the hello did not offer.
    #[error("the server chose suite 0x{0:04X}, which was not offered")]
    UnofferedSuite(u16),
    /// The server answered a hello with a version above the one offered.
    #[error("the server answered a {offered} hello with version 0x{got:04X}")]
    UnofferedVersion {
        /// The highest version offered.
        offered: Protocol,
        /// What the server answered with.
        got: u16,
    },
    /// The server chose a key-exchange group the hello did not offer.
    #[error("the server chose group 0x{0:04X}, which was not offered")]
    UnofferedGroup(u16),
    /// The server sent an extension the hello did not offer (RFC 8446 §4.2, RFC 5246 §7.4.1.4).
    #[error("the server sent extension 0x{0:04X}, which was not offered")]
    UnofferedExtension(u16),
    /// The server signed with a scheme the hello did not offer.
    #[error("the server signed with scheme 0x{0:04X}, which was not offered")]
    UnofferedScheme(u16),
    /// The first message of the answer was not one that can start it.
    #[error("unexpected first message from the server: {0}")]
    UnexpectedMessage(&'static str),
    /// A message that should name something did not (a HelloRetryRequest without a group...).
    #[error("{0}")]
    Missing(&'static str),
}

impl ConnError {
    /// The status of an endpoint whose every attempt ended this way.
    pub fn status(&self) -> Status {
        match self {
            ConnError::Refused => Status::Closed,
            ConnError::ConnectTimeout(_)
            | ConnError::ReadTimeout { .. }
            | ConnError::BudgetExhausted(_) => Status::Timeout,
            ConnError::NotTls | ConnError::Malformed(_) => Status::NotTls,
            _ => Status::Error,
        }
    }

    /// Whether another attempt may give another result. Retried: timeouts, resets, closes
    /// and other socket errors (a lossy path or a busy server). Never: a refused connection
    /// (the port is closed), anything the server said (an alert, bytes that are not TLS, a
    /// violation), a cap, the budget, an interruption.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ConnError::ConnectTimeout(_)
                | ConnError::ReadTimeout { .. }
                | ConnError::Reset { .. }
                | ConnError::Closed { .. }
                | ConnError::Io(_)
        )
    }

    /// A reset or close before any byte of an answer: the only faults some stacks also use
    /// to refuse a hello, so the sweeps confirm them before believing them (see
    /// `probe::plan`).
    pub fn is_silent_drop(&self) -> bool {
        matches!(
            self,
            ConnError::Reset { partial: false } | ConnError::Closed { partial: false }
        )
    }

    /// Whether waiting longer cost time (a timeout), as opposed to an answer that came fast.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            ConnError::ConnectTimeout(_) | ConnError::ReadTimeout { .. }
        )
    }

    /// The stable machine name of the cause, as the report's `error_kind` and `gaps[].kind`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ConnError::Refused => ErrorKind::Refused,
            ConnError::ConnectTimeout(_) => ErrorKind::ConnectTimeout,
            ConnError::ReadTimeout { .. } => ErrorKind::ReadTimeout,
            ConnError::Reset { .. } => ErrorKind::Reset,
            ConnError::Closed { .. } => ErrorKind::Closed,
            ConnError::NotTls => ErrorKind::NotTls,
            ConnError::Malformed(_) => ErrorKind::Malformed,
            ConnError::Violation(_) => ErrorKind::ProtocolViolation,
            ConnError::Alert(_) => ErrorKind::Alert,
            ConnError::Handshake(_) => ErrorKind::Handshake,
            ConnError::Cap { .. } => ErrorKind::Cap,
            ConnError::BudgetExhausted(_) => ErrorKind::BudgetExhausted,
            ConnError::Aborted => ErrorKind::Aborted,
            ConnError::Unresolved(_) => ErrorKind::Unresolved,
            ConnError::Io(_) => ErrorKind::Io,
        }
    }
}

impl From<Violation> for ConnError {
    fn from(v: Violation) -> Self {
        ConnError::Violation(v)
    }
}

/// The machine name of a [`ConnError`], stable across releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Connection refused.
    Refused,
    /// Connect timed out.
    ConnectTimeout,
    /// No answer in time after connecting.
    ReadTimeout,
    /// Reset by the server.
    Reset,
    /// Closed by the server without an answer.
    Closed,
    /// Not TLS.
    NotTls,
    /// Malformed TLS.
    Malformed,
    /// Protocol violation.
    ProtocolViolation,
    /// A fatal alert ended a handshake that had to complete.
    Alert,
    /// The full handshake failed otherwise.
    Handshake,
    /// A buffering cap was reached.
    Cap,
    /// The endpoint's time budget ran out.
    BudgetExhausted,
    /// The scan was interrupted.
    Aborted,
    /// The name did not resolve.
    Unresolved,
    /// Another socket error.
    Io,
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn partial_note(partial: bool) -> &'static str {
    if partial {
        " (in the middle of its answer)"
    } else {
        ""
    }
}

fn read_timeout(limit: Duration, partial: bool, what: Awaited) -> String {
    let note = if partial {
        " (part of it had arrived)"
    } else {
        ""
    };
    let limit = secs(limit);
    match what {
        Awaited::ServerHello => format!("no answer to the ClientHello within {limit}{note}"),
        Awaited::Flight => {
            format!("the rest of the server's first flight did not come within {limit}{note}")
        }
        Awaited::Handshake => format!("the TLS handshake did not finish within {limit}{note}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_cause() {
        let cases = [
            (ConnError::Refused, Status::Closed),
            (
                ConnError::ConnectTimeout(Duration::from_secs(3)),
                Status::Timeout,
            ),
            (
                ConnError::ReadTimeout {
                    limit: Duration::from_secs(5),
                    partial: false,
                    what: Awaited::ServerHello,
                },
                Status::Timeout,
            ),
            (
                ConnError::BudgetExhausted(Duration::from_secs(5)),
                Status::Timeout,
            ),
            (ConnError::NotTls, Status::NotTls),
            (
                ConnError::Malformed(DecodeError::Invalid { what: "record" }),
                Status::NotTls,
            ),
            (ConnError::Reset { partial: false }, Status::Error),
            (ConnError::Aborted, Status::Error),
        ];
        for (e, status) in cases {
            assert_eq!(e.status(), status, "{e}");
        }
    }

    #[test]
    fn only_faults_of_the_path_are_retried() {
        assert!(ConnError::Reset { partial: true }.is_transient());
        assert!(ConnError::Closed { partial: false }.is_transient());
        assert!(!ConnError::Refused.is_transient());
        assert!(!ConnError::Alert(AlertDescription::HANDSHAKE_FAILURE).is_transient());
        assert!(!ConnError::Aborted.is_transient());
        assert!(!ConnError::Violation(Violation::UnofferedSuite(1)).is_transient());
    }

    #[test]
    fn texts_name_what_was_waited_for() {
        let e = ConnError::ReadTimeout {
            limit: Duration::from_millis(1500),
            partial: true,
            what: Awaited::ServerHello,
        };
        assert_eq!(
            e.to_string(),
            "no answer to the ClientHello within 1.5 s (part of it had arrived)"
        );
        assert_eq!(
            ConnError::BudgetExhausted(Duration::from_secs(120)).to_string(),
            "endpoint time budget of 120 s exhausted"
        );
    }
}

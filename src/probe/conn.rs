//! The only code that touches a socket: connect, send one hello, read the server's flight.
//! Every `.await` on the network is bounded by a timeout; what an I/O failure means is
//! decided here, where it happens.
//!
//! Every read is bounded in bytes too: the [`FlightReader`] accepts at most
//! [`crate::wire::MAX_FLIGHT_LEN`] bytes and [`crate::wire::MAX_FLIGHT_MESSAGES`] messages per
//! exchange, and reading stops there. A cap hit after the server answered keeps the answer
//! ([`Flight::cut`]); a cap hit before it is a [`ConnError::Cap`]. So one connection holds
//! a bounded amount of memory, and a scan at most `concurrency × per_host` times that.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

pub use crate::model::ConnError;
use crate::model::{Awaited, IoKind};
use crate::wire::{DecodeError, FlightReader, ServerMessage};

/// How much of the server's first flight to read.
#[derive(Clone, Copy, Debug)]
pub enum ReadUntil {
    /// Stop at the ServerHello (or HelloRetryRequest): all a sweep needs.
    ServerHello,
    /// Read on to ServerHelloDone (TLS <= 1.2): certificate and key-exchange facts for free.
    FlightEnd,
    /// Read on to ServerHelloDone only when the ServerHello chose a suite for which this
    /// says yes (a DHE suite, when its group size is still unknown); else stop there.
    FlightEndIf(fn(u16) -> bool),
}

/// What the server sent, in order, up to the point we stopped reading. Only returned when
/// at least one whole message (or an SSLv2 error) arrived: an exchange that got nothing is an
/// error.
#[derive(Debug, Default)]
pub struct Flight {
    /// Messages received.
    pub messages: Vec<ServerMessage>,
    /// How the reading ended.
    pub end: FlightEnd,
}

/// How the reading of a flight ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum FlightEnd {
    /// We stopped where `ReadUntil` said (or at an alert, a HelloRetryRequest, encryption).
    #[default]
    Done,
    /// The server closed the connection after the messages received.
    Closed,
    /// The server refused with an SSLv2 ERROR message (no messages before it).
    Ssl2Error(u16),
    /// Reading stopped on this failure after the messages received: what came is an answer,
    /// what was still to come (certificate, key exchange) is missing.
    Cut(ConnError),
}

impl Flight {
    /// Whether the messages after the first may be missing some of the flight.
    pub fn cut(&self) -> Option<&ConnError> {
        match &self.end {
            FlightEnd::Cut(e) => Some(e),
            _ => None,
        }
    }
}

/// `start + limit`, or (for a limit too large to add, from a library caller: the command line
/// has ranges) as far as a year ahead, so no limit can panic in `Instant` arithmetic.
pub fn deadline_after(start: Instant, limit: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(365 * 24 * 3600);
    start
        .checked_add(limit)
        .or_else(|| start.checked_add(FAR))
        .unwrap_or(start)
}

/// The time left until `deadline`, at most `limit`; `None` when none is left.
pub fn within(limit: Duration, deadline: Instant) -> Option<Duration> {
    let left = deadline.checked_duration_since(Instant::now())?;
    (!left.is_zero()).then(|| limit.min(left))
}

/// Connects with a deadline.
pub async fn connect(addr: SocketAddr, limit: Duration) -> Result<TcpStream, ConnError> {
    match timeout(limit, TcpStream::connect(addr)).await {
        Err(_) => Err(ConnError::ConnectTimeout(limit)),
        Ok(Err(e)) => Err(classify_connect(&e)),
        Ok(Ok(stream)) => {
            // Hellos are one write each; don't let Nagle hold the second half of a split write.
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
    }
}

fn classify_connect(e: &io::Error) -> ConnError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset => ConnError::Refused,
        io::ErrorKind::TimedOut => ConnError::ConnectTimeout(Duration::ZERO),
        _ => ConnError::Io(IoKind::from(e)),
    }
}

/// Sends `hello` on `stream` and reads the server's answer until `until` says stop, an
/// alert, the end of the stream, or `limit` elapses.
///
/// What counts as an answer is decided here: at least one whole message (or an SSLv2 ERROR).
/// A reset, a close or a timeout before that is an error (`partial` when some bytes of an
/// answer had come); after it, the flight is returned with [`FlightEnd::Cut`] or
/// [`FlightEnd::Closed`], because what came is already an answer.
pub async fn exchange(
    mut stream: TcpStream,
    hello: &[u8],
    until: ReadUntil,
    limit: Duration,
) -> Result<Flight, ConnError> {
    let deadline = deadline_after(Instant::now(), limit);
    match tokio::time::timeout_at(deadline, stream.write_all(hello)).await {
        Err(_) => {
            return Err(ConnError::ReadTimeout {
                limit,
                partial: false,
                what: Awaited::ServerHello,
            })
        }
        Ok(Err(e)) => return Err(socket_error(&e, false)),
        Ok(Ok(())) => {}
    }

    let mut reader = FlightReader::new();
    let mut flight = Flight::default();
    let mut received = 0usize;
    let mut buf = [0u8; 8192];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => {
                let what = if flight.messages.is_empty() {
                    Awaited::ServerHello
                } else {
                    Awaited::Flight
                };
                let e = ConnError::ReadTimeout {
                    limit,
                    partial: received > 0,
                    what,
                };
                return cut(flight, e);
            }
            Ok(Err(e)) => return cut(flight, socket_error(&e, received > 0)),
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            if flight.messages.is_empty() {
                return Err(ConnError::Closed {
                    partial: received > 0,
                });
            }
            flight.end = FlightEnd::Closed;
            return Ok(flight);
        }
        received = received.saturating_add(n);
        let fed = reader.feed(buf.get(..n).unwrap_or_default());
        if let Err(e) = fed {
            return decode_failure(flight, e);
        }
        loop {
            match reader.next_message() {
                Ok(Some(msg)) => {
                    let stop = stops(&msg, until);
                    flight.messages.push(msg);
                    if stop {
                        return Ok(flight);
                    }
                }
                Ok(None) => break,
                Err(e) => return decode_failure(flight, e),
            }
        }
    }
}

/// A failure after `flight.messages`: an error when nothing whole had come, else the flight
/// marked cut.
fn cut(mut flight: Flight, e: ConnError) -> Result<Flight, ConnError> {
    if flight.messages.is_empty() {
        Err(e)
    } else {
        flight.end = FlightEnd::Cut(e);
        Ok(flight)
    }
}

/// What a socket error during an exchange means. `partial`: bytes of an answer had come.
pub(crate) fn socket_error(e: &io::Error, partial: bool) -> ConnError {
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => ConnError::Reset { partial },
        _ => ConnError::Io(IoKind::from(e)),
    }
}

/// An SSLv2 ERROR message is the SSLv2 way of declining (no common cipher): an answer like
/// a TLS alert, not a malformed flight. Every other decode error is a failure.
fn decode_failure(mut flight: Flight, e: DecodeError) -> Result<Flight, ConnError> {
    match e {
        DecodeError::Ssl2Error { code } if flight.messages.is_empty() => {
            flight.end = FlightEnd::Ssl2Error(code);
            Ok(flight)
        }
        DecodeError::NotTls => cut(flight, ConnError::NotTls),
        // One of our caps: the answer before it is kept (see the module doc).
        DecodeError::Cap { what, limit, unit } => cut(flight, ConnError::Cap { what, limit, unit }),
        other => cut(flight, ConnError::Malformed(other)),
    }
}

fn stops(msg: &ServerMessage, until: ReadUntil) -> bool {
    match msg {
        ServerMessage::Alert(_)
        | ServerMessage::HelloRetryRequest(_)
        | ServerMessage::Ssl2ServerHello(_)
        | ServerMessage::ServerHelloDone
        | ServerMessage::EncryptedRecord => true,
        ServerMessage::ServerHello(sh) => {
            sh.version() >= 0x0304
                || match until {
                    ReadUntil::ServerHello => true,
                    ReadUntil::FlightEnd => false,
                    ReadUntil::FlightEndIf(wanted) => !wanted(sh.cipher_suite),
                }
        }
        _ => false,
    }
}

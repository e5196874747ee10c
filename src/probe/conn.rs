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

use crate::wire::{DecodeError, FlightReader, ServerMessage};

/// How a connection attempt or exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnError {
    /// The port is closed (RST to our SYN).
    #[error("connection refused")]
    Refused,
    /// No answer to the SYN in time (filtered, or the host is down).
    #[error("connect timed out after {0:?}")]
    ConnectTimeout(Duration),
    /// Connected, but the server said nothing conclusive in time.
    #[error("no answer to the ClientHello within {0:?}")]
    ReadTimeout(Duration),
    /// The server answered with bytes that are not TLS.
    #[error("not TLS: {0}")]
    NotTls(String),
    /// The server's TLS was malformed.
    #[error("malformed TLS from server: {0}")]
    Protocol(String),
    /// The server sent more than fipsprobe reads from one connection (`what` names the limit,
    /// `limit` its size in `unit`s).
    #[error("the server's {what} exceeds fipsprobe's {limit}-{unit} limit")]
    Cap {
        /// What was limited (`flight`, `handshake message`).
        what: &'static str,
        /// The limit.
        limit: usize,
        /// Its unit (`byte`, `message`).
        unit: &'static str,
    },
    /// Any other socket error.
    #[error("{0}")]
    Io(String),
}

impl ConnError {
    /// Whether trying again may give another result (see `probe::retry`).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ConnError::ConnectTimeout(_) | ConnError::ReadTimeout(_) | ConnError::Io(_)
        )
    }
}

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

/// What the server sent, in order, up to the point we stopped reading.
#[derive(Debug, Default)]
pub struct Flight {
    /// Messages received.
    pub messages: Vec<ServerMessage>,
    /// True when the server closed the connection before we stopped.
    pub closed: bool,
    /// Set when reading stopped at a cap after the server had answered: `messages` is what
    /// came before it (a [`ConnError::Cap`]).
    pub cut: Option<ConnError>,
}

/// What a probe gets when the endpoint's time budget (`--timeout`) is spent, here named in
/// full so every place that stops for it says the same.
pub fn budget_exhausted(budget: Duration) -> ConnError {
    ConnError::Io(format!("endpoint time budget of {budget:?} exhausted"))
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
        _ => ConnError::Io(e.to_string()),
    }
}

/// Sends `hello` on `stream` and reads the server's answer until `until` says stop, an
/// alert, the end of the stream, or `limit` elapses.
pub async fn exchange(
    mut stream: TcpStream,
    hello: &[u8],
    until: ReadUntil,
    limit: Duration,
) -> Result<Flight, ConnError> {
    let deadline = deadline_after(Instant::now(), limit);
    match tokio::time::timeout_at(deadline, stream.write_all(hello)).await {
        Err(_) => return Err(ConnError::ReadTimeout(limit)),
        Ok(Err(e)) => {
            // A server that resets at once, before reading our hello, has declined it.
            return match e.kind() {
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => Ok(Flight {
                    closed: true,
                    ..Flight::default()
                }),
                _ => Err(ConnError::Io(e.to_string())),
            };
        }
        Ok(Ok(())) => {}
    }

    let mut reader = FlightReader::new();
    let mut flight = Flight::default();
    let mut buf = [0u8; 8192];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => {
                return if flight.messages.is_empty() {
                    Err(ConnError::ReadTimeout(limit))
                } else {
                    // What came is an answer; a server that stalls mid-flight is its concern.
                    Ok(flight)
                };
            }
            Ok(Err(e)) => match e.kind() {
                io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => 0,
                _ => return Err(ConnError::Io(e.to_string())),
            },
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            flight.closed = true;
            return Ok(flight);
        }
        let fed = reader.feed(buf.get(..n).unwrap_or_default());
        if let Err(e) = fed {
            return declined_or(flight, e);
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
                Err(e) => return declined_or(flight, e),
            }
        }
    }
}

/// An SSLv2 ERROR message is the SSLv2 way of declining (no common cipher): an answer like
/// a TLS alert, not a malformed flight. A cap after an answer keeps the answer. Every other
/// decode error is a failure.
fn declined_or(mut flight: Flight, e: DecodeError) -> Result<Flight, ConnError> {
    match e {
        DecodeError::Ssl2Error { .. } => {
            flight.closed = true;
            Ok(flight)
        }
        DecodeError::Cap { .. } if !flight.messages.is_empty() => {
            flight.cut = Some(decode_error(e));
            Ok(flight)
        }
        other => Err(decode_error(other)),
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

fn decode_error(e: DecodeError) -> ConnError {
    match e {
        DecodeError::NotTls => {
            ConnError::NotTls("the server's first bytes are not a TLS record".into())
        }
        DecodeError::Cap { what, limit, unit } => ConnError::Cap {
            what: what.strip_prefix("server ").unwrap_or(what),
            limit,
            unit,
        },
        other => ConnError::Protocol(other.to_string()),
    }
}

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
use tokio::time::Instant;

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

    /// Why a message the flight should carry is not in it: the failure that cut the flight
    /// short, when it was cut (a failed read: the server broke nothing), else the server's
    /// omission, a protocol violation.
    pub fn lacks(&self, what: &'static str) -> ConnError {
        self.cut()
            .cloned()
            .unwrap_or(ConnError::Violation(crate::model::Violation::Missing(what)))
    }
}

/// How often a waiting connect asks its limit again (see [`connect_timed`]).
const RECHECK: Duration = Duration::from_millis(50);

/// A limit too far off to add to an instant is no limit at all: a year will do.
const FAR: Duration = Duration::from_secs(365 * 86_400);

/// `start + limit`, or (for a limit too large to add, from a library caller: the command line
/// has ranges) as far as a year ahead, so no limit can panic in `Instant` arithmetic.
pub fn deadline_after(start: Instant, limit: Duration) -> Instant {
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
    connect_timed(addr, || limit)
        .await
        .map(|(stream, _)| stream)
        .map_err(|(e, _)| e)
}

/// A connect's outcome and how long it took.
pub type Timed<S> = Result<(S, Duration), (ConnError, Duration)>;

/// Connects, giving up once the attempt has lasted `limit()`. The limit is asked again every
/// [`RECHECK`] while the connect waits, so that round trips learned meanwhile (the scan's first
/// answers) shorten a wait that began when nothing was known.
pub async fn connect_timed(addr: SocketAddr, limit: impl FnMut() -> Duration) -> Timed<TcpStream> {
    let (stream, took) = connect_with(dial(addr), limit).await?;
    ready(&stream);
    Ok((stream, took))
}

/// A TCP connect to `addr`, with no limit of its own: for [`connect_with`].
pub fn dial(addr: SocketAddr) -> impl std::future::Future<Output = io::Result<TcpStream>> {
    TcpStream::connect(addr)
}

/// Readies a new connection for hellos.
pub fn ready(stream: &TcpStream) {
    // Hellos are one write each; don't let Nagle hold the second half of a split write.
    let _ = stream.set_nodelay(true);
}

/// [`connect_timed`] over any connecting future (tests script one).
pub async fn connect_with<S>(
    connecting: impl std::future::Future<Output = io::Result<S>>,
    mut limit: impl FnMut() -> Duration,
) -> Timed<S> {
    let start = Instant::now();
    tokio::pin!(connecting);
    loop {
        let now = Instant::now();
        let limit = limit();
        let deadline = deadline_after(start, limit);
        if now >= deadline {
            return Err((ConnError::ConnectTimeout(limit), now - start));
        }
        tokio::select! {
            biased;
            r = &mut connecting => {
                let took = start.elapsed();
                return match r {
                    Ok(stream) => Ok((stream, took)),
                    Err(e) => Err((classify_connect(&e), took)),
                };
            }
            () = tokio::time::sleep_until(deadline.min(now + RECHECK)) => {}
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
    stream: TcpStream,
    hello: &[u8],
    until: ReadUntil,
    limit: Duration,
) -> Result<Flight, ConnError> {
    let end = deadline_after(Instant::now(), limit.saturating_mul(1 + STILL_ARRIVING));
    exchange_within(stream, hello, until, || limit, limit, end).await
}

/// Once an answer has begun (its first message whole), the rest of a flight that is still
/// arriving is read for at most this many `rest` waits: a slow link's first flight (a
/// certificate chain at a few hundred bytes a second) is an answer, while a server that drips
/// forever still ends.
const STILL_ARRIVING: u32 = 2;

/// [`exchange`] with the answer's first message awaited for `limit()`, asked again each time
/// it runs out (a limit that grew meanwhile, with what the scan learned, `probe::link`, is
/// waited out). The rest of the flight waits `rest` from the last bytes that came (the user's
/// limit, not a learned guess: an answer that has begun is never cut on a guess), at most
/// [`STILL_ARRIVING`] × `rest` after the first message; nothing is read past `end`.
pub async fn exchange_within(
    mut stream: TcpStream,
    hello: &[u8],
    until: ReadUntil,
    mut limit: impl FnMut() -> Duration,
    rest: Duration,
    end: Instant,
) -> Result<Flight, ConnError> {
    let start = Instant::now();
    let first = limit();
    let deadline = deadline_after(start, first).min(end);
    match tokio::time::timeout_at(deadline, stream.write_all(hello)).await {
        Err(_) => {
            return Err(ConnError::ReadTimeout {
                limit: first,
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
    // When the first message was whole, and when bytes last came since.
    let mut began: Option<(Instant, Instant)> = None;
    let mut buf = [0u8; 8192];
    loop {
        let read = match began {
            None => read_within(&mut stream, &mut buf, start, end, &mut limit).await,
            Some((whole, last)) => {
                let deadline = deadline_after(last, rest)
                    .min(deadline_after(whole, rest.saturating_mul(STILL_ARRIVING)))
                    .min(end);
                tokio::time::timeout_at(deadline, stream.read(&mut buf))
                    .await
                    .map_err(|_| rest)
            }
        };
        let n = match read {
            Err(limit) => {
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
        if let Some((_, last)) = &mut began {
            *last = Instant::now();
        }
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
                    if began.is_none() {
                        let now = Instant::now();
                        began = Some((now, now));
                    }
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

/// Reads into `buf`, unless `limit()` has passed since `start` (asked again when it runs out)
/// or `end` has come: then the limit that ran out.
async fn read_within(
    stream: &mut TcpStream,
    buf: &mut [u8],
    start: Instant,
    end: Instant,
    limit: &mut impl FnMut() -> Duration,
) -> Result<io::Result<usize>, Duration> {
    loop {
        let now = Instant::now();
        let limit = limit();
        let deadline = deadline_after(start, limit).min(end);
        if now >= deadline {
            return Err(limit);
        }
        tokio::select! {
            biased;
            r = stream.read(buf) => return Ok(r),
            () = tokio::time::sleep_until(deadline) => {}
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_read_waits_out_a_limit_that_grew_while_it_waited() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        // Accepted and held, never answered.
        let (_server, _) = listener.accept().await.unwrap();
        let asked = Cell::new(0u32);
        let limit = || {
            asked.set(asked.get() + 1);
            // 100 ms at first; what was learned meanwhile says 300 ms.
            Duration::from_millis(if asked.get() <= 2 { 100 } else { 300 })
        };
        let start = Instant::now();
        let end = start + Duration::from_secs(60);
        let r = exchange_within(
            client,
            b"hello",
            ReadUntil::ServerHello,
            limit,
            Duration::from_millis(100),
            end,
        )
        .await;
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        assert_eq!(
            r.unwrap_err(),
            ConnError::ReadTimeout {
                limit: Duration::from_millis(300),
                partial: false,
                what: Awaited::ServerHello,
            }
        );
    }

    /// A ServerHello record (TLS 1.2, ECDHE-RSA-AES128-GCM, no extensions).
    fn server_hello() -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend([7u8; 32]);
        body.extend([0x00, 0xC0, 0x2F, 0x00]);
        let mut msg = vec![0x02, 0x00, 0x00, u8::try_from(body.len()).unwrap()];
        msg.extend(body);
        crate::wire::encode_records(crate::wire::ContentType::HANDSHAKE, 0x0303, &msg)
    }

    /// Serves `first` at once, then `rest` one byte every `gap`; holds the connection open.
    async fn drip(first: Vec<u8>, rest: Vec<u8>, gap: Duration) -> TcpStream {
        use tokio::io::AsyncWriteExt as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        tokio::spawn(async move {
            let mut hello = [0u8; 5];
            let _ = server.read(&mut hello).await;
            server.write_all(&first).await.unwrap();
            for b in rest {
                tokio::time::sleep(gap).await;
                if server.write_all(&[b]).await.is_err() {
                    return;
                }
            }
            std::future::pending::<()>().await;
        });
        client
    }

    #[tokio::test(start_paused = true)]
    async fn a_flight_still_arriving_is_read_past_the_limit() {
        let done = crate::wire::encode_records(
            crate::wire::ContentType::HANDSHAKE,
            0x0303,
            &[0x0E, 0, 0, 0],
        );
        // ServerHelloDone's 9 bytes 150 ms apart: 1.35 s, past the 1 s limit.
        let client = drip(server_hello(), done, Duration::from_millis(150)).await;
        let limit = Duration::from_secs(1);
        let start = Instant::now();
        let flight = exchange(client, b"hello", ReadUntil::FlightEnd, limit)
            .await
            .unwrap();
        assert_eq!(flight.messages.len(), 2, "{flight:?}");
        assert!(flight.cut().is_none(), "{flight:?}");
        assert!(start.elapsed() > limit);
    }

    #[tokio::test(start_paused = true)]
    async fn a_flight_that_never_ends_is_cut_at_twice_the_limit() {
        // A Certificate record that claims 16 KiB and comes a byte every 300 ms.
        let mut endless = vec![0x16, 0x03, 0x03, 0x40, 0x00];
        endless.extend(std::iter::repeat_n(0u8, 16_384));
        let client = drip(server_hello(), endless, Duration::from_millis(300)).await;
        let limit = Duration::from_secs(1);
        let start = Instant::now();
        let flight = exchange(client, b"hello", ReadUntil::FlightEnd, limit)
            .await
            .unwrap();
        assert_eq!(flight.messages.len(), 1);
        assert!(
            matches!(
                flight.cut(),
                Some(ConnError::ReadTimeout { partial: true, .. })
            ),
            "{flight:?}"
        );
        // The ServerHello at once, then twice the limit for the rest.
        assert_eq!(start.elapsed(), limit * STILL_ARRIVING);
    }
}

//! A TCP relay on 127.0.0.1 in front of a real server that injects one kind of fault: resets at
//! a rate (before the ServerHello, or inside it), a close or a refused connection after the
//! first connection, 1-byte TCP writes, a slow drip, or a delay before each answer. It runs on a
//! runtime of its own (usable from sync and async tests), stops when dropped or after
//! [`LIFETIME`], and counts what it did. Which connections get a rate fault is decided by a
//! seeded generator, so a failing run can be replayed with its seed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long a relay lives at most.
pub const LIFETIME: Duration = Duration::from_secs(600);

/// Bytes of the server's answer forwarded before an "inside the ServerHello" reset: the
/// record header and part of the ServerHello body.
const INSIDE_HELLO: usize = 20;

/// Where a reset cuts the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetAt {
    /// After the client's hello arrived, before any byte of the answer.
    BeforeServerHello,
    /// After the first [`INSIDE_HELLO`] bytes of the answer.
    InsideServerHello,
}

/// The fault a relay injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward everything.
    Pass,
    /// Reset `percent` % of connections (TCP RST: SO_LINGER 0), at `at`; `seed` picks which.
    Reset {
        /// Share of connections reset, 0-100.
        percent: u32,
        /// Where.
        at: ResetAt,
        /// The generator's seed.
        seed: u64,
    },
    /// The first connection is forwarded; every later one is accepted and closed at once.
    CloseAfterFirst,
    /// The first connection is forwarded; then the listener closes (connections refused).
    RefuseAfterFirst,
    /// Every write, both ways, goes out as 1-byte TCP segments.
    OneByteWrites,
    /// The server's answer reaches the client one byte per interval.
    Drip(Duration),
    /// Every answer is held this long before its first byte is forwarded.
    Delay(Duration),
    /// Hello intolerance, as embedded stacks and appliances show it: a ClientHello the filter
    /// matches never reaches the server; the client gets a fatal `handshake_failure` alert
    /// (`alert: true`) or a bare close.
    Intolerant {
        /// Which hellos are refused.
        refuse: HelloFilter,
        /// Answer with an alert (else close).
        alert: bool,
    },
}

/// A class of ClientHellos a [`Fault::Intolerant`] relay refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelloFilter {
    /// More than this many cipher suites (load balancers that took at most 128).
    MoreSuitesThan(usize),
    /// A hello record of 256 to 511 bytes (the F5 "hello length" class).
    Length256To511,
}

impl HelloFilter {
    /// Whether `hello` (the client's first record) is refused.
    fn refuses(self, hello: &[u8]) -> bool {
        let body = |i: usize| hello.get(i).copied().map(usize::from);
        match self {
            HelloFilter::MoreSuitesThan(max) => {
                // record header 5, handshake header 4, version 2, random 32, session id.
                let Some(sid) = body(43) else { return false };
                let at = 44 + sid;
                match (body(at), body(at + 1)) {
                    (Some(hi), Some(lo)) => ((hi << 8) | lo) / 2 > max,
                    _ => false,
                }
            }
            HelloFilter::Length256To511 => match (body(3), body(4)) {
                (Some(hi), Some(lo)) => (256..512).contains(&((hi << 8) | lo)),
                _ => false,
            },
        }
    }
}

/// What a relay did so far.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU32,
    /// Connections reset or closed by the fault.
    pub faults: AtomicU32,
    /// Connections on which the server's answer started reaching the client.
    pub answers: AtomicU32,
    /// The first bytes the client sent on each connection (up to 4 KiB), in accept order.
    pub hellos: Mutex<Vec<Vec<u8>>>,
}

/// A running relay.
pub struct Relay {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// What it did.
    pub stats: Arc<Stats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    /// Starts a relay to `backend` injecting `fault`.
    pub fn start(backend: SocketAddr, fault: Fault) -> Relay {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("binding 127.0.0.1:0 must work for loopback tests");
        std_listener
            .set_nonblocking(true)
            .expect("a fresh listener can be made non-blocking");
        let addr = std_listener.local_addr().expect("a bound listener");
        let stats = Arc::new(Stats::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let counters = stats.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("relay runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                tokio::select! {
                    _ = serve(listener, backend, fault, counters) => {}
                    _ = stopped => {}
                    _ = tokio::time::sleep(LIFETIME) => {}
                }
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        Relay {
            addr,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u32 {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// Connections the fault cut so far.
    pub fn faults(&self) -> u32 {
        self.stats.faults.load(Ordering::SeqCst)
    }

    /// Connections on which the server's answer reached the client so far.
    pub fn answers(&self) -> u32 {
        self.stats.answers.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A xorshift step: the rate faults' generator.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

async fn serve(listener: TcpListener, backend: SocketAddr, fault: Fault, stats: Arc<Stats>) {
    let mut rng = match fault {
        Fault::Reset { seed, .. } => seed | 1,
        _ => 1,
    };
    let mut first = true;
    let mut listener = Some(listener);
    loop {
        let Some(l) = listener.as_ref() else {
            // Refusing: nothing listens any more; wait to be stopped.
            std::future::pending::<()>().await;
            return;
        };
        let Ok((client, _)) = l.accept().await else {
            continue;
        };
        stats.connections.fetch_add(1, Ordering::SeqCst);
        let _ = client.set_nodelay(true);
        let was_first = std::mem::replace(&mut first, false);
        match fault {
            Fault::CloseAfterFirst if !was_first => {
                stats.faults.fetch_add(1, Ordering::SeqCst);
                drop(client);
                continue;
            }
            Fault::RefuseAfterFirst if was_first => listener = None,
            _ => {}
        }
        let cut = match fault {
            Fault::Reset { percent, at, .. } => {
                (next(&mut rng) % 100 < u64::from(percent)).then_some(at)
            }
            _ => None,
        };
        let stats = stats.clone();
        tokio::spawn(async move {
            let _ = relay_one(client, backend, fault, cut, &stats).await;
        });
    }
}

/// Reads what the client sends first (its hello), up to 4 KiB or until it pauses.
async fn first_bytes(client: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let mut got = 0;
    while got < buf.len() {
        match tokio::time::timeout(Duration::from_millis(200), client.read(&mut buf[got..])).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                got += n;
                // A whole TLS record (or more) arrived: that is the hello.
                if got >= 5 && got >= 5 + usize::from(u16::from_be_bytes([buf[3], buf[4]])) {
                    break;
                }
            }
            Err(_) if got > 0 => break,
            Err(_) => {}
        }
    }
    buf.truncate(got);
    buf
}

fn reset(client: TcpStream, stats: &Stats) {
    stats.faults.fetch_add(1, Ordering::SeqCst);
    let _ = client.set_zero_linger();
    drop(client);
}

async fn relay_one(
    mut client: TcpStream,
    backend: SocketAddr,
    fault: Fault,
    cut: Option<ResetAt>,
    stats: &Stats,
) -> std::io::Result<()> {
    let hello = first_bytes(&mut client).await;
    stats
        .hellos
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(hello.clone());
    if cut == Some(ResetAt::BeforeServerHello) {
        reset(client, stats);
        return Ok(());
    }
    if let Fault::Intolerant { refuse, alert } = fault {
        if hello.first() == Some(&0x16) && refuse.refuses(&hello) {
            stats.faults.fetch_add(1, Ordering::SeqCst);
            if alert {
                // A fatal handshake_failure, in the hello's record version.
                let version = [
                    hello.get(1).copied().unwrap_or(3),
                    hello.get(2).copied().unwrap_or(1),
                ];
                client
                    .write_all(&[0x15, version[0], version[1], 0, 2, 2, 40])
                    .await?;
            }
            let _ = client.shutdown().await;
            return Ok(());
        }
    }
    let mut server = TcpStream::connect(backend).await?;
    let _ = server.set_nodelay(true);
    // The drip slows the answers only; the client's bytes go up at full speed.
    let up_fault = match fault {
        Fault::Drip(_) => Fault::Pass,
        other => other,
    };
    write(&mut server, &hello, up_fault).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buf = [0u8; 4096];
        loop {
            let n = client_read.read(&mut buf).await?;
            if n == 0 {
                let _ = server_write.shutdown().await;
                return Ok::<(), std::io::Error>(());
            }
            write(&mut server_write, &buf[..n], up_fault).await?;
        }
    };
    let downstream = async {
        if let Fault::Delay(d) = fault {
            tokio::time::sleep(d).await;
        }
        let mut sent = 0usize;
        let mut buf = [0u8; 4096];
        loop {
            let n = server_read.read(&mut buf).await?;
            if sent == 0 && n > 0 {
                stats.answers.fetch_add(1, Ordering::SeqCst);
            }
            if n == 0 {
                let _ = client_write.shutdown().await;
                return Ok::<bool, std::io::Error>(false);
            }
            let mut chunk = &buf[..n];
            if cut == Some(ResetAt::InsideServerHello) {
                let room = INSIDE_HELLO.saturating_sub(sent);
                if chunk.len() >= room {
                    chunk = &chunk[..room];
                    write(&mut client_write, chunk, fault).await?;
                    return Ok(true);
                }
            }
            write(&mut client_write, chunk, fault).await?;
            sent += chunk.len();
        }
    };
    let cut_now = tokio::select! {
        r = upstream => { r?; false }
        r = downstream => r?,
    };
    if cut_now {
        let client = client_read
            .reunite(client_write)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        reset(client, stats);
    }
    Ok(())
}

/// Writes `bytes` the way `fault` says: whole, one byte per segment, or dripping.
async fn write<W: AsyncWriteExt + Unpin>(
    to: &mut W,
    bytes: &[u8],
    fault: Fault,
) -> std::io::Result<()> {
    match fault {
        Fault::OneByteWrites => {
            for b in bytes {
                to.write_all(std::slice::from_ref(b)).await?;
                to.flush().await?;
            }
            Ok(())
        }
        Fault::Drip(interval) => {
            // Paced by a schedule, not by one sleep after another: on a loaded machine every
            // sleep overshoots, and a flight meant to take 1.4 s took over 5 (CI). Behind
            // schedule, the bytes still go one write each.
            let start = tokio::time::Instant::now();
            for (i, b) in (1u32..).zip(bytes) {
                to.write_all(std::slice::from_ref(b)).await?;
                to.flush().await?;
                tokio::time::sleep_until(start + interval.saturating_mul(i)).await;
            }
            Ok(())
        }
        _ => to.write_all(bytes).await,
    }
}

//! Endpoints that are not TLS servers, for the `status` tests: one that answers any bytes with
//! garbage, one that accepts TCP and never answers, and a closed port. Plain std threads, so
//! they work from sync and async tests alike; they stop when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// What the endpoint does with a connection.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Reads whatever arrives (up to 16 KiB, 2 s), writes these bytes, closes.
    Reply(Vec<u8>),
    /// Accepts and holds the connection open without reading or writing, until the client
    /// closes or the endpoint is dropped.
    Silent,
    /// Reads one TLS record (2 s at most), writes what the function makes of its bytes, closes:
    /// a scripted server that answers each hello on its merits.
    Respond(fn(&[u8]) -> Vec<u8>),
}

/// A loopback TCP endpoint with a fixed [`Behaviour`].
pub struct MisbehavingServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MisbehavingServer {
    /// Starts the endpoint on 127.0.0.1, a free port.
    pub fn start(behaviour: Behaviour) -> MisbehavingServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .expect("binding 127.0.0.1:0 must work for loopback tests");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                match &behaviour {
                    Behaviour::Reply(bytes) => {
                        let bytes = bytes.clone();
                        std::thread::spawn(move || reply(stream, &bytes));
                    }
                    // Kept until the endpoint stops: dropping would close (and answer) it.
                    Behaviour::Silent => held.push(stream),
                    Behaviour::Respond(f) => {
                        let f = *f;
                        std::thread::spawn(move || respond(stream, f));
                    }
                }
            }
        });
        MisbehavingServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// Answers every connection with an HTTP response (what a TLS port misconfigured as plain
    /// HTTP looks like).
    pub fn plain_http() -> MisbehavingServer {
        MisbehavingServer::start(Behaviour::Reply(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        ))
    }

    /// Answers with bytes that look like a TLS record header with an absurd length, then junk.
    pub fn garbage() -> MisbehavingServer {
        let mut junk = vec![0x16, 0x03, 0x03, 0xFF, 0xFF];
        junk.extend((0u8..=255).cycle().take(300));
        MisbehavingServer::start(Behaviour::Reply(junk))
    }

    /// Accepts and never answers.
    pub fn silent() -> MisbehavingServer {
        MisbehavingServer::start(Behaviour::Silent)
    }
}

impl Drop for MisbehavingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn reply(mut stream: TcpStream, bytes: &[u8]) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 16 * 1024];
    let _ = stream.read(&mut buf);
    let _ = stream.write_all(bytes);
}

fn respond(mut stream: TcpStream, f: fn(&[u8]) -> Vec<u8>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut header = [0u8; 5];
    if stream.read_exact(&mut header).is_err() {
        return;
    }
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut record = header.to_vec();
    record.resize(5 + len, 0);
    if stream.read_exact(&mut record[5..]).is_err() {
        return;
    }
    let _ = stream.write_all(&f(&record));
    // Let the client read before the close.
    let mut sink = [0u8; 64];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = stream.read(&mut sink);
}

/// A loopback address where nothing listens (bound, then released: a connect is refused).
pub fn closed_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], super::process::free_port()))
}

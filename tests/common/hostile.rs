//! Hostile TLS servers on loopback, scripted: each answers a TLS ≤ 1.2 ClientHello with a
//! ServerHello for the first suite offered and then misbehaves as its [`Hostile`] says (endless
//! records, endless certificates, a drip, absurd length fields, a huge chain). TLS 1.3-only
//! offers get a handshake_failure alert, so every probe reaches the TLS 1.2 sweeps.
//!
//! Plain std threads (usable from sync tests, async tests and the memory benchmark, which runs
//! them in a child process); every connection ends when the client closes, on a write error,
//! or after [`CONNECTION_LIFETIME`], and the server stops when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fipsprobe::wire::{encode_records, Certificate, ClientHello, ContentType, ServerHello, Wire};

/// Longest a hostile connection lasts, whatever the client does: bounds every test.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);

/// How a hostile server misbehaves after its ServerHello.
#[derive(Clone, Debug)]
pub enum Hostile {
    /// Records of 4-byte handshake messages (type 0, hello_request), without end.
    EndlessRecords,
    /// Certificate messages of 16 KiB each, without end.
    EndlessCertificates,
    /// The ServerHello one byte at a time, `every` apart, then records of 4-byte handshake
    /// messages the same way, without end.
    Drip {
        /// Time between two bytes.
        every: Duration,
    },
    /// Length fields at their maximum: a Certificate message claiming 2^24-1 bytes whose list
    /// claims as much, then bytes without end.
    HugeLengths,
    /// A TLS 1.2 flight whose Certificate message holds `certs` (real chains have 1-5), then
    /// ServerHelloDone.
    Chain {
        /// The certificates, leaf first.
        certs: Vec<Vec<u8>>,
    },
    /// A full, valid TLS 1.2 flight: Certificate with `der`, then ServerHelloDone.
    Flight {
        /// The certificate.
        der: Vec<u8>,
    },
}

/// A hostile server; stops (and closes its listener) when dropped.
pub struct HostileServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Bytes written to clients so far, all connections together.
    pub written: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Starts on 127.0.0.1, a free port.
    pub fn start(hostile: Hostile) -> HostileServer {
        HostileServer::start_on("127.0.0.1:0".parse().expect("a socket address"), hostile)
    }

    /// Starts on `addr` (a loopback address; port 0 for any).
    pub fn start_on(addr: SocketAddr, hostile: Hostile) -> HostileServer {
        assert!(
            addr.ip().is_loopback(),
            "hostile servers bind loopback only"
        );
        let listener = TcpListener::bind(addr).expect("binding a loopback address");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let (flag, count) = (Arc::clone(&stop), Arc::clone(&written));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (hostile, flag, count) =
                    (hostile.clone(), Arc::clone(&flag), Arc::clone(&count));
                std::thread::spawn(move || serve(stream, &hostile, &flag, &count));
            }
        });
        HostileServer {
            addr,
            written,
            stop,
            thread: Some(thread),
        }
    }

    /// Bytes written to clients so far.
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one ClientHello record (or several, for a hello split across records).
fn read_hello(stream: &mut TcpStream) -> Option<ClientHello> {
    let mut body = Vec::new();
    loop {
        let mut header = [0u8; 5];
        stream.read_exact(&mut header).ok()?;
        if header[0] != 22 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let mut fragment = vec![0u8; len];
        stream.read_exact(&mut fragment).ok()?;
        body.extend(fragment);
        let want = body
            .get(1..4)
            .map(|l| usize::from(l[0]) << 16 | usize::from(l[1]) << 8 | usize::from(l[2]))?;
        if body.len() >= want + 4 {
            return ClientHello::read_handshake(body.get(..want + 4)?).ok();
        }
    }
}

/// A handshake message: type, 24-bit length, body.
pub fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut msg = vec![typ];
    msg.extend(&u32::try_from(body.len()).expect("< 2^24").to_be_bytes()[1..]);
    msg.extend(body);
    msg
}

/// A TLS 1.2 ServerHello record choosing `suite` at `version`, no extensions.
pub fn server_hello_record(version: u16, suite: u16) -> Vec<u8> {
    let sh = ServerHello {
        legacy_version: version,
        random: [0x42; 32],
        session_id: Vec::new(),
        cipher_suite: suite,
        compression: 0,
        extensions: Vec::new(),
    };
    encode_records(
        ContentType::HANDSHAKE,
        version,
        &handshake(2, &sh.to_bytes()),
    )
}

const HANDSHAKE_FAILURE: [u8; 7] = [21, 3, 3, 0, 2, 2, 40];

fn serve(mut stream: TcpStream, hostile: &Hostile, stop: &AtomicBool, written: &AtomicU64) {
    let started = Instant::now();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    // A drip must reach the client byte by byte, not coalesced by Nagle.
    let _ = stream.set_nodelay(true);
    let Some(hello) = read_hello(&mut stream) else {
        return;
    };
    let suite = hello
        .cipher_suites
        .iter()
        .copied()
        .find(|s| s >> 8 != 0x13 && *s != 0x00FF && *s != 0x5600);
    let Some(suite) = suite else {
        let _ = stream.write_all(&HANDSHAKE_FAILURE);
        return;
    };
    let version = hello.legacy_version.min(0x0303);
    let hello_record = server_hello_record(version, suite);
    let live = |n: usize| {
        written.fetch_add(n as u64, Ordering::SeqCst);
        !stop.load(Ordering::SeqCst) && started.elapsed() < CONNECTION_LIFETIME
    };
    let mut send = |bytes: &[u8]| stream.write_all(bytes).is_ok() && live(bytes.len());
    let endless = |send: &mut dyn FnMut(&[u8]) -> bool, chunk: &[u8]| while send(chunk) {};
    match hostile {
        Hostile::EndlessRecords => {
            if !send(&hello_record) {
                return;
            }
            let messages: Vec<u8> = (0..4096).flat_map(|_| handshake(0, &[])).collect();
            let chunk = encode_records(ContentType::HANDSHAKE, version, &messages);
            endless(&mut send, &chunk);
        }
        Hostile::EndlessCertificates => {
            if !send(&hello_record) {
                return;
            }
            let cert = Certificate::whole(vec![vec![0x30; 16 * 1024 - 16]]);
            let chunk = encode_records(
                ContentType::HANDSHAKE,
                version,
                &handshake(11, &cert.to_bytes()),
            );
            endless(&mut send, &chunk);
        }
        Hostile::Drip { every } => {
            let message = encode_records(ContentType::HANDSHAKE, version, &handshake(0, &[]));
            let endless = std::iter::repeat(message).flatten();
            for byte in hello_record.iter().copied().chain(endless) {
                if !send(&[byte]) {
                    return;
                }
                std::thread::sleep(*every);
            }
        }
        Hostile::HugeLengths => {
            if !send(&hello_record) {
                return;
            }
            // Certificate, 2^24-1 bytes; certificate_list, 2^24-4; one certificate, 2^24-7.
            let mut start = vec![11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff, 0xf9];
            start.resize(16 * 1024, 0x30);
            if !send(&encode_records(ContentType::HANDSHAKE, version, &start)) {
                return;
            }
            let chunk = encode_records(ContentType::HANDSHAKE, version, &[0x30; 16 * 1024]);
            endless(&mut send, &chunk);
        }
        Hostile::Chain { certs } => {
            let cert = Certificate::whole(certs.clone());
            let mut flight = hello_record;
            flight.extend(encode_records(
                ContentType::HANDSHAKE,
                version,
                &handshake(11, &cert.to_bytes()),
            ));
            flight.extend(encode_records(
                ContentType::HANDSHAKE,
                version,
                &handshake(14, &[]),
            ));
            if send(&flight) {
                linger(&mut stream);
            }
        }
        Hostile::Flight { der } => {
            let cert = Certificate::whole(vec![der.clone()]);
            let mut flight = hello_record;
            flight.extend(encode_records(
                ContentType::HANDSHAKE,
                version,
                &handshake(11, &cert.to_bytes()),
            ));
            flight.extend(encode_records(
                ContentType::HANDSHAKE,
                version,
                &handshake(14, &[]),
            ));
            if send(&flight) {
                linger(&mut stream);
            }
        }
    }
}

/// Waits (bounded) for the client to close, so it reads the whole flight before our close.
fn linger(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = [0u8; 256];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

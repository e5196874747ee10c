//! Hello intolerance, end to end: a relay in front of a real OpenSSL server refuses every
//! ClientHello that carries more than 150 suites (as an embedded stack seen in the field did),
//! with an alert, or by resetting the connection. The scan must still find exactly what the
//! server accepts at every version (the same as without the relay), and say what the server
//! could not take (`extensions.hello_limits`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use fipsprobe::model::{Endpoint, Status, Verdict};
use fipsprobe::probe::ProbeConfig;
use fipsprobe::protocol::Protocol;

use crate::common::scan::{graded, observe_with};
use crate::common::OpensslServer;
use crate::require_server;

/// How the relay refuses a hello with too many suites.
#[derive(Clone, Copy, Debug)]
enum Refuse {
    /// A fatal handshake_failure alert.
    Alert,
    /// A TCP reset (SO_LINGER 0, then close).
    Reset,
}

/// Forwards connections to `backend` unless their first record is a ClientHello with more
/// than `max` suites; stops when dropped.
struct SuiteLimit {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SuiteLimit {
    fn start(backend: SocketAddr, max: usize, refuse: Refuse) -> SuiteLimit {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                std::thread::spawn(move || relay(stream, backend, max, refuse));
            }
        });
        SuiteLimit {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SuiteLimit {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The number of cipher suites in a TLS ClientHello record (`None` for anything else).
fn suites_in(record: &[u8]) -> Option<usize> {
    // record header (5), handshake header (4), version (2), random (32), session id.
    let sid = usize::from(*record.get(5 + 4 + 2 + 32)?);
    let at = 5 + 4 + 2 + 32 + 1 + sid;
    let len = u16::from_be_bytes([*record.get(at)?, *record.get(at + 1)?]);
    Some(usize::from(len) / 2)
}

fn relay(mut inbound: TcpStream, backend: SocketAddr, max: usize, refuse: Refuse) {
    let _ = inbound.set_read_timeout(Some(Duration::from_secs(5)));
    let mut header = [0u8; 5];
    if inbound.read_exact(&mut header).is_err() {
        return;
    }
    let mut record = header.to_vec();
    if header[0] == 0x16 {
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        record.resize(5 + len, 0);
        if inbound.read_exact(&mut record[5..]).is_err() {
            return;
        }
        if suites_in(&record).is_some_and(|n| n > max) {
            match refuse {
                Refuse::Alert => {
                    let _ = inbound.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
                }
                Refuse::Reset => {
                    let _ = socket_linger_zero(&inbound);
                }
            }
            return;
        }
    }
    let Ok(mut outbound) = TcpStream::connect(backend) else {
        return;
    };
    if outbound.write_all(&record).is_err() {
        return;
    }
    let _ = outbound.set_read_timeout(Some(Duration::from_secs(10)));
    let (Ok(mut a), Ok(mut b)) = (inbound.try_clone(), outbound.try_clone()) else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a, &mut b);
        let _ = b.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut outbound, &mut inbound);
    let _ = inbound.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

/// Makes the close of `s` a reset: SO_LINGER with a zero timeout, through the `linger` option
/// of std (`set_linger` is unstable, so the socket is handed to tokio, which has it).
fn socket_linger_zero(s: &TcpStream) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let _guard = rt.enter();
    let std_stream = s.try_clone()?;
    std_stream.set_nonblocking(true)?;
    let t = tokio::net::TcpStream::from_std(std_stream)?;
    // Deprecated because a non-zero linger blocks the dropping thread; a zero one resets the
    // connection at once, which is the point here.
    #[allow(deprecated)]
    t.set_linger(Some(Duration::ZERO))?;
    drop(t);
    Ok(())
}

async fn scan(addr: SocketAddr) -> Endpoint {
    let (obs, _) = observe_with(addr, &ProbeConfig::default(), 4).await;
    graded(&obs, "fips-140-2")
}

fn suites(e: &Endpoint) -> Vec<(Protocol, Vec<String>)> {
    e.protocols
        .iter()
        .map(|(p, r)| (*p, r.suites.iter().map(|s| s.name.clone()).collect()))
        .collect()
}

async fn against_openssl(refuse: Refuse) {
    let server = require_server!(OpensslServer::legacy(true));
    let direct = scan(server.addr()).await;
    assert_eq!(direct.status, Status::Tls);
    assert!(direct.extensions.hello_limits.is_empty());
    let relay = SuiteLimit::start(server.addr(), 150, refuse);
    let behind = scan(relay.addr).await;
    assert_eq!(behind.status, Status::Tls, "{refuse:?}: {behind:#?}");
    assert!(!behind.incomplete, "{refuse:?}: {:?}", behind.gaps);
    // Exactly what the server accepts, in its order, at every version.
    assert_eq!(suites(&behind), suites(&direct), "{refuse:?}");
    for v in [Protocol::Tls10, Protocol::Tls11, Protocol::Tls12] {
        assert_eq!(
            behind.protocols[&v].server_order, direct.protocols[&v].server_order,
            "{refuse:?} {v}"
        );
        let limit = behind.extensions.hello_limits.get(&v).copied();
        assert_eq!(
            limit.map(|l| l.max_suites),
            Some(128),
            "{refuse:?} {v}: {:?}",
            behind.extensions.hello_limits
        );
    }
    // TLS 1.3 hellos carry five suites: nothing to limit.
    assert!(!behind
        .extensions
        .hello_limits
        .contains_key(&Protocol::Tls13));
    // The same grade: no version lost, no suite lost.
    assert_eq!(behind.verdict, direct.verdict);
    assert_eq!(behind.verdict, Verdict::Fail);
}

#[tokio::test]
async fn a_server_refusing_large_hellos_with_an_alert_is_swept_in_windows() {
    against_openssl(Refuse::Alert).await;
}

#[tokio::test]
async fn a_server_resetting_large_hellos_is_swept_in_windows() {
    against_openssl(Refuse::Reset).await;
}

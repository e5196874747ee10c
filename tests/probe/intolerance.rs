//! Hello intolerance, end to end: a relay in front of a real OpenSSL server refuses every
//! ClientHello that carries more than 150 suites (as an embedded stack seen in the field did),
//! with an alert, or by resetting the connection. The scan must still find exactly what the
//! server accepts at every version (the same as without the relay), and say what the server
//! could not take (`extensions.hello_limits`). The same relay resetting every hello that
//! carries `status_request` (which rustls always sends) must not cost the TLS 1.3 chain.

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

/// What the relay will not forward.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// A ClientHello with more suites than this.
    MoreSuitesThan(usize),
    /// A ClientHello carrying this extension.
    Extension(u16),
}

impl Rule {
    fn refuses(self, record: &[u8]) -> bool {
        match self {
            Rule::MoreSuitesThan(max) => suites_in(record).is_some_and(|n| n > max),
            Rule::Extension(ext) => extensions_in(record).is_some_and(|e| e.contains(&ext)),
        }
    }
}

/// Forwards connections to `backend` unless their first record is a ClientHello its rule
/// refuses; stops when dropped.
struct SuiteLimit {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SuiteLimit {
    fn start(backend: SocketAddr, rule: Rule, refuse: Refuse) -> SuiteLimit {
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
                std::thread::spawn(move || relay(stream, backend, rule, refuse));
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

/// The extension types of a TLS ClientHello record (`None` for anything else).
fn extensions_in(record: &[u8]) -> Option<Vec<u16>> {
    let u16_at = |at: usize| Some(u16::from_be_bytes([*record.get(at)?, *record.get(at + 1)?]));
    let sid = usize::from(*record.get(5 + 4 + 2 + 32)?);
    let suites = 5 + 4 + 2 + 32 + 1 + sid;
    let compression = suites + 2 + usize::from(u16_at(suites)?);
    let mut at = compression + 1 + usize::from(*record.get(compression)?);
    let end = at + 2 + usize::from(u16_at(at)?);
    at += 2;
    let mut types = Vec::new();
    while at + 4 <= end {
        types.push(u16_at(at)?);
        at += 4 + usize::from(u16_at(at + 2)?);
    }
    Some(types)
}

fn relay(mut inbound: TcpStream, backend: SocketAddr, rule: Rule, refuse: Refuse) {
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
        if rule.refuses(&record) {
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
    let relay = SuiteLimit::start(server.addr(), Rule::MoreSuitesThan(150), refuse);
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

/// A stack that resets any hello carrying `status_request`: rustls's TLS 1.3 handshake always
/// sends it, so the chain comes from a plain hello instead, and OCSP stapling stays unknown
/// (never `false`) since the hello that asks for it got no answer.
#[tokio::test]
async fn a_server_dropping_status_request_still_shows_its_tls13_chain() {
    let server = require_server!(OpensslServer::start(
        &["-tls1_3"],
        fipsprobe::demo::KeyKind::EcdsaP256
    ));
    let direct = scan(server.addr()).await;
    assert_eq!(direct.extensions.ocsp_stapling, Some(false), "{direct:#?}");
    let relay = SuiteLimit::start(server.addr(), Rule::Extension(5), Refuse::Reset);
    let behind = scan(relay.addr).await;
    assert_eq!(behind.status, Status::Tls, "{behind:#?}");
    assert_eq!(suites(&behind), suites(&direct));
    let chain = |e: &Endpoint| {
        e.certificate
            .as_ref()
            .map(|c| c.chain.iter().map(|i| i.sha256.clone()).collect::<Vec<_>>())
    };
    assert!(chain(&direct).is_some_and(|c| !c.is_empty()));
    assert_eq!(chain(&behind), chain(&direct), "{:?}", behind.gaps);
    assert_eq!(behind.extensions.ocsp_stapling, None);
    assert_ne!(behind.verdict, Verdict::Pass);
}

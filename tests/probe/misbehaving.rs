//! The probe against endpoints that are not well-behaved TLS servers: garbage, silence, plain
//! HTTP, a closed port, and hand-written fake TLS servers whose ServerHello breaks the protocol
//! (a suite we did not offer, a version above the one offered) or that hang on TLS 1.3 hellos.
//! Each must end with the right `status`; a timeout is never a rejection. Timeouts here are
//! generous (2 s against fakes that answer at once, so a loaded machine does not turn an answer
//! into a timeout), and the only clock asserts are guards against hanging ([`HANG`]), not speed
//! claims: speed is shown by the benchmarks in `examples/`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use fipsprobe::model::{Endpoint, ErrorKind, Status, Verdict};
use fipsprobe::probe::ProbeConfig;
use fipsprobe::protocol::Protocol;

use crate::common::scan::{graded, observe_with};
use crate::common::{closed_port, MisbehavingServer};

async fn scan_with(addr: SocketAddr, cfg: ProbeConfig) -> (Endpoint, Duration) {
    let (obs, took) = observe_with(addr, &cfg, 4).await;
    (graded(&obs, "fips-140-3"), took)
}

fn short() -> ProbeConfig {
    ProbeConfig {
        connect_timeout: Duration::from_secs(2),
        handshake_timeout: Duration::from_secs(2),
        ..ProbeConfig::default()
    }
}

/// A scan of a fake that takes longer than this hangs (every scan here needs a few timeouts
/// at most).
const HANG: Duration = Duration::from_secs(60);

async fn scan(addr: SocketAddr) -> (Endpoint, Duration) {
    scan_with(addr, short()).await
}

fn assert_nothing_accepted(e: &Endpoint) {
    assert!(e.protocols.is_empty(), "{:?}", e.protocols);
    assert_eq!(e.preferred_suite, None);
}

#[tokio::test]
async fn garbage_is_not_tls() {
    let server = MisbehavingServer::garbage();
    let (e, took) = scan(server.addr).await;
    assert_eq!(e.status, Status::NotTls, "{:?}", e.error);
    assert_nothing_accepted(&e);
    assert_eq!(e.handshakes, 1);
    assert!(took < HANG, "{took:?}");
}

#[tokio::test]
async fn plain_http_is_not_tls() {
    let server = MisbehavingServer::plain_http();
    let (e, took) = scan(server.addr).await;
    assert_eq!(e.status, Status::NotTls, "{:?}", e.error);
    assert_nothing_accepted(&e);
    assert_eq!(e.handshakes, 1);
    assert!(took < HANG, "{took:?}");
}

#[tokio::test]
async fn silent_server_times_out_quickly_and_is_no_rejection() {
    let server = MisbehavingServer::silent();
    let (e, took) = scan(server.addr).await;
    assert_eq!(e.status, Status::Timeout, "{:?}", e.error);
    assert_nothing_accepted(&e);
    assert!(
        e.error.as_deref().is_some_and(|m| m.contains("no answer")),
        "{:?}",
        e.error
    );
    assert_eq!(e.error_kind, Some(ErrorKind::ReadTimeout));
    assert_eq!(e.verdict, Verdict::NotAssessed);
    // Two TLS 1.3 tries (one retry), then one TLS 1.2 try in case the silence was version
    // intolerance.
    assert!(e.handshakes <= 3, "{}", e.handshakes);
    assert!(took < HANG, "{took:?}");

    // Without retries: one hello per version tried.
    let (e, took) = scan_with(
        server.addr,
        ProbeConfig {
            retries: 0,
            ..short()
        },
    )
    .await;
    assert_eq!(e.status, Status::Timeout);
    assert_eq!(e.handshakes, 2, "one TLS 1.3 hello, one TLS 1.2 hello");
    assert!(took < HANG, "{took:?}");
}

#[tokio::test]
async fn closed_port_is_closed() {
    let addr = closed_port();
    let (e, took) = scan(addr).await;
    assert_eq!(e.status, Status::Closed, "{:?}", e.error);
    assert_nothing_accepted(&e);
    assert_eq!(e.handshakes, 0);
    assert!(took < HANG, "{took:?}");
}

/// How a fake TLS server answers a ClientHello.
#[derive(Clone, Copy)]
enum Fake {
    /// TLS 1.2 hellos get a ServerHello with a suite that was not offered (0x0A0A, a GREASE
    /// value); everything else gets a handshake_failure alert.
    UnofferedSuite,
    /// Hellos below TLS 1.2 get a TLS 1.2 ServerHello (with the first offered suite);
    /// everything else gets a handshake_failure alert.
    HigherVersion,
    /// Hellos with a supported_versions extension (TLS 1.3) are never answered; TLS 1.2 hellos
    /// get the first offered suite, others an alert.
    HangsOnTls13,
    /// Every hello gets this fatal alert.
    AlertAlways(u8),
}

/// A hand-written TLS server on loopback, one thread per connection; stops when dropped.
struct FakeTls {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeTls {
    fn start(fake: Fake) -> FakeTls {
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
                std::thread::spawn(move || serve(stream, fake));
            }
        });
        FakeTls {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FakeTls {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The parts of a ClientHello the fakes look at.
struct Hello {
    version: u16,
    suites: Vec<u16>,
    supported_versions: bool,
}

fn read_hello(stream: &mut TcpStream) -> Option<Hello> {
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).ok()?;
    if header[0] != 22 {
        return None; // SSLv2-format hello or junk: not for these fakes.
    }
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    // type(1) len(3) version(2) random(32) session_id
    let version = u16::from_be_bytes([*body.get(4)?, *body.get(5)?]);
    let mut at = 38;
    at += 1 + usize::from(*body.get(at)?);
    let suites_len = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    at += 2;
    let suites = body
        .get(at..at + suites_len)?
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    at += suites_len;
    at += 1 + usize::from(*body.get(at)?);
    let mut supported_versions = false;
    if let (Some(a), Some(b)) = (body.get(at), body.get(at + 1)) {
        let end = at + 2 + usize::from(u16::from_be_bytes([*a, *b]));
        at += 2;
        while at + 4 <= end.min(body.len()) {
            let typ = u16::from_be_bytes([body[at], body[at + 1]]);
            let l = usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
            supported_versions |= typ == 0x002b;
            at += 4 + l;
        }
    }
    Some(Hello {
        version,
        suites,
        supported_versions,
    })
}

fn server_hello(version: u16, suite: u16) -> Vec<u8> {
    let mut hs = Vec::new();
    hs.extend(version.to_be_bytes());
    hs.extend([0x42u8; 32]); // random
    hs.push(0); // session id
    hs.extend(suite.to_be_bytes());
    hs.push(0); // compression
    hs.extend(0u16.to_be_bytes()); // no extensions
    let mut msg = vec![2u8];
    msg.extend(&u32::try_from(hs.len()).unwrap().to_be_bytes()[1..]);
    msg.extend(hs);
    let mut rec = vec![22u8, 3, 3];
    rec.extend(u16::try_from(msg.len()).unwrap().to_be_bytes());
    rec.extend(msg);
    rec
}

const HANDSHAKE_FAILURE: [u8; 7] = [21, 3, 3, 0, 2, 2, 40];

fn serve(mut stream: TcpStream, fake: Fake) {
    let Some(hello) = read_hello(&mut stream) else {
        let alert = match fake {
            Fake::AlertAlways(code) => [21, 3, 3, 0, 2, 2, code],
            _ => HANDSHAKE_FAILURE,
        };
        let _ = stream.write_all(&alert);
        return;
    };
    let first = hello.suites.first().copied().unwrap_or(0x002F);
    let reply = match fake {
        Fake::UnofferedSuite if hello.version == 0x0303 && !hello.supported_versions => {
            server_hello(0x0303, 0x0A0A)
        }
        Fake::HigherVersion if hello.version < 0x0303 => server_hello(0x0303, first),
        Fake::HangsOnTls13 if hello.supported_versions => {
            // Hold the connection open, silent, until the client gives up.
            let mut sink = [0u8; 1024];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            return;
        }
        Fake::HangsOnTls13 if hello.version == 0x0303 && hello.suites.contains(&0xC02F) => {
            // A server that takes exactly one suite: ECDHE-RSA-AES128-GCM.
            server_hello(0x0303, 0xC02F)
        }
        Fake::AlertAlways(code) => vec![21, 3, 3, 0, 2, 2, code],
        _ => HANDSHAKE_FAILURE.to_vec(),
    };
    let _ = stream.write_all(&reply);
    // Let the client read before the close.
    let mut sink = [0u8; 64];
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.read(&mut sink);
}

#[tokio::test]
async fn unoffered_suite_is_a_protocol_violation() {
    let server = FakeTls::start(Fake::UnofferedSuite);
    let (e, took) = scan(server.addr).await;
    let error = e.error.clone().unwrap_or_default();
    assert!(error.contains("protocol violation"), "{error}");
    assert!(error.contains("0x0A0A"), "{error}");
    assert_eq!(
        e.status,
        Status::Error,
        "nothing valid was accepted: {error}"
    );
    assert!(e.incomplete);
    assert_nothing_accepted(&e);
    assert!(took < HANG, "{took:?}");
    // One hello per version (6), then, since no version took the full hello, the refused
    // TLS 1.1, 1.0 (3 windows + 1 without extensions each) and SSLv3 (3 windows) again; each
    // of those three refused by handshake_failure a hello that mixed credential suites with
    // ordinary ones, so each is rechecked without them (src/probe/plan.rs).
    assert_eq!(e.handshakes, 6 + 4 + 4 + 3 + 3, "{}", e.handshakes);
}

#[tokio::test]
async fn higher_version_than_offered_is_a_protocol_violation() {
    let server = FakeTls::start(Fake::HigherVersion);
    let (e, took) = scan(server.addr).await;
    let error = e.error.clone().unwrap_or_default();
    assert!(error.contains("protocol violation"), "{error}");
    assert!(error.contains("0x0303"), "{error}");
    assert_eq!(e.status, Status::Error, "{error}");
    assert!(e.incomplete);
    assert_nothing_accepted(&e);
    assert!(took < HANG, "{took:?}");
}

/// A version-intolerant server that hangs on TLS 1.3 hellos: the TLS 1.3 timeout must not hide
/// TLS 1.2, and must not be taken for "TLS 1.3 not accepted".
#[tokio::test]
async fn hanging_on_tls13_still_finds_tls12_and_is_incomplete() {
    let server = FakeTls::start(Fake::HangsOnTls13);
    let (e, took) = scan(server.addr).await;
    assert_eq!(e.status, Status::Tls, "{:?}", e.error);
    let tls12: Vec<u32> = e.protocols[&Protocol::Tls12]
        .suites
        .iter()
        .map(|s| s.code.0)
        .collect();
    assert_eq!(tls12, vec![0xC02F]);
    assert_eq!(e.protocols.len(), 1, "{:?}", e.protocols.keys());
    assert!(e.incomplete, "TLS 1.3 is unknown, not rejected");
    assert!(!e.refused.contains_key(&Protocol::Tls13), "{:?}", e.refused);
    let gap = e
        .gaps
        .iter()
        .find(|g| g.protocol == Some(Protocol::Tls13))
        .expect("a TLS 1.3 gap");
    assert_eq!(gap.kind, "read_timeout", "{gap:?}");
    // tls13_missing is not raised from a silence: it is a check that could not be made.
    assert!(!e.findings.iter().any(|f| f.id == "tls13_missing"));
    assert!(e
        .unchecked
        .iter()
        .any(|u| u.check == "tls13_missing" && u.protocol == Some(Protocol::Tls13)));
    assert_ne!(e.verdict, Verdict::Pass);
    assert!(took < HANG, "{took:?}");
}

/// A server that answers every hello with the same fatal alert proves nothing it accepts:
/// not assessed, with the alert, never a pass (and for unrecognized_name, what to do).
#[tokio::test]
async fn every_hello_refused_with_an_alert_is_not_assessed() {
    for (code, name) in [(40u8, "handshake_failure"), (112, "unrecognized_name")] {
        let server = FakeTls::start(Fake::AlertAlways(code));
        let (e, _) = scan(server.addr).await;
        assert_eq!(e.status, Status::Tls, "{name}: an alert is a TLS answer");
        assert_eq!(e.verdict, Verdict::NotAssessed, "{name}: {:?}", e.findings);
        assert!(e.protocols.is_empty());
        let reason = e.reasons.join(" ");
        assert!(reason.contains(name), "{name}: {reason}");
        if code == 112 {
            assert!(reason.contains("--sni"), "{reason}");
        }
        for v in Protocol::ALL {
            let evidence = e.refused.get(&v).map(String::as_str).unwrap_or_default();
            if v != Protocol::Ssl2 {
                assert!(evidence.contains(name), "{name} {v}: {evidence:?}");
            }
        }
    }
}

/// A relay that serves the first connection and closes every later one at once: the one
/// answered hello is not the whole story, so the endpoint is not assessed, never a pass with
/// one suite.
#[tokio::test]
async fn closing_after_the_first_connection_is_not_assessed() {
    let server = fipsprobe::demo::spawn(
        &fipsprobe::demo::kube_apiserver_fips(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let relay = CloseAfterFirst::start(server.addr);
    let (e, took) = scan_with(relay.addr, ProbeConfig::default()).await;
    assert_ne!(e.verdict, Verdict::Pass, "{e:#?}");
    assert!(e.incomplete, "{:?}", e.gaps);
    assert!(
        e.refused.is_empty(),
        "drops from a server that answers nothing else are not refusals: {:?}",
        e.refused
    );
    assert!(relay.connections() > 1);
    assert!(took < HANG, "{took:?}");
}

/// Forwards the first connection to `backend`; accepts and closes every later one at once.
struct CloseAfterFirst {
    addr: SocketAddr,
    count: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl CloseAfterFirst {
    fn start(backend: SocketAddr) -> CloseAfterFirst {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counter, flag) = (count.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(inbound) = stream else { continue };
                if counter.fetch_add(1, Ordering::SeqCst) > 0 {
                    drop(inbound);
                    continue;
                }
                std::thread::spawn(move || pipe(inbound, backend));
            }
        });
        CloseAfterFirst {
            addr,
            count,
            stop,
            thread: Some(thread),
        }
    }

    fn connections(&self) -> u32 {
        self.count.load(Ordering::SeqCst)
    }
}

impl Drop for CloseAfterFirst {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Copies both ways between `inbound` and a new connection to `backend`, for at most 10 s.
fn pipe(inbound: TcpStream, backend: SocketAddr) {
    let Ok(outbound) = TcpStream::connect(backend) else {
        return;
    };
    for s in [&inbound, &outbound] {
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    }
    let (Ok(mut a_read), Ok(mut b_write)) = (inbound.try_clone(), outbound.try_clone()) else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a_read, &mut b_write);
        let _ = b_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut b_read, mut a_write) = (outbound, inbound);
    let _ = std::io::copy(&mut b_read, &mut a_write);
    let _ = a_write.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

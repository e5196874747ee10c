//! The wire codec against real peers on loopback: hellos we build must be accepted by OpenSSL
//! (`openssl s_server`) and rustls, with valid key shares for every group; the flights they
//! answer with must parse. Captured flights live in `tests/data/*.bin` and are re-checked
//! offline (see `captures_*`), together with broken variants named for their defect.
//!
//! Live tests need the `openssl` binary (and Go for the Go peer); a missing one fails the test
//! (a loud skip with `FIPSPROBE_ALLOW_MISSING_SERVERS=1`), and a Go build that fails or a server
//! that never starts always fails. Every server here runs under `timeout -s KILL` in a process
//! group of its own, so it stops by itself, and is killed as that group when dropped.
//! `FIPSPROBE_WRITE_CAPTURES=1 cargo test --test wire` rewrites the captures.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use fipsprobe::protocol::Protocol;
use fipsprobe::wire::{
    AlertDescription, ClientHello, DecodeError, FlightReader, KxKind, KxParams, ProbeHello,
    ServerMessage,
};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

const ALL_SIGS: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0203,
];
const TLS13_SUITES: &[u16] = &[0x1301, 0x1302, 0x1303];

// ---------------------------------------------------------------------------------------------
// Harness: an `openssl s_server` on 127.0.0.1, killed by PID when the guard drops.

struct OpenSslServer {
    child: Child,
    /// Held open: s_server closes connections when its stdin reaches EOF.
    _stdin: ChildStdin,
    addr: SocketAddr,
}

impl Drop for OpenSslServer {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// How long a server started here lives at most.
const LIFETIME_SECS: &str = "600";

/// `timeout -s KILL LIFETIME PROGRAM` in a process group of its own.
fn bounded(program: &str) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("timeout");
    cmd.args(["-s", "KILL", LIFETIME_SECS, program])
        .process_group(0);
    cmd
}

/// Kills the process group `child` leads (only what we started) and reaps it.
fn kill_group(child: &mut Child) {
    let _ = Command::new("sh")
        .args(["-c", &format!("kill -9 -{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// A server binary that is not installed: the test fails, unless the run opted out of missing
/// servers with `FIPSPROBE_ALLOW_MISSING_SERVERS=1`, when it is a loud skip. Returns whether
/// the test should return (skip).
#[track_caller]
fn missing(what: &str) -> bool {
    if std::env::var("FIPSPROBE_ALLOW_MISSING_SERVERS").is_ok_and(|v| v == "1") {
        eprintln!("\n**********\n*** SKIPPED: {what} is not installed\n**********\n");
        return true;
    }
    panic!("{what} is not installed (run scripts/install-test-deps.sh)");
}

fn have_openssl() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A self-signed RSA-2048 certificate and key, made once per test run.
fn rsa_cert() -> &'static (PathBuf, PathBuf) {
    static CERT: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    let (_, cert, key) = CERT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "openssl req failed");
        (dir, cert, key)
    });
    // The tuple lives in a static; hand out the two paths.
    static PATHS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PATHS.get_or_init(|| (cert.clone(), key.clone()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `openssl s_server` with `args` and waits for its ACCEPT line.
fn s_server(args: &[&str]) -> OpenSslServer {
    let (cert, key) = rsa_cert();
    for _attempt in 0..3 {
        let port = free_port();
        let mut child = bounded("openssl")
            .args(["s_server", "-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains("ACCEPT") {
                    let _ = tx.send(());
                }
            }
        });
        let server = OpenSslServer {
            child,
            _stdin: stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        if rx.recv_timeout(IO_TIMEOUT).is_ok() {
            return server;
        }
        // Port taken between free_port() and bind, or a slow start: try another port.
    }
    panic!("openssl s_server did not start with {args:?}");
}

/// What a server said in answer to one hello.
#[derive(Debug)]
struct Flight {
    raw: Vec<u8>,
    messages: Vec<ServerMessage>,
    error: Option<DecodeError>,
}

impl Flight {
    fn server_hello(&self) -> Option<&fipsprobe::wire::ServerHello> {
        self.messages.iter().find_map(|m| match m {
            ServerMessage::ServerHello(sh) => Some(sh),
            _ => None,
        })
    }

    fn alerts(&self) -> Vec<AlertDescription> {
        self.messages
            .iter()
            .filter_map(|m| match m {
                ServerMessage::Alert(a) => Some(a.description),
                _ => None,
            })
            .collect()
    }
}

/// Sends `hello` and reads until the flight is complete (ServerHelloDone, HRR, a fatal alert,
/// an encrypted record after a TLS 1.3 ServerHello), EOF, or the timeout.
fn exchange(addr: SocketAddr, hello: &[u8]) -> Flight {
    let mut sock = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    // Generous: a loaded machine may take a while to sign; the flight's end, not this timeout,
    // ends the exchange.
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    sock.write_all(hello).unwrap();
    let mut reader = FlightReader::new();
    let mut flight = Flight {
        raw: Vec::new(),
        messages: Vec::new(),
        error: None,
    };
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut buf = [0u8; 8192];
    while Instant::now() < deadline {
        let n = match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => break,
        };
        flight.raw.extend_from_slice(&buf[..n]);
        if let Err(e) = reader.feed(&buf[..n]) {
            flight.error = Some(e);
            break;
        }
        let mut done = false;
        loop {
            match reader.next_message() {
                Ok(Some(m)) => {
                    done |= match &m {
                        ServerMessage::ServerHelloDone
                        | ServerMessage::HelloRetryRequest(_)
                        | ServerMessage::EncryptedRecord
                        | ServerMessage::Ssl2ServerHello(_) => true,
                        ServerMessage::Alert(a) => a.is_fatal(),
                        _ => false,
                    };
                    flight.messages.push(m);
                }
                Ok(None) => break,
                Err(e) => {
                    flight.error = Some(e);
                    done = true;
                    break;
                }
            }
        }
        if done {
            break;
        }
    }
    flight
}

fn capture(name: &str, flight: &Flight) {
    if std::env::var_os("FIPSPROBE_WRITE_CAPTURES").is_some() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        std::fs::write(path, &flight.raw).unwrap();
    }
}

fn hello(version: Protocol, suites: &[u16], groups: &[u16], key_shares: &[u16]) -> Vec<u8> {
    ProbeHello {
        version,
        suites,
        sni: Some("localhost"),
        groups,
        key_shares,
        sig_schemes: ALL_SIGS,
        ems: true,
        renegotiation_scsv: false,
        fallback_scsv: false,
        random: [0x5a; 32],
    }
    .to_client_hello()
    .encode_records(0x0301)
}

macro_rules! require_openssl {
    () => {
        if !have_openssl() && missing("openssl (Debian package openssl)") {
            return;
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Live: OpenSSL accepts our hellos.

#[test]
fn openssl_accepts_tls13_hello_with_p256_share() {
    require_openssl!();
    let server = s_server(&["-tls1_3"]);
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls13, TLS13_SUITES, &[0x0017], &[0x0017]),
    );
    let sh = flight
        .server_hello()
        .unwrap_or_else(|| panic!("no ServerHello: {flight:?}"));
    assert_eq!(sh.version(), 0x0304);
    assert_eq!(sh.key_share_group(), Some(0x0017));
    assert!(TLS13_SUITES.contains(&sh.cipher_suite));
    assert!(flight.messages.contains(&ServerMessage::EncryptedRecord));
    capture("tls13-server_hello-p256.bin", &flight);
}

/// The server only answers ServerHello after computing the shared secret from our share, so a
/// ServerHello followed by encrypted records proves the public value is valid.
#[test]
fn every_key_share_we_send_is_valid_for_openssl() {
    require_openssl!();
    for (group, name) in [
        (0x001d, "X25519"),
        (0x001e, "X448"),
        (0x0017, "P-256"),
        (0x0018, "P-384"),
        (0x0019, "P-521"),
        (0x0100, "ffdhe2048"),
        (0x0101, "ffdhe3072"),
        (0x0102, "ffdhe4096"),
    ] {
        let server = s_server(&["-tls1_3", "-groups", name]);
        let flight = exchange(
            server.addr,
            &hello(Protocol::Tls13, TLS13_SUITES, &[group], &[group]),
        );
        let sh = flight
            .server_hello()
            .unwrap_or_else(|| panic!("{name}: no ServerHello: {flight:?}"));
        assert_eq!(sh.key_share_group(), Some(group), "{name}");
        assert!(flight.alerts().is_empty(), "{name}: {:?}", flight.alerts());
        assert!(
            flight.messages.contains(&ServerMessage::EncryptedRecord),
            "{name}"
        );
    }
}

#[test]
fn openssl_answers_tls12_ecdhe_flight() {
    require_openssl!();
    let server = s_server(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls12, &[0xc02f, 0x009c], &[0x0018, 0x0017], &[]),
    );
    assert_eq!(flight.error, None);
    let sh = flight.server_hello().unwrap();
    assert_eq!((sh.version(), sh.cipher_suite), (0x0303, 0xc02f));
    assert!(sh.secure_renegotiation());
    assert!(sh.extended_master_secret());
    let kinds: Vec<_> = flight.messages.iter().map(std::mem::discriminant).collect();
    assert_eq!(kinds.len(), 4, "{:?}", flight.messages);
    let ServerMessage::ServerKeyExchange(ske) = &flight.messages[2] else {
        panic!("{:?}", flight.messages)
    };
    assert_eq!(
        ske.params(KxKind::Ecdhe).unwrap(),
        KxParams::Ecdhe {
            named_curve: 0x0018
        }
    );
    assert_eq!(flight.messages[3], ServerMessage::ServerHelloDone);
    capture("tls12-ecdhe-flight.bin", &flight);
}

#[test]
fn openssl_answers_tls10_hello_with_tls10() {
    require_openssl!();
    let server = s_server(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls10, &[0x0039, 0x002f], &[0x0017], &[]),
    );
    let sh = flight
        .server_hello()
        .unwrap_or_else(|| panic!("{flight:?}"));
    assert_eq!((sh.version(), sh.cipher_suite), (0x0301, 0x0039));
    let ske = flight
        .messages
        .iter()
        .find_map(|m| match m {
            ServerMessage::ServerKeyExchange(ske) => Some(ske),
            _ => None,
        })
        .unwrap();
    let KxParams::Dhe { prime_bits } = ske.params(KxKind::Dhe).unwrap() else {
        panic!()
    };
    assert!(
        [1024, 2048, 3072, 4096].contains(&prime_bits),
        "{prime_bits}"
    );
    capture("tls10-dhe-flight.bin", &flight);
}

#[test]
fn openssl_asks_for_a_client_certificate() {
    require_openssl!();
    let server = s_server(&["-tls1_2", "-Verify", "1"]);
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls12, &[0xc02f], &[0x0017], &[]),
    );
    let req = flight
        .messages
        .iter()
        .find_map(|m| match m {
            ServerMessage::CertificateRequest(r) => Some(r),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{flight:?}"));
    assert!(req.sig_schemes.as_ref().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        flight.messages.last(),
        Some(&ServerMessage::ServerHelloDone)
    );
    capture("tls12-certificate_request-flight.bin", &flight);
}

#[test]
fn openssl_retries_for_p384_when_we_only_share_x25519() {
    require_openssl!();
    let server = s_server(&["-tls1_3", "-groups", "P-384"]);
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls13, TLS13_SUITES, &[0x001d, 0x0018], &[0x001d]),
    );
    let ServerMessage::HelloRetryRequest(hrr) = &flight.messages[0] else {
        panic!("{flight:?}")
    };
    assert_eq!(hrr.selected_group, Some(0x0018));
    assert_eq!(hrr.version, 0x0304);
    assert!(flight.server_hello().is_none(), "hrr_is_not_a_server_hello");
    capture("tls13-hello_retry_request-p384.bin", &flight);
}

#[test]
fn openssl_alerts_when_no_suite_is_shared() {
    require_openssl!();
    let server = s_server(&["-tls1_2", "-cipher", "AES128-SHA"]);
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls12, &[0xc030], &[0x0017], &[]),
    );
    assert_eq!(flight.alerts(), vec![AlertDescription::HANDSHAKE_FAILURE]);
    capture("alert-handshake_failure.bin", &flight);
}

#[test]
fn openssl_refuses_tls10_when_tls12_only() {
    require_openssl!();
    let server = s_server(&["-tls1_2"]);
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls10, &[0x002f, 0xc013], &[0x0017], &[]),
    );
    assert_eq!(flight.alerts(), vec![AlertDescription::PROTOCOL_VERSION]);
    capture("alert-protocol_version.bin", &flight);
}

#[test]
fn huge_hello_split_across_records_is_accepted() {
    require_openssl!();
    let server = s_server(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    let mut ch = ClientHello::read_handshake(&{
        let p = ProbeHello {
            version: Protocol::Tls12,
            suites: &[0xc02f],
            sni: None,
            groups: &[0x0017],
            key_shares: &[],
            sig_schemes: ALL_SIGS,
            ems: false,
            renegotiation_scsv: true,
            fallback_scsv: false,
            random: [1; 32],
        };
        p.to_client_hello().encode_handshake()
    })
    .unwrap();
    // 17 000 unassigned suite codes in front: the hello needs two records.
    let mut suites: Vec<u16> = (0x6000..0x6000 + 17_000).collect();
    suites.extend(&ch.cipher_suites);
    ch.cipher_suites = suites;
    let bytes = ch.encode_records(0x0301);
    assert!(bytes.len() > (1 << 14) + 10);
    let flight = exchange(server.addr, &bytes);
    assert_eq!(
        flight.server_hello().map(|sh| sh.cipher_suite),
        Some(0xc02f),
        "{flight:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Live: rustls (aws-lc-rs) accepts our ML-KEM hybrid shares.

fn rustls_server(group: &'static dyn rustls::crypto::SupportedKxGroup) -> SocketAddr {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap();
    let provider = rustls::crypto::CryptoProvider {
        kx_groups: vec![group],
        ..rustls::crypto::aws_lc_rs::default_provider()
    };
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut sock, _)) = listener.accept() else {
            return;
        };
        sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut conn = rustls::ServerConnection::new(config).unwrap();
        let deadline = Instant::now() + IO_TIMEOUT;
        while Instant::now() < deadline && !conn.wants_write() {
            match conn.read_tls(&mut sock) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if conn.process_new_packets().is_err() {
                let _ = conn.write_tls(&mut sock); // the alert
                return;
            }
        }
        while conn.wants_write() {
            if conn.write_tls(&mut sock).is_err() {
                break;
            }
        }
    });
    addr
}

#[test]
fn rustls_accepts_mlkem_hybrid_and_pure_shares() {
    use rustls::crypto::aws_lc_rs::kx_group;
    for (group, code) in [
        (kx_group::X25519MLKEM768, 0x11ec),
        (kx_group::SECP256R1MLKEM768, 0x11eb),
        (kx_group::MLKEM768, 0x0201),
        (kx_group::MLKEM1024, 0x0202),
    ] {
        let addr = rustls_server(group);
        let flight = exchange(
            addr,
            &hello(Protocol::Tls13, TLS13_SUITES, &[code], &[code]),
        );
        let sh = flight
            .server_hello()
            .unwrap_or_else(|| panic!("{code:#06x}: {flight:?}"));
        assert_eq!(sh.key_share_group(), Some(code));
        assert!(flight.alerts().is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Live, in-process: peers that do not speak TLS.

#[test]
fn http_server_is_not_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut sock, _)) = listener.accept() {
            let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let flight = exchange(addr, &hello(Protocol::Tls12, &[0xc02f], &[0x0017], &[]));
    assert_eq!(flight.error, Some(DecodeError::NotTls));
}

// ---------------------------------------------------------------------------------------------
// Offline: captured flights and broken variants.

fn parse_all(bytes: &[u8]) -> Result<Vec<ServerMessage>, DecodeError> {
    let mut reader = FlightReader::new();
    reader.feed(bytes)?;
    let mut out = Vec::new();
    while let Some(m) = reader.next_message()? {
        out.push(m);
    }
    Ok(out)
}

/// Parses a capture fed one byte at a time and checks it gives the same as a single feed.
fn parse_bytewise(bytes: &[u8]) -> Result<Vec<ServerMessage>, DecodeError> {
    let mut reader = FlightReader::new();
    let mut out = Vec::new();
    for b in bytes {
        reader.feed(std::slice::from_ref(b))?;
        while let Some(m) = reader.next_message()? {
            out.push(m);
        }
    }
    Ok(out)
}

const TLS12_FLIGHT: &[u8] = include_bytes!("data/tls12-ecdhe-flight.bin");
const TLS10_FLIGHT: &[u8] = include_bytes!("data/tls10-dhe-flight.bin");
const TLS12_CERT_REQUEST: &[u8] = include_bytes!("data/tls12-certificate_request-flight.bin");
const TLS13_HELLO: &[u8] = include_bytes!("data/tls13-server_hello-p256.bin");
const TLS13_HRR: &[u8] = include_bytes!("data/tls13-hello_retry_request-p384.bin");
const ALERT_HANDSHAKE_FAILURE: &[u8] = include_bytes!("data/alert-handshake_failure.bin");
const ALERT_PROTOCOL_VERSION: &[u8] = include_bytes!("data/alert-protocol_version.bin");

#[test]
fn captures_parse_the_same_whatever_the_split() {
    for capture in [
        TLS12_FLIGHT,
        TLS10_FLIGHT,
        TLS12_CERT_REQUEST,
        TLS13_HELLO,
        TLS13_HRR,
        ALERT_HANDSHAKE_FAILURE,
        ALERT_PROTOCOL_VERSION,
    ] {
        let whole = parse_all(capture).unwrap();
        assert!(!whole.is_empty());
        assert_eq!(parse_bytewise(capture).unwrap(), whole);
    }
}

#[test]
fn capture_tls12_flight_has_the_full_chain_and_curve() {
    let m = parse_all(TLS12_FLIGHT).unwrap();
    let ServerMessage::ServerHello(sh) = &m[0] else {
        panic!()
    };
    assert_eq!(
        (sh.legacy_version, sh.cipher_suite, sh.compression),
        (0x0303, 0xc02f, 0)
    );
    let ServerMessage::Certificate(cert) = &m[1] else {
        panic!()
    };
    assert_eq!(cert.chain.len(), 1);
    assert_eq!(cert.chain[0][0], 0x30, "DER SEQUENCE");
    let ServerMessage::ServerKeyExchange(ske) = &m[2] else {
        panic!()
    };
    assert_eq!(
        ske.params(KxKind::Ecdhe).unwrap(),
        KxParams::Ecdhe {
            named_curve: 0x0018
        }
    );
    assert_eq!(m[3], ServerMessage::ServerHelloDone);
}

#[test]
fn capture_tls13_hello_then_encrypted_records() {
    let m = parse_all(TLS13_HELLO).unwrap();
    let ServerMessage::ServerHello(sh) = &m[0] else {
        panic!()
    };
    assert_eq!((sh.legacy_version, sh.version()), (0x0303, 0x0304));
    assert_eq!(
        sh.session_id,
        vec![0x5a; 32],
        "echoes our middlebox-compat session id"
    );
    assert!(m[1..].iter().all(|x| matches!(
        x,
        ServerMessage::EncryptedRecord | ServerMessage::ChangeCipherSpec
    )));
}

#[test]
fn capture_hrr_names_the_group() {
    let m = parse_all(TLS13_HRR).unwrap();
    let ServerMessage::HelloRetryRequest(hrr) = &m[0] else {
        panic!()
    };
    assert_eq!(hrr.selected_group, Some(0x0018));
}

#[test]
fn capture_alerts() {
    let m = parse_all(ALERT_HANDSHAKE_FAILURE).unwrap();
    let [ServerMessage::Alert(a)] = m.as_slice() else {
        panic!("{m:?}")
    };
    assert!(a.is_fatal());
    assert_eq!(a.description.name(), "handshake_failure");
    let m = parse_all(ALERT_PROTOCOL_VERSION).unwrap();
    assert!(
        matches!(m.as_slice(), [ServerMessage::Alert(a)] if a.description == AlertDescription::PROTOCOL_VERSION)
    );
}

#[test]
fn capture_tls10_dhe_prime_size() {
    let m = parse_all(TLS10_FLIGHT).unwrap();
    let ServerMessage::ServerHello(sh) = &m[0] else {
        panic!()
    };
    assert_eq!(sh.version(), 0x0301);
    let ske = m
        .iter()
        .find_map(|x| match x {
            ServerMessage::ServerKeyExchange(s) => Some(s),
            _ => None,
        })
        .unwrap();
    assert!(
        matches!(ske.params(KxKind::Dhe), Ok(KxParams::Dhe { prime_bits }) if prime_bits >= 1024)
    );
}

#[test]
fn capture_certificate_request() {
    let m = parse_all(TLS12_CERT_REQUEST).unwrap();
    assert!(m
        .iter()
        .any(|x| matches!(x, ServerMessage::CertificateRequest(_))));
}

#[test]
fn broken_captures_fail_with_the_right_error() {
    for (name, want) in [
        ("server_hello-truncated-ext.bin", "invalid"),
        ("server_hello-session_id-too-long.bin", "too long"),
        ("handshake-length-over-cap.bin", "too long"),
        ("record-length-over-cap.bin", "too long"),
        ("alert-odd-length.bin", "invalid"),
        ("http-banner.bin", "not tls"),
    ] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        let bytes = std::fs::read(&path).unwrap();
        let got = parse_all(&bytes).expect_err(name);
        let kind = match got {
            DecodeError::NotTls => "not tls",
            DecodeError::TooLong { .. } | DecodeError::Cap { .. } => "too long",
            DecodeError::Truncated { .. }
            | DecodeError::Invalid { .. }
            | DecodeError::Trailing { .. } => "invalid",
            DecodeError::Ssl2Error { .. } => "ssl2",
        };
        assert_eq!(kind, want, "{name}: {got}");
    }
}

#[test]
fn truncated_flight_leaves_bytes_buffered() {
    let cut = &TLS12_FLIGHT[..TLS12_FLIGHT.len() - 3];
    let mut reader = FlightReader::new();
    reader.feed(cut).unwrap();
    let mut n = 0;
    while reader.next_message().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3, "ServerHelloDone is incomplete");
    assert!(reader.buffered() > 0);
}

// ---------------------------------------------------------------------------------------------
// RFC 8448 §3 (simple 1-RTT handshake) trace bytes.

#[test]
fn rfc8448_client_hello_reads_typed_and_re_encodes_exactly() {
    use fipsprobe::wire::{ClientExtension, KeyShareEntry};
    let bytes = include_bytes!("data/rfc8448-client_hello.bin");
    let ch = ClientHello::read_handshake(bytes).unwrap();
    assert_eq!(ch.encode_handshake(), bytes.to_vec());
    assert_eq!(ch.cipher_suites, vec![0x1301, 0x1303, 0x1302]);
    assert_eq!(
        ch.extensions[0],
        ClientExtension::ServerName("server".into())
    );
    assert_eq!(ch.extensions[1], ClientExtension::RenegotiationInfo(vec![]));
    assert_eq!(
        ch.extensions[2],
        ClientExtension::SupportedGroups(vec![
            0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104
        ])
    );
    assert_eq!(ch.extensions[3], ClientExtension::SessionTicket(vec![]));
    let ClientExtension::KeyShare(shares) = &ch.extensions[4] else {
        panic!("{:?}", ch.extensions[4])
    };
    assert!(
        matches!(shares.as_slice(), [KeyShareEntry { group: 0x001d, key_exchange }] if key_exchange.len() == 32)
    );
    assert_eq!(
        ch.extensions[5],
        ClientExtension::SupportedVersions(vec![0x0304])
    );
    // psk_key_exchange_modes (45) and record_size_limit (28) are kept as unknown.
    assert!(ch.extensions.contains(&ClientExtension::Unknown {
        typ: 45,
        body: vec![1, 1]
    }));
    assert!(ch.extensions.contains(&ClientExtension::Unknown {
        typ: 28,
        body: vec![0x40, 0x01]
    }));
}

#[test]
fn rfc8448_server_hello_record() {
    let m = parse_all(include_bytes!("data/rfc8448-server_hello-record.bin")).unwrap();
    let [ServerMessage::ServerHello(sh)] = m.as_slice() else {
        panic!("{m:?}")
    };
    assert_eq!(
        (sh.version(), sh.cipher_suite, sh.key_share_group()),
        (0x0304, 0x1301, Some(0x001d))
    );
    assert!(sh.session_id.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Live: the optional extensions and padding are encoded well enough for OpenSSL to act on them.

#[test]
fn openssl_acts_on_session_ticket_encrypt_then_mac_and_status_request() {
    use fipsprobe::wire::ClientExtension;
    require_openssl!();
    let server = s_server(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"]);
    let mut ch = ProbeHello {
        version: Protocol::Tls12,
        suites: &[0xc027],
        sni: Some("localhost"),
        groups: &[0x0017],
        key_shares: &[],
        sig_schemes: ALL_SIGS,
        ems: true,
        renegotiation_scsv: false,
        fallback_scsv: false,
        random: [9; 32],
    }
    .to_client_hello();
    ch.extensions.push(ClientExtension::SessionTicket(vec![]));
    ch.extensions.push(ClientExtension::EncryptThenMac);
    ch.extensions.push(ClientExtension::StatusRequest);
    let flight = exchange(server.addr, &ch.encode_records(0x0301));
    let sh = flight
        .server_hello()
        .unwrap_or_else(|| panic!("{flight:?}"));
    assert_eq!(sh.cipher_suite, 0xc027);
    assert!(
        sh.has_extension(22),
        "encrypt_then_mac agreed for a CBC suite"
    );
    assert!(sh.has_extension(35), "session_ticket agreed");
    assert!(sh.has_extension(23), "extended_master_secret agreed");
}

#[test]
fn openssl_accepts_a_padded_hello() {
    use fipsprobe::wire::ClientExtension;
    require_openssl!();
    let server = s_server(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    // 120 suites puts the unpadded hello inside the 256..=511 range.
    let mut suites: Vec<u16> = (0x6000..0x6000 + 120).collect();
    suites.push(0xc02f);
    let ch = ProbeHello {
        version: Protocol::Tls12,
        suites: &suites,
        sni: None,
        groups: &[0x0017],
        key_shares: &[],
        sig_schemes: ALL_SIGS,
        ems: false,
        renegotiation_scsv: false,
        fallback_scsv: false,
        random: [9; 32],
    }
    .to_client_hello();
    assert!((256..512).contains(&ch.encode_handshake().len()));
    let padded = ch.padded();
    assert!(matches!(
        padded.extensions.last(),
        Some(ClientExtension::Padding(_))
    ));
    assert_eq!(padded.encode_handshake().len(), 512);
    let flight = exchange(server.addr, &ch.encode_records(0x0301));
    assert_eq!(
        flight.server_hello().map(|sh| sh.cipher_suite),
        Some(0xc02f),
        "{flight:?}"
    );
}

#[test]
fn openssl_without_sslv3_alerts_on_our_sslv3_hello() {
    require_openssl!();
    let server = s_server(&[]);
    let bytes = ProbeHello {
        version: Protocol::Ssl3,
        suites: &[0x002f, 0x000a],
        sni: Some("localhost"),
        groups: &[],
        key_shares: &[],
        sig_schemes: &[],
        ems: false,
        renegotiation_scsv: true,
        fallback_scsv: false,
        random: [9; 32],
    }
    .to_client_hello()
    .encode_records(0x0300);
    let flight = exchange(server.addr, &bytes);
    assert_eq!(flight.error, None);
    assert!(flight.server_hello().is_none());
    assert_eq!(flight.alerts().len(), 1, "{flight:?}");
}

// ---------------------------------------------------------------------------------------------
// Live: Go's crypto/tls (what kube-apiserver and etcd run) accepts our hellos.

struct GoServer {
    child: Child,
    addr: SocketAddr,
}

impl Drop for GoServer {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

fn have_go() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The test server binary, built once per run from `tests/data/go/tls_server.go`. A failed
/// build fails the test with Go's output: it is never a skip.
fn go_server_binary() -> &'static PathBuf {
    static BIN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, bin) = BIN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("tls_server");
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/go/tls_server.go");
        let out = Command::new("go")
            .arg("build")
            .arg("-o")
            .arg(&bin)
            .arg(&src)
            .env("GO111MODULE", "off")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "go build tests/data/go/tls_server.go failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (dir, bin)
    });
    bin
}

/// Starts the Go peer; `None` only when Go is not installed and the run allows that.
fn go_server(min_version: u16, curve: u16, suites: &[u16]) -> Option<GoServer> {
    if !have_openssl() && missing("openssl (Debian package openssl, for the certificate)") {
        return None;
    }
    if !have_go() && missing("go (Debian package golang-go)") {
        return None;
    }
    let bin = go_server_binary();
    let (cert, key) = rsa_cert();
    let suites: Vec<String> = suites.iter().map(|s| format!("{s:x}")).collect();
    let mut child = bounded(bin.to_str().unwrap())
        .arg(cert)
        .arg(key)
        .arg(format!("{min_version:x}"))
        .arg(format!("{curve:x}"))
        .arg(suites.join(","))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The server's own banner (its address), not a TCP connect that could reach another
    // test's server: this is the process we started.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(addr) = line
        .trim()
        .strip_prefix("LISTEN ")
        .and_then(|a| a.parse().ok())
    else {
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        kill_group(&mut child);
        panic!("the Go peer did not start: {line:?}\n{err}");
    };
    Some(GoServer { child, addr })
}

#[test]
fn go_accepts_our_key_share_for_every_curve() {
    for group in [0x001d, 0x0017, 0x0018, 0x0019] {
        let Some(server) = go_server(0x0304, group, &[]) else {
            return;
        };
        let flight = exchange(
            server.addr,
            &hello(Protocol::Tls13, TLS13_SUITES, &[group], &[group]),
        );
        let sh = flight
            .server_hello()
            .unwrap_or_else(|| panic!("{group:#06x}: {flight:?}"));
        assert_eq!((sh.version(), sh.key_share_group()), (0x0304, Some(group)));
        assert!(
            flight.alerts().is_empty(),
            "{group:#06x}: {:?}",
            flight.alerts()
        );
    }
}

#[test]
fn go_answers_tls10_hello_with_3des() {
    let Some(server) = go_server(0x0301, 0, &[0x000a, 0xc012]) else {
        return;
    };
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls10, &[0x000a], &[0x0017], &[]),
    );
    let sh = flight
        .server_hello()
        .unwrap_or_else(|| panic!("{flight:?}"));
    assert_eq!((sh.version(), sh.cipher_suite), (0x0301, 0x000a));
    assert_eq!(
        flight.messages.last(),
        Some(&ServerMessage::ServerHelloDone)
    );
    // ECDHE with 3DES, to see Go's ServerKeyExchange.
    let flight = exchange(
        server.addr,
        &hello(Protocol::Tls12, &[0xc012], &[0x0017], &[]),
    );
    let ske = flight.messages.iter().find_map(|m| match m {
        ServerMessage::ServerKeyExchange(s) => Some(s),
        _ => None,
    });
    assert_eq!(
        ske.map(|s| s.params(KxKind::Ecdhe)),
        Some(Ok(KxParams::Ecdhe {
            named_curve: 0x0017
        })),
        "{flight:?}"
    );
}

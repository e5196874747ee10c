//! Reference clients that prove a server negotiates what it should: `openssl s_client` for the
//! external servers and a tokio-rustls client for the in-process ones.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use fipsprobe::protocol::Protocol;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::aws_lc_rs::{self, ALL_CIPHER_SUITES, ALL_KX_GROUPS};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::process::{require_binary, ServerError};

/// What one `openssl s_client -brief` run saw.
#[derive(Clone, Debug, Default)]
pub struct SClient {
    /// The handshake completed (`CONNECTION ESTABLISHED`).
    pub established: bool,
    /// `Protocol version:` (`TLSv1.2`).
    pub protocol: Option<String>,
    /// `Ciphersuite:` in OpenSSL naming (`ECDHE-RSA-AES128-GCM-SHA256`, `TLS_AES_128_GCM_SHA256`).
    pub cipher: Option<String>,
    /// `Server Temp Key:` (`X25519, 253 bits`, `ECDH, secp384r1, 384 bits`, `DH, 1024 bits`).
    pub temp_key: Option<String>,
    /// s_client's exit status was 0.
    pub exit_ok: bool,
    /// Everything it printed, for assertion messages.
    pub output: String,
}

/// Runs `timeout 10 openssl s_client -brief -ign_eof -connect ADDR ARGS`, sends
/// `GET / HTTP/1.0` and reads until the server closes, so an alert the server sends after the
/// client's side of the handshake (TLS 1.3 `certificate_required`) is seen and fails the run.
pub fn s_client(addr: SocketAddr, args: &[&str]) -> Result<SClient, ServerError> {
    let openssl = require_binary("openssl", "openssl")?;
    let timeout = require_binary("timeout", "coreutils")?;
    let mut child = Command::new(timeout)
        .arg("10")
        .arg(openssl)
        .args([
            "s_client",
            "-brief",
            "-ign_eof",
            "-connect",
            &addr.to_string(),
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| super::process::failed("running openssl s_client", e))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A refused handshake may close the pipe first; that is an outcome, not an error.
        let _ = stdin.write_all(b"GET / HTTP/1.0\r\n\r\n");
    }
    let output = child
        .wait_with_output()
        .map_err(|e| super::process::failed("waiting for openssl s_client", e))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_string())
    };
    Ok(SClient {
        established: text.contains("CONNECTION ESTABLISHED"),
        protocol: field("Protocol version:"),
        cipher: field("Ciphersuite:"),
        temp_key: field("Server Temp Key:"),
        exit_ok: output.status.success(),
        output: text,
    })
}

impl SClient {
    /// Asserts a completed handshake with this protocol and cipher (OpenSSL names).
    pub fn assert_negotiated(&self, protocol: &str, cipher: &str) {
        assert!(
            self.established && self.exit_ok,
            "expected {protocol} {cipher}, handshake failed:\n{}",
            self.output
        );
        assert_eq!(self.protocol.as_deref(), Some(protocol), "{}", self.output);
        assert_eq!(self.cipher.as_deref(), Some(cipher), "{}", self.output);
    }

    /// Asserts the handshake did not complete.
    pub fn assert_refused(&self) {
        assert!(
            !self.established,
            "expected no handshake, got:\n{}",
            self.output
        );
    }
}

/// What the rustls client negotiated, and what the server answered to `GET /`.
#[derive(Clone, Debug)]
pub struct RustlsOutcome {
    /// The negotiated version.
    pub protocol: Protocol,
    /// The negotiated suite's IANA code.
    pub suite: u16,
    /// The negotiated key-exchange group's IANA code, when rustls reports one.
    pub group: Option<u16>,
    /// The server's certificate chain, DER.
    pub chain: Vec<Vec<u8>>,
    /// The server's response body (the demo servers name the negotiated version and suite).
    pub response: String,
}

/// Handshakes with a client that offers exactly `suites`, `versions` and `groups`
/// (IANA codes, in this order) and trusts any certificate; then sends `GET /` and reads the answer.
pub async fn rustls_connect(
    addr: SocketAddr,
    suites: &[u16],
    versions: &[Protocol],
    groups: &[u16],
) -> Result<RustlsOutcome, String> {
    let provider = CryptoProvider {
        cipher_suites: suites
            .iter()
            .map(|c| {
                ALL_CIPHER_SUITES
                    .iter()
                    .find(|s| u16::from(s.suite()) == *c)
                    .copied()
                    .ok_or(format!("rustls has no suite 0x{c:04X}"))
            })
            .collect::<Result<_, _>>()?,
        kx_groups: groups
            .iter()
            .map(|c| {
                ALL_KX_GROUPS
                    .iter()
                    .find(|g| u16::from(g.name()) == *c)
                    .copied()
                    .ok_or(format!("rustls has no group 0x{c:04X}"))
            })
            .collect::<Result<_, _>>()?,
        ..aws_lc_rs::default_provider()
    };
    let versions: Vec<_> = versions
        .iter()
        .map(|v| match v {
            Protocol::Tls13 => &rustls::version::TLS13,
            _ => &rustls::version::TLS12,
        })
        .collect();
    let provider = Arc::new(provider);
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let work = async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
        let mut tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tls.write_all(b"GET / HTTP/1.0\r\n\r\n")
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut response = Vec::new();
        // A server that rejects us after the handshake (TLS 1.3 client auth) fails here.
        tls.read_to_end(&mut response)
            .await
            .map_err(|e| format!("read: {e}"))?;
        let (_, conn) = tls.get_ref();
        let protocol = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => Protocol::Tls13,
            _ => Protocol::Tls12,
        };
        Ok(RustlsOutcome {
            protocol,
            suite: conn
                .negotiated_cipher_suite()
                .map(|s| u16::from(s.suite()))
                .unwrap_or(0),
            group: conn
                .negotiated_key_exchange_group()
                .map(|g| u16::from(g.name())),
            chain: conn
                .peer_certificates()
                .map(|c| c.iter().map(|d| d.to_vec()).collect())
                .unwrap_or_default(),
            response: String::from_utf8_lossy(&response).into_owned(),
        })
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .map_err(|_| "timed out".to_string())?
}

/// Trusts every certificate (the servers are self-signed); signatures are still checked so the
/// handshake is real.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Session facts `openssl s_client` prints without `-brief`.
#[derive(Clone, Debug, Default)]
pub struct SessionFacts {
    /// `Protocol  :` from the session block (`TLSv1.2`).
    pub protocol: Option<String>,
    /// `Extended master secret: yes|no` (TLS <= 1.2 only).
    pub extended_master_secret: Option<bool>,
    /// `Secure Renegotiation IS [NOT] supported`.
    pub secure_renegotiation: Option<bool>,
    /// The whole output.
    pub output: String,
}

/// Runs `timeout 10 openssl s_client -connect ADDR ARGS` (stdin closed) and reads the session
/// block: EMS and secure renegotiation, which `-brief` does not print.
pub fn s_client_session(addr: SocketAddr, args: &[&str]) -> Result<SessionFacts, ServerError> {
    let openssl = require_binary("openssl", "openssl")?;
    let timeout = require_binary("timeout", "coreutils")?;
    let output = Command::new(timeout)
        .arg("10")
        .arg(openssl)
        .args(["s_client", "-connect", &addr.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| super::process::failed("running openssl s_client", e))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(|v| v.trim().to_string())
    };
    Ok(SessionFacts {
        protocol: field("Protocol  :"),
        extended_master_secret: field("Extended master secret:").map(|v| v == "yes"),
        secure_renegotiation: if text.contains("Secure Renegotiation IS NOT supported") {
            Some(false)
        } else if text.contains("Secure Renegotiation IS supported") {
            Some(true)
        } else {
            None
        },
        output: text,
    })
}

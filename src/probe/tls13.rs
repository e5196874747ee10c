//! TLS 1.3 encrypts the server's certificate, so reading it takes a full handshake: rustls
//! (on fipsprobe's own provider) with a verifier that records the chain and trusts nothing,
//! and a client-certificate resolver that only notes whether one was asked for.
//!
//! The same handshake (TLS 1.2 allowed, see [`client_auth`]) tells whether a server that asks
//! for a client certificate also insists on one: we never send one, so a server that requires
//! it fails the handshake or sends an alert (certificate_required in TLS 1.3) right after.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, IpAddr as PkiIpAddr, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::model::{Awaited, ConnError};
use crate::wire::AlertDescription;

/// The longest wait, after a handshake in which the server asked for a client certificate,
/// for the alert of a server that requires one. A server that merely asked says nothing
/// (it waits for a request), so this is pure waiting time, paid only on such servers.
const REQUIRED_ALERT_WAIT: Duration = Duration::from_millis(1500);

/// The shortest such wait. In between, the wait is four times the handshake's own duration:
/// the alert is sent as soon as the server reads our empty Certificate, one trip after our
/// Finished, so a multiple of what the handshake took is enough on any link.
const REQUIRED_ALERT_MIN_WAIT: Duration = Duration::from_millis(200);

/// What a full TLS 1.3 handshake showed.
#[derive(Debug, Default)]
pub struct Tls13Facts {
    /// The chain as sent, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The server sent a CertificateRequest.
    pub client_cert_requested: bool,
    /// When it asked: whether it refused to go on without a certificate.
    pub client_cert_required: Option<bool>,
    /// The handshake completed: whether the server stapled an OCSP response (rustls always
    /// sends status_request). `None` when the handshake did not get that far.
    pub ocsp_stapled: Option<bool>,
    /// The scheme the server signed its CertificateVerify (TLS 1.3) or key exchange (TLS 1.2)
    /// with.
    pub scheme: Option<u16>,
    /// The alert the server sent after its Certificate instead of a CertificateVerify: it
    /// picked a certificate, then would not (or could not) sign with what was offered.
    pub alert_after_certificate: Option<crate::wire::AlertDescription>,
}

/// Completes a TLS 1.3 handshake with `stream` offering `schemes` in signature_algorithms,
/// and returns the chain and the scheme the server signed with. A server with no scheme in
/// common refuses the handshake (an alert: [`ConnError::Alert`]).
pub async fn certificate(
    stream: TcpStream,
    addr: SocketAddr,
    sni: Option<&str>,
    limit: Duration,
    schemes: &[u16],
) -> Result<Tls13Facts, ConnError> {
    handshake(
        stream,
        addr,
        sni,
        limit,
        &[&rustls::version::TLS13],
        Some(schemes),
    )
    .await
}

/// Completes a TLS 1.3 or 1.2 handshake with `stream`, for a server that sent a
/// CertificateRequest: [`Tls13Facts::client_cert_required`] says whether it insists. TLS 1.2
/// needs one of rustls's ECDHE AES-GCM (or ChaCha20) suites; otherwise the result is an error.
pub async fn client_auth(
    stream: TcpStream,
    addr: SocketAddr,
    sni: Option<&str>,
    limit: Duration,
) -> Result<Tls13Facts, ConnError> {
    handshake(
        stream,
        addr,
        sni,
        limit,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        None,
    )
    .await
}

async fn handshake(
    stream: TcpStream,
    addr: SocketAddr,
    sni: Option<&str>,
    limit: Duration,
    versions: &[&'static rustls::SupportedProtocolVersion],
    schemes: Option<&[u16]>,
) -> Result<Tls13Facts, ConnError> {
    let provider = crate::fips::scanner_provider();
    let asked = Arc::new(Asked(AtomicBool::new(false)));
    let verifier = Arc::new(RecordOnly {
        // rustls sends exactly these in signature_algorithms, and never checks the server's
        // pick against them before asking us to verify it (we record it instead).
        schemes: match schemes {
            Some(list) => list.iter().map(|&c| SignatureScheme::from(c)).collect(),
            None => provider
                .signature_verification_algorithms
                .supported_schemes(),
        },
        stapled: AtomicBool::new(false),
        chosen: AtomicU16::new(0),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| ConnError::Handshake(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
        .with_client_cert_resolver(Arc::clone(&asked) as Arc<dyn ResolvesClientCert>);
    config.enable_sni = sni.is_some();
    // The FIPS provider makes rustls refuse TLS 1.2 servers without extended master secret;
    // we audit such servers rather than protect data with them, so we must reach them.
    config.require_ems = false;
    let name = match sni.and_then(|s| ServerName::try_from(s.to_string()).ok()) {
        Some(n) => n,
        None => ServerName::IpAddress(PkiIpAddr::from(addr.ip())),
    };
    let connector = TlsConnector::from(Arc::new(config));
    let started = tokio::time::Instant::now();
    let connected = tokio::time::timeout(limit, connector.connect(name, stream))
        .await
        .map_err(|_| ConnError::ReadTimeout {
            limit,
            partial: false,
            what: Awaited::Handshake,
        })?;
    let was_asked = asked.0.load(Ordering::Relaxed);
    let mut tls = match connected {
        Ok(tls) => tls,
        // Asked for a certificate, got none, and stopped: that is a required certificate
        // (TLS 1.2 servers refuse before their Finished).
        Err(_) if was_asked => {
            return Ok(Tls13Facts {
                chain: Vec::new(),
                client_cert_requested: true,
                client_cert_required: Some(true),
                ocsp_stapled: None,
                scheme: None,
                alert_after_certificate: None,
            })
        }
        Err(e) => return Err(handshake_error(&e)),
    };
    let chain = {
        let (_, conn) = tls.get_ref();
        conn.peer_certificates()
            .map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect())
            .unwrap_or_default()
    };
    let client_cert_required = if was_asked {
        // TLS 1.3 clients finish first; a server that requires a certificate says so with an
        // alert after our (empty) Certificate. A server that waits for a request is silent,
        // or answers our silence with data: either way it let us in.
        let mut buf = [0u8; 512];
        let wait = started
            .elapsed()
            .saturating_mul(4)
            .clamp(REQUIRED_ALERT_MIN_WAIT, REQUIRED_ALERT_WAIT);
        match tokio::time::timeout(wait, tls.read(&mut buf)).await {
            Ok(Err(_)) => Some(true),
            Ok(Ok(0)) => None,
            Ok(Ok(_)) | Err(_) => Some(false),
        }
    } else {
        None
    };
    Ok(Tls13Facts {
        chain,
        client_cert_requested: was_asked,
        client_cert_required,
        ocsp_stapled: Some(verifier.stapled.load(Ordering::Relaxed)),
        scheme: Some(verifier.chosen.load(Ordering::Relaxed)).filter(|&c| c != 0),
        alert_after_certificate: None,
    })
}

/// What a failed rustls handshake means: an alert is the server's refusal, a reset or close
/// a fault of the path, anything else a handshake failure with rustls's words.
fn handshake_error(e: &std::io::Error) -> ConnError {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::AlertReceived(a) => ConnError::Alert(AlertDescription(u8::from(*a))),
            other => ConnError::Handshake(other.to_string()),
        };
    }
    match e.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
            ConnError::Reset { partial: true }
        }
        std::io::ErrorKind::UnexpectedEof => ConnError::Closed { partial: true },
        _ => ConnError::Handshake(e.to_string()),
    }
}

/// Accepts any certificate and signature: we audit the server, we do not trust it, and no
/// data is ever sent over the connection. Notes whether an OCSP response was stapled.
#[derive(Debug)]
struct RecordOnly {
    schemes: Vec<SignatureScheme>,
    stapled: AtomicBool,
    /// The scheme of the server's signature (0: none seen yet; no scheme has code 0).
    chosen: AtomicU16,
}

impl ServerCertVerifier for RecordOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !ocsp_response.is_empty() {
            self.stapled.store(true, Ordering::Relaxed);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chosen.store(u16::from(dss.scheme), Ordering::Relaxed);
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chosen.store(u16::from(dss.scheme), Ordering::Relaxed);
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// Notes that the server asked for a client certificate, and offers none.
#[derive(Debug)]
struct Asked(AtomicBool);

impl ResolvesClientCert for Asked {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.0.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

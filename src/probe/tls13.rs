//! TLS 1.3 encrypts the server's certificate, so reading it takes a full handshake: rustls
//! (on fipsprobe's own provider) with a verifier that records the chain and trusts nothing,
//! and a client-certificate resolver that only notes whether one was asked for.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, IpAddr as PkiIpAddr, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// What a full TLS 1.3 handshake showed.
#[derive(Debug, Default)]
pub struct Tls13Facts {
    /// The chain as sent, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The server sent a CertificateRequest.
    pub client_cert_requested: bool,
}

/// Completes a TLS 1.3 handshake with `stream` and returns the certificate chain.
pub async fn certificate(
    stream: TcpStream,
    addr: SocketAddr,
    sni: Option<&str>,
    limit: Duration,
) -> Result<Tls13Facts, String> {
    let provider = crate::fips::provider();
    let asked = Arc::new(Asked(AtomicBool::new(false)));
    let verifier = Arc::new(RecordOnly {
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::clone(&asked) as Arc<dyn ResolvesClientCert>);
    config.enable_sni = sni.is_some();
    let name = match sni.and_then(|s| ServerName::try_from(s.to_string()).ok()) {
        Some(n) => n,
        None => ServerName::IpAddress(PkiIpAddr::from(addr.ip())),
    };
    let connector = TlsConnector::from(Arc::new(config));
    let tls = tokio::time::timeout(limit, connector.connect(name, stream))
        .await
        .map_err(|_| format!("TLS 1.3 handshake timed out after {limit:?}"))?
        .map_err(|e| format!("TLS 1.3 handshake failed: {e}"))?;
    let (_, conn) = tls.get_ref();
    let chain = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect())
        .unwrap_or_default();
    Ok(Tls13Facts {
        chain,
        client_cert_requested: asked.0.load(Ordering::Relaxed),
    })
}

/// Accepts any certificate and signature: we audit the server, we do not trust it, and no
/// data is ever sent over the connection.
#[derive(Debug)]
struct RecordOnly {
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for RecordOnly {
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
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
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

//! Starting a [`ServerSpec`] as a rustls server on a loopback socket, and stopping it.
//!
//! One tokio task accepts; each connection gets its own task (held in a `JoinSet`, so aborting
//! the accept task aborts every connection too). After the handshake the server reads one request
//! and answers with a one-line HTTP response naming the server, version and suite, which lets a
//! test check from the client side what was negotiated.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::aws_lc_rs::{self, ALL_CIPHER_SUITES, ALL_KX_GROUPS};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SignatureAlgorithm, SupportedCipherSuite};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use super::{
    generate_cert, CertOptions, ClientAuth, DemoError, GeneratedCert, KeyKind, ServerSpec,
};
use crate::protocol::Protocol;

/// A client that has not finished its handshake by then is dropped, so a scanner's abandoned
/// half-handshakes (it never sends Finished) do not pile up.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the server waits for a request after the handshake before answering anyway.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// A started server. It stops (and closes every connection) when dropped.
#[derive(Debug)]
pub struct RunningServer {
    /// The address it listens on (the real port when bound to port 0).
    pub addr: SocketAddr,
    /// Its certificate, DER (self-signed, SANs `localhost` and `127.0.0.1`).
    pub cert_der: Vec<u8>,
    /// The spec it was started from.
    pub spec: ServerSpec,
    /// The CA that client certificates must chain to, when the spec asks for client certificates.
    pub client_ca: Option<GeneratedCert>,
    counters: Arc<Counters>,
    task: Option<JoinHandle<()>>,
}

/// What the server has seen, for tests that check a scanner's own handshake count.
#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    handshakes: AtomicU64,
    open: Arc<OpenGauge>,
}

/// Connections open at once, and the most ever open: shared by the servers of one address
/// ([`spawn_with_gauge`]), it measures a scanner's per-host cap from the server side.
#[derive(Debug, Default)]
pub struct OpenGauge {
    open: AtomicU64,
    peak: AtomicU64,
}

impl OpenGauge {
    /// The most connections that were open at once.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::SeqCst)
    }

    fn enter(self: &Arc<Self>) -> OpenGuard {
        let now = self.open.fetch_add(1, Ordering::SeqCst).saturating_add(1);
        self.peak.fetch_max(now, Ordering::SeqCst);
        OpenGuard(Arc::clone(self))
    }
}

/// One open connection, counted until dropped.
struct OpenGuard(Arc<OpenGauge>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl RunningServer {
    /// TCP connections accepted so far. The accept loop runs concurrently, so right after a
    /// client closes, its connection may not be counted yet: poll briefly before asserting.
    pub fn connections(&self) -> u64 {
        self.counters.connections.load(Ordering::SeqCst)
    }

    /// TLS handshakes completed so far (a scanner that stops after ServerHello completes none).
    pub fn handshakes(&self) -> u64 {
        self.counters.handshakes.load(Ordering::SeqCst)
    }

    /// The most connections open at once (across every server sharing its gauge).
    pub fn peak_open(&self) -> u64 {
        self.counters.open.peak()
    }

    /// Stops accepting, closes every connection and waits for the tasks to end.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // The only possible error is the cancellation we just asked for.
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Generates a certificate for `spec.key` and starts the server on `bind`
/// (`127.0.0.1:0` picks a free port; read it from [`RunningServer::addr`]).
///
/// Must be called inside a tokio runtime. Fails if the spec lists something rustls cannot serve
/// or that could never be negotiated (see [`ServerSpec`]), or if binding fails.
pub async fn spawn(spec: &ServerSpec, bind: SocketAddr) -> Result<RunningServer, DemoError> {
    let key = spec.key;
    let cert =
        tokio::task::spawn_blocking(move || generate_cert(key, &CertOptions::default())).await??;
    spawn_with_cert(spec, bind, &cert).await
}

/// Like [`spawn`], with a certificate made beforehand (its key kind must be `spec.key`): starting
/// many servers then costs no key generation each.
pub async fn spawn_with_cert(
    spec: &ServerSpec,
    bind: SocketAddr,
    cert: &GeneratedCert,
) -> Result<RunningServer, DemoError> {
    spawn_with_gauge(spec, bind, cert, Arc::default()).await
}

/// Like [`spawn_with_cert`], counting open connections in `gauge` (give the servers of one
/// address the same gauge to see what a scanner's per-host cap held).
pub async fn spawn_with_gauge(
    spec: &ServerSpec,
    bind: SocketAddr,
    cert: &GeneratedCert,
    gauge: Arc<OpenGauge>,
) -> Result<RunningServer, DemoError> {
    if cert.key_kind != spec.key {
        return Err(inconsistent(
            spec,
            format!(
                "certificate is {:?} but the spec says {:?}",
                cert.key_kind, spec.key
            ),
        ));
    }
    let (config, client_ca) = server_config(spec, cert)?;
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| DemoError::Bind { addr: bind, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| DemoError::Bind { addr: bind, source })?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let name: Arc<str> = Arc::from(spec.name.as_str());
    let counters = Arc::new(Counters {
        open: gauge,
        ..Counters::default()
    });
    let task = tokio::spawn(accept_loop(listener, acceptor, name, counters.clone()));
    Ok(RunningServer {
        addr,
        cert_der: cert.cert_der.clone(),
        spec: spec.clone(),
        client_ca,
        counters,
        task: Some(task),
    })
}

/// Starts `spec` on every address in `addrs` with one shared certificate (one key generation
/// however many servers), for benchmarks that scan a whole loopback range. Stops at the first
/// failure; the servers already started are dropped (stopped) then.
pub async fn spawn_fleet(
    spec: &ServerSpec,
    addrs: &[SocketAddr],
) -> Result<Vec<RunningServer>, DemoError> {
    let key = spec.key;
    let cert =
        tokio::task::spawn_blocking(move || generate_cert(key, &CertOptions::default())).await??;
    let mut servers = Vec::with_capacity(addrs.len());
    for addr in addrs {
        servers.push(spawn_with_cert(spec, *addr, &cert).await?);
    }
    Ok(servers)
}

/// `count` loopback addresses 127.1.0.1, 127.1.0.2, … (skipping .0 and .255 of each /24), all
/// on `port`: the same port on many addresses is what a CIDR scan with `-p PORT` expects.
/// Linux routes all of 127.0.0.0/8 to `lo`, so no setup is needed. Capped at 127.1.255.254.
pub fn fleet_addrs(count: usize, port: u16) -> Vec<SocketAddr> {
    (0u32..256 * 256)
        .filter(|i| !matches!(i % 256, 0 | 255))
        .take(count)
        .map(|i| {
            let [_, _, high, low] = i.to_be_bytes();
            SocketAddr::from(([127, 1, high, low], port))
        })
        .collect()
}

/// Builds the rustls configuration, checking the spec against what rustls can negotiate.
fn server_config(
    spec: &ServerSpec,
    cert: &GeneratedCert,
) -> Result<(ServerConfig, Option<GeneratedCert>), DemoError> {
    let provider = Arc::new(provider_for(spec)?);
    let mut versions = Vec::new();
    for version in &spec.versions {
        match version {
            Protocol::Tls12 => versions.push(&rustls::version::TLS12),
            Protocol::Tls13 => versions.push(&rustls::version::TLS13),
            other => return Err(DemoError::UnsupportedVersion(*other)),
        }
    }
    let (verifier, client_ca) = match spec.client_auth {
        ClientAuth::None => (WebPkiClientVerifier::no_client_auth(), None),
        ClientAuth::Optional | ClientAuth::Required => {
            let ca = generate_cert(
                KeyKind::EcdsaP256,
                &CertOptions {
                    common_name: format!("{} client CA", spec.name),
                    sans: Vec::new(),
                    is_ca: true,
                    ..CertOptions::default()
                },
            )?;
            let mut roots = RootCertStore::empty();
            roots.add(CertificateDer::from(ca.cert_der.clone()))?;
            let builder =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
            let builder = if spec.client_auth == ClientAuth::Optional {
                builder.allow_unauthenticated()
            } else {
                builder
            };
            (builder.build()?, Some(ca))
        }
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(cert.cert_der.clone())], key)?;
    config.ignore_client_order = spec.server_order;
    // rustls defaults to requiring EMS only with a FIPS provider; the spec decides here.
    config.require_ems = spec.require_ems || config.require_ems;
    Ok((config, client_ca))
}

/// The aws-lc-rs provider cut down to the spec's suites and groups, in the spec's order.
fn provider_for(spec: &ServerSpec) -> Result<CryptoProvider, DemoError> {
    if spec.versions.is_empty() {
        return Err(inconsistent(spec, "no versions".to_string()));
    }
    if let Some(old) = spec.versions.iter().find(|v| **v < Protocol::Tls12) {
        return Err(DemoError::UnsupportedVersion(*old));
    }
    let key_alg = if spec.key.is_rsa() {
        SignatureAlgorithm::RSA
    } else {
        SignatureAlgorithm::ECDSA
    };
    let mut cipher_suites: Vec<SupportedCipherSuite> = Vec::new();
    for &code in &spec.suites {
        let found = ALL_CIPHER_SUITES
            .iter()
            .find(|s| u16::from(s.suite()) == code)
            .copied()
            .ok_or(DemoError::UnknownSuite(code))?;
        let version = match found {
            SupportedCipherSuite::Tls12(_) => Protocol::Tls12,
            SupportedCipherSuite::Tls13(_) => Protocol::Tls13,
        };
        if !spec.versions.contains(&version) {
            return Err(inconsistent(
                spec,
                format!("suite 0x{code:04X} needs {version}, which is not enabled"),
            ));
        }
        if !found.usable_for_signature_algorithm(key_alg) {
            return Err(inconsistent(
                spec,
                format!(
                    "suite 0x{code:04X} cannot be served with a {:?} key",
                    spec.key
                ),
            ));
        }
        cipher_suites.push(found);
    }
    for version in &spec.versions {
        let has_suite = cipher_suites.iter().any(|s| match s {
            SupportedCipherSuite::Tls12(_) => *version == Protocol::Tls12,
            SupportedCipherSuite::Tls13(_) => *version == Protocol::Tls13,
        });
        if !has_suite {
            return Err(inconsistent(
                spec,
                format!("{version} is enabled but no suite for it is listed"),
            ));
        }
    }
    let mut kx_groups: Vec<&'static dyn SupportedKxGroup> = Vec::new();
    for &code in &spec.groups {
        let found = ALL_KX_GROUPS
            .iter()
            .find(|g| u16::from(g.name()) == code)
            .copied()
            .ok_or(DemoError::UnknownGroup(code))?;
        kx_groups.push(found);
    }
    // TLS 1.2 ECDHE needs a classical curve; the ML-KEM groups exist only in TLS 1.3.
    if spec.versions.contains(&Protocol::Tls12)
        && !kx_groups
            .iter()
            .any(|g| g.usable_for_version(rustls::ProtocolVersion::TLSv1_2))
    {
        return Err(inconsistent(
            spec,
            "TLSv1.2 is enabled but no group usable in TLS 1.2 is listed".to_string(),
        ));
    }
    if kx_groups.is_empty() {
        return Err(inconsistent(spec, "no groups".to_string()));
    }
    Ok(CryptoProvider {
        cipher_suites,
        kx_groups,
        ..aws_lc_rs::default_provider()
    })
}

fn inconsistent(spec: &ServerSpec, problem: String) -> DemoError {
    DemoError::Inconsistent {
        name: spec.name.clone(),
        problem,
    }
}

/// Accepts until aborted. Dropping the `JoinSet` (on abort) aborts every connection task.
async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    name: Arc<str>,
    counters: Arc<Counters>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    counters.connections.fetch_add(1, Ordering::SeqCst);
                    let open = counters.open.enter();
                    let serve = serve_connection(
                        acceptor.clone(),
                        stream,
                        name.clone(),
                        counters.clone(),
                    );
                    connections.spawn(async move {
                        serve.await;
                        drop(open);
                    });
                }
                // Out of file descriptors or a connection reset before accept: back off briefly
                // instead of spinning, then keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One connection: handshake, read one request, answer with what was negotiated, close.
/// Every failure just ends the connection (a scanner aborts most handshakes on purpose).
async fn serve_connection(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    name: Arc<str>,
    counters: Arc<Counters>,
) {
    let _ = stream.set_nodelay(true);
    let Ok(Ok(mut tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    counters.handshakes.fetch_add(1, Ordering::SeqCst);
    let mut request = [0u8; 1024];
    match tokio::time::timeout(REQUEST_TIMEOUT, tls.read(&mut request)).await {
        // Peer closed or failed (e.g. a required client certificate was missing): nothing to answer.
        Ok(Ok(0)) | Ok(Err(_)) => return,
        Ok(Ok(_)) | Err(_) => {}
    }
    let (_, conn) = tls.get_ref();
    let version = conn
        .protocol_version()
        .and_then(|v| v.as_str())
        .unwrap_or("unknown");
    let suite = conn
        .negotiated_cipher_suite()
        .and_then(|s| s.suite().as_str())
        .unwrap_or("unknown");
    let body = format!("fipsprobe-demo name={name} version={version} suite={suite}\n");
    let response = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(response.as_bytes()).await;
    let _ = tls.shutdown().await;
}

//! Facts beyond the suite lists, each from at most one extra hello and only where it can
//! tell something: the key-exchange groups ([`crate::probe::groups`]), whether extended master
//! secret is required, OCSP stapling, session tickets, encrypt-then-MAC, TLS compression,
//! fallback SCSV handling, and whether a requested client certificate is required.
//!
//! Runs after the cipher sweeps, from what they found ([`Known`]); the result
//! ([`ExtraFacts`]) is written into the endpoint by [`ExtraFacts::apply`].
//!
//! Handshake cost per endpoint (N = accepted groups):
//! - groups: N(TLS 1.2) + 1 when an ECDHE suite is accepted, N(TLS 1.3) + 1 with TLS 1.3;
//! - features (OCSP, ticket, ETM, compression): 1 when TLS 1.2 or older is accepted;
//! - EMS required: 1 when the server echoed EMS (otherwise it is known not to be);
//! - fallback SCSV: 1 when two or more versions are accepted;
//! - client certificate required: 1 when the server asked for one;
//! - DHE group size: 1 when a DHE suite is accepted.
//!
//! [`extra_handshakes`] computes this from a report, for tests that check the total.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cipher_db::{self, Auth, CipherMode, Kx};
use crate::probe::conn::{self, ConnError, Flight, ReadUntil};
use crate::probe::groups::{self, GroupSweep};
use crate::probe::limits::HostHandle;
use crate::probe::offer::{GROUPS_TLS12, SIG_SCHEMES};
use crate::probe::plan::VersionSweep;
use crate::probe::{retry, tls13, ProbeConfig};
use crate::protocol::Protocol;
use crate::report::model::Endpoint;
use crate::wire::{
    AlertDescription, ClientExtension, ExtensionType, KxKind, KxParams, ProbeHello, ServerMessage,
};

/// Compression methods offered by the features hello: DEFLATE (RFC 3749) before null, so a
/// server that can compress will.
const COMPRESSION_DEFLATE: u8 = 1;

/// How to reach the endpoint, shared with the cipher sweeps: same limits, same budget, and
/// every handshake counted in the endpoint's total.
pub struct Link<'a> {
    /// The endpoint's address.
    pub addr: SocketAddr,
    /// SNI to send.
    pub sni: Option<&'a str>,
    /// Timeouts and retries.
    pub cfg: &'a ProbeConfig,
    /// The per-address connection cap.
    pub host: &'a HostHandle,
    /// Stops everything.
    pub abort: &'a CancellationToken,
    /// The endpoint's time budget.
    pub deadline: Instant,
    /// The endpoint's handshake count.
    pub handshakes: &'a AtomicU32,
}

/// The answer to one hello.
#[derive(Debug)]
pub enum Reply {
    /// What the server sent (at least one message).
    Messages(Vec<ServerMessage>),
    /// The connection closed without a word.
    Declined,
    /// No answer (timeout, I/O error, budget exhausted).
    Failed(String),
}

impl Link<'_> {
    /// Sends one hello on a new connection, with the sweeps' retries and limits.
    pub async fn send(&self, hello: &[u8], until: ReadUntil) -> Reply {
        match self.exchange(hello, until, None, self.cfg.retries).await {
            Ok(flight) if flight.messages.is_empty() => Reply::Declined,
            Ok(flight) => Reply::Messages(flight.messages),
            Err(e) => Reply::Failed(e.to_string()),
        }
    }

    /// Sends one hello (on `stream` when given, else on a new connection) within the host cap,
    /// the endpoint's time budget and the abort token, counting the handshake, and retries
    /// transient failures up to `retries` times. Every probe of an endpoint goes through here.
    pub async fn exchange(
        &self,
        hello: &[u8],
        until: ReadUntil,
        mut stream: Option<TcpStream>,
        retries: u32,
    ) -> Result<Flight, ConnError> {
        let mut attempt = 0u32;
        loop {
            if self.abort.is_cancelled() {
                return Err(ConnError::Io("scan interrupted".into()));
            }
            if conn::within(self.cfg.handshake_timeout, self.deadline).is_none() {
                return Err(conn::budget_exhausted(self.cfg.endpoint_timeout));
            }
            let result = {
                let opened = match stream.take() {
                    Some(s) => match self.host.connection_until(self.deadline).await {
                        Some(permit) => Ok((permit, s)),
                        None => Err(conn::budget_exhausted(self.cfg.endpoint_timeout)),
                    },
                    None => self.open().await,
                };
                match opened {
                    Ok((_permit, s)) => {
                        // What is left after waiting for the slot and connecting.
                        let budget = conn::within(self.cfg.handshake_timeout, self.deadline)
                            .unwrap_or_default();
                        self.handshakes.fetch_add(1, Ordering::Relaxed);
                        tokio::select! {
                            r = conn::exchange(s, hello, until, budget) => r,
                            () = self.abort.cancelled() => Err(ConnError::Io("scan interrupted".into())),
                        }
                    }
                    Err(e) => Err(e),
                }
            };
            match result {
                Err(e) if e.is_transient() && attempt < retries && !self.abort.is_cancelled() => {
                    attempt += 1;
                    if !retry::backoff_until(attempt, self.deadline).await {
                        return Err(e);
                    }
                }
                other => return other,
            }
        }
    }

    /// A connection slot (the host cap and the rate, waited for no later than the deadline)
    /// and a stream connected within what is left of the budget. Hold the permit while the
    /// stream is in use.
    pub async fn open(&self) -> Result<(OwnedSemaphorePermit, TcpStream), ConnError> {
        let exhausted = || conn::budget_exhausted(self.cfg.endpoint_timeout);
        let permit = self
            .host
            .connection_until(self.deadline)
            .await
            .ok_or_else(exhausted)?;
        let limit = conn::within(self.cfg.connect_timeout, self.deadline).ok_or_else(exhausted)?;
        let stream = conn::connect(self.addr, limit).await?;
        Ok((permit, stream))
    }

    /// `limit`, or what is left of the endpoint's budget when that is less.
    pub fn within(&self, limit: Duration) -> Duration {
        conn::within(limit, self.deadline).unwrap_or_default()
    }
}

/// A fresh client random (also the TLS 1.3 session id). A predictable one only weakens a
/// handshake we never finish, so a failing RNG falls back to zeros rather than failing.
pub fn random() -> [u8; 32] {
    let mut random = [0u8; 32];
    let _ = aws_lc_rs::rand::fill(&mut random);
    random
}

/// What the cipher sweeps already established.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Accepted suites per version (SSLv2 left out), in the order found.
    pub accepted: BTreeMap<Protocol, Vec<u16>>,
    /// Whether the TLS <= 1.2 sweep saw extended_master_secret echoed.
    pub ems_echoed: Option<bool>,
    /// Whether some flight carried a CertificateRequest.
    pub client_cert_requested: bool,
    /// The curve of the leaf certificate's key, when it is an EC key (see [`GroupSweep::pin`]).
    pub cert_curve: Option<u16>,
    /// The TLS 1.3 server answers hellos without key shares (see `VersionSweep::keyless_ok`).
    pub tls13_keyless: bool,
}

impl Known {
    /// From the finished sweeps and the facts gathered on the way (`chain`: the certificate
    /// chain as sent, leaf first).
    pub fn new(
        sweeps: &[VersionSweep],
        ems_echoed: Option<bool>,
        requested: bool,
        chain: Option<&[Vec<u8>]>,
    ) -> Known {
        let accepted = sweeps
            .iter()
            .filter(|s| s.version() != Protocol::Ssl2 && !s.accepted().is_empty())
            .map(|s| {
                let codes = s
                    .accepted()
                    .iter()
                    .filter_map(|&c| u16::try_from(c).ok())
                    .collect();
                (s.version(), codes)
            })
            .collect();
        let tls13_keyless = sweeps
            .iter()
            .any(|s| s.version() == Protocol::Tls13 && s.keyless_ok());
        Known {
            accepted,
            tls13_keyless,
            ems_echoed,
            client_cert_requested: requested,
            cert_curve: chain
                .and_then(|c| c.first())
                .and_then(|der| crate::probe::cert::ec_curve_code(der)),
        }
    }

    /// The highest accepted version that has extensions (TLS 1.0 to 1.2).
    fn legacy_version(&self) -> Option<(Protocol, &[u16])> {
        self.accepted
            .iter()
            .rev()
            .find(|(v, _)| **v >= Protocol::Tls10 && **v <= Protocol::Tls12)
            .map(|(v, s)| (*v, s.as_slice()))
    }
}

/// Everything this module learned. `None` means "not probed" (not relevant, or no answer).
#[derive(Clone, Debug, Default)]
pub struct ExtraFacts {
    /// Accepted groups per version, the server's pick first.
    pub groups: BTreeMap<Protocol, Vec<u16>>,
    /// The server refuses a TLS 1.2 hello without extended_master_secret.
    pub ems_required: Option<bool>,
    /// The server picked DEFLATE when offered it.
    pub compression: Option<bool>,
    /// The server echoed status_request (will staple an OCSP response) or sent one.
    pub ocsp_stapling: Option<bool>,
    /// The server echoed session_ticket (will issue a TLS 1.2 ticket).
    pub session_ticket: Option<bool>,
    /// With a CBC suite negotiated, the server agreed to encrypt_then_mac.
    pub encrypt_then_mac: Option<bool>,
    /// The server refused a lower-version hello carrying TLS_FALLBACK_SCSV.
    pub fallback_scsv: Option<bool>,
    /// A TLS 1.3 server answering the fallback hello marked its random with the RFC 8446
    /// downgrade sentinel.
    pub downgrade_sentinel: Option<bool>,
    /// Having asked for a client certificate, the server refuses to go on without one.
    pub client_cert_required: Option<bool>,
    /// The finite-field DHE prime size, from a hello offering only the DHE suites.
    pub dh_bits: Option<u32>,
    /// What went wrong on the way (the facts concerned are then `None` or partial).
    pub problems: Vec<String>,
    /// A group sweep got no answer: a non-approved group may be missing, so the endpoint is
    /// marked incomplete (as a cut-short cipher sweep would be).
    pub incomplete: bool,
}

/// Keys the cipher sweeps may have set from hellos that never offered the extension: only
/// the features hello can vouch for them, so they are dropped and set from it alone.
const FEATURE_KEYS: &[&str] = &["ocsp_stapling", "session_ticket", "encrypt_then_mac"];

/// Runs every relevant probe, side by side within the host's connection cap.
pub async fn probe(link: &Link<'_>, known: &Known) -> ExtraFacts {
    let mut out = ExtraFacts::default();
    let (g12, g13, features, ems, fallback, client, dh) = tokio::join!(
        groups12(link, known),
        groups13(link, known),
        features(link, known),
        ems_required(link, known),
        fallback_scsv(link, known),
        client_cert_required(link, known),
        dh_bits(link, known),
    );
    for sweep in [g12, g13].into_iter().flatten() {
        if let Some(f) = sweep.failure() {
            out.problems
                .push(format!("{} groups: {f}", sweep.version()));
        }
        out.incomplete |= sweep.unanswered();
        if !sweep.accepted().is_empty() {
            out.groups
                .insert(sweep.version(), sweep.accepted().to_vec());
        }
    }
    match features {
        Ok(Some(f)) => {
            out.compression = Some(f.compression);
            out.ocsp_stapling = Some(f.ocsp_stapling);
            out.session_ticket = Some(f.session_ticket);
            out.encrypt_then_mac = f.encrypt_then_mac;
        }
        Ok(None) => {}
        Err(e) => out.problems.push(format!("extensions: {e}")),
    }
    match ems {
        Ok(v) => out.ems_required = v,
        Err(e) => out.problems.push(format!("extended master secret: {e}")),
    }
    match fallback {
        Ok(v) => {
            out.fallback_scsv = v.scsv;
            out.downgrade_sentinel = v.downgrade_sentinel;
        }
        Err(e) => out.problems.push(format!("fallback SCSV: {e}")),
    }
    match client {
        Ok(v) => out.client_cert_required = v,
        Err(e) => out.problems.push(format!("client certificate: {e}")),
    }
    match dh {
        Ok(v) => out.dh_bits = v,
        Err(e) => out.problems.push(format!("DHE group: {e}")),
    }
    out
}

/// The accepted DHE suites of the highest TLS <= 1.2 version that has any.
fn dhe_suites(known: &Known) -> Option<(Protocol, Vec<u16>)> {
    let db = cipher_db::db();
    known.accepted.iter().rev().find_map(|(v, suites)| {
        let dhe: Vec<u16> = suites
            .iter()
            .copied()
            .filter(|c| db.suite(*c).is_some_and(|s| s.kx == Kx::Dhe))
            .collect();
        (*v <= Protocol::Tls12 && *v >= Protocol::Ssl3 && !dhe.is_empty()).then_some((*v, dhe))
    })
}

/// One hello with only the accepted DHE suites: the ServerKeyExchange gives the prime size.
/// A server that prefers ECDHE never shows its DH group to the sweeps' first hellos.
async fn dh_bits(link: &Link<'_>, known: &Known) -> Result<Option<u32>, String> {
    let Some((version, suites)) = dhe_suites(known) else {
        return Ok(None);
    };
    let bytes = legacy_hello(version, &suites, link.sni, true, false)
        .to_client_hello()
        .encode_records(version.wire().min(0x0301));
    let messages = match link.send(&bytes, ReadUntil::FlightEnd).await {
        Reply::Messages(m) => m,
        Reply::Declined => return Err("the server refused its own DHE suites".into()),
        Reply::Failed(why) => return Err(why),
    };
    let bits = messages.iter().find_map(|m| match m {
        ServerMessage::ServerKeyExchange(ske) => match ske.params(KxKind::Dhe) {
            Ok(KxParams::Dhe { prime_bits }) => Some(prime_bits),
            _ => None,
        },
        _ => None,
    });
    bits.map(Some)
        .ok_or_else(|| "no readable DHE ServerKeyExchange".to_string())
}

async fn groups12(link: &Link<'_>, known: &Known) -> Option<GroupSweep> {
    let db = cipher_db::db();
    // The highest version <= 1.2 with an accepted ECDHE suite: those suites make the server
    // pick a curve and name it in the ServerKeyExchange.
    let (version, suites) = known.accepted.iter().rev().find_map(|(v, suites)| {
        let ecdhe: Vec<u16> = suites
            .iter()
            .copied()
            .filter(|c| db.suite(*c).is_some_and(|s| s.kx == Kx::Ecdhe))
            .collect();
        (*v <= Protocol::Tls12 && *v >= Protocol::Tls10 && !ecdhe.is_empty()).then_some((*v, ecdhe))
    })?;
    // Only ECDSA suites: the certificate's curve must stay on offer.
    let ecdsa_only = suites
        .iter()
        .all(|c| db.suite(*c).is_some_and(|s| s.auth == Auth::Ecdsa));
    let pinned = known.cert_curve.filter(|_| ecdsa_only);
    Some(groups::sweep(link, version, &suites, pinned, false).await)
}

async fn groups13(link: &Link<'_>, known: &Known) -> Option<GroupSweep> {
    let suites = known.accepted.get(&Protocol::Tls13)?;
    Some(groups::sweep(link, Protocol::Tls13, suites, None, known.tls13_keyless).await)
}

/// The features hello's findings.
struct Features {
    compression: bool,
    ocsp_stapling: bool,
    session_ticket: bool,
    encrypt_then_mac: Option<bool>,
}

/// One TLS <= 1.2 hello offering DEFLATE, status_request, session_ticket and encrypt_then_mac.
/// Only CBC suites are offered when the server accepts any, because servers echo
/// encrypt_then_mac only for a CBC suite.
async fn features(link: &Link<'_>, known: &Known) -> Result<Option<Features>, String> {
    let Some((version, accepted)) = known.legacy_version() else {
        return Ok(None);
    };
    let db = cipher_db::db();
    let cbc: Vec<u16> = accepted
        .iter()
        .copied()
        .filter(|c| {
            db.suite(*c)
                .is_some_and(|s| s.cipher.mode == CipherMode::Cbc)
        })
        .collect();
    let suites = if cbc.is_empty() { accepted } else { &cbc };
    let mut hello = legacy_hello(version, suites, link.sni, true, false).to_client_hello();
    hello.compression_methods = vec![COMPRESSION_DEFLATE, 0];
    hello.extensions.push(ClientExtension::StatusRequest);
    hello
        .extensions
        .push(ClientExtension::SessionTicket(Vec::new()));
    hello.extensions.push(ClientExtension::EncryptThenMac);
    let bytes = hello.encode_records(version.wire().min(0x0301));
    let messages = match link.send(&bytes, ReadUntil::FlightEnd).await {
        Reply::Messages(m) => m,
        Reply::Declined => return Err("the server closed the connection".into()),
        Reply::Failed(why) => return Err(why),
    };
    features_from(&messages).map(Some)
}

/// Reads the features hello's answer. Pure, for the tests.
fn features_from(messages: &[ServerMessage]) -> Result<Features, String> {
    let sh = match messages.first() {
        Some(ServerMessage::ServerHello(sh)) => sh,
        Some(ServerMessage::Alert(a)) => {
            return Err(format!(
                "refused the hello with DEFLATE, status_request, session_ticket and encrypt_then_mac ({})",
                a.description.name()
            ))
        }
        Some(other) => return Err(format!("unexpected {}", other.name())),
        None => return Err("no answer".into()),
    };
    let cbc = cipher_db::db()
        .suite(sh.cipher_suite)
        .is_some_and(|s| s.cipher.mode == CipherMode::Cbc);
    let status = messages
        .iter()
        .any(|m| matches!(m, ServerMessage::CertificateStatus(_)));
    Ok(Features {
        compression: sh.compression == COMPRESSION_DEFLATE,
        ocsp_stapling: status || sh.has_extension(ExtensionType::STATUS_REQUEST.0),
        session_ticket: sh.has_extension(ExtensionType::SESSION_TICKET.0),
        encrypt_then_mac: cbc.then(|| sh.has_extension(ExtensionType::ENCRYPT_THEN_MAC.0)),
    })
}

/// A hello without extended_master_secret, only when the server echoed it (a server without
/// EMS accepts such hellos by definition: `Some(false)` at no cost).
async fn ems_required(link: &Link<'_>, known: &Known) -> Result<Option<bool>, String> {
    let Some((version, accepted)) = known.legacy_version() else {
        return Ok(None);
    };
    match known.ems_echoed {
        None => return Ok(None),
        Some(false) => return Ok(Some(false)),
        Some(true) => {}
    }
    let bytes = legacy_hello(version, accepted, link.sni, false, false)
        .to_client_hello()
        .encode_records(version.wire().min(0x0301));
    match link.send(&bytes, ReadUntil::ServerHello).await {
        Reply::Messages(m) => match m.first() {
            Some(ServerMessage::ServerHello(_)) => Ok(Some(false)),
            Some(ServerMessage::Alert(_)) => Ok(Some(true)),
            Some(other) => Err(format!("unexpected {}", other.name())),
            None => Ok(Some(true)),
        },
        Reply::Declined => Ok(Some(true)),
        Reply::Failed(why) => Err(why),
    }
}

/// The second-highest accepted version with TLS_FALLBACK_SCSV (RFC 7507): a server that
/// supports a higher version must answer inappropriate_fallback.
async fn fallback_scsv(link: &Link<'_>, known: &Known) -> Result<Fallback, String> {
    let versions: Vec<(&Protocol, &Vec<u16>)> = known.accepted.iter().collect();
    let [.., (&lower, suites), (&highest, _)] = versions.as_slice() else {
        return Ok(Fallback::default());
    };
    if lower < Protocol::Ssl3 {
        return Ok(Fallback::default());
    }
    let bytes = legacy_hello(lower, suites, link.sni, true, true)
        .to_client_hello()
        .encode_records(lower.wire().min(0x0301));
    match link.send(&bytes, ReadUntil::ServerHello).await {
        Reply::Messages(m) => Ok(fallback_from(&m, highest)),
        Reply::Declined => Ok(Fallback::default()),
        Reply::Failed(why) => Err(why),
    }
}

/// What the fallback hello showed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fallback {
    /// `Some(true)` for inappropriate_fallback, `Some(false)` when the server went ahead at
    /// the lower version, `None` for any other refusal (it proves nothing).
    scsv: Option<bool>,
    /// A TLS 1.3 server that went ahead: whether its ServerHello random ends with the RFC 8446
    /// §4.1.3 downgrade sentinel, which protects TLS 1.3 clients without the SCSV.
    downgrade_sentinel: Option<bool>,
}

/// RFC 8446 §4.1.3: the last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2
/// (`DOWNGRD` then 01) or an older version (then 00).
const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";
const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

/// Reads the fallback hello's answer. Pure, for the tests.
fn fallback_from(messages: &[ServerMessage], highest: Protocol) -> Fallback {
    match messages.first() {
        Some(ServerMessage::Alert(a)) => Fallback {
            scsv: (a.description == AlertDescription::INAPPROPRIATE_FALLBACK).then_some(true),
            downgrade_sentinel: None,
        },
        Some(ServerMessage::ServerHello(sh)) => {
            let tail = sh.random.get(24..).unwrap_or_default();
            let sentinel = if sh.version() >= Protocol::Tls12.wire() {
                DOWNGRADE_TLS12
            } else {
                DOWNGRADE_TLS11
            };
            Fallback {
                scsv: Some(false),
                downgrade_sentinel: (highest == Protocol::Tls13).then(|| tail == sentinel),
            }
        }
        _ => Fallback::default(),
    }
}

/// One rustls handshake without a client certificate, when the server asked for one.
async fn client_cert_required(link: &Link<'_>, known: &Known) -> Result<Option<bool>, String> {
    if !known.client_cert_requested || link.abort.is_cancelled() {
        return Ok(None);
    }
    let (_permit, stream) = link.open().await.map_err(|e| e.to_string())?;
    link.handshakes.fetch_add(1, Ordering::Relaxed);
    let limit = link.within(link.cfg.handshake_timeout);
    let handshake = tls13::client_auth(stream, link.addr, link.sni, limit);
    // The handshake's own limit does not cover the wait for a required-certificate alert.
    let facts = tokio::time::timeout_at(link.deadline, handshake)
        .await
        .map_err(|_| conn::budget_exhausted(link.cfg.endpoint_timeout).to_string())??;
    Ok(facts.client_cert_required)
}

/// A TLS 1.0–1.2 (or SSLv3) hello like the sweeps send: every curve, every signature scheme.
fn legacy_hello<'a>(
    version: Protocol,
    suites: &'a [u16],
    sni: Option<&'a str>,
    ems: bool,
    fallback: bool,
) -> ProbeHello<'a> {
    ProbeHello {
        version,
        suites,
        sni,
        groups: GROUPS_TLS12,
        key_shares: &[],
        sig_schemes: SIG_SCHEMES,
        ems,
        renegotiation_scsv: version == Protocol::Ssl3,
        fallback_scsv: fallback,
        random: random(),
    }
}

/// The handshakes [`probe`] spends on an endpoint, computed from its report (no retries):
/// what a test adds to the cipher sweeps' count to check the total is minimal.
pub fn extra_handshakes(e: &Endpoint) -> u32 {
    let db = cipher_db::db();
    let legacy = |p: &Protocol| *p >= Protocol::Tls10 && *p <= Protocol::Tls12;
    let has_kx = |kx: Kx, from: Protocol| {
        e.protocols.iter().any(|(p, r)| {
            *p >= from
                && *p <= Protocol::Tls12
                && r.suites.iter().any(|s| {
                    u16::try_from(u64::from(s.code.0))
                        .ok()
                        .and_then(|c| db.suite(c))
                        .is_some_and(|s| s.kx == kx)
                })
        })
    };
    let listed = |v: &str| {
        e.extensions
            .get("groups")
            .and_then(|g| g.get(v))
            .and_then(Value::as_array)
            .map_or(0, |a| u32::try_from(a.len()).unwrap_or(u32::MAX))
    };
    let mut n = 0u32;
    if has_kx(Kx::Ecdhe, Protocol::Tls10) {
        n += listed("TLSv1.2")
            .max(listed("TLSv1.1"))
            .max(listed("TLSv1.0"))
            + 1;
    }
    if e.protocols.contains_key(&Protocol::Tls13) {
        n += listed("TLSv1.3") + 1;
    }
    if e.protocols.keys().any(legacy) {
        n += 1; // features
        if e.extensions.get("extended_master_secret") == Some(&Value::Bool(true)) {
            n += 1;
        }
    }
    let versions: Vec<&Protocol> = e
        .protocols
        .keys()
        .filter(|p| **p != Protocol::Ssl2)
        .collect();
    if versions.len() >= 2 && versions[versions.len() - 2] >= &Protocol::Ssl3 {
        n += 1;
    }
    if e.extensions.contains_key("client_certificate") {
        n += 1;
    }
    if has_kx(Kx::Dhe, Protocol::Ssl3) {
        n += 1;
    }
    n
}

impl ExtraFacts {
    /// Writes these facts into `e`: `groups` (union, TLS 1.3 order first, then any group only
    /// seen before), and in `extensions`: `groups` (`{"TLSv1.3": [...], "TLSv1.2": [...]}`),
    /// `preferred_group`, `ems_required`, `compression`, `ocsp_stapling`, `session_ticket`,
    /// `encrypt_then_mac`, `fallback_scsv`, `downgrade_sentinel`, `dh_bits`,
    /// `client_certificate` (`"required"` or `"optional"` once tested), `probe_problems`;
    /// `client_certificate` also goes into the certificate object (`"not_requested"` default).
    /// Facts not probed leave existing keys alone.
    pub fn apply(self, e: &mut Endpoint) {
        let name = |g: u16| {
            cipher_db::db()
                .group(g)
                .map(|g| g.name.clone())
                .unwrap_or_else(|| format!("0x{g:04X}"))
        };
        if !self.groups.is_empty() {
            let mut union: Vec<String> = Vec::new();
            let mut per_version = serde_json::Map::new();
            for (version, list) in self.groups.iter().rev() {
                let names: Vec<String> = list.iter().map(|&g| name(g)).collect();
                for n in &names {
                    if !union.contains(n) {
                        union.push(n.clone());
                    }
                }
                per_version.insert(version.label().to_string(), json!(names));
            }
            for n in std::mem::take(&mut e.groups) {
                if !union.contains(&n) {
                    union.push(n);
                }
            }
            if let Some(first) = union.first() {
                e.extensions
                    .insert("preferred_group".into(), Value::from(first.clone()));
            }
            e.groups = union;
            e.extensions
                .insert("groups".into(), Value::Object(per_version));
        }
        for k in FEATURE_KEYS {
            e.extensions.remove(*k);
        }
        let mut put = |k: &str, v: Option<bool>| {
            if let Some(v) = v {
                e.extensions.insert(k.to_string(), Value::Bool(v));
            }
        };
        put("ems_required", self.ems_required);
        put("compression", self.compression);
        put("ocsp_stapling", self.ocsp_stapling);
        put("session_ticket", self.session_ticket);
        put("encrypt_then_mac", self.encrypt_then_mac);
        put("fallback_scsv", self.fallback_scsv);
        put("downgrade_sentinel", self.downgrade_sentinel);
        match self.client_cert_required {
            Some(true) => {
                e.extensions
                    .insert("client_certificate".into(), Value::from("required"));
            }
            Some(false) => {
                e.extensions
                    .insert("client_certificate".into(), Value::from("optional"));
            }
            None => {}
        }
        // The certificate object says it too, where a reader of the chain looks.
        let client_cert = e
            .extensions
            .get("client_certificate")
            .cloned()
            .unwrap_or_else(|| Value::from("not_requested"));
        if let Some(Value::Object(cert)) = e.certificate.as_mut() {
            cert.insert("client_certificate".into(), client_cert);
        }
        if let Some(bits) = self.dh_bits {
            e.extensions.insert("dh_bits".into(), Value::from(bits));
        }
        e.incomplete |= self.incomplete;
        if !self.problems.is_empty() {
            e.extensions
                .insert("probe_problems".into(), json!(self.problems));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::wire::{Alert, RawExtension, ServerHello};

    fn sh(suite: u16, compression: u8, exts: &[u16]) -> ServerMessage {
        ServerMessage::ServerHello(ServerHello {
            legacy_version: 0x0303,
            random: [1; 32],
            session_id: Vec::new(),
            cipher_suite: suite,
            compression,
            extensions: exts
                .iter()
                .map(|&typ| RawExtension {
                    typ,
                    body: Vec::new(),
                })
                .collect(),
        })
    }

    fn alert(d: AlertDescription) -> ServerMessage {
        ServerMessage::Alert(Alert {
            level: 2,
            description: d,
        })
    }

    #[test]
    fn features_read_echoes_and_compression() {
        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: CBC, so encrypt_then_mac is meaningful.
        let f = features_from(&[sh(0xC013, 1, &[22, 35])]).unwrap();
        assert!(f.compression);
        assert!(f.session_ticket);
        assert_eq!(f.encrypt_then_mac, Some(true));
        assert!(!f.ocsp_stapling);
        // AES-GCM: no verdict on encrypt_then_mac; null compression.
        let f = features_from(&[sh(0xC02F, 0, &[5])]).unwrap();
        assert!(!f.compression);
        assert!(f.ocsp_stapling);
        assert_eq!(f.encrypt_then_mac, None);
        assert!(features_from(&[alert(AlertDescription::HANDSHAKE_FAILURE)]).is_err());
    }

    #[test]
    fn fallback_needs_the_right_alert() {
        let tls13 = Protocol::Tls13;
        let got = fallback_from(&[alert(AlertDescription::INAPPROPRIATE_FALLBACK)], tls13);
        assert_eq!(got.scsv, Some(true));
        let got = fallback_from(&[sh(0xC02F, 0, &[])], tls13);
        assert_eq!(got.scsv, Some(false));
        assert_eq!(got.downgrade_sentinel, Some(false));
        let got = fallback_from(&[sh(0xC02F, 0, &[])], Protocol::Tls12);
        assert_eq!(got.downgrade_sentinel, None);
        let mut hello = sh(0xC02F, 0, &[]);
        if let ServerMessage::ServerHello(h) = &mut hello {
            h.random[24..].copy_from_slice(b"DOWNGRD\x01");
        }
        assert_eq!(
            fallback_from(&[hello], tls13).downgrade_sentinel,
            Some(true)
        );
        let got = fallback_from(&[alert(AlertDescription::HANDSHAKE_FAILURE)], tls13);
        assert_eq!(got, Fallback::default());
    }

    #[test]
    fn legacy_version_is_the_highest_with_extensions() {
        let mut known = Known::default();
        known.accepted.insert(Protocol::Tls13, vec![0x1301]);
        known.accepted.insert(Protocol::Tls11, vec![0x002F]);
        known.accepted.insert(Protocol::Ssl3, vec![0x002F]);
        assert_eq!(known.legacy_version().unwrap().0, Protocol::Tls11);
        known.accepted.remove(&Protocol::Tls11);
        assert!(known.legacy_version().is_none());
    }

    #[test]
    fn apply_puts_tls13_groups_first_and_keeps_earlier_ones() {
        let mut e: Endpoint = serde_json::from_value(json!({
            "target": "t", "host": "h", "ip": "127.0.0.1", "port": 1, "sni": null,
            "status": "tls", "error": null, "protocols": {}, "preferred_suite": null,
            "groups": ["sect571r1"], "certificate": null, "findings": [], "verdict": "not_assessed"
        }))
        .unwrap();
        let mut x = ExtraFacts::default();
        x.groups.insert(Protocol::Tls12, vec![0x0017, 0x0018]);
        x.groups.insert(Protocol::Tls13, vec![0x001D, 0x0017]);
        x.ems_required = Some(true);
        x.client_cert_required = Some(false);
        x.apply(&mut e);
        assert_eq!(e.groups, ["x25519", "secp256r1", "secp384r1", "sect571r1"]);
        assert_eq!(
            e.extensions["groups"]["TLSv1.3"],
            json!(["x25519", "secp256r1"])
        );
        assert_eq!(
            e.extensions["groups"]["TLSv1.2"],
            json!(["secp256r1", "secp384r1"])
        );
        assert_eq!(e.extensions["preferred_group"], "x25519");
        assert_eq!(e.extensions["ems_required"], true);
        assert_eq!(e.extensions["client_certificate"], "optional");
        assert!(!e.extensions.contains_key("fallback_scsv"));
    }
}

//! Probes one endpoint: a connect first (closed ports cost one SYN), then one sweep per
//! protocol version, run side by side within the per-host connection cap.
//!
//! The first hello (the highest version) goes out on the connection the connect sweep
//! opened. When it gets no TLS answer: bytes that are not TLS end the probe as `not_tls`;
//! silence may be version intolerance, so one older hello (no retry) decides between
//! `timeout` and going on. A timeout is never taken for a rejection: the version it happened
//! in is reported incomplete, not absent.
//!
//! Against a server that serves one connection at a time (OpenSSL `s_server`), the sweeps'
//! connections wait in its listen backlog with their hellos already sent, and each is
//! answered as soon as the one before closes: we close right after the ServerHello, so this
//! costs milliseconds, not timeouts (tests/scan_openssl.rs checks it with the default cap).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cipher_db::{self, Kx};
use crate::probe::behaviour;
use crate::probe::conn::{self, ConnError, Flight, ReadUntil};
use crate::probe::limits::HostHandle;
use crate::probe::offer::{GROUPS_TLS12, GROUPS_TLS13, KEY_SHARES_TLS13, SIG_SCHEMES};
use crate::probe::plan::{Answer, Offer, Purpose, VersionSweep};
use crate::probe::retry;
use crate::probe::{tls13, tls13_chain};
use crate::protocol::Protocol;
use crate::report::model::{Endpoint, ProtocolResult, Status, SuiteCode, SuiteEntry};
use crate::targets::EndpointSpec;
use crate::wire::{self, KxKind, KxParams, ProbeHello, ServerMessage};

/// Timeouts and retries for one endpoint.
#[derive(Clone, Debug)]
pub struct ProbeConfig {
    /// TCP connect.
    pub connect_timeout: Duration,
    /// One hello's answer.
    pub handshake_timeout: Duration,
    /// The whole endpoint: when it runs out, the sweeps stop and what is known is reported.
    pub endpoint_timeout: Duration,
    /// Extra attempts for transient failures (timeouts, I/O errors), with backoff.
    pub retries: u32,
    /// SNI to send instead of the target's host name.
    pub sni: Option<String>,
    /// Versions to probe.
    pub versions: Vec<Protocol>,
    /// After the cipher sweeps, run the group sweeps and the behaviour probes (EMS
    /// enforcement, fallback SCSV, features, client certificate): about N groups + 5 more
    /// handshakes. Off (`--suites-only`): versions, suites, order and what the sweeps' own
    /// flights show (certificate, EMS echo, the groups the server picked).
    pub extras: bool,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            connect_timeout: Duration::from_secs(3),
            handshake_timeout: Duration::from_secs(5),
            endpoint_timeout: Duration::from_secs(120),
            retries: 1,
            sni: None,
            versions: Protocol::ALL.to_vec(),
            extras: true,
        }
    }
}

/// Probes one endpoint and returns everything learned, ungraded.
pub async fn probe(
    spec: &EndpointSpec,
    cfg: &ProbeConfig,
    host: &HostHandle,
    abort: &CancellationToken,
) -> Endpoint {
    let started = Instant::now();
    let addr = SocketAddr::new(spec.ip, spec.port);
    let sni = cfg
        .sni
        .clone()
        .or_else(|| spec.sni.as_deref().map(str::to_string));
    let mut endpoint = Endpoint {
        sni: sni.clone(),
        explicit: spec.explicit,
        service: crate::targets::service_for_port(spec.port).map(str::to_string),
        ..Endpoint::new(
            spec.target.to_string(),
            spec.host.to_string(),
            spec.ip,
            spec.port,
        )
    };

    let deadline = conn::deadline_after(started, cfg.endpoint_timeout);
    let ctx = Ctx {
        addr,
        sni,
        cfg,
        host,
        abort,
        deadline,
        handshakes: AtomicU32::new(0),
        saw_tls: AtomicBool::new(false),
        facts: Mutex::new(Facts::default()),
    };

    // The sweep: one connect. Closed and filtered addresses stop here, after one attempt
    // when they are members of a range (a silent address there is normal, and a retry would
    // double the cost of every filtered one); a target named explicitly gets the retries.
    let connect_retries = if spec.explicit { cfg.retries } else { 0 };
    let first = match host.connection_until(deadline).await {
        Some(_permit) => {
            retry::run(connect_retries, abort, deadline, || async move {
                match conn::within(cfg.connect_timeout, deadline) {
                    Some(limit) => conn::connect(addr, limit).await,
                    None => Err(conn::budget_exhausted(cfg.endpoint_timeout)),
                }
            })
            .await
        }
        None => Err(conn::budget_exhausted(cfg.endpoint_timeout)),
    };
    let stream = match first {
        Ok(s) => s,
        Err(e) => {
            endpoint.status = match e {
                ConnError::Refused => Status::Closed,
                ConnError::ConnectTimeout(_) => Status::Timeout,
                _ => Status::Error,
            };
            endpoint.error = Some(e.to_string());
            endpoint.duration_ms = elapsed_ms(started);
            return endpoint;
        }
    };

    // Highest version first: its first answer tells whether this port speaks TLS at all.
    let mut versions = cfg.versions.clone();
    versions.sort_unstable_by(|a, b| b.cmp(a));
    let Some((&lead, rest)) = versions.split_first() else {
        endpoint.status = Status::Error;
        endpoint.error = Some("no protocol version to probe".into());
        return endpoint;
    };
    let mut lead_sweep = sweep_for(lead);
    let first_answer = match lead_sweep.next_offer() {
        Some(offer) => ctx.offer(&offer, Some(stream), cfg.retries).await,
        None => Answer::Declined,
    };
    let mut others: Vec<VersionSweep> = rest.iter().map(|&v| sweep_for(v)).collect();
    if let Answer::Failed(why) = &first_answer {
        if !ctx.saw_tls.load(Ordering::Relaxed) {
            let status = failure_status(why);
            // Silence to the newest hello may be version intolerance (some old stacks hang on
            // an unknown version instead of answering): one older hello tells the two apart,
            // without retries so that a truly silent port costs one timeout more, not two.
            let older = others
                .iter()
                .position(|s| s.version() != Protocol::Ssl2)
                .filter(|_| matches!(status, Status::Timeout | Status::Error));
            let mut answered = false;
            if let Some(i) = older {
                let mut sweep = others.remove(i);
                if let Some(offer) = sweep.next_offer() {
                    let answer = ctx.offer(&offer, None, 0).await;
                    answered = ctx.saw_tls.load(Ordering::Relaxed);
                    if answered {
                        sweep.observe(answer);
                    }
                }
                others.insert(i, sweep);
            }
            if !answered {
                endpoint.status = status;
                endpoint.error = Some(why.clone());
                endpoint.handshakes = ctx.handshakes.load(Ordering::Relaxed);
                endpoint.duration_ms = elapsed_ms(started);
                return endpoint;
            }
        }
    }
    lead_sweep.observe(first_answer);

    let mut sweeps = vec![ctx.run(lead_sweep)];
    for sweep in others {
        sweeps.push(ctx.run(sweep));
    }
    let sweeps = join_all(sweeps).await;
    let tls13_accepted = sweeps
        .iter()
        .any(|s| s.version() == Protocol::Tls13 && !s.accepted().is_empty());
    if tls13_accepted && ctx.lock_facts().chain.is_none() && !abort.is_cancelled() {
        ctx.tls13_certificate().await;
    }
    if cfg.extras && ctx.saw_tls.load(Ordering::Relaxed) && !abort.is_cancelled() {
        let known = {
            let f = ctx.lock_facts();
            let chain = f.chain.as_deref();
            behaviour::Known::new(&sweeps, f.ems, f.client_auth.is_some(), chain)
        };
        let extra = behaviour::probe(&ctx.link(), &known).await;
        ctx.lock_facts().extra = Some(extra);
    }

    endpoint.handshakes = ctx.handshakes.load(Ordering::Relaxed);
    endpoint.duration_ms = elapsed_ms(started);
    if !ctx.saw_tls.load(Ordering::Relaxed) {
        endpoint.status = Status::NotTls;
        endpoint.error = Some("the server closed every connection without a TLS answer".into());
        return endpoint;
    }
    endpoint.status = Status::Tls;

    let mut problems = Vec::new();
    let mut violated = false;
    for sweep in &sweeps {
        if let Some(f) = sweep.failure() {
            endpoint.incomplete = true;
            problems.push(format!("{}: {f}", sweep.version()));
        }
        if let Some(v) = sweep.violation() {
            // The sweep stopped at the violation: later suites of this version are unknown.
            endpoint.incomplete = true;
            violated = true;
            problems.push(format!("{}: protocol violation: {v}", sweep.version()));
        }
        if sweep.accepted().is_empty() {
            continue;
        }
        let suites: Vec<SuiteEntry> = sweep
            .accepted()
            .iter()
            .map(|&code| suite_entry(sweep.version(), code))
            .collect();
        let preferred = suites.first().map(|s| s.name.clone());
        endpoint.protocols.insert(
            sweep.version(),
            ProtocolResult {
                suites,
                server_order: sweep.server_order(),
                preferred,
            },
        );
    }
    endpoint.preferred_suite = endpoint
        .protocols
        .values()
        .next_back()
        .and_then(|p| p.preferred.clone());
    if !problems.is_empty() {
        endpoint.error = Some(problems.join("; "));
    }
    if violated && endpoint.protocols.is_empty() {
        // It speaks TLS, but nothing it said can be trusted as an acceptance.
        endpoint.status = Status::Error;
    }
    let facts = ctx
        .facts
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    facts.apply(&mut endpoint);
    endpoint
}

/// The candidates of a version. Below TLS 1.3 every pre-1.3 suite is offered, not only those
/// the RFCs allow at that version: a server that negotiates a TLS 1.2-only suite in TLS 1.0
/// is exactly what an audit must catch, and the longer list costs no extra handshake.
fn sweep_for(version: Protocol) -> VersionSweep {
    let db = cipher_db::db();
    match version {
        Protocol::Ssl2 => VersionSweep::new(version, db.ssl2_ciphers().iter().map(|c| c.code)),
        Protocol::Tls13 => {
            VersionSweep::new(version, db.suites_for(version).map(|s| u32::from(s.code)))
        }
        _ => VersionSweep::new(
            version,
            db.suites()
                .iter()
                .filter(|s| !s.is_tls13() && !s.flags.scsv && !s.flags.grease)
                .map(|s| u32::from(s.code)),
        ),
    }
}

fn suite_entry(version: Protocol, code: u32) -> SuiteEntry {
    let db = cipher_db::db();
    let known = if version == Protocol::Ssl2 {
        db.ssl2_ciphers()
            .iter()
            .find(|c| c.code == code)
            .map(|c| (c.name.clone(), None))
    } else {
        u16::try_from(code)
            .ok()
            .and_then(|c| db.suite(c))
            .map(|s| (s.display_name().to_string(), s.openssl.clone()))
    };
    let (name, openssl) = known.unwrap_or_else(|| (format!("UNKNOWN_{}", SuiteCode(code)), None));
    SuiteEntry {
        name,
        code: SuiteCode(code),
        openssl,
        approved: false,
    }
}

/// Whether `code` is an ephemeral finite-field DH suite (its ServerKeyExchange has the group).
fn is_dhe(code: u16) -> bool {
    cipher_db::db().suite(code).is_some_and(|s| s.kx == Kx::Dhe)
}

/// The status of an endpoint whose first hello got no TLS answer, from the failure's text
/// (the `ConnError` display).
fn failure_status(why: &str) -> Status {
    if why.starts_with("not TLS") || why.starts_with("malformed TLS") {
        // Bytes came back, but not one valid TLS message: whatever it is, it is not TLS.
        Status::NotTls
    } else if why.starts_with("no answer") || why.starts_with("connect timed out") {
        Status::Timeout
    } else {
        Status::Error
    }
}

#[cfg(test)]
mod status_tests {
    use super::*;
    use std::time::Duration;

    /// `failure_status` reads `ConnError` texts: keep the two in step.
    #[test]
    fn failures_map_to_statuses() {
        let cases = [
            (ConnError::NotTls("HTTP".into()), Status::NotTls),
            (
                ConnError::Protocol("record too long".into()),
                Status::NotTls,
            ),
            (
                ConnError::ReadTimeout(Duration::from_secs(1)),
                Status::Timeout,
            ),
            (
                ConnError::ConnectTimeout(Duration::from_secs(1)),
                Status::Timeout,
            ),
            (ConnError::Io("broken".into()), Status::Error),
        ];
        for (error, status) in cases {
            assert_eq!(failure_status(&error.to_string()), status, "{error}");
        }
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Runs futures concurrently and returns their outputs in order (tokio has no join_all).
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut slots: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, fut) in slots.iter_mut().zip(pinned.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    slots.into_iter().flatten().collect()
}

/// Shared state of one endpoint's sweeps.
struct Ctx<'a> {
    addr: SocketAddr,
    sni: Option<String>,
    cfg: &'a ProbeConfig,
    host: &'a HostHandle,
    abort: &'a CancellationToken,
    deadline: Instant,
    handshakes: AtomicU32,
    saw_tls: AtomicBool,
    facts: Mutex<Facts>,
}

impl Ctx<'_> {
    fn lock_facts(&self) -> std::sync::MutexGuard<'_, Facts> {
        self.facts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One full TLS 1.3 handshake, for a server whose certificate no cleartext flight showed.
    async fn tls13_certificate(&self) {
        let link = self.link();
        let Ok((_permit, stream)) = link.open().await else {
            return;
        };
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        let handshake = tls13::certificate(
            stream,
            self.addr,
            self.sni.as_deref(),
            link.within(self.cfg.handshake_timeout),
        );
        // The handshake's own limit does not cover the wait for a required-certificate alert.
        let result = tokio::time::timeout_at(self.deadline, handshake)
            .await
            .unwrap_or_else(|_| Err(conn::budget_exhausted(self.cfg.endpoint_timeout).to_string()));
        let result = match result {
            // A chain too large for rustls: read it from the flight ourselves.
            Err(e) if tls13_chain::rustls_refused_size(&e) => self
                .tls13_large_chain()
                .await
                .map_err(|again| format!("{e}; reading it without rustls: {again}")),
            other => other,
        };
        let mut facts = self.lock_facts();
        match result {
            Ok(f) => {
                if !f.chain.is_empty() {
                    facts.chain = Some(f.chain);
                }
                if f.client_cert_requested {
                    facts.client_auth = Some("requested");
                }
            }
            Err(e) => {
                facts.certificate_error = Some(format!("certificate checks could not be made: {e}"))
            }
        }
    }

    /// The TLS 1.3 chain read without rustls (one more handshake), for a Certificate message
    /// over rustls's 64 KiB limit.
    async fn tls13_large_chain(&self) -> Result<tls13::Tls13Facts, String> {
        let link = self.link();
        let (_permit, stream) = link.open().await.map_err(|e| e.to_string())?;
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        let limit = link.within(self.cfg.handshake_timeout);
        tls13_chain::read_chain(stream, self.sni.as_deref(), limit).await
    }

    async fn run(&self, mut sweep: VersionSweep) -> VersionSweep {
        while let Some(offer) = sweep.next_offer() {
            let answer = self.offer(&offer, None, self.cfg.retries).await;
            sweep.observe(answer);
        }
        sweep
    }

    /// Sends one offer (on `stream` when given, else on a new connection) and interprets the
    /// answer, retrying transient failures up to `retries` times.
    async fn offer(&self, offer: &Offer, stream: Option<TcpStream>, retries: u32) -> Answer {
        let hello = build_hello(offer, self.sni.as_deref());
        let until = if offer.version > Protocol::Tls12 || offer.version == Protocol::Ssl2 {
            ReadUntil::ServerHello
        } else if offer.purpose == Purpose::First {
            ReadUntil::FlightEnd
        } else if self.lock_facts().dh_bits.is_none() {
            // A DHE suite behind the preferred one (nginx: ECDHE first, DHE with a weak group
            // after it) shows its group only in its own flight; it costs no extra handshake.
            ReadUntil::FlightEndIf(is_dhe)
        } else {
            ReadUntil::ServerHello
        };
        match self.link().exchange(&hello, until, stream, retries).await {
            Ok(flight) => self.interpret(offer, flight),
            Err(e) => Answer::Failed(e.to_string()),
        }
    }

    /// The endpoint as the behaviour and group probes reach it: same limits, same budget,
    /// same handshake count.
    fn link(&self) -> behaviour::Link<'_> {
        behaviour::Link {
            addr: self.addr,
            sni: self.sni.as_deref(),
            cfg: self.cfg,
            host: self.host,
            abort: self.abort,
            deadline: self.deadline,
            handshakes: &self.handshakes,
        }
    }

    fn interpret(&self, offer: &Offer, flight: Flight) -> Answer {
        if let Some(cut) = &flight.cut {
            self.lock_facts().cut(offer.version, cut);
        }
        let mut messages = flight.messages.into_iter();
        let Some(first) = messages.next() else {
            // Closed without a word: a declined hello (many stacks just drop the connection).
            return Answer::Declined;
        };
        self.saw_tls.store(true, Ordering::Relaxed);
        let mut facts = self
            .facts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match first {
            ServerMessage::Alert(_) => Answer::Declined,
            ServerMessage::ServerHello(sh) => {
                let version = sh.version();
                if offer.purpose == Purpose::First {
                    facts.observe_hello(version, &sh);
                }
                let suite = sh.cipher_suite;
                for msg in messages {
                    facts.observe_flight(version, suite, msg);
                }
                Answer::Chosen { version, suite }
            }
            ServerMessage::HelloRetryRequest(hrr) => {
                if let Some(g) = hrr.selected_group {
                    facts.tls13_group(g);
                }
                Answer::Chosen {
                    version: hrr.version,
                    suite: hrr.cipher_suite,
                }
            }
            ServerMessage::Ssl2ServerHello(h) => Answer::Ssl2 {
                ciphers: h.cipher_specs,
            },
            other => Answer::Failed(format!(
                "unexpected first message from server: {}",
                message_name(&other)
            )),
        }
    }
}

fn message_name(m: &ServerMessage) -> &'static str {
    match m {
        ServerMessage::ServerHello(_) => "ServerHello",
        ServerMessage::HelloRetryRequest(_) => "HelloRetryRequest",
        ServerMessage::Certificate(_) => "Certificate",
        ServerMessage::CertificateStatus(_) => "CertificateStatus",
        ServerMessage::ServerKeyExchange(_) => "ServerKeyExchange",
        ServerMessage::CertificateRequest(_) => "CertificateRequest",
        ServerMessage::ServerHelloDone => "ServerHelloDone",
        ServerMessage::Alert(_) => "Alert",
        ServerMessage::ChangeCipherSpec => "ChangeCipherSpec",
        ServerMessage::EncryptedRecord => "an encrypted record",
        ServerMessage::Ssl2ServerHello(_) => "SSLv2 ServerHello",
        ServerMessage::OtherHandshake { .. } => "an unexpected handshake message",
    }
}

fn build_hello(offer: &Offer, sni: Option<&str>) -> Vec<u8> {
    let mut random = [0u8; 32];
    // A predictable random only weakens a handshake we never finish; fall back rather than fail.
    let _ = aws_lc_rs::rand::fill(&mut random);
    if offer.version == Protocol::Ssl2 {
        let mut challenge = [0u8; 16];
        challenge.copy_from_slice(&random[..16]);
        return wire::ssl2_client_hello(&offer.suites, challenge);
    }
    let suites: Vec<u16> = offer
        .suites
        .iter()
        .filter_map(|&c| u16::try_from(c).ok())
        .collect();
    let tls13 = offer.version == Protocol::Tls13;
    let hello = ProbeHello {
        version: offer.version,
        suites: &suites,
        sni,
        groups: if tls13 { GROUPS_TLS13 } else { GROUPS_TLS12 },
        key_shares: if tls13 && offer.key_shares {
            KEY_SHARES_TLS13
        } else {
            &[]
        },
        sig_schemes: SIG_SCHEMES,
        ems: true,
        renegotiation_scsv: offer.version == Protocol::Ssl3,
        fallback_scsv: false,
        random,
    };
    // SSLv3 servers may refuse a TLS record version; everything else gets the 0x0301 that
    // version-intolerant servers expect in the record layer.
    let record_version = offer.version.wire().min(0x0301);
    hello.to_client_hello().encode_records(record_version)
}

/// Facts gathered along the way, at no extra handshake.
#[derive(Default)]
struct Facts {
    ems: Option<bool>,
    secure_renegotiation: Option<bool>,
    compression: Option<bool>,
    session_ticket: Option<bool>,
    encrypt_then_mac: Option<bool>,
    ocsp_stapling: Option<bool>,
    client_auth: Option<&'static str>,
    groups: Vec<u16>,
    /// Signature schemes the server signed TLS 1.2 ServerKeyExchanges with, in order seen.
    sig_schemes: Vec<u16>,
    dh_bits: Option<u32>,
    chain: Option<Vec<Vec<u8>>>,
    /// Why the chain is shorter than what the server sent, when it is.
    chain_truncated: Option<wire::Truncation>,
    certificate_error: Option<String>,
    /// Flights whose reading stopped at a cap after the server answered (once per version).
    cuts: Vec<String>,
    extra: Option<behaviour::ExtraFacts>,
}

impl Facts {
    fn observe_hello(&mut self, version: u16, sh: &wire::ServerHello) {
        if version >= 0x0304 {
            if let Some(g) = sh.key_share_group() {
                self.tls13_group(g);
            }
            return;
        }
        // Extension echoes are only meaningful for the highest TLS <= 1.2 version seen.
        if version == 0x0303 || self.ems.is_none() {
            self.ems = Some(sh.has_extension(0x0017));
            self.secure_renegotiation = Some(sh.secure_renegotiation());
            self.compression = Some(sh.compression != 0);
            self.session_ticket = Some(sh.has_extension(0x0023));
            self.encrypt_then_mac = Some(sh.has_extension(0x0016));
            self.ocsp_stapling = Some(sh.has_extension(0x0005));
        }
    }

    /// Notes a flight read up to a cap: the answer counts, what came after it is unknown.
    fn cut(&mut self, version: Protocol, why: &ConnError) {
        let note = format!("{version}: reading stopped: {why}");
        if !self.cuts.contains(&note) {
            self.cuts.push(note);
        }
    }

    fn tls13_group(&mut self, g: u16) {
        if !self.groups.contains(&g) {
            self.groups.push(g);
        }
    }

    /// Reads one message of a TLS <= 1.2 flight after the ServerHello of `version`.
    ///
    /// Signature schemes: in TLS 1.2 an ECDHE/DHE ServerKeyExchange names the scheme the
    /// server signed with (RFC 5246 §7.4.3), so every such flight the sweeps read whole (the
    /// first hello's, and DHE hellos until the DH group is known) adds its scheme to
    /// `extensions.signature_schemes`. No handshake is made for this: what those flights show
    /// is the list, i.e. the schemes the server picked for our offer (which lists every scheme
    /// in `SIG_SCHEMES`, strongest first), not every scheme it would accept. TLS 1.0/1.1
    /// flights name no scheme; TLS 1.3 signs inside the encrypted handshake.
    fn observe_flight(&mut self, version: u16, suite: u16, msg: ServerMessage) {
        match msg {
            ServerMessage::Certificate(c) if self.chain.is_none() => match c.truncated {
                // Not one whole certificate within the cap: nothing to grade.
                Some(cut) if c.chain.is_empty() => {
                    self.certificate_error =
                        Some(format!("certificate checks could not be made: {cut}"));
                }
                cut => {
                    self.chain = Some(c.chain);
                    self.chain_truncated = cut;
                }
            },
            ServerMessage::CertificateRequest(_) => self.client_auth = Some("requested"),
            ServerMessage::ServerKeyExchange(ske) => {
                let Some(known) = cipher_db::db().suite(suite) else {
                    return;
                };
                let kind = match known.kx {
                    Kx::Ecdhe => KxKind::Ecdhe,
                    Kx::Dhe => KxKind::Dhe,
                    _ => return,
                };
                match ske.params(kind) {
                    Ok(KxParams::Ecdhe { named_curve }) => self.tls13_group(named_curve),
                    Ok(KxParams::Dhe { prime_bits }) => self.dh_bits = Some(prime_bits),
                    Err(_) => {}
                }
                // Anonymous suites sign nothing, so their ServerKeyExchange has no scheme.
                if version == 0x0303 && !known.flags.anonymous {
                    if let Ok(scheme) = ske.signature_scheme(kind) {
                        if !self.sig_schemes.contains(&scheme) {
                            self.sig_schemes.push(scheme);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn apply(self, e: &mut Endpoint) {
        let db = cipher_db::db();
        e.groups = self
            .groups
            .iter()
            .map(|&g| {
                db.group(g)
                    .map(|g| g.name.clone())
                    .unwrap_or_else(|| format!("0x{g:04X}"))
            })
            .collect();
        let mut put = |k: &str, v: Option<bool>| {
            if let Some(v) = v {
                e.extensions
                    .insert(k.to_string(), serde_json::Value::Bool(v));
            }
        };
        put("extended_master_secret", self.ems);
        put("secure_renegotiation", self.secure_renegotiation);
        put("compression", self.compression);
        put("session_ticket", self.session_ticket);
        put("encrypt_then_mac", self.encrypt_then_mac);
        put("ocsp_stapling", self.ocsp_stapling);
        if !self.sig_schemes.is_empty() {
            let names: Vec<serde_json::Value> = self
                .sig_schemes
                .iter()
                .map(|&code| {
                    db.sig_scheme(code)
                        .map(|s| s.name.clone())
                        .unwrap_or_else(|| format!("0x{code:04X}"))
                        .into()
                })
                .collect();
            e.extensions
                .insert("signature_schemes".into(), serde_json::Value::Array(names));
        }
        if let Some(bits) = self.dh_bits {
            e.extensions
                .insert("dh_bits".into(), serde_json::Value::from(bits));
        }
        if let Some(ca) = self.client_auth {
            e.extensions
                .insert("client_certificate".into(), serde_json::Value::from(ca));
        }
        if let Some(chain) = self.chain {
            let mut described = crate::probe::cert::describe_chain(&chain, &e.host, e.ip);
            if let (Some(cut), Some(obj)) = (self.chain_truncated, described.as_object_mut()) {
                // The certificates past the cap were not seen, so not graded.
                obj.insert("truncated".into(), serde_json::Value::from(cut.to_string()));
            }
            e.certificate = Some(described);
        } else if let Some(err) = self.certificate_error {
            e.certificate = Some(serde_json::json!({ "error": err }));
        }
        if let Some(extra) = self.extra {
            extra.apply(e);
        }
        if !self.cuts.is_empty() {
            let mut notes: Vec<String> = e.error.take().into_iter().collect();
            notes.extend(self.cuts);
            e.error = Some(notes.join("; "));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod facts_tests {
    use super::*;
    use crate::wire::ServerKeyExchange;

    /// An ECDHE ServerKeyExchange on secp256r1 signed with `scheme` (TLS 1.2 layout).
    fn ecdhe_ske(scheme: u16) -> ServerMessage {
        let mut body = vec![3, 0, 0x17, 1, 4];
        body.extend(scheme.to_be_bytes());
        body.extend([0, 2, 0xaa, 0xbb]);
        ServerMessage::ServerKeyExchange(ServerKeyExchange { body })
    }

    fn schemes(facts: Facts) -> Option<serde_json::Value> {
        let mut e = Endpoint {
            status: Status::Tls,
            ..Endpoint::new(
                "t".into(),
                "127.0.0.1".into(),
                std::net::IpAddr::from([127, 0, 0, 1]),
                443,
            )
        };
        facts.apply(&mut e);
        e.extensions.get("signature_schemes").cloned()
    }

    #[test]
    fn tls12_flights_record_each_scheme_once_by_name() {
        let mut facts = Facts::default();
        facts.observe_flight(0x0303, 0xC02F, ecdhe_ske(0x0201));
        facts.observe_flight(0x0303, 0xC02F, ecdhe_ske(0x0804));
        facts.observe_flight(0x0303, 0xC02F, ecdhe_ske(0x0201));
        facts.observe_flight(0x0303, 0xC02F, ecdhe_ske(0xFEFE));
        assert_eq!(facts.groups, [0x17]);
        assert_eq!(
            schemes(facts).unwrap(),
            serde_json::json!(["rsa_pkcs1_sha1", "rsa_pss_rsae_sha256", "0xFEFE"])
        );
    }

    #[test]
    fn older_versions_and_anonymous_suites_name_no_scheme() {
        let mut facts = Facts::default();
        // TLS 1.1: the bytes after the params are the signature's length, not a scheme.
        facts.observe_flight(0x0302, 0xC02F, ecdhe_ske(0x0201));
        // ECDH_anon signs nothing.
        facts.observe_flight(0x0303, 0xC018, ecdhe_ske(0x0201));
        // Static RSA has no ServerKeyExchange to read.
        facts.observe_flight(0x0303, 0x009C, ecdhe_ske(0x0201));
        assert_eq!(schemes(facts), None);
    }
}

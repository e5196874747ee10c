//! Probes one endpoint: a connect first (closed ports cost one SYN), then one sweep per
//! protocol version, run side by side within the per-host connection cap, then the
//! certificate and behaviour probes. The result is an [`Observation`]: accepted versions,
//! refused versions with the answer that says so, typed facts, and a gap for every probe
//! that could not give its answer.
//!
//! The first hello (the highest version) goes out on the connection the connect sweep
//! opened. When it gets no TLS answer: bytes that are not TLS end the probe as `not_tls`;
//! silence may be version intolerance, so one older hello (no retry) decides between
//! `timeout` and going on. No failure is ever taken for a refusal: the version it happened in
//! gets a gap, and the endpoint cannot pass (docs/report.md, "Verdicts").
//!
//! Against a server that serves one connection at a time (OpenSSL `s_server`), the sweeps'
//! connections wait in its listen backlog with their hellos already sent, and each is
//! answered as soon as the one before closes: we close right after the ServerHello, so this
//! costs milliseconds, not timeouts (tests/scan_openssl.rs checks it with the default cap).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cipher_db::{self, Kx};
use crate::model::{
    Accepted, ClientCertificate, ConnError, EndpointId, Gap, GapCause, HelloLimit, Observation,
    Probe, Refusal, Skip, Status, SuiteCode, Violation,
};
use crate::probe::behaviour;
use crate::probe::check::check_answer;
use crate::probe::collect::Collected;
use crate::probe::conn::{self, FlightEnd, ReadUntil};
use crate::probe::connect::{self, Opened};
use crate::probe::intolerance::{self, Check, Verdict};
use crate::probe::limits::HostHandle;
use crate::probe::link::{Link, Reply};
use crate::probe::offer::{
    groups_tls12, groups_tls13, sig_schemes_tls13, KEY_SHARES_TLS13, SIG_SCHEMES,
};
use crate::probe::plan::{Answer, Limit, Offer, Purpose, VersionSweep};
use crate::probe::retry::PathStats;
use crate::probe::{tls13, tls13_chain};
use crate::protocol::Protocol;
use crate::targets::EndpointSpec;
use crate::wire::{self, ClientHello, ProbeHello, ServerMessage};

/// Timeouts and retries for one endpoint.
#[derive(Clone, Debug)]
pub struct ProbeConfig {
    /// TCP connect.
    pub connect_timeout: Duration,
    /// One hello's answer.
    pub handshake_timeout: Duration,
    /// The whole endpoint: when it runs out, the sweeps stop and what is known is reported.
    pub endpoint_timeout: Duration,
    /// Extra attempts after a timeout (resets and closes have their own budget, see
    /// `probe::retry`).
    pub retries: u32,
    /// SNI to send instead of the target's host name.
    pub sni: Option<String>,
    /// Versions to probe; the others are reported as not probed, never as refused.
    pub versions: Vec<Protocol>,
    /// After the cipher sweeps, run the group sweeps and the behaviour probes (EMS
    /// enforcement, fallback SCSV, features, client certificate). Off (`--suites-only`):
    /// versions, suites, order and what the sweeps' own flights show; the probes left out are
    /// reported as not probed.
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
) -> Observation {
    probe_opened(spec, cfg, host, abort, Opened::NotYet, Duration::ZERO).await
}

/// [`probe`] after the engine's connect stage: `opened` is what it found, `connecting` how long
/// it took (counted in the endpoint's duration, not in its budget).
pub async fn probe_opened(
    spec: &EndpointSpec,
    cfg: &ProbeConfig,
    host: &HostHandle,
    abort: &CancellationToken,
    opened: Opened,
    connecting: Duration,
) -> Observation {
    let started = Instant::now();
    let addr = SocketAddr::new(spec.ip, spec.port);
    let id = endpoint_id(spec, cfg);
    let sni = id.sni.clone();
    let ctx = Ctx {
        addr,
        sni,
        cfg,
        host,
        abort,
        deadline: conn::deadline_after(started, cfg.endpoint_timeout),
        handshakes: AtomicU32::new(0),
        path: PathStats::default(),
        witness: Mutex::new(None),
        saw_tls: AtomicBool::new(false),
        collected: Mutex::new(Collected::default()),
    };
    // Boxed here and at the other deep awaits: in a debug build each layer of an inline future
    // is copied onto the stack as it is polled, and the whole probe overflowed a 2 MiB thread.
    let mut obs = Box::pin(ctx.run(id, opened)).await;
    obs.handshakes = ctx.handshakes.load(Ordering::Relaxed);
    obs.duration_ms = elapsed_ms(started).saturating_add(elapsed_ms_of(connecting));
    obs
}

/// The observation of an endpoint whose connect sweep (in the engine's connect stage) failed.
pub fn connect_failed(
    spec: &EndpointSpec,
    cfg: &ProbeConfig,
    error: ConnError,
    connecting: Duration,
) -> Observation {
    let mut obs = Observation::failed(endpoint_id(spec, cfg), error);
    obs.duration_ms = elapsed_ms_of(connecting);
    obs
}

fn endpoint_id(spec: &EndpointSpec, cfg: &ProbeConfig) -> EndpointId {
    let sni = cfg
        .sni
        .clone()
        .or_else(|| spec.sni.as_deref().map(str::to_string));
    EndpointId {
        sni,
        explicit: spec.explicit,
        service: crate::targets::service_for_port(spec.port).map(str::to_string),
        ..EndpointId::new(
            spec.target.to_string(),
            spec.host.to_string(),
            spec.ip,
            spec.port,
        )
    }
}

/// What the first answers showed the server can take.
#[derive(Clone, Copy, Debug)]
struct Tolerance {
    /// A TLS <= 1.2 version accepted our full-size hello.
    full_hello: bool,
    /// TLS 1.3 accepted our hello, with the extensions every hello carries.
    extensions: bool,
}

/// How much retrying an offer gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Contact {
    /// The first hello to the endpoint: nothing is known of it yet, so resets and closes get
    /// only a couple of retries (a port that closes everything must not cost ten hellos).
    First,
    /// A hello that only tells two failures apart: no retry.
    Once,
    /// A sweep's hello: the full retries.
    Sweep,
}

/// Shared state of one endpoint's probes.
struct Ctx<'a> {
    addr: SocketAddr,
    sni: Option<String>,
    cfg: &'a ProbeConfig,
    host: &'a HostHandle,
    abort: &'a CancellationToken,
    deadline: Instant,
    handshakes: AtomicU32,
    path: PathStats,
    witness: Mutex<Option<(Vec<u8>, ReadUntil)>>,
    saw_tls: AtomicBool,
    collected: Mutex<Collected>,
}

impl Ctx<'_> {
    async fn run(&self, id: EndpointId, opened: Opened) -> Observation {
        // The connect sweep (`probe::connect`): closed and filtered addresses stop here.
        let stream = match opened {
            Opened::Stream(s) => Some(s),
            Opened::Answered => None,
            Opened::NotYet => {
                let port = self.addr.port();
                match connect::sweep(port, id.explicit, self.cfg, self.host, self.abort).await {
                    Ok(s) => Some(s),
                    Err(e) => return Observation::failed(id, e),
                }
            }
        };

        let mut gaps: Vec<Gap> = Protocol::ALL
            .iter()
            .filter(|v| !self.cfg.versions.contains(v))
            .map(|&v| Gap {
                probe: Probe::Suites(v),
                cause: GapCause::Skipped(Skip::NotRequested),
            })
            .collect();
        // Highest version first: its first answer tells whether this port speaks TLS at all.
        let mut versions = self.cfg.versions.clone();
        versions.sort_unstable_by(|a, b| b.cmp(a));
        versions.dedup();
        let Some((&lead, rest)) = versions.split_first() else {
            let mut obs = Observation::new(id);
            obs.gaps = gaps;
            return obs;
        };
        let lead_sweep = sweep_for(lead);
        let first_answer = match lead_sweep.next_offer() {
            Some(offer) => self.offer(&offer, stream, Contact::First).await,
            None => Answer::Refused(Refusal::Dropped { times: 0 }),
        };
        // Each sweep with its first answer, when it has one already.
        let mut sweeps: Vec<(VersionSweep, Option<Answer>)> =
            rest.iter().map(|&v| (sweep_for(v), None)).collect();
        if let Answer::Failed(why) = &first_answer {
            if !self.saw_tls() {
                // Silence to the newest hello may be version intolerance (some old stacks
                // hang on an unknown version instead of answering): one older hello tells the
                // two apart. Bytes that are not TLS, or a closed port, need no second try.
                let worth_trying = !matches!(why, ConnError::NotTls | ConnError::Refused)
                    && !matches!(why, ConnError::Malformed(_));
                let older = sweeps
                    .iter()
                    .position(|(s, _)| s.version() != Protocol::Ssl2)
                    .filter(|_| worth_trying);
                if let Some((sweep, first)) = older.and_then(|i| sweeps.get_mut(i)) {
                    if let Some(offer) = sweep.next_offer() {
                        let answer = self.offer(&offer, None, Contact::Once).await;
                        if self.saw_tls() {
                            *first = Some(answer);
                        }
                    }
                }
                if !self.saw_tls() {
                    return Observation::failed(id, why.clone());
                }
            }
        }
        // A first offer lost to a reset or a close, on an endpoint that speaks TLS, is asked
        // again with the sweeps' full retries: first contact is never a conclusion.
        let again =
            matches!(&first_answer, Answer::Failed(e) if e.is_transient() && !e.is_timeout());
        sweeps.insert(0, (lead_sweep, (!again).then_some(first_answer)));

        // Every version's first, full-size answer, before any sweep goes on: whether the server
        // took a full hello anywhere decides how its refusals are read (probe::intolerance).
        let firsts = join_all(
            sweeps
                .iter()
                .map(|(sweep, first)| async move {
                    match (first, sweep.next_offer()) {
                        (Some(a), _) => Some(a.clone()),
                        (None, Some(offer)) => Some(self.offer(&offer, None, Contact::Sweep).await),
                        (None, None) => None,
                    }
                })
                .collect(),
        )
        .await;
        let took = |wanted: &dyn Fn(Protocol) -> bool| {
            sweeps.iter().zip(&firsts).any(|((sweep, _), first)| {
                let v = sweep.version();
                wanted(v)
                    && matches!(first, Some(Answer::Chosen { version, .. }) if *version == v.wire())
            })
        };
        let tolerance = Tolerance {
            full_hello: took(&|v| (Protocol::Ssl3..=Protocol::Tls12).contains(&v)),
            extensions: took(&|v| v == Protocol::Tls13),
        };
        // A server that took TLS 1.3 and no older version's first hello shows its chain only
        // in a TLS 1.3 handshake: that handshake runs beside the sweeps instead of after them.
        let early_certificate = !tolerance.full_hello
            && tolerance.extensions
            && self.lock().chain.is_none()
            && !self.abort.is_cancelled();
        let (sweeps, early) = tokio::join!(
            join_all(
                sweeps
                    .into_iter()
                    .zip(firsts)
                    .map(|((sweep, _), first)| self.go_on(sweep, first, tolerance))
                    .collect(),
            ),
            async {
                if early_certificate {
                    Some(self.tls13_certificate().await)
                } else {
                    None
                }
            }
        );
        // A version that accepted too few suites to show the server's order wants its
        // credential recheck (probe::plan) unless another version shows the server follows the
        // client's order, as every stack tested does or does not for all versions alike.
        let client_order = sweeps.iter().any(|s| s.server_order() == Some(false));
        let sweeps = join_all(
            sweeps
                .into_iter()
                .map(|mut sweep| async move {
                    if sweep.recheck_deferred() && !client_order {
                        sweep.resume_recheck();
                        self.sweep(sweep).await
                    } else {
                        sweep
                    }
                })
                .collect(),
        )
        .await;
        if !self.saw_tls() {
            // Every attempt failed the same way before any TLS answer.
            let why = sweeps
                .iter()
                .find_map(VersionSweep::failure)
                .cloned()
                .unwrap_or(ConnError::Closed { partial: false });
            return Observation::failed(id, why);
        }

        let mut obs = Observation::new(id);
        obs.status = Status::Tls;
        let violation = sweeps.iter().find_map(|s| match s.gap() {
            Some(ConnError::Violation(v)) => Some(v),
            _ => None,
        });
        for sweep in &sweeps {
            let version = sweep.version();
            if let Some(e) = sweep.gap() {
                gaps.push(Gap {
                    probe: Probe::Suites(version),
                    cause: GapCause::Failed(e),
                });
            }
            if !sweep.accepted().is_empty() {
                obs.accepted.insert(
                    version,
                    Accepted {
                        suites: sweep.accepted().iter().map(|&c| SuiteCode(c)).collect(),
                        server_order: sweep.server_order(),
                    },
                );
            } else if let (Some(r), None) = (sweep.refusal(), sweep.gap()) {
                obs.refused.insert(version, r);
            }
        }

        Box::pin(self.certificate(&obs, &mut gaps, early)).await;
        let keyless = sweeps
            .iter()
            .any(|s| s.version() == Protocol::Tls13 && s.keyless_ok());
        let known = {
            let c = self.lock();
            let mut known = behaviour::Known::new(
                &obs.accepted,
                c.ems,
                c.client_auth,
                c.chain.as_deref(),
                keyless,
            );
            known.tls13_signed = c.tls13_signed.clone();
            known
        };
        let extra = if self.cfg.extras && !self.abort.is_cancelled() {
            Box::pin(behaviour::probe(&self.link(), &known)).await
        } else {
            let cause = if self.abort.is_cancelled() {
                GapCause::Failed(ConnError::Aborted)
            } else {
                GapCause::Skipped(Skip::SuitesOnly)
            };
            behaviour::not_run(&known, cause)
        };
        let collected = std::mem::take(&mut *self.lock());
        obs.gaps = gaps;
        behaviour::assemble(&mut obs, collected, extra);
        for sweep in &sweeps {
            if let Some(limit) = sweep.limit().filter(|_| !sweep.accepted().is_empty()) {
                obs.facts.hello_limits.insert(
                    sweep.version(),
                    HelloLimit {
                        max_suites: u16::try_from(limit.max_suites).unwrap_or(u16::MAX),
                        without_optional_extensions: limit.minimal,
                    },
                );
            }
        }
        if let (true, Some(v)) = (obs.accepted.is_empty(), violation) {
            // It speaks TLS, but nothing it said can be trusted as an acceptance.
            obs.status = Status::Error;
            obs.failure = Some(ConnError::Violation(v));
        }
        obs
    }

    /// The certificate: from a TLS <= 1.2 flight when one carried it, else (TLS 1.3 only)
    /// from a full rustls handshake (`early`: the one already made beside the sweeps). A TLS
    /// endpoint whose chain could not be read gets a gap.
    async fn certificate(
        &self,
        obs: &Observation,
        gaps: &mut Vec<Gap>,
        early: Option<Result<(), ConnError>>,
    ) {
        if let Some(Err(e)) = &early {
            let mut c = self.lock();
            if c.chain.is_none() {
                c.chain_error = Some(e.clone());
            }
        }
        if self.lock().chain.is_some() {
            return;
        }
        let tls13 = obs.accepted.contains_key(&Protocol::Tls13);
        if tls13 && early.is_none() && !self.abort.is_cancelled() {
            match self.tls13_certificate().await {
                Ok(()) => return,
                Err(e) => self.lock().chain_error = Some(e),
            }
        }
        if obs.accepted.is_empty() {
            return;
        }
        let cause = match self.lock().chain_error.clone() {
            Some(e) => GapCause::Failed(e),
            None if self.abort.is_cancelled() => GapCause::Failed(ConnError::Aborted),
            // Only SSLv2 accepted, or a flight the probe did not read whole.
            None => GapCause::Failed(ConnError::Violation(Violation::Missing(
                "no flight carried the certificate chain",
            ))),
        };
        gaps.push(Gap {
            probe: Probe::Certificate,
            cause,
        });
    }

    /// One full TLS 1.3 handshake, for a server whose certificate no cleartext flight showed.
    /// When rustls fails (its Certificate message size limit, or a server that will not take
    /// rustls's hello: some drop any hello carrying `status_request`, which rustls always
    /// sends), one more hello with only the extensions TLS 1.3 needs reads the chain without
    /// rustls (`probe::tls13_chain`); what only the rest of the handshake shows (OCSP stapling,
    /// a required client certificate) then stays unknown.
    async fn tls13_certificate(&self) -> Result<(), ConnError> {
        let link = self.link();
        let (stream, permit) = link.connect_for_handshake().await?;
        let limit = link.time_left(self.cfg.handshake_timeout);
        let schemes = sig_schemes_tls13();
        let handshake = tls13::certificate(stream, self.addr, self.sni.as_deref(), limit, schemes);
        // The handshake's own limit does not cover the wait for a required-certificate alert.
        let facts = match tokio::time::timeout_at(self.deadline, handshake).await {
            Err(_) => Err(ConnError::BudgetExhausted(self.cfg.endpoint_timeout)),
            Ok(Err(e)) if worth_a_plain_hello(&e) => {
                drop(permit);
                // Ours asking for the staple (padded, so a length it dropped is not one it
                // sees again), then, if that fails too, ours asking for nothing optional.
                let mut last = None;
                for status_request in [true, false] {
                    let (stream, _permit) = link.connect_for_handshake().await?;
                    let limit = link.time_left(self.cfg.handshake_timeout);
                    let hello = tls13_chain::Hello {
                        sni: self.sni.as_deref(),
                        schemes: sig_schemes_tls13(),
                        status_request,
                        cert_schemes: &[],
                    };
                    match tls13_chain::read_flight(stream, hello, limit).await {
                        Ok(facts) => {
                            last = Some(Ok(facts));
                            break;
                        }
                        Err(plain) => last = Some(Err(plain)),
                    }
                }
                match last {
                    Some(Ok(facts)) => Ok(facts),
                    // Too large for rustls is what rustls said; otherwise rustls's failure
                    // says more than the fallback's.
                    Some(Err(plain)) if tls13_chain::rustls_refused_size(&e) => Err(plain),
                    _ => Err(e),
                }
            }
            Ok(other) => other,
        }?;
        let mut c = self.lock();
        c.tls13_ocsp = facts.ocsp_stapled;
        if facts.client_cert_requested {
            c.client_auth = Some(ClientCertificate::Requested);
        } else if c.client_auth.is_none() {
            c.client_auth = Some(ClientCertificate::NotRequested);
        }
        if facts.chain.is_empty() {
            return Err(ConnError::Violation(Violation::Missing(
                "the TLS 1.3 handshake carried no certificate",
            )));
        }
        if let Some(scheme) = facts.scheme {
            c.tls13_signed = Some((scheme, facts.chain.clone()));
        }
        c.chain = Some(facts.chain);
        Ok(())
    }

    /// Goes on with `sweep` after its first answer: through the intolerance check when the
    /// answer calls for it, then to the end.
    async fn go_on(
        &self,
        mut sweep: VersionSweep,
        first: Option<Answer>,
        tolerance: Tolerance,
    ) -> VersionSweep {
        let Some(first) = first else {
            return sweep;
        };
        if !Check::needed(sweep.version(), &first, tolerance.full_hello) {
            sweep.observe(first);
            return self.sweep(sweep).await;
        }
        let mut check = Check::new(&sweep, tolerance.extensions);
        while let Some(offer) = check.next_offer() {
            let answer = self.offer(&offer, None, Contact::Sweep).await;
            check.observe(answer);
        }
        match check.verdict().cloned() {
            Some(Verdict::Limited(limit, replay)) => {
                sweep = sweep.limited(limit);
                for answer in replay {
                    sweep.observe(answer);
                }
            }
            Some(Verdict::Refused(r)) => {
                let windows = check.window_answers();
                if windows.is_empty() {
                    sweep.observe(Answer::Refused(r));
                } else {
                    // Each window refused alone: replayed into a sweep of the same size, so that
                    // a refusal of a window mixing credential suites is rechecked (probe::plan)
                    // in a hello as small as those the server was offered. The replay stops
                    // where the sweep's offers stop being the check's windows.
                    sweep = sweep.limited(Limit {
                        max_suites: intolerance::MAX_SUITES,
                        minimal: false,
                    });
                    for (window, answer) in windows {
                        if sweep.next_offer().is_none_or(|o| o.suites != window) {
                            break;
                        }
                        sweep.observe(answer.clone());
                    }
                }
            }
            Some(Verdict::Failed(e)) => sweep.observe(Answer::Failed(e)),
            None => sweep.observe(first),
        }
        self.sweep(sweep).await
    }

    async fn sweep(&self, mut sweep: VersionSweep) -> VersionSweep {
        while let Some(offer) = sweep.next_offer() {
            let answer = self.offer(&offer, None, Contact::Sweep).await;
            sweep.observe(answer);
        }
        sweep
    }

    /// Sends one offer (on `stream` when given, else on a new connection) and interprets the
    /// answer, with the retries `contact` allows.
    async fn offer(&self, offer: &Offer, stream: Option<TcpStream>, contact: Contact) -> Answer {
        let (bytes, hello) = build_hello(offer, self.sni.as_deref());
        let until = if offer.version > Protocol::Tls12 || offer.version == Protocol::Ssl2 {
            ReadUntil::ServerHello
        } else if offer.purpose == Purpose::First {
            ReadUntil::FlightEnd
        } else if self.lock().dh_bits.is_none() {
            // A DHE suite behind the preferred one (nginx: ECDHE first, DHE with a weak group
            // after it) shows its group only in its own flight; it costs no extra handshake.
            ReadUntil::FlightEndIf(is_dhe)
        } else {
            ReadUntil::ServerHello
        };
        let link = self.link();
        let reply = match contact {
            Contact::First => link.exchange_first(&bytes, until, stream).await,
            Contact::Once => link.exchange_once(&bytes, until).await,
            Contact::Sweep => link.exchange(&bytes, until, stream).await,
        };
        match reply {
            Reply::Answer(flight) => {
                if let FlightEnd::Ssl2Error(code) = flight.end {
                    self.saw_tls.store(true, Ordering::Relaxed);
                    return Answer::Refused(Refusal::Ssl2Error(code));
                }
                let cut = flight.cut().cloned();
                if let (Some(hello), Some(first)) = (&hello, flight.messages.first()) {
                    if let Err(v) = check_answer(hello, first) {
                        if !matches!(first, ServerMessage::Alert(_)) {
                            self.saw_tls.store(true, Ordering::Relaxed);
                        }
                        return Answer::Failed(v.into());
                    }
                }
                self.interpret(offer, flight.messages, cut)
            }
            Reply::Dropped { times } => Answer::Refused(Refusal::Dropped { times }),
            Reply::Failed(e) => Answer::Failed(e),
        }
    }

    fn interpret(
        &self,
        offer: &Offer,
        messages: Vec<ServerMessage>,
        cut: Option<ConnError>,
    ) -> Answer {
        let mut messages = messages.into_iter();
        let Some(first) = messages.next() else {
            return Answer::Failed(ConnError::Closed { partial: false });
        };
        if let ServerMessage::Alert(a) = &first {
            self.saw_tls.store(true, Ordering::Relaxed);
            return Answer::Refused(Refusal::Alert(a.description));
        }
        let mut c = self.lock();
        match first {
            ServerMessage::ServerHello(sh) => {
                self.saw_tls.store(true, Ordering::Relaxed);
                let version = sh.version();
                if offer.version == Protocol::Tls13 && version == Protocol::Tls13.wire() {
                    if let Some(g) = sh.key_share_group().filter(|g| !groups_tls13().contains(g)) {
                        return Answer::Failed(Violation::UnofferedGroup(g).into());
                    }
                }
                if offer.purpose == Purpose::First {
                    c.observe_hello(version, &sh);
                } else if version >= Protocol::Tls13.wire() {
                    if let Some(g) = sh.key_share_group() {
                        c.group(g);
                    }
                }
                let suite = sh.cipher_suite;
                let mut read_whole = false;
                for msg in messages {
                    read_whole |= matches!(msg, ServerMessage::ServerHelloDone);
                    c.observe_flight(version, suite, &msg);
                }
                if offer.purpose == Purpose::First && !read_whole && version < 0x0304 {
                    if let Some(e) = cut {
                        c.chain_error.get_or_insert(e);
                    }
                }
                Answer::Chosen { version, suite }
            }
            ServerMessage::HelloRetryRequest(hrr) => {
                self.saw_tls.store(true, Ordering::Relaxed);
                match hrr.selected_group {
                    Some(g) if groups_tls13().contains(&g) => c.group(g),
                    Some(g) => return Answer::Failed(Violation::UnofferedGroup(g).into()),
                    None => {}
                }
                Answer::Chosen {
                    version: hrr.version,
                    suite: hrr.cipher_suite,
                }
            }
            ServerMessage::Ssl2ServerHello(h) => {
                self.saw_tls.store(true, Ordering::Relaxed);
                Answer::Ssl2 {
                    ciphers: h.cipher_specs,
                }
            }
            other => Answer::Failed(Violation::UnexpectedMessage(other.name()).into()),
        }
    }

    fn saw_tls(&self) -> bool {
        self.saw_tls.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Collected> {
        self.collected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The endpoint as every probe reaches it: same limits, budget and handshake count.
    fn link(&self) -> Link<'_> {
        Link {
            addr: self.addr,
            sni: self.sni.as_deref(),
            cfg: self.cfg,
            host: self.host,
            abort: self.abort,
            deadline: self.deadline,
            handshakes: &self.handshakes,
            path: &self.path,
            witness: &self.witness,
        }
    }
}

/// The candidates of a version. Below TLS 1.3 every pre-1.3 suite is offered, not only those
/// the RFCs allow at that version: a server that negotiates a TLS 1.2-only suite in TLS 1.0
/// is exactly what an audit must catch, and the longer list costs no extra handshake. Suites
/// that need a credential go last (`probe::plan`'s credential recheck).
fn sweep_for(version: Protocol) -> VersionSweep {
    let db = cipher_db::db();
    match version {
        Protocol::Ssl2 => VersionSweep::new(version, db.ssl2_ciphers().iter().map(|c| c.code)),
        Protocol::Tls13 => {
            VersionSweep::new(version, db.suites_for(version).map(|s| u32::from(s.code)))
        }
        _ => {
            let offered = || {
                db.suites()
                    .iter()
                    .filter(|s| !s.is_tls13() && !s.flags.scsv && !s.flags.grease)
            };
            VersionSweep::new(version, offered().map(|s| u32::from(s.code))).with_credential_suites(
                offered()
                    .filter(|s| s.needs_credential())
                    .map(|s| u32::from(s.code)),
            )
        }
    }
}

/// Whether `code` is an ephemeral finite-field DH suite (its ServerKeyExchange has the group).
fn is_dhe(code: u16) -> bool {
    cipher_db::db().suite(code).is_some_and(|s| s.kx == Kx::Dhe)
}

fn elapsed_ms(started: Instant) -> u64 {
    elapsed_ms_of(started.elapsed())
}

fn elapsed_ms_of(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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

/// The bytes of `offer`'s hello, and the hello itself (for checking the answer against it;
/// `None` for the SSLv2 hello, whose answer lists ciphers rather than choosing one).
fn build_hello(offer: &Offer, sni: Option<&str>) -> (Vec<u8>, Option<ClientHello>) {
    let random = behaviour::random();
    if offer.version == Protocol::Ssl2 {
        let mut challenge = [0u8; 16];
        challenge.copy_from_slice(&random[..16]);
        return (wire::ssl2_client_hello(&offer.suites, challenge), None);
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
        groups: if tls13 {
            groups_tls13()
        } else {
            groups_tls12()
        },
        key_shares: if tls13 && offer.key_shares {
            KEY_SHARES_TLS13
        } else {
            &[]
        },
        sig_schemes: SIG_SCHEMES,
        ems: !offer.minimal,
        // The SCSV signals secure renegotiation without an extension (RFC 5746 §3.3).
        renegotiation_scsv: offer.version == Protocol::Ssl3 || offer.minimal,
        fallback_scsv: false,
        random,
    };
    // SSLv3 servers may refuse a TLS record version; everything else gets the 0x0301 that
    // version-intolerant servers expect in the record layer.
    let record_version = offer.version.wire().min(0x0301);
    let hello = hello.to_client_hello().padded();
    (hello.encode_records(record_version), Some(hello))
}

/// Whether a failed rustls TLS 1.3 handshake is worth one hello without rustls: an answer the
/// server gave rustls's hello (an alert, a reset or close, a silence, or rustls refusing what
/// came back), not the endpoint's time running out or the scan stopping.
fn worth_a_plain_hello(e: &ConnError) -> bool {
    matches!(
        e,
        ConnError::Alert(_)
            | ConnError::Reset { .. }
            | ConnError::Closed { .. }
            | ConnError::ReadTimeout { .. }
            | ConnError::Handshake(_)
    )
}

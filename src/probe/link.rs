//! How every probe of one endpoint reaches it: one hello per connection, within the host's
//! connection cap, the endpoint's time budget and the abort token, every handshake counted,
//! and transient faults retried as `probe::retry` says. Sweeps, group sweeps and behaviour
//! probes all go through [`Link::exchange`], so a server never sees two retry policies.
//! Everything here ends at the endpoint's deadline: waiting for the host slot or a rate token,
//! connecting, backing off, reading.
//!
//! How long an attempt waits is [`Patience`]: what the scan's round-trip figures say
//! (`probe::rtt`) when a retry follows, the user's full limits for a retry after a timeout
//! and for an attempt nothing follows, so no hello is ever concluded on a learned guess.
//! Every connect and answer is timed into the figures.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::model::ConnError;
use crate::probe::conn::{self, Flight, ReadUntil};
use crate::probe::limits::HostHandle;
use crate::probe::retry::{
    self, Attempt, DropVerdict, PathStats, FIRST_CONTACT_RETRIES, MAX_FAST_RETRIES,
};
use crate::probe::rtt::{Leg, ANSWER_FLOOR};

/// Retries of a whole handshake lost before any byte of the answer ([`Link::retrying`]): a
/// fault on a path that resets, but also how some stacks refuse a hello, so fewer than for a
/// reset in the middle of an answer.
pub const SILENT_RETRIES: u32 = 3;
use crate::probe::ProbeConfig;
use crate::wire::ServerMessage;

/// How to reach the endpoint, shared by all its probes.
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
    /// What the endpoint's exchanges have shown of its path (fault rate, retry budget).
    pub path: &'a PathStats,
    /// A hello the server answered with a ServerHello, to show it still answers (see
    /// `probe::retry`).
    pub witness: &'a Mutex<Option<(Vec<u8>, ReadUntil)>>,
}

/// The answer to one hello, after retries.
#[derive(Debug)]
pub enum Reply {
    /// What the server sent: at least one whole message, or an SSLv2 error.
    Answer(Flight),
    /// The hello was dropped (closed or reset before any byte) this many times in a row,
    /// more than chance on this path explains: the server's way of refusing it.
    Dropped {
        /// Attempts, all dropped.
        times: u8,
    },
    /// No answer could be had.
    Failed(ConnError),
}

/// How long one attempt waits for its connect and its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Patience {
    /// What the scan's figures say (`probe::rtt`): only when a retry follows.
    Learned,
    /// The user's `--connect-timeout` and `--handshake-timeout`.
    Full,
    /// Until this instant, but at least a learned connect wait and the shortest answer
    /// wait (`rtt::ANSWER_FLOOR`), at most the user's limits.
    Until(Instant),
}

/// The first contact (first hello, its retry, the older hello after a silence) ends this many
/// halves of `--handshake-timeout` after the first hello went out: 7.5 s at the defaults, so
/// that a port that accepts and never answers costs well under 10 s, while the first hello
/// itself always gets the full limit once.
const FIRST_CONTACT_HALVES: u32 = 3;

fn dropped(times: u32) -> Reply {
    Reply::Dropped {
        times: u8::try_from(times).unwrap_or(u8::MAX),
    }
}

impl Link<'_> {
    /// Sends one hello on a new connection.
    pub async fn send(&self, hello: &[u8], until: ReadUntil) -> Reply {
        self.exchange(hello, until, None).await
    }

    /// Sends one hello (on `stream` when given, else on a new connection) and returns the
    /// answer, retrying transient faults: timeouts `cfg.retries` times, fast faults (resets,
    /// closes) up to [`MAX_FAST_RETRIES`] times, all within the endpoint's retry budget.
    pub async fn exchange(
        &self,
        hello: &[u8],
        until: ReadUntil,
        stream: Option<TcpStream>,
    ) -> Reply {
        self.exchange_with(
            hello,
            until,
            stream,
            self.cfg.retries,
            MAX_FAST_RETRIES,
            Patience::Learned,
        )
        .await
    }

    /// [`Self::exchange`] for the first hello to an endpoint nothing is known of: fast faults
    /// get [`FIRST_CONTACT_RETRIES`] retries, so that a port that closes every connection
    /// costs a few hellos, not ten.
    pub async fn exchange_first(
        &self,
        hello: &[u8],
        until: ReadUntil,
        stream: Option<TcpStream>,
    ) -> Reply {
        self.path.first_contact();
        self.exchange_with(
            hello,
            until,
            stream,
            self.cfg.retries,
            FIRST_CONTACT_RETRIES,
            Patience::Learned,
        )
        .await
    }

    /// One attempt, no retry: for a hello that only tells two failures apart (the older hello
    /// after a silent first one). It waits what is left of the first contact's budget (at
    /// least `rtt::ANSWER_FLOOR`).
    pub async fn exchange_once(&self, hello: &[u8], until: ReadUntil) -> Reply {
        let half = self.cfg.handshake_timeout / 2;
        let end = self
            .path
            .first_contact()
            .checked_add(half.saturating_mul(FIRST_CONTACT_HALVES))
            .unwrap_or(self.deadline);
        self.exchange_with(hello, until, None, 0, 0, Patience::Until(end))
            .await
    }

    async fn exchange_with(
        &self,
        hello: &[u8],
        until: ReadUntil,
        mut stream: Option<TcpStream>,
        timeout_retries: u32,
        fast_retries: u32,
        patience: Patience,
    ) -> Reply {
        let mut timeouts = 0u32;
        let mut fast = 0u32;
        let mut drops = 0u32;
        let mut answers_at_first_drop = 0u32;
        loop {
            // A learned wait only where a retry with the full limits can follow it.
            let patience = match patience {
                Patience::Learned
                    if timeouts > 0
                        || timeouts >= timeout_retries
                        || self.path.retries_left() == 0 =>
                {
                    Patience::Full
                }
                other => other,
            };
            let e = match self.attempt(hello, until, stream.take(), patience).await {
                Ok(flight) => {
                    self.path.record(Attempt::Answered);
                    self.note_witness(hello, until, &flight);
                    // Drops of this very hello that a retry got past were faults of the path.
                    self.path.resolved(drops);
                    return Reply::Answer(flight);
                }
                Err(e) => e,
            };
            if !e.is_transient() {
                return Reply::Failed(e);
            }
            if e.is_silent_drop() {
                self.path.record(Attempt::Dropped);
                if drops == 0 {
                    answers_at_first_drop = self.path.answers();
                }
                drops += 1;
                match self.path.judge_drops(drops, answers_at_first_drop) {
                    DropVerdict::Retry => {}
                    DropVerdict::Refusal => return dropped(drops),
                    DropVerdict::NeedWitness => {
                        return if self.witness_answers().await {
                            dropped(drops)
                        } else {
                            Reply::Failed(e)
                        };
                    }
                }
            } else {
                self.path.record(Attempt::Fault);
                // The server began an answer (or the path timed out): earlier drops of this
                // hello were faults too, and it is not being refused by drops.
                self.path.resolved(drops);
                drops = 0;
            }
            let again = if e.is_timeout() {
                timeouts += 1;
                timeouts <= timeout_retries
            } else {
                fast += 1;
                fast <= fast_retries && !self.path.hopeless()
            };
            if !again || self.abort.is_cancelled() || !self.path.take_retry() {
                return Reply::Failed(e);
            }
            // No retry starts that the endpoint's budget cannot finish.
            let waited = if e.is_timeout() {
                retry::backoff_until(timeouts, self.deadline).await
            } else {
                retry::fast_backoff_until(fast, self.deadline).await
            };
            if !waited {
                return Reply::Failed(e);
            }
        }
    }

    /// Keeps the first hello the server answered with a ServerHello as the witness.
    fn note_witness(&self, hello: &[u8], until: ReadUntil, flight: &Flight) {
        if !matches!(flight.messages.first(), Some(ServerMessage::ServerHello(_))) {
            return;
        }
        let mut w = self.witness.lock().unwrap_or_else(PoisonError::into_inner);
        if w.is_none() {
            *w = Some((hello.to_vec(), until));
        }
    }

    /// Sends the witness hello once: whether the server answered it.
    async fn witness_answers(&self) -> bool {
        let witness = self
            .witness
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some((hello, until)) = witness else {
            return false;
        };
        match self.attempt(&hello, until, None, Patience::Full).await {
            Ok(_) => {
                self.path.record(Attempt::Answered);
                true
            }
            Err(e) => {
                self.path.record(if e.is_silent_drop() {
                    Attempt::Dropped
                } else {
                    Attempt::Fault
                });
                false
            }
        }
    }

    /// One attempt: connect (unless given a stream), send, read.
    async fn attempt(
        &self,
        hello: &[u8],
        until: ReadUntil,
        stream: Option<TcpStream>,
        patience: Patience,
    ) -> Result<Flight, ConnError> {
        if self.abort.is_cancelled() {
            return Err(ConnError::Aborted);
        }
        let exhausted = || ConnError::BudgetExhausted(self.cfg.endpoint_timeout);
        if Instant::now() >= self.deadline {
            return Err(exhausted());
        }
        // Waiting for the host slot and the rate token counts against the budget.
        let _permit = self
            .host
            .connection_until(self.deadline)
            .await
            .ok_or_else(exhausted)?;
        let stream = match stream {
            Some(s) => s,
            None => self.connect(patience).await?,
        };
        let (_, answer) = self.waits(patience);
        let sent = Instant::now();
        let budget = || self.deadline.saturating_duration_since(sent);
        // A learned wait grows with what the scan learns while it waits (a wave of answers
        // slower than the first ones), never shrinks.
        let limit = || match patience {
            Patience::Learned => self.waits(patience).1.max(answer).min(budget()),
            _ => answer.min(budget()),
        };
        // The rest of an answer that has begun waits the user's limit, never a learned one.
        let rest = self.cfg.handshake_timeout.min(budget());
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        let r = tokio::select! {
            r = conn::exchange_within(stream, hello, until, limit, rest, self.deadline) => r,
            () = self.abort.cancelled() => return Err(ConnError::Aborted),
        };
        if matches!(&r, Ok(flight) if flight.cut().is_none()) {
            self.host
                .rtt()
                .record(self.addr.ip(), Leg::Answer, sent.elapsed());
        }
        match r {
            // The endpoint's budget, not the hello's own limit, is what ran out.
            Err(ConnError::ReadTimeout { .. }) if Instant::now() >= self.deadline => {
                Err(ConnError::BudgetExhausted(self.cfg.endpoint_timeout))
            }
            other => other,
        }
    }

    /// The connect and answer limits of an attempt with this patience.
    fn waits(&self, patience: Patience) -> (Duration, Duration) {
        let (connect, answer) = (self.cfg.connect_timeout, self.cfg.handshake_timeout);
        let rtt = self.host.rtt();
        let ip = self.addr.ip();
        let learned = || {
            (
                rtt.connect_timeout(ip, 0, connect),
                rtt.answer_timeout(ip, answer),
            )
        };
        match patience {
            Patience::Full => (connect, answer),
            Patience::Learned => learned(),
            Patience::Until(end) => {
                let left = end.saturating_duration_since(Instant::now());
                let c = rtt.connect_timeout(ip, 0, connect);
                (left.max(c).min(connect), left.max(ANSWER_FLOOR).min(answer))
            }
        }
    }

    /// A new connection, timed into the figures.
    async fn connect(&self, patience: Patience) -> Result<TcpStream, ConnError> {
        let (limit, _) = self.waits(patience);
        // No connect outlasts the endpoint's budget.
        let limit = conn::within(limit, self.deadline)
            .ok_or(ConnError::BudgetExhausted(self.cfg.endpoint_timeout))?;
        let timed = tokio::select! {
            t = conn::connect_timed(self.addr, || limit) => t,
            () = self.abort.cancelled() => return Err(ConnError::Aborted),
        };
        match timed {
            Ok((stream, took)) => {
                self.host.rtt().record(self.addr.ip(), Leg::Connect, took);
                Ok(stream)
            }
            Err((e, took)) => {
                if e == ConnError::Refused {
                    self.host.rtt().record(self.addr.ip(), Leg::Connect, took);
                }
                Err(e)
            }
        }
    }

    /// A fresh connection for a full handshake (rustls), within the same cap and budget;
    /// the handshake is counted.
    pub async fn connect_for_handshake(
        &self,
    ) -> Result<(TcpStream, tokio::sync::OwnedSemaphorePermit), ConnError> {
        if self.abort.is_cancelled() {
            return Err(ConnError::Aborted);
        }
        let exhausted = || ConnError::BudgetExhausted(self.cfg.endpoint_timeout);
        let permit = self
            .host
            .connection_until(self.deadline)
            .await
            .ok_or_else(exhausted)?;
        let mut attempt = 0;
        let stream = retry::run(self.cfg.retries, self.abort, self.deadline, || {
            // The first connect waits what the figures say, the retries the full limit.
            let patience = if attempt == 0 && self.cfg.retries > 0 {
                Patience::Learned
            } else {
                Patience::Full
            };
            attempt += 1;
            self.connect(patience)
        })
        .await?;
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        Ok((stream, permit))
    }

    /// Runs `handshake` (a whole exchange on a connection of its own, as the TLS 1.3 scheme
    /// hellos are) again after a reset or a close, as [`Self::exchange`] retries a hello: up to
    /// [`MAX_FAST_RETRIES`] times when the server had begun its answer, [`SILENT_RETRIES`] times
    /// when it had sent nothing (what some stacks do to refuse a hello), within the endpoint's
    /// retry budget. Timeouts are not retried here: the caller's limit was waited out in full.
    pub async fn retrying<T, F, Fut>(&self, mut handshake: F) -> Result<T, ConnError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ConnError>>,
    {
        let mut tries = 0u32;
        loop {
            let e = match handshake().await {
                Ok(v) => {
                    self.path.record(Attempt::Answered);
                    return Ok(v);
                }
                Err(e) => e,
            };
            if !e.is_transient() || e.is_timeout() {
                return Err(e);
            }
            self.path.record(Attempt::Fault);
            tries += 1;
            let most = if e.is_silent_drop() {
                SILENT_RETRIES
            } else {
                MAX_FAST_RETRIES
            };
            if tries > most
                || self.path.hopeless()
                || self.abort.is_cancelled()
                || !self.path.take_retry()
                || !retry::fast_backoff_until(tries, self.deadline).await
            {
                return Err(e);
            }
        }
    }

    /// The time left in the endpoint's budget, at most `cap`.
    pub fn time_left(&self, cap: std::time::Duration) -> std::time::Duration {
        cap.min(self.deadline.saturating_duration_since(Instant::now()))
    }
}

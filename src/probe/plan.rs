//! What to offer next, given the answers so far: the cipher sweep and the server-order test
//! for one protocol version. Pure: no I/O, no clock, no tokio.
//!
//! The sweep offers every remaining candidate, records the suite the server chose, removes
//! it and offers the rest again, until the server declines. A server that follows the client
//! therefore reveals the accepted suites in our offer order; one that chooses by its own order
//! reveals that order. So when the suites came back in any other order than ours, the server
//! does not follow the client, and no further handshake is needed. Only when they came back
//! in our order (client order, or a server order that happens to agree with ours) are the
//! accepted suites offered once more, reversed: a server-order server picks the same first
//! suite again, a client-order server picks our new first.
//!
//! That costs (accepted + 1) handshakes per version, plus one for the order test where at
//! least two suites were accepted in our order.
//!
//! TLS 1.3 offers after the first carry an empty key_share list (RFC 8446 §4.2.8 allows it):
//! the server names its suite and group in a HelloRetryRequest without computing a key
//! exchange or signing anything, which keeps a scan cheap for the server. The first offer
//! carries real shares, so TLS 1.3 detection does not depend on that; and a server that
//! declines the first empty-share offer gets the same offer again with shares (one extra
//! handshake), and shares from then on.
//!
//! A server that cannot take our full offer (hello intolerance: more than 128 suites, or
//! optional extensions it chokes on, see `probe::endpoint`) is swept with a [`Limit`]: each
//! hello offers at most `max_suites` of the remaining candidates; a refusal drops those from
//! the candidates (the server said no to every one of them) and the next ones are offered.
//! The suites found that way come in each window's order, not the server's overall one, so
//! an ordering pass then offers the found suites alone, removing the server's pick each time
//! (found - 1 hellos), before the usual order test.
//!
//! Suites that need a credential a scanner never holds (PSK, SRP, Kerberos, password: see
//! [`VersionSweep::with_credential_suites`]) are offered last. Some stacks list them without
//! being configured for them and answer handshake_failure when the one they pick is among
//! them (Erlang/OTP with SRP), so a refusal of a hello that mixes them with ordinary suites
//! says nothing about the ordinary ones: unless the server was seen to follow our order (a
//! client-order server reaches them only after every ordinary suite it has), such a refusal
//! is rechecked once with the ordinary suites alone. When the recheck finds more, the mixed
//! refusal hid suites, and the credential suites get an offer of their own at the end. The
//! recheck costs one hello per version on servers that choose by their own order (or accept
//! at most one suite) and refuse the rest with an alert other than protocol_version.
//!
//! Deciding from the sweep also keeps servers with order heuristics right: Go picks from a
//! ChaCha20-first list when the client's first suite is not AES-GCM, so a reversed offer led
//! by ChaCha20 or 3DES made Go look like it followed the client. Every sweep offer keeps our
//! order (AES-GCM first), so Go shows its usual AES-GCM-first order, which is not ours.

use crate::model::{ConnError, Refusal, Violation};
use crate::protocol::Protocol;

/// One ClientHello to send: the version to offer and the suites, in offer order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Highest version offered (for SSLv2 a separate hello format is used).
    pub version: Protocol,
    /// Suite codes in offer order (SSLv2: the 24-bit cipher specs).
    pub suites: Vec<u32>,
    /// Why this offer is made; the engine uses it to decide how much of the flight to read.
    pub purpose: Purpose,
    /// TLS 1.3: send key shares. When false, the key_share list is empty and the server
    /// answers with a HelloRetryRequest. Ignored below TLS 1.3.
    pub key_shares: bool,
    /// Leave the optional extensions out (extended_master_secret, renegotiation_info: the
    /// SCSV says the same), for a server that refuses hellos carrying them.
    pub minimal: bool,
}

/// What a hello-intolerant server can take: at most `max_suites` suites per hello, and no
/// optional extensions when `minimal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Most suites per hello.
    pub max_suites: usize,
    /// Optional extensions left out.
    pub minimal: bool,
}

/// Why an offer is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The first offer of a version: everything we know.
    First,
    /// A later sweep offer (what remains).
    Sweep,
    /// The server-order test: accepted suites reversed.
    OrderTest,
    /// A limited sweep's ordering pass: the found suites alone.
    Ordering,
}

/// What the server said to an offer, as far as planning cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A ServerHello or HelloRetryRequest: `version` is the negotiated wire version.
    Chosen {
        /// Negotiated version (wire code).
        version: u16,
        /// The suite the server chose.
        suite: u16,
    },
    /// An SSLv2 ServerHello with the cipher specs the server has in common with us.
    Ssl2 {
        /// 24-bit cipher specs.
        ciphers: Vec<u32>,
    },
    /// The server declined the offer in the protocol: an alert, an SSLv2 error, or a drop
    /// confirmed by repetition (`probe::retry`).
    Refused(Refusal),
    /// No answer could be had (timeout, reset, not TLS...). Never a rejection.
    Failed(ConnError),
}

/// The sweep of one protocol version.
#[derive(Clone, Debug)]
pub struct VersionSweep {
    version: Protocol,
    /// Every candidate in offer order (the order a client-order server follows).
    order: Vec<u32>,
    candidates: Vec<u32>,
    found: Vec<u32>,
    state: State,
    server_order: Option<bool>,
    failure: Option<ConnError>,
    violation: Option<Violation>,
    /// The answer that ended the sweep, when it was a refusal (the evidence that a version
    /// is not accepted, when nothing was found).
    refusal: Option<Refusal>,
    shares: Shares,
    limit: Option<Limit>,
    /// A limited sweep's ordering pass: found suites not yet picked, and the picks in order.
    pool: Vec<u32>,
    ordered: Vec<u32>,
    /// Candidates that need a credential the probe does not hold.
    credentials: std::collections::HashSet<u32>,
    /// Credential suites held back while the rest is rechecked without them.
    aside: Vec<u32>,
    /// The refused hello a deferred recheck offers again (without its credential suites).
    deferred: Vec<u32>,
    recheck: Recheck,
}

/// The credential recheck (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recheck {
    /// Not (yet) called for.
    No,
    /// Called for once the order test tells whether the server follows our order.
    AfterOrderTest,
    /// Called for unless another version shows the server follows the client's order: this
    /// one accepted too few suites to tell.
    Deferred,
    /// The ordinary suites are being swept without the credential ones; `found` held this
    /// many suites when the recheck began.
    Asked { found_before: usize },
    /// Done, or not needed.
    Over,
}

/// Whether TLS 1.3 offers carry key shares (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shares {
    /// The first offer: real shares.
    First,
    /// Empty shares, not yet answered.
    Trying,
    /// Empty shares work with this server.
    Empty,
    /// This server needs shares.
    Needed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Sweeping,
    Ordering,
    OrderTest,
    Done,
}

impl VersionSweep {
    /// A sweep of `version` over `candidates` (in offer order; duplicates are dropped).
    pub fn new(version: Protocol, candidates: impl IntoIterator<Item = u32>) -> VersionSweep {
        // Hundreds of candidates per version: a set keeps this linear.
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<u32> = candidates.into_iter().filter(|c| seen.insert(*c)).collect();
        let state = if unique.is_empty() {
            State::Done
        } else {
            State::Sweeping
        };
        VersionSweep {
            version,
            order: unique.clone(),
            candidates: unique,
            found: Vec::new(),
            state,
            server_order: None,
            failure: None,
            violation: None,
            refusal: None,
            shares: Shares::First,
            limit: None,
            pool: Vec::new(),
            ordered: Vec::new(),
            credentials: std::collections::HashSet::new(),
            aside: Vec::new(),
            deferred: Vec::new(),
            recheck: Recheck::No,
        }
    }

    /// Marks which candidates need a credential the probe does not hold; they move to the
    /// end of the offer order (keeping their relative order).
    pub fn with_credential_suites(mut self, codes: impl IntoIterator<Item = u32>) -> VersionSweep {
        self.credentials = codes.into_iter().collect();
        let creds = &self.credentials;
        self.order.sort_by_key(|c| creds.contains(c));
        self.candidates = self.order.clone();
        self
    }

    /// The same sweep started over within `limit` (for a hello-intolerant server).
    pub fn limited(&self, limit: Limit) -> VersionSweep {
        let mut sweep = VersionSweep::new(self.version, self.order.iter().copied())
            .with_credential_suites(self.credentials.iter().copied());
        sweep.limit = Some(limit);
        sweep
    }

    /// The limit this sweep runs within, if any.
    pub fn limit(&self) -> Option<Limit> {
        self.limit
    }

    /// The candidates in offer order, cut into the windows a limited sweep would offer first:
    /// what the intolerance check sends.
    pub fn windows(&self, max_suites: usize) -> Vec<Vec<u32>> {
        self.order
            .chunks(max_suites.max(1))
            .map(<[u32]>::to_vec)
            .collect()
    }

    /// The version this sweep probes.
    pub fn version(&self) -> Protocol {
        self.version
    }

    /// The next hello to send, or `None` when the sweep is complete.
    pub fn next_offer(&self) -> Option<Offer> {
        let key_shares = matches!(self.shares, Shares::First | Shares::Needed);
        let minimal = self.limit.is_some_and(|l| l.minimal);
        let max = self.limit.map_or(usize::MAX, |l| l.max_suites.max(1));
        let offer = |suites: Vec<u32>, purpose| Offer {
            version: self.version,
            suites,
            purpose,
            key_shares,
            minimal,
        };
        match self.state {
            State::Done => None,
            State::Sweeping => Some(offer(
                self.candidates.iter().take(max).copied().collect(),
                if self.found.is_empty() {
                    Purpose::First
                } else {
                    Purpose::Sweep
                },
            )),
            State::Ordering => Some(offer(self.pool.clone(), Purpose::Sweep)),
            State::OrderTest => Some(offer(
                self.found.iter().rev().copied().collect(),
                Purpose::OrderTest,
            )),
        }
    }

    /// Records the server's answer to the offer last returned by [`Self::next_offer`].
    pub fn observe(&mut self, answer: Answer) {
        if self.shares == Shares::Trying && self.state == State::Sweeping {
            let works =
                matches!(answer, Answer::Chosen { version, .. } if version == self.version.wire());
            if !works && !matches!(answer, Answer::Failed(_)) {
                // Declined (or downgraded) without shares, after accepting TLS 1.3 with them:
                // ask again the same way the first offer did.
                self.shares = Shares::Needed;
                return;
            }
            self.shares = Shares::Empty;
        }
        match (self.state, answer) {
            (State::Done, _) => {}
            (_, Answer::Failed(why)) => {
                self.failure = Some(why);
                self.state = State::Done;
            }
            (State::Sweeping, Answer::Ssl2 { ciphers }) => {
                // SSLv2 lists every common cipher at once: one hello is the whole sweep.
                self.found = self
                    .candidates
                    .iter()
                    .copied()
                    .filter(|c| ciphers.contains(c))
                    .collect();
                self.state = State::Done;
            }
            (State::Sweeping, Answer::Chosen { version, suite }) => {
                if version != self.version.wire() {
                    if version > self.version.wire() {
                        self.violation = Some(Violation::UnofferedVersion {
                            offered: self.version,
                            got: version,
                        });
                    } else {
                        // The server negotiated a lower version: it does not accept this one
                        // (with the suites still on offer).
                        self.refusal = Some(Refusal::OtherVersion(version));
                    }
                    self.end_of_sweep();
                    return;
                }
                let suite = u32::from(suite);
                match self.candidates.iter().position(|&c| c == suite) {
                    Some(i) => {
                        self.candidates.remove(i);
                        self.found.push(suite);
                        if self.version == Protocol::Tls13 && self.shares == Shares::First {
                            self.shares = Shares::Trying;
                        }
                        if self.candidates.is_empty() {
                            self.end_of_sweep();
                        }
                    }
                    None => {
                        self.violation = Some(Violation::UnofferedSuite(
                            u16::try_from(suite).unwrap_or(u16::MAX),
                        ));
                        self.state = State::Done;
                    }
                }
            }
            (State::Sweeping, Answer::Refused(r)) => {
                self.refusal = Some(r);
                let max = self.limit.map_or(usize::MAX, |l| l.max_suites.max(1));
                let mix = self.recheck == Recheck::No && self.refused_a_mix(r, max);
                if mix && self.found.len() <= 1 {
                    // This version cannot tell the server's order; another may. The sweep goes
                    // on as after any refusal, and `resume_recheck` offers this hello again.
                    self.deferred = self.candidates.iter().take(max).copied().collect();
                    self.recheck = Recheck::Deferred;
                }
                if mix && self.recheck == Recheck::No {
                    if self.limit.is_none() && self.found_in_offer_order() {
                        // A client-order server needs no recheck: the order test says which
                        // this is.
                        self.recheck = Recheck::AfterOrderTest;
                        self.state = State::OrderTest;
                    } else {
                        self.start_recheck();
                    }
                } else if self.candidates.len() > max {
                    // A limited sweep: the server refused every suite of this window; the
                    // next window may still hold some it accepts.
                    self.candidates.drain(..max);
                } else {
                    self.end_of_sweep();
                }
            }
            (State::Ordering, Answer::Chosen { version, suite }) => {
                let suite = u32::from(suite);
                match self.pool.iter().position(|&c| c == suite) {
                    Some(i) if version == self.version.wire() => {
                        self.pool.remove(i);
                        self.ordered.push(suite);
                        if self.pool.len() == 1 {
                            self.ordered.append(&mut self.pool);
                            self.found = std::mem::take(&mut self.ordered);
                            self.order_or_test();
                        }
                    }
                    // Not one of its own accepted suites: no overall order can be told.
                    _ => self.state = State::Done,
                }
            }
            (State::Ordering, _) => self.state = State::Done,
            (State::OrderTest, Answer::Chosen { version, suite }) => {
                let suite = u32::from(suite);
                self.server_order = if version != self.version.wire() {
                    None
                } else if Some(&suite) == self.found.first() {
                    Some(true)
                } else if Some(&suite) == self.found.last() {
                    Some(false)
                } else {
                    // Neither our first nor its first: the server reorders by rules of its
                    // own (Go's AES/ChaCha heuristic). It does not follow the client.
                    Some(true)
                };
                self.state = State::Done;
                if self.recheck == Recheck::AfterOrderTest {
                    if self.server_order == Some(false) {
                        self.recheck = Recheck::Over;
                    } else {
                        self.start_recheck();
                    }
                }
            }
            (State::OrderTest, _) => self.state = State::Done,
        }
    }

    /// Whether the sweep ended on a refusal that wants the credential recheck unless the
    /// server is shown (by another version) to follow the client's order.
    pub fn recheck_deferred(&self) -> bool {
        self.recheck == Recheck::Deferred
            && self.state == State::Done
            && self.failure.is_none()
            && self.violation.is_none()
    }

    /// Goes on with a deferred recheck (the server was not seen to follow the client's
    /// order): the sweep has offers again.
    pub fn resume_recheck(&mut self) {
        if self.recheck_deferred() {
            self.candidates = std::mem::take(&mut self.deferred);
            self.start_recheck();
        }
    }

    /// Whether the refusal `r` of the current offer (the first `max` candidates) is one the
    /// credential recheck should look behind: an alert (not protocol_version, which refuses
    /// the version whatever the suites) to a hello mixing credential and ordinary suites.
    fn refused_a_mix(&self, r: Refusal, max: usize) -> bool {
        use crate::wire::AlertDescription;
        let alert = matches!(r, Refusal::Alert(d) if d != AlertDescription::PROTOCOL_VERSION);
        let window = || self.candidates.iter().take(max);
        alert
            && window().any(|c| self.credentials.contains(c))
            && window().any(|c| !self.credentials.contains(c))
    }

    /// Sets the credential suites aside and offers the ordinary ones again.
    fn start_recheck(&mut self) {
        let creds = &self.credentials;
        let (aside, ordinary): (Vec<u32>, Vec<u32>) =
            self.candidates.iter().partition(|c| creds.contains(c));
        self.aside = aside;
        self.candidates = ordinary;
        self.recheck = Recheck::Asked {
            found_before: self.found.len(),
        };
        self.state = State::Sweeping;
    }

    /// The candidates are exhausted or refused: when a recheck found suites the mixed refusal
    /// hid, the credential suites set aside get an offer of their own; else the sweep ends.
    fn end_of_sweep(&mut self) {
        if let Recheck::Asked { found_before } = self.recheck {
            self.recheck = Recheck::Over;
            if self.found.len() > found_before && !self.aside.is_empty() && self.violation.is_none()
            {
                self.candidates = std::mem::take(&mut self.aside);
                self.state = State::Sweeping;
                return;
            }
        }
        self.finish_sweep();
    }

    fn finish_sweep(&mut self) {
        self.state = State::Done;
        if self.violation.is_some() {
            return;
        }
        if self.server_order.is_some() {
            // Told by the order test before a credential recheck went on.
            return;
        }
        if self.found.len() < 2 || self.version == Protocol::Ssl2 {
            return;
        }
        let max = self.limit.map_or(usize::MAX, |l| l.max_suites.max(1));
        if self.limit.is_some() {
            if self.found.len() <= max {
                // Found window by window: ask for the server's order among them all.
                self.pool = self.found.clone();
                self.ordered.clear();
                self.state = State::Ordering;
            }
            return;
        }
        self.order_or_test();
    }

    /// With the suites found in the server's overall order: the order test when they came in
    /// our order, else the server's order is proven.
    fn order_or_test(&mut self) {
        self.state = State::Done;
        if self.found_in_offer_order() {
            self.state = State::OrderTest;
        } else {
            // A client-order server could only have answered in our order.
            self.server_order = Some(true);
        }
    }

    /// Whether the suites were found in the order we offer them.
    fn found_in_offer_order(&self) -> bool {
        let rank = |s: &u32| self.order.iter().position(|o| o == s);
        self.found.windows(2).all(|pair| match pair {
            [a, b] => matches!((rank(a), rank(b)), (Some(x), Some(y)) if x < y),
            _ => true,
        })
    }

    /// True when no more offers are needed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Accepted suites in the order found (the server's preference when `server_order`).
    pub fn accepted(&self) -> &[u32] {
        &self.found
    }

    /// True when this TLS 1.3 server answered a hello without key shares (with a
    /// HelloRetryRequest): later probes can learn its choices without a key exchange.
    pub fn keyless_ok(&self) -> bool {
        self.shares == Shares::Empty
    }

    /// Whether the server enforces its own order (None: moot or unknown).
    pub fn server_order(&self) -> Option<bool> {
        self.server_order
    }

    /// Why the sweep could not finish, if it could not.
    pub fn failure(&self) -> Option<&ConnError> {
        self.failure.as_ref()
    }

    /// A protocol violation seen during the sweep (it stopped there).
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// The refusal that ended the sweep, if it ended on one.
    pub fn refusal(&self) -> Option<Refusal> {
        self.refusal
    }

    /// Why the sweep's list may be incomplete: its failure or its violation.
    pub fn gap(&self) -> Option<ConnError> {
        self.failure
            .clone()
            .or_else(|| self.violation.clone().map(ConnError::Violation))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A scripted server: accepts `supported` at `version`, choosing by `server_pref` order
    /// when given, else the client's first supported suite.
    fn serve(offer: &Offer, supported: &[u32], server_pref: bool) -> Answer {
        let pick = if server_pref {
            supported.iter().find(|s| offer.suites.contains(s)).copied()
        } else {
            offer.suites.iter().find(|s| supported.contains(s)).copied()
        };
        match pick {
            Some(s) => Answer::Chosen {
                version: offer.version.wire(),
                suite: s as u16,
            },
            None => declined(),
        }
    }

    fn declined() -> Answer {
        Answer::Refused(Refusal::Alert(
            crate::wire::AlertDescription::HANDSHAKE_FAILURE,
        ))
    }

    fn timed_out() -> Answer {
        Answer::Failed(ConnError::ReadTimeout {
            limit: std::time::Duration::from_secs(1),
            partial: false,
            what: crate::model::Awaited::ServerHello,
        })
    }

    fn run(sweep: &mut VersionSweep, supported: &[u32], server_pref: bool) -> usize {
        let mut handshakes = 0;
        while let Some(offer) = sweep.next_offer() {
            handshakes += 1;
            let answer = serve(&offer, supported, server_pref);
            sweep.observe(answer);
            assert!(handshakes < 100, "sweep does not terminate");
        }
        handshakes
    }

    #[test]
    fn server_order_other_than_ours_needs_no_order_test() {
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2, 3, 4, 5]);
        let n = run(&mut s, &[4, 2, 5], true);
        assert_eq!(s.accepted(), &[4, 2, 5]);
        assert_eq!(s.server_order(), Some(true));
        // Three accepted, one decline: the order is already proven.
        assert_eq!(n, 3 + 1);
    }

    #[test]
    fn server_order_agreeing_with_ours_is_tested() {
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2, 3, 4, 5]);
        let n = run(&mut s, &[2, 4, 5], true);
        assert_eq!(s.accepted(), &[2, 4, 5]);
        assert_eq!(s.server_order(), Some(true));
        assert_eq!(n, 3 + 1 + 1);
    }

    #[test]
    fn client_order_is_detected() {
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2, 3, 4, 5]);
        let n = run(&mut s, &[4, 2, 5], false);
        assert_eq!(s.accepted(), &[2, 4, 5]);
        assert_eq!(s.server_order(), Some(false));
        assert_eq!(n, 3 + 1 + 1);
    }

    /// Go 1.17+: its own order, but ChaCha20 first when the client's first suite that Go
    /// knows is not AES-GCM (`aesgcmPreferred` in crypto/tls).
    fn go_like(offer: &Offer, served: &[u32]) -> Answer {
        const AES_GCM: [u32; 4] = [0xC02B, 0xC02C, 0xC02F, 0xC030];
        const KNOWN: [u32; 8] = [
            0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9, 0xC013, 0x000A,
        ];
        // RSA certificate: the ECDSA suites are known but not served.
        const AES_ORDER: [u32; 5] = [0xC02F, 0xC030, 0xCCA8, 0xC013, 0x000A];
        const NO_AES_ORDER: [u32; 5] = [0xCCA8, 0xC02F, 0xC030, 0xC013, 0x000A];
        let aes_first = offer
            .suites
            .iter()
            .find(|s| KNOWN.contains(s))
            .is_some_and(|s| AES_GCM.contains(s));
        let order = if aes_first { AES_ORDER } else { NO_AES_ORDER };
        match order
            .iter()
            .find(|s| offer.suites.contains(s) && served.contains(s))
        {
            Some(&s) => Answer::Chosen {
                version: offer.version.wire(),
                suite: s as u16,
            },
            None => declined(),
        }
    }

    #[test]
    fn go_order_heuristic_is_server_order_and_repeatable() {
        // Our order: AES-256-GCM first, as in cipher-db.
        let ours = [
            0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC02B, 0xC02F, 0xC013, 0x000A, 0x0005,
        ];
        // Go's defaults, and the CIS list (where a reversed offer leads with ChaCha20, the
        // last suite found, and Go's ChaCha20-first order then looked like client order).
        let defaults: &[u32] = &[0xC02F, 0xC030, 0xCCA8, 0xC013, 0x000A];
        let cis: &[u32] = &[0xC02F, 0xC030, 0xCCA8];
        for served in [defaults, cis] {
            let mut results = Vec::new();
            for _ in 0..2 {
                let mut s = VersionSweep::new(Protocol::Tls12, ours);
                let mut n = 0;
                while let Some(offer) = s.next_offer() {
                    n += 1;
                    s.observe(go_like(&offer, served));
                    assert!(n < 20);
                }
                assert_eq!(s.accepted(), served, "Go's AES-GCM order");
                assert_eq!(s.server_order(), Some(true), "Go never follows the client");
                assert_eq!(n, served.len() + 1, "no order test needed");
                results.push((s.accepted().to_vec(), s.server_order()));
            }
            assert_eq!(results[0], results[1]);
        }
    }

    /// Runs a TLS 1.3 sweep against a server-order server that accepts `supported`; when
    /// `needs_shares`, it declines every hello without key shares. Returns the offers made.
    fn run_tls13(sweep: &mut VersionSweep, supported: &[u32], needs_shares: bool) -> Vec<Offer> {
        let mut offers = Vec::new();
        while let Some(offer) = sweep.next_offer() {
            let answer = if needs_shares && !offer.key_shares {
                declined()
            } else {
                serve(&offer, supported, true)
            };
            offers.push(offer);
            sweep.observe(answer);
            assert!(offers.len() < 20, "sweep does not terminate");
        }
        offers
    }

    #[test]
    fn tls13_offers_after_the_first_carry_no_key_shares() {
        let mut s = VersionSweep::new(Protocol::Tls13, [0x1302, 0x1303, 0x1301, 0x1304]);
        let offers = run_tls13(&mut s, &[0x1301, 0x1302, 0x1303], false);
        assert_eq!(s.accepted(), &[0x1301, 0x1302, 0x1303]);
        assert_eq!(s.server_order(), Some(true));
        let shares: Vec<bool> = offers.iter().map(|o| o.key_shares).collect();
        assert_eq!(
            shares,
            [true, false, false, false],
            "3 accepted + 1 decline"
        );
    }

    #[test]
    fn tls13_server_that_needs_key_shares_costs_one_more_handshake() {
        let mut s = VersionSweep::new(Protocol::Tls13, [0x1302, 0x1303, 0x1301]);
        let offers = run_tls13(&mut s, &[0x1301, 0x1303], true);
        assert_eq!(s.accepted(), &[0x1301, 0x1303], "nothing missed");
        let shares: Vec<bool> = offers.iter().map(|o| o.key_shares).collect();
        // First (shares), second without (declined), again with shares, then the decline.
        assert_eq!(shares, [true, false, true, true]);
        assert_eq!(
            offers[1].suites, offers[2].suites,
            "the same offer is repeated"
        );
    }

    #[test]
    fn tls13_single_suite_server_is_confirmed_with_shares() {
        let mut s = VersionSweep::new(Protocol::Tls13, [0x1302, 0x1303, 0x1301]);
        let offers = run_tls13(&mut s, &[0x1301], false);
        assert_eq!(s.accepted(), &[0x1301]);
        // The empty-share decline is not trusted until the server has answered one.
        assert_eq!(offers.len(), 3);
    }

    #[test]
    fn key_shares_stay_on_below_tls13() {
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2, 3]);
        let offers = run_tls13(&mut s, &[1, 2], true);
        assert!(offers.iter().all(|o| o.key_shares));
        assert_eq!(s.accepted(), &[1, 2]);
    }

    #[test]
    fn order_test_answers_are_read_right() {
        // Found in our order, so the reversed offer decides.
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2, 3]);
        for suite in [1, 2] {
            s.observe(Answer::Chosen {
                version: 0x0303,
                suite,
            });
        }
        s.observe(declined());
        let offer = s.next_offer().unwrap();
        assert_eq!(offer.purpose, Purpose::OrderTest);
        assert_eq!(offer.suites, vec![2, 1]);
        // A timeout in the order test is no verdict either way.
        let mut t = s.clone();
        t.observe(timed_out());
        assert_eq!(t.server_order(), None);
        assert_eq!(t.accepted(), &[1, 2]);
        s.observe(Answer::Chosen {
            version: 0x0303,
            suite: 1,
        });
        assert_eq!(s.server_order(), Some(true));
        assert!(s.is_done());
    }

    #[test]
    fn one_suite_makes_order_moot() {
        let mut s = VersionSweep::new(Protocol::Tls13, [0x1301, 0x1302]);
        let n = run(&mut s, &[0x1302], true);
        assert_eq!(s.accepted(), &[0x1302]);
        assert_eq!(s.server_order(), None);
        // 1 accepted + 1 decline without key shares + the same decline confirmed with them.
        assert_eq!(n, 3);
    }

    #[test]
    fn nothing_accepted_costs_one_handshake() {
        let mut s = VersionSweep::new(Protocol::Tls10, [1, 2]);
        assert_eq!(run(&mut s, &[], true), 1);
        assert!(s.accepted().is_empty());
    }

    #[test]
    fn failure_is_not_a_rejection() {
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2]);
        s.observe(timed_out());
        assert!(s.is_done());
        assert!(s.failure().is_some_and(ConnError::is_timeout));
        assert!(s.refusal().is_none());
    }

    #[test]
    fn unoffered_suite_is_a_violation_and_ends_the_sweep() {
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2]);
        s.observe(Answer::Chosen {
            version: 0x0303,
            suite: 9,
        });
        assert!(s.is_done());
        assert_eq!(s.violation(), Some(&Violation::UnofferedSuite(9)));
    }

    #[test]
    fn lower_version_means_not_accepted() {
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2]);
        s.observe(Answer::Chosen {
            version: 0x0301,
            suite: 1,
        });
        assert!(s.is_done());
        assert!(s.accepted().is_empty());
        assert!(s.violation().is_none());
        assert_eq!(s.refusal(), Some(Refusal::OtherVersion(0x0301)));
    }

    /// Erlang/OTP with SRP suites listed and no SRP configured: picks from `listed` (by its
    /// own order when `server_pref`, else the client's), and answers handshake_failure when
    /// the pick is in `unservable`.
    fn otp_like(offer: &Offer, listed: &[u32], unservable: &[u32], server_pref: bool) -> Answer {
        match serve(offer, listed, server_pref) {
            Answer::Chosen { suite, .. } if unservable.contains(&u32::from(suite)) => declined(),
            other => other,
        }
    }

    fn run_otp(
        sweep: &mut VersionSweep,
        listed: &[u32],
        unservable: &[u32],
        server_pref: bool,
    ) -> usize {
        let mut handshakes = 0;
        loop {
            while let Some(offer) = sweep.next_offer() {
                handshakes += 1;
                sweep.observe(otp_like(&offer, listed, unservable, server_pref));
                assert!(handshakes < 100, "sweep does not terminate");
            }
            // No other version showed client order (the endpoint's rule).
            if !sweep.recheck_deferred() {
                return handshakes;
            }
            sweep.resume_recheck();
        }
    }

    /// Candidates 1..=6 with 90 and 91 needing a credential (SRP).
    fn with_srp() -> VersionSweep {
        VersionSweep::new(Protocol::Tls12, [1, 90, 2, 3, 91, 4, 5, 6])
            .with_credential_suites([90, 91])
    }

    #[test]
    fn credential_suites_are_offered_last() {
        let s = with_srp();
        assert_eq!(s.next_offer().unwrap().suites, [1, 2, 3, 4, 5, 6, 90, 91]);
    }

    #[test]
    fn suites_behind_an_unservable_credential_suite_are_found() {
        // OTP's order: 4, then SRP 90 (which it cannot serve), then 2, 1.
        let listed = [4, 90, 2, 1];
        let mut s = with_srp();
        let n = run_otp(&mut s, &listed, &[90], true);
        assert_eq!(s.accepted(), &[4, 2, 1]);
        assert_eq!(s.server_order(), Some(true));
        // 4; refused (90 picked); recheck: 2, 1, refused; the credential suites alone:
        // refused (90 again).
        assert_eq!(n, 1 + 1 + 3 + 1);
    }

    #[test]
    fn a_server_order_refusal_is_rechecked_once_without_credential_suites() {
        let mut s = with_srp();
        let n = run_otp(&mut s, &[4, 2, 5], &[], true);
        assert_eq!(s.accepted(), &[4, 2, 5]);
        assert_eq!(s.server_order(), Some(true));
        // Three accepted, the refusal, and its recheck (which finds nothing more, so the
        // credential suites are not offered again).
        assert_eq!(n, 3 + 1 + 1);
    }

    #[test]
    fn a_client_order_server_needs_no_recheck() {
        let mut s = with_srp();
        let n = run_otp(&mut s, &[4, 2, 5, 90], &[90], false);
        assert_eq!(s.accepted(), &[2, 4, 5]);
        assert_eq!(s.server_order(), Some(false));
        // As without credential suites: accepted + refusal + order test.
        assert_eq!(n, 3 + 1 + 1);
    }

    #[test]
    fn server_order_agreeing_with_ours_is_rechecked_after_the_order_test() {
        let mut s = with_srp();
        let n = run_otp(&mut s, &[2, 4, 90, 5], &[90], true);
        assert_eq!(s.accepted(), &[2, 4, 5]);
        assert_eq!(s.server_order(), Some(true));
        // 2, 4, refused (90); order test; recheck: 5, refused; credential suites: refused.
        assert_eq!(n, 2 + 1 + 1 + 2 + 1);
    }

    #[test]
    fn a_version_refused_behind_a_credential_suite_is_not_concluded() {
        // Its first pick is the SRP suite: the whole first offer is refused.
        let mut s = with_srp();
        let n = run_otp(&mut s, &[91, 3], &[91], true);
        assert_eq!(s.accepted(), &[3]);
        assert_eq!(n, 1 + 2 + 1);
        let mut s = with_srp();
        let n = run_otp(&mut s, &[], &[], true);
        assert!(s.accepted().is_empty());
        assert_eq!(n, 2, "refusal and its recheck");
    }

    #[test]
    fn a_version_with_one_suite_defers_its_recheck() {
        let mut s = with_srp();
        run(&mut s, &[3], true);
        assert_eq!(s.accepted(), &[3]);
        // Done unless the endpoint says otherwise: a client-order server costs nothing more.
        assert!(s.is_done() && s.recheck_deferred());
        s.resume_recheck();
        assert_eq!(s.next_offer().unwrap().suites, [1, 2, 4, 5, 6]);
        s.observe(declined());
        assert!(s.is_done() && !s.recheck_deferred());
        assert_eq!(s.accepted(), &[3]);
    }

    #[test]
    fn a_sweep_that_failed_after_deferring_its_recheck_is_not_resumed() {
        // Windows of 4: [1, 2, 3, 4], [5, 6, 90, 91] mixed and refused, then a fault.
        let mut s = VersionSweep::new(Protocol::Tls12, [1, 2, 3, 4, 5, 6, 90, 91, 92])
            .with_credential_suites([90, 91, 92])
            .limited(Limit {
                max_suites: 4,
                minimal: false,
            });
        s.observe(declined());
        s.observe(declined());
        assert!(!s.is_done());
        s.observe(timed_out());
        assert!(s.is_done() && s.failure().is_some());
        assert!(
            !s.recheck_deferred(),
            "a failed sweep is a gap, not a recheck"
        );
    }

    #[test]
    fn protocol_version_alerts_are_not_rechecked() {
        let mut s = with_srp();
        s.observe(Answer::Refused(Refusal::Alert(
            crate::wire::AlertDescription::PROTOCOL_VERSION,
        )));
        assert!(s.is_done());
    }

    #[test]
    fn a_limited_sweep_rechecks_its_mixed_window() {
        // At most 4 suites per hello; server order 5, SRP 90, 6.
        let mut s = with_srp().limited(Limit {
            max_suites: 4,
            minimal: false,
        });
        let mut n = 0;
        let mut resumed = false;
        loop {
            while let Some(offer) = s.next_offer() {
                n += 1;
                let answer = if offer.suites.len() > 4 {
                    declined()
                } else {
                    otp_like(&offer, &[5, 90, 6], &[90], true)
                };
                s.observe(answer);
                assert!(n < 100);
            }
            if !s.recheck_deferred() {
                break;
            }
            // One suite found before the mixed window's refusal: deferred, then resumed.
            s.resume_recheck();
            resumed = true;
        }
        assert!(resumed);
        assert_eq!(s.accepted(), &[5, 6]);
        assert_eq!(s.server_order(), Some(true));
    }

    /// A server that refuses any hello with more than `max` suites, else picks by its own
    /// order from `supported`.
    fn intolerant(offer: &Offer, supported: &[u32], max: usize) -> Answer {
        if offer.suites.len() > max {
            return Answer::Refused(Refusal::Alert(crate::wire::AlertDescription::DECODE_ERROR));
        }
        serve(offer, supported, true)
    }

    #[test]
    fn a_limited_sweep_finds_everything_in_the_server_order() {
        let candidates: Vec<u32> = (1..=350).collect();
        // Spread over three windows of 128, in a server order that is none of ours.
        let supported = [300, 5, 200, 130, 7];
        let full = VersionSweep::new(Protocol::Tls12, candidates.iter().copied());
        assert_eq!(full.windows(128).len(), 3);
        let mut s = full.limited(Limit {
            max_suites: 128,
            minimal: false,
        });
        let mut hellos = 0;
        while let Some(offer) = s.next_offer() {
            assert!(offer.suites.len() <= 128, "{}", offer.suites.len());
            hellos += 1;
            s.observe(intolerant(&offer, &supported, 128));
            assert!(hellos < 50);
        }
        assert_eq!(s.accepted(), &supported);
        assert_eq!(s.server_order(), Some(true));
        // Discovery: 5 picks + 3 windows refused at their end; ordering: 5 - 1.
        assert_eq!(hellos, 5 + 3 + 4);
    }

    #[test]
    fn a_limited_client_order_sweep_is_told_by_the_order_test() {
        let candidates: Vec<u32> = (1..=300).collect();
        let supported = [10, 150, 290];
        let mut s = VersionSweep::new(Protocol::Tls12, candidates.iter().copied()).limited(Limit {
            max_suites: 128,
            minimal: true,
        });
        while let Some(offer) = s.next_offer() {
            assert!(offer.minimal);
            s.observe(if offer.suites.len() > 128 {
                declined()
            } else {
                serve(&offer, &supported, false)
            });
        }
        assert_eq!(s.accepted(), &[10, 150, 290]);
        assert_eq!(s.server_order(), Some(false));
    }

    #[test]
    fn ssl2_takes_one_hello() {
        let mut s = VersionSweep::new(Protocol::Ssl2, [0x010080, 0x020080, 0x0700c0]);
        s.observe(Answer::Ssl2 {
            ciphers: vec![0x0700c0, 0x010080, 0x999999],
        });
        assert!(s.is_done());
        assert_eq!(s.accepted(), &[0x010080, 0x0700c0]);
    }
}

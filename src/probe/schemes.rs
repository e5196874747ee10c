//! Which signature schemes an endpoint signs with, per version, and every certificate chain
//! it serves on the way.
//!
//! The same idea as the cipher sweep ([`crate::probe::plan`]): offer every remaining scheme in
//! signature_algorithms, note the one the server signs with, remove it and offer the rest,
//! until the server refuses. A server that signs with SHA-1 when a client asks for it, though
//! it prefers SHA-256 for a strongest-first offer, is caught this way; recording only the
//! preferred scheme would pass it where the policy's SHA-1 rule says fail.
//!
//! - TLS 1.2: hellos with the endpoint's accepted signed ECDHE/DHE suites, read to the end of
//!   the flight: the ServerKeyExchange names the scheme (RFC 5246 §7.4.3), the Certificate the
//!   chain. Then one hello without signature_algorithms: RFC 5246 §7.4.1.4.1 makes the server
//!   fall back to SHA-1 then, and a server that answers signs with it.
//! - TLS 1.3: the CertificateVerify is encrypted, so each hello is read through the key
//!   schedule without rustls (`probe::tls13_chain`: our padded hello, nothing optional in it)
//!   up to the CertificateVerify, which names the scheme. The certificate handshake, when one
//!   was made, is the first answer.
//!
//! A server with an RSA and an ECDSA certificate serves each with its own suites (TLS 1.2, one
//! sweep per key type) or its own schemes (TLS 1.3, where the other certificate answers once
//! the first one's schemes are used up): every distinct chain is kept (`certificate.chains`).
//!
//! Cost: accepted schemes + 1 per version (in TLS 1.2, + 1 per key type the accepted signed
//! suites need), + 1 for the TLS 1.2 hello without the extension.

use crate::cipher_db::{self, Auth, Kx};
use crate::model::{ConnError, Refusal, Violation};
use crate::probe::check::check_answer;
use crate::probe::conn::ReadUntil;
use crate::probe::link::{Link, Reply};
use crate::probe::offer::{groups_tls12, sig_schemes_all, sig_schemes_tls13};
use crate::probe::tls13_chain;
use crate::protocol::Protocol;
use crate::wire::{AlertDescription, ClientExtension, KxKind, ProbeHello, ServerMessage};

/// What the server did with one scheme offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemeAnswer {
    /// Signed with this scheme; the chain it sent (leaf first), when the flight carried one.
    Signed(u16, Option<Vec<Vec<u8>>>),
    /// Refused the hello: no scheme in common (or none it will sign with).
    Refused(Refusal),
    /// TLS 1.3: sent its Certificate, then this alert instead of a CertificateVerify. It
    /// picked a scheme and broke down on it, which says nothing of the others offered.
    Aborted(AlertDescription),
    /// No usable answer.
    Failed(ConnError),
}

/// The scheme sweep of one version. Pure.
#[derive(Clone, Debug)]
pub struct SchemeSweep {
    version: Protocol,
    candidates: Vec<u16>,
    /// Offers still to make once the current one is refused (halves of an offer the server
    /// broke down on rather than refused).
    pending: Vec<Vec<u16>>,
    found: Vec<u16>,
    chains: Vec<Vec<Vec<u8>>>,
    done: bool,
    failure: Option<ConnError>,
}

impl SchemeSweep {
    /// A sweep of `version` over `candidates` (offer order).
    pub fn new(version: Protocol, candidates: &[u16]) -> SchemeSweep {
        SchemeSweep {
            version,
            candidates: candidates.to_vec(),
            pending: Vec::new(),
            found: Vec::new(),
            chains: Vec::new(),
            done: candidates.is_empty(),
            failure: None,
        }
    }

    /// The version swept.
    pub fn version(&self) -> Protocol {
        self.version
    }

    /// The schemes to offer next, or `None` when the sweep is over.
    pub fn next_offer(&self) -> Option<&[u16]> {
        (!self.done).then_some(self.candidates.as_slice())
    }

    /// Records the answer to the offer last returned by [`Self::next_offer`].
    ///
    /// A refusal ends the offer. An abort after the Certificate does not say the offer was
    /// refused, only that the server broke down on the scheme it picked (JSSE with an RSA and
    /// an EC key does, though it signs with the others offered alone): the offer is split in
    /// halves, each swept on its own, so the cost falls only on servers that do this.
    pub fn observe(&mut self, answer: SchemeAnswer) {
        if self.done {
            return;
        }
        match answer {
            SchemeAnswer::Signed(scheme, chain) => {
                if let Some(chain) = chain.filter(|c| !c.is_empty()) {
                    if !self.chains.contains(&chain) {
                        self.chains.push(chain);
                    }
                }
                match self.candidates.iter().position(|&c| c == scheme) {
                    Some(i) => {
                        self.candidates.remove(i);
                        for list in &mut self.pending {
                            list.retain(|&c| c != scheme);
                        }
                        self.found.push(scheme);
                        if self.candidates.is_empty() {
                            self.next_pending();
                        }
                    }
                    None => {
                        // Signed with a scheme we did not (or no longer) offer: offering less
                        // would not change what it does.
                        self.failure = Some(Violation::UnofferedScheme(scheme).into());
                        self.done = true;
                    }
                }
            }
            SchemeAnswer::Aborted(_) if self.candidates.len() > 1 => {
                let back = self.candidates.split_off(self.candidates.len() / 2);
                self.pending.push(back);
            }
            SchemeAnswer::Refused(_) | SchemeAnswer::Aborted(_) => self.next_pending(),
            SchemeAnswer::Failed(e) => {
                self.failure = Some(e);
                self.done = true;
            }
        }
    }

    fn next_pending(&mut self) {
        self.pending.retain(|l| !l.is_empty());
        match self.pending.pop() {
            Some(list) => self.candidates = list,
            None => self.done = true,
        }
    }

    /// Schemes the server signed with, in the order found (its preference first).
    pub fn accepted(&self) -> &[u16] {
        &self.found
    }

    /// Every distinct chain the sweep's answers carried, in the order seen.
    pub fn chains(&self) -> &[Vec<Vec<u8>>] {
        &self.chains
    }

    /// Why the sweep stopped early, if it did.
    pub fn failure(&self) -> Option<&ConnError> {
        self.failure.as_ref()
    }

    /// Adds what another sweep of the same version found (another certificate's suites).
    fn merge(&mut self, other: SchemeSweep) {
        for s in other.found {
            if !self.found.contains(&s) {
                self.found.push(s);
            }
        }
        for c in other.chains {
            if !self.chains.contains(&c) {
                self.chains.push(c);
            }
        }
        if self.failure.is_none() {
            self.failure = other.failure;
        }
        self.done = true;
    }
}

/// The accepted TLS 1.2 suites that make the server sign (ECDHE or DHE, not anonymous).
pub fn signed_suites(accepted: &[u16]) -> Vec<u16> {
    let db = cipher_db::db();
    accepted
        .iter()
        .copied()
        .filter(|c| {
            db.suite(*c).is_some_and(|s| {
                matches!(s.kx, Kx::Ecdhe | Kx::Dhe)
                    && !s.flags.anonymous
                    && matches!(s.auth, Auth::Rsa | Auth::Ecdsa | Auth::Dss)
            })
        })
        .collect()
}

/// The TLS 1.2 scheme sweep over `suites` (signed ones, see [`signed_suites`]), one sweep per
/// kind of certificate they need (RSA, ECDSA, DSA): a server with two certificates may pick
/// one by suite before it looks at the schemes, and refuse once that one's schemes are used
/// up (JSSE does), so only suites of one key type per hello show every certificate. Then what
/// the hello without signature_algorithms showed: `Some(scheme)` when the server answered it
/// (and signed with that), `None` when it refused it.
pub async fn sweep_tls12(
    link: &Link<'_>,
    suites: &[u16],
) -> (SchemeSweep, Result<Option<u16>, ConnError>) {
    let mut sweep = SchemeSweep::new(Protocol::Tls12, &[]);
    for auth in [Auth::Rsa, Auth::Ecdsa, Auth::Dss] {
        let own: Vec<u16> = suites
            .iter()
            .copied()
            .filter(|c| cipher_db::db().suite(*c).is_some_and(|s| s.auth == auth))
            .collect();
        if own.is_empty() {
            continue;
        }
        let mut one = SchemeSweep::new(Protocol::Tls12, sig_schemes_all());
        while let Some(schemes) = one.next_offer().map(<[u16]>::to_vec) {
            let answer = tls12_hello(link, &own, &schemes).await;
            one.observe(answer);
        }
        sweep.merge(one);
    }
    let default = match tls12_hello(link, suites, &[]).await {
        SchemeAnswer::Signed(scheme, _) => Ok(Some(scheme)),
        SchemeAnswer::Refused(_) | SchemeAnswer::Aborted(_) => Ok(None),
        SchemeAnswer::Failed(e) => Err(e),
    };
    (sweep, default)
}

/// One TLS 1.2 hello offering `suites` and `schemes` (none: no signature_algorithms at all).
async fn tls12_hello(link: &Link<'_>, suites: &[u16], schemes: &[u16]) -> SchemeAnswer {
    let mut hello = ProbeHello {
        version: Protocol::Tls12,
        suites,
        sni: link.sni,
        groups: groups_tls12(),
        key_shares: &[],
        sig_schemes: schemes,
        ems: true,
        renegotiation_scsv: false,
        fallback_scsv: false,
        random: crate::probe::behaviour::random(),
    }
    .to_client_hello();
    // Strict stacks (Erlang/OTP) read signature_algorithms as governing the chain too (RFC
    // 5246 §7.4.2) and refuse a list without their certificate's own signature: name every
    // scheme for the chain, so a short list rules out only the key exchange's.
    if !schemes.is_empty() {
        hello
            .extensions
            .push(ClientExtension::SignatureAlgorithmsCert(
                sig_schemes_all().to_vec(),
            ));
    }
    let hello = hello.padded();
    let bytes = hello.encode_records(0x0301);
    let flight = match link.send(&bytes, ReadUntil::FlightEnd).await {
        Reply::Answer(flight) => flight,
        Reply::Dropped { times } => return SchemeAnswer::Refused(Refusal::Dropped { times }),
        Reply::Failed(e) => return SchemeAnswer::Failed(e),
    };
    let Some(first) = flight.messages.first() else {
        return SchemeAnswer::Failed(ConnError::Closed { partial: false });
    };
    if let Err(v) = check_answer(&hello, first) {
        return SchemeAnswer::Failed(v.into());
    }
    let suite = match first {
        ServerMessage::Alert(a) => return SchemeAnswer::Refused(Refusal::Alert(a.description)),
        ServerMessage::ServerHello(sh) if sh.version() == Protocol::Tls12.wire() => sh.cipher_suite,
        ServerMessage::ServerHello(sh) => {
            return SchemeAnswer::Refused(Refusal::OtherVersion(sh.version()))
        }
        other => return SchemeAnswer::Failed(Violation::UnexpectedMessage(other.name()).into()),
    };
    let kind = match cipher_db::db().suite(suite).map(|s| s.kx) {
        Some(Kx::Ecdhe) => KxKind::Ecdhe,
        Some(Kx::Dhe) => KxKind::Dhe,
        _ => return SchemeAnswer::Failed(Violation::Missing("a signed key exchange").into()),
    };
    let chain = flight.messages.iter().find_map(|m| match m {
        ServerMessage::Certificate(c) => Some(c.chain.clone()),
        _ => None,
    });
    let scheme = flight.messages.iter().find_map(|m| match m {
        ServerMessage::ServerKeyExchange(ske) => ske.signature_scheme(kind).ok(),
        _ => None,
    });
    // Go answers a hello with no scheme it can sign with by a ServerHello and its
    // Certificate, then an alert instead of the ServerKeyExchange: a refusal of the schemes.
    let aborted = flight.messages.iter().find_map(|m| match m {
        ServerMessage::Alert(a) => Some(a.description),
        _ => None,
    });
    if let (None, Some(a)) = (scheme, aborted) {
        return SchemeAnswer::Refused(Refusal::Alert(a));
    }
    match scheme {
        Some(s) => SchemeAnswer::Signed(s, chain),
        None => SchemeAnswer::Failed(flight.lacks("a readable, signed ServerKeyExchange")),
    }
}

/// The TLS 1.3 scheme sweep, each hello our own (`probe::tls13_chain`: padded, no optional
/// extension a server may refuse), read up to the CertificateVerify. `first`: the certificate
/// handshake's answer (all schemes offered), when one was made.
pub async fn sweep_tls13(link: &Link<'_>, first: Option<SchemeAnswer>) -> SchemeSweep {
    let mut sweep = SchemeSweep::new(Protocol::Tls13, sig_schemes_tls13());
    if let Some(answer) = first {
        sweep.observe(answer);
    }
    while let Some(schemes) = sweep.next_offer().map(<[u16]>::to_vec) {
        let answer = tls13_handshake(link, &schemes).await;
        sweep.observe(answer);
    }
    sweep
}

/// One TLS 1.3 hello offering `schemes` (again after a reset or a close: `Link::retrying`).
pub async fn tls13_handshake(link: &Link<'_>, schemes: &[u16]) -> SchemeAnswer {
    let read = link
        .retrying(|| async {
            let (stream, _permit) = link.connect_for_handshake().await?;
            let limit = link.time_left(link.cfg.handshake_timeout);
            let hello = tls13_chain::Hello {
                sni: link.sni,
                schemes,
                status_request: false,
                cert_schemes: sig_schemes_all(),
            };
            tls13_chain::read_flight(stream, hello, limit).await
        })
        .await;
    match read {
        Ok(facts) => match (facts.scheme, facts.alert_after_certificate) {
            (Some(s), _) => SchemeAnswer::Signed(s, Some(facts.chain)),
            // It picked a certificate, then would not sign with what was offered.
            (None, Some(a)) => SchemeAnswer::Aborted(a),
            (None, None) => SchemeAnswer::Failed(Violation::Missing("a CertificateVerify").into()),
        },
        Err(ConnError::Alert(a)) => SchemeAnswer::Refused(Refusal::Alert(a)),
        Err(e) => SchemeAnswer::Failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::AlertDescription;

    /// A server holding an RSA certificate (which signs `rsa`) and an ECDSA one (`ecdsa`):
    /// it picks by its own preference from what is offered, the RSA certificate first.
    fn serve(offer: &[u16], rsa: &[u16], ecdsa: &[u16]) -> SchemeAnswer {
        for (list, chain) in [(rsa, vec![vec![1u8]]), (ecdsa, vec![vec![2u8]])] {
            if let Some(s) = list.iter().find(|s| offer.contains(s)) {
                return SchemeAnswer::Signed(*s, Some(chain));
            }
        }
        SchemeAnswer::Refused(Refusal::Alert(AlertDescription::HANDSHAKE_FAILURE))
    }

    #[test]
    fn every_scheme_and_both_chains_are_found() {
        let mut s = SchemeSweep::new(Protocol::Tls12, sig_schemes_all());
        let rsa = [0x0804, 0x0401, 0x0201];
        let ecdsa = [0x0403];
        let mut n = 0;
        while let Some(offer) = s.next_offer().map(<[u16]>::to_vec) {
            n += 1;
            s.observe(serve(&offer, &rsa, &ecdsa));
            assert!(n < 20);
        }
        assert_eq!(s.accepted(), &[0x0804, 0x0401, 0x0201, 0x0403]);
        assert_eq!(n, 4 + 1);
        assert_eq!(s.chains(), &[vec![vec![1u8]], vec![vec![2u8]]]);
        assert!(s.failure().is_none());
    }

    /// A server that picks the first offered scheme it knows and aborts with internal_error
    /// when its key cannot sign with it (0x0809 here), though it signs with the others.
    #[test]
    fn a_server_breaking_down_on_one_scheme_is_split_around_it() {
        let candidates = [0x0809, 0x0804, 0x0805, 0x0806, 0x0403];
        let signs = [0x0804, 0x0805, 0x0806];
        let mut s = SchemeSweep::new(Protocol::Tls13, &candidates);
        let mut n = 0;
        while let Some(offer) = s.next_offer().map(<[u16]>::to_vec) {
            n += 1;
            assert!(n < 20);
            let answer = match offer.iter().find(|c| **c == 0x0809 || signs.contains(c)) {
                Some(0x0809) => SchemeAnswer::Aborted(AlertDescription::INTERNAL_ERROR),
                Some(c) => SchemeAnswer::Signed(*c, None),
                None => SchemeAnswer::Refused(Refusal::Alert(AlertDescription::HANDSHAKE_FAILURE)),
            };
            s.observe(answer);
        }
        let mut found = s.accepted().to_vec();
        found.sort_unstable();
        assert_eq!(found, [0x0804, 0x0805, 0x0806]);
        assert!(s.failure().is_none());
        // A plain refusal ends the offer at once: no split.
        let mut plain = SchemeSweep::new(Protocol::Tls13, &candidates);
        plain.observe(SchemeAnswer::Refused(Refusal::Alert(
            AlertDescription::HANDSHAKE_FAILURE,
        )));
        assert!(plain.next_offer().is_none());
    }

    #[test]
    fn an_unoffered_scheme_is_a_violation() {
        let mut s = SchemeSweep::new(Protocol::Tls13, &[0x0804, 0x0403]);
        s.observe(SchemeAnswer::Signed(0x0804, None));
        s.observe(SchemeAnswer::Signed(0x0804, None));
        assert!(s.next_offer().is_none());
        assert_eq!(
            s.failure(),
            Some(&ConnError::Violation(Violation::UnofferedScheme(0x0804)))
        );
        assert_eq!(s.accepted(), &[0x0804]);
    }

    #[test]
    fn only_signed_key_exchanges_are_swept() {
        // ECDHE-RSA-AES128-GCM, static RSA AES128-GCM, ECDH_anon, DHE-DSS.
        assert_eq!(
            signed_suites(&[0xC02F, 0x009C, 0xC018, 0x00A2]),
            [0xC02F, 0x00A2]
        );
    }
}

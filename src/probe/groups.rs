//! Which key-exchange groups an endpoint accepts, with the fewest handshakes.
//!
//! The same idea as the cipher sweep ([`crate::probe::plan`]): offer every remaining candidate
//! group, note the one the server picks, remove it and offer the rest, until the server
//! declines. Each accepted group costs one handshake, plus one for the final refusal.
//!
//! - TLS 1.2 (and older): only the endpoint's accepted ECDHE suites are offered, so that the
//!   server must pick a curve; the ServerKeyExchange names it.
//! - TLS 1.3: the remaining groups go in supported_groups with key shares for the first two
//!   we can make; the ServerHello key_share, or a HelloRetryRequest's selected group, names the
//!   server's pick.
//!
//! The first pick is the server's preferred group given our offer order (a server that
//! follows the client's order reveals ours; the groups found are the same either way).
//! [`GroupSweep`] is pure; [`sweep`] drives it over the network.

use crate::model::{ConnError, Refusal, Violation};
use crate::probe::check::check_answer;
use crate::probe::conn::ReadUntil;
use crate::probe::link::{Link, Reply};
use crate::probe::offer::{curves_tls12, groups_tls13, SIG_SCHEMES};
use crate::protocol::Protocol;
use crate::wire::{key_share_value, KxKind, KxParams, ProbeHello, ServerMessage};

/// Key shares sent per TLS 1.3 offer: two keeps the hello small while letting most servers
/// answer without a HelloRetryRequest; either answer names the group.
const SHARES_PER_OFFER: usize = 2;

/// One hello of a group sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupOffer {
    /// The version offered.
    pub version: Protocol,
    /// supported_groups, in offer order.
    pub groups: Vec<u16>,
    /// TLS 1.3: groups to send key shares for (a subset of `groups`).
    pub key_shares: Vec<u16>,
}

/// What the server did with a [`GroupOffer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupAnswer {
    /// The server picked this group.
    Chose(u16),
    /// An alert (or a confirmed drop): no group in common.
    Refused(Refusal),
    /// No usable answer (timeout, reset, a reply that names no group).
    Failed(ConnError),
}

/// The group sweep of one protocol version.
#[derive(Clone, Debug)]
pub struct GroupSweep {
    version: Protocol,
    pinned: Option<u16>,
    candidates: Vec<u16>,
    found: Vec<u16>,
    done: bool,
    failure: Option<ConnError>,
}

impl GroupSweep {
    /// A sweep of `version` over `candidates` (offer order; duplicates dropped). TLS 1.3
    /// candidates we cannot make a key share for are still offered (the server then asks
    /// for one with a HelloRetryRequest, which names the group just as well).
    pub fn new(version: Protocol, candidates: impl IntoIterator<Item = u16>) -> GroupSweep {
        let mut unique = Vec::new();
        for c in candidates {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        GroupSweep {
            version,
            pinned: None,
            done: unique.is_empty(),
            candidates: unique,
            found: Vec::new(),
            failure: None,
        }
    }

    /// Keeps `group` in every offer, last, once it has been found. For TLS <= 1.2 with an
    /// ECDSA certificate: RFC 4492 §5.1 lets the client's curve list restrict the certificate's
    /// curve too, so OpenSSL refuses a hello that lacks it. A server that picks the pinned
    /// group again prefers it to everything left (or has nothing else): the sweep ends there.
    pub fn pin(mut self, group: Option<u16>) -> GroupSweep {
        self.pinned = group;
        self
    }

    /// The version swept.
    pub fn version(&self) -> Protocol {
        self.version
    }

    /// The next hello to send, or `None` when the sweep is over.
    pub fn next_offer(&self) -> Option<GroupOffer> {
        if self.done {
            return None;
        }
        let key_shares = if self.version == Protocol::Tls13 {
            self.candidates
                .iter()
                .copied()
                .filter(|g| key_share_value(*g).is_some())
                .take(SHARES_PER_OFFER)
                .collect()
        } else {
            Vec::new()
        };
        let mut groups = self.candidates.clone();
        if let Some(p) = self.pinned.filter(|p| self.found.contains(p)) {
            groups.push(p);
        }
        Some(GroupOffer {
            version: self.version,
            groups,
            key_shares,
        })
    }

    /// Records the answer to the offer last returned by [`Self::next_offer`].
    pub fn observe(&mut self, answer: GroupAnswer) {
        if self.done {
            return;
        }
        match answer {
            GroupAnswer::Chose(g) => match self.candidates.iter().position(|&c| c == g) {
                Some(i) => {
                    self.candidates.remove(i);
                    self.found.push(g);
                    self.done = self.candidates.is_empty();
                }
                None if self.pinned == Some(g) && self.found.contains(&g) => self.done = true,
                None => {
                    // A group we did not offer (or already removed): the server ignores
                    // supported_groups, so offering less would loop forever. Not a fact
                    // about the group: a violation, and the list may be short.
                    self.failure = Some(Violation::UnofferedGroup(g).into());
                    self.done = true;
                }
            },
            GroupAnswer::Refused(_) => self.done = true,
            GroupAnswer::Failed(why) => {
                self.failure = Some(why);
                self.done = true;
            }
        }
    }

    /// Accepted groups in the order the server picked them (its first pick first).
    pub fn accepted(&self) -> &[u16] {
        &self.found
    }

    /// The server's first pick.
    pub fn preferred(&self) -> Option<u16> {
        self.found.first().copied()
    }

    /// Why the sweep stopped early, if it did: the accepted list may then be short.
    pub fn failure(&self) -> Option<&ConnError> {
        self.failure.as_ref()
    }
}

/// Runs the group sweep of `version` offering `suites` (the endpoint's accepted ECDHE suites
/// for TLS <= 1.2, its TLS 1.3 suites for TLS 1.3).
/// `pinned`: see [`GroupSweep::pin`]. `keyless`: the TLS 1.3 server is known to answer a hello
/// without key shares with a HelloRetryRequest naming its group, so no share is sent and the
/// server spends no key exchange or signature on the sweep.
pub async fn sweep(
    link: &Link<'_>,
    version: Protocol,
    suites: &[u16],
    pinned: Option<u16>,
    keyless: bool,
) -> GroupSweep {
    // Every group cipher-db knows (probe::offer): a draft or hybrid group a server prefers is
    // found like any other.
    let candidates = if version == Protocol::Tls13 {
        groups_tls13()
    } else {
        curves_tls12()
    };
    let mut sweep = GroupSweep::new(version, candidates.iter().copied()).pin(pinned);
    while let Some(offer) = sweep.next_offer() {
        let hello = ProbeHello {
            version: offer.version,
            suites,
            sni: link.sni,
            groups: &offer.groups,
            key_shares: if keyless { &[] } else { &offer.key_shares },
            sig_schemes: SIG_SCHEMES,
            ems: true,
            renegotiation_scsv: false,
            fallback_scsv: false,
            random: crate::probe::behaviour::random(),
        };
        let hello = hello.to_client_hello().padded();
        let bytes = hello.encode_records(offer.version.wire().min(0x0301));
        let until = if version == Protocol::Tls13 {
            ReadUntil::ServerHello
        } else {
            ReadUntil::FlightEnd
        };
        let answer = match link.send(&bytes, until).await {
            Reply::Answer(flight) => match flight.messages.first().map(|m| check_answer(&hello, m))
            {
                Some(Err(v)) => GroupAnswer::Failed(v.into()),
                // What the messages lack may only be what a cut flight never brought.
                _ => match interpret(version, &flight.messages) {
                    GroupAnswer::Failed(ConnError::Violation(Violation::Missing(what))) => {
                        GroupAnswer::Failed(flight.lacks(what))
                    }
                    answer => answer,
                },
            },
            Reply::Dropped { times } => GroupAnswer::Refused(Refusal::Dropped { times }),
            Reply::Failed(why) => GroupAnswer::Failed(why),
        };
        sweep.observe(answer);
    }
    sweep
}

/// The group a server flight names: key_share / HRR for TLS 1.3, the ServerKeyExchange curve
/// for TLS <= 1.2. Pure, for the tests.
pub fn interpret(version: Protocol, messages: &[ServerMessage]) -> GroupAnswer {
    let Some(first) = messages.first() else {
        return GroupAnswer::Failed(ConnError::Closed { partial: false });
    };
    let missing = |what| GroupAnswer::Failed(ConnError::Violation(Violation::Missing(what)));
    match first {
        ServerMessage::Alert(a) => GroupAnswer::Refused(Refusal::Alert(a.description)),
        ServerMessage::HelloRetryRequest(hrr) => match hrr.selected_group {
            Some(g) => GroupAnswer::Chose(g),
            None => missing("a HelloRetryRequest without a selected group"),
        },
        ServerMessage::ServerHello(sh) if version == Protocol::Tls13 => {
            if sh.version() != Protocol::Tls13.wire() {
                return GroupAnswer::Failed(
                    Violation::UnofferedVersion {
                        offered: Protocol::Tls13,
                        got: sh.version(),
                    }
                    .into(),
                );
            }
            match sh.key_share_group() {
                Some(g) => GroupAnswer::Chose(g),
                None => missing("a TLSv1.3 ServerHello without a key_share"),
            }
        }
        ServerMessage::ServerHello(_) => {
            let curve = messages.iter().find_map(|m| match m {
                ServerMessage::ServerKeyExchange(ske) => Some(ske.params(KxKind::Ecdhe)),
                _ => None,
            });
            match curve {
                Some(Ok(KxParams::Ecdhe { named_curve })) => GroupAnswer::Chose(named_curve),
                Some(Ok(KxParams::Dhe { .. })) | Some(Err(_)) => {
                    missing("a readable ECDHE ServerKeyExchange")
                }
                None => missing("a ServerKeyExchange after an ECDHE suite"),
            }
        }
        other => GroupAnswer::Failed(Violation::UnexpectedMessage(other.name()).into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::wire::{Alert, AlertDescription, ServerHello, ServerKeyExchange};

    /// A scripted server: accepts `supported`; with `server_pref` it picks by its own order,
    /// else the client's first supported group. In TLS 1.3 a server that prefers a group we
    /// sent a share for takes it, as OpenSSL does.
    fn serve(offer: &GroupOffer, supported: &[u16], server_pref: bool) -> GroupAnswer {
        let pick = if server_pref {
            supported.iter().find(|g| offer.groups.contains(g)).copied()
        } else {
            offer.groups.iter().find(|g| supported.contains(g)).copied()
        };
        pick.map_or_else(declined, GroupAnswer::Chose)
    }

    fn declined() -> GroupAnswer {
        GroupAnswer::Refused(Refusal::Alert(AlertDescription::HANDSHAKE_FAILURE))
    }

    fn run(sweep: &mut GroupSweep, supported: &[u16], server_pref: bool) -> usize {
        let mut handshakes = 0;
        while let Some(offer) = sweep.next_offer() {
            handshakes += 1;
            assert!(offer.key_shares.iter().all(|g| offer.groups.contains(g)));
            sweep.observe(serve(&offer, supported, server_pref));
            assert!(handshakes < 100, "sweep does not terminate");
        }
        handshakes
    }

    #[test]
    fn server_order_is_revealed_in_accepted_plus_one_handshakes() {
        let mut s = GroupSweep::new(Protocol::Tls12, curves_tls12().iter().copied());
        let n = run(&mut s, &[0x0018, 0x0017], true);
        assert_eq!(s.accepted(), &[0x0018, 0x0017]);
        assert_eq!(s.preferred(), Some(0x0018));
        assert_eq!(n, 3);
        assert!(s.failure().is_none());
    }

    #[test]
    fn client_order_server_follows_our_offer() {
        let mut s = GroupSweep::new(Protocol::Tls13, groups_tls13().iter().copied());
        let n = run(&mut s, &[0x0018, 0x001D, 0x0017], false);
        assert_eq!(s.accepted(), &[0x001D, 0x0017, 0x0018]);
        assert_eq!(n, 4);
    }

    #[test]
    fn a_server_accepting_everything_ends_without_a_refusal() {
        let mut s = GroupSweep::new(Protocol::Tls13, [0x0017, 0x0018]);
        let n = run(&mut s, &[0x0017, 0x0018, 0x001D], true);
        assert_eq!(s.accepted(), &[0x0017, 0x0018]);
        assert_eq!(n, 2);
    }

    #[test]
    fn tls13_shares_go_to_the_first_two_groups_we_can_make() {
        let mut s = GroupSweep::new(Protocol::Tls13, groups_tls13().iter().copied());
        assert_eq!(s.next_offer().unwrap().key_shares, vec![0x001D, 0x0017]);
        s.observe(GroupAnswer::Chose(0x001D));
        assert_eq!(s.next_offer().unwrap().key_shares, vec![0x0017, 0x0018]);
        let tls12 = GroupSweep::new(Protocol::Tls12, curves_tls12().iter().copied());
        assert!(tls12.next_offer().unwrap().key_shares.is_empty());
    }

    #[test]
    fn a_server_ignoring_supported_groups_stops_the_sweep() {
        let mut s = GroupSweep::new(Protocol::Tls12, [0x0017, 0x0018]);
        s.observe(GroupAnswer::Chose(0x0017));
        s.observe(GroupAnswer::Chose(0x0017));
        assert!(s.next_offer().is_none());
        assert_eq!(s.accepted(), &[0x0017]);
        assert_eq!(
            s.failure(),
            Some(&ConnError::Violation(Violation::UnofferedGroup(0x0017)))
        );
    }

    /// OpenSSL with an ECDSA P-256 certificate in TLS 1.2: P-256 must stay in the list.
    #[test]
    fn a_pinned_certificate_curve_stays_in_the_offer() {
        let supported = [0x0017, 0x001D, 0x0018];
        let serve = |offer: &GroupOffer, server_pref: bool| {
            if !offer.groups.contains(&0x0017) {
                return declined();
            }
            serve(offer, &supported, server_pref)
        };
        let mut s =
            GroupSweep::new(Protocol::Tls12, curves_tls12().iter().copied()).pin(Some(0x0017));
        let mut n = 0;
        while let Some(offer) = s.next_offer() {
            n += 1;
            s.observe(serve(&offer, false));
        }
        assert_eq!(s.accepted(), &[0x0017, 0x0018, 0x001D]);
        assert_eq!(n, 4);
        assert!(s.failure().is_none());
        // A server preferring the pinned curve shows only that one, without a violation.
        let mut s = GroupSweep::new(Protocol::Tls12, [0x0017, 0x0018]).pin(Some(0x0017));
        while let Some(offer) = s.next_offer() {
            s.observe(serve(&offer, true));
        }
        assert_eq!(s.accepted(), &[0x0017]);
        assert!(s.failure().is_none());
    }

    #[test]
    fn failures_are_kept_and_end_the_sweep() {
        let mut s = GroupSweep::new(Protocol::Tls12, [0x0017, 0x0018]);
        s.observe(GroupAnswer::Chose(0x0018));
        s.observe(GroupAnswer::Failed(ConnError::Reset { partial: true }));
        assert!(s.next_offer().is_none());
        assert_eq!(s.accepted(), &[0x0018]);
        assert_eq!(s.failure(), Some(&ConnError::Reset { partial: true }));
        assert!(GroupSweep::new(Protocol::Tls12, []).next_offer().is_none());
    }

    fn server_hello(version: u16, extensions: Vec<crate::wire::RawExtension>) -> ServerHello {
        ServerHello {
            legacy_version: version.min(0x0303),
            random: [7; 32],
            session_id: Vec::new(),
            cipher_suite: 0xC02F,
            compression: 0,
            extensions,
        }
    }

    #[test]
    fn interprets_ske_key_share_and_alerts() {
        let ske = ServerKeyExchange {
            body: vec![3, 0x00, 0x18, 1, 4, 0xAA, 0xBB],
        };
        let flight = vec![
            ServerMessage::ServerHello(server_hello(0x0303, Vec::new())),
            ServerMessage::ServerKeyExchange(ske),
            ServerMessage::ServerHelloDone,
        ];
        assert_eq!(
            interpret(Protocol::Tls12, &flight),
            GroupAnswer::Chose(0x0018)
        );
        let no_ske = vec![ServerMessage::ServerHello(server_hello(0x0303, Vec::new()))];
        assert!(matches!(
            interpret(Protocol::Tls12, &no_ske),
            GroupAnswer::Failed(_)
        ));

        let tls13 = server_hello(
            0x0304,
            vec![
                crate::wire::RawExtension {
                    typ: 43,
                    body: vec![0x03, 0x04],
                },
                crate::wire::RawExtension {
                    typ: 51,
                    body: vec![0x00, 0x1D, 0x00, 0x01, 0x09],
                },
            ],
        );
        assert_eq!(
            interpret(Protocol::Tls13, &[ServerMessage::ServerHello(tls13)]),
            GroupAnswer::Chose(0x001D)
        );
        let alert = ServerMessage::Alert(Alert {
            level: 2,
            description: AlertDescription::HANDSHAKE_FAILURE,
        });
        assert_eq!(interpret(Protocol::Tls13, &[alert]), declined());
        assert!(matches!(
            interpret(Protocol::Tls13, &[]),
            GroupAnswer::Failed(_)
        ));
    }
}

//! Hello intolerance: a server that refuses our full hello (about 350 suites in TLS 1.0-1.2,
//! and optional extensions) for its size or shape, not for what it offers. Embedded stacks and
//! load balancers refuse more than 128 suites (testssl.sh `SERVER_SIZE_LIMIT_BUG`, Cisco ACE),
//! some drop hellos with extensions they do not know. Taking such a refusal for "version not
//! accepted" loses every suite of the version, and can turn a FAIL into a PASS.
//!
//! The check runs only when a TLS <= 1.2 version's first, full-size hello was refused (an
//! alert, a confirmed drop) or lost (a reset, a close, a silence), and no version of the same
//! endpoint accepted a full-size hello: a server that answered our largest hello once has shown
//! it tolerates it, and costs nothing more. It then offers the same candidates in windows of
//! [`MAX_SUITES`]; a `protocol_version` alert to a window is the server refusing the version
//! whatever the size, and ends the check at once. When every window is refused, one more hello
//! (the first window without the optional extensions) tells extension intolerance apart,
//! unless the server accepted our TLS 1.3 hello, which carries the same extensions. A
//! window the server accepts means the version is accepted and is swept within the [`Limit`]
//! the check found (`probe::plan`); when nothing is accepted, the version is refused with the
//! server's own answers to hellos it could take as the evidence. Pure: no I/O.
//!
//! Cost for a server that refuses a version and never took a full hello: 1 hello when it says
//! `protocol_version`, else one per window (3 for TLS 1.0-1.2) and, when it did not accept
//! TLS 1.3 either, one without extensions.

use crate::model::{ConnError, Refusal};
use crate::probe::plan::{Answer, Limit, Offer, Purpose, VersionSweep};
use crate::protocol::Protocol;
use crate::wire::AlertDescription;

/// Most suites per hello for a server that refuses the full list: the limit peers that cope
/// with such servers use (testssl.sh sends bundles of at most 128).
pub const MAX_SUITES: usize = 128;

/// What the check concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The version is accepted within this limit: sweep it so, replaying these answers (the
    /// windows the check offered, which are the limited sweep's first offers).
    Limited(Limit, Vec<Answer>),
    /// Hellos the server could take were refused too: the version is refused.
    Refused(Refusal),
    /// No answer could be had: the version is unknown.
    Failed(ConnError),
}

/// The check of one version.
#[derive(Clone, Debug)]
pub struct Check {
    version: Protocol,
    windows: Vec<Vec<u32>>,
    next: usize,
    minimal_tried: bool,
    answers: Vec<Answer>,
    last_refusal: Option<Refusal>,
    verdict: Option<Verdict>,
}

impl Check {
    /// A check of `sweep`'s version, before the sweep observed anything. `extensions_ok`: the
    /// server accepted a hello with the same extensions (our TLS 1.3 one), so the hello
    /// without them is not needed.
    pub fn new(sweep: &VersionSweep, extensions_ok: bool) -> Check {
        let version = sweep.version();
        let windows = sweep.windows(MAX_SUITES);
        Check {
            version,
            windows,
            next: 0,
            minimal_tried: extensions_ok,
            answers: Vec::new(),
            last_refusal: None,
            verdict: None,
        }
    }

    /// Whether a version's first answer calls for the check (module doc).
    pub fn needed(version: Protocol, first: &Answer, tolerated: bool) -> bool {
        let legacy = (Protocol::Ssl3..=Protocol::Tls12).contains(&version);
        let unlucky = match first {
            Answer::Refused(_) => true,
            // A silence costs a full timeout per try; only fast faults are worth the windows.
            Answer::Failed(e) => e.is_transient() && !e.is_timeout(),
            _ => false,
        };
        legacy && unlucky && !tolerated
    }

    /// The next hello, or `None` when the check is over ([`Check::verdict`]).
    pub fn next_offer(&self) -> Option<Offer> {
        if self.verdict.is_some() {
            return None;
        }
        let (suites, minimal) = match self.windows.get(self.next) {
            Some(w) => (w.clone(), false),
            // SSLv3 hellos have no extensions to leave out.
            None if !self.minimal_tried && self.version != Protocol::Ssl3 => {
                (self.windows.first().cloned().unwrap_or_default(), true)
            }
            None => return None,
        };
        Some(Offer {
            version: self.version,
            suites,
            purpose: Purpose::First,
            key_shares: true,
            minimal,
        })
    }

    /// Records the answer to the offer last returned by [`Check::next_offer`].
    pub fn observe(&mut self, answer: Answer) {
        let minimal = self.next >= self.windows.len();
        match &answer {
            Answer::Chosen { version, .. } if *version == self.version.wire() => {
                let limit = Limit {
                    max_suites: MAX_SUITES,
                    minimal,
                };
                // Without extensions the limited sweep starts over from the first window; with
                // them, the refused windows and this acceptance are its first answers.
                let replay = if minimal {
                    vec![answer]
                } else {
                    let mut a = std::mem::take(&mut self.answers);
                    a.push(answer);
                    a
                };
                self.verdict = Some(Verdict::Limited(limit, replay));
            }
            Answer::Chosen { version, .. } => {
                // Another version chosen for a hello it could take: refused, in the protocol.
                self.verdict = Some(Verdict::Refused(Refusal::OtherVersion(*version)));
            }
            Answer::Refused(r) => {
                if *r == Refusal::Alert(AlertDescription::PROTOCOL_VERSION) {
                    self.verdict = Some(Verdict::Refused(*r));
                    return;
                }
                self.last_refusal = Some(*r);
                self.answers.push(answer.clone());
                if minimal {
                    self.minimal_tried = true;
                } else {
                    self.next += 1;
                }
                if self.next_offer().is_none() && self.verdict.is_none() {
                    self.verdict = Some(Verdict::Refused(*r));
                }
            }
            Answer::Ssl2 { .. } => {
                self.verdict = Some(Verdict::Failed(ConnError::Violation(
                    crate::model::Violation::UnexpectedMessage("ssl2_server_hello"),
                )));
            }
            Answer::Failed(e) => self.verdict = Some(Verdict::Failed(e.clone())),
        }
    }

    /// What the check concluded, once it is over.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    /// Each window with the server's refusal of it, in order (not the hello without
    /// extensions), when it refused every one: what a sweep limited to [`MAX_SUITES`] is told
    /// by its offers as long as they are these windows. Empty when the check ended before the
    /// last window.
    pub fn window_answers(&self) -> Vec<(&[u32], &Answer)> {
        let n = self.windows.len();
        if self.next < n || self.answers.len() < n {
            return Vec::new();
        }
        self.windows
            .iter()
            .map(Vec::as_slice)
            .zip(&self.answers)
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sweep() -> VersionSweep {
        VersionSweep::new(Protocol::Tls12, 1..=350)
    }

    fn alert(d: AlertDescription) -> Answer {
        Answer::Refused(Refusal::Alert(d))
    }

    fn run(check: &mut Check, mut server: impl FnMut(&Offer) -> Answer) -> usize {
        let mut n = 0;
        while let Some(offer) = check.next_offer() {
            n += 1;
            let a = server(&offer);
            check.observe(a);
            assert!(n < 10);
        }
        n
    }

    #[test]
    fn an_accepted_window_means_a_limited_sweep() {
        let mut c = Check::new(&sweep(), false);
        // Supports only suite 200 (the second window), refuses hellos of more than 150.
        let n = run(&mut c, |o| {
            if o.suites.len() > 150 || !o.suites.contains(&200) {
                alert(AlertDescription::HANDSHAKE_FAILURE)
            } else {
                Answer::Chosen {
                    version: 0x0303,
                    suite: 200,
                }
            }
        });
        assert_eq!(n, 2);
        let Some(Verdict::Limited(limit, replay)) = c.verdict() else {
            panic!("{:?}", c.verdict())
        };
        assert_eq!(limit.max_suites, MAX_SUITES);
        assert!(!limit.minimal);
        assert_eq!(replay.len(), 2, "the refused window, then the acceptance");
        // Replayed into the limited sweep, the answers line up with its offers.
        let mut s = sweep().limited(*limit);
        for a in replay.iter().cloned() {
            assert!(s.next_offer().is_some());
            s.observe(a);
        }
        assert_eq!(s.accepted(), &[200]);
    }

    #[test]
    fn refused_windows_replayed_recheck_the_one_with_credential_suites() {
        // 1..=350, the last 30 needing a credential; the server (its own order) would serve
        // 300 but picks the unservable 340 whenever offered: every window is refused.
        let sweep = || sweep().with_credential_suites(321..=350);
        let server = |o: &Offer| {
            if o.suites.contains(&340) || !o.suites.contains(&300) {
                alert(AlertDescription::HANDSHAKE_FAILURE)
            } else {
                Answer::Chosen {
                    version: 0x0303,
                    suite: 300,
                }
            }
        };
        let mut c = Check::new(&sweep(), true);
        assert_eq!(run(&mut c, server), 3);
        assert!(matches!(c.verdict(), Some(Verdict::Refused(_))));
        assert_eq!(c.window_answers().len(), 3);
        let mut s = sweep().limited(Limit {
            max_suites: MAX_SUITES,
            minimal: false,
        });
        for (window, a) in c.window_answers() {
            assert_eq!(s.next_offer().unwrap().suites, window);
            s.observe(a.clone());
        }
        // Nothing accepted yet, so the recheck waits for what other versions say of the
        // server's order (`probe::endpoint`); none says client order here.
        assert!(s.recheck_deferred());
        s.resume_recheck();
        // The recheck: the ordinary suites of the last window alone, within the window size.
        let offer = s.next_offer().unwrap();
        assert_eq!(offer.suites, (257..=320).collect::<Vec<u32>>());
        s.observe(server(&offer));
        while let Some(o) = s.next_offer() {
            assert!(o.suites.len() <= MAX_SUITES);
            s.observe(server(&o));
        }
        assert_eq!(s.accepted(), &[300]);
    }

    #[test]
    fn credential_suites_spanning_two_windows_are_rechecked_in_the_mixed_one() {
        // The last 100 need a credential: the second window mixes, the third is all of them.
        let sweep = || sweep().with_credential_suites(251..=350);
        let mut c = Check::new(&sweep(), true);
        run(&mut c, |_| alert(AlertDescription::HANDSHAKE_FAILURE));
        let mut s = sweep().limited(Limit {
            max_suites: MAX_SUITES,
            minimal: false,
        });
        let mut replayed = 0;
        for (window, a) in c.window_answers() {
            if s.next_offer().is_none_or(|o| o.suites != window) {
                break;
            }
            s.observe(a.clone());
            replayed += 1;
        }
        // The sweep goes on through the third window as the check did, then the deferred
        // recheck offers the second window's ordinary suites alone.
        assert_eq!(replayed, 3);
        assert!(s.recheck_deferred());
        s.resume_recheck();
        assert_eq!(
            s.next_offer().unwrap().suites,
            (129..=250).collect::<Vec<u32>>()
        );
    }

    #[test]
    fn a_check_cut_short_replays_nothing() {
        let mut c = Check::new(&sweep(), false);
        run(&mut c, |_| alert(AlertDescription::PROTOCOL_VERSION));
        assert!(c.window_answers().is_empty());
    }

    #[test]
    fn protocol_version_to_a_small_hello_is_believed_at_once() {
        let mut c = Check::new(&sweep(), false);
        let n = run(&mut c, |_| alert(AlertDescription::PROTOCOL_VERSION));
        assert_eq!(n, 1);
        assert_eq!(
            c.verdict(),
            Some(&Verdict::Refused(Refusal::Alert(
                AlertDescription::PROTOCOL_VERSION
            )))
        );
    }

    #[test]
    fn every_window_and_the_minimal_hello_refused_is_a_refusal() {
        let mut c = Check::new(&sweep(), false);
        let mut minimal = 0;
        let n = run(&mut c, |o| {
            minimal += usize::from(o.minimal);
            alert(AlertDescription::HANDSHAKE_FAILURE)
        });
        assert_eq!((n, minimal), (3 + 1, 1));
        assert!(matches!(c.verdict(), Some(Verdict::Refused(_))));
    }

    #[test]
    fn extension_intolerance_is_told_apart() {
        let mut c = Check::new(&sweep(), false);
        run(&mut c, |o| {
            if o.minimal {
                Answer::Chosen {
                    version: 0x0303,
                    suite: 1,
                }
            } else {
                alert(AlertDescription::DECODE_ERROR)
            }
        });
        let Some(Verdict::Limited(limit, replay)) = c.verdict() else {
            panic!()
        };
        assert!(limit.minimal);
        assert_eq!(replay.len(), 1);
    }

    #[test]
    fn a_server_that_took_our_extensions_is_not_asked_without_them() {
        let mut c = Check::new(&sweep(), true);
        let n = run(&mut c, |_| alert(AlertDescription::HANDSHAKE_FAILURE));
        assert_eq!(n, 3);
        assert!(matches!(c.verdict(), Some(Verdict::Refused(_))));
    }

    #[test]
    fn a_failure_leaves_the_version_unknown() {
        let mut c = Check::new(&sweep(), false);
        run(&mut c, |_| {
            Answer::Failed(ConnError::Reset { partial: false })
        });
        assert!(matches!(c.verdict(), Some(Verdict::Failed(_))));
    }

    #[test]
    fn only_unlucky_legacy_first_answers_on_untested_servers() {
        let refused = alert(AlertDescription::HANDSHAKE_FAILURE);
        assert!(Check::needed(Protocol::Tls12, &refused, false));
        assert!(!Check::needed(Protocol::Tls12, &refused, true));
        assert!(!Check::needed(Protocol::Tls13, &refused, false));
        assert!(!Check::needed(Protocol::Ssl2, &refused, false));
        let chosen = Answer::Chosen {
            version: 0x0303,
            suite: 1,
        };
        assert!(!Check::needed(Protocol::Tls12, &chosen, false));
        assert!(!Check::needed(
            Protocol::Tls11,
            &Answer::Failed(ConnError::Aborted),
            false
        ));
    }
}

//! Round-trip times learned from the scan itself, and the timeouts they give. Pure: samples
//! in, durations out; no clock, no I/O.
//!
//! Two legs are timed apart, because they measure different things: a TCP connect (SYN to
//! SYN-ACK or RST: the network), and an answer (ClientHello sent to the server's answer read:
//! the network plus the server's own work). Each is kept per host, per network (IPv4 /24,
//! IPv6 /64) and for the whole scan, as a smoothed mean and mean deviation (RFC 6298 §2:
//! SRTT and RTTVAR, gains 1/8 and 1/4; nmap's timing engine, `timing.cc`, does the same per
//! host and per scan group).
//!
//! - connect: from the most specific scope that has a sample (the host, else its network,
//!   else the scan), `clamp(SRTT + 4·RTTVAR, floor, --connect-timeout)`, the floor being
//!   [`CONNECT_FLOOR`] for the host's own or its network's figures and [`SCAN_CONNECT_FLOOR`]
//!   when only the scan's are known (a host in a network the scan has not heard from may be
//!   farther away). Retry `k` waits `2^k` times as long (RFC 6298 §5.5), up to the limit.
//!   Nothing known: the limit. Short waits are the point here: they are what a filtered
//!   address costs. A lossy path shows itself by connects that succeed only on a retry: then
//!   every connect gets one attempt more than the deepest success needed (nmap's
//!   `max_successful_tryno`), at most [`MAX_LOSS_RETRIES`] more than `--retries`, so that a
//!   live address is not taken for a filtered one because two SYNs in a row were lost.
//! - answer: the longest of the scopes' `SRTT + 4·RTTVAR + ANSWER_MARGIN`, at least
//!   [`ANSWER_FLOOR`], at most half of `--handshake-timeout` (a retry with the full limit
//!   follows every learned wait). The margin lets one lost segment be retransmitted (Linux
//!   waits at least 200 ms). The longest, not the most specific: a server's answer time is
//!   mostly its own work, and a host whose first answer was quick can be slow under the next
//!   few hellos at once, as its network's figures already show; a long answer wait costs only
//!   endpoints that stop answering, which the first-contact budget (`probe::link`) bounds.
//!   Nothing known: [`INITIAL_ANSWER`].
//!
//! Every sample counts, however late: a slow server raises its host's figures (and its
//! network's), so the next wait is longer. Samples only come from attempts that got an answer
//! on a connection of their own, so none is ambiguous (Karn's rule holds by construction).
//! Memory is bounded: at most [`MAX_HOSTS`] hosts and [`MAX_NETWORKS`] networks are kept, the
//! oldest dropped first, so a /8 sweep holds what a /24 does.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Shortest connect timeout read from a host's or its network's figures: nmap's minimum RTT
/// timeout. A SYN lost on the way is the retry's business, not this wait's.
pub const CONNECT_FLOOR: Duration = Duration::from_millis(100);

/// Shortest connect timeout read from the scan's figures alone.
pub const SCAN_CONNECT_FLOOR: Duration = Duration::from_millis(250);

/// Added to an answer's SRTT + 4·RTTVAR: room for one retransmitted segment.
pub const ANSWER_MARGIN: Duration = Duration::from_millis(200);

/// Shortest answer timeout: a TLS server signs or looks up something before it answers, and a
/// busy one takes its time; an answer wait is never shorter than this.
pub const ANSWER_FLOOR: Duration = Duration::from_millis(500);

/// The answer timeout before anything has answered (nmap's initial RTT timeout).
pub const INITIAL_ANSWER: Duration = Duration::from_secs(1);

/// Connect retries a lossy path may add to `--retries` (module doc).
pub const MAX_LOSS_RETRIES: u32 = 3;

/// Hosts whose figures are kept.
pub const MAX_HOSTS: usize = 4096;

/// Networks whose figures are kept.
pub const MAX_NETWORKS: usize = 1024;

/// What was timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    /// A TCP connect, to its SYN-ACK or RST.
    Connect,
    /// A hello, to the server's answer.
    Answer,
}

/// Where an estimate comes from, most specific first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The host itself.
    Host,
    /// Its /24 (IPv4) or /64 (IPv6).
    Network,
    /// The whole scan.
    Scan,
}

/// A smoothed round-trip time and its mean deviation (RFC 6298 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    srtt: Duration,
    rttvar: Duration,
    samples: u32,
}

impl Estimate {
    /// The estimate after a first sample: SRTT = R, RTTVAR = R/2.
    pub fn first(sample: Duration) -> Estimate {
        Estimate {
            srtt: sample,
            rttvar: sample / 2,
            samples: 1,
        }
    }

    /// Takes one more sample: RTTVAR = 3/4·RTTVAR + 1/4·|SRTT − R|, then SRTT = 7/8·SRTT + 1/8·R.
    pub fn update(&mut self, sample: Duration) {
        let deviation = self.srtt.abs_diff(sample);
        self.rttvar = (self.rttvar - self.rttvar / 4).saturating_add(deviation / 4);
        self.srtt = (self.srtt - self.srtt / 8).saturating_add(sample / 8);
        self.samples = self.samples.saturating_add(1);
    }

    /// SRTT + 4·RTTVAR: the wait beyond which an answer is unlikely (RFC 6298 §2.3).
    pub fn bound(&self) -> Duration {
        self.srtt.saturating_add(self.rttvar.saturating_mul(4))
    }

    /// The smoothed round-trip time.
    pub fn srtt(&self) -> Duration {
        self.srtt
    }

    /// The mean deviation.
    pub fn rttvar(&self) -> Duration {
        self.rttvar
    }

    /// Samples taken.
    pub fn samples(&self) -> u32 {
        self.samples
    }
}

/// The connect timeout of attempt `attempt` (0 for the first), given the best estimate and
/// the user's limit (module doc).
pub fn connect_timeout(best: Option<(Scope, Estimate)>, attempt: u32, limit: Duration) -> Duration {
    let Some((scope, estimate)) = best else {
        return limit;
    };
    let floor = match scope {
        Scope::Host | Scope::Network => CONNECT_FLOOR,
        Scope::Scan => SCAN_CONNECT_FLOOR,
    };
    let base = estimate.bound().max(floor);
    let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(limit)
}

/// The answer timeout, given the scopes' estimates and the user's limit (module doc).
pub fn answer_timeout(known: impl IntoIterator<Item = Estimate>, limit: Duration) -> Duration {
    let longest = known.into_iter().map(|e| e.bound()).max();
    let learned = match longest {
        None => INITIAL_ANSWER,
        Some(bound) => bound.saturating_add(ANSWER_MARGIN).max(ANSWER_FLOOR),
    };
    learned.min(limit / 2)
}

/// The network an address belongs to, for the per-network figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Network {
    V4([u8; 3]),
    V6([u8; 8]),
}

fn network(ip: IpAddr) -> Network {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Network::V4([a, b, c])
        }
        IpAddr::V6(v6) => {
            let o = v6.octets();
            let mut prefix = [0u8; 8];
            for (p, b) in prefix.iter_mut().zip(o) {
                *p = b;
            }
            Network::V6(prefix)
        }
    }
}

/// The two legs' estimates of one scope.
#[derive(Clone, Copy, Debug, Default)]
struct Legs {
    connect: Option<Estimate>,
    answer: Option<Estimate>,
}

impl Legs {
    fn get(&self, leg: Leg) -> Option<Estimate> {
        match leg {
            Leg::Connect => self.connect,
            Leg::Answer => self.answer,
        }
    }

    fn record(&mut self, leg: Leg, sample: Duration) {
        let slot = match leg {
            Leg::Connect => &mut self.connect,
            Leg::Answer => &mut self.answer,
        };
        match slot {
            Some(e) => e.update(sample),
            None => *slot = Some(Estimate::first(sample)),
        }
    }
}

/// A map that keeps at most `cap` keys, dropping the one inserted first.
#[derive(Debug)]
struct Bounded<K> {
    map: HashMap<K, Legs>,
    order: VecDeque<K>,
    cap: usize,
}

impl<K: Copy + Eq + Hash> Bounded<K> {
    fn new(cap: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    fn get(&self, key: &K) -> Option<&Legs> {
        self.map.get(key)
    }

    fn entry(&mut self, key: K) -> &mut Legs {
        if !self.map.contains_key(&key) {
            while self.map.len() >= self.cap {
                match self.order.pop_front() {
                    Some(old) => {
                        self.map.remove(&old);
                    }
                    None => break,
                }
            }
            self.order.push_back(key);
        }
        self.map.entry(key).or_default()
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// Every scope's figures (no lock; [`RttTable`] shares it).
#[derive(Debug)]
pub struct Figures {
    hosts: Bounded<IpAddr>,
    networks: Bounded<Network>,
    scan: Legs,
    /// The latest attempt (0: the first) on which a connect of the scan succeeded.
    deepest_connect: u32,
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            hosts: Bounded::new(MAX_HOSTS),
            networks: Bounded::new(MAX_NETWORKS),
            scan: Legs::default(),
            deepest_connect: 0,
        }
    }
}

impl Figures {
    /// Notes that a connect succeeded on attempt `attempt` (0: the first).
    pub fn connected_on(&mut self, attempt: u32) {
        self.deepest_connect = self.deepest_connect.max(attempt);
    }

    /// The retries a connect with learned waits gets: `retries`, or one more than the deepest
    /// success needed, at most [`MAX_LOSS_RETRIES`] more.
    pub fn connect_retries(&self, retries: u32) -> u32 {
        let needed = self.deepest_connect.saturating_add(1);
        retries.max(needed.min(retries.saturating_add(MAX_LOSS_RETRIES)))
    }

    /// Takes a sample of `leg` to `ip` into the host's, its network's and the scan's figures.
    pub fn record(&mut self, ip: IpAddr, leg: Leg, sample: Duration) {
        self.hosts.entry(ip).record(leg, sample);
        self.networks.entry(network(ip)).record(leg, sample);
        self.scan.record(leg, sample);
    }

    /// The most specific estimate of `leg` for `ip`, and where it comes from.
    pub fn best(&self, ip: IpAddr, leg: Leg) -> Option<(Scope, Estimate)> {
        self.scopes(ip, leg).into_iter().flatten().next()
    }

    /// The host's, its network's and the scan's estimates of `leg`, where there are some.
    pub fn scopes(&self, ip: IpAddr, leg: Leg) -> [Option<(Scope, Estimate)>; 3] {
        let host = self.hosts.get(&ip).and_then(|l| l.get(leg));
        let net = self.networks.get(&network(ip)).and_then(|l| l.get(leg));
        [
            host.map(|e| (Scope::Host, e)),
            net.map(|e| (Scope::Network, e)),
            self.scan.get(leg).map(|e| (Scope::Scan, e)),
        ]
    }

    /// Hosts and networks whose figures are kept (for tests of the memory bound).
    pub fn kept(&self) -> (usize, usize) {
        (self.hosts.len(), self.networks.len())
    }
}

/// The figures of one scan, shared by all its endpoints (the engine's `Limits` holds it).
#[derive(Debug, Default)]
pub struct RttTable {
    figures: Mutex<Figures>,
}

impl RttTable {
    /// Takes a sample (module doc).
    pub fn record(&self, ip: IpAddr, leg: Leg, sample: Duration) {
        self.lock().record(ip, leg, sample);
    }

    /// The connect timeout of attempt `attempt` to `ip`, at most `limit`.
    pub fn connect_timeout(&self, ip: IpAddr, attempt: u32, limit: Duration) -> Duration {
        connect_timeout(self.lock().best(ip, Leg::Connect), attempt, limit)
    }

    /// The answer timeout for a hello to `ip`, at most half of `limit`.
    pub fn answer_timeout(&self, ip: IpAddr, limit: Duration) -> Duration {
        let scopes = self.lock().scopes(ip, Leg::Answer);
        answer_timeout(scopes.into_iter().flatten().map(|(_, e)| e), limit)
    }

    /// The most specific estimate of `leg` for `ip`.
    pub fn best(&self, ip: IpAddr, leg: Leg) -> Option<(Scope, Estimate)> {
        self.lock().best(ip, leg)
    }

    /// Notes that a connect succeeded on attempt `attempt` (0: the first).
    pub fn connected_on(&self, attempt: u32) {
        self.lock().connected_on(attempt);
    }

    /// The retries a connect with learned waits gets ([`Figures::connect_retries`]).
    pub fn connect_retries(&self, retries: u32) -> u32 {
        self.lock().connect_retries(retries)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Figures> {
        self.figures.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn smoothing_follows_rfc_6298() {
        let mut e = Estimate::first(ms(100));
        assert_eq!((e.srtt(), e.rttvar()), (ms(100), ms(50)));
        assert_eq!(e.bound(), ms(300));
        // R = 200: RTTVAR = 3/4·50 + 1/4·100 = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5.
        e.update(ms(200));
        assert_eq!(e.rttvar(), Duration::from_micros(62_500));
        assert_eq!(e.srtt(), Duration::from_micros(112_500));
        assert_eq!(e.samples(), 2);
    }

    #[test]
    fn steady_samples_converge_and_the_deviation_decays() {
        let mut e = Estimate::first(ms(20));
        for _ in 0..50 {
            e.update(ms(20));
        }
        assert_eq!(e.srtt(), ms(20));
        assert!(e.rttvar() < ms(1), "{:?}", e.rttvar());
    }

    #[test]
    fn a_late_answer_raises_the_estimate() {
        let mut e = Estimate::first(ms(20));
        for _ in 0..20 {
            e.update(ms(20));
        }
        let before = answer_timeout([e], ms(10_000));
        e.update(ms(3000));
        let after = answer_timeout([e], ms(10_000));
        // One 3 s answer: RTTVAR grows by ~745 ms, SRTT by ~372 ms.
        assert!(after > before + ms(3000), "{before:?} -> {after:?}");
    }

    #[test]
    fn connect_timeouts_from_a_20ms_network() {
        let mut f = Figures::default();
        for h in 1..=10 {
            f.record(ip(&format!("10.0.0.{h}")), Leg::Connect, ms(20));
        }
        let limit = ms(3000);
        // A silent neighbour: SRTT 20 ms, RTTVAR ~ a few ms, so the floor of 100 ms decides.
        let best = f.best(ip("10.0.0.77"), Leg::Connect);
        assert_eq!(best.map(|b| b.0), Some(Scope::Network));
        let waits: Vec<Duration> = (0..3).map(|k| connect_timeout(best, k, limit)).collect();
        assert_eq!(waits, [ms(100), ms(200), ms(400)]);
        // Two attempts of a filtered address: 300 ms, against 6 s at the limit.
        // Another network of the same scan: the scan's figures with their higher floor.
        let best = f.best(ip("10.9.9.9"), Leg::Connect);
        assert_eq!(best.map(|b| b.0), Some(Scope::Scan));
        assert_eq!(connect_timeout(best, 0, limit), ms(250));
        assert_eq!(connect_timeout(best, 1, limit), ms(500));
        // The host's own figures win over its network's.
        f.record(ip("10.0.0.50"), Leg::Connect, ms(400));
        let best = f.best(ip("10.0.0.50"), Leg::Connect);
        assert_eq!(best.map(|b| b.0), Some(Scope::Host));
        assert_eq!(connect_timeout(best, 0, limit), ms(1200));
    }

    #[test]
    fn nothing_known_means_the_limit_and_the_limit_caps_everything() {
        assert_eq!(connect_timeout(None, 0, ms(3000)), ms(3000));
        assert_eq!(answer_timeout([], ms(5000)), INITIAL_ANSWER);
        // A learned answer wait is at most half the limit: the retry gets all of it.
        assert_eq!(answer_timeout([], ms(300)), ms(150));
        let slow = Estimate::first(ms(2000));
        assert_eq!(
            connect_timeout(Some((Scope::Host, slow)), 0, ms(3000)),
            ms(3000)
        );
        assert_eq!(
            connect_timeout(Some((Scope::Host, slow)), 40, ms(3000)),
            ms(3000)
        );
        assert_eq!(answer_timeout([slow], ms(5000)), ms(2500));
    }

    #[test]
    fn answer_timeouts_keep_a_margin_and_a_floor() {
        let mut e = Estimate::first(ms(25));
        for _ in 0..30 {
            e.update(ms(25));
        }
        assert_eq!(answer_timeout([e], ms(5000)), ANSWER_FLOOR);
        let mut wan = Estimate::first(ms(300));
        for r in [280, 320, 300, 310, 290] {
            wan.update(ms(r));
        }
        let t = answer_timeout([wan], ms(5000));
        assert_eq!(t, wan.bound() + ANSWER_MARGIN);
        assert!(t > ms(600) && t < ms(1000), "{t:?}");
    }

    #[test]
    fn an_answer_wait_is_the_longest_scope_says() {
        // A host whose one answer came in 20 ms, on a network whose servers are answering a
        // wave of hellos in about 400 ms: the host gets the network's wait, not its own.
        let mut f = Figures::default();
        f.record(ip("10.0.0.1"), Leg::Answer, ms(20));
        for h in 2..=20 {
            f.record(ip(&format!("10.0.0.{h}")), Leg::Answer, ms(400));
        }
        let scopes = f.scopes(ip("10.0.0.1"), Leg::Answer);
        assert_eq!(scopes.iter().flatten().count(), 3);
        let host_only = answer_timeout(scopes[0].map(|(_, e)| e), ms(5000));
        let all = answer_timeout(scopes.into_iter().flatten().map(|(_, e)| e), ms(5000));
        assert_eq!(host_only, ANSWER_FLOOR);
        assert!(all > ms(700), "{all:?}");
    }

    #[test]
    fn networks_are_slash_24_and_slash_64() {
        let mut f = Figures::default();
        f.record(ip("192.0.2.1"), Leg::Answer, ms(10));
        f.record(ip("2001:db8:0:1::1"), Leg::Answer, ms(10));
        assert_eq!(
            f.best(ip("192.0.2.200"), Leg::Answer).map(|b| b.0),
            Some(Scope::Network)
        );
        assert_eq!(
            f.best(ip("::ffff:192.0.2.9"), Leg::Answer).map(|b| b.0),
            Some(Scope::Network)
        );
        assert_eq!(
            f.best(ip("192.0.3.1"), Leg::Answer).map(|b| b.0),
            Some(Scope::Scan)
        );
        assert_eq!(
            f.best(ip("2001:db8:0:1:ffff::9"), Leg::Answer).map(|b| b.0),
            Some(Scope::Network)
        );
        assert_eq!(
            f.best(ip("2001:db8:0:2::1"), Leg::Answer).map(|b| b.0),
            Some(Scope::Scan)
        );
        // The legs are apart: no connect has been timed.
        assert_eq!(f.best(ip("192.0.2.1"), Leg::Connect), None);
    }

    #[test]
    fn memory_is_bounded_whatever_the_range() {
        let mut f = Figures::default();
        for i in 0..(1u32 << 16) {
            f.record(
                IpAddr::from((0x0a00_0000 + (i << 4)).to_be_bytes()),
                Leg::Connect,
                ms(1),
            );
        }
        assert_eq!(f.kept(), (MAX_HOSTS, MAX_NETWORKS));
        // The newest are kept.
        let last = IpAddr::from((0x0a00_0000u32 + (0xffff << 4)).to_be_bytes());
        assert_eq!(f.best(last, Leg::Connect).map(|b| b.0), Some(Scope::Host));
    }

    #[test]
    fn connects_that_needed_a_retry_buy_every_connect_one_more() {
        let mut f = Figures::default();
        assert_eq!(f.connect_retries(1), 1);
        f.connected_on(0);
        assert_eq!(f.connect_retries(1), 1);
        // Loss: a connect got through on its second attempt; everyone now gets a third.
        f.connected_on(1);
        assert_eq!(f.connect_retries(1), 2);
        assert_eq!(f.connect_retries(0), 2);
        f.connected_on(9);
        assert_eq!(f.connect_retries(1), 1 + MAX_LOSS_RETRIES);
        assert_eq!(f.connect_retries(0), MAX_LOSS_RETRIES);
        assert_eq!(f.connect_retries(7), 10);
        assert_eq!(f.connect_retries(20), 20);
    }

    #[test]
    fn the_shared_table_answers_like_the_figures() {
        let t = RttTable::default();
        assert_eq!(t.connect_timeout(ip("10.1.1.1"), 0, ms(3000)), ms(3000));
        t.record(ip("10.1.1.2"), Leg::Connect, ms(1));
        assert_eq!(
            t.connect_timeout(ip("10.1.1.1"), 0, ms(3000)),
            CONNECT_FLOOR
        );
        // Only a connect was timed: no answer figures yet.
        assert_eq!(t.answer_timeout(ip("10.1.1.1"), ms(5000)), INITIAL_ANSWER);
    }
}

//! The target set and its lazy expansion into endpoints: a sans-IO state machine
//! ([`Expansion`]) that yields one planned endpoint at a time and asks its driver for name
//! resolutions when it reaches a host name. `stream.rs` drives it from a tokio task.
//!
//! Memory is O(number of specs), never O(size of a range): cursors are integers, and
//! duplicates are found by asking the earlier specs whether they contain an endpoint.
//!
//! A range is walked in blocks of [`BLOCK`] addresses, ports-major within a block: every
//! address of the block on the first port, then every one on the second, and so on. One host's
//! ports are then a block apart in the stream, not back to back, so the engine spreads its
//! connections over many hosts instead of queueing on one host's per-host cap, and a host is
//! not asked for all its ports at once.
//! An endpoint here is (address, port, SNI): a host name and a bare address that resolve to the
//! same socket are both scanned, because the SNI can select a different certificate or
//! configuration; two IP specs (or two spellings of one name) that overlap are scanned once.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use super::addr::AddrIter;
use super::admit::Plan;
use super::ports::PortBits;
use super::spec::{SpecKind, TargetSpec};
use super::Shard;

/// Candidates examined without yielding anything before [`Expansion::next`] returns
/// [`Step::Idle`], so a driver can yield to the runtime while a shard or an exclusion filters
/// out a long run (a /8 minus a /8 would otherwise spin for seconds without an await point).
const MAX_SKIPS_PER_STEP: u32 = 65_536;

/// Addresses of a range walked ports-major together (module doc): a /24.
pub(crate) const BLOCK: u32 = 256;

/// Everything the user asked to scan: targets, exclusions, ports, shard. Holds only the parsed
/// specs; endpoints are produced lazily by [`TargetSet::into_stream`].
#[derive(Debug, Clone)]
pub struct TargetSet {
    pub(crate) includes: Vec<TargetSpec>,
    pub(crate) excludes: Vec<TargetSpec>,
    pub(crate) ports: Arc<[u16]>,
    pub(crate) shard: Option<Shard>,
}

/// One item of the expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// An endpoint to probe.
    Endpoint(EndpointSpec),
    /// A host name that did not resolve: reported once per port, never fatal.
    Unresolved {
        /// The target as the user wrote it.
        target: String,
        /// The port it would have been scanned on.
        port: u16,
        /// Why resolution failed.
        error: String,
    },
}

/// One endpoint to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSpec {
    /// The target as the user wrote it (shared by every endpoint it produced).
    pub target: Arc<str>,
    /// The host name (lower case) for a name target, the address as text otherwise.
    pub host: Arc<str>,
    /// The address to connect to.
    pub ip: IpAddr,
    /// The port to connect to.
    pub port: u16,
    /// The SNI to send: the host name for a name target, `None` for an address.
    pub sni: Option<Arc<str>>,
    /// Whether a target named this address individually (a single address, or a host name),
    /// rather than as one member of a range: a failure here makes a scan incomplete (exit 3).
    pub explicit: bool,
}

impl TargetSet {
    /// A target set. Repeated ports are dropped (first occurrence kept); ports are scanned in
    /// the given order, for every target that does not carry its own port.
    pub fn new(
        includes: Vec<TargetSpec>,
        excludes: Vec<TargetSpec>,
        ports: Vec<u16>,
        shard: Option<Shard>,
    ) -> TargetSet {
        let mut seen = PortBits::default();
        let ports: Vec<u16> = ports.into_iter().filter(|&p| seen.insert(p)).collect();
        TargetSet {
            includes,
            excludes,
            ports: ports.into(),
            shard,
        }
    }

    /// The number of endpoints to expect, for a progress total: an upper bound before
    /// duplicates and exclusions are removed (a host name counts as one address per port),
    /// and under `--shard K/N` this shard's share of it, rounded up (the split is by hash, so
    /// a shard holds about its share, not exactly). Saturates at `u128::MAX`.
    pub fn size_hint(&self) -> u128 {
        let total = self.includes.iter().fold(0u128, |total, spec| {
            let ports = match spec.port {
                Some(_) => 1,
                None => self.ports.len() as u128,
            };
            total.saturating_add(spec.address_count().saturating_mul(ports))
        });
        match self.shard {
            Some(shard) if shard.count > 1 => total.div_ceil(u128::from(shard.count)),
            _ => total,
        }
    }

    /// The targets to scan, in order.
    pub fn includes(&self) -> &[TargetSpec] {
        &self.includes
    }

    /// The `--exclude` targets.
    pub fn excludes(&self) -> &[TargetSpec] {
        &self.excludes
    }

    /// The ports scanned for targets without their own port.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// The shard, if the scan is split.
    pub fn shard(&self) -> Option<Shard> {
        self.shard
    }
}

/// What [`Expansion::next`] produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// The next planned item.
    Emit(Planned),
    /// Resolve this name (as written) and pass the answer to [`Expansion::provide`].
    Resolve(String),
    /// Nothing yet; call again (a chance to yield).
    Idle,
    /// Finished.
    Done,
}

/// The lazy expansion of a [`TargetSet`].
pub(crate) struct Expansion {
    plan: Plan,
    cursor: Cursor,
}

/// Where the expansion is.
enum Cursor {
    /// Resolving the names among the excludes, from this exclude index on.
    Excludes(usize),
    /// About to start the include at this index.
    Spec(usize),
    /// Walking a literal include's addresses, a block at a time, ports-major.
    Addrs {
        spec: usize,
        /// The block's first address on (an O(1) iterator, replayed once per port; boxed to
        /// keep the other cursors small).
        block: Box<AddrIter>,
        /// The current port's pass through the block.
        pass: AddrIter,
        /// Addresses taken in this pass.
        taken: u32,
        port_pos: usize,
    },
    /// Walking a resolved name's addresses.
    Resolved {
        spec: usize,
        addrs: Arc<[IpAddr]>,
        addr_pos: usize,
        port_pos: usize,
    },
    /// Reporting a name that failed to resolve, port by port.
    Failed {
        spec: usize,
        error: Arc<str>,
        port_pos: usize,
    },
    Done,
}

impl Expansion {
    pub(crate) fn new(set: TargetSet) -> Expansion {
        Expansion {
            plan: Plan::new(set),
            cursor: Cursor::Excludes(0),
        }
    }

    /// Every name the expansion will ask to resolve, in the order it will ask: exclude names
    /// first, then include names (once per distinct name). Lets a driver resolve ahead.
    pub(crate) fn lookup_order(&self) -> Vec<String> {
        let mut order = Vec::new();
        for spec in &self.plan.excludes {
            if let SpecKind::Name(name) = &spec.kind {
                order.push(name.lookup.clone());
            }
        }
        let mut asked: HashSet<&str> = HashSet::new();
        for spec in &self.plan.includes {
            if let SpecKind::Name(name) = &spec.kind {
                // Only the first include with a given name asks; the rest reuse its answer.
                if asked.insert(&name.key) {
                    order.push(name.lookup.clone());
                }
            }
        }
        order
    }

    /// The answer to the last [`Step::Resolve`].
    pub(crate) fn provide(&mut self, answer: Result<Vec<IpAddr>, String>) {
        let answer = answer.map(|mut addrs| {
            addrs.sort();
            addrs.dedup();
            addrs
        });
        match self.cursor {
            Cursor::Excludes(k) => {
                if let (Ok(addrs), Some(spec)) = (&answer, self.plan.excludes.get(k)) {
                    for &ip in addrs {
                        self.plan
                            .single_excludes
                            .entry(ip)
                            .or_default()
                            .push(spec.port);
                    }
                }
                self.cursor = Cursor::Excludes(k + 1);
            }
            Cursor::Spec(i) => {
                if let Some(SpecKind::Name(name)) = self.plan.includes.get(i).map(|s| &s.kind) {
                    let result = match answer {
                        Ok(addrs) if addrs.is_empty() => Err(Arc::from("no addresses")),
                        Ok(addrs) => Ok(Arc::from(addrs)),
                        Err(error) => Err(Arc::from(error)),
                    };
                    if let Some(entry) = self.plan.names.get_mut(&name.key) {
                        entry.result = Some(result);
                    }
                }
            }
            _ => {}
        }
    }

    /// The next step. Never blocks; returns [`Step::Resolve`] when it needs a name.
    pub(crate) fn next(&mut self) -> Step {
        let mut skips = 0u32;
        loop {
            if skips >= MAX_SKIPS_PER_STEP {
                return Step::Idle;
            }
            let Expansion { plan, cursor } = self;
            match cursor {
                Cursor::Excludes(k) => {
                    let next_name =
                        plan.excludes
                            .iter()
                            .enumerate()
                            .skip(*k)
                            .find_map(|(i, spec)| match &spec.kind {
                                SpecKind::Name(name) => Some((i, name.lookup.clone())),
                                SpecKind::Addrs(_) => None,
                            });
                    match next_name {
                        Some((i, lookup)) => {
                            *cursor = Cursor::Excludes(i);
                            return Step::Resolve(lookup);
                        }
                        None => *cursor = Cursor::Spec(0),
                    }
                }
                Cursor::Spec(i) => {
                    let i = *i;
                    let Some(spec) = plan.includes.get(i) else {
                        *cursor = Cursor::Done;
                        continue;
                    };
                    match &spec.kind {
                        SpecKind::Addrs(set) => {
                            *cursor = Cursor::Addrs {
                                spec: i,
                                block: Box::new(set.iter()),
                                pass: set.iter(),
                                taken: 0,
                                port_pos: 0,
                            };
                        }
                        SpecKind::Name(name) => {
                            match plan.names.get(&name.key).and_then(|e| e.result.clone()) {
                                None => return Step::Resolve(name.lookup.clone()),
                                Some(Ok(addrs)) => {
                                    *cursor = Cursor::Resolved {
                                        spec: i,
                                        addrs,
                                        addr_pos: 0,
                                        port_pos: 0,
                                    }
                                }
                                Some(Err(error)) => {
                                    *cursor = Cursor::Failed {
                                        spec: i,
                                        error,
                                        port_pos: 0,
                                    }
                                }
                            }
                        }
                    }
                }
                Cursor::Addrs {
                    spec,
                    block,
                    pass,
                    taken,
                    port_pos,
                } => {
                    let ports = plan.ports_of(*spec);
                    let next = if *taken < BLOCK { pass.next() } else { None };
                    if let (Some(ip), Some(&port)) = (next, ports.get(*port_pos)) {
                        *taken += 1;
                        match plan.admit_addr(*spec, ip, port) {
                            Some(endpoint) => return Step::Emit(Planned::Endpoint(endpoint)),
                            None => skips += 1,
                        }
                        continue;
                    }
                    // This pass through the block is over.
                    let range_done = next.is_none() && *taken < BLOCK;
                    if *taken == 0 || ports.is_empty() {
                        *cursor = Cursor::Spec(*spec + 1);
                        continue;
                    }
                    *port_pos += 1;
                    if *port_pos < ports.len() {
                        *pass = (**block).clone();
                    } else if range_done {
                        *cursor = Cursor::Spec(*spec + 1);
                        continue;
                    } else {
                        // The last pass stopped right after the block: the next block.
                        **block = pass.clone();
                        *port_pos = 0;
                    }
                    *taken = 0;
                }
                Cursor::Resolved {
                    spec,
                    addrs,
                    addr_pos,
                    port_pos,
                } => {
                    let ports = plan.ports_of(*spec);
                    if *port_pos >= ports.len() {
                        *port_pos = 0;
                        *addr_pos += 1;
                    }
                    let (Some(&ip), Some(&port)) = (addrs.get(*addr_pos), ports.get(*port_pos))
                    else {
                        *cursor = Cursor::Spec(*spec + 1);
                        continue;
                    };
                    *port_pos += 1;
                    match plan.admit_name(*spec, ip, port) {
                        Some(endpoint) => return Step::Emit(Planned::Endpoint(endpoint)),
                        None => skips += 1,
                    }
                }
                Cursor::Failed {
                    spec,
                    error,
                    port_pos,
                } => {
                    let ports = plan.ports_of(*spec);
                    let Some(&port) = ports.get(*port_pos) else {
                        *cursor = Cursor::Spec(*spec + 1);
                        continue;
                    };
                    *port_pos += 1;
                    if let Some(unresolved) = plan.admit_unresolved(*spec, port, error) {
                        return Step::Emit(unresolved);
                    }
                    skips += 1;
                }
                Cursor::Done => return Step::Done,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::targets::parse_target_list;

    /// Drives an expansion synchronously, answering lookups from `names`.
    fn run(set: TargetSet, names: &[(&str, &[&str])]) -> Vec<Planned> {
        let names: HashMap<&str, Vec<IpAddr>> = names
            .iter()
            .map(|(n, a)| (*n, a.iter().map(|s| s.parse().unwrap()).collect()))
            .collect();
        let mut expansion = Expansion::new(set);
        let mut out = Vec::new();
        loop {
            match expansion.next() {
                Step::Emit(p) => out.push(p),
                Step::Resolve(name) => expansion.provide(
                    names
                        .get(name.as_str())
                        .cloned()
                        .ok_or_else(|| format!("no such host: {name}")),
                ),
                Step::Idle => {}
                Step::Done => return out,
            }
        }
    }

    fn set(includes: &str, excludes: &str, ports: &[u16]) -> TargetSet {
        TargetSet::new(
            parse_target_list(includes).unwrap(),
            parse_target_list(excludes).unwrap(),
            ports.to_vec(),
            None,
        )
    }

    /// Compact rendering: `ip:port` with `*` for explicit and `@sni`; `!target:port` unresolved.
    fn render(planned: &[Planned]) -> Vec<String> {
        planned
            .iter()
            .map(|p| match p {
                Planned::Endpoint(e) => {
                    let ip = match e.ip {
                        IpAddr::V6(v6) => format!("[{v6}]"),
                        IpAddr::V4(v4) => v4.to_string(),
                    };
                    let mut s = format!("{ip}:{}", e.port);
                    if e.explicit {
                        s.push('*');
                    }
                    if let Some(sni) = &e.sni {
                        s.push('@');
                        s.push_str(sni);
                    }
                    s
                }
                Planned::Unresolved { target, port, .. } => format!("!{target}:{port}"),
            })
            .collect()
    }

    #[test]
    fn expands_in_target_order_and_ports_major_within_a_range() {
        let out = render(&run(set("10.0.0.1-2 192.168.0.1", "", &[6443, 2379]), &[]));
        assert_eq!(
            out,
            [
                "10.0.0.1:6443",
                "10.0.0.2:6443",
                "10.0.0.1:2379",
                "10.0.0.2:2379",
                "192.168.0.1:6443*",
                "192.168.0.1:2379*"
            ]
        );
    }

    #[test]
    fn hosts_of_a_range_are_interleaved_a_block_at_a_time() {
        let out = run(
            set("10.0.0.0/23 10.9.0.0/31", "", &[6443, 2379, 10250]),
            &[],
        );
        let keys: Vec<(IpAddr, u16)> = out
            .iter()
            .map(|p| match p {
                Planned::Endpoint(e) => (e.ip, e.port),
                Planned::Unresolved { .. } => panic!("{p:?}"),
            })
            .collect();
        assert_eq!(keys.len(), (512 + 2) * 3);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let block = BLOCK as usize;
        // Each /24 of the /23 on each port in turn, then the next spec the same way.
        for (b, net) in ["10.0.0", "10.0.1"].iter().enumerate() {
            for (k, port) in [6443, 2379, 10250].into_iter().enumerate() {
                for h in 0..block {
                    let at = (b * 3 + k) * block + h;
                    assert_eq!(keys[at], (ip(&format!("{net}.{h}")), port), "at {at}");
                }
            }
        }
        assert_eq!(
            keys[1536..],
            [
                (ip("10.9.0.0"), 6443),
                (ip("10.9.0.1"), 6443),
                (ip("10.9.0.0"), 2379),
                (ip("10.9.0.1"), 2379),
                (ip("10.9.0.0"), 10250),
                (ip("10.9.0.1"), 10250),
            ]
        );
        // One host's ports are a block apart, never back to back.
        for (i, pair) in keys.windows(2).enumerate() {
            assert_ne!(pair[0].0, pair[1].0, "{pair:?} back to back at {i}");
        }
        // Every endpoint exactly once.
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len());
    }

    #[test]
    fn a_range_that_ends_inside_a_block_or_on_its_edge_is_walked_whole() {
        for (range, n) in [
            ("10.0.0.0/24", 256),
            ("10.0.0.0-254", 255),
            ("10.0.0-1.0-128", 258),
        ] {
            let out = run(set(range, "", &[1, 2]), &[]);
            assert_eq!(out.len(), 2 * n, "{range}");
            let mut seen: Vec<String> = render(&out);
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 2 * n, "{range}: duplicates");
        }
    }

    #[test]
    fn target_port_overrides_the_port_list() {
        let out = render(&run(
            set(
                "10.0.0.1:2380 [::1]:443 10.0.0.8/31:10250",
                "",
                &[6443, 2379],
            ),
            &[],
        ));
        assert_eq!(
            out,
            [
                "10.0.0.1:2380*",
                "[::1]:443*",
                "10.0.0.8:10250",
                "10.0.0.9:10250"
            ]
        );
    }

    #[test]
    fn overlapping_specs_are_scanned_once() {
        let out = render(&run(
            set(
                "10.0.0.0/30 10.0.0.2-5 10.0.0.3 10.0.0.4:2379 10.0.0.6:2380 10.0.0.5-6",
                "",
                &[6443, 2379],
            ),
            &[],
        ));
        assert_eq!(
            out,
            [
                "10.0.0.0:6443",
                "10.0.0.1:6443",
                "10.0.0.2:6443",
                // .3 is also named alone later: explicit, but scanned once, here.
                "10.0.0.3:6443*",
                "10.0.0.0:2379",
                "10.0.0.1:2379",
                "10.0.0.2:2379",
                "10.0.0.3:2379*",
                "10.0.0.4:6443",
                "10.0.0.5:6443",
                // .4:2379 is also named alone.
                "10.0.0.4:2379*",
                "10.0.0.5:2379",
                // 10.0.0.6:2380 is not on the -p list, so the last range does not cover it.
                "10.0.0.6:2380*",
                "10.0.0.6:6443",
                "10.0.0.6:2379",
            ]
        );
    }

    #[test]
    fn excludes_remove_addresses_and_ports() {
        let out = render(&run(
            set(
                "10.0.0.0/29",
                "10.0.0.0-1,10.0.0.4:2379 10.0.0.6/31",
                &[6443, 2379],
            ),
            &[],
        ));
        assert_eq!(
            out,
            [
                "10.0.0.2:6443",
                "10.0.0.3:6443",
                "10.0.0.4:6443",
                "10.0.0.5:6443",
                "10.0.0.2:2379",
                "10.0.0.3:2379",
                "10.0.0.5:2379"
            ]
        );
    }

    #[test]
    fn names_resolve_to_every_address_with_sni() {
        let names: &[(&str, &[&str])] = &[(
            "node1.example.com",
            &["10.0.0.9", "2001:db8::9", "10.0.0.5", "10.0.0.5"],
        )];
        let out = render(&run(set("node1.example.com", "", &[6443]), names));
        assert_eq!(
            out,
            [
                "10.0.0.5:6443*@node1.example.com",
                "10.0.0.9:6443*@node1.example.com",
                "[2001:db8::9]:6443*@node1.example.com"
            ]
        );
    }

    #[test]
    fn a_name_and_an_address_of_it_are_both_scanned_but_a_name_once() {
        let names: &[(&str, &[&str])] = &[("node1", &["10.0.0.5"])];
        let out = render(&run(
            set("10.0.0.5 node1 NODE1. node1:2380", "", &[6443]),
            names,
        ));
        assert_eq!(
            out,
            [
                "10.0.0.5:6443*",
                "10.0.0.5:6443*@node1",
                "10.0.0.5:2380*@node1"
            ]
        );
    }

    #[test]
    fn unresolved_names_are_reported_per_port_and_not_fatal() {
        let out = run(set("ghost 10.0.0.1 ghost", "", &[6443, 2379]), &[]);
        assert_eq!(
            render(&out),
            [
                "!ghost:6443",
                "!ghost:2379",
                "10.0.0.1:6443*",
                "10.0.0.1:2379*"
            ]
        );
        let Planned::Unresolved { error, .. } = &out[0] else {
            panic!()
        };
        assert_eq!(error, "no such host: ghost");
    }

    #[test]
    fn excluded_names_remove_their_addresses_and_their_sni() {
        let names: &[(&str, &[&str])] = &[("node1", &["10.0.0.1"]), ("node2", &["10.0.0.2"])];
        let out = render(&run(
            set(
                "10.0.0.0/30 node1 node2 ghost",
                "node1 ghost:2379",
                &[6443, 2379],
            ),
            names,
        ));
        assert_eq!(
            out,
            [
                "10.0.0.0:6443",
                "10.0.0.2:6443",
                "10.0.0.3:6443",
                "10.0.0.0:2379",
                "10.0.0.2:2379",
                "10.0.0.3:2379",
                "10.0.0.2:6443*@node2",
                "10.0.0.2:2379*@node2",
                "!ghost:6443"
            ]
        );
    }

    #[test]
    fn lookups_are_requested_in_the_announced_order() {
        let set = set("b 10.0.0.1 a B. c a", "x 10.0.0.0/8 y", &[1]);
        let mut expansion = Expansion::new(set);
        let announced = expansion.lookup_order();
        assert_eq!(announced, ["x", "y", "b", "a", "c"]);
        let mut asked = Vec::new();
        loop {
            match expansion.next() {
                Step::Resolve(name) => {
                    asked.push(name);
                    expansion.provide(Ok(vec!["192.0.2.1".parse().unwrap()]));
                }
                Step::Done => break,
                _ => {}
            }
        }
        assert_eq!(asked, announced);
    }

    #[test]
    fn long_filtered_runs_yield_idle_steps() {
        let mut expansion = Expansion::new(set("10.0.0.0/12", "10.0.0.0/12", &[1, 2]));
        let mut idles = 0;
        loop {
            match expansion.next() {
                Step::Idle => idles += 1,
                Step::Done => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        // 2^20 addresses * 2 ports, all excluded, at most 65536 per step.
        assert_eq!(idles, (1 << 21) / MAX_SKIPS_PER_STEP as usize);
    }

    #[test]
    fn no_ports_means_no_endpoints() {
        assert!(run(set("10.0.0.0/30 node", "", &[]), &[("node", &["10.0.0.1"])]).is_empty());
    }

    #[test]
    fn size_hint_counts_before_filtering_and_saturates() {
        assert_eq!(
            set("10.0.0.0/24 10.0.0.1:443 name", "10.0.0.0/8", &[1, 2, 2]).size_hint(),
            256 * 2 + 1 + 2
        );
        assert_eq!(set("2001:db8::/64", "", &[1, 2]).size_hint(), 1u128 << 65);
        assert_eq!(set("::/0 ::/1", "", &[1, 2]).size_hint(), u128::MAX);
    }

    #[test]
    fn size_hint_is_a_shards_share() {
        let mut s = set("10.0.0.0/16", "", &[6443, 2379]);
        s.shard = Some(Shard { index: 2, count: 3 });
        // 131072 / 3, rounded up.
        assert_eq!(s.size_hint(), 43_691);
        let emitted = run(s.clone(), &[]).len() as u128;
        // The hash splits evenly: the hint is within 2 % of what the shard holds.
        assert!(
            emitted.abs_diff(s.size_hint()) * 50 < s.size_hint(),
            "{emitted}"
        );
        s.shard = Some(Shard { index: 1, count: 1 });
        assert_eq!(s.size_hint(), 131_072);
    }

    #[test]
    fn shards_partition_the_endpoints() {
        let names: &[(&str, &[&str])] = &[("node1", &["10.0.0.1", "10.9.0.1"])];
        let all = render(&run(
            set(
                "10.0.0.0/26 node1 ghost 2001:db8::/122 10.0.0.7:2380",
                "",
                &[6443, 2379],
            ),
            names,
        ));
        for count in [1, 2, 3, 5] {
            let mut union = Vec::new();
            for index in 1..=count {
                let mut s = set(
                    "10.0.0.0/26 node1 ghost 2001:db8::/122 10.0.0.7:2380",
                    "",
                    &[6443, 2379],
                );
                s.shard = Some(Shard { index, count });
                union.extend(render(&run(s, names)));
            }
            let mut sorted_all = all.clone();
            sorted_all.sort();
            union.sort();
            // Equal as multisets: every endpoint in exactly one shard.
            assert_eq!(union, sorted_all, "{count} shards");
        }
    }
}

//! A fleet read as a fleet: endpoints whose results are identical are one configuration,
//! shown once, and named by the addresses they share (`127.0.0.1-127:5556, 126 endpoints,
//! identical`).
//!
//! Two endpoints are identical when everything the scan found about them is: service, status
//! and error, accepted versions with their suites in order, refused versions with the evidence,
//! groups, facts (`extensions`), findings, verdict, reasons, unchecked checks and gaps. What
//! only names the endpoint (target, host, address, port, SNI) or measures the scan (handshakes,
//! time) is left out, and so is the certificate: every node of a fleet has its own, and a
//! certificate that breaks a rule already differs by its finding. Renderers show each
//! configuration's certificates per endpoint. [`Citations`] numbers the rule sources of a
//! configuration's findings so each is printed once. No I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::{endpoint_label, host_is_name, service_name, socket_label};
use crate::model::{
    Endpoint, ErrorKind, Facts, Finding, GapRecord, ProtocolResult, Status, Unchecked, Verdict,
};
use crate::protocol::Protocol;

/// Endpoints with identical results, in report order.
#[derive(Clone, Debug)]
pub struct Config<'r> {
    first: &'r Endpoint,
    members: Vec<&'r Endpoint>,
}

impl<'r> Config<'r> {
    /// The first endpoint: every member's results are the same as its.
    pub fn representative(&self) -> &'r Endpoint {
        self.first
    }

    /// Every endpoint of the configuration, in report order.
    pub fn members(&self) -> &[&'r Endpoint] {
        &self.members
    }

    /// How many endpoints share it.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false: a configuration has at least one endpoint.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// `127.0.0.2:6443`, or `127.0.0.1-127:5556, 126 endpoints, identical`.
    pub fn label(&self) -> String {
        let addresses = self.addresses(usize::MAX);
        match self.members.len() {
            1 => addresses,
            n => format!("{addresses}, {n} endpoints, identical"),
        }
    }

    /// The members' addresses as runs (see [`runs`]), at most `max_runs` of them and then
    /// `and N more`.
    pub fn addresses(&self, max_runs: usize) -> String {
        let runs = runs(&self.members);
        if runs.len() <= max_runs {
            return runs.join(", ");
        }
        let shown: Vec<&str> = runs.iter().take(max_runs).map(String::as_str).collect();
        format!(
            "{} and {} more",
            shown.join(", "),
            runs.len().saturating_sub(max_runs)
        )
    }
}

/// Groups endpoints with identical results; configurations come in the order of their first
/// endpoint in the report.
pub fn group(endpoints: &[Endpoint]) -> Vec<Config<'_>> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut configs: Vec<Config<'_>> = Vec::new();
    for (i, e) in endpoints.iter().enumerate() {
        // A key that fails to serialize (it cannot: every map key is a string) keeps the
        // endpoint alone rather than merging it with anything.
        let key = serde_json::to_string(&Shape::of(e)).unwrap_or_else(|_| format!("#{i}"));
        match index.get(&key) {
            Some(&at) => {
                if let Some(c) = configs.get_mut(at) {
                    c.members.push(e);
                }
            }
            None => {
                index.insert(key, configs.len());
                configs.push(Config {
                    first: e,
                    members: vec![e],
                });
            }
        }
    }
    configs
}

/// Every endpoint a configuration of its own, in report order: `--details` shows each in full.
pub fn each(endpoints: &[Endpoint]) -> Vec<Config<'_>> {
    endpoints
        .iter()
        .map(|e| Config {
            first: e,
            members: vec![e],
        })
        .collect()
}

/// The sources of a configuration's findings, each numbered once: a rule cited by ten
/// findings is printed once, under them, and each finding says `[1]`.
#[derive(Clone, Debug, Default)]
pub struct Citations<'r> {
    sources: Vec<&'r str>,
}

impl<'r> Citations<'r> {
    /// No source cited yet.
    pub fn new() -> Self {
        Citations::default()
    }

    /// The number (from 1) of the finding's source, cited now if it was not yet; `None` when
    /// the finding names none.
    pub fn cite(&mut self, f: &'r Finding) -> Option<usize> {
        let source = f.source.as_deref().filter(|s| !s.is_empty())?;
        let at = match self.sources.iter().position(|s| *s == source) {
            Some(i) => i,
            None => {
                self.sources.push(source);
                self.sources.len().saturating_sub(1)
            }
        };
        Some(at.saturating_add(1))
    }

    /// The sources in the order they were first cited (number `i + 1`).
    pub fn sources(&self) -> &[&'r str] {
        &self.sources
    }
}

/// A finding's message without the source it ends with (`... (NIST SP 800-52r2 §3.1)`, or
/// `... (rule chacha20; NIST SP 800-52r2 §3.3.1.2)`), for renderers that cite the source by
/// number instead; a message that does not end with it is kept whole.
pub fn without_source<'m>(message: &'m str, source: Option<&str>) -> std::borrow::Cow<'m, str> {
    let cut = source
        .filter(|s| !s.is_empty())
        .and_then(|s| message.strip_suffix(')')?.strip_suffix(s));
    match cut {
        Some(m) if m.ends_with(" (") => m.strip_suffix(" (").unwrap_or(m).into(),
        Some(m) if m.ends_with("; ") && m.contains(" (") => {
            format!("{})", m.strip_suffix("; ").unwrap_or(m)).into()
        }
        _ => message.into(),
    }
}

/// What makes two endpoints the same configuration (module doc).
#[derive(Serialize)]
struct Shape<'e> {
    service: Option<&'e str>,
    status: Status,
    error: Option<&'e str>,
    error_kind: Option<ErrorKind>,
    protocols: &'e BTreeMap<Protocol, ProtocolResult>,
    refused: &'e BTreeMap<Protocol, String>,
    preferred_suite: Option<&'e str>,
    groups: &'e [String],
    extensions: &'e Facts,
    findings: &'e [Finding],
    verdict: Verdict,
    reasons: &'e [String],
    unchecked: &'e [Unchecked],
    gaps: &'e [GapRecord],
    incomplete: bool,
}

impl<'e> Shape<'e> {
    fn of(e: &'e Endpoint) -> Shape<'e> {
        Shape {
            service: service_name(e),
            status: e.status,
            error: e.error.as_deref(),
            error_kind: e.error_kind,
            protocols: &e.protocols,
            refused: &e.refused,
            preferred_suite: e.preferred_suite.as_deref(),
            groups: &e.groups,
            extensions: &e.extensions,
            findings: &e.findings,
            verdict: e.verdict,
            reasons: &e.reasons,
            unchecked: &e.unchecked,
            gaps: &e.gaps,
            incomplete: e.incomplete,
        }
    }
}

/// The endpoints' addresses, shortest first: consecutive addresses on one port become one run
/// (`10.0.0.1-50:6443`, the way `scan` takes a range; `10.0.0.250-10.0.1.4:6443` across a
/// /24; `[2001:db8::1]-[2001:db8::9]:443`), ports in order; endpoints named by host follow as
/// `name:port`, once each.
pub fn runs(endpoints: &[&Endpoint]) -> Vec<String> {
    let mut by_port: BTreeMap<u16, Vec<IpAddr>> = BTreeMap::new();
    let mut names: Vec<String> = Vec::new();
    for e in endpoints {
        if host_is_name(e) {
            let label = endpoint_label(e);
            if !names.contains(&label) {
                names.push(label);
            }
        } else {
            by_port.entry(e.port).or_default().push(e.ip);
        }
    }
    let mut out = Vec::new();
    for (port, mut ips) in by_port {
        ips.sort_unstable();
        ips.dedup();
        let mut run: Option<(IpAddr, IpAddr)> = None;
        for ip in ips {
            run = match run {
                Some((first, last)) if follows(last, ip) => Some((first, ip)),
                Some((first, last)) => {
                    out.push(run_label(first, last, port));
                    Some((ip, ip))
                }
                None => Some((ip, ip)),
            };
        }
        if let Some((first, last)) = run {
            out.push(run_label(first, last, port));
        }
    }
    out.extend(names);
    out
}

/// Whether `next` is the address right after `prev` (same family).
fn follows(prev: IpAddr, next: IpAddr) -> bool {
    match (prev, next) {
        (IpAddr::V4(a), IpAddr::V4(b)) => u32::from(a).checked_add(1) == Some(u32::from(b)),
        (IpAddr::V6(a), IpAddr::V6(b)) => u128::from(a).checked_add(1) == Some(u128::from(b)),
        _ => false,
    }
}

fn run_label(first: IpAddr, last: IpAddr, port: u16) -> String {
    if first == last {
        return socket_label(first, port);
    }
    match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) if a.octets().get(..3) == b.octets().get(..3) => {
            let [.., end] = b.octets();
            format!("{a}-{end}:{port}")
        }
        (IpAddr::V4(a), IpAddr::V4(b)) => format!("{a}-{b}:{port}"),
        _ => format!("[{first}]-[{last}]:{port}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::model::{Finding, Severity};

    fn at(ip: &str, port: u16) -> Endpoint {
        let ip: IpAddr = ip.parse().unwrap();
        let mut e = Endpoint::new(
            crate::model::Observation::new(crate::model::EndpointId::new(
                ip.to_string(),
                ip.to_string(),
                ip,
                port,
            )),
            crate::model::Grade::new(Vec::new(), BTreeMap::new(), Vec::new(), Vec::new()),
        );
        e.status = Status::Tls;
        e
    }

    #[test]
    fn identical_endpoints_are_one_configuration_named_by_a_range() {
        let mut fleet: Vec<Endpoint> = (1..=127)
            .map(|i| at(&format!("127.0.0.{i}"), 5556))
            .collect();
        fleet[40].handshakes = 99;
        fleet[41].duration_ms = 12345;
        fleet[42].sni = Some("other".into());
        let configs = group(&fleet);
        assert_eq!(configs.len(), 1);
        assert_eq!(
            configs[0].label(),
            "127.0.0.1-127:5556, 127 endpoints, identical"
        );
    }

    #[test]
    fn any_difference_in_results_splits_the_configuration() {
        let base = at("10.0.0.1", 443);
        let mut finding = at("10.0.0.2", 443);
        finding.findings.push(Finding {
            id: "tls13_missing".into(),
            severity: Severity::Warn,
            message: "m".into(),
            item: None,
            protocol: None,
            source: None,
            waived: None,
        });
        let mut service = at("10.0.0.3", 443);
        service.service = Some("kubelet".into());
        let mut facts = at("10.0.0.4", 443);
        facts.extensions.compression = Some(false);
        let mut groups = at("10.0.0.5", 443);
        groups.groups.push("secp256r1".into());
        let same = at("10.0.0.6", 443);
        let fleet = vec![base, finding, service, facts, groups, same];
        let configs = group(&fleet);
        assert_eq!(configs.len(), 5);
        assert_eq!(
            configs[0].label(),
            "10.0.0.1:443, 10.0.0.6:443, 2 endpoints, identical"
        );
        assert_eq!(configs[1].representative().ip.to_string(), "10.0.0.2");
    }

    #[test]
    fn the_source_is_cut_from_the_message_only_when_it_ends_it() {
        assert_eq!(
            without_source(
                "TLSv1.0 is accepted (NIST SP 800-52r2 §3.1)",
                Some("NIST SP 800-52r2 §3.1")
            ),
            "TLSv1.0 is accepted"
        );
        assert_eq!(
            without_source("TLSv1.0 is accepted", Some("NIST SP 800-52r2 §3.1")),
            "TLSv1.0 is accepted"
        );
        assert_eq!(without_source("x (y) z", Some("y")), "x (y) z");
        assert_eq!(without_source("x ()", Some("")), "x ()");
        assert_eq!(
            without_source("not approved (rule chacha20; SP 1; ok)", Some("SP 1; ok")),
            "not approved (rule chacha20)"
        );
    }

    #[test]
    fn each_source_is_cited_once() {
        let f = |source: Option<&str>| Finding {
            id: "x".into(),
            severity: Severity::Fail,
            message: "m".into(),
            item: None,
            protocol: None,
            source: source.map(str::to_string),
            waived: None,
        };
        let (a, b, a2, none) = (f(Some("A")), f(Some("B")), f(Some("A")), f(None));
        let mut c = Citations::new();
        assert_eq!(c.cite(&a), Some(1));
        assert_eq!(c.cite(&b), Some(2));
        assert_eq!(c.cite(&a2), Some(1));
        assert_eq!(c.cite(&none), None);
        assert_eq!(c.sources(), ["A", "B"]);
        let fleet = vec![at("10.0.0.1", 1), at("10.0.0.2", 1)];
        assert_eq!(each(&fleet).len(), 2);
        assert_eq!(group(&fleet).len(), 1);
    }

    #[test]
    fn runs_split_on_gaps_ports_and_families() {
        let fleet = [
            at("10.0.0.3", 6443),
            at("10.0.0.1", 6443),
            at("10.0.0.2", 6443),
            at("10.0.0.9", 6443),
            at("10.0.0.255", 2379),
            at("10.0.1.0", 2379),
            at("2001:db8::1", 443),
            at("2001:db8::2", 443),
        ];
        let refs: Vec<&Endpoint> = fleet.iter().collect();
        assert_eq!(
            runs(&refs),
            [
                "[2001:db8::1]-[2001:db8::2]:443",
                "10.0.0.255-10.0.1.0:2379",
                "10.0.0.1-3:6443",
                "10.0.0.9:6443"
            ]
        );
    }

    #[test]
    fn named_hosts_are_listed_once_and_long_lists_are_cut() {
        let mut a = at("10.0.0.5", 2379);
        a.host = "node1.example.com".into();
        let mut b = at("10.0.0.6", 2379);
        b.host = "node1.example.com".into();
        let c = at("10.0.0.8", 2379);
        let fleet = vec![a, b, c];
        let configs = group(&fleet);
        assert_eq!(configs.len(), 1);
        assert_eq!(
            configs[0].addresses(9),
            "10.0.0.8:2379, node1.example.com:2379"
        );
        assert_eq!(configs[0].addresses(1), "10.0.0.8:2379 and 1 more");
        assert_eq!(configs[0].len(), 3);
    }
}

//! Name resolution behind a small trait, so the expander can be tested with a fixed map and
//! tests never query a DNS server.
//!
//! [`SystemResolver`] answers from the hosts file first, the way glibc's `files dns` order does:
//! a name listed there (`localhost`, cluster nodes pinned by an administrator) resolves to its
//! listed addresses only and no DNS query is sent. Other names go to hickory-resolver with the
//! system's `/etc/resolv.conf`, asking for A and AAAA records. A failure is a per-target error
//! string, never fatal to the scan: `cannot resolve NAME: ...`, saying whether the name does
//! not exist (NXDOMAIN, or no address records) or the resolver never answered (a timeout, an
//! unreachable server), since the first is a typo and the second an outage.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::TokioResolver;

use super::TargetError;

/// The system hosts file.
const HOSTS_FILE: &str = "/etc/hosts";

/// A boxed lookup future, as [`Resolve::lookup`] returns it.
pub type LookupFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, String>> + Send + 'a>>;

/// Turns a host name into every address it has.
pub trait Resolve: Send + Sync {
    /// Every A and AAAA address of `name` (as the user wrote it; a trailing dot means "fully
    /// qualified"). An error is a message for the report, e.g. `"no such host"`.
    fn lookup(&self, name: &str) -> LookupFuture<'_>;
}

/// A fixed name → addresses map: for tests, and for `--resolve`-style overrides.
///
/// Names match case-insensitively and with or without a trailing dot.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver(HashMap<String, Vec<IpAddr>>);

impl StaticResolver {
    /// A resolver answering from `map` (keys are normalised, so `Node1.example.com.` works).
    pub fn new(map: HashMap<String, Vec<IpAddr>>) -> Self {
        map.into_iter().collect()
    }

    /// Adds or replaces the addresses of `name`.
    pub fn insert(&mut self, name: &str, addrs: Vec<IpAddr>) {
        self.0.insert(normalise(name), addrs);
    }

    fn get(&self, name: &str) -> Option<&Vec<IpAddr>> {
        self.0.get(&normalise(name))
    }
}

impl FromIterator<(String, Vec<IpAddr>)> for StaticResolver {
    fn from_iter<I: IntoIterator<Item = (String, Vec<IpAddr>)>>(iter: I) -> Self {
        StaticResolver(
            iter.into_iter()
                .map(|(name, addrs)| (normalise(&name), addrs))
                .collect(),
        )
    }
}

impl Resolve for StaticResolver {
    fn lookup(&self, name: &str) -> LookupFuture<'_> {
        let answer = match self.get(name) {
            Some(addrs) if !addrs.is_empty() => Ok(addrs.clone()),
            _ => Err(format!("no such host: {name}")),
        };
        Box::pin(std::future::ready(answer))
    }
}

/// The system's resolver: the hosts file, then DNS through hickory-resolver.
pub struct SystemResolver {
    hosts: HashMap<String, Vec<IpAddr>>,
    /// Built on the first name the hosts file does not answer, so a scan of literal addresses
    /// or hosts-file names never reads `/etc/resolv.conf` nor fails for lack of it.
    dns: OnceLock<Result<TokioResolver, String>>,
}

impl SystemResolver {
    /// Reads the hosts file (a missing or unreadable one is treated as empty). DNS
    /// configuration is read lazily; if it is broken, each lookup that needs DNS reports it, so
    /// this currently never fails (the `Result` leaves room for configuration that can).
    pub fn new() -> Result<Self, TargetError> {
        let hosts = std::fs::read_to_string(HOSTS_FILE)
            .map(|text| parse_hosts(&text))
            .unwrap_or_default();
        Ok(SystemResolver {
            hosts,
            dns: OnceLock::new(),
        })
    }

    /// A resolver that asks only the DNS servers at `servers` (UDP, then TCP, at each one's
    /// port), waiting `timeout` per try, and reads no hosts file: for tests with a scripted
    /// server on loopback, and for callers that must not use `/etc/resolv.conf`.
    pub fn with_name_servers(servers: &[SocketAddr], timeout: Duration) -> SystemResolver {
        let name_servers = servers
            .iter()
            .map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect();
        let mut options = ResolverOpts::default();
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        options.timeout = timeout;
        options.attempts = 1;
        let built = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(name_servers),
            TokioRuntimeProvider::default(),
        )
        .with_options(options)
        .build()
        .map_err(|e| format!("building DNS resolver: {e}"));
        SystemResolver {
            hosts: HashMap::new(),
            dns: OnceLock::from(built),
        }
    }

    fn dns(&self) -> Result<&TokioResolver, String> {
        self.dns
            .get_or_init(|| {
                let mut builder = TokioResolver::builder_tokio()
                    .map_err(|e| format!("reading DNS configuration: {e}"))?;
                // Every A and AAAA record: each address is a separate endpoint to audit.
                builder.options_mut().ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
                builder
                    .build()
                    .map_err(|e| format!("building DNS resolver: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl Resolve for SystemResolver {
    fn lookup(&self, name: &str) -> LookupFuture<'_> {
        if let Some(addrs) = self.hosts.get(&normalise(name)) {
            return Box::pin(std::future::ready(Ok(addrs.clone())));
        }
        let name = name.to_string();
        Box::pin(async move {
            let shown = crate::report::escape::brief(&name);
            let dns = self
                .dns()
                .map_err(|e| format!("cannot resolve {shown}: {e}"))?;
            let answer = dns
                .lookup_ip(name.as_str())
                .await
                .map_err(|e| format!("cannot resolve {shown}: {}", why_unresolved(&e)))?;
            let addrs: Vec<IpAddr> = answer.iter().collect();
            if addrs.is_empty() {
                return Err(format!("cannot resolve {shown}: no A or AAAA record"));
            }
            Ok(addrs)
        })
    }
}

/// What a failed lookup means for the person reading the report: the name does not exist, it
/// has no address, the resolver refused, or no resolver answered at all.
fn why_unresolved(e: &NetError) -> String {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(none)) => match none.response_code {
            ResponseCode::NXDomain => "no such name (NXDOMAIN)".to_string(),
            _ => "no A or AAAA record".to_string(),
        },
        NetError::Dns(DnsError::ResponseCode(code)) => {
            format!("the DNS server answered {code}")
        }
        NetError::Timeout => "no answer from the DNS server (timed out)".to_string(),
        NetError::Io(io) => format!("no answer from the DNS server ({io})"),
        NetError::NoConnections => "no answer from the DNS server (none reachable)".to_string(),
        other => format!("DNS lookup failed: {other}"),
    }
}

/// Parses hosts-file text (`ADDRESS NAME [ALIAS...]`, `#` comments) into name → addresses,
/// in file order. Malformed lines are skipped, as the C library does.
fn parse_hosts(text: &str) -> HashMap<String, Vec<IpAddr>> {
    let mut map: HashMap<String, Vec<IpAddr>> = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let Some(Ok(addr)) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        for name in fields {
            let addrs = map.entry(normalise(name)).or_default();
            if !addrs.contains(&addr) {
                addrs.push(addr);
            }
        }
    }
    map
}

/// Lower case, no trailing dot: how names compare.
fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_file_lines() {
        let map = parse_hosts(
            "127.0.0.1 localhost\n::1 localhost ip6-localhost # v6\n\n# comment\n\
             10.0.0.5\tnode1.example.com node1\nnot-an-ip name\n10.0.0.6 Node1\n",
        );
        let ips = |s: &[&str]| -> Vec<IpAddr> { s.iter().map(|a| a.parse().unwrap()).collect() };
        assert_eq!(map["localhost"], ips(&["127.0.0.1", "::1"]));
        assert_eq!(map["ip6-localhost"], ips(&["::1"]));
        assert_eq!(map["node1"], ips(&["10.0.0.5", "10.0.0.6"]));
        assert_eq!(map["node1.example.com"], ips(&["10.0.0.5"]));
        assert!(!map.contains_key("name"));
    }

    #[tokio::test]
    async fn static_resolver_normalises_names() {
        let mut r = StaticResolver::default();
        r.insert("Node1.Example.com.", vec!["10.0.0.5".parse().unwrap()]);
        assert_eq!(r.lookup("node1.example.com").await.unwrap().len(), 1);
        assert_eq!(r.lookup("NODE1.example.com.").await.unwrap().len(), 1);
        assert_eq!(r.lookup("node2").await.unwrap_err(), "no such host: node2");
    }

    /// The one test that goes through the real resolver: `localhost` is answered from the
    /// hosts file (or, if the file lacks it, by hickory's RFC 6761 rule, also without a query).
    #[tokio::test]
    async fn system_resolver_answers_localhost_without_dns() {
        let resolver = SystemResolver::new().unwrap();
        let addrs = resolver.lookup("localhost").await.unwrap();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|ip| ip.is_loopback()), "{addrs:?}");
        if resolver.hosts.contains_key("localhost") {
            // Answered from the file: hickory was never built.
            assert!(resolver.dns.get().is_none());
        }
    }
}

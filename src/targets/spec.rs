//! One target as the user wrote it: `parse_target` splits off a port, then classifies the host
//! part as an IPv6 literal, an IPv4 pattern (both parsed in `addr.rs`) or a host name. Also the
//! comma/whitespace list form used by `--exclude` and `-iL` lines. Pure, no I/O.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use super::addr::{parse_ipv6, AddrSet, Ipv4Pattern};
use super::ports::parse_port_value;
use super::{Problem, TargetError};

/// Longest host name we accept (RFC 1035 §2.3.4: 255 octets on the wire, 253 as text).
const MAX_HOSTNAME_LEN: usize = 253;
/// Longest label (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;

/// One parsed target. `Display` shows it as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub(crate) text: Arc<str>,
    pub(crate) kind: SpecKind,
    pub(crate) port: Option<u16>,
}

/// What a target denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpecKind {
    /// Literal addresses: one, a CIDR block, or a range.
    Addrs(AddrSet),
    /// A host name, resolved later to every A and AAAA record.
    Name(HostName),
}

/// A host name: `lookup` is what we hand the resolver (as written, so a trailing dot still
/// means "no search domains"); `key` is lower-case without the trailing dot, for comparison
/// and for SNI (RFC 6066 §3: no trailing dot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostName {
    pub(crate) lookup: String,
    pub(crate) key: Arc<str>,
}

impl TargetSpec {
    /// The port given in the target (`host:2379`), which overrides `-p` for it.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Whether the target names exactly one address (or is a host name, whose addresses all
    /// count as named): failures on such endpoints make a scan incomplete (exit code 3).
    pub fn is_explicit(&self) -> bool {
        match &self.kind {
            SpecKind::Addrs(set) => set.count() == 1,
            SpecKind::Name(_) => true,
        }
    }

    /// The number of addresses the target denotes (a host name counts as 1); saturates at
    /// `u128::MAX` for an IPv6 `/0`.
    pub fn address_count(&self) -> u128 {
        match &self.kind {
            SpecKind::Addrs(set) => set.count(),
            SpecKind::Name(_) => 1,
        }
    }

    /// The host name, lower-case without a trailing dot, if the target is one.
    pub fn hostname(&self) -> Option<&str> {
        match &self.kind {
            SpecKind::Name(name) => Some(&name.key),
            SpecKind::Addrs(_) => None,
        }
    }

    /// Whether the target's addresses include `ip` (always false for a host name).
    pub fn contains_addr(&self, ip: IpAddr) -> bool {
        match &self.kind {
            SpecKind::Addrs(set) => set.contains(ip),
            SpecKind::Name(_) => false,
        }
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for TargetSpec {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_target(s)
    }
}

/// Parses one target (surrounding whitespace ignored).
///
/// Errors name the target: `invalid target "10.0.0.300": octet 300 out of range`.
pub fn parse_target(s: &str) -> Result<TargetSpec, TargetError> {
    let text = s.trim();
    let fail = |problem| TargetError::Target {
        target: text.to_string(),
        problem,
    };
    if text.is_empty() {
        return Err(fail(Problem::Empty));
    }
    if text.contains("://") {
        return Err(fail(Problem::Url));
    }
    let (host, port) = split_port(text).map_err(fail)?;
    let port = match port {
        Some("") => return Err(fail(Problem::EmptyPort)),
        Some(port) => Some(parse_port_value(port).map_err(fail)?),
        None => None,
    };
    let kind = parse_host(host, text.starts_with('[')).map_err(fail)?;
    Ok(TargetSpec {
        text: Arc::from(text),
        kind,
        port,
    })
}

/// Parses a comma- and/or whitespace-separated list of targets (`--exclude a,b`, one line of
/// `-iL`). Commas are also IPv4 octet-list syntax (`10.0.0,2.1`), so a word is first parsed
/// whole, and split on commas only when that fails and its pieces parse.
pub fn parse_target_list(s: &str) -> Result<Vec<TargetSpec>, TargetError> {
    let mut out = Vec::new();
    for word in s.split_whitespace() {
        if word.bytes().all(|b| b == b',') {
            continue;
        }
        let whole_error = match parse_target(word) {
            Ok(spec) => {
                out.push(spec);
                continue;
            }
            Err(error) => error,
        };
        if !word.contains(',') {
            return Err(whole_error);
        }
        let pieces: Vec<_> = word
            .split(',')
            .filter(|piece| !piece.is_empty())
            .map(parse_target)
            .collect();
        if pieces.iter().all(|piece| piece.is_err()) {
            // Nothing in it looks like a list: the word was meant as one target.
            return Err(whole_error);
        }
        for piece in pieces {
            out.push(piece?);
        }
    }
    Ok(out)
}

/// Splits `host:port`, `[v6]:port`, `[v6]`; a bare IPv6 literal (two or more colons) has no port.
fn split_port(text: &str) -> Result<(&str, Option<&str>), Problem> {
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(Problem::Brackets)?;
        return match after {
            "" => Ok((inside, None)),
            _ => after
                .strip_prefix(':')
                .map(|port| (inside, Some(port)))
                .ok_or(Problem::Brackets),
        };
    }
    match text.matches(':').count() {
        0 => Ok((text, None)),
        1 => Ok(text
            .split_once(':')
            .map_or((text, None), |(host, port)| (host, Some(port)))),
        _ => Ok((text, None)),
    }
}

/// Classifies and parses the host part.
fn parse_host(host: &str, bracketed: bool) -> Result<SpecKind, Problem> {
    if host.is_empty() {
        return Err(Problem::Empty);
    }
    if bracketed || host.contains(':') {
        return parse_ipv6(host).map(SpecKind::Addrs);
    }
    if looks_like_ipv4(host) {
        return Ipv4Pattern::parse(host).map(|p| SpecKind::Addrs(AddrSet::V4(p)));
    }
    if host.contains('/') {
        return Err(Problem::CidrOnHostname);
    }
    validate_hostname(host)?;
    let key = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    Ok(SpecKind::Name(HostName {
        lookup: host.to_string(),
        key: Arc::from(key),
    }))
}

/// IPv4 syntax uses only digits and `.,-*/`; a host name cannot be all of those (its last
/// label would be numeric, which RFC 1123 §2.1 forbids), so the split is unambiguous.
fn looks_like_ipv4(host: &str) -> bool {
    host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'-' | b'*' | b'/'))
}

fn validate_hostname(host: &str) -> Result<(), Problem> {
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > MAX_HOSTNAME_LEN {
        return Err(Problem::BadHostname("longer than 253 characters"));
    }
    let mut last_label = "";
    for label in name.split('.') {
        if label.is_empty() {
            return Err(Problem::BadHostname("empty label"));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(Problem::BadHostname("label longer than 63 characters"));
        }
        // Underscores are not RFC 1123, but they occur in real internal names; allow them.
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Problem::BadHostname("unexpected character"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Problem::BadHostname("label starts or ends with '-'"));
        }
        last_label = label;
    }
    if last_label.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::BadHostname("numeric top-level label"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn addrs(s: &str) -> Vec<String> {
        match parse_target(s).unwrap().kind {
            SpecKind::Addrs(set) => set.iter().map(|ip| ip.to_string()).collect(),
            SpecKind::Name(_) => panic!("{s} parsed as a name"),
        }
    }

    fn error(s: &str) -> String {
        parse_target(s).unwrap_err().to_string()
    }

    #[test]
    fn single_addresses() {
        assert_eq!(addrs("10.0.0.5"), ["10.0.0.5"]);
        assert_eq!(addrs("::1"), ["::1"]);
        assert_eq!(addrs("[2001:db8::1]"), ["2001:db8::1"]);
        assert!(parse_target("10.0.0.5").unwrap().is_explicit());
        assert_eq!(parse_target("10.0.0.5").unwrap().port(), None);
    }

    #[test]
    fn ipv4_cidr_includes_network_and_broadcast() {
        let a = addrs("10.0.0.0/30");
        assert_eq!(a, ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        assert_eq!(addrs("10.0.0.7/32"), ["10.0.0.7"]);
        assert_eq!(
            addrs("10.0.0.5/30"),
            ["10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7"]
        );
        assert_eq!(addrs("192.168.0.0/23").len(), 512);
        assert_eq!(parse_target("0.0.0.0/0").unwrap().address_count(), 1 << 32);
        assert!(!parse_target("10.0.0.0/24").unwrap().is_explicit());
    }

    #[test]
    fn ipv4_octet_ranges_and_lists() {
        assert_eq!(addrs("10.0.0.1-3"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        assert_eq!(addrs("10.0.0,2.1"), ["10.0.0.1", "10.0.2.1"]);
        assert_eq!(
            addrs("10.0.1-2.1-2"),
            ["10.0.1.1", "10.0.1.2", "10.0.2.1", "10.0.2.2"]
        );
        assert_eq!(addrs("10.0.0.254-"), ["10.0.0.254", "10.0.0.255"]);
        assert_eq!(addrs("10.0.0.-1"), ["10.0.0.0", "10.0.0.1"]);
        assert_eq!(addrs("10.0.0.5,1,5"), ["10.0.0.1", "10.0.0.5"]);
        assert_eq!(addrs("10.0.0.*").len(), 256);
        assert_eq!(
            parse_target("10.0.1-3.1-254").unwrap().address_count(),
            3 * 254
        );
        assert!(parse_target("10.0.0.1-1").unwrap().is_explicit());
    }

    #[test]
    fn ipv4_ranges_combine_with_a_prefix() {
        let a = addrs("10.0.1-3.0/24");
        assert_eq!(a.len(), 768);
        assert_eq!(a[0], "10.0.1.0");
        assert_eq!(a[255], "10.0.1.255");
        assert_eq!(a[767], "10.0.3.255");
        // /23 over 10.0.1.x: the third octet's low bit is free, so 10.0.0.0-10.0.1.255.
        let b = addrs("10.0.1.7/23");
        assert_eq!((b.len(), b[0].as_str()), (512, "10.0.0.0"));
    }

    #[test]
    fn ipv6_cidr_and_ports() {
        let a = addrs("2001:db8::/126");
        assert_eq!(
            a,
            ["2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::3"]
        );
        assert_eq!(parse_target("2001:db8::/120").unwrap().address_count(), 256);
        assert_eq!(
            parse_target("2001:db8::/64").unwrap().address_count(),
            1 << 64
        );
        assert_eq!(parse_target("::/0").unwrap().address_count(), u128::MAX);
        let t = parse_target("[2001:db8::1]:6443").unwrap();
        assert_eq!(
            (t.port(), t.to_string().as_str()),
            (Some(6443), "[2001:db8::1]:6443")
        );
        assert_eq!(
            parse_target("[2001:db8::/127]:443")
                .unwrap()
                .address_count(),
            2
        );
    }

    #[test]
    fn ipv6_iteration_ends_at_the_top_of_the_space() {
        let a = addrs("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
        assert_eq!(a.len(), 2);
        assert_eq!(a[1], "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    }

    #[test]
    fn host_port_and_names() {
        let t = parse_target("127.0.0.1:6443").unwrap();
        assert_eq!(t.port(), Some(6443));
        assert!(t.contains_addr("127.0.0.1".parse().unwrap()));
        let n = parse_target("Node1.Example.com.:2379").unwrap();
        assert_eq!(n.hostname(), Some("node1.example.com"));
        assert_eq!(n.port(), Some(2379));
        assert_eq!(n.to_string(), "Node1.Example.com.:2379");
        assert!(n.is_explicit());
        assert_eq!(
            parse_target("localhost").unwrap().hostname(),
            Some("localhost")
        );
        assert_eq!(
            parse_target("etcd_0.internal").unwrap().hostname(),
            Some("etcd_0.internal")
        );
    }

    #[test]
    fn errors_name_the_target_and_the_problem() {
        assert_eq!(
            error("10.0.0.300"),
            r#"invalid target "10.0.0.300": octet 300 out of range"#
        );
        assert_eq!(
            error("10.0.0"),
            r#"invalid target "10.0.0": expected 4 octets, found 3"#
        );
        assert_eq!(
            error("10.0.0.50-10"),
            r#"invalid target "10.0.0.50-10": range 50-10 is reversed"#
        );
        assert_eq!(
            error("10.0.0.0/33"),
            r#"invalid target "10.0.0.0/33": bad prefix length "33" (max /32)"#
        );
        assert_eq!(
            error("10.0.0.010"),
            r#"invalid target "10.0.0.010": octet "010" has a leading zero (ambiguous: octal?)"#
        );
        assert_eq!(
            error("10..0.1"),
            r#"invalid target "10..0.1": bad octet """#
        );
        assert_eq!(
            error("2001:db8::/129"),
            r#"invalid target "2001:db8::/129": bad prefix length "129" (max /128)"#
        );
        assert_eq!(
            error("2001:zz8::1"),
            r#"invalid target "2001:zz8::1": not an IPv6 address"#
        );
        assert_eq!(
            error("[2001:db8::1"),
            r#"invalid target "[2001:db8::1": expected [IPv6] or [IPv6]:port"#
        );
        assert_eq!(
            error("[2001:db8::1]6443"),
            r#"invalid target "[2001:db8::1]6443": expected [IPv6] or [IPv6]:port"#
        );
        assert_eq!(
            error("host:99999"),
            r#"invalid target "host:99999": port out of range 1-65535"#
        );
        assert_eq!(error("host:"), r#"invalid target "host:": empty port"#);
        assert_eq!(
            error("bad_host!"),
            r#"invalid target "bad_host!": not an IP address or a valid host name: unexpected character"#
        );
        assert_eq!(
            error("-node"),
            r#"invalid target "-node": not an IP address or a valid host name: label starts or ends with '-'"#
        );
        assert_eq!(
            error("a..b"),
            r#"invalid target "a..b": not an IP address or a valid host name: empty label"#
        );
        assert_eq!(
            error("node.example.com/24"),
            r#"invalid target "node.example.com/24": a CIDR prefix needs an IP address, not a host name"#
        );
        assert_eq!(error("   "), r#"invalid target "": empty"#);
        assert_eq!(
            error("123"),
            r#"invalid target "123": not an IP address or a valid host name: numeric top-level label"#
        );
    }

    #[test]
    fn lists_split_on_commas_and_whitespace_but_keep_octet_lists() {
        let texts = |s: &str| -> Vec<String> {
            parse_target_list(s)
                .unwrap()
                .iter()
                .map(|t| t.to_string())
                .collect()
        };
        assert_eq!(
            texts("10.0.0.1,10.0.0.2 host:1"),
            ["10.0.0.1", "10.0.0.2", "host:1"]
        );
        assert_eq!(texts("10.0.0,2.1"), ["10.0.0,2.1"]);
        assert_eq!(texts(" a , b "), ["a", "b"]);
        assert_eq!(texts(""), Vec::<String>::new());
        let e = parse_target_list("10.0.0.1,10.0.0.300")
            .unwrap_err()
            .to_string();
        assert_eq!(e, r#"invalid target "10.0.0.300": octet 300 out of range"#);
        let e = parse_target_list("10.0.0,2.300").unwrap_err().to_string();
        assert_eq!(
            e,
            r#"invalid target "10.0.0,2.300": octet 300 out of range"#
        );
    }

    #[test]
    fn containment_matches_iteration() {
        for text in [
            "10.0.1-3,7.0/23",
            "10.0.0.*",
            "172.16.0.0/12",
            "2001:db8::/120",
            "10.0.0.1-2,9",
        ] {
            let spec = parse_target(text).unwrap();
            let SpecKind::Addrs(set) = &spec.kind else {
                panic!()
            };
            if set.count() > 4096 {
                assert!(set.iter().take(4096).all(|ip| set.contains(ip)), "{text}");
            } else {
                let listed: Vec<_> = set.iter().collect();
                assert_eq!(listed.len() as u128, set.count(), "{text}");
                assert!(listed.windows(2).all(|w| w[0] < w[1]), "{text} ascending");
                assert!(listed.iter().all(|ip| set.contains(*ip)), "{text}");
            }
        }
        let spec = parse_target("10.0.0.0/24").unwrap();
        assert!(!spec.contains_addr("10.0.1.0".parse().unwrap()));
        assert!(!spec.contains_addr("::1".parse().unwrap()));
    }
}

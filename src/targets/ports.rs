//! Ports: the `-p` list syntax (`6443,2379`, `1-1024`, `-`), the default and Kubernetes port
//! sets, service names, and a fixed-size port bitmap used for containment checks. Pure, no I/O.

use super::{Problem, TargetError};

/// The ports scanned when `-p` is not given: kube-apiserver and the etcd client port.
pub const DEFAULT_PORTS: &[u16] = &[6443, 2379];

/// The ports `--profile kubernetes` adds: etcd peer, kubelet, controller-manager, scheduler.
pub const KUBERNETES_PROFILE_PORTS: &[u16] = &[2380, 10250, 10257, 10259];

/// The Kubernetes component conventionally listening on `port`, for the table.
pub fn service_for_port(port: u16) -> Option<&'static str> {
    match port {
        6443 => Some("kube-apiserver"),
        2379 => Some("etcd-client"),
        2380 => Some("etcd-peer"),
        10250 => Some("kubelet"),
        10257 => Some("kube-controller-manager"),
        10259 => Some("kube-scheduler"),
        _ => None,
    }
}

/// Parses a `-p` value: comma-separated ports and ranges (`6443,2379`, `1-1024`, `8000-`,
/// `-1024`, `-` for every port). Order is kept (it is the scan order) and repeats are dropped.
///
/// Errors name the offending item: `invalid port "70000": port out of range 1-65535`.
pub fn parse_ports(s: &str) -> Result<Vec<u16>, TargetError> {
    let mut seen = PortBits::default();
    let mut out = Vec::new();
    let mut any_item = false;
    for item in s.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        any_item = true;
        let (first, last) = parse_port_item(item)?;
        for port in first..=last {
            if seen.insert(port) {
                out.push(port);
            }
        }
    }
    if !any_item {
        return Err(TargetError::Port {
            port: s.to_string(),
            problem: Problem::Empty,
        });
    }
    Ok(out)
}

/// Appends `extra` to `ports`, skipping ports already present (for `--profile kubernetes`).
pub fn merge_ports(mut ports: Vec<u16>, extra: &[u16]) -> Vec<u16> {
    for &port in extra {
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    ports
}

/// Parses one port as written inside a `-p` list.
pub(crate) fn parse_one_port(s: &str) -> Result<u16, TargetError> {
    parse_port_value(s).map_err(|problem| TargetError::Port {
        port: s.to_string(),
        problem,
    })
}

/// Parses one decimal port, 1..=65535.
pub(crate) fn parse_port_value(s: &str) -> Result<u16, Problem> {
    if s.is_empty() {
        return Err(Problem::Empty);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::NotANumber);
    }
    // All digits: only overflow or zero can fail, and both mean "out of range".
    match s.parse::<u16>() {
        Ok(p) if p != 0 => Ok(p),
        _ => Err(Problem::PortOutOfRange),
    }
}

/// One `-p` item: `N`, `N-M`, `N-` (to 65535), `-M` (from 1) or `-` (all).
fn parse_port_item(item: &str) -> Result<(u16, u16), TargetError> {
    let Some((low, high)) = item.split_once('-') else {
        let port = parse_one_port(item)?;
        return Ok((port, port));
    };
    let low = if low.is_empty() {
        1
    } else {
        parse_one_port(low)?
    };
    let high = if high.is_empty() {
        u16::MAX
    } else {
        parse_one_port(high)?
    };
    if low > high {
        return Err(TargetError::Port {
            port: item.to_string(),
            problem: Problem::Reversed(low.into(), high.into()),
        });
    }
    Ok((low, high))
}

/// A set of ports as a 65536-bit bitmap (8 KiB): O(1) membership for the dedup checks.
#[derive(Clone)]
pub(crate) struct PortBits(Box<[u64; 1024]>);

impl Default for PortBits {
    fn default() -> Self {
        PortBits(Box::new([0; 1024]))
    }
}

impl PortBits {
    /// The set holding exactly `ports`.
    pub(crate) fn from_ports(ports: &[u16]) -> Self {
        let mut bits = PortBits::default();
        for &port in ports {
            bits.insert(port);
        }
        bits
    }

    /// Adds `port`; returns whether it was new.
    pub(crate) fn insert(&mut self, port: u16) -> bool {
        let (word, bit) = (usize::from(port >> 6), port & 63);
        let mask = 1u64 << bit;
        // `word` < 1024 because port >> 6 < 65536 / 64.
        let slot = &mut self.0[word];
        let new = *slot & mask == 0;
        *slot |= mask;
        new
    }

    /// Whether `port` is in the set.
    pub(crate) fn contains(&self, port: u16) -> bool {
        let (word, bit) = (usize::from(port >> 6), port & 63);
        self.0[word] & (1u64 << bit) != 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_ranges_in_order() {
        assert_eq!(parse_ports("6443,2379").unwrap(), vec![6443, 2379]);
        assert_eq!(parse_ports(" 443 , 80 ").unwrap(), vec![443, 80]);
        assert_eq!(parse_ports("1-5,3,10").unwrap(), vec![1, 2, 3, 4, 5, 10]);
        assert_eq!(parse_ports("65534-").unwrap(), vec![65534, 65535]);
        assert_eq!(parse_ports("-3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_ports("-").unwrap().len(), 65535);
        assert_eq!(parse_ports("1-1024").unwrap().len(), 1024);
    }

    #[test]
    fn drops_repeated_ports() {
        assert_eq!(parse_ports("2379,6443,2379").unwrap(), vec![2379, 6443]);
    }

    #[test]
    fn rejects_bad_ports_naming_them() {
        let msg = |s| parse_ports(s).unwrap_err().to_string();
        assert_eq!(
            msg("70000"),
            r#"invalid port "70000": port out of range 1-65535"#
        );
        assert_eq!(msg("0"), r#"invalid port "0": port out of range 1-65535"#);
        assert_eq!(msg("6443,abc"), r#"invalid port "abc": not a port number"#);
        assert_eq!(
            msg("10-5"),
            r#"invalid port "10-5": range 10-5 is reversed"#
        );
        assert_eq!(msg(""), r#"invalid port "": empty"#);
        assert_eq!(msg(",,"), r#"invalid port ",,": empty"#);
        assert_eq!(
            msg("1-70000"),
            r#"invalid port "70000": port out of range 1-65535"#
        );
    }

    #[test]
    fn merges_profile_ports_without_repeats() {
        let ports = merge_ports(vec![6443, 2380], KUBERNETES_PROFILE_PORTS);
        assert_eq!(ports, vec![6443, 2380, 10250, 10257, 10259]);
    }

    #[test]
    fn names_kubernetes_services() {
        assert_eq!(service_for_port(6443), Some("kube-apiserver"));
        assert_eq!(service_for_port(2379), Some("etcd-client"));
        assert_eq!(service_for_port(10259), Some("kube-scheduler"));
        assert_eq!(service_for_port(443), None);
    }

    #[test]
    fn port_bits_track_membership() {
        let bits = PortBits::from_ports(&[1, 64, 65535]);
        assert!(bits.contains(1) && bits.contains(64) && bits.contains(65535));
        assert!(!bits.contains(2) && !bits.contains(63) && !bits.contains(0));
    }
}

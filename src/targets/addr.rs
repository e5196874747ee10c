//! Literal address sets: IPv4 octet patterns and IPv6 intervals, their parsing, containment and
//! lazy ascending iteration. Pure, no I/O.
//!
//! Every IPv4 form (address, CIDR, `1-50` ranges, `0,2` lists, `*`, and combinations such as
//! `10.0.1-3.0/24`) is a product of four octet sets, each a 256-bit bitmap: containment is four
//! bit tests and iteration is an odometer over the octets, ascending. An IPv4 CIDR includes its
//! network and broadcast addresses, as nmap does. IPv6 forms are a `u128` interval, iterated
//! with `u128` arithmetic, so a /64 (or a /0) is as cheap to hold as one address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Problem;

pub(crate) fn parse_ipv6(host: &str) -> Result<AddrSet, Problem> {
    let (addr, prefix) = match host.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (host, None),
    };
    let addr: Ipv6Addr = addr.parse().map_err(|_| Problem::BadIpv6)?;
    let prefix = match prefix {
        None => 128,
        Some(p) => parse_prefix(p, 128)?,
    };
    let bits = u128::from(addr);
    // Host bits are ignored (nmap scans the whole block for 2001:db8::5/120 too).
    let host_mask = u128::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
    Ok(AddrSet::V6 {
        first: bits & !host_mask,
        last: bits | host_mask,
    })
}

fn parse_prefix(text: &str, max: u8) -> Result<u8, Problem> {
    let bad = || Problem::BadPrefix(text.to_string(), max);
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match text.parse::<u8>() {
        Ok(p) if p <= max => Ok(p),
        _ => Err(bad()),
    }
}

/// The addresses a literal target denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AddrSet {
    /// A product of four octet sets.
    V4(Ipv4Pattern),
    /// An inclusive interval.
    V6 {
        /// Lowest address.
        first: u128,
        /// Highest address.
        last: u128,
    },
}

impl AddrSet {
    /// Number of addresses, saturating at `u128::MAX` (an IPv6 /0 holds 2^128).
    pub(crate) fn count(&self) -> u128 {
        match self {
            AddrSet::V4(p) => u128::from(p.count()),
            AddrSet::V6 { first, last } => (last - first).saturating_add(1),
        }
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (AddrSet::V4(p), IpAddr::V4(ip)) => p.contains(ip),
            (AddrSet::V6 { first, last }, IpAddr::V6(ip)) => {
                (*first..=*last).contains(&u128::from(ip))
            }
            _ => false,
        }
    }

    /// A lazy iterator over the addresses, ascending.
    pub(crate) fn iter(&self) -> AddrIter {
        match self {
            AddrSet::V4(p) => AddrIter::V4 {
                pattern: p.clone(),
                next: Some(p.first()),
            },
            AddrSet::V6 { first, last } => AddrIter::V6 {
                next: Some(*first),
                last: *last,
            },
        }
    }
}

/// Lazy iteration over an [`AddrSet`]: O(1) state whatever the size.
#[derive(Debug, Clone)]
pub(crate) enum AddrIter {
    V4 {
        pattern: Ipv4Pattern,
        next: Option<[u8; 4]>,
    },
    V6 {
        next: Option<u128>,
        last: u128,
    },
}

impl Iterator for AddrIter {
    type Item = IpAddr;
    fn next(&mut self) -> Option<IpAddr> {
        match self {
            AddrIter::V4 { pattern, next } => {
                let current = (*next)?;
                *next = pattern.successor(current);
                Some(IpAddr::V4(Ipv4Addr::from(current)))
            }
            AddrIter::V6 { next, last } => {
                let current = (*next)?;
                *next = if current < *last {
                    current.checked_add(1)
                } else {
                    None
                };
                Some(IpAddr::V6(Ipv6Addr::from(current)))
            }
        }
    }
}

/// An IPv4 pattern: the product of four octet sets (each non-empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ipv4Pattern {
    octets: [OctetSet; 4],
}

impl Ipv4Pattern {
    /// Parses `a.b.c.d[/prefix]` where each octet is `N`, `N-M`, `N-`, `-M`, `*`, or a
    /// comma-separated list of those.
    pub(crate) fn parse(text: &str) -> Result<Ipv4Pattern, Problem> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(parse_prefix(prefix, 32)?)),
            None => (text, None),
        };
        let parts: Vec<&str> = addr.split('.').collect();
        let [a, b, c, d] = parts.as_slice() else {
            return Err(Problem::OctetCount(parts.len()));
        };
        let mut octets = [
            OctetSet::parse(a)?,
            OctetSet::parse(b)?,
            OctetSet::parse(c)?,
            OctetSet::parse(d)?,
        ];
        if let Some(prefix) = prefix {
            // A prefix frees the low bits of every address in the pattern; per octet, the
            // result is every value whose masked bits match a masked value of the set.
            for (i, octet) in octets.iter_mut().enumerate() {
                let fixed_bits = prefix.saturating_sub(8 * i as u8).min(8);
                let mask = u8::MAX.checked_shl(u32::from(8 - fixed_bits)).unwrap_or(0);
                *octet = octet.widen(mask);
            }
        }
        Ok(Ipv4Pattern { octets })
    }

    fn count(&self) -> u64 {
        self.octets.iter().map(|o| u64::from(o.count())).product()
    }

    fn contains(&self, ip: Ipv4Addr) -> bool {
        self.octets
            .iter()
            .zip(ip.octets())
            .all(|(set, value)| set.contains(value))
    }

    fn first(&self) -> [u8; 4] {
        self.octets.map(|o| o.first())
    }

    /// The next address after `current` in ascending order (an odometer over the octets).
    fn successor(&self, mut current: [u8; 4]) -> Option<[u8; 4]> {
        for i in (0..4).rev() {
            if let Some(next) = self.octets[i].next_after(current[i]) {
                current[i] = next;
                return Some(current);
            }
            current[i] = self.octets[i].first();
        }
        None
    }
}

/// A set of octet values as a 256-bit bitmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OctetSet([u64; 4]);

impl OctetSet {
    const EMPTY: OctetSet = OctetSet([0; 4]);
    const ALL: OctetSet = OctetSet([u64::MAX; 4]);

    fn parse(text: &str) -> Result<OctetSet, Problem> {
        if text.is_empty() {
            return Err(Problem::BadOctet(text.to_string()));
        }
        let mut set = OctetSet::EMPTY;
        for item in text.split(',') {
            if item == "*" {
                set = OctetSet::ALL;
                continue;
            }
            let (low, high) = match item.split_once('-') {
                None => {
                    let v = parse_octet(item, text)?;
                    (v, v)
                }
                Some((low, high)) => {
                    let low = if low.is_empty() {
                        0
                    } else {
                        parse_octet(low, text)?
                    };
                    let high = if high.is_empty() {
                        255
                    } else {
                        parse_octet(high, text)?
                    };
                    if low > high {
                        return Err(Problem::Reversed(low.into(), high.into()));
                    }
                    (low, high)
                }
            };
            for v in low..=high {
                set.insert(v);
            }
        }
        Ok(set)
    }

    fn insert(&mut self, value: u8) {
        self.0[usize::from(value >> 6)] |= 1 << (value & 63);
    }

    fn contains(&self, value: u8) -> bool {
        self.0[usize::from(value >> 6)] & (1 << (value & 63)) != 0
    }

    fn count(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// Smallest member. Sets are never empty once parsed; 0 is a harmless answer otherwise.
    fn first(self) -> u8 {
        self.next_from(0).unwrap_or(0)
    }

    fn next_after(&self, value: u8) -> Option<u8> {
        value.checked_add(1).and_then(|v| self.next_from(v))
    }

    fn next_from(&self, value: u8) -> Option<u8> {
        let mut word = usize::from(value >> 6);
        let mut bits = self.0[word] & (u64::MAX << (value & 63));
        loop {
            if bits != 0 {
                // word < 4 and trailing_zeros < 64, so this is at most 255.
                return u8::try_from(word * 64 + bits.trailing_zeros() as usize).ok();
            }
            word += 1;
            bits = *self.0.get(word)?;
        }
    }

    /// Every value `v` with `v & mask == m & mask` for some member `m`.
    fn widen(&self, mask: u8) -> OctetSet {
        let mut masked = OctetSet::EMPTY;
        for m in 0..=u8::MAX {
            if self.contains(m) {
                masked.insert(m & mask);
            }
        }
        let mut out = OctetSet::EMPTY;
        for v in 0..=u8::MAX {
            if masked.contains(v & mask) {
                out.insert(v);
            }
        }
        out
    }
}

/// One decimal octet, 0..=255, without a leading zero (inet_aton would read `010` as 8).
fn parse_octet(text: &str, whole: &str) -> Result<u8, Problem> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::BadOctet(whole.to_string()));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(Problem::LeadingZero(text.to_string()));
    }
    if text.len() > 3 {
        return Err(Problem::OctetOutOfRange(text.to_string()));
    }
    text.parse::<u8>()
        .map_err(|_| Problem::OctetOutOfRange(text.to_string()))
}

//! `--shard K/N`: a deterministic split of the endpoint space across N machines.
//!
//! An endpoint belongs to shard `hash(ip, port) mod N`, where the hash is FNV-1a 64 over the
//! address (IPv4 as its IPv4-mapped IPv6 form, so both families share one encoding) and the
//! big-endian port, followed by a 64-bit finaliser (MurmurHash3's fmix64) because FNV's low bits
//! alone spread consecutive addresses poorly. The hash has fixed constants: every machine, build
//! and run computes the same split, whatever order the targets are given in. Pure, no I/O.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::TargetError;

/// One part of a sharded scan: shard `index` of `count`, 1-based as the user writes it (`2/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, 1..=count.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Whether the endpoint (ip, port) belongs to this shard.
    pub fn contains(&self, ip: IpAddr, port: u16) -> bool {
        self.owns(endpoint_hash(ip, port))
    }

    /// Whether a key that has no address (a host name that did not resolve) belongs here, so
    /// that exactly one shard reports the failure.
    pub fn contains_name(&self, name: &str, port: u16) -> bool {
        let mut h = Fnv::new();
        h.write(name.as_bytes());
        h.write(&port.to_be_bytes());
        self.owns(h.finish())
    }

    fn owns(&self, hash: u64) -> bool {
        // count >= 1 and index in 1..=count are invariants of `FromStr`; a hand-built Shard
        // with count 0 owns nothing rather than dividing by zero.
        hash.checked_rem(u64::from(self.count))
            .is_some_and(|part| part + 1 == u64::from(self.index))
    }
}

impl FromStr for Shard {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TargetError::Shard {
            shard: s.to_string(),
        };
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The stable hash of an endpoint.
fn endpoint_hash(ip: IpAddr, port: u16) -> u64 {
    let octets = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    let mut h = Fnv::new();
    h.write(&octets);
    h.write(&port.to_be_bytes());
    h.finish()
}

/// FNV-1a, 64-bit (fixed offset basis and prime from the FNV specification).
struct Fnv(u64);

impl Fnv {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        Fnv(Self::OFFSET_BASIS)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    /// FNV-1a state run through fmix64 so every output bit depends on every input bit.
    fn finish(&self) -> u64 {
        let mut k = self.0;
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        k ^= k >> 33;
        k
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn parses_k_of_n() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        assert_eq!("1/1".parse::<Shard>().unwrap().to_string(), "1/1");
        for bad in ["0/4", "5/4", "1/0", "4", "a/b", "-1/4", "1/4/2", ""] {
            let e = bad.parse::<Shard>().unwrap_err().to_string();
            assert_eq!(
                e,
                format!("invalid shard {bad:?}: expected K/N with 1 <= K <= N")
            );
        }
    }

    #[test]
    fn every_endpoint_is_in_exactly_one_shard() {
        for count in [1, 2, 3, 7, 16] {
            let shards: Vec<Shard> = (1..=count).map(|index| Shard { index, count }).collect();
            for i in 0..2000u32 {
                let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
                for port in [6443, 2379] {
                    let owners = shards.iter().filter(|s| s.contains(ip, port)).count();
                    assert_eq!(owners, 1, "{ip}:{port} with {count} shards");
                }
            }
        }
    }

    #[test]
    fn consecutive_addresses_spread_evenly() {
        let count = 8;
        let mut sizes = [0u32; 8];
        for i in 0..8000u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            for (k, size) in sizes.iter_mut().enumerate() {
                let index = u32::try_from(k).unwrap() + 1;
                if (Shard { index, count }).contains(ip, 6443) {
                    *size += 1;
                }
            }
        }
        // 1000 expected per shard; a poor hash of sequential input is off by far more.
        assert!(
            sizes.iter().all(|&s| (850..=1150).contains(&s)),
            "{sizes:?}"
        );
    }

    #[test]
    fn fnv1a_matches_reference_vectors() {
        // Test vectors from the FNV reference implementation (fnv-1a, 64-bit).
        for (input, expected) in [
            (&b""[..], 0xcbf2_9ce4_8422_2325u64),
            (b"a", 0xaf63_dc4c_8601_ec8c),
            (b"foobar", 0x8594_4171_f739_67e8),
        ] {
            let mut h = Fnv::new();
            h.write(input);
            assert_eq!(h.0, expected, "{input:?}");
        }
    }

    #[test]
    fn hash_is_fixed_across_builds() {
        // Pinned values: changing the hash would silently re-split running fleets.
        assert_eq!(
            endpoint_hash("10.0.0.1".parse().unwrap(), 6443) % 1000,
            KNOWN_10_0_0_1
        );
        assert_eq!(
            endpoint_hash("2001:db8::1".parse().unwrap(), 2379) % 1000,
            KNOWN_V6
        );
    }

    const KNOWN_10_0_0_1: u64 = 354;
    const KNOWN_V6: u64 = 51;
}

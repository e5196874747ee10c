//! Protocol versions as the product names them (`SSLv2` … `TLSv1.3`), with their wire codes.
//!
//! Shared by every layer: the codec speaks wire codes, the report speaks labels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A protocol version, ordered from oldest to newest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// SSL 2.0 (its own record format).
    Ssl2,
    /// SSL 3.0.
    Ssl3,
    /// TLS 1.0.
    Tls10,
    /// TLS 1.1.
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl Protocol {
    /// Every version, oldest first.
    pub const ALL: [Protocol; 6] = [
        Protocol::Ssl2,
        Protocol::Ssl3,
        Protocol::Tls10,
        Protocol::Tls11,
        Protocol::Tls12,
        Protocol::Tls13,
    ];

    /// The label of the contract (`docs/report.md`, `TLSv1.2`).
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Ssl2 => "SSLv2",
            Protocol::Ssl3 => "SSLv3",
            Protocol::Tls10 => "TLSv1.0",
            Protocol::Tls11 => "TLSv1.1",
            Protocol::Tls12 => "TLSv1.2",
            Protocol::Tls13 => "TLSv1.3",
        }
    }

    /// The two-byte version code on the wire (SSLv2 uses 0x0002).
    pub fn wire(self) -> u16 {
        match self {
            Protocol::Ssl2 => 0x0002,
            Protocol::Ssl3 => 0x0300,
            Protocol::Tls10 => 0x0301,
            Protocol::Tls11 => 0x0302,
            Protocol::Tls12 => 0x0303,
            Protocol::Tls13 => 0x0304,
        }
    }

    /// The version a wire code names, if any.
    pub fn from_wire(code: u16) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.wire() == code)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A label that names no protocol version.
#[derive(Debug, thiserror::Error)]
#[error("unknown protocol version {0:?} (expected one of SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3)")]
pub struct UnknownProtocol(pub String);

impl FromStr for Protocol {
    type Err = UnknownProtocol;

    /// Accepts the labels, case-insensitively, and the common short forms (`tls1.2`, `1.2`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase();
        let norm = norm
            .strip_prefix("tls")
            .map_or(norm.as_str(), |r| r.trim_start_matches('v'));
        let found = match norm {
            "sslv2" | "ssl2" => Protocol::Ssl2,
            "sslv3" | "ssl3" => Protocol::Ssl3,
            "1.0" | "1" | "10" => Protocol::Tls10,
            "1.1" | "11" => Protocol::Tls11,
            "1.2" | "12" => Protocol::Tls12,
            "1.3" | "13" => Protocol::Tls13,
            _ => return Err(UnknownProtocol(s.to_string())),
        };
        Ok(found)
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(p.label().parse::<Protocol>().ok(), Some(p));
            assert_eq!(Protocol::from_wire(p.wire()), Some(p));
        }
        assert_eq!("tls1.2".parse::<Protocol>().ok(), Some(Protocol::Tls12));
        assert!("TLSv1.4".parse::<Protocol>().is_err());
    }
}

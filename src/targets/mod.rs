//! Targets: parse the user's target syntax, expand lazily, resolve names, shard.
//!
//! The syntax follows nmap's habits (see `docs/report.md`): `10.0.0.5`, `10.0.0.0/24`, `10.0.0.1-50`,
//! `10.0.1-3.1-254`, `10.0.0,2.1`, `2001:db8::/120`, `node1.example.com`, `host:2379`,
//! `[2001:db8::1]:6443`. Everything is parsed and validated up front ([`parse_target`],
//! [`parse_ports`], [`TargetSet::read_list`]) so that a typo is a one-line error before anything
//! is sent.
//!
//! Expansion is lazy: a [`TargetSet`] holds only the parsed specs, and
//! [`TargetSet::into_stream`] walks them with integer cursors, so a /8 or an IPv6 /64 never
//! materialises. Duplicates are found by containment against the earlier specs (no set that grows
//! with the range), and `--shard K/N` keeps the endpoints whose stable hash of (address, port)
//! falls in shard K.
//!
//! This module never opens a socket; the only I/O is name resolution behind the [`Resolve`]
//! trait (hosts file first, then hickory-resolver), so tests inject a [`StaticResolver`].

mod addr;
mod admit;
mod expand;
mod list;
mod ports;
mod resolve;
mod shard;
mod spec;
mod stream;

pub use expand::{EndpointSpec, Planned, TargetSet};
pub use ports::{
    merge_ports, parse_ports, service_for_port, DEFAULT_PORTS, KUBERNETES_PROFILE_PORTS,
};
pub use resolve::{LookupFuture, Resolve, StaticResolver, SystemResolver};
pub use shard::Shard;
pub use spec::{parse_target, parse_target_list, TargetSpec};

/// Why a target, a port list, a shard or a target file was rejected.
///
/// Every message names the offending text, so the CLI can print it as a one-line error
/// (exit code 2) without adding context.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// A target (or `--exclude` entry) that does not parse.
    #[error(
        "invalid target \"{}\": {problem}",
        crate::report::escape::brief(target)
    )]
    Target {
        /// The target as the user wrote it.
        target: String,
        /// What is wrong with it.
        problem: Problem,
    },
    /// A port or port list that does not parse.
    #[error("invalid port \"{}\": {problem}", crate::report::escape::brief(port))]
    Port {
        /// The port (or list item) as the user wrote it.
        port: String,
        /// What is wrong with it.
        problem: Problem,
    },
    /// A `--shard K/N` value that does not parse.
    #[error(
        "invalid shard \"{}\": expected K/N with 1 <= K <= N",
        crate::report::escape::brief(shard)
    )]
    Shard {
        /// The value as the user wrote it.
        shard: String,
    },
    /// An error inside a target list (`-iL`), with the file and line it came from.
    #[error("{source_name}:{line}: {error}")]
    InList {
        /// The list's name as the user gave it (`-` for stdin).
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// The error on that line.
        error: Box<TargetError>,
    },
    /// A target-list line longer than 64 KiB (no list of targets has
    /// one; reading it whole would let a list, or stdin, take any amount of memory).
    #[error("line longer than {max} bytes")]
    LineTooLong {
        /// The limit.
        max: usize,
    },
    /// A target list that could not be read.
    #[error("reading {source_name}: {error}")]
    Read {
        /// The list's name as the user gave it (`-` for stdin).
        source_name: String,
        /// The underlying I/O error.
        error: std::io::Error,
    },
}

/// What is wrong with a target or a port: the second half of a [`TargetError`] message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Nothing to parse.
    #[error("empty")]
    Empty,
    /// An IPv4 octet above 255.
    #[error("octet {0} out of range")]
    OctetOutOfRange(String),
    /// An IPv4 octet that is not a number, a range, a list or `*`.
    #[error("bad octet {0:?}")]
    BadOctet(String),
    /// An IPv4 octet with a leading zero, which inet_aton would read as octal.
    #[error("octet {0:?} has a leading zero (ambiguous: octal?)")]
    LeadingZero(String),
    /// Not four dot-separated octets.
    #[error("expected 4 octets, found {0}")]
    OctetCount(usize),
    /// `50-10`.
    #[error("range {0}-{1} is reversed")]
    Reversed(u32, u32),
    /// A CIDR prefix that is not a number or too long for the address family.
    #[error("bad prefix length {0:?} (max /{1})")]
    BadPrefix(String, u8),
    /// Text with colons that is not an IPv6 address.
    #[error("not an IPv6 address")]
    BadIpv6,
    /// Not a valid host name (RFC 1123 labels).
    #[error("not an IP address or a valid host name: {0}")]
    BadHostname(&'static str),
    /// `https://host:6443/`: a URL rather than a target.
    #[error("a URL; give host or host:port")]
    Url,
    /// `/24` after a host name: nmap allows it, we do not guess at what the name resolves to.
    #[error("a CIDR prefix needs an IP address, not a host name")]
    CidrOnHostname,
    /// `[2001:db8::1` without its `]`, or junk after it.
    #[error("expected [IPv6] or [IPv6]:port")]
    Brackets,
    /// `host:` with nothing after the colon.
    #[error("empty port")]
    EmptyPort,
    /// A target-list line that is not UTF-8.
    #[error("not UTF-8 text")]
    NotUtf8,
    /// A port that is not a number.
    #[error("not a port number")]
    NotANumber,
    /// Port 0 or above 65535.
    #[error("port out of range 1-65535")]
    PortOutOfRange,
}

//! What fipsprobe offers in every hello: groups and signature schemes. One list for the cipher
//! sweeps, the group sweeps and the behaviour probes, so a server never sees two clients.

/// Groups offered in TLS <= 1.2 hellos: every named curve and FFDHE group, so that an ECDHE
/// suite is never missed for lack of a common curve. P-256 first: it is what servers expect.
pub const GROUPS_TLS12: &[u16] = &[
    0x0017, 0x0018, 0x0019, 0x001D, 0x001E, 0x001A, 0x001B, 0x001C, 0x0016, 0x0015, 0x0014, 0x0013,
    0x0012, 0x0011, 0x0010, 0x000F, 0x000E, 0x000D, 0x000C, 0x000B, 0x000A, 0x0009, 0x0008, 0x0007,
    0x0006, 0x0005, 0x0004, 0x0003, 0x0002, 0x0001, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
];

/// Groups offered in TLS 1.3 hellos; a server that wants another share answers with a
/// HelloRetryRequest, which names the suite just as well. Pure ML-KEM (0x0200..0x0202) is
/// listed too: a server configured with nothing else would otherwise look like it refused
/// TLS 1.3.
pub const GROUPS_TLS13: &[u16] = &[
    0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x11EC, 0x11EB, 0x11ED, 0x0200, 0x0201, 0x0202, 0x0100,
    0x0101, 0x0102, 0x0103, 0x0104, 0x001F, 0x0020, 0x0021,
];

/// Key shares sent in TLS 1.3 hellos: the two groups nearly every server takes.
pub const KEY_SHARES_TLS13: &[u16] = &[0x001D, 0x0017];

/// Signature schemes offered: every modern scheme, then the legacy SHA-1/MD5 pairs so that a
/// server holding only an old certificate still answers.
pub const SIG_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B, 0x0807, 0x0808, 0x0401,
    0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202, 0x0101,
    0x0102, 0x0103,
];

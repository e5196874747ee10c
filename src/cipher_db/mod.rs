//! The embedded cipher database (`cipher-db/`), parsed once into validated types.
//!
//! The data files are compiled in with `include_str!` and parsed on first use by [`db`]. Every
//! fact lives in the TOML files; this module only checks them (codes unique, vocabularies
//! closed, flags consistent with attributes) and indexes them by code and name. No I/O.

mod attrs;
mod load;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use attrs::{Auth, CipherAlg, CipherMode, GroupKind, Kx, Mac, SigAlg, SigHash, UnknownLabel};
pub(crate) use load::line_of;
pub use load::DbError;

use crate::protocol::Protocol;

/// `cipher-db/suites.toml`: every suite, in offer (strength) order, and the SSLv2 cipher specs.
pub const SUITES_TOML: &str = include_str!("../../cipher-db/suites.toml");
/// `cipher-db/groups.toml`: supported groups.
pub const GROUPS_TOML: &str = include_str!("../../cipher-db/groups.toml");
/// `cipher-db/sigschemes.toml`: signature schemes and TLS 1.2 hash/signature pairs.
pub const SIGSCHEMES_TOML: &str = include_str!("../../cipher-db/sigschemes.toml");

/// The bundled database, parsed on first use.
pub fn db() -> &'static CipherDb {
    static DB: OnceLock<CipherDb> = OnceLock::new();
    DB.get_or_init(|| {
        // Invariant: the bundled files are validated by `bundled_database_loads` (and the
        // integration tests), so a failure here means the build embedded broken data.
        CipherDb::parse(SUITES_TOML, GROUPS_TOML, SIGSCHEMES_TOML)
            .expect("bundled cipher-db is valid")
    })
}

/// The whole database: suites, SSLv2 cipher specs, groups and signature schemes.
#[derive(Debug, Clone)]
pub struct CipherDb {
    suites: Vec<Suite>,
    suite_index: HashMap<u16, usize>,
    suite_names: HashMap<String, usize>,
    ssl2: Vec<Ssl2Cipher>,
    groups: Vec<Group>,
    group_index: HashMap<u16, usize>,
    group_names: HashMap<String, usize>,
    schemes: Vec<SigScheme>,
    scheme_index: HashMap<u16, usize>,
    scheme_names: HashMap<String, usize>,
}

impl CipherDb {
    /// Parses and validates the three data files (the bundled ones, or replacements in tests).
    pub fn parse(
        suites_toml: &str,
        groups_toml: &str,
        sigschemes_toml: &str,
    ) -> Result<CipherDb, DbError> {
        let (suites, ssl2) = load::suites(suites_toml)?;
        let groups = load::groups(groups_toml)?;
        let schemes = load::sig_schemes(sigschemes_toml)?;
        let suite_index = suites
            .iter()
            .enumerate()
            .map(|(i, s)| (s.code, i))
            .collect();
        let mut suite_names = HashMap::new();
        for (i, s) in suites.iter().enumerate() {
            // First entry wins for the few non-IANA names OpenSSL reuses (SSL_RSA_FIPS_*).
            suite_names.entry(s.iana.clone()).or_insert(i);
            if let Some(o) = &s.openssl {
                suite_names.entry(o.clone()).or_insert(i);
            }
        }
        let group_index = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.code, i))
            .collect();
        let mut group_names = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            if g.kind != GroupKind::Grease {
                group_names.entry(g.name.clone()).or_insert(i);
            }
        }
        let scheme_index = schemes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.code, i))
            .collect();
        let mut scheme_names = HashMap::new();
        for (i, s) in schemes.iter().enumerate() {
            scheme_names.entry(s.name.clone()).or_insert(i);
        }
        Ok(CipherDb {
            suites,
            suite_index,
            suite_names,
            ssl2,
            groups,
            group_index,
            group_names,
            schemes,
            scheme_index,
            scheme_names,
        })
    }

    /// Every suite (IANA and non-IANA, SCSV and GREASE included), in offer (strength) order.
    pub fn suites(&self) -> &[Suite] {
        &self.suites
    }

    /// The suite with this code.
    pub fn suite(&self, code: u16) -> Option<&Suite> {
        self.suite_index
            .get(&code)
            .and_then(|&i| self.suites.get(i))
    }

    /// The suite with this IANA (or, failing that, OpenSSL) name.
    pub fn suite_by_name(&self, name: &str) -> Option<&Suite> {
        self.suite_names.get(name).and_then(|&i| self.suites.get(i))
    }

    /// Suites negotiable in `p`, excluding SCSV and GREASE values, in offer order.
    /// Empty for SSLv2, whose cipher specs are in [`CipherDb::ssl2_ciphers`].
    pub fn suites_for(&self, p: Protocol) -> impl Iterator<Item = &Suite> {
        self.suites
            .iter()
            .filter(move |s| s.negotiable_in(p) && !s.flags.scsv && !s.flags.grease)
    }

    /// The SSLv2 cipher specs (3-byte codes).
    pub fn ssl2_ciphers(&self) -> &[Ssl2Cipher] {
        &self.ssl2
    }

    /// Every supported group, by code.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The group with this code.
    pub fn group(&self, code: u16) -> Option<&Group> {
        self.group_index
            .get(&code)
            .and_then(|&i| self.groups.get(i))
    }

    /// The group with this IANA name (`secp256r1`, `X25519MLKEM768`).
    pub fn group_by_name(&self, name: &str) -> Option<&Group> {
        self.group_names.get(name).and_then(|&i| self.groups.get(i))
    }

    /// Every signature scheme, by code.
    pub fn sig_schemes(&self) -> &[SigScheme] {
        &self.schemes
    }

    /// The signature scheme with this code.
    pub fn sig_scheme(&self, code: u16) -> Option<&SigScheme> {
        self.scheme_index
            .get(&code)
            .and_then(|&i| self.schemes.get(i))
    }

    /// The signature scheme with this IANA name (`rsa_pss_rsae_sha256`).
    pub fn sig_scheme_by_name(&self, name: &str) -> Option<&SigScheme> {
        self.scheme_names
            .get(name)
            .and_then(|&i| self.schemes.get(i))
    }
}

/// One cipher suite and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// The two-byte code.
    pub code: u16,
    /// The IANA name; for non-IANA codes the OpenSSL/testssl.sh standard-style name.
    pub iana: String,
    /// The OpenSSL name, where OpenSSL (or testssl.sh's OpenSSL map) has one.
    pub openssl: Option<String>,
    /// The versions it can be negotiated in, oldest first (empty for SCSV and GREASE).
    pub versions: Vec<Protocol>,
    /// Key exchange.
    pub kx: Kx,
    /// Server authentication.
    pub auth: Auth,
    /// Bulk cipher.
    pub cipher: Cipher,
    /// Record MAC (`AEAD` for AEAD suites).
    pub mac: Mac,
    /// The hash the suite fixes for the PRF / handshake, where it fixes one.
    pub prf: Option<Mac>,
    /// Flags.
    pub flags: SuiteFlags,
    /// The defining document(s), as the registry cites them.
    pub reference: String,
    /// A remark from the data file.
    pub note: Option<String>,
    /// Position in offer order (0 = offered first).
    pub rank: usize,
}

impl Suite {
    /// Whether the suite can be negotiated in `p`.
    pub fn negotiable_in(&self, p: Protocol) -> bool {
        self.versions.contains(&p)
    }

    /// Ephemeral ECDH key exchange (ECDHE, ECDHE_PSK).
    pub fn is_ecdhe(&self) -> bool {
        matches!(self.kx, Kx::Ecdhe | Kx::EcdhePsk)
    }

    /// Ephemeral finite-field DH key exchange (DHE, DHE_PSK).
    pub fn is_dhe(&self) -> bool {
        matches!(self.kx, Kx::Dhe | Kx::DhePsk)
    }

    /// A key exchange that needs a credential besides a certificate (a pre-shared key, an SRP
    /// verifier, a Kerberos ticket, a password), which a scanner never holds. Some servers list
    /// such suites without being configured for them and pick one they then cannot serve.
    pub fn needs_credential(&self) -> bool {
        matches!(
            self.kx,
            Kx::Psk | Kx::DhePsk | Kx::EcdhePsk | Kx::RsaPsk | Kx::Srp | Kx::Krb5 | Kx::EccPwd
        )
    }

    /// A TLS 1.3-only suite.
    pub fn is_tls13(&self) -> bool {
        self.versions == [Protocol::Tls13]
    }

    /// The name to show a person: the IANA name (or the non-IANA standard-style name).
    pub fn display_name(&self) -> &str {
        &self.iana
    }

    /// The highest version the suite can be negotiated in.
    pub fn highest_version(&self) -> Option<Protocol> {
        self.versions.last().copied()
    }
}

/// A bulk cipher: algorithm, mode and key size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cipher {
    /// Algorithm.
    pub alg: CipherAlg,
    /// Mode of operation.
    pub mode: CipherMode,
    /// Key bits (40 for export ciphers, 168 for 3DES, 0 for NULL).
    pub bits: u16,
}

impl std::fmt::Display for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.alg, self.mode) {
            (CipherAlg::Null, _) => f.write_str("NULL"),
            (_, CipherMode::Aead | CipherMode::Stream) => write!(f, "{}({})", self.alg, self.bits),
            _ => write!(f, "{}-{}({})", self.alg, self.mode, self.bits),
        }
    }
}

/// Boolean facts about a suite. `null`, `anonymous` and `aead` are checked against the
/// attributes when the data load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SuiteFlags {
    /// In the IANA registry.
    pub iana: bool,
    /// An export-grade suite (40/56-bit cipher or 512/1024-bit key exchange).
    pub export: bool,
    /// No encryption.
    pub null: bool,
    /// No authentication.
    pub anonymous: bool,
    /// AEAD cipher.
    pub aead: bool,
    /// A signalling value (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV).
    pub scsv: bool,
    /// A GREASE value (RFC 8701).
    pub grease: bool,
}

impl SuiteFlags {
    /// The set flags, by their data-file labels.
    pub fn labels(&self) -> Vec<&'static str> {
        let all = [
            (self.iana, "iana"),
            (self.export, "export"),
            (self.null, "null"),
            (self.anonymous, "anonymous"),
            (self.aead, "aead"),
            (self.scsv, "scsv"),
            (self.grease, "grease"),
        ];
        all.into_iter()
            .filter(|(set, _)| *set)
            .map(|(_, l)| l)
            .collect()
    }
}

/// One SSLv2 cipher spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Ssl2Cipher {
    /// The 3-byte code (24 bits used).
    pub code: u32,
    /// The SSL_CK_* name.
    pub name: String,
    /// The OpenSSL name.
    pub openssl: String,
    /// Bulk cipher algorithm.
    pub cipher: CipherAlg,
    /// Key bits.
    pub bits: u16,
    /// MAC.
    pub mac: Mac,
    /// Export grade.
    pub export: bool,
}

/// One supported group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The two-byte code.
    pub code: u16,
    /// The IANA name (`secp256r1`, `X25519MLKEM768`; GREASE values are `Reserved`).
    pub name: String,
    /// What kind of group.
    pub kind: GroupKind,
    /// Length of a client key_share for it, where fixed.
    pub key_share_len: Option<u16>,
    /// Length of the server's key_share, where fixed (differs for KEMs).
    pub server_share_len: Option<u16>,
    /// In the IANA registry snapshot.
    pub iana: bool,
    /// IANA "Recommended" column (Y, N, D), where given.
    pub recommended: Option<String>,
    /// Defining document(s).
    pub reference: String,
    /// A remark from the data file.
    pub note: Option<String>,
}

/// One signature scheme (or TLS 1.2 hash/signature pair).
#[derive(Debug, Clone, PartialEq)]
pub struct SigScheme {
    /// The two-byte code.
    pub code: u16,
    /// The IANA name (`rsa_pss_rsae_sha256`) or the RFC 5246 pair name (`dsa_sha256`).
    pub name: String,
    /// Signature algorithm.
    pub signature: SigAlg,
    /// Hash.
    pub hash: SigHash,
    /// In the IANA SignatureScheme registry (pairs the registry only reserves are not).
    pub iana: bool,
    /// Only meaningful as a TLS 1.2 (hash, signature) pair.
    pub tls12_only: bool,
    /// IANA "Recommended" column, where given.
    pub recommended: Option<String>,
    /// Defining document(s).
    pub reference: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bundled_database_loads() {
        let db = CipherDb::parse(SUITES_TOML, GROUPS_TOML, SIGSCHEMES_TOML).unwrap();
        assert!(db.suites().len() >= 368);
        assert_eq!(db.ssl2_ciphers().len(), 13);
    }

    #[test]
    fn lookups_by_code_and_name_agree() {
        let s = db().suite(0xC02F).unwrap();
        assert_eq!(s.iana, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(s.openssl.as_deref(), Some("ECDHE-RSA-AES128-GCM-SHA256"));
        assert_eq!(
            db().suite_by_name("ECDHE-RSA-AES128-GCM-SHA256")
                .map(|s| s.code),
            Some(0xC02F)
        );
        assert!(s.is_ecdhe() && !s.is_dhe() && !s.is_tls13());
        assert_eq!(s.versions, vec![Protocol::Tls12]);
        assert_eq!(db().group_by_name("x25519").map(|g| g.code), Some(0x001D));
        assert_eq!(
            db().sig_scheme(0x0804).map(|s| s.name.as_str()),
            Some("rsa_pss_rsae_sha256")
        );
    }

    #[test]
    fn suites_for_keeps_offer_order_and_drops_signalling_values() {
        let tls13: Vec<u16> = db().suites_for(Protocol::Tls13).map(|s| s.code).collect();
        assert_eq!(tls13.first(), Some(&0x1302));
        assert!(tls13.contains(&0x1301) && tls13.contains(&0x1303));
        let tls12: Vec<&Suite> = db().suites_for(Protocol::Tls12).collect();
        assert!(tls12.windows(2).all(|w| w[0].rank < w[1].rank));
        assert!(tls12
            .iter()
            .all(|s| !s.flags.scsv && !s.flags.grease && !s.is_tls13()));
        assert_eq!(db().suites_for(Protocol::Ssl2).count(), 0);
    }
}

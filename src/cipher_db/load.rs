//! Raw TOML entries → validated database types ("parse, don't validate").
//!
//! Errors name the file, the line and the entry (`suites.toml:212: suite 0xC02F: unknown kx
//! "ECDH_E" ...`). Nothing here panics on bad data: the bundled files are data like any other.

use std::collections::HashSet;
use std::ops::Range;
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Cipher, CipherAlg, CipherMode, Group, GroupKind, Kx, Mac, SigScheme, Ssl2Cipher, Suite,
    SuiteFlags,
};
use crate::protocol::Protocol;

/// A cipher-db data file that does not parse or breaks an invariant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// Not valid TOML, or an entry of the wrong shape.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// `suites.toml`, `groups.toml` or `sigschemes.toml`.
        file: &'static str,
        /// 1-based line.
        line: usize,
        /// What the TOML parser said.
        message: String,
    },
    /// A well-formed entry with a bad value.
    #[error("{file}:{line}: {entry}: {message}")]
    Invalid {
        /// The data file.
        file: &'static str,
        /// 1-based line of the entry.
        line: usize,
        /// The entry (`suite 0xC02F`).
        entry: String,
        /// What is wrong.
        message: String,
    },
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

fn syntax(file: &'static str, text: &str, e: toml::de::Error) -> DbError {
    let line = e.span().map_or(1, |s| line_of(text, s.start));
    DbError::Syntax {
        file,
        line,
        message: e.message().to_string(),
    }
}

struct Ctx<'a> {
    file: &'static str,
    text: &'a str,
}

impl Ctx<'_> {
    fn invalid(&self, span: &Range<usize>, entry: String, message: impl Into<String>) -> DbError {
        DbError::Invalid {
            file: self.file,
            line: line_of(self.text, span.start),
            entry,
            message: message.into(),
        }
    }

    fn label<T: FromStr>(&self, span: &Range<usize>, entry: &str, value: &str) -> Result<T, DbError>
    where
        T::Err: std::fmt::Display,
    {
        value
            .parse::<T>()
            .map_err(|e| self.invalid(span, entry.to_string(), e.to_string()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuitesFile {
    #[serde(default)]
    suite: Vec<Spanned<RawSuite>>,
    #[serde(default)]
    ssl2: Vec<Spanned<RawSsl2>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    code: u16,
    iana: String,
    openssl: Option<String>,
    versions: Vec<String>,
    kx: String,
    auth: String,
    cipher: String,
    mode: String,
    bits: u16,
    mac: String,
    prf: Option<String>,
    #[serde(default)]
    flags: Vec<String>,
    reference: String,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSsl2 {
    code: u32,
    name: String,
    openssl: String,
    cipher: String,
    bits: u16,
    mac: String,
    export: bool,
}

/// Parses `suites.toml` into suites (file order = offer order) and SSLv2 cipher specs.
pub(super) fn suites(text: &str) -> Result<(Vec<Suite>, Vec<Ssl2Cipher>), DbError> {
    let cx = Ctx {
        file: "suites.toml",
        text,
    };
    let file: SuitesFile = toml::from_str(text).map_err(|e| syntax(cx.file, text, e))?;
    let mut seen = HashSet::new();
    let mut iana_names = HashSet::new();
    let mut suites = Vec::with_capacity(file.suite.len());
    for (rank, raw) in file.suite.into_iter().enumerate() {
        let span = raw.span();
        let raw = raw.into_inner();
        let entry = format!("suite 0x{:04X}", raw.code);
        if !seen.insert(raw.code) {
            return Err(cx.invalid(&span, entry, "duplicate code"));
        }
        let mut flags = SuiteFlags::default();
        for f in &raw.flags {
            let slot = match f.as_str() {
                "iana" => &mut flags.iana,
                "export" => &mut flags.export,
                "null" => &mut flags.null,
                "anonymous" => &mut flags.anonymous,
                "aead" => &mut flags.aead,
                "scsv" => &mut flags.scsv,
                "grease" => &mut flags.grease,
                other => return Err(cx.invalid(&span, entry, format!("unknown flag {other:?}"))),
            };
            *slot = true;
        }
        let mut versions = Vec::new();
        for v in &raw.versions {
            let p: Protocol = cx.label(&span, &entry, v)?;
            if p == Protocol::Ssl2 {
                return Err(cx.invalid(&span, entry, "SSLv2 cipher specs belong in [[ssl2]]"));
            }
            versions.push(p);
        }
        versions.sort();
        versions.dedup();
        let suite = Suite {
            code: raw.code,
            kx: cx.label(&span, &entry, &raw.kx)?,
            auth: cx.label(&span, &entry, &raw.auth)?,
            cipher: Cipher {
                alg: cx.label(&span, &entry, &raw.cipher)?,
                mode: cx.label(&span, &entry, &raw.mode)?,
                bits: raw.bits,
            },
            mac: cx.label(&span, &entry, &raw.mac)?,
            prf: raw
                .prf
                .as_deref()
                .map(|p| cx.label(&span, &entry, p))
                .transpose()?,
            iana: raw.iana,
            openssl: raw.openssl,
            versions,
            flags,
            reference: raw.reference,
            note: raw.note,
            rank,
        };
        check_suite(&suite).map_err(|m| cx.invalid(&span, entry.clone(), m))?;
        if suite.flags.iana && !suite.flags.grease && !iana_names.insert(suite.iana.clone()) {
            return Err(cx.invalid(
                &span,
                entry,
                format!("duplicate IANA name {:?}", suite.iana),
            ));
        }
        suites.push(suite);
    }
    let mut ssl2 = Vec::with_capacity(file.ssl2.len());
    let mut seen2 = HashSet::new();
    for raw in file.ssl2 {
        let span = raw.span();
        let raw = raw.into_inner();
        let entry = format!("ssl2 0x{:06X}", raw.code);
        if raw.code > 0x00FF_FFFF {
            return Err(cx.invalid(&span, entry, "SSLv2 codes are 3 bytes"));
        }
        if !seen2.insert(raw.code) {
            return Err(cx.invalid(&span, entry, "duplicate code"));
        }
        ssl2.push(Ssl2Cipher {
            code: raw.code,
            cipher: cx.label(&span, &entry, &raw.cipher)?,
            mac: cx.label(&span, &entry, &raw.mac)?,
            name: raw.name,
            openssl: raw.openssl,
            bits: raw.bits,
            export: raw.export,
        });
    }
    Ok((suites, ssl2))
}

/// Flags must agree with the attributes they summarise, so a hand edit cannot make a NULL
/// cipher look encrypted.
fn check_suite(s: &Suite) -> Result<(), String> {
    let signalling = s.flags.scsv || s.flags.grease;
    if signalling != s.versions.is_empty() {
        return Err("only SCSV and GREASE values have no versions".into());
    }
    if !signalling && s.flags.null != (s.cipher.alg == CipherAlg::Null) {
        return Err("flag \"null\" must be set exactly when cipher is NULL".into());
    }
    if s.flags.aead != (s.mac == Mac::Aead) {
        return Err("flag \"aead\" must be set exactly when mac is AEAD".into());
    }
    if s.flags.anonymous != (s.auth == super::Auth::Anon) {
        return Err("flag \"anonymous\" must be set exactly when auth is anon".into());
    }
    if s.kx == Kx::Tls13 && s.versions != [Protocol::Tls13] {
        return Err("kx TLS13 suites are negotiable in TLSv1.3 only".into());
    }
    if s.versions.contains(&Protocol::Tls13) && !matches!(s.kx, Kx::Tls13 | Kx::EccPwd) {
        return Err("only TLS 1.3 suites (kx TLS13) and ECCPWD are negotiable in TLSv1.3".into());
    }
    if s.cipher.alg == CipherAlg::Null && s.cipher.mode != CipherMode::None {
        return Err("a NULL cipher has mode NONE".into());
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupsFile {
    #[serde(default)]
    group: Vec<Spanned<RawGroup>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    code: u16,
    name: String,
    kind: String,
    key_share_len: Option<u16>,
    server_share_len: Option<u16>,
    iana: bool,
    recommended: Option<String>,
    reference: String,
    note: Option<String>,
}

/// Parses `groups.toml`.
pub(super) fn groups(text: &str) -> Result<Vec<Group>, DbError> {
    let cx = Ctx {
        file: "groups.toml",
        text,
    };
    let file: GroupsFile = toml::from_str(text).map_err(|e| syntax(cx.file, text, e))?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(file.group.len());
    for raw in file.group {
        let span = raw.span();
        let raw = raw.into_inner();
        let entry = format!("group 0x{:04X}", raw.code);
        if !seen.insert(raw.code) {
            return Err(cx.invalid(&span, entry, "duplicate code"));
        }
        let kind: GroupKind = cx.label(&span, &entry, &raw.kind)?;
        out.push(Group {
            code: raw.code,
            name: raw.name,
            kind,
            key_share_len: raw.key_share_len,
            server_share_len: raw.server_share_len,
            iana: raw.iana,
            recommended: raw.recommended,
            reference: raw.reference,
            note: raw.note,
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemesFile {
    #[serde(default)]
    scheme: Vec<Spanned<RawScheme>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    code: u16,
    name: String,
    signature: String,
    hash: String,
    iana: bool,
    #[serde(default)]
    tls12_only: bool,
    recommended: Option<String>,
    reference: String,
}

/// Parses `sigschemes.toml`.
pub(super) fn sig_schemes(text: &str) -> Result<Vec<SigScheme>, DbError> {
    let cx = Ctx {
        file: "sigschemes.toml",
        text,
    };
    let file: SchemesFile = toml::from_str(text).map_err(|e| syntax(cx.file, text, e))?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(file.scheme.len());
    for raw in file.scheme {
        let span = raw.span();
        let raw = raw.into_inner();
        let entry = format!("scheme 0x{:04X}", raw.code);
        if !seen.insert(raw.code) {
            return Err(cx.invalid(&span, entry, "duplicate code"));
        }
        out.push(SigScheme {
            code: raw.code,
            signature: cx.label(&span, &entry, &raw.signature)?,
            hash: cx.label(&span, &entry, &raw.hash)?,
            name: raw.name,
            iana: raw.iana,
            tls12_only: raw.tls12_only,
            recommended: raw.recommended,
            reference: raw.reference,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[suite]]
code = 0xC02F
iana = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
versions = ["TLSv1.2"]
kx = "ECDHE"
auth = "RSA"
cipher = "AES"
mode = "GCM"
bits = 128
mac = "AEAD"
flags = ["iana", "aead"]
reference = "[RFC5289]"
"#;

    #[test]
    fn a_valid_entry_loads() {
        let (s, _) = suites(ONE).map_err(|e| e.to_string()).unwrap_or_default();
        assert_eq!(s.len(), 1);
        assert_eq!(s.first().map(|s| s.kx), Some(Kx::Ecdhe));
    }

    #[test]
    fn unknown_kx_names_file_line_and_entry() {
        let bad = ONE.replace("kx = \"ECDHE\"", "kx = \"ECDH_E\"");
        let err = suites(&bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("suites.toml:2: suite 0xC02F: unknown kx \"ECDH_E\""),
            "{err}"
        );
    }

    #[test]
    fn inconsistent_flags_are_rejected() {
        let bad = ONE.replace("flags = [\"iana\", \"aead\"]", "flags = [\"iana\"]");
        let err = suites(&bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("flag \"aead\""), "{err}");
    }

    #[test]
    fn duplicate_codes_are_rejected() {
        let twice = format!("{ONE}{}", ONE.replace("TLS_ECDHE_RSA", "TLS_X"));
        let err = suites(&twice)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("suites.toml:15: suite 0xC02F: duplicate code"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let bad = ONE.replace("bits = 128", "bits = \"many\"");
        let err = suites(&bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("suites.toml:"), "{err}");
        assert!(!err.starts_with("suites.toml:1:"), "{err}");
    }
}

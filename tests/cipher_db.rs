//! The cipher database against the registry snapshots in `cipher-db/sources/` (provenance in
//! its README): it covers every IANA codepoint, invents none, keeps codes unique, gets the facts
//! the probe depends on (versions, key exchange, offer order) right, and is exactly what
//! `cipher-db/tools/gen_db.py` makes of those snapshots.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use fipsprobe::cipher_db::{
    db, CipherAlg, CipherDb, GroupKind, Kx, Mac, GROUPS_TOML, SIGSCHEMES_TOML, SUITES_TOML,
};
use fipsprobe::protocol::Protocol;

/// `cipher-db/sources/`, committed with the repository.
fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cipher-db/sources")
}

/// A snapshot from `cipher-db/sources/`. Missing data is a failure, never a skip.
fn reference(file: &str) -> String {
    let path = sources().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Minimal CSV: quoted fields with doubled quotes, no embedded newlines (the reference files
/// flatten them). Returns the rows after the header as maps.
fn csv(text: &str) -> Vec<HashMap<String, String>> {
    fn split(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        out
    }
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split(lines.next().unwrap());
    lines
        .map(|l| header.iter().cloned().zip(split(l)).collect())
        .collect()
}

fn code_of(value: &str) -> u16 {
    let (a, b) = value.split_once(',').unwrap();
    let a = u16::from_str_radix(a.trim().trim_start_matches("0x"), 16).unwrap();
    let b = u16::from_str_radix(b.trim().trim_start_matches("0x"), 16).unwrap();
    (a << 8) | b
}

#[test]
fn covers_every_iana_codepoint_with_its_name() {
    let rows = csv(&reference("iana-tls-cipher-suites.csv"));
    assert_eq!(rows.len(), 368, "reference registry size");
    for row in &rows {
        let code = code_of(&row["value"]);
        let s = db()
            .suite(code)
            .unwrap_or_else(|| panic!("0x{code:04X} missing"));
        assert!(s.flags.iana, "0x{code:04X} not flagged iana");
        let name = &row["description"];
        assert_eq!(&s.iana, name, "0x{code:04X}");
        if name == "Reserved" {
            assert!(s.flags.grease, "0x{code:04X} is GREASE");
            assert_eq!(code >> 8, code & 0xFF, "GREASE values repeat their byte");
        }
        if name.ends_with("_SCSV") {
            assert!(s.flags.scsv, "{name}");
        }
    }
    assert_eq!(
        rows.iter()
            .filter(|r| r["description"] == "Reserved")
            .count(),
        16
    );
}

#[test]
fn invents_no_iana_suite() {
    let registry: HashSet<u16> = csv(&reference("iana-tls-cipher-suites.csv"))
        .iter()
        .map(|r| code_of(&r["value"]))
        .collect();
    for s in db().suites() {
        assert_eq!(
            s.flags.iana,
            registry.contains(&s.code),
            "0x{:04X} {} iana flag",
            s.code,
            s.iana
        );
    }
    // Non-IANA extras are there and marked: pre-RFC ChaCha20 and OpenSSL's GOST codes.
    for code in [0xCC13, 0xCC14, 0xCC15, 0xFF85] {
        let s = db().suite(code).unwrap();
        assert!(!s.flags.iana, "0x{code:04X}");
    }
}

#[test]
fn codes_are_unique_in_every_table() {
    let mut seen = HashSet::new();
    assert!(db().suites().iter().all(|s| seen.insert(s.code)));
    let mut seen = HashSet::new();
    assert!(db().groups().iter().all(|g| seen.insert(g.code)));
    let mut seen = HashSet::new();
    assert!(db().sig_schemes().iter().all(|s| seen.insert(s.code)));
    let mut seen = HashSet::new();
    assert!(db()
        .ssl2_ciphers()
        .iter()
        .all(|c| seen.insert(c.code) && c.code <= 0xFF_FFFF));
}

#[test]
fn openssl_names_match_the_local_openssl() {
    for row in csv(&reference("openssl-names.csv")) {
        if !row["source"].starts_with("local openssl") {
            continue;
        }
        let code = code_of(&row["value"]);
        let s = db()
            .suite(code)
            .unwrap_or_else(|| panic!("0x{code:04X} missing"));
        assert_eq!(
            s.openssl.as_deref(),
            Some(row["openssl_name"].as_str()),
            "0x{code:04X}"
        );
    }
}

#[test]
fn versions_follow_the_rfcs() {
    let v = |code: u16| db().suite(code).unwrap().versions.clone();
    use Protocol::*;
    assert_eq!(v(0xC02F), vec![Tls12], "GCM is TLS 1.2 only (RFC 5289)");
    assert_eq!(v(0xC027), vec![Tls12], "SHA-256 CBC is TLS 1.2 only");
    assert_eq!(v(0x1301), vec![Tls13]);
    assert_eq!(v(0x002F), vec![Ssl3, Tls10, Tls11, Tls12], "AES-CBC-SHA");
    assert_eq!(v(0x000A), vec![Ssl3, Tls10, Tls11, Tls12], "3DES");
    assert_eq!(
        v(0xC013),
        vec![Tls10, Tls11, Tls12],
        "ECC suites are TLS only (RFC 4492)"
    );
    assert_eq!(
        v(0x0003),
        vec![Ssl3, Tls10],
        "export suites end at TLS 1.0 (RFC 4346)"
    );
    assert_eq!(
        v(0x0009),
        vec![Ssl3, Tls10, Tls11],
        "DES ends at TLS 1.1 (RFC 5469)"
    );
    assert!(
        v(0x00FF).is_empty() && v(0x5600).is_empty(),
        "SCSVs are never negotiated"
    );
    for s in db().suites() {
        if s.mac == Mac::Aead && !s.is_tls13() {
            assert!(
                s.versions.iter().all(|p| *p >= Tls12),
                "0x{:04X} AEAD before TLS 1.2",
                s.code
            );
        }
        if s.is_tls13() {
            assert_eq!(s.kx, Kx::Tls13, "0x{:04X}", s.code);
        }
    }
}

#[test]
fn key_exchange_tells_the_probe_how_to_parse_server_key_exchange() {
    let kx = |code: u16| db().suite(code).unwrap().kx;
    assert_eq!(kx(0xC030), Kx::Ecdhe);
    assert_eq!(kx(0x0033), Kx::Dhe);
    assert_eq!(kx(0x009C), Kx::Rsa);
    assert_eq!(
        kx(0x0030),
        Kx::Dh,
        "TLS_DH_DSS_WITH_AES_128_CBC_SHA is static DH"
    );
    assert_eq!(
        kx(0xC004),
        Kx::Ecdh,
        "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA is static ECDH"
    );
    assert_eq!(kx(0x0018), Kx::DhAnon);
    assert_eq!(kx(0xC018), Kx::EcdhAnon);
    assert_eq!(kx(0x00AA), Kx::DhePsk);
    assert_eq!(kx(0x1303), Kx::Tls13);
    let s = db().suite(0x0018).unwrap();
    assert!(s.flags.anonymous && !s.flags.export);
    let e = db().suite(0x0003).unwrap();
    assert!(e.flags.export && e.cipher.bits == 40 && e.cipher.alg == CipherAlg::Rc4);
}

#[test]
fn offer_order_puts_tls13_first_and_the_weakest_last() {
    let suites = db().suites();
    assert!(suites.first().unwrap().is_tls13());
    let first_non13 = suites.iter().position(|s| !s.is_tls13()).unwrap();
    assert!(suites.iter().skip(first_non13).all(|s| !s.is_tls13()));
    let rank = |code: u16| db().suite(code).unwrap().rank;
    assert!(rank(0xC030) < rank(0xC014), "ECDHE AEAD before ECDHE CBC");
    assert!(
        rank(0xC014) < rank(0x009D),
        "forward secrecy before static RSA"
    );
    assert!(rank(0x009D) < rank(0x000A), "AES before 3DES");
    assert!(rank(0x000A) < rank(0x0005), "3DES before RC4");
    assert!(rank(0x0005) < rank(0x0003), "RC4 before export");
    assert!(rank(0x0003) < rank(0x0002), "export before NULL");
    assert!(suites.iter().enumerate().all(|(i, s)| s.rank == i));
    // The first suite a client-order server would pick among ECDHE-RSA TLS 1.2 suites:
    let first = db()
        .suites_for(Protocol::Tls12)
        .find(|s| s.kx == Kx::Ecdhe)
        .unwrap();
    assert_eq!(first.cipher.bits, 256);
}

#[test]
fn suites_for_a_version_are_negotiable_there() {
    for p in [
        Protocol::Ssl3,
        Protocol::Tls10,
        Protocol::Tls12,
        Protocol::Tls13,
    ] {
        let list: Vec<_> = db().suites_for(p).collect();
        assert!(!list.is_empty(), "{p}");
        assert!(list
            .iter()
            .all(|s| s.negotiable_in(p) && !s.flags.grease && !s.flags.scsv));
    }
    assert!(db().suites_for(Protocol::Tls12).all(|s| !s.is_tls13()));
    assert!(db().suites_for(Protocol::Ssl3).all(|s| s.mac != Mac::Aead));
}

#[test]
fn groups_cover_the_registry_with_kinds_and_share_lengths() {
    for row in csv(&reference("iana-supported-groups.csv")) {
        let code = u16::from_str_radix(row["value_hex"].trim_start_matches("0x"), 16).unwrap();
        if code == 0 {
            continue;
        }
        let g = db()
            .group(code)
            .unwrap_or_else(|| panic!("group 0x{code:04X} missing"));
        assert_eq!(g.name, row["description"].replace(" (OBSOLETE)", ""));
        assert!(g.iana);
    }
    let g = |name: &str| db().group_by_name(name).unwrap();
    assert_eq!(
        (g("x25519").kind, g("x25519").key_share_len),
        (GroupKind::Ec, Some(32))
    );
    assert_eq!(g("secp256r1").key_share_len, Some(65));
    assert_eq!(g("ffdhe2048").kind, GroupKind::Ffdhe);
    assert_eq!(
        (g("X25519MLKEM768").kind, g("X25519MLKEM768").key_share_len),
        (GroupKind::Hybrid, Some(1216))
    );
    assert_eq!(g("X25519MLKEM768").server_share_len, Some(1120));
    assert_eq!(g("MLKEM768").kind, GroupKind::Kem);
    assert_eq!(db().group(0x0A0A).unwrap().kind, GroupKind::Grease);
}

#[test]
fn signature_schemes_cover_the_registry_and_tls12_pairs() {
    for row in csv(&reference("iana-signature-schemes.csv")) {
        let code = u16::from_str_radix(row["value"].trim_start_matches("0x"), 16).unwrap();
        assert!(
            db().sig_scheme(code).is_some(),
            "scheme 0x{code:04X} missing"
        );
    }
    for row in csv(&reference("tls12-legacy-signature-hash-pairs.csv")) {
        let code = u16::from_str_radix(row["value"].trim_start_matches("0x"), 16).unwrap();
        let s = db().sig_scheme(code).unwrap();
        assert_eq!(s.hash.label(), row["hash"], "0x{code:04X}");
    }
    assert_eq!(db().sig_scheme(0x0202).unwrap().name, "dsa_sha1");
    assert_eq!(db().sig_scheme(0x0905).unwrap().name, "mldsa65");
}

#[test]
fn ssl2_cipher_specs_are_three_bytes() {
    let rc4 = db()
        .ssl2_ciphers()
        .iter()
        .find(|c| c.code == 0x01_0080)
        .unwrap();
    assert_eq!(rc4.openssl, "RC4-MD5");
    assert_eq!(rc4.name, "SSL_CK_RC4_128_WITH_MD5");
    assert!(db().ssl2_ciphers().iter().any(|c| c.export));
}

#[test]
fn broken_data_is_reported_with_file_line_and_entry() {
    let bad = SUITES_TOML.replacen("kx = \"ECDHE\"", "kx = \"ECDH_E\"", 1);
    let err = CipherDb::parse(&bad, GROUPS_TOML, SIGSCHEMES_TOML)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("suites.toml:"), "{err}");
    assert!(err.contains(": suite 0x"), "{err}");
    assert!(err.contains("unknown kx \"ECDH_E\""), "{err}");
    // The line named is the start of the offending [[suite]] entry.
    let line: usize = err.split(':').nth(1).unwrap().parse().unwrap();
    assert_eq!(bad.lines().nth(line - 1), Some("[[suite]]"));

    let bad = GROUPS_TOML.replacen("kind = \"ffdhe\"", "kind = \"dh\"", 1);
    let err = CipherDb::parse(SUITES_TOML, &bad, SIGSCHEMES_TOML)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("groups.toml:") && err.contains("group 0x0100"),
        "{err}"
    );
}

#[test]
fn versions_are_contiguous() {
    for s in db().suites() {
        let idx: Vec<usize> = s
            .versions
            .iter()
            .map(|v| Protocol::ALL.iter().position(|p| p == v).unwrap())
            .collect();
        assert!(idx.windows(2).all(|w| w[1] == w[0] + 1), "0x{:04X}", s.code);
    }
}

#[test]
fn gen_db_regenerates_the_committed_database_byte_for_byte() {
    // python3 is installed by scripts/install-test-deps.sh; a missing interpreter fails here.
    let out_dir = tempfile::Builder::new()
        .prefix("fipsprobe-gen-db-")
        .tempdir()
        .unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(manifest.join("cipher-db/tools/gen_db.py"))
        .arg(sources())
        .arg(out_dir.path())
        .output()
        .expect("python3 (scripts/install-test-deps.sh installs it)");
    assert!(
        out.status.success(),
        "gen_db.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (file, committed) in [
        ("suites.toml", SUITES_TOML),
        ("groups.toml", GROUPS_TOML),
        ("sigschemes.toml", SIGSCHEMES_TOML),
    ] {
        let made = std::fs::read_to_string(out_dir.path().join(file)).unwrap();
        assert!(
            made == committed,
            "cipher-db/{file} differs from what gen_db.py makes of cipher-db/sources/: \
             regenerate it with `python3 cipher-db/tools/gen_db.py`"
        );
    }
}

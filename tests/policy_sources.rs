//! The bundled policies against the documents they cite. The suite lists of NIST SP 800-52r2
//! are data in the repository (`cipher-db/sources/sp800-52r2-suites.csv`, each row with its
//! section, list and evidence); every suite of the cipher database is graded by both policies in
//! every version it can be negotiated in, and the outcome must be what the reading documented in
//! `docs/policy-notes.md` derives from those lists. A policy edit that moves one suite, or a
//! database refresh that adds one, fails here until the expectation below says why.
//!
//! Also: the finding ids the code can raise against the table of `docs/report.md`.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use fipsprobe::cipher_db::{db, Suite};
use fipsprobe::policy::{finding_catalog, Policy};
use fipsprobe::protocol::Protocol;

/// One row of `sp800-52r2-suites.csv`.
#[derive(Debug)]
struct SpRow {
    iana: String,
    section: String,
    list: String,
    /// The versions the SP lists the suite for; empty where the copy does not say (the
    /// Appendix C and D rows), which the checks below then grade at TLS 1.2 only.
    versions: Vec<Protocol>,
}

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The SP's lists by code. The file has no quoted commas except in the last column.
fn sp_lists() -> BTreeMap<u16, SpRow> {
    let text = repo_file("cipher-db/sources/sp800-52r2-suites.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("code,iana,section,list,versions,evidence"),
        "header"
    );
    let mut out = BTreeMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.splitn(6, ',').collect();
        let [code, iana, section, list, versions, evidence] = cells[..] else {
            panic!("short row: {line}");
        };
        assert!(
            !evidence.trim_matches('"').is_empty(),
            "no evidence: {line}"
        );
        let code = u16::from_str_radix(code.trim_start_matches("0x"), 16).unwrap();
        let versions = match versions {
            "" => Vec::new(),
            "TLSv1.2" => vec![Protocol::Tls12],
            "TLSv1.3" => vec![Protocol::Tls13],
            "TLSv1.0-TLSv1.2" => vec![Protocol::Tls10, Protocol::Tls11, Protocol::Tls12],
            other => panic!("unknown versions {other:?}: {line}"),
        };
        let row = SpRow {
            iana: iana.to_string(),
            section: section.to_string(),
            list: list.to_string(),
            versions,
        };
        assert!(out.insert(code, row).is_none(), "0x{code:04X} listed twice");
    }
    out
}

#[test]
fn the_sp_lists_are_transcribed_with_the_registry_names() {
    let lists = sp_lists();
    let mut per_list: HashMap<&str, usize> = HashMap::new();
    for (code, row) in &lists {
        let s = db()
            .suite(*code)
            .unwrap_or_else(|| panic!("0x{code:04X} not in cipher-db"));
        assert_eq!(s.iana, row.iana, "0x{code:04X}");
        for p in &row.versions {
            assert!(s.negotiable_in(*p), "0x{code:04X} {} in {p}", row.iana);
        }
        *per_list.entry(row.list.as_str()).or_default() += 1;
    }
    // §3.3.1.1 as the verbatim copy has it: 10 + 16 for ECDSA and RSA certificates, then the 30
    // suites for DSA, DH and ECDH certificates; four TLS 1.3 suites; 24 PSK and 10 RSA key
    // transport suites in the appendices.
    let want = [
        ("ECDSA certificates", 10),
        ("RSA certificates", 16),
        ("DSA certificates", 6),
        ("DSA-signed DH certificates", 6),
        ("RSA-signed DH certificates", 6),
        ("ECDSA-signed ECDH certificates", 6),
        ("RSA-signed ECDH certificates", 6),
        ("TLS 1.3", 4),
        ("pre-shared keys", 24),
        ("RSA key transport", 10),
    ];
    for (list, n) in want {
        assert_eq!(per_list.get(list).copied(), Some(n), "{list}");
    }
    assert_eq!(lists.len(), 94);
    assert!(lists
        .values()
        .all(|r| r.section.starts_with("3.3.1") || r.section.starts_with("Appendix ")));
}

#[test]
fn the_research_matrix_names_the_same_lists() {
    // fips-source-matrix.csv's `sp800_52r2` column, in short form, for every listed suite.
    let short = |list: &str| match list {
        "ECDSA certificates" => "ecdsa-cert",
        "RSA certificates" => "rsa-cert",
        "DSA certificates" => "dsa-cert",
        "DSA-signed DH certificates" => "dsa-signed-dh-cert",
        "RSA-signed DH certificates" => "rsa-signed-dh-cert",
        "ECDSA-signed ECDH certificates" => "ecdsa-signed-ecdh-cert",
        "RSA-signed ECDH certificates" => "rsa-signed-ecdh-cert",
        "TLS 1.3" => "tls13",
        "pre-shared keys" => "appendix-c-psk",
        "RSA key transport" => "appendix-d-rsa-key-transport",
        other => panic!("unknown list {other:?}"),
    };
    let lists = sp_lists();
    let text = repo_file("cipher-db/sources/fips-source-matrix.csv");
    let mut matrix = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        // "0xC0,0x2F",NAME,LIST,...: the quoted code holds the only comma before the list.
        let (code, rest) = line
            .strip_prefix('"')
            .and_then(|l| l.split_once("\","))
            .unwrap_or_else(|| panic!("{line}"));
        let (a, b) = code.split_once(',').unwrap();
        let code = (u16::from_str_radix(a.trim_start_matches("0x"), 16).unwrap() << 8)
            | u16::from_str_radix(b.trim_start_matches("0x"), 16).unwrap();
        let list = rest.split(',').nth(1).unwrap().to_string();
        matrix.insert(code, list);
    }
    let want: BTreeMap<u16, String> = lists
        .iter()
        .map(|(c, r)| (*c, short(&r.list).to_string()))
        .collect();
    assert_eq!(matrix, want);
}

/// CBC with HMAC-SHA-1 (`_CBC_SHA`, not `_CBC_SHA256/384`).
fn cbc_sha1(s: &Suite) -> bool {
    s.iana.ends_with("_CBC_SHA")
}

fn cbc(s: &Suite) -> bool {
    s.iana.contains("_CBC_")
}

fn ccm8(s: &Suite) -> bool {
    s.iana.contains("CCM_8")
}

/// What `fips-140-2` must say, from the lists: SP 800-52r2 as published. Everything listed for
/// a certificate type is allowed (CBC with HMAC-SHA-1 and the static DH/ECDH suites with a
/// warning), the appendices' PSK and RSA key transport suites warn, the rest fails.
fn fips_140_2(row: &SpRow, s: &Suite) -> &'static str {
    match row.list.as_str() {
        "TLS 1.3" => "approved",
        "ECDSA certificates" | "RSA certificates" | "DSA certificates" if cbc_sha1(s) => {
            "discouraged"
        }
        "ECDSA certificates" | "RSA certificates" | "DSA certificates" => "approved",
        "DSA-signed DH certificates"
        | "RSA-signed DH certificates"
        | "ECDSA-signed ECDH certificates"
        | "RSA-signed ECDH certificates" => "discouraged",
        "pre-shared keys" | "RSA key transport" => "warn",
        other => panic!("no expectation for list {other:?}"),
    }
}

/// What `fips-140-3` must say: the SP's lists minus what the transitions since removed. AES-GCM
/// and AES-CCM are approved; CCM_8 and CBC are allowed with a warning; DSA suites fail (FIPS
/// 186-5), as do the static DH/ECDH suites (a stated policy choice) and RSA key transport
/// (SP 800-131A r2 after 2023); the PSK appendix warns.
fn fips_140_3(row: &SpRow, s: &Suite) -> &'static str {
    match row.list.as_str() {
        "TLS 1.3" if ccm8(s) => "discouraged",
        "TLS 1.3" => "approved",
        "ECDSA certificates" | "RSA certificates" if ccm8(s) || cbc(s) => "discouraged",
        "ECDSA certificates" | "RSA certificates" => "approved",
        "DSA certificates"
        | "DSA-signed DH certificates"
        | "RSA-signed DH certificates"
        | "ECDSA-signed ECDH certificates"
        | "RSA-signed ECDH certificates"
        | "RSA key transport" => "fail",
        "pre-shared keys" => "warn",
        other => panic!("no expectation for list {other:?}"),
    }
}

type Expectation = fn(&SpRow, &Suite) -> &'static str;

/// Every suite in every version it can be negotiated in: listed suites in a listed version get
/// the expectation, everything else (unlisted suites, listed suites in versions the SP does not
/// list them for) fails.
fn check_policy(id: &str, expect: Expectation) {
    let policy = Policy::load(id).unwrap();
    let lists = sp_lists();
    let mut wrong = Vec::new();
    let mut graded = 0;
    for s in db().suites() {
        if s.flags.scsv || s.flags.grease {
            continue;
        }
        let row = lists.get(&s.code);
        for &p in &s.versions {
            let want = match row {
                Some(r) if r.versions.contains(&p) => expect(r, s),
                // The appendices' copies give no versions: graded where the registry allows.
                Some(r) if r.versions.is_empty() => expect(r, s),
                _ => "fail",
            };
            let got = policy.suite_verdict(s, p);
            graded += 1;
            if got.label() != want {
                wrong.push(format!(
                    "0x{:04X} {} in {p}: {} by rule {}, want {want} ({})",
                    s.code,
                    s.iana,
                    got.label(),
                    got.rule().id,
                    row.map_or_else(
                        || "not in SP 800-52r2".to_string(),
                        |r| format!("§{} {}", r.section, r.list)
                    ),
                ));
            }
        }
    }
    assert!(
        graded > 600,
        "{graded} gradings: the database looks truncated"
    );
    assert!(wrong.is_empty(), "{id}:\n{}", wrong.join("\n"));
}

#[test]
fn fips_140_2_grades_every_suite_as_sp_800_52r2_lists_it() {
    check_policy("fips-140-2", fips_140_2);
}

#[test]
fn fips_140_3_grades_every_suite_as_its_reading_of_the_lists_says() {
    check_policy("fips-140-3", fips_140_3);
}

#[test]
fn nothing_outside_the_lists_is_approved_by_either_policy() {
    // The reverse direction, spelled out: an approved or discouraged suite is always listed.
    let lists = sp_lists();
    for id in ["fips-140-2", "fips-140-3"] {
        let policy = Policy::load(id).unwrap();
        for s in db().suites() {
            for &p in &s.versions {
                if policy.suite_verdict(s, p).is_approved() {
                    let row = lists.get(&s.code);
                    assert!(
                        row.is_some_and(|r| r.versions.is_empty() || r.versions.contains(&p)),
                        "{id} approves 0x{:04X} {} in {p}, which SP 800-52r2 does not list",
                        s.code,
                        s.iana
                    );
                }
            }
        }
    }
}

/// The finding ids listed in the table of `docs/report.md` (rows starting with a backticked id).
fn documented_finding_ids() -> Vec<String> {
    let text = repo_file("docs/report.md");
    let table = text
        .split_once("| finding id | raised when |")
        .map(|(_, rest)| rest)
        .expect("docs/report.md has the finding id table");
    table
        .lines()
        .skip(2) // the rest of the header line and the |---| line
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect()
}

#[test]
fn docs_report_lists_exactly_the_finding_ids_of_the_catalog() {
    let documented = documented_finding_ids();
    let catalog: Vec<String> = finding_catalog()
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(
        documented, catalog,
        "docs/report.md's finding table must list the catalog's ids, in its order"
    );
}

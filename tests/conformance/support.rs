//! Helpers for the conformance tests: scan one real server in-process, grade the result under a
//! second policy, and an independent model of what each bundled policy should say about the
//! suites, versions and facts these servers show, written from the standards (SP 800-52r2,
//! SP 800-131A r2, IG D.Q) rather than read from `cipher-db/`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

use fipsprobe::model::{Endpoint, Observation, Report, Severity, Status, Verdict};
use fipsprobe::policy::{self, Policy, Waivers};
use fipsprobe::probe::{ScanConfig, Stop};
use fipsprobe::protocol::Protocol;
use fipsprobe::scan::{self, ScanJob};
use fipsprobe::targets::{self, StaticResolver, TargetSet};

use crate::common::reference::{self, Ems, Truth};

/// The two bundled policies every server is graded under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pol {
    /// `fips-140-2`: SP 800-52r2 as published (140-2-era modules).
    Fips2,
    /// `fips-140-3`: SP 800-52r2 + SP 800-131A r2 transitions + IG D.Q.
    Fips3,
}

impl Pol {
    /// The policy id.
    pub fn id(self) -> &'static str {
        match self {
            Pol::Fips2 => "fips-140-2",
            Pol::Fips3 => "fips-140-3",
        }
    }
}

/// One server scanned: its observation (regraded per policy), its report entry under
/// fips-140-3, and that entry as JSON (facts are checked there, as a user reads them).
pub struct Scanned {
    /// The SNI the scan sent (none: scanned by IP).
    pub sni: Option<String>,
    /// What the probe observed.
    pub obs: Observation,
    /// The report entry under fips-140-3.
    pub e: Endpoint,
    json: serde_json::Value,
    /// What the signature-scheme sweeps cost, from what the reference saw (set by
    /// [`scan_exact`]; 0 for a scan the reference did not check).
    pub scheme_hellos: u32,
    /// What the credential recheck costs (`common::scan::credential_rechecks`; set by
    /// [`scan_exact`], whose reference check makes the report's versions and orders facts).
    pub rechecks: u32,
}

impl std::ops::Deref for Scanned {
    type Target = Endpoint;
    fn deref(&self) -> &Endpoint {
        &self.e
    }
}

impl Scanned {
    /// `extensions.KEY` as JSON (`null` when the fact is unknown).
    pub fn ext(&self, key: &str) -> &serde_json::Value {
        &self.json["extensions"][key]
    }

    /// The leaf certificate as JSON.
    pub fn leaf(&self) -> &serde_json::Value {
        &self.json["certificate"]["chain"][0]
    }
}

/// Scans `addr` with the real engine and checks the result against the one-suite-per-hello
/// reference (`tests/common/reference.rs`): the same accepted versions, the same suites in each
/// (as sets: the order is checked by each test against the server's configuration), and a
/// default chain whose leaf the reference was served. Returns the scan and the reference.
#[track_caller]
pub fn scan_exact(addr: SocketAddr) -> (Scanned, Truth) {
    scan_exact_with(addr, None)
}

/// [`scan_exact`] with `sni` sent by the scan and by the reference.
#[track_caller]
pub fn scan_exact_with(addr: SocketAddr, sni: Option<&str>) -> (Scanned, Truth) {
    let (scanned, truth) = scan_suites_exact_with(addr, sni);
    assert_groups_exact(&scanned, addr, &truth);
    (scanned, truth)
}

/// [`scan_exact`] without the group check (for a server whose groups a separate, ignored test
/// shows fipsprobe gets wrong).
#[track_caller]
pub fn scan_suites_exact(addr: SocketAddr) -> (Scanned, Truth) {
    scan_suites_exact_with(addr, None)
}

/// [`scan_suites_exact`] with `sni`.
#[track_caller]
pub fn scan_suites_exact_with(addr: SocketAddr, sni: Option<&str>) -> (Scanned, Truth) {
    let truth = reference::enumerate_with(
        addr,
        &reference::Options {
            sni: sni.map(str::to_string),
            ..reference::Options::default()
        },
    );
    let mut scanned = scan_again_with(addr, sni);
    assert_reference(&scanned, &truth);
    assert_etm_exact(&scanned, addr, &truth);
    scanned.scheme_hellos = assert_schemes_exact(&scanned, addr, &truth);
    scanned.rechecks = crate::common::scan::credential_rechecks(&scanned.e);
    // The per-stack cost, for the record (`cargo test --test conformance -- --nocapture`).
    eprintln!(
        "handshakes: {} ({} signature-scheme hellos, {} credential rechecks), versions {:?}",
        scanned.handshakes,
        scanned.scheme_hellos,
        scanned.rechecks,
        scanned.protocols.keys().collect::<Vec<_>>()
    );
    (scanned, truth)
}

/// fipsprobe's signature schemes per version (`extensions.signature_schemes_by_version`, and
/// what it signs with given no signature_algorithms) must be what the reference finds one
/// scheme per hello (`reference::tls12_schemes`, `reference::tls13_schemes`). Returns what the
/// scheme sweeps cost by `src/probe/schemes.rs`'s plan: in TLS 1.2 (a signed suite accepted),
/// one hello per scheme found, a final refusal per key type the signed suites need, and the
/// hello without signature_algorithms; in TLS 1.3, one hello per scheme found and the final
/// refusal, less one when no cleartext flight showed the chain (the certificate handshake,
/// made then, was the sweep's first answer).
#[track_caller]
pub fn assert_schemes_exact(s: &Scanned, addr: SocketAddr, truth: &Truth) -> u32 {
    let db = fipsprobe::cipher_db::db();
    let name = |c: u16| {
        db.sig_scheme(c)
            .map_or(format!("{c:#06x}"), |x| x.name.clone())
    };
    let reported = |v: Protocol| {
        let mut got: Vec<String> =
            s.e.extensions
                .signature_schemes_by_version
                .get(&v)
                .cloned()
                .unwrap_or_default();
        got.sort();
        got
    };
    let names = |set: &BTreeSet<u16>| {
        let mut v: Vec<String> = set.iter().map(|&c| name(c)).collect();
        v.sort();
        v
    };
    let companions = |leaves: &[Vec<u8>]| -> Vec<u16> {
        let mut out: Vec<u16> = leaves
            .iter()
            .filter_map(|l| reference::cert_signature_scheme(l))
            .collect();
        out.dedup();
        out
    };
    let mut cost = 0;
    let signed = reference::signed_suites(&truth.accepted(Protocol::Tls12));
    if !signed.is_empty() {
        let want = reference::tls12_schemes(
            addr,
            &signed,
            &companions(&truth.leaves()),
            s.sni.as_deref(),
        );
        assert!(
            want.unknown.is_empty(),
            "reference schemes: {:?}",
            want.unknown
        );
        assert_eq!(
            reported(Protocol::Tls12),
            names(&want.signed),
            "TLS 1.2 signature schemes\n{}",
            summary(s)
        );
        assert_eq!(
            s.e.extensions.scheme_without_signature_algorithms,
            want.without_extension.map(name),
            "scheme without signature_algorithms\n{}",
            summary(s)
        );
        cost += want.signed.len() as u32 + reference::by_key_type(&signed).len() as u32 + 1;
    }
    if !truth.accepted(Protocol::Tls13).is_empty() {
        let cleartext = !truth.leaves().is_empty();
        let (mut want, leaves) =
            reference::tls13_schemes(addr, &companions(&truth.leaves()), s.sni.as_deref());
        if !cleartext && !companions(&leaves).is_empty() {
            want = reference::tls13_schemes(addr, &companions(&leaves), s.sni.as_deref()).0;
        }
        assert!(
            want.unknown.is_empty(),
            "reference TLS 1.3 schemes: {:?}",
            want.unknown
        );
        assert_eq!(
            reported(Protocol::Tls13),
            names(&want.signed),
            "TLS 1.3 signature schemes\n{}",
            summary(s)
        );
        cost += want.signed.len() as u32 + 1 - u32::from(!cleartext);
    }
    cost
}

/// Where TLS 1.0-1.2 accepted a CBC suite, fipsprobe's `encrypt_then_mac` must be what the
/// reference's hello (that suite, encrypt_then_mac offered) saw.
#[track_caller]
pub fn assert_etm_exact(s: &Scanned, addr: SocketAddr, truth: &Truth) {
    let db = fipsprobe::cipher_db::db();
    for version in [Protocol::Tls12, Protocol::Tls11, Protocol::Tls10] {
        let cbc = truth.accepted(version).into_iter().find(|c| {
            db.suite(*c)
                .is_some_and(|s| s.cipher.mode == fipsprobe::cipher_db::CipherMode::Cbc)
        });
        if let Some(suite) = cbc {
            let want = reference::encrypt_then_mac(addr, version, suite, s.sni.as_deref());
            assert!(want.is_some(), "reference: no answer to the EtM hello");
            assert_eq!(
                s.e.extensions.encrypt_then_mac,
                want,
                "encrypt_then_mac (fipsprobe, reference {version} {suite:#06x})\n{}",
                summary(s)
            );
            return;
        }
    }
}

/// The groups the reference finds per version (`reference::groups`): TLS 1.3 with its first
/// accepted suite, and the newest of TLS 1.0-1.2 with an accepted ECDHE suite, an RSA one
/// where there is one (RFC 8422 §5.1 lets the offered groups limit an ECDSA certificate's
/// curve too, and Go and NSS do: offering only x25519 with an ECDHE-ECDSA suite and a P-256
/// certificate is refused, which says nothing about x25519; with an ECDSA suite the
/// certificate's curve is offered after each group).
pub fn reference_groups(
    addr: SocketAddr,
    truth: &Truth,
    sni: Option<&str>,
) -> BTreeMap<Protocol, BTreeSet<u16>> {
    let db = fipsprobe::cipher_db::db();
    let mut out = BTreeMap::new();
    if let Some(&suite) = truth.accepted(Protocol::Tls13).iter().next() {
        let (got, unknown) = reference::groups(addr, Protocol::Tls13, suite, sni, None);
        assert!(
            unknown.is_empty(),
            "reference groups: no answer for {unknown:?}"
        );
        out.insert(Protocol::Tls13, got);
    }
    for version in [Protocol::Tls12, Protocol::Tls11, Protocol::Tls10] {
        let accepted = truth.accepted(version);
        let ecdhe = |rsa: bool| {
            accepted.iter().copied().find(|c| {
                db.suite(*c).is_some_and(|s| {
                    s.is_ecdhe() && (s.auth == fipsprobe::cipher_db::Auth::Rsa) == rsa
                })
            })
        };
        let ecdhe = ecdhe(true).or_else(|| ecdhe(false));
        if let Some(suite) = ecdhe {
            // An ECDSA suite: its certificate's curve goes along (see `reference::groups`).
            let companion = truth.versions.get(&version).and_then(|seen| {
                let leaf = seen.leaves.get(*seen.leaf_of.get(&suite)?)?;
                reference::leaf_curve(leaf)
            });
            let (got, unknown) = reference::groups(addr, version, suite, sni, companion);
            assert!(
                unknown.is_empty(),
                "reference groups: no answer for {unknown:?}"
            );
            out.insert(version, got);
            break;
        }
    }
    out
}

/// Asserts that fipsprobe's groups per version (`extensions.groups`) are the reference's.
#[track_caller]
pub fn assert_groups_exact(s: &Scanned, addr: SocketAddr, truth: &Truth) {
    let db = fipsprobe::cipher_db::db();
    for (version, want) in reference_groups(addr, truth, s.sni.as_deref()) {
        let got: BTreeSet<u16> =
            s.e.extensions
                .groups
                .get(&version)
                .map(|names| {
                    names
                        .iter()
                        .map(|n| db.group_by_name(n).map_or(0, |g| g.code))
                        .collect()
                })
                .unwrap_or_default();
        let name = |c: &u16| db.group(*c).map_or(format!("{c:#06x}"), |g| g.name.clone());
        assert_eq!(
            got.iter().map(name).collect::<Vec<_>>(),
            want.iter().map(name).collect::<Vec<_>>(),
            "{version} groups (fipsprobe, reference)\n{}",
            summary(s)
        );
    }
}

/// [`scan_exact`] without the reference's answer.
#[track_caller]
pub fn scan(addr: SocketAddr) -> Scanned {
    scan_exact(addr).0
}

/// Asserts that fipsprobe saw what the reference saw (see [`scan_exact`]).
#[track_caller]
pub fn assert_reference(e: &Endpoint, truth: &Truth) {
    truth.assert_complete();
    for (version, seen) in &truth.versions {
        assert!(
            seen.violations.is_empty(),
            "{version}: the server broke the protocol: {:?}",
            seen.violations
        );
    }
    let probed: Vec<Protocol> = versions(e)
        .into_iter()
        .filter(|p| *p != Protocol::Ssl2)
        .collect();
    assert_eq!(
        probed,
        truth.accepted_versions(),
        "accepted versions\n{}{}",
        summary(e),
        truth.summary()
    );
    for version in truth.accepted_versions() {
        let got: BTreeSet<u16> = codes(e, version).into_iter().collect();
        let want = truth.accepted(version);
        let missed: Vec<String> = want.difference(&got).map(|c| format!("{c:#06X}")).collect();
        let extra: Vec<String> = got.difference(&want).map(|c| format!("{c:#06X}")).collect();
        assert!(
            missed.is_empty() && extra.is_empty(),
            "{version}: fipsprobe missed {missed:?}, reported beyond the reference {extra:?}\n{}{}",
            summary(e),
            truth.summary()
        );
    }
    let leaves = truth.leaf_fingerprints();
    if let Some(leaf) = e.certificate.as_ref().and_then(|c| c.chain.first()) {
        if !leaves.is_empty() {
            assert!(
                leaves.contains(&leaf.sha256),
                "the reported leaf {} is none the reference was served: {leaves:?}",
                leaf.sha256
            );
        }
    }
}

/// Asserts that the report lists every chain the reference was served (by leaf fingerprint)
/// in `certificate.chains` (each entry a chain, or an object with a `chain`).
#[track_caller]
pub fn assert_chains(s: &Scanned, truth: &Truth) {
    let mut want = truth.leaf_fingerprints();
    want.sort();
    let mut got: Vec<String> = s.json["certificate"]["chains"]
        .as_array()
        .map(|chains| {
            chains
                .iter()
                .filter_map(|c| c[0]["sha256"].as_str().or(c["chain"][0]["sha256"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    got.sort();
    assert_eq!(got, want, "chains: {}", s.json["certificate"]);
}

/// Scans `addr` with the real engine (`scan::run`, default settings, the address named
/// explicitly) and returns its one endpoint graded under `fips-140-3`, unchecked against the
/// reference (for a second scan of a server [`scan`] already checked). The scan must be
/// complete.
pub fn scan_again(addr: SocketAddr) -> Scanned {
    scan_again_with(addr, None)
}

/// [`scan_again`] with `sni`.
pub fn scan_again_with(addr: SocketAddr, sni: Option<&str>) -> Scanned {
    let (report, obs) = scan_report_with(addr, sni);
    let endpoint = report.endpoints.into_iter().next().unwrap();
    assert_eq!(endpoint.status, Status::Tls, "{endpoint:#?}");
    assert!(!endpoint.incomplete, "incomplete scan: {endpoint:#?}");
    assert_eq!(endpoint.error, None, "{endpoint:#?}");
    let json = serde_json::to_value(&endpoint).unwrap();
    Scanned {
        sni: sni.map(str::to_string),
        obs: obs.expect("an observation"),
        e: endpoint,
        json,
        scheme_hellos: 0,
        rechecks: 0,
    }
}

/// The whole report of a scan of `addr` (graded under `fips-140-3`), unchecked, and the
/// observation of its endpoint.
pub fn scan_report(addr: SocketAddr) -> (Report, Option<Observation>) {
    scan_report_with(addr, None)
}

/// [`scan_report`] with `sni` (`--sni`).
pub fn scan_report_with(addr: SocketAddr, sni: Option<&str>) -> (Report, Option<Observation>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut seen = None;
    let report = runtime.block_on(async {
        let target = targets::parse_target(&addr.to_string()).unwrap();
        let job = ScanJob {
            targets: TargetSet::new(vec![target], Vec::new(), vec![addr.port()], None),
            resolver: Arc::new(StaticResolver::default()),
            config: ScanConfig {
                probe: fipsprobe::probe::ProbeConfig {
                    sni: sni.map(str::to_string),
                    ..fipsprobe::probe::ProbeConfig::default()
                },
                ..ScanConfig::default()
            },
            policy: Policy::load(Pol::Fips3.id()).unwrap(),
            waivers: Waivers::none(),
            args: vec!["conformance".into(), addr.to_string()],
        };
        scan::run(job, Stop::default(), |obs, _, _| seen = Some(obs.clone())).await
    });
    assert_eq!(report.endpoints.len(), 1, "{report:#?}");
    (report, seen)
}

/// The same observation graded under `pol` (what `scan::run` does with `--policy`).
pub fn graded(s: &Scanned, pol: Pol) -> Endpoint {
    let today = time::OffsetDateTime::now_utc().date();
    let grade = policy::grade(
        &Policy::load(pol.id()).unwrap(),
        &s.obs,
        &Waivers::none(),
        today,
    );
    Endpoint::new(s.obs.clone(), grade)
}

/// The accepted suite codes of `version`, in reported order (empty when not accepted).
pub fn codes(e: &Endpoint, version: Protocol) -> Vec<u16> {
    e.protocols
        .get(&version)
        .map(|r| {
            r.suites
                .iter()
                .map(|s| u16::try_from(s.code.0).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// The accepted versions, oldest first.
pub fn versions(e: &Endpoint) -> Vec<Protocol> {
    e.protocols.keys().copied().collect()
}

/// Asserts the exact suites (and their order) of `version`, the per-version preferred suite
/// (the first of the list), and `server_order`.
#[track_caller]
pub fn assert_version(e: &Endpoint, version: Protocol, suites: &[u16], server_order: Option<bool>) {
    let result = e
        .protocols
        .get(&version)
        .unwrap_or_else(|| panic!("{version} not accepted: {}", summary(e)));
    assert_eq!(
        hex(&codes(e, version)),
        hex(suites),
        "{version} suites\n{}",
        summary(e)
    );
    assert_eq!(
        result.preferred.as_deref(),
        result.suites.first().map(|s| s.name.as_str()),
        "{version} preferred"
    );
    assert_eq!(
        result.server_order,
        server_order,
        "{version} server_order\n{}",
        summary(e)
    );
}

/// Like [`assert_version`] for a server that follows the client's order: the suites as a set
/// (the order is ours), `server_order == Some(false)`.
#[track_caller]
pub fn assert_version_client_order(e: &Endpoint, version: Protocol, suites: &[u16]) {
    let mut got = codes(e, version);
    got.sort_unstable();
    let mut want = suites.to_vec();
    want.sort_unstable();
    assert_eq!(hex(&got), hex(&want), "{version} suites\n{}", summary(e));
    let result = &e.protocols[&version];
    assert_eq!(
        result.server_order,
        Some(false),
        "{version}\n{}",
        summary(e)
    );
    assert_eq!(
        result.preferred.as_deref(),
        result.suites.first().map(|s| s.name.as_str())
    );
}

/// `0xC02F`-style codes, for readable assertion failures.
pub fn hex(codes: &[u16]) -> Vec<String> {
    codes.iter().map(|c| format!("0x{c:04X}")).collect()
}

/// One line per version and finding, for assertion messages.
pub fn summary(e: &Endpoint) -> String {
    let mut out = format!(
        "{}:{} verdict={:?} preferred={:?} groups={:?} handshakes={} error={:?}\n",
        e.ip, e.port, e.verdict, e.preferred_suite, e.groups, e.handshakes, e.error
    );
    for (p, r) in &e.protocols {
        let list: Vec<String> = r.suites.iter().map(|s| s.code.to_string()).collect();
        out += &format!("  {p}: order={:?} [{}]\n", r.server_order, list.join(", "));
    }
    for f in &e.findings {
        out += &format!(
            "  finding {} {:?} {:?} {:?}\n",
            f.id, f.severity, f.item, f.protocol
        );
    }
    out
}

/// A finding as compared: id, severity, item, protocol.
pub type Found = (String, Severity, Option<String>, Option<Protocol>);

/// A finding the test expects beyond the per-version and per-suite ones.
pub fn extra(
    id: &str,
    severity: Severity,
    item: Option<&str>,
    protocol: Option<Protocol>,
) -> Found {
    (id.to_string(), severity, item.map(str::to_string), protocol)
}

/// What `pol` must say about accepting `version`, by the standards: TLS 1.2 and 1.3 are fine;
/// TLS 1.0/1.1 are tolerated with a warning by SP 800-52r2 (140-2) and refused by every
/// 140-3 stack; SSL is never allowed.
pub fn version_grade(pol: Pol, version: Protocol) -> Option<Severity> {
    match version {
        Protocol::Tls12 | Protocol::Tls13 => None,
        Protocol::Tls10 | Protocol::Tls11 if pol == Pol::Fips2 => Some(Severity::Warn),
        _ => Some(Severity::Fail),
    }
}

/// What `pol` must say about an accepted suite (by IANA name): `None` approved, else the
/// finding id and severity. Written from SP 800-52r2 §3.3.1 and SP 800-131A r2:
/// - ChaCha20, 3DES, Camellia, ARIA, anonymous, NULL, export: never approved;
/// - SP 800-52r2 Appendix C PSK suites: warned, not approved, under both;
/// - static (EC)DH with (EC)DH certificates (AES-CBC/GCM): warned under 140-2, failed under
///   140-3;
/// - static RSA key transport: warned under 140-2 (FIPS 140-2 modules shipped it), failed
///   under 140-3 (disallowed since 2024);
/// - ECDHE/DHE with AES-GCM/CCM: approved; CCM_8 and CBC with SHA-2 approved under 140-2 and
///   approved with a warning under 140-3; CBC with SHA-1 approved with a warning in both;
/// - TLS 1.3: AES-GCM approved, ChaCha20 not.
pub fn suite_grade(pol: Pol, name: &str) -> Option<(&'static str, Severity)> {
    const NOT: Option<(&str, Severity)> = Some(("suite_not_approved", Severity::Fail));
    const DISCOURAGED: Option<(&str, Severity)> = Some(("suite_discouraged", Severity::Warn));
    let never = [
        "_anon_", "NULL", "EXPORT", "CHACHA20", "3DES", "_DES_", "RC4", "CAMELLIA", "ARIA", "SEED",
        "IDEA",
    ];
    if never.iter().any(|bad| name.contains(bad)) {
        return NOT;
    }
    if name.starts_with("TLS_AES_") {
        // TLS 1.3: AES-GCM and AES-CCM approved; CCM_8 left out of RHEL's FIPS policy.
        let ccm8 = name == "TLS_AES_128_CCM_8_SHA256";
        return if ccm8 && pol == Pol::Fips3 {
            DISCOURAGED
        } else {
            None
        };
    }
    if name.starts_with("TLS_RSA_WITH_AES_") {
        return match pol {
            Pol::Fips2 => Some(("suite_not_approved", Severity::Warn)),
            Pol::Fips3 => NOT,
        };
    }
    // Pre-shared keys: SP 800-52r2 Appendix C allows PSK and DHE_PSK with AES (CBC, GCM, CCM,
    // CCM_8) and ECDHE_PSK with AES-CBC where the keys are provisioned as it says, which no
    // scan can see: a warning for review under both, never approved. Other PSK suites fail.
    let appendix_c = (name.starts_with("TLS_PSK_WITH_AES_")
        || name.starts_with("TLS_DHE_PSK_WITH_AES_"))
        || (name.starts_with("TLS_ECDHE_PSK_WITH_AES_") && name.contains("_CBC_"));
    if appendix_c {
        return Some(("suite_not_approved", Severity::Warn));
    }
    // Static (EC)DH with an (EC)DH certificate: SP 800-52r2 §3.3.1.1 lists the AES-CBC and
    // AES-GCM ones, preferring ephemeral keys: allowed with a warning under 140-2; no 140-3
    // stack offers them and they have no forward secrecy, so the 140-3 policy fails them.
    let static_dh = [
        "TLS_ECDH_ECDSA_",
        "TLS_ECDH_RSA_",
        "TLS_DH_DSS_",
        "TLS_DH_RSA_",
    ];
    if static_dh.iter().any(|kx| name.starts_with(kx))
        && (name.contains("_AES_128_") || name.contains("_AES_256_"))
        && !name.contains("_CCM")
    {
        return if pol == Pol::Fips2 { DISCOURAGED } else { NOT };
    }
    let forward_secret = ["TLS_ECDHE_RSA_", "TLS_ECDHE_ECDSA_", "TLS_DHE_RSA_"]
        .iter()
        .any(|kx| name.starts_with(kx));
    if !forward_secret || !name.contains("_AES_") {
        return NOT;
    }
    if name.ends_with("_CCM_8") {
        return if pol == Pol::Fips3 { DISCOURAGED } else { None };
    }
    if name.contains("_GCM_") || name.ends_with("_CCM") {
        return None;
    }
    if name.ends_with("_CBC_SHA256") || name.ends_with("_CBC_SHA384") {
        return if pol == Pol::Fips3 { DISCOURAGED } else { None };
    }
    if name.ends_with("_CBC_SHA") {
        return DISCOURAGED;
    }
    NOT
}

/// Go's crypto/tls implements no Encrypt-then-MAC (golang/go#71221): a Go server configured with
/// a CBC suite fails SP 800-52r2 §3.4.2 under both policies (an extra for those tests).
pub fn go_no_encrypt_then_mac() -> Found {
    extra("encrypt_then_mac_missing", Severity::Fail, None, None)
}

/// What a stack's TLS 1.2 key exchange is signed with when a client asks for a weak hash,
/// by the stack's own defaults (the scheme sweep offers every scheme, one removed at a time):
/// - Go 1.19 `crypto/tls` lists PKCS1WithSHA1 and ECDSAWithSHA1 among the TLS 1.2 schemes it
///   signs with (`supportedSignatureAlgorithms`, common.go); BoringCrypto's fipsonly drops them;
/// - OpenSSL 3.0 signs with SHA-224 at security level 1 and SHA-1 only at level 0 (SHA-1
///   signatures have 80 bits of security, below level 1's floor);
/// - GnuTLS 3.7's NORMAL priority keeps SIGN-RSA-SHA1 for TLS 1.2.
///
/// Both policies fail SHA-1 signatures (SP 800-131A r2) and approve SHA-224 with a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signs {
    /// rsa_pkcs1_sha1.
    RsaSha1,
    /// ecdsa_sha1.
    EcdsaSha1,
    /// rsa_sha224.
    RsaSha224,
    /// ecdsa_sha224.
    EcdsaSha224,
}

impl Signs {
    /// The finding the policy raises for it (the same under both).
    pub fn finding(self) -> Found {
        match self {
            Signs::RsaSha1 => extra(
                "sig_scheme_not_approved",
                Severity::Fail,
                Some("rsa_pkcs1_sha1"),
                None,
            ),
            Signs::EcdsaSha1 => extra(
                "sig_scheme_not_approved",
                Severity::Fail,
                Some("ecdsa_sha1"),
                None,
            ),
            Signs::RsaSha224 => extra(
                "sig_scheme_discouraged",
                Severity::Warn,
                Some("rsa_sha224"),
                None,
            ),
            Signs::EcdsaSha224 => extra(
                "sig_scheme_discouraged",
                Severity::Warn,
                Some("ecdsa_sha224"),
                None,
            ),
        }
    }
}

/// The findings `e` must carry under `pol`: one per non-approved version, one per
/// non-approved or discouraged suite and version (from the model above), the missing OCSP
/// staple, the EMS finding the server's declared behaviour `ems` calls for (`None`: no
/// TLS 1.0-1.2, no EMS question), plus `extras` (TLS 1.3, groups, preferred suite, EtM: what
/// the test knows about the server).
pub fn expected_findings(e: &Endpoint, pol: Pol, ems: Option<Ems>, extras: &[Found]) -> Vec<Found> {
    let mut out = Vec::new();
    for (&version, result) in &e.protocols {
        if let Some(sev) = version_grade(pol, version) {
            out.push(extra(
                "protocol_not_approved",
                sev,
                Some(version.label()),
                Some(version),
            ));
        }
        for s in &result.suites {
            if let Some((id, sev)) = suite_grade(pol, &s.name) {
                out.push(extra(id, sev, Some(&s.name), Some(version)));
            }
        }
    }
    // What the server does with extended master secret, as the test writes it down from the
    // server's configuration and known behaviour (never from fipsprobe's report): a server that
    // never sends it fails IG D.Q under 140-3 and is warned under 140-2 (SP 800-52r2 §3.4.1, a
    // shall the 140-2 profile relaxes); one that completes TLS 1.2 without it when the client
    // leaves it out is not enforcing it, which IG D.Q fails. Upstream OpenSSL 3.0, GnuTLS 3.7
    // and Go 1.21+ support it and never enforce it; Go 1.19 has none.
    match ems {
        Some(Ems::Absent) => out.push(extra(
            "ems_missing",
            if pol == Pol::Fips3 {
                Severity::Fail
            } else {
                Severity::Warn
            },
            None,
            Some(Protocol::Tls12),
        )),
        Some(Ems::Optional) if pol == Pol::Fips3 => out.push(extra(
            "ems_not_enforced",
            Severity::Fail,
            None,
            Some(Protocol::Tls12),
        )),
        _ => {}
    }
    // No server here is given an OCSP response to staple (none is configured with one), so every
    // endpoint asked with status_request (the features hello in TLS 1.0-1.2, the certificate
    // handshake in TLS 1.3) staples nothing: a warning under both policies (SP 800-52r2 §3.4.1,
    // a shall the policies do not enforce as a failure).
    if !e.protocols.is_empty() {
        out.push(extra("ocsp_stapling_missing", Severity::Warn, None, None));
    }
    out.extend(extras.iter().cloned());
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

/// The findings of `e` in the compared shape, sorted.
pub fn found(e: &Endpoint) -> Vec<Found> {
    let mut out: Vec<Found> = e
        .findings
        .iter()
        .map(|f| (f.id.clone(), f.severity, f.item.clone(), f.protocol))
        .collect();
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

/// Grades `scanned` under `pol` and asserts the exact findings (`ems` is the server's EMS
/// behaviour as the test declares it, checked here against the reference's two hellos;
/// `extras` the findings beyond the version, suite and EMS ones), that every suite/version
/// finding's message names its suite and version, the `approved` flag of every suite, and the
/// verdict. Returns the graded endpoint.
#[track_caller]
pub fn assert_grade(
    scanned: &Scanned,
    pol: Pol,
    ems: Option<Ems>,
    extras: &[Found],
    verdict: Verdict,
) -> Endpoint {
    assert_grade_except(scanned, pol, ems, extras, verdict, &[])
}

/// Checks the EMS behaviour a test declares for a server against the reference (two hellos
/// with the newest accepted TLS 1.0-1.2 version and its first accepted suite).
#[track_caller]
pub fn assert_ems(e: &Scanned, declared: Option<Ems>) {
    let legacy = [Protocol::Tls12, Protocol::Tls11, Protocol::Tls10];
    let Some((version, result)) = legacy
        .iter()
        .find_map(|v| e.protocols.get(v).map(|r| (*v, r)))
    else {
        assert_eq!(
            declared, None,
            "no TLS 1.0-1.2, so no EMS behaviour to declare"
        );
        return;
    };
    let suite = result
        .suites
        .first()
        .and_then(|s| s.code.two_byte())
        .unwrap();
    let addr = SocketAddr::new(e.ip, e.port);
    let seen = reference::ems(addr, version, suite, e.sni.as_deref());
    assert_eq!(seen, declared, "EMS behaviour (reference, declared)");
}

/// Like [`assert_grade`], leaving the findings with an id in `skip` out of the comparison
/// (for a fact a separate, ignored test shows fipsprobe gets wrong).
#[track_caller]
pub fn assert_grade_except(
    scanned: &Scanned,
    pol: Pol,
    ems: Option<Ems>,
    extras: &[Found],
    verdict: Verdict,
    skip: &[&str],
) -> Endpoint {
    assert_ems(scanned, ems);
    let e = graded(scanned, pol);
    let keep = |f: &Found| !skip.contains(&f.0.as_str());
    let want: Vec<Found> = expected_findings(&e, pol, ems, extras)
        .into_iter()
        .filter(keep)
        .collect();
    let got: Vec<Found> = found(&e).into_iter().filter(keep).collect();
    if got != want {
        let missing: Vec<_> = want.iter().filter(|f| !got.contains(f)).collect();
        let unexpected: Vec<_> = got.iter().filter(|f| !want.contains(f)).collect();
        panic!(
            "{}: findings differ\nmissing: {missing:#?}\nunexpected: {unexpected:#?}\n{}",
            pol.id(),
            summary(&e)
        );
    }
    for f in &e.findings {
        if let (Some(item), Some(p)) = (&f.item, f.protocol) {
            if f.id.starts_with("suite_") || f.id.starts_with("protocol_") {
                assert!(
                    f.message.contains(item.as_str()) && f.message.contains(p.label()),
                    "{}: message does not name {item} and {p}: {}",
                    pol.id(),
                    f.message
                );
            }
        }
    }
    for (p, r) in &e.protocols {
        for s in &r.suites {
            let approved = !matches!(suite_grade(pol, &s.name), Some(("suite_not_approved", _)));
            assert_eq!(
                s.approved,
                approved,
                "{}: {p} {} approved",
                pol.id(),
                s.name
            );
        }
    }
    assert_eq!(e.verdict, verdict, "{} verdict\n{}", pol.id(), summary(&e));
    e
}

/// Whether Go's `hasAESGCMHardwareSupport` holds on this machine (AES + carry-less multiply on
/// x86-64, AES + PMULL on arm64). Go's suite order depends on it: without it Go always puts
/// ChaCha20 first.
pub fn go_aes_hardware() -> bool {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags: Vec<&str> = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags") || l.starts_with("Features"))
        .and_then(|l| l.split(':').nth(1))
        .map(|f| f.split_whitespace().collect())
        .unwrap_or_default();
    let has = |f: &str| flags.contains(&f);
    match std::env::consts::ARCH {
        "x86_64" => has("aes") && has("pclmulqdq"),
        "aarch64" => has("aes") && has("pmull"),
        _ => false,
    }
}

/// Go's order for a list given in its AES-hardware order: unchanged with AES hardware, else
/// ChaCha20 first (`cipherSuitesPreferenceOrderNoAES`, `defaultCipherSuitesTLS13NoAES`).
pub fn go_order(aes_order: &[u16]) -> Vec<u16> {
    if go_aes_hardware() {
        return aes_order.to_vec();
    }
    let chacha = [0xCCA8, 0xCCA9, 0x1303];
    let (mut first, rest): (Vec<u16>, Vec<u16>) =
        aes_order.iter().partition(|c| chacha.contains(c));
    first.extend(rest);
    first
}

/// The server's preference order in `version` as the reference measures it (pairs of suites,
/// both ways round: `reference::preference`), over the suites the reference saw accepted.
#[track_caller]
pub fn reference_order(addr: SocketAddr, truth: &Truth, version: Protocol) -> Vec<u16> {
    reference_order_with(addr, truth, version, None)
        .unwrap_or_else(|e| panic!("{version}: no server order: {e}"))
}

/// [`reference_order`] with `sni`; `Err` when the server follows the client.
pub fn reference_order_with(
    addr: SocketAddr,
    truth: &Truth,
    version: Protocol,
    sni: Option<&str>,
) -> Result<Vec<u16>, String> {
    let accepted: Vec<u16> = truth.accepted(version).into_iter().collect();
    reference::preference(addr, version, &accepted, sni)
}

/// Asserts the order of `version` against what the reference measures: the server's own
/// order, or (when the pairs came back in the client's order) a client-order result.
#[track_caller]
pub fn assert_version_as_measured(s: &Scanned, addr: SocketAddr, truth: &Truth, version: Protocol) {
    match reference_order_with(addr, truth, version, s.sni.as_deref()) {
        Ok(order) => assert_version(s, version, &order, Some(true)),
        Err(e) if !e.starts_with("client order") => panic!("{version}: {e}"),
        Err(_) => {
            let want: Vec<u16> = truth.accepted(version).into_iter().collect();
            assert_version_client_order(s, version, &want);
        }
    }
}

//! The reference enumeration: what "exact" means in the conformance tests. It offers ONE suite
//! per ClientHello (its own encoder, `hello.rs`, not fipsprobe's), for every suite the cipher-db
//! knows: every TLS 1.3 suite in TLS 1.3, and every other suite at every one of TLS 1.0, 1.1 and
//! 1.2 whatever its RFC range, so a server that breaks the ranges is seen. SSLv3 gets one hello
//! with every suite first (no server here speaks it) and is swept suite by suite only if that is
//! accepted.
//!
//! Each hello ends in exactly one of: accepted (a ServerHello or HelloRetryRequest of the
//! offered version choosing the offered suite), refused (an alert, or a ServerHello of another
//! version), a violation (a suite or version that was not offered), or unknown: a reset, a
//! close, a timeout or garbage is retried with back-off and, if it persists, is `unknown`,
//! never a refusal. Slow by design (about 1,200 hellos per server, four at a time) and bounded:
//! every connect and read has a timeout.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use fipsprobe::protocol::Protocol;

use super::hello::{self, Answer};

/// How long one connect or read may take before the hello counts as failed (then retried).
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Tries per hello: the first and this many retries minus one, with back-off between them.
const TRIES: u32 = 4;

/// Hellos in flight at once.
const WORKERS: usize = 4;

/// What the reference saw in one version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Accepted suites, by code.
    pub accepted: BTreeSet<u16>,
    /// Suites whose hellos never got a protocol answer, with the last failure.
    pub unknown: BTreeMap<u16, String>,
    /// Suites whose answer broke the protocol (a suite or version not offered).
    pub violations: BTreeMap<u16, String>,
    /// How the refusals looked ("alert 40", "version 0x0303"), counted.
    pub refusals: BTreeMap<String, u32>,
    /// The distinct leaf certificates (DER) served with accepted suites, in first-seen order
    /// of suite code (TLS 1.0-1.2 only: TLS 1.3 certificates are encrypted).
    pub leaves: Vec<Vec<u8>>,
    /// Which leaf (index into `leaves`) each accepted suite was served with.
    pub leaf_of: BTreeMap<u16, usize>,
}

/// The reference's answer for one server.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    /// Per version probed (SSLv3 to TLS 1.3).
    pub versions: BTreeMap<Protocol, Seen>,
    /// Hellos sent, retries included.
    pub hellos: usize,
}

impl Truth {
    /// The accepted suites of `version` (empty when none).
    pub fn accepted(&self, version: Protocol) -> BTreeSet<u16> {
        self.versions
            .get(&version)
            .map(|s| s.accepted.clone())
            .unwrap_or_default()
    }

    /// The versions with at least one accepted suite, oldest first.
    pub fn accepted_versions(&self) -> Vec<Protocol> {
        self.versions
            .iter()
            .filter(|(_, s)| !s.accepted.is_empty())
            .map(|(p, _)| *p)
            .collect()
    }

    /// Every distinct leaf certificate seen in TLS 1.0-1.2.
    pub fn leaves(&self) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for seen in self.versions.values() {
            for leaf in &seen.leaves {
                if !out.contains(leaf) {
                    out.push(leaf.clone());
                }
            }
        }
        out
    }

    /// The SHA-256 fingerprints (lowercase hex, as the report's `sha256`) of [`Truth::leaves`].
    pub fn leaf_fingerprints(&self) -> Vec<String> {
        self.leaves()
            .iter()
            .map(|der| {
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der)
                    .as_ref()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .collect()
    }

    /// Panics unless every hello got a protocol answer: a conformance server must be fully
    /// known before fipsprobe is compared with it.
    #[track_caller]
    pub fn assert_complete(&self) {
        let unknown: Vec<String> = self
            .versions
            .iter()
            .flat_map(|(p, s)| {
                s.unknown
                    .iter()
                    .map(move |(c, e)| format!("{p} {c:#06x}: {e}"))
            })
            .collect();
        assert!(unknown.is_empty(), "reference: no answer for {unknown:#?}");
    }

    /// One line per version, for assertion messages.
    pub fn summary(&self) -> String {
        let mut out = format!("reference ({} hellos):\n", self.hellos);
        for (p, s) in &self.versions {
            let list: Vec<String> = s.accepted.iter().map(|c| format!("{c:#06X}")).collect();
            out += &format!(
                "  {p}: {} accepted [{}], refusals {:?}, unknown {}, violations {:?}, {} leaves\n",
                s.accepted.len(),
                list.join(", "),
                s.refusals,
                s.unknown.len(),
                s.violations,
                s.leaves.len()
            );
        }
        out
    }
}

/// What to probe.
#[derive(Clone, Debug)]
pub struct Options {
    /// The SNI to send (none by default: the conformance servers are scanned by IP).
    pub sni: Option<String>,
    /// The versions to sweep.
    pub versions: Vec<Protocol>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            sni: None,
            versions: vec![
                Protocol::Ssl3,
                Protocol::Tls10,
                Protocol::Tls11,
                Protocol::Tls12,
                Protocol::Tls13,
            ],
        }
    }
}

/// The suites the reference offers in `version`, by code: the cipher-db's TLS 1.3 suites in
/// TLS 1.3, every other suite (SCSVs and GREASE left out) below it.
pub fn suites_for(version: Protocol) -> Vec<u16> {
    fipsprobe::cipher_db::db()
        .suites()
        .iter()
        .filter(|s| !s.versions.is_empty())
        .filter(|s| s.is_tls13() == (version == Protocol::Tls13))
        .map(|s| s.code)
        .collect()
}

/// Runs the reference against `addr` with the default options.
pub fn enumerate(addr: SocketAddr) -> Truth {
    enumerate_with(addr, &Options::default())
}

/// Runs the reference against `addr`.
pub fn enumerate_with(addr: SocketAddr, opts: &Options) -> Truth {
    let mut truth = Truth::default();
    for &version in &opts.versions {
        let suites = suites_for(version);
        if version == Protocol::Ssl3 {
            // One hello with everything: only a server that answers it is swept suite by suite.
            let (outcome, tries) = offer(addr, version, &suites, opts, 0);
            truth.hellos += tries;
            let mut seen = Seen::default();
            match outcome {
                Outcome::Accepted { .. } => {
                    let (swept, n) = sweep(addr, version, &suites, opts);
                    truth.hellos += n;
                    seen = swept;
                }
                other => record(&mut seen, 0, other),
            }
            truth.versions.insert(version, seen);
            continue;
        }
        let (seen, n) = sweep(addr, version, &suites, opts);
        truth.hellos += n;
        truth.versions.insert(version, seen);
    }
    truth
}

/// The classified result of one suite's hellos.
#[derive(Clone, Debug)]
enum Outcome {
    Accepted { leaf: Option<Vec<u8>> },
    Refused(String),
    Violation(String),
    Unknown(String),
}

fn record(seen: &mut Seen, code: u16, outcome: Outcome) {
    match outcome {
        Outcome::Accepted { leaf } => {
            seen.accepted.insert(code);
            if let Some(leaf) = leaf {
                let index = match seen.leaves.iter().position(|l| *l == leaf) {
                    Some(i) => i,
                    None => {
                        seen.leaves.push(leaf);
                        seen.leaves.len() - 1
                    }
                };
                seen.leaf_of.insert(code, index);
            }
        }
        Outcome::Refused(how) => *seen.refusals.entry(how).or_default() += 1,
        Outcome::Violation(what) => {
            seen.violations.insert(code, what);
        }
        Outcome::Unknown(why) => {
            seen.unknown.insert(code, why);
        }
    }
}

/// One hello per suite of `suites`, `WORKERS` at a time; returns what was seen and the hellos
/// sent.
fn sweep(addr: SocketAddr, version: Protocol, suites: &[u16], opts: &Options) -> (Seen, usize) {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let hellos = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&code) = suites.get(i) else { break };
                let (outcome, tries) = offer(addr, version, &[code], opts, i as u64);
                hellos.fetch_add(tries, Ordering::SeqCst);
                results.lock().unwrap().push((code, outcome));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(code, _)| *code);
    let mut seen = Seen::default();
    for (code, outcome) in results {
        record(&mut seen, code, outcome);
    }
    (seen, hellos.into_inner())
}

/// Offers `suites` at `version` until the server answers (at most `TRIES` hellos); returns the
/// outcome and the hellos sent.
fn offer(
    addr: SocketAddr,
    version: Protocol,
    suites: &[u16],
    opts: &Options,
    seed: u64,
) -> (Outcome, usize) {
    let wire = version.wire();
    let mut last = String::new();
    for attempt in 0..TRIES {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(50 << attempt));
        }
        let record = hello::client_hello(
            wire,
            suites,
            opts.sni.as_deref(),
            seed.wrapping_mul(31).wrapping_add(u64::from(attempt)),
        );
        let outcome = match hello::exchange(addr, &record, IO_TIMEOUT) {
            Answer::Hello {
                version: got,
                suite,
                retry,
                leaf,
                ..
            } => {
                if got == wire && suites.contains(&suite) {
                    Outcome::Accepted { leaf }
                } else if got > wire || (got == hello::TLS13) != (wire == hello::TLS13) {
                    Outcome::Violation(format!("version {got:#06x}"))
                } else if got != wire {
                    Outcome::Refused(format!("version {got:#06x}"))
                } else {
                    let what = if retry { "retry" } else { "hello" };
                    Outcome::Violation(format!("{what} chose {suite:#06x}"))
                }
            }
            Answer::Alert(code) => Outcome::Refused(format!("alert {code}")),
            Answer::Failed(why) => {
                last = why;
                continue;
            }
        };
        return (outcome, attempt as usize + 1);
    }
    (Outcome::Unknown(last), TRIES as usize)
}

/// The groups the server accepts in `version` with `suite` (an accepted ECDHE suite for
/// TLS 1.0-1.2, any accepted suite for TLS 1.3), one group per hello, over every group the
/// cipher-db knows (GREASE left out): in TLS 1.3 the HelloRetryRequest (or ServerHello) names
/// the group, in TLS 1.0-1.2 the ServerKeyExchange does. A group counts only when the server
/// named exactly it; unknown answers are returned apart, never as refusals.
///
/// `companion` is offered after each group (never counted itself): RFC 8422 §5.1 lets the
/// offered curves also limit an ECDSA certificate's curve, so an ECDHE-ECDSA hello must list
/// the certificate's curve for the server to use its key at all.
pub fn groups(
    addr: SocketAddr,
    version: Protocol,
    suite: u16,
    sni: Option<&str>,
    companion: Option<u16>,
) -> (BTreeSet<u16>, BTreeMap<u16, String>) {
    let candidates: Vec<u16> = fipsprobe::cipher_db::db()
        .groups()
        .iter()
        .filter(|g| g.code & 0x0F0F != 0x0A0A)
        .map(|g| g.code)
        .collect();
    let mut accepted = BTreeSet::new();
    let mut unknown = BTreeMap::new();
    for (i, &group) in candidates.iter().enumerate() {
        let mut last = String::new();
        let mut answered = false;
        for attempt in 0..TRIES {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(50 << attempt));
            }
            let offered: Vec<u16> = std::iter::once(group)
                .chain(companion.filter(|c| *c != group))
                .collect();
            let record = hello::client_hello_with(&hello::Spec {
                version: version.wire(),
                suites: &[suite],
                sni,
                seed: i as u64,
                only_groups: Some(&offered),
                ..hello::Spec::default()
            });
            match hello::exchange(addr, &record, IO_TIMEOUT) {
                Answer::Hello { group: named, .. } => {
                    if named == Some(group) {
                        accepted.insert(group);
                    }
                    answered = true;
                }
                Answer::Alert(_) => answered = true,
                Answer::Failed(why) => last = why,
            }
            if answered {
                break;
            }
        }
        if !answered {
            unknown.insert(group, last);
        }
    }
    (accepted, unknown)
}

/// The TLS 1.2 signed suites among `accepted`: ephemeral (EC)DH authenticated by an RSA,
/// ECDSA or DSA certificate, whose ServerKeyExchange names the scheme it is signed with.
pub fn signed_suites(accepted: &BTreeSet<u16>) -> Vec<u16> {
    use fipsprobe::cipher_db::{Auth, Kx};
    accepted
        .iter()
        .copied()
        .filter(|&c| {
            fipsprobe::cipher_db::db().suite(c).is_some_and(|s| {
                matches!(s.kx, Kx::Ecdhe | Kx::Dhe)
                    && matches!(s.auth, Auth::Rsa | Auth::Ecdsa | Auth::Dss)
            })
        })
        .collect()
}

/// What a TLS 1.2 server signs its key exchange with.
#[derive(Clone, Debug, Default)]
pub struct Schemes {
    /// The schemes it signed with, one offered per hello (every IANA TLS 1.2 scheme).
    pub signed: BTreeSet<u16>,
    /// What it signed with given no signature_algorithms (RFC 5246 §7.4.1.4.1: SHA-1), when it
    /// completed that hello.
    pub without_extension: Option<u16>,
    /// Schemes whose hellos got no protocol answer, with the last failure.
    pub unknown: BTreeMap<u16, String>,
}

/// The kinds of certificate (RSA, ECDSA, DSA) `suites` need, each with its suites.
pub fn by_key_type(suites: &[u16]) -> Vec<Vec<u16>> {
    use fipsprobe::cipher_db::Auth;
    [Auth::Rsa, Auth::Ecdsa, Auth::Dss]
        .into_iter()
        .map(|auth| {
            suites
                .iter()
                .copied()
                .filter(|c| {
                    fipsprobe::cipher_db::db()
                        .suite(*c)
                        .is_some_and(|s| s.auth == auth)
                })
                .collect::<Vec<u16>>()
        })
        .filter(|list| !list.is_empty())
        .collect()
}

/// The schemes a TLS 1.2 server signs with over `suites` (its accepted signed suites): one
/// scheme per hello, and the suites of one key type per hello (a server with two
/// certificates may choose one by suite first), accepted only when the ServerKeyExchange is
/// signed with exactly that scheme. A ServerHello whose flight then ends in an alert (Go's
/// way) is a refusal.
///
/// Each hello also offers `companions`, the schemes the server's certificates are themselves
/// signed with: RFC 5246 §7.4.2 and RFC 8446 §4.2.3 make the client's list govern the chain's
/// signatures too, and strict stacks (Erlang/OTP) refuse a hello whose list leaves out their
/// certificate's own signature, though they sign their key exchange with any offered scheme.
pub fn tls12_schemes(
    addr: SocketAddr,
    suites: &[u16],
    companions: &[u16],
    sni: Option<&str>,
) -> Schemes {
    let mut out = Schemes::default();
    if suites.is_empty() {
        return out;
    }
    let candidates: Vec<u16> = fipsprobe::cipher_db::db()
        .sig_schemes()
        .iter()
        .filter(|s| !s.name.starts_with("Reserved"))
        .map(|s| s.code)
        .collect();
    let ask = |suites: &[u16], offer: &[u16], seed: u64| -> Result<Option<u16>, String> {
        let mut last = String::new();
        for attempt in 0..TRIES {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(50 << attempt));
            }
            let record = hello::client_hello_with(&hello::Spec {
                version: Protocol::Tls12.wire(),
                suites,
                sni,
                seed: seed + u64::from(attempt),
                sig_schemes: Some(offer),
                ..hello::Spec::default()
            });
            match hello::exchange(addr, &record, IO_TIMEOUT) {
                Answer::Hello { scheme, .. } => return Ok(scheme),
                Answer::Alert(_) => return Ok(None),
                Answer::Failed(why) => last = why,
            }
        }
        Err(last)
    };
    for (k, own) in by_key_type(suites).iter().enumerate() {
        for (i, &scheme) in candidates.iter().enumerate() {
            let seed = 1000 + 100 * k as u64 + i as u64;
            // Alone first; only a refusal is asked again with the companions (a server that
            // prefers them would sign with them instead, and hide the scheme asked about).
            let mut answer = ask(own, &[scheme], seed);
            if matches!(answer, Ok(None)) && companions.iter().any(|c| *c != scheme) {
                let offer: Vec<u16> = std::iter::once(scheme)
                    .chain(companions.iter().copied().filter(|c| *c != scheme))
                    .collect();
                answer = ask(own, &offer, seed + 50);
            }
            match answer {
                Ok(Some(s)) if s == scheme => {
                    out.signed.insert(scheme);
                }
                Ok(_) => {}
                Err(why) => {
                    out.unknown.insert(scheme, why);
                }
            }
        }
    }
    if let Ok(s) = ask(suites, &[], 999) {
        out.without_extension = s;
    }
    out
}

/// The signature scheme a certificate (DER) is signed with, for the common algorithms.
pub fn cert_signature_scheme(der: &[u8]) -> Option<u16> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(
        match cert.signature_algorithm.algorithm.to_id_string().as_str() {
            "1.2.840.113549.1.1.5" => 0x0201,
            "1.2.840.113549.1.1.14" => 0x0301,
            "1.2.840.113549.1.1.11" => 0x0401,
            "1.2.840.113549.1.1.12" => 0x0501,
            "1.2.840.113549.1.1.13" => 0x0601,
            "1.2.840.113549.1.1.10" => 0x0804,
            "1.2.840.10045.4.1" => 0x0203,
            "1.2.840.10045.4.3.2" => 0x0403,
            "1.2.840.10045.4.3.3" => 0x0503,
            "1.2.840.10045.4.3.4" => 0x0603,
            "1.3.101.112" => 0x0807,
            _ => return None,
        },
    )
}

/// The schemes a TLS 1.3 server signs its CertificateVerify with: one scheme per hello (and
/// `companions`, as in [`tls12_schemes`]), each read up to the CertificateVerify by
/// `fipsprobe::probe::tls13_chain` (a decoder only: the enumeration is this function's), and
/// the distinct leaves served. Accepted only when signed with exactly that scheme.
pub fn tls13_schemes(
    addr: SocketAddr,
    companions: &[u16],
    sni: Option<&str>,
) -> (Schemes, Vec<Vec<u8>>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let candidates: Vec<u16> = fipsprobe::cipher_db::db()
        .sig_schemes()
        .iter()
        .filter(|s| !s.name.starts_with("Reserved"))
        .map(|s| s.code)
        .collect();
    let mut out = Schemes::default();
    let mut leaves: Vec<Vec<u8>> = Vec::new();
    for &scheme in &candidates {
        let alone = [scheme];
        let with: Vec<u16> = std::iter::once(scheme)
            .chain(companions.iter().copied().filter(|c| *c != scheme))
            .collect();
        let mut offer: &[u16] = &alone;
        let mut last = String::new();
        let mut answered = false;
        for attempt in 0..TRIES + 1 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(50 << attempt));
            }
            let got = runtime.block_on(async {
                let stream = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(|e| fipsprobe::model::ConnError::Handshake(e.to_string()))?;
                let hello = fipsprobe::probe::tls13_chain::Hello {
                    sni,
                    schemes: offer,
                    status_request: false,
                    cert_schemes: &[],
                };
                fipsprobe::probe::tls13_chain::read_flight(stream, hello, IO_TIMEOUT).await
            });
            match got {
                Ok(facts) if facts.scheme == Some(scheme) => {
                    out.signed.insert(scheme);
                    if let Some(leaf) = facts.chain.first() {
                        if !leaves.contains(leaf) {
                            leaves.push(leaf.clone());
                        }
                    }
                    answered = true;
                }
                // Refused alone: asked once more with the companions.
                Ok(_) | Err(fipsprobe::model::ConnError::Alert(_))
                    if offer.len() == 1 && with.len() > 1 =>
                {
                    offer = &with;
                }
                Ok(_) | Err(fipsprobe::model::ConnError::Alert(_)) => answered = true,
                Err(e) => last = e.to_string(),
            }
            if answered {
                break;
            }
        }
        if !answered {
            out.unknown.insert(scheme, last);
        }
    }
    (out, leaves)
}

/// How a server handles extended master secret (RFC 7627) in TLS 1.0-1.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ems {
    /// Never echoes it: the session is not bound to the handshake.
    Absent,
    /// Echoes it when offered, and completes a hello without it (not enforced).
    Optional,
    /// Echoes it and refuses a hello without it.
    Required,
}

/// The server's EMS behaviour, from two hellos offering `suite` at `version`: one with
/// extended_master_secret (echoed?), one without (accepted?). `None` when either got no
/// protocol answer.
pub fn ems(addr: SocketAddr, version: Protocol, suite: u16, sni: Option<&str>) -> Option<Ems> {
    let ask = |offer: bool| -> Option<Answer> {
        for attempt in 0..TRIES {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(50 << attempt));
            }
            let record = hello::client_hello_with(&hello::Spec {
                version: version.wire(),
                suites: &[suite],
                seed: u64::from(attempt) + 7,
                sni,
                ems: offer,
                ..hello::Spec::default()
            });
            match hello::exchange(addr, &record, IO_TIMEOUT) {
                Answer::Failed(_) => continue,
                other => return Some(other),
            }
        }
        None
    };
    let echoed = match ask(true)? {
        Answer::Hello { extensions, .. } => extensions.contains(&0x0017),
        _ => return None,
    };
    let without = matches!(ask(false)?, Answer::Hello { .. });
    Some(match (echoed, without) {
        (false, _) => Ems::Absent,
        (true, true) => Ems::Optional,
        (true, false) => Ems::Required,
    })
}

/// The server's own preference among `suites` (all accepted in `version`), found from pairs:
/// each comparison offers `[a, b]` and `[b, a]`; a server that picks the same suite both times
/// prefers it, one that picks the first each time follows the client (`Err`). Binary insertion,
/// so about 2·n·log2(n) hellos. For servers whose choice depends on more than the pair (Go's
/// AES-GCM-first heuristic), the configuration is the better oracle.
pub fn preference(
    addr: SocketAddr,
    version: Protocol,
    suites: &[u16],
    sni: Option<&str>,
) -> Result<Vec<u16>, String> {
    let pick = |a: u16, b: u16, seed: u64| -> Result<u16, String> {
        for attempt in 0..TRIES {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(50 << attempt));
            }
            let record =
                hello::client_hello(version.wire(), &[a, b], sni, seed + u64::from(attempt));
            match hello::exchange(addr, &record, IO_TIMEOUT) {
                Answer::Hello { suite, .. } if suite == a || suite == b => return Ok(suite),
                Answer::Failed(_) => continue,
                other => return Err(format!("{a:#06x}/{b:#06x}: {other:?}")),
            }
        }
        Err(format!("{a:#06x}/{b:#06x}: no answer"))
    };
    // Whether the server prefers `a` to `b`.
    let prefers = |a: u16, b: u16| -> Result<bool, String> {
        let first = pick(a, b, u64::from(a) << 16 | u64::from(b))?;
        let second = pick(b, a, u64::from(b) << 16 | u64::from(a))?;
        if first != second {
            return Err(format!(
                "client order: [{a:#06x}, {b:#06x}] and reversed each got the first"
            ));
        }
        Ok(first == a)
    };
    let mut order: Vec<u16> = Vec::new();
    for &suite in suites {
        let (mut lo, mut hi) = (0, order.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if prefers(suite, order[mid])? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        order.insert(lo, suite);
    }
    Ok(order)
}

/// The TLS group code of an EC leaf certificate's curve (P-256/384/521), from its DER.
pub fn leaf_curve(der: &[u8]) -> Option<u16> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let params = cert.public_key().algorithm.parameters.as_ref()?;
    let oid = params.as_oid().ok()?.to_id_string();
    match oid.as_str() {
        "1.2.840.10045.3.1.7" => Some(0x0017),
        "1.3.132.0.34" => Some(0x0018),
        "1.3.132.0.35" => Some(0x0019),
        _ => None,
    }
}

/// Whether the server negotiates Encrypt-then-MAC (RFC 7366) with the CBC suite `suite` in
/// `version`: one hello offering it (and nothing else optional); `None` without an answer.
pub fn encrypt_then_mac(
    addr: SocketAddr,
    version: Protocol,
    suite: u16,
    sni: Option<&str>,
) -> Option<bool> {
    for attempt in 0..TRIES {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(50 << attempt));
        }
        let record = hello::client_hello_with(&hello::Spec {
            version: version.wire(),
            suites: &[suite],
            seed: u64::from(attempt) + 11,
            sni,
            empty_exts: &[0x0016],
            ..hello::Spec::default()
        });
        match hello::exchange(addr, &record, IO_TIMEOUT) {
            Answer::Hello { extensions, .. } => return Some(extensions.contains(&0x0016)),
            Answer::Alert(_) => return None,
            Answer::Failed(_) => continue,
        }
    }
    None
}

//! Every finding id, from a real scan: for each id in `policy::finding_catalog()` a loopback
//! server configured to trigger it is scanned in-process (or through the binary, for waivers),
//! graded under the policy where the finding applies, and the finding must appear with its
//! severity and item. `SCENARIOS` maps each id to its test; `every_finding_id_has_a_scenario`
//! fails when the catalog gains an id without one, so a new id cannot ship untested.
//!
//! Servers: the rustls demo servers (`fipsprobe::demo`), OpenSSL `s_server` (presets from
//! `tests/common`, or custom arguments and certificates made with the `openssl` CLI here),
//! GnuTLS `gnutls-serv`, and one scripted server for what no TLS library on this machine can
//! still be made to do (TLS compression: Debian's OpenSSL 3 and GnuTLS 3.7 have none).

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use fipsprobe::demo::{self, group, suite, ClientAuth, KeyKind, ServerSpec};
use fipsprobe::model::{Endpoint, Observation, Severity, Status};
use fipsprobe::policy::{finding_catalog, grade, Policy, Waivers};
use fipsprobe::protocol::Protocol;
use serde_json::Value;

use common::misbehaving::Behaviour;
use common::{
    GnutlsServer, GoCrypto, GoTlsServer, JavaTlsServer, MisbehavingServer, OpensslServer,
};

/// A finding id and the test that triggers it with a real scan, plus the server it uses.
const SCENARIOS: &[(&str, fn(), &str)] = &[
    ("protocol_not_approved", protocol_not_approved, "OpenSSL TLS 1.0 only, fips-140-3"),
    ("protocol_discouraged", protocol_discouraged, "rustls TLS 1.2; no bundled policy discourages a protocol, so fips-140-3 with TLS 1.2 marked discouraged"),
    ("suite_not_approved", suite_not_approved, "OpenSSL TLS 1.2, static RSA AES128-GCM only, fips-140-3"),
    ("suite_discouraged", suite_discouraged, "OpenSSL TLS 1.2, ECDHE-RSA-AES128-SHA256 (CBC) only, fips-140-3"),
    ("preferred_suite_not_approved", preferred_suite_not_approved, "OpenSSL TLS 1.2, static RSA preferred, fips-140-3"),
    ("tls13_missing", tls13_missing, "rustls TLS 1.2 only, fips-140-3"),
    ("tls12_missing", tls12_missing, "rustls TLS 1.3 only, fips-140-3"),
    ("ems_missing", ems_missing, "OpenSSL TLS 1.2 with -ExtendedMasterSecret, fips-140-3"),
    ("ems_not_enforced", ems_not_enforced, "OpenSSL TLS 1.2 default (EMS offered, not required), fips-140-3"),
    ("renegotiation_insecure", renegotiation_insecure, "GnuTLS %DISABLE_SAFE_RENEGOTIATION, fips-140-3"),
    ("compression_enabled", compression_enabled, "scripted ServerHello choosing DEFLATE (no TLS library here has compression), fips-140-3"),
    ("encrypt_then_mac_missing", encrypt_then_mac_missing, "Go crypto/tls (no EtM) TLS 1.2 with ECDHE-RSA AES-128-CBC-SHA256, fips-140-3; OpenSSL with the same suite agrees EtM: no finding"),
    ("ocsp_stapling_missing", ocsp_stapling_missing, "OpenSSL TLS 1.2 without -status_file, fips-140-3; the same server stapling a real OCSP response: no finding"),
    ("fallback_scsv_missing", fallback_scsv_missing, "OpenJDK JSSE TLS 1.0-1.2 (no TLS_FALLBACK_SCSV support), fips-140-2; OpenSSL TLS 1.0-1.2 refuses the fallback: no finding"),
    ("dh_key_too_small", dh_key_too_small, "OpenSSL DHE with a 1024-bit group, fips-140-3"),
    ("group_not_approved", group_not_approved, "rustls x25519 only, fips-140-3"),
    ("group_discouraged", group_discouraged, "rustls TLS 1.3 X25519MLKEM768 only, fips-140-3"),
    ("sig_scheme_not_approved", sig_scheme_not_approved, "OpenSSL TLS 1.2 -sigalgs RSA+SHA1, fips-140-3"),
    ("sig_scheme_discouraged", sig_scheme_discouraged, "OpenSSL TLS 1.2 -sigalgs RSA+SHA224, fips-140-3"),
    ("cert_key_too_small", cert_key_too_small, "OpenSSL RSA-1024 certificate, fips-140-3"),
    ("cert_key_type_not_approved", cert_key_type_not_approved, "OpenSSL DSA certificate, DHE-DSS, fips-140-3"),
    ("cert_curve_not_approved", cert_curve_not_approved, "OpenSSL brainpoolP256r1 certificate, fips-140-3"),
    ("cert_curve_discouraged", cert_curve_discouraged, "OpenSSL P-521 certificate, fips-140-2"),
    ("cert_signature_weak", cert_signature_weak, "OpenSSL SHA-1-signed certificate, fips-140-3"),
    ("cert_expired", cert_expired, "OpenSSL expired certificate, fips-140-3"),
    ("cert_expiring", cert_expiring, "OpenSSL certificate valid 10 more days, fips-140-3"),
    ("waiver_expired", waiver_expired, "the binary with --waivers (expired waiver for ems_missing) against OpenSSL without EMS"),
];

#[test]
fn every_finding_id_has_a_scenario() {
    let catalog: Vec<&str> = finding_catalog().iter().map(|(id, _)| *id).collect();
    let missing: Vec<&&str> = catalog
        .iter()
        .filter(|id| !SCENARIOS.iter().any(|(s, _, _)| s == *id))
        .collect();
    assert!(
        missing.is_empty(),
        "finding ids without a real-scan scenario in tests/findings.rs: {missing:?}"
    );
    let stale: Vec<&str> = SCENARIOS
        .iter()
        .map(|(id, _, _)| *id)
        .filter(|id| !catalog.contains(id))
        .collect();
    assert!(stale.is_empty(), "scenarios for unknown ids: {stale:?}");
    let mut ids: Vec<&str> = SCENARIOS.iter().map(|(id, _, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), SCENARIOS.len(), "an id has two scenarios");
}

// ------------------------------------------------------------------------------- helpers

/// The subject of the certificates `openssl_cert` makes, as the report writes it.
const OPENSSL_CERT_SUBJECT: &str = "CN=localhost, O=findings";

/// The subject of the test helpers' preset certificates (`tests/common/certs.rs`, rcgen).
const PRESET_SUBJECT: &str = "CN=localhost, O=fipsprobe test";

/// One endpoint probed: the observation (regraded per policy) and its report entry under
/// fips-140-3 (for the facts).
struct Scanned {
    obs: Observation,
    e: Endpoint,
}

impl std::ops::Deref for Scanned {
    type Target = Endpoint;
    fn deref(&self) -> &Endpoint {
        &self.e
    }
}

/// Probes `addr` as the target `127.0.0.1:port`; it must be a TLS endpoint.
async fn scan(addr: SocketAddr) -> Scanned {
    let obs = common::scan::observe(addr).await;
    let e = common::scan::graded(&obs, "fips-140-3");
    assert_eq!(e.status, Status::Tls, "{addr}: {:?}", e.error);
    Scanned { obs, e }
}

fn runtime() -> tokio::runtime::Runtime {
    common::scan::runtime()
}

fn scan_blocking(addr: SocketAddr) -> Scanned {
    runtime().block_on(scan(addr))
}

/// Starts a rustls demo server for `spec` and scans it.
fn scan_demo(spec: ServerSpec) -> Scanned {
    runtime().block_on(async {
        let server = demo::spawn(&spec, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let e = scan(server.addr).await;
        server.shutdown().await;
        e
    })
}

/// A rustls spec: RSA-2048, P-256, ECDHE-RSA AES-GCM / TLS 1.3 AES-GCM, EMS required.
fn rustls_spec(name: &str, versions: &[Protocol], groups: &[u16]) -> ServerSpec {
    ServerSpec {
        name: name.to_string(),
        suites: vec![
            suite::TLS13_AES_128_GCM_SHA256,
            suite::ECDHE_RSA_AES_128_GCM_SHA256,
        ]
        .into_iter()
        .filter(|s| {
            let tls13 = s >> 8 == 0x13;
            versions.contains(&if tls13 {
                Protocol::Tls13
            } else {
                Protocol::Tls12
            })
        })
        .collect(),
        versions: versions.to_vec(),
        groups: groups.to_vec(),
        key: KeyKind::Rsa2048,
        server_order: true,
        client_auth: ClientAuth::None,
        require_ems: true,
    }
}

fn bundled(id: &str) -> Policy {
    Policy::load(id).unwrap()
}

/// Grades `s` under `policy` and asserts a finding `id` with `severity` and `item`.
fn expect(s: &Scanned, policy: &Policy, id: &str, severity: Severity, item: Option<&str>) {
    let today = time::OffsetDateTime::now_utc().date();
    let graded = grade(policy, &s.obs, &Waivers::none(), today);
    let all: Vec<(&str, Severity, Option<&str>)> = graded
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity, f.item.as_deref()))
        .collect();
    assert!(
        all.contains(&(id, severity, item)),
        "want ({id}, {severity:?}, {item:?}) under {}; findings: {all:#?}\nextensions: {}",
        policy.id(),
        serde_json::to_string(&s.e.extensions).unwrap()
    );
}

/// Grades `s` under `policy` and asserts that no finding `id` is raised: the control that shows
/// a scenario's finding comes from the server's behaviour, not from the check itself.
fn expect_absent(s: &Scanned, policy: &Policy, id: &str) {
    let today = time::OffsetDateTime::now_utc().date();
    let graded = grade(policy, &s.obs, &Waivers::none(), today);
    let ids: Vec<&str> = graded.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(
        !ids.contains(&id),
        "{id} raised under {}: {ids:?}\nextensions: {}",
        policy.id(),
        serde_json::to_string(&s.e.extensions).unwrap()
    );
}

/// A self-signed certificate made by `openssl req` with `newkey` (`rsa:2048`, `ec`, a DSA
/// parameter file...) and extra `args`, valid `days` days: (cert path, key path).
fn openssl_cert(dir: &Path, newkey: &str, args: &[&str], days: u32) -> (PathBuf, PathBuf) {
    let cert = dir.join("server.crt");
    let key = dir.join("server.key");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-nodes",
            "-subj",
            "/CN=localhost/O=findings",
        ])
        .args(["-days", &days.to_string(), "-newkey", newkey])
        .args(args)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

/// `s_server ARGS -cert CERT -key KEY`: the later `-cert`/`-key` replace the preset's.
fn openssl_with_cert(args: &[&str], cert: &Path, key: &Path) -> Option<OpensslServer> {
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "-cert",
        cert.to_str().unwrap(),
        "-key",
        key.to_str().unwrap(),
    ]);
    match OpensslServer::start(&all, KeyKind::Rsa2048) {
        Ok(s) => Some(s),
        Err(err) => {
            common::skip_or_fail(err);
            None
        }
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("fipsprobe-findings-")
        .tempdir()
        .unwrap()
}

// ----------------------------------------------------------------------------- protocols

#[test]
fn protocol_not_approved() {
    let server = require_server!(OpensslServer::start(
        &["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"],
        KeyKind::Rsa2048
    ));
    let e = scan_blocking(server.addr());
    expect(
        &e,
        &bundled("fips-140-3"),
        "protocol_not_approved",
        Severity::Fail,
        Some("TLSv1.0"),
    );
}

#[test]
fn protocol_discouraged() {
    let text = Policy::bundled_text("fips-140-3").unwrap();
    let approved = "versions = [\"TLSv1.2\", \"TLSv1.3\"]\noutcome = \"approved\"";
    assert!(text.contains(approved), "the bundled policy changed");
    let discouraging = text.replace(
        approved,
        "versions = [\"TLSv1.2\", \"TLSv1.3\"]\noutcome = \"discouraged\"",
    );
    let policy =
        Policy::from_text("tls12-discouraged", "tls12-discouraged.toml", &discouraging).unwrap();
    let e = scan_demo(rustls_spec(
        "tls12",
        &[Protocol::Tls12],
        &[group::SECP256R1],
    ));
    expect(
        &e,
        &policy,
        "protocol_discouraged",
        Severity::Warn,
        Some("TLSv1.2"),
    );
}

// -------------------------------------------------------------------------------- suites

#[test]
fn suite_not_approved() {
    let server = require_server!(OpensslServer::start(
        &["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
        KeyKind::Rsa2048
    ));
    let e = scan_blocking(server.addr());
    expect(
        &e,
        &bundled("fips-140-3"),
        "suite_not_approved",
        Severity::Fail,
        Some("TLS_RSA_WITH_AES_128_GCM_SHA256"),
    );
}

#[test]
fn suite_discouraged() {
    let server = require_server!(OpensslServer::start(
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"],
        KeyKind::Rsa2048
    ));
    let e = scan_blocking(server.addr());
    expect(
        &e,
        &bundled("fips-140-3"),
        "suite_discouraged",
        Severity::Warn,
        Some("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    );
}

#[test]
fn preferred_suite_not_approved() {
    // Static RSA first in the server's order, an approved ECDHE suite after it.
    let server = require_server!(OpensslServer::start(
        &[
            "-tls1_2",
            "-serverpref",
            "-cipher",
            "AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"
        ],
        KeyKind::Rsa2048
    ));
    let e = scan_blocking(server.addr());
    assert_eq!(
        e.preferred_suite.as_deref(),
        Some("TLS_RSA_WITH_AES_256_GCM_SHA384")
    );
    expect(
        &e,
        &bundled("fips-140-3"),
        "preferred_suite_not_approved",
        Severity::Fail,
        Some("TLS_RSA_WITH_AES_256_GCM_SHA384"),
    );
}

// ------------------------------------------------------------------------- requirements

#[test]
fn tls13_missing() {
    let e = scan_demo(rustls_spec(
        "tls12",
        &[Protocol::Tls12],
        &[group::SECP256R1],
    ));
    expect(
        &e,
        &bundled("fips-140-3"),
        "tls13_missing",
        Severity::Warn,
        None,
    );
}

#[test]
fn tls12_missing() {
    let e = scan_demo(rustls_spec(
        "tls13",
        &[Protocol::Tls13],
        &[group::SECP256R1],
    ));
    expect(
        &e,
        &bundled("fips-140-3"),
        "tls12_missing",
        Severity::Info,
        None,
    );
}

#[test]
fn ems_missing() {
    let server = require_server!(OpensslServer::tls12_no_ems());
    let e = scan_blocking(server.addr());
    expect(
        &e,
        &bundled("fips-140-3"),
        "ems_missing",
        Severity::Fail,
        None,
    );
}

#[test]
fn ems_not_enforced() {
    let server = require_server!(OpensslServer::start(&["-tls1_2"], KeyKind::Rsa2048));
    let e = scan_blocking(server.addr());
    assert_eq!(e.extensions.extended_master_secret, Some(true));
    // Approved schemes are recorded too: the TLS 1.2 ServerKeyExchange is signed with PSS.
    assert_eq!(e.extensions.signature_schemes, ["rsa_pss_rsae_sha256"]);
    expect(
        &e,
        &bundled("fips-140-3"),
        "ems_not_enforced",
        Severity::Fail,
        None,
    );
}

#[test]
fn renegotiation_insecure() {
    let server = require_server!(GnutlsServer::start(
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION"
    ));
    let e = scan_blocking(server.addr());
    expect(
        &e,
        &bundled("fips-140-3"),
        "renegotiation_insecure",
        Severity::Fail,
        None,
    );
}

/// A TLS 1.2 ServerHello for ECDHE_RSA_WITH_AES_128_GCM_SHA256 with `compression` and a
/// renegotiation_info echo, then ServerHelloDone, in one record.
fn scripted_server_hello(compression: u8) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend((1u8..=32).collect::<Vec<u8>>());
    body.push(0); // session id
    body.extend([0xC0, 0x2F, compression]);
    let extensions = [0xFF, 0x01, 0x00, 0x01, 0x00];
    body.extend(u16::try_from(extensions.len()).unwrap().to_be_bytes());
    body.extend(extensions);
    let mut handshake = vec![0x02];
    handshake.extend(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    handshake.extend(body);
    handshake.extend([0x0E, 0, 0, 0]);
    let mut record = vec![0x16, 0x03, 0x03];
    record.extend(u16::try_from(handshake.len()).unwrap().to_be_bytes());
    record.extend(handshake);
    record
}

#[test]
fn compression_enabled() {
    // No TLS library on this machine still negotiates compression (OpenSSL 3 is built without
    // zlib, GnuTLS dropped it in 3.6), so a scripted server answers every hello with a TLS 1.2
    // ServerHello choosing DEFLATE (method 1).
    let server = MisbehavingServer::start(Behaviour::Reply(scripted_server_hello(1)));
    let e = scan_blocking(server.addr);
    assert_eq!(e.extensions.compression, Some(true));
    expect(
        &e,
        &bundled("fips-140-3"),
        "compression_enabled",
        Severity::Fail,
        None,
    );
}

#[test]
fn encrypt_then_mac_missing() {
    // Go's crypto/tls has no Encrypt-then-MAC (golang/go#71221), yet Go lets a server enable
    // CBC-SHA256 (its FIPS 140-3 module policy allows 0xC027): SP 800-52r2 §3.4.2 says no.
    let go = require_server!(GoTlsServer::start(
        GoCrypto::Standard,
        &[KeyKind::Rsa2048],
        &[
            "--tls-cipher-suites",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            "--tls-min-version",
            "VersionTLS12",
            "--tls-max-version",
            "VersionTLS12",
        ]
    ));
    let e = scan_blocking(go.addr());
    assert_eq!(e.extensions.encrypt_then_mac, Some(false));
    expect(
        &e,
        &bundled("fips-140-3"),
        "encrypt_then_mac_missing",
        Severity::Fail,
        None,
    );
    // The same suite from OpenSSL, which agrees to EtM.
    let openssl = require_server!(OpensslServer::start(
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"],
        KeyKind::Rsa2048
    ));
    let e = scan_blocking(openssl.addr());
    assert_eq!(e.extensions.encrypt_then_mac, Some(true));
    expect_absent(&e, &bundled("fips-140-3"), "encrypt_then_mac_missing");
}

/// A CA, a leaf it signed for `localhost`, and a "good" OCSP response for the leaf signed by the
/// CA, made with the `openssl` CLI (`openssl ocsp -index`, no responder needed):
/// (leaf cert, leaf key, DER response).
fn leaf_with_ocsp_response(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    // Every argument is a plain word: the files are named relative to `dir`.
    let run = |args: &str| {
        let out = Command::new("openssl")
            .args(args.split_whitespace())
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj /CN=findings-ca \
         -days 30",
    );
    run("req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=localhost");
    run(
        "x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -set_serial 0x1001 -out leaf.crt -days 30",
    );
    // openssl ca's index format: status, expiry (YYMMDDHHMMSSZ), revocation, serial, file, DN.
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    let index = format!(
        "V\t{:02}{:02}{:02}000000Z\t\t1001\tunknown\t/CN=localhost\n",
        expiry.year() % 100,
        u8::from(expiry.month()),
        expiry.day()
    );
    std::fs::write(dir.join("index.txt"), index).unwrap();
    run(
        "ocsp -index index.txt -rsigner ca.crt -rkey ca.key -CA ca.crt -issuer ca.crt \
         -cert leaf.crt -respout ocsp.der -ndays 1",
    );
    (
        dir.join("leaf.crt"),
        dir.join("leaf.key"),
        dir.join("ocsp.der"),
    )
}

#[test]
fn ocsp_stapling_missing() {
    let server = require_server!(OpensslServer::start(&["-tls1_2"], KeyKind::Rsa2048));
    let e = scan_blocking(server.addr());
    // A warning, not a failure: the policies' decision on the §3.4.1 shall.
    expect(
        &e,
        &bundled("fips-140-3"),
        "ocsp_stapling_missing",
        Severity::Warn,
        None,
    );
    // The same server given an OCSP response to staple.
    let dir = temp_dir();
    let (cert, key, response) = leaf_with_ocsp_response(dir.path());
    let Some(stapling) = openssl_with_cert(
        &["-tls1_2", "-status_file", response.to_str().unwrap()],
        &cert,
        &key,
    ) else {
        return;
    };
    let e = scan_blocking(stapling.addr());
    assert_eq!(e.extensions.ocsp_stapling, Some(true));
    for policy in ["fips-140-3", "fips-140-2"] {
        expect_absent(&e, &bundled(policy), "ocsp_stapling_missing");
    }
}

#[test]
fn fallback_scsv_missing() {
    // TLS 1.0-1.2 without TLS 1.3: SP 800-52r2 §3.4.2 requires TLS_FALLBACK_SCSV. JSSE answers a
    // fallback hello as any other; it fails fips-140-2 (fips-140-3 fails TLS 1.0 anyway).
    let java = require_server!(JavaTlsServer::start(&["TLSv1", "TLSv1.1", "TLSv1.2"]));
    let e = scan_blocking(java.addr());
    assert_eq!(
        e.protocols.keys().copied().collect::<Vec<_>>(),
        [Protocol::Tls10, Protocol::Tls11, Protocol::Tls12]
    );
    assert_eq!(e.extensions.fallback_scsv, Some(false));
    for policy in ["fips-140-2", "fips-140-3"] {
        expect(
            &e,
            &bundled(policy),
            "fallback_scsv_missing",
            Severity::Fail,
            None,
        );
    }
    // OpenSSL with the same versions answers inappropriate_fallback.
    let openssl = require_server!(OpensslServer::start(
        &[
            "-min_protocol",
            "TLSv1",
            "-max_protocol",
            "TLSv1.2",
            "-cipher",
            "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"
        ],
        KeyKind::Rsa2048
    ));
    let e = scan_blocking(openssl.addr());
    assert!(
        e.protocols.contains_key(&Protocol::Tls10),
        "{:?}",
        e.protocols
    );
    assert_eq!(e.extensions.fallback_scsv, Some(true));
    expect_absent(&e, &bundled("fips-140-2"), "fallback_scsv_missing");
}

// ------------------------------------------------------------------------ key exchange

#[test]
fn dh_key_too_small() {
    let server = require_server!(OpensslServer::dhe_1024());
    let e = scan_blocking(server.addr());
    expect(
        &e,
        &bundled("fips-140-3"),
        "dh_key_too_small",
        Severity::Fail,
        Some("DH 1024 bits"),
    );
}

#[test]
fn group_not_approved() {
    let e = scan_demo(rustls_spec(
        "x25519",
        &[Protocol::Tls12, Protocol::Tls13],
        &[group::X25519],
    ));
    expect(
        &e,
        &bundled("fips-140-3"),
        "group_not_approved",
        Severity::Fail,
        Some("x25519"),
    );
}

#[test]
fn group_discouraged() {
    let e = scan_demo(rustls_spec(
        "mlkem",
        &[Protocol::Tls13],
        &[group::X25519_MLKEM768],
    ));
    expect(
        &e,
        &bundled("fips-140-3"),
        "group_discouraged",
        Severity::Warn,
        Some("X25519MLKEM768"),
    );
}

// -------------------------------------------------------------------- signature schemes

/// OpenSSL, TLS 1.2 ECDHE-RSA, signing its ServerKeyExchange with `sigalgs` only.
fn signing_with(sigalgs: &str) -> Result<OpensslServer, common::ServerError> {
    OpensslServer::start(
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
            "-sigalgs",
            sigalgs,
        ],
        KeyKind::Rsa2048,
    )
}

#[test]
fn sig_scheme_not_approved() {
    let server = require_server!(signing_with("RSA+SHA1"));
    let e = scan_blocking(server.addr());
    assert_eq!(e.extensions.signature_schemes, ["rsa_pkcs1_sha1"]);
    // Signing with SHA-1 is disallowed by SP 800-131A r2 under both policies.
    for policy in ["fips-140-3", "fips-140-2"] {
        expect(
            &e,
            &bundled(policy),
            "sig_scheme_not_approved",
            Severity::Fail,
            Some("rsa_pkcs1_sha1"),
        );
    }
}

#[test]
fn sig_scheme_discouraged() {
    let server = require_server!(signing_with("RSA+SHA224"));
    let e = scan_blocking(server.addr());
    expect(
        &e,
        &bundled("fips-140-3"),
        "sig_scheme_discouraged",
        Severity::Warn,
        Some("rsa_sha224"),
    );
}

// -------------------------------------------------------------------------- certificates

#[test]
fn cert_key_too_small() {
    let server = require_server!(OpensslServer::rsa1024_cert());
    let e = scan_blocking(server.addr());
    let subject = PRESET_SUBJECT.to_string();
    expect(
        &e,
        &bundled("fips-140-3"),
        "cert_key_too_small",
        Severity::Fail,
        Some(&subject),
    );
}

#[test]
fn cert_key_type_not_approved() {
    let dir = temp_dir();
    let params = dir.path().join("dsa.pem");
    let out = Command::new("openssl")
        .args(["genpkey", "-genparam", "-algorithm", "DSA"])
        .args(["-pkeyopt", "dsa_paramgen_bits:1024", "-out"])
        .arg(&params)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let newkey = format!("dsa:{}", params.display());
    let (cert, key) = openssl_cert(dir.path(), &newkey, &["-sha256"], 30);
    // DSA certificates sign only DHE-DSS suites, in TLS 1.2 and older.
    let Some(server) = openssl_with_cert(
        &[
            "-tls1_2",
            "-cipher",
            "DHE-DSS-AES128-GCM-SHA256:@SECLEVEL=0",
        ],
        &cert,
        &key,
    ) else {
        return;
    };
    let e = scan_blocking(server.addr());
    assert_eq!(
        e.certificate.as_ref().unwrap().chain[0].key_type,
        Some(fipsprobe::model::KeyType::Dsa)
    );
    let subject = OPENSSL_CERT_SUBJECT.to_string();
    expect(
        &e,
        &bundled("fips-140-3"),
        "cert_key_type_not_approved",
        Severity::Fail,
        Some(&subject),
    );
}

/// OpenSSL, TLS 1.2 only, with an EC certificate on `curve`.
fn ec_cert_scan(curve: &str) -> Option<Scanned> {
    let dir = temp_dir();
    let curve_opt = format!("ec_paramgen_curve:{curve}");
    let (cert, key) = openssl_cert(dir.path(), "ec", &["-pkeyopt", &curve_opt], 30);
    let server = openssl_with_cert(&["-tls1_2"], &cert, &key)?;
    Some(scan_blocking(server.addr()))
}

#[test]
fn cert_curve_not_approved() {
    let Some(e) = ec_cert_scan("brainpoolP256r1") else {
        return;
    };
    let subject = OPENSSL_CERT_SUBJECT.to_string();
    expect(
        &e,
        &bundled("fips-140-3"),
        "cert_curve_not_approved",
        Severity::Fail,
        Some(&subject),
    );
}

#[test]
fn cert_curve_discouraged() {
    let Some(e) = ec_cert_scan("P-521") else {
        return;
    };
    let subject = OPENSSL_CERT_SUBJECT.to_string();
    // Both policies allow P-521 with a warning: SP 800-52r2 says "should be P-256 or P-384".
    expect(
        &e,
        &bundled("fips-140-2"),
        "cert_curve_discouraged",
        Severity::Warn,
        Some(&subject),
    );
}

#[test]
fn cert_signature_weak() {
    let server = require_server!(OpensslServer::sha1_cert());
    let e = scan_blocking(server.addr());
    let subject = PRESET_SUBJECT.to_string();
    expect(
        &e,
        &bundled("fips-140-3"),
        "cert_signature_weak",
        Severity::Fail,
        Some(&subject),
    );
}

#[test]
fn cert_expired() {
    let server = require_server!(OpensslServer::expired_cert());
    let e = scan_blocking(server.addr());
    let subject = PRESET_SUBJECT.to_string();
    expect(
        &e,
        &bundled("fips-140-3"),
        "cert_expired",
        Severity::Fail,
        Some(&subject),
    );
}

#[test]
fn cert_expiring() {
    let dir = temp_dir();
    let (cert, key) = openssl_cert(dir.path(), "rsa:2048", &["-sha256"], 10);
    let Some(server) = openssl_with_cert(&[], &cert, &key) else {
        return;
    };
    let e = scan_blocking(server.addr());
    let subject = OPENSSL_CERT_SUBJECT.to_string();
    expect(
        &e,
        &bundled("fips-140-3"),
        "cert_expiring",
        Severity::Warn,
        Some(&subject),
    );
}

// ------------------------------------------------------------------------------ waivers

#[test]
fn waiver_expired() {
    let server = require_server!(OpensslServer::tls12_no_ems());
    let dir = temp_dir();
    let waivers = dir.path().join("waivers.toml");
    std::fs::write(
        &waivers,
        "[[waiver]]\nid = \"ems_missing\"\nendpoint = \"*\"\nreason = \"until the upgrade\"\nexpires = \"2020-01-31\"\n",
    )
    .unwrap();
    let target = server.addr().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_fipsprobe"))
        .args([
            "scan",
            "--format",
            "json",
            "--policy",
            "fips-140-3",
            "--waivers",
        ])
        .arg(&waivers)
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["endpoints"][0]["findings"].as_array().unwrap();
    let expired = findings
        .iter()
        .find(|f| f["id"] == "waiver_expired")
        .unwrap_or_else(|| panic!("no waiver_expired in {findings:#?}"));
    assert_eq!(expired["severity"], "info");
    assert_eq!(expired["item"], "ems_missing");
    // The waiver no longer applies: the finding it covered is back, unwaived.
    let ems = findings.iter().find(|f| f["id"] == "ems_missing").unwrap();
    assert!(ems.get("waived").is_none_or(Value::is_null), "{ems}");
}

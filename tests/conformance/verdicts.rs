//! Verdict rules held by real servers (the rest are in `tests/probe/misbehaving.rs`,
//! `tests/cli.rs` and `faults.rs`): an ingress-style nginx that requires SNI is not assessed
//! when scanned by IP, with the hint to pass `--sni`, and graded on its merits with `--sni`;
//! a scan interrupted by SIGINT after the server had answered is not assessed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fipsprobe::model::Verdict;
use fipsprobe::protocol::Protocol::{Tls10, Tls11, Tls12, Tls13};

use crate::common::reference::{self, Ems};
use crate::common::relay::{Fault, Relay};
use crate::common::{NginxServer, OpensslServer};
use crate::require_server;
use crate::support::{
    assert_grade, assert_version_as_measured, scan_exact_with, scan_report, summary, versions, Pol,
    Signs,
};

const NAME: &str = "localhost";
const FIPS_CIPHERS: &str = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256";

/// An ingress-style nginx serving only `NAME` with a FIPS configuration in `protocols`. The
/// protocols, curves and TLS 1.3 suites go in the `http` block: in a name-based server
/// nginx 1.22 ignores `ssl_protocols` and `ssl_ecdh_curve` (the default server's apply, and
/// its default protocols lack TLS 1.3), as an auditor may find out the hard way.
fn sni_nginx(protocols: &str) -> Result<NginxServer, crate::common::ServerError> {
    NginxServer::sni_only(
        NAME,
        FIPS_CIPHERS,
        protocols,
        "ssl_ecdh_curve secp384r1:prime256v1;\n    \
         ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256;",
    )
}

#[test]
fn an_sni_only_server_scanned_by_ip_is_not_assessed() {
    let server = require_server!(sni_nginx("TLSv1.2 TLSv1.3"));
    // Ground truth: without SNI nothing is accepted; TLS 1.2 and 1.3 hellos get
    // unrecognized_name (112; a few TLS 1.2 ones handshake_failure first), TLS 1.0 and 1.1
    // (not enabled) protocol_version (70).
    let truth = reference::enumerate(server.addr());
    truth.assert_complete();
    assert!(truth.accepted_versions().is_empty(), "{}", truth.summary());
    for (version, alert) in [(Tls10, 70), (Tls11, 70), (Tls12, 112), (Tls13, 112)] {
        assert!(
            truth.versions[&version]
                .refusals
                .contains_key(&format!("alert {alert}")),
            "{version}\n{}",
            truth.summary()
        );
    }
    let (report, _) = scan_report(server.addr());
    let e = &report.endpoints[0];
    assert_eq!(e.verdict, Verdict::NotAssessed, "{}", summary(e));
    assert!(e.protocols.is_empty(), "{}", summary(e));
    assert!(
        e.reasons.iter().any(|r| r.contains("unrecognized_name")),
        "{:?}",
        e.reasons
    );
}

/// The same server: nothing was negotiated and every enabled version asked for a name, so
/// the reasons must tell the user to scan by name. fipsprobe gives the hint only when every
/// probed version (SSLv2 and SSLv3 included) was refused with unrecognized_name, which no real
/// server does: nginx answers SSLv2 with protocol_version and SSLv3 with handshake_failure.
#[test]
fn an_sni_only_server_scanned_by_ip_gets_the_sni_hint() {
    let server = require_server!(sni_nginx("TLSv1.2 TLSv1.3"));
    let (report, _) = scan_report(server.addr());
    let e = &report.endpoints[0];
    let reasons = e.reasons.join(" | ");
    assert!(reasons.contains("--sni"), "{reasons}");
}

#[test]
fn an_sni_only_server_scanned_with_its_name_is_graded_on_its_merits() {
    let server = require_server!(sni_nginx("TLSv1.2 TLSv1.3"));
    let (e, truth) = scan_exact_with(server.addr(), Some(NAME));
    assert_eq!(versions(&e), [Tls12, Tls13], "{}", summary(&e));
    // The orders as the reference measures them with the name (nginx 1.22 also takes
    // ssl_prefer_server_ciphers from the default server for TLS 1.3).
    for p in [Tls12, Tls13] {
        assert_version_as_measured(&e, server.addr(), &truth, p);
    }
    assert_eq!(truth.accepted(Tls12), [0xC02F, 0xC030].into());
    assert_eq!(truth.accepted(Tls13), [0x1301, 0x1302].into());
    assert_eq!(truth.leaves(), std::slice::from_ref(&server.cert.cert_der));
    assert_eq!(e.sni.as_deref(), Some(NAME));
    assert_eq!(e.groups, ["secp384r1", "secp256r1"], "{}", summary(&e));
    // A FIPS configuration: 140-2 passes (the missing OCSP staple is a warning); 140-3 fails
    // on EMS, which upstream OpenSSL never enforces.
    // nginx's OpenSSL signs with SHA-224 when asked: a warning.
    let signs = [Signs::RsaSha224.finding()];
    assert_grade(&e, Pol::Fips2, Some(Ems::Optional), &signs, Verdict::Pass);
    assert_grade(&e, Pol::Fips3, Some(Ems::Optional), &signs, Verdict::Fail);
}

/// Starts a scan of `target` (the binary, JSON report to a file), waits until `relay` has
/// forwarded `answers` answers, sends SIGINT, and returns the exit code and the report.
fn interrupted(target: &Relay, policy: &str, answers: u32) -> (Option<i32>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let child = Command::new(env!("CARGO_BIN_EXE_fipsprobe"))
        .args(["scan", &target.addr.to_string(), "--format", "json"])
        .args(["--policy", policy, "-o"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Several answers went through: the endpoint has shown TLS suites.
    let deadline = Instant::now() + Duration::from_secs(60);
    while target.answers() < answers {
        assert!(Instant::now() < deadline, "the scan never got an answer");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The shell's kill: a fresh Debian has no /usr/bin/kill (procps).
    let status = Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let report = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    (out.status.code(), report)
}

/// SIGINT after a server had answered TLS (every answer held 1.5 s by a relay, so the scan is
/// mid-sweep and cannot finish in the 5 s fipsprobe gives endpoints in flight): the
/// interrupted endpoint is not assessed, the report incomplete, exit 3. The server (Go 1.23
/// fipsonly) shows nothing that fails fips-140-2, so no partial evidence can decide it.
#[test]
fn sigint_after_the_server_answered_leaves_the_endpoint_not_assessed() {
    let server = require_server!(crate::common::GoTlsServer::start_built(
        crate::common::GoToolchain::Go123,
        crate::common::GoCrypto::BoringFips,
        &[crate::common::CertSource::Rcgen(
            fipsprobe::demo::KeyKind::Rsa2048
        )],
        &[],
    ));
    let relay = Relay::start(server.addr(), Fault::Delay(Duration::from_millis(1500)));
    let (code, report) = interrupted(&relay, "fips-140-2", 2);
    assert_eq!(code, Some(3), "{report}");
    assert_eq!(report["complete"], false, "{report}");
    let e = &report["endpoints"][0];
    assert_eq!(e["verdict"], "not_assessed", "{e}");
    assert_eq!(report["summary"]["pass"], 0);
    assert_eq!(report["summary"]["not_assessed"], 1);
}

/// The same on a server with failing suites: what the sweep saw before the signal is not the
/// server's list, so the endpoint is not assessed rather than graded on it. What it already
/// showed does fail the policy, so the scan exits 1 and says so (docs/report.md).
#[test]
fn sigint_on_a_failing_server_is_not_graded_on_what_was_seen_before() {
    let server = require_server!(OpensslServer::legacy(true));
    let relay = Relay::start(server.addr(), Fault::Delay(Duration::from_millis(300)));
    let (code, report) = interrupted(&relay, "fips-140-3", 5);
    let e = &report["endpoints"][0];
    assert_eq!(e["verdict"], "not_assessed", "{e}");
    assert!(
        e["reasons"][0]
            .as_str()
            .is_some_and(|r| r.starts_with("the enumeration was cut short")),
        "{e}"
    );
    assert_eq!(report["summary"]["fail"], 0);
    assert_eq!(report["summary"]["not_assessed_failing"], 1);
    assert_eq!(code, Some(1), "{report}");
}

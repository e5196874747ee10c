//! A hostile report for the HTML tests: `tests/data/evidence/hostile-report.json` (markup,
//! terminal escapes, NUL, CR/LF, DEL, C1 and U+FFFE in a target, a service, an error and a
//! finding) plus an endpoint whose certificate a hostile server wrote: `<script>`, quotes, `&`,
//! ESC sequences, CR/LF, NUL and a right-to-left override in its subject, issuer, names and
//! signature, quoted again in its findings, waiver, refusal evidence, gaps and unchecked checks.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use fipsprobe::model::{
    CertChain, CertInfo, Certificate, Endpoint, EndpointId, Finding, GapRecord, Grade, HelloLimit,
    KeyType, Observation, ProtocolResult, Report, Severity, Status, SuiteCode, SuiteEntry,
    SuiteGrade, Summary, Unchecked, Verdict, Waived,
};
use fipsprobe::policy::Policy;
use fipsprobe::protocol::Protocol;
use fipsprobe::report::json;

/// What a hostile server puts in its certificate subject.
pub const SUBJECT: &str =
    "CN=<script>alert(1)</script>, O=\"Evil & Co\" \u{1b}[2J\u{1b}]0;owned\u{7}\r\nX\0\u{202e}gnp.exe";
/// Its issuer: markup that would close the table around it.
pub const ISSUER: &str = "CN=</td></tr></table><h1>owned</h1>&amp;";
/// The subject of the second chain it serves.
pub const SECOND_SUBJECT: &str = "CN=ecdsa</dd><h1>owned</h1>\u{1b}[5m";
/// What that chain was served for, as a hostile report file could say.
pub const SERVED_FOR: &str = "TLSv1.3 <script>ecdsa</script>\r\n\u{202e}";
/// Its names.
pub const SANS: [&str; 3] = [
    "DNS:<img src=x onerror=alert(1)>",
    "DNS:a\"b'c&d\u{85}",
    "IP:10.0.0.9",
];

pub fn policy() -> Policy {
    Policy::load("fips-140-3").unwrap()
}

fn suite(name: &str, code: u32, grade: SuiteGrade) -> SuiteEntry {
    SuiteEntry {
        name: name.into(),
        code: SuiteCode(code),
        openssl: None,
        approved: grade == SuiteGrade::Approved,
        grade: Some(grade),
    }
}

fn finding(id: &str, severity: Severity, message: String, source: &str) -> Finding {
    Finding {
        id: id.into(),
        severity,
        message,
        item: None,
        protocol: None,
        source: Some(source.into()),
        waived: None,
    }
}

/// The endpoint with the hostile certificate; it fails.
fn hostile_certificate() -> Endpoint {
    let ip: IpAddr = "10.0.0.9".parse().unwrap();
    let mut e = Endpoint::new(
        Observation::new(EndpointId::new(
            "10.0.0.9".into(),
            "10.0.0.9".into(),
            ip,
            9443,
        )),
        Grade::new(Vec::new(), BTreeMap::new(), Vec::new(), Vec::new()),
    );
    e.status = Status::Tls;
    e.explicit = true;
    e.sni = Some("sni<b>\u{1b}[0m".into());
    e.protocols.insert(
        Protocol::Tls12,
        ProtocolResult {
            suites: vec![
                suite(
                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                    0xC02F,
                    SuiteGrade::Approved,
                ),
                suite("TLS_RSA_WITH_AES_128_CBC_SHA", 0x002F, SuiteGrade::Fail),
            ],
            server_order: Some(true),
            preferred: Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()),
        },
    );
    e.preferred_suite = Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into());
    e.refused
        .insert(Protocol::Tls11, "alert <b>bad</b>\u{1b}[31m red".into());
    e.groups = vec!["secp256r1".into(), "x<y>".into()];
    e.extensions.signature_schemes = vec!["<b>scheme</b>".into()];
    e.extensions.preferred_group = Some("secp256r1\u{0}".into());
    e.certificate = Some(Certificate {
        chain: vec![
            CertInfo {
                subject: Some(SUBJECT.into()),
                issuer: Some(ISSUER.into()),
                sans: SANS.map(String::from).to_vec(),
                not_before: Some("2026-01-01T00:00:00Z".into()),
                not_after: Some("2026-02-01T00:00:00Z<x>".into()),
                days_left: Some(-300),
                key_type: Some(KeyType::Rsa),
                key_bits: Some(1024),
                signature_algorithm: Some("sha1WithRSAEncryption\u{7}".into()),
                signature_hash: Some("sha1".into()),
                self_signed: Some(false),
                sha256: "ab".repeat(32),
                ..CertInfo::default()
            },
            CertInfo {
                subject: Some("CN=intermediate\u{1b}[1m".into()),
                parse_error: None,
                ..CertInfo::default()
            },
        ],
        name_matches: Some(false),
        truncated: Some("kept 2 of 9 <certificates>".into()),
        ..Certificate::default()
    });
    // A second chain, served for a hostile reason, and facts naming hostile schemes.
    if let Some(cert) = e.certificate.as_mut() {
        let default = CertChain {
            chain: cert.chain.clone(),
            name_matches: cert.name_matches,
            served_for: "the server's default".into(),
        };
        let other = CertChain {
            chain: vec![CertInfo {
                subject: Some(SECOND_SUBJECT.into()),
                key_type: Some(KeyType::Ec),
                key_bits: Some(256),
                curve: Some("secp256r1".into()),
                sha256: "cd".repeat(32),
                ..CertInfo::default()
            }],
            name_matches: Some(true),
            served_for: SERVED_FOR.into(),
        };
        cert.chains = vec![default, other];
    }
    e.extensions
        .signature_schemes_by_version
        .insert(Protocol::Tls13, vec!["<b>scheme13</b>\u{202e}".into()]);
    e.extensions.scheme_without_signature_algorithms = Some("rsa_pkcs1_sha1<i>".into());
    e.extensions.hello_limits.insert(
        Protocol::Tls12,
        HelloLimit {
            max_suites: 64,
            without_optional_extensions: true,
        },
    );
    let src = "NIST <i>SP</i> 800-52r2 & \"§3.1\"";
    e.findings = vec![
        finding(
            "cert_expired",
            Severity::Fail,
            format!("leaf certificate {SUBJECT} expired on 2026-02-01 ({src})"),
            src,
        ),
        finding(
            "cert_key_too_small",
            Severity::Fail,
            "RSA 1024 bits <script>x</script>".into(),
            src,
        ),
        Finding {
            waived: Some(Waived {
                reason: "ticket <a href=\"https://evil.example/\">SEC-1</a>\r\n\u{1b}[8m".into(),
                expires: "2099-12-31\u{0}".into(),
            }),
            ..finding(
                "suite_not_approved",
                Severity::Fail,
                "TLSv1.2 accepts TLS_RSA_WITH_AES_128_CBC_SHA".into(),
                "SP 800-131A",
            )
        },
    ];
    e.verdict = Verdict::Fail;
    e.unchecked = vec![Unchecked {
        check: "ems_not_enforced".into(),
        protocol: Some(Protocol::Tls12),
        reason: "connection reset <after> \u{1b}[K".into(),
    }];
    e.gaps = vec![GapRecord {
        probe: "fallback".into(),
        protocol: None,
        kind: "reset".into(),
        reason: "reset by peer \"quoted\" \r\n".into(),
    }];
    e
}

/// The hostile fixture with the hostile-certificate endpoint added, graded with the bundled
/// fips-140-3 (so the page lists its rules).
pub fn hostile_report() -> Report {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/evidence/hostile-report.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut r = json::from_json(&text, "hostile-report.json").unwrap();
    r.endpoints.push(hostile_certificate());
    if let Some(e) = r
        .endpoints
        .iter_mut()
        .find(|e| e.verdict == Verdict::NotAssessed)
    {
        e.reasons = vec!["answered with <script>alert(2)</script>\u{1b}[2J\0".into()];
    }
    r.args.push("--sni=<script>\u{1b}[2J'".into());
    r.policy = policy().reference();
    r.summary = Summary::of(&r.endpoints);
    r
}

/// A fleet as a /24 scan finds it: 126 identical kube-apiservers that pass, and 20 etcds that
/// fail, each a little different (their DHE group size): 146 endpoints, 21 configurations.
pub fn fleet_report() -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reports/nightly-new.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let base = json::from_json(&text, "nightly-new.json").unwrap();
    let pass = base
        .endpoints
        .iter()
        .find(|e| e.verdict == Verdict::Pass)
        .unwrap();
    let fail = base
        .endpoints
        .iter()
        .find(|e| e.verdict == Verdict::Fail)
        .unwrap();
    let mut endpoints = Vec::new();
    for i in 1..=126u8 {
        let mut e = pass.clone();
        e.target = "10.0.0.0/24".into();
        e.ip = IpAddr::from([10, 0, 0, i]);
        e.host = e.ip.to_string();
        e.explicit = false;
        endpoints.push(e);
    }
    for i in 1..=20u8 {
        let mut e = fail.clone();
        e.target = "10.0.1.0/24".into();
        e.ip = IpAddr::from([10, 0, 1, i]);
        e.host = e.ip.to_string();
        e.sni = None;
        e.explicit = false;
        e.extensions.dh_bits = Some(1000 + u32::from(i));
        endpoints.push(e);
    }
    let mut r = base;
    r.args = vec!["fipsprobe".into(), "scan".into(), "10.0.0.0/23".into()];
    r.policy = policy().reference();
    r.summary = Summary::of(&endpoints);
    r.endpoints = endpoints;
    r
}

//! The bundled FIPS policies and grading: spot checks of known facts under both policies,
//! real-world server profiles (Go BoringCrypto FIPS, default Go), every finding id, waivers,
//! malformed user policies, and the CLI listings.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};

use fipsprobe::cipher_db::db;
use fipsprobe::model::{
    Accepted, CertInfo, Certificate, ClientCertificate, Endpoint, EndpointId, Facts, Gap, GapCause,
    KeyType, Observation, Probe, Refusal, Severity, Skip, Status, SuiteCode, Verdict,
};
use fipsprobe::policy::{
    finding_catalog, grade, policy_list, policy_show, suites_listing, ListFormat, Policy,
    RuleOutcome, SuiteFilter, Waivers,
};
use fipsprobe::protocol::Protocol;
use fipsprobe::wire::AlertDescription;
use time::macros::date;

const TODAY: time::Date = date!(2026 - 11 - 23);

fn policy(id: &str) -> Policy {
    Policy::load(id).unwrap()
}

fn suite_outcome(policy_id: &str, code: u16, p: Protocol) -> &'static str {
    let pol = policy(policy_id);
    let s = db().suite(code).unwrap();
    pol.suite_verdict(s, p).label()
}

/// An RSA-2048, SHA-256-signed leaf valid until 2027-06-01: nothing to find in it.
fn clean_leaf(subject: &str) -> CertInfo {
    CertInfo {
        subject: Some(subject.to_string()),
        key_type: Some(KeyType::Rsa),
        key_bits: Some(2048),
        signature_algorithm: Some("sha256WithRSAEncryption".into()),
        signature_hash: Some("sha256".into()),
        not_after: Some("2027-06-01T00:00:00Z".into()),
        self_signed: Some(true),
        ..CertInfo::default()
    }
}

/// An endpoint that accepted `suites` per version, with the given groups, refused every other
/// version with protocol_version, and showed every fact a policy rule needs, clean: EMS echoed
/// and required, secure renegotiation, no compression, an OCSP staple, the fallback SCSV
/// refused, an approved certificate. Tests change
/// what they are about.
fn endpoint(versions: &[(Protocol, &[u16])], groups: &[&str]) -> Observation {
    let id = EndpointId {
        service: Some("kube-apiserver".into()),
        explicit: true,
        ..EndpointId::new(
            "10.0.0.5".into(),
            "10.0.0.5".into(),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            6443,
        )
    };
    let mut obs = Observation::new(id);
    obs.status = Status::Tls;
    for (p, codes) in versions {
        obs.accepted.insert(
            *p,
            Accepted {
                suites: codes.iter().map(|&c| SuiteCode(u32::from(c))).collect(),
                server_order: Some(true),
            },
        );
    }
    for p in Protocol::ALL {
        if !obs.accepted.contains_key(&p) {
            obs.refused
                .insert(p, Refusal::Alert(AlertDescription::PROTOCOL_VERSION));
        }
    }
    obs.groups = groups
        .iter()
        .map(|n| db().group_by_name(n).unwrap().code)
        .collect();
    obs.facts = Facts {
        extended_master_secret: Some(true),
        ems_required: Some(true),
        secure_renegotiation: Some(true),
        compression: Some(false),
        ocsp_stapling: Some(true),
        fallback_scsv: Some(true),
        client_certificate: Some(ClientCertificate::NotRequested),
        ..Facts::default()
    };
    obs.certificate = Some(Certificate {
        chain: vec![clean_leaf("CN=kube-apiserver")],
        name_matches: Some(true),
        ..Certificate::default()
    });
    obs
}

fn graded(policy_id: &str, obs: Observation) -> Endpoint {
    let g = grade(&policy(policy_id), &obs, &Waivers::none(), TODAY);
    Endpoint::new(obs, g)
}

fn graded_with(policy: &Policy, obs: &Observation, waivers: &Waivers) -> Endpoint {
    let g = grade(policy, obs, waivers, TODAY);
    Endpoint::new(obs.clone(), g)
}

fn ids(e: &Endpoint) -> Vec<&str> {
    e.findings.iter().map(|f| f.id.as_str()).collect()
}

fn fails(e: &Endpoint) -> Vec<String> {
    e.findings
        .iter()
        .filter(|f| f.severity == Severity::Fail)
        .map(|f| format!("{} {}", f.id, f.item.clone().unwrap_or_default()))
        .collect()
}

/// Go 1.19 BoringCrypto with crypto/tls/fipsonly: TLS 1.2 only, six suites, P-256/384/521, no EMS.
fn go_boring_fips() -> Observation {
    let mut e = endpoint(
        &[(
            Protocol::Tls12,
            &[0xC02F, 0xC030, 0xC02B, 0xC02C, 0x009C, 0x009D],
        )],
        &["secp256r1", "secp384r1", "secp521r1"],
    );
    e.facts.extended_master_secret = Some(false);
    // A server without EMS cannot require it (known at no cost, as the probe records it).
    e.facts.ems_required = Some(false);
    // Go staples only what it is given; this one was given nothing.
    e.facts.ocsp_stapling = Some(false);
    e
}

/// Default Go server: TLS 1.3 with ChaCha20, TLS 1.2 with CBC, 3DES and static RSA, x25519.
fn go_default() -> Observation {
    endpoint(
        &[
            (Protocol::Tls13, &[0x1301, 0x1302, 0x1303]),
            (
                Protocol::Tls12,
                &[
                    0xC02F, 0xC030, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035, 0xC012,
                    0x000A,
                ],
            ),
        ],
        &["x25519", "secp256r1", "secp384r1", "secp521r1"],
    )
}

#[test]
fn known_suites_under_both_policies() {
    for id in ["fips-140-2", "fips-140-3"] {
        assert_eq!(
            suite_outcome(id, 0xC030, Protocol::Tls12),
            "approved",
            "{id} ECDHE_RSA_AES_256_GCM"
        );
        assert_eq!(
            suite_outcome(id, 0x1302, Protocol::Tls13),
            "approved",
            "{id}"
        );
        assert_eq!(
            suite_outcome(id, 0x1303, Protocol::Tls13),
            "fail",
            "{id} ChaCha20 TLS 1.3"
        );
        assert_eq!(
            suite_outcome(id, 0xCCA8, Protocol::Tls12),
            "fail",
            "{id} ChaCha20 TLS 1.2"
        );
        assert_eq!(
            suite_outcome(id, 0x000A, Protocol::Tls12),
            "fail",
            "{id} RSA 3DES"
        );
        assert_eq!(
            suite_outcome(id, 0x0005, Protocol::Tls12),
            "fail",
            "{id} RC4"
        );
        assert_eq!(
            suite_outcome(id, 0x0003, Protocol::Tls10),
            "fail",
            "{id} export"
        );
        assert_eq!(
            suite_outcome(id, 0xC018, Protocol::Tls12),
            "fail",
            "{id} anon"
        );
        assert_eq!(
            suite_outcome(id, 0x0041, Protocol::Tls12),
            "fail",
            "{id} Camellia"
        );
        assert_eq!(
            suite_outcome(id, 0xCC13, Protocol::Tls12),
            "fail",
            "{id} pre-RFC ChaCha20"
        );
    }
    // Static RSA: not approved under either, but only a failure under 140-3.
    assert_eq!(suite_outcome("fips-140-2", 0x009C, Protocol::Tls12), "warn");
    assert_eq!(suite_outcome("fips-140-3", 0x009C, Protocol::Tls12), "fail");
    // CBC-SHA1 ECDHE: in the SP 800-52r2 list, approved with a warning.
    assert_eq!(
        suite_outcome("fips-140-3", 0xC013, Protocol::Tls12),
        "discouraged"
    );
    assert!(policy("fips-140-3")
        .suite_verdict(db().suite(0xC013).unwrap(), Protocol::Tls12)
        .is_approved());
}

#[test]
fn known_groups_protocols_and_schemes() {
    let g = |id: &str, name: &str| {
        policy(id)
            .group_verdict(db().group_by_name(name).unwrap())
            .label()
    };
    for id in ["fips-140-2", "fips-140-3"] {
        assert_eq!(g(id, "x25519"), "fail", "{id}");
        assert_eq!(g(id, "x448"), "fail", "{id}");
        assert_eq!(g(id, "secp256r1"), "approved", "{id}");
        assert_eq!(g(id, "ffdhe2048"), "approved", "{id}");
        assert_eq!(g(id, "brainpoolP256r1"), "fail", "{id}");
    }
    assert_eq!(g("fips-140-2", "X25519MLKEM768"), "warn");
    assert_eq!(g("fips-140-3", "X25519MLKEM768"), "discouraged");
    assert_eq!(g("fips-140-3", "SecP256r1MLKEM768"), "approved");
    assert_eq!(g("fips-140-3", "X25519Kyber768Draft00"), "fail");

    let p = |id: &str, v: Protocol| policy(id).protocol_verdict(v).label();
    assert_eq!(p("fips-140-2", Protocol::Tls10), "warn");
    assert_eq!(p("fips-140-3", Protocol::Tls10), "fail");
    assert_eq!(p("fips-140-3", Protocol::Ssl3), "fail");
    assert_eq!(p("fips-140-3", Protocol::Tls13), "approved");

    let s = |id: &str, name: &str| {
        policy(id)
            .sig_scheme_verdict(db().sig_scheme_by_name(name).unwrap())
            .label()
    };
    assert_eq!(s("fips-140-2", "ed25519"), "warn");
    assert_eq!(s("fips-140-3", "ed25519"), "approved");
    assert_eq!(s("fips-140-3", "rsa_pss_rsae_sha256"), "approved");
    assert_eq!(s("fips-140-3", "rsa_md5"), "fail");
    assert!(matches!(
        policy("fips-140-3").sig_scheme_verdict(db().sig_scheme_by_name("dsa_sha256").unwrap()),
        RuleOutcome::Fail(_)
    ));
}

#[test]
fn go_boringcrypto_fips_server_passes_140_2_with_warnings() {
    let e = graded("fips-140-2", go_boring_fips());
    assert_eq!(e.verdict, Verdict::Pass, "fails: {:?}", fails(&e));
    let found = ids(&e);
    assert!(
        found.contains(&"suite_not_approved"),
        "static RSA is a warning: {found:?}"
    );
    assert!(
        found.contains(&"tls13_missing") && found.contains(&"ems_missing"),
        "{found:?}"
    );
    assert!(e.findings.iter().all(|f| f.severity != Severity::Fail));
    let tls12 = &e.protocols[&Protocol::Tls12].suites;
    let approved: Vec<bool> = tls12.iter().map(|s| s.approved).collect();
    assert_eq!(approved, vec![true, true, true, true, false, false]);
}

#[test]
fn go_boringcrypto_fips_server_fails_140_3_on_static_rsa_and_ems() {
    let e = graded("fips-140-3", go_boring_fips());
    assert_eq!(e.verdict, Verdict::Fail);
    let f = fails(&e);
    assert!(
        f.contains(&"suite_not_approved TLS_RSA_WITH_AES_128_GCM_SHA256".to_string()),
        "{f:?}"
    );
    assert!(f.iter().any(|x| x.starts_with("ems_missing")), "{f:?}");
}

#[test]
fn default_go_server_fails_both() {
    for id in ["fips-140-2", "fips-140-3"] {
        let e = graded(id, go_default());
        assert_eq!(e.verdict, Verdict::Fail, "{id}");
        let f = fails(&e);
        for expected in [
            "suite_not_approved TLS_CHACHA20_POLY1305_SHA256",
            "suite_not_approved TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            "suite_not_approved TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "group_not_approved x25519",
        ] {
            assert!(
                f.contains(&expected.to_string()),
                "{id}: {expected} not in {f:?}"
            );
        }
        // The preferred suite (TLS 1.3 AES-128-GCM) is approved: no preferred-suite finding.
        assert!(!ids(&e).contains(&"preferred_suite_not_approved"), "{id}");
    }
}

#[test]
fn suite_findings_are_per_version_and_name_the_source() {
    let e = graded(
        "fips-140-3",
        endpoint(
            &[
                (Protocol::Tls10, &[0x000A]),
                (Protocol::Tls12, &[0xC030, 0x000A]),
            ],
            &[],
        ),
    );
    let des: Vec<_> = e
        .findings
        .iter()
        .filter(|f| {
            f.id == "suite_not_approved"
                && f.item.as_deref() == Some("TLS_RSA_WITH_3DES_EDE_CBC_SHA")
        })
        .collect();
    assert_eq!(des.len(), 2);
    assert_eq!(des[0].protocol, Some(Protocol::Tls10));
    assert_eq!(des[1].protocol, Some(Protocol::Tls12));
    assert!(
        des[0].message.contains("TLS_RSA_WITH_3DES_EDE_CBC_SHA")
            && des[0].message.contains("SP 800-131A")
    );
    assert!(des[0].source.as_deref().unwrap().contains("SP 800-131A"));
    let proto: Vec<_> = e
        .findings
        .iter()
        .filter(|f| f.id == "protocol_not_approved")
        .collect();
    assert_eq!(proto.len(), 1);
    assert_eq!(proto[0].item.as_deref(), Some("TLSv1.0"));
    assert!(ids(&e).contains(&"tls13_missing"));
}

#[test]
fn preferred_suite_and_missing_versions() {
    // The preferred suite is the server's first pick at its highest version.
    let e = endpoint(&[(Protocol::Tls12, &[0x009C, 0xC02F])], &[]);
    let e = graded("fips-140-3", e);
    let f = e
        .findings
        .iter()
        .find(|f| f.id == "preferred_suite_not_approved")
        .unwrap();
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(f.protocol, Some(Protocol::Tls12));

    let only13 = graded("fips-140-3", endpoint(&[(Protocol::Tls13, &[0x1302])], &[]));
    assert_eq!(only13.verdict, Verdict::Pass);
    let f = only13
        .findings
        .iter()
        .find(|f| f.id == "tls12_missing")
        .unwrap();
    assert_eq!(f.severity, Severity::Info);
    let only13_140_2 = graded("fips-140-2", endpoint(&[(Protocol::Tls13, &[0x1302])], &[]));
    assert_eq!(
        only13_140_2
            .findings
            .iter()
            .find(|f| f.id == "tls12_missing")
            .unwrap()
            .severity,
        Severity::Warn
    );
}

#[test]
fn extension_findings_only_when_probed() {
    let base = endpoint(
        &[(Protocol::Tls12, &[0xC02F]), (Protocol::Tls13, &[0x1301])],
        &["secp256r1"],
    );
    let clean = graded("fips-140-3", base.clone());
    assert_eq!(clean.verdict, Verdict::Pass, "{:?}", clean.findings);
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);
    assert!(clean.unchecked.is_empty(), "{:?}", clean.unchecked);

    let mut e = base.clone();
    e.facts.extended_master_secret = Some(false);
    e.facts.secure_renegotiation = Some(false);
    e.facts.compression = Some(true);
    e.facts.signature_schemes = ["rsa_pss_rsae_sha256", "rsa_pkcs1_sha1", "rsa_md5", "ed448"]
        .map(String::from)
        .to_vec();
    let e = graded("fips-140-3", e);
    let found = ids(&e);
    for id in [
        "ems_missing",
        "renegotiation_insecure",
        "compression_enabled",
        "sig_scheme_not_approved",
        "sig_scheme_discouraged",
    ] {
        assert!(found.contains(&id), "{id} not in {found:?}");
    }
    assert_eq!(e.verdict, Verdict::Fail);

    // A DHE suite with a small group.
    let mut dh = endpoint(
        &[
            (Protocol::Tls12, &[0xC02F, 0x009E]),
            (Protocol::Tls13, &[0x1301]),
        ],
        &["secp256r1"],
    );
    dh.facts.dh_bits = Some(1024);
    let dh = graded("fips-140-2", dh);
    assert_eq!(ids(&dh), vec!["dh_key_too_small"]);
    assert_eq!(dh.verdict, Verdict::Fail);
}

/// Unknown is never false: a fact no hello vouched for raises nothing, and the check it needs
/// is listed as not made; the endpoint cannot pass.
#[test]
fn unknown_facts_raise_nothing_and_are_listed() {
    let mut e = endpoint(
        &[(Protocol::Tls12, &[0xC02F]), (Protocol::Tls13, &[0x1301])],
        &["secp256r1"],
    );
    e.facts.ems_required = None;
    e.facts.compression = None;
    e.gaps.push(Gap {
        probe: Probe::Features,
        cause: GapCause::Skipped(Skip::SuitesOnly),
    });
    let e = graded("fips-140-3", e);
    assert!(e.findings.is_empty(), "{:?}", e.findings);
    assert_eq!(e.verdict, Verdict::NotAssessed);
    let checks: Vec<&str> = e.unchecked.iter().map(|u| u.check.as_str()).collect();
    assert_eq!(checks, ["ems_not_enforced", "compression_enabled"]);
    let compression = &e.unchecked[1];
    assert_eq!(compression.reason, "not probed (--suites-only)");
    assert!(
        e.reasons
            .iter()
            .any(|r| r.contains("--suites-only") && r.contains("compression_enabled")),
        "{:?}",
        e.reasons
    );
}

/// Versions that were not probed, or whose sweep was cut short, are neither accepted nor
/// refused: no `tls13_missing`, no pass.
#[test]
fn unknown_versions_raise_nothing_and_are_listed() {
    let mut e = endpoint(&[(Protocol::Tls12, &[0xC02F])], &["secp256r1"]);
    e.refused.remove(&Protocol::Tls13);
    e.refused.remove(&Protocol::Tls10);
    e.gaps.push(Gap {
        probe: Probe::Suites(Protocol::Tls13),
        cause: GapCause::Skipped(Skip::NotRequested),
    });
    e.gaps.push(Gap {
        probe: Probe::Suites(Protocol::Tls10),
        cause: GapCause::Failed(fipsprobe::model::ConnError::Reset { partial: true }),
    });
    let e = graded("fips-140-3", e);
    assert!(!ids(&e).contains(&"tls13_missing"), "{:?}", e.findings);
    assert_eq!(e.verdict, Verdict::NotAssessed);
    let unchecked: Vec<(String, Option<Protocol>)> = e
        .unchecked
        .iter()
        .map(|u| (u.check.clone(), u.protocol))
        .collect();
    assert!(unchecked.contains(&("protocol_not_approved".into(), Some(Protocol::Tls10))));
    assert!(unchecked.contains(&("tls13_missing".into(), Some(Protocol::Tls13))));
    // A version refused in the protocol is evidence: tls13_missing is raised then.
    let mut refused = endpoint(&[(Protocol::Tls12, &[0xC02F])], &["secp256r1"]);
    refused.refused.insert(
        Protocol::Tls13,
        Refusal::Alert(AlertDescription::PROTOCOL_VERSION),
    );
    let refused = graded("fips-140-3", refused);
    assert!(ids(&refused).contains(&"tls13_missing"));
}

/// An endpoint that negotiated no version proves nothing: not assessed, with the alert.
#[test]
fn nothing_negotiated_is_not_assessed() {
    let mut e = endpoint(&[], &[]);
    for p in Protocol::ALL {
        e.refused
            .insert(p, Refusal::Alert(AlertDescription::UNRECOGNIZED_NAME));
    }
    e.certificate = None;
    let e = graded("fips-140-3", e);
    assert_eq!(e.verdict, Verdict::NotAssessed, "{:?}", e.findings);
    let reason = e.reasons.join(" ");
    assert!(
        reason.contains("unrecognized_name") && reason.contains("--sni"),
        "{reason}"
    );
}

/// The SP 800-52r2 §3.4 checks: a finding only when the fact is known and violated, under the
/// condition the SP gives; an unknown fact (absent key) raises nothing.
#[test]
fn encrypt_then_mac_ocsp_and_fallback_checks_need_their_facts() {
    let with = |versions: &[(Protocol, &[u16])], facts: &[(&str, bool)]| {
        let mut e = endpoint(versions, &["secp256r1"]);
        e.facts.ocsp_stapling = None;
        e.facts.fallback_scsv = None;
        for (k, v) in facts {
            let fact = match *k {
                "encrypt_then_mac" => &mut e.facts.encrypt_then_mac,
                "ocsp_stapling" => &mut e.facts.ocsp_stapling,
                "fallback_scsv" => &mut e.facts.fallback_scsv,
                other => panic!("no fact {other}"),
            };
            *fact = Some(*v);
        }
        e
    };
    let tls12_cbc: &[(Protocol, &[u16])] = &[(Protocol::Tls12, &[0xC02F, 0xC027])];
    for id in ["fips-140-2", "fips-140-3"] {
        // Nothing known: nothing raised, and the checks are listed as not made.
        let unknown = graded(id, with(tls12_cbc, &[]));
        assert!(
            !ids(&unknown).iter().any(|f| f.contains("encrypt_then_mac")
                || f.contains("ocsp")
                || f.contains("fallback")),
            "{id}: {:?}",
            ids(&unknown)
        );
        let unchecked: Vec<&str> = unknown.unchecked.iter().map(|u| u.check.as_str()).collect();
        assert!(
            unchecked.contains(&"encrypt_then_mac_missing"),
            "{id}: {unchecked:?}"
        );
        assert!(
            unchecked.contains(&"ocsp_stapling_missing"),
            "{id}: {unchecked:?}"
        );
        assert_eq!(unknown.verdict, Verdict::NotAssessed, "{id}");
        // A CBC suite without EtM fails; with EtM, nothing.
        let no_etm = graded(id, with(tls12_cbc, &[("encrypt_then_mac", false)]));
        assert!(
            fails(&no_etm).contains(&"encrypt_then_mac_missing ".to_string()),
            "{id}: {:?}",
            fails(&no_etm)
        );
        let etm = graded(id, with(tls12_cbc, &[("encrypt_then_mac", true)]));
        assert!(!ids(&etm).contains(&"encrypt_then_mac_missing"), "{id}");
        // No stapling: a warning only (the decision says why).
        let no_ocsp = graded(id, with(tls12_cbc, &[("ocsp_stapling", false)]));
        let ocsp: Vec<_> = no_ocsp
            .findings
            .iter()
            .filter(|f| f.id == "ocsp_stapling_missing")
            .collect();
        assert_eq!(ocsp.len(), 1, "{id}");
        assert_eq!(ocsp[0].severity, Severity::Warn, "{id}");
        let stapled = graded(id, with(tls12_cbc, &[("ocsp_stapling", true)]));
        assert!(!ids(&stapled).contains(&"ocsp_stapling_missing"), "{id}");
    }
    // Fallback SCSV: required only of servers with TLS 1.0/1.1 and without TLS 1.3.
    let legacy: &[(Protocol, &[u16])] = &[
        (Protocol::Tls10, &[0xC013]),
        (Protocol::Tls12, &[0xC02F, 0xC013]),
    ];
    let e = graded("fips-140-2", with(legacy, &[("fallback_scsv", false)]));
    assert!(
        fails(&e).contains(&"fallback_scsv_missing ".to_string()),
        "{:?}",
        fails(&e)
    );
    let ok = graded("fips-140-2", with(legacy, &[("fallback_scsv", true)]));
    assert!(!ids(&ok).contains(&"fallback_scsv_missing"));
    let unknown = graded("fips-140-2", with(legacy, &[]));
    assert!(!ids(&unknown).contains(&"fallback_scsv_missing"));
    assert!(unknown
        .unchecked
        .iter()
        .any(|u| u.check == "fallback_scsv_missing"));
    let with13: &[(Protocol, &[u16])] = &[
        (Protocol::Tls10, &[0xC013]),
        (Protocol::Tls12, &[0xC02F]),
        (Protocol::Tls13, &[0x1301]),
    ];
    let e = graded("fips-140-2", with(with13, &[("fallback_scsv", false)]));
    assert!(
        !ids(&e).contains(&"fallback_scsv_missing"),
        "a TLS 1.3 server is protected by the downgrade sentinel"
    );
    let only12: &[(Protocol, &[u16])] = &[(Protocol::Tls12, &[0xC02F])];
    let e = graded("fips-140-2", with(only12, &[("fallback_scsv", false)]));
    assert!(
        !ids(&e).contains(&"fallback_scsv_missing"),
        "no version below TLS 1.2"
    );
}

/// The readings `docs/policy-notes.md` §7 lists where the sources disagree, spot-checked.
#[test]
fn readings_where_sources_disagree() {
    let g = |id: &str, name: &str| {
        policy(id)
            .group_verdict(db().group_by_name(name).unwrap())
            .label()
    };
    assert_eq!(g("fips-140-2", "secp224r1"), "discouraged");
    assert_eq!(g("fips-140-2", "sect283k1"), "discouraged");
    assert_eq!(g("fips-140-3", "secp224r1"), "discouraged");
    assert_eq!(g("fips-140-3", "sect283k1"), "warn");
    assert_eq!(g("fips-140-3", "secp192r1"), "fail");
    let s = |id: &str, name: &str| {
        policy(id)
            .sig_scheme_verdict(db().sig_scheme_by_name(name).unwrap())
            .label()
    };
    assert_eq!(s("fips-140-2", "rsa_sha224"), "discouraged");
    assert_eq!(s("fips-140-2", "dsa_sha256"), "discouraged");
    assert_eq!(s("fips-140-2", "dsa_sha1"), "fail");
    assert_eq!(s("fips-140-3", "dsa_sha256"), "fail");
    // Certificates: P-224 meets the 112-bit floor and is a "should not" curve, not a failure.
    for id in ["fips-140-2", "fips-140-3"] {
        let mut e = endpoint(
            &[(Protocol::Tls13, &[0x1301]), (Protocol::Tls12, &[0xC02B])],
            &["secp256r1"],
        );
        e.certificate = Some(Certificate {
            chain: vec![CertInfo {
                subject: Some("CN=p224".into()),
                key_type: Some(KeyType::Ec),
                key_bits: Some(224),
                curve: Some("secp224r1".into()),
                signature_algorithm: Some("ecdsa-with-SHA256".into()),
                signature_hash: Some("sha256".into()),
                not_after: Some("2030-01-01T00:00:00Z".into()),
                ..CertInfo::default()
            }],
            ..Certificate::default()
        });
        let e = graded(id, e);
        assert_eq!(ids(&e), vec!["cert_curve_discouraged"], "{id}");
        assert_eq!(e.verdict, Verdict::Pass, "{id}");
    }
}

#[test]
fn certificate_findings() {
    let mut e = endpoint(
        &[(Protocol::Tls13, &[0x1301]), (Protocol::Tls12, &[0xC02B])],
        &[],
    );
    let cert = |subject: &str,
                key_type: KeyType,
                bits: u32,
                curve: Option<&str>,
                sig: &str,
                hash: &str,
                self_signed: bool,
                not_after: &str| CertInfo {
        subject: Some(subject.into()),
        key_type: Some(key_type),
        key_bits: Some(bits),
        curve: curve.map(str::to_string),
        signature_algorithm: Some(sig.into()),
        signature_hash: Some(hash.into()),
        self_signed: Some(self_signed),
        not_after: Some(not_after.into()),
        ..CertInfo::default()
    };
    e.certificate = Some(Certificate {
        chain: vec![
            cert(
                "CN=leaf",
                KeyType::Ec,
                256,
                Some("P-521"),
                "ecdsa-with-SHA1",
                "sha1",
                false,
                "2026-12-01T00:00:00Z",
            ),
            cert(
                "CN=intermediate",
                KeyType::Rsa,
                1024,
                None,
                "sha256WithRSAEncryption",
                "sha256",
                false,
                "2026-01-01T00:00:00Z",
            ),
            cert(
                "CN=root",
                KeyType::Ec,
                256,
                Some("brainpoolP256r1"),
                "sha1WithRSAEncryption",
                "sha1",
                true,
                "2040-01-01T00:00:00Z",
            ),
        ],
        ..Certificate::default()
    });
    let e140_2 = graded("fips-140-2", e.clone());
    let e = graded("fips-140-3", e);
    let by = |e: &Endpoint, id: &str| -> Vec<String> {
        e.findings
            .iter()
            .filter(|f| f.id == id)
            .map(|f| f.item.clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(
        by(&e, "cert_signature_weak"),
        vec!["CN=leaf"],
        "the self-signed root's signature is not graded"
    );
    assert_eq!(by(&e, "cert_key_too_small"), vec!["CN=intermediate"]);
    assert_eq!(by(&e, "cert_expired"), vec!["CN=intermediate"]);
    assert_eq!(by(&e, "cert_expiring"), vec!["CN=leaf"]);
    assert_eq!(by(&e, "cert_curve_not_approved"), vec!["CN=root"]);
    assert_eq!(
        by(&e140_2, "cert_curve_discouraged"),
        vec!["CN=leaf"],
        "P-521 is a warning under 140-2"
    );
    assert_eq!(e.verdict, Verdict::Fail);

    let mut ed = endpoint(
        &[(Protocol::Tls13, &[0x1301]), (Protocol::Tls12, &[0xC02B])],
        &[],
    );
    ed.certificate = Some(Certificate {
        chain: vec![CertInfo {
            key_type: Some(KeyType::Ed25519),
            key_bits: Some(256),
            signature_algorithm: Some("Ed25519".into()),
            not_after: Some("2030-01-01T00:00:00Z".into()),
            ..CertInfo::default()
        }],
        ..Certificate::default()
    });
    assert!(graded("fips-140-3", ed.clone()).findings.is_empty());
    assert_eq!(
        by(&graded("fips-140-2", ed), "cert_key_type_not_approved").len(),
        1
    );
}

#[test]
fn not_assessed_when_not_tls() {
    let mut e = go_default();
    e.status = Status::Timeout;
    e.failure = Some(fipsprobe::model::ConnError::ConnectTimeout(
        std::time::Duration::from_secs(3),
    ));
    let e = graded("fips-140-3", e);
    assert_eq!(e.verdict, Verdict::NotAssessed);
    assert!(e.findings.is_empty());
}

#[test]
fn waivers_keep_findings_visible_and_expire() {
    let text = r#"
[[waiver]]
id = "suite_not_approved"
endpoint = "10.0.0.5:6443"
item = "TLS_RSA_WITH_AES_128_GCM_SHA256"
reason = "legacy client, CHG-1"
expires = "2027-01-31"

[[waiver]]
id = "suite_not_approved"
endpoint = "*"
item = "TLS_RSA_WITH_AES_256_GCM_SHA384"
reason = "legacy client, CHG-2"
expires = "2026-11-23"

[[waiver]]
id = "ems_missing"
endpoint = "10.0.0.5"
reason = "vendor fix pending"
expires = "2026-10-31"
"#;
    let waivers = Waivers::from_text("waivers.toml", text).unwrap();
    let pol = policy("fips-140-3");
    let e = graded_with(&pol, &go_boring_fips(), &waivers);
    let rsa128 = e
        .findings
        .iter()
        .find(|f| {
            f.item.as_deref() == Some("TLS_RSA_WITH_AES_128_GCM_SHA256")
                && f.id == "suite_not_approved"
        })
        .unwrap();
    assert_eq!(rsa128.waived.as_ref().unwrap().expires, "2027-01-31");
    let rsa256 = e
        .findings
        .iter()
        .find(|f| {
            f.item.as_deref() == Some("TLS_RSA_WITH_AES_256_GCM_SHA384")
                && f.id == "suite_not_approved"
        })
        .unwrap();
    assert!(rsa256.waived.is_some(), "a waiver holds on its expiry day");
    let ems = e.findings.iter().find(|f| f.id == "ems_missing").unwrap();
    assert!(ems.waived.is_none(), "expired waiver does not apply");
    let expired = e
        .findings
        .iter()
        .find(|f| f.id == "waiver_expired")
        .unwrap();
    assert_eq!(expired.severity, Severity::Info);
    assert!(
        expired.message.contains("line 16") && expired.message.contains("2026-10-31"),
        "{}",
        expired.message
    );
    assert_eq!(e.verdict, Verdict::Fail, "EMS still fails");

    // The preferred suite (0xC02F) is approved; waive EMS properly and the endpoint passes.
    let all = Waivers::from_text("w.toml", &text.replace("2026-10-31", "2027-10-31")).unwrap();
    let e = graded_with(&pol, &go_boring_fips(), &all);
    assert_eq!(e.verdict, Verdict::Pass, "{:?}", fails(&e));
    assert!(e.findings.iter().any(|f| f.waived.is_some()));
    // Another endpoint is not covered by the address-specific waiver.
    let mut other = go_boring_fips();
    other.id.ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 6));
    other.id.host = "10.0.0.6".into();
    other.id.target = "10.0.0.6".into();
    let other = graded_with(&pol, &other, &all);
    assert_eq!(other.verdict, Verdict::Fail);
}

#[test]
fn finding_ids_are_unique_described_and_cover_what_grading_produces() {
    let catalog = finding_catalog();
    let mut seen = std::collections::HashSet::new();
    for (id, desc) in catalog {
        assert!(seen.insert(*id), "duplicate id {id}");
        assert!(!desc.trim().is_empty(), "{id} has no description");
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{id}"
        );
    }
    let mut produced = Vec::new();
    for id in ["fips-140-2", "fips-140-3"] {
        for e in [go_default(), go_boring_fips()] {
            produced.extend(graded(id, e).findings.into_iter().map(|f| f.id));
        }
    }
    for id in produced {
        assert!(seen.contains(id.as_str()), "{id} missing from the catalog");
    }
}

#[test]
fn every_bundled_policy_names_only_existing_items() {
    for id in Policy::bundled_ids() {
        let p = policy(id);
        for r in &p.rules().suites {
            for c in r.matcher.codes.iter().flatten() {
                assert!(db().suite(*c).is_some(), "{id}: 0x{c:04X}");
            }
        }
        for r in &p.rules().groups {
            for n in r.names.iter().flatten() {
                assert!(db().group_by_name(n).is_some(), "{id}: {n}");
            }
        }
        for r in &p.rules().sig_schemes {
            for n in r.names.iter().flatten() {
                assert!(db().sig_scheme_by_name(n).is_some(), "{id}: {n}");
            }
        }
        // Every rule cites a source.
        assert!(p.rules().suites.iter().all(|r| !r.rule.source.is_empty()));
    }
}

#[test]
fn malformed_user_policy_names_file_line_and_entry() {
    let dir = tempfile::tempdir().unwrap();
    let text = Policy::bundled_text("fips-140-3").unwrap();

    // A copy loads, keeps the bundled hash, and is recorded by its path.
    let copy = dir.path().join("mine.toml");
    std::fs::write(&copy, text).unwrap();
    let p = Policy::load(copy.to_str().unwrap()).unwrap();
    assert_eq!(p.id(), copy.to_str().unwrap());
    assert_eq!(p.sha256(), policy("fips-140-3").sha256());

    // An unknown group in a rule.
    let bad = text.replace(
        "names = [\"x25519\", \"x448\"]",
        "names = [\"x25591\", \"x448\"]",
    );
    let path = dir.path().join("bad-group.toml");
    std::fs::write(&path, &bad).unwrap();
    let err = Policy::load(path.to_str().unwrap())
        .unwrap_err()
        .to_string();
    let line = bad
        .lines()
        .position(|l| l.starts_with("id = \"x25519-x448\""))
        .unwrap(); // 0-based id line
    let expected = format!(
        "{}:{}: group rule \"x25519-x448\": unknown group \"x25591\"",
        path.display(),
        line
    );
    assert!(err.starts_with(&expected), "{err}\nexpected {expected}");

    // An unknown suite code.
    let bad = text.replace("codes = [0x1305]", "codes = [0x13FF]");
    let path = dir.path().join("bad-code.toml");
    std::fs::write(&path, &bad).unwrap();
    let err = Policy::load(path.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("suite rule \"tls13-ccm8\": unknown suite code 0x13FF"),
        "{err}"
    );

    // A misspelt attribute label and a misspelt key.
    let bad = text.replace("kx = [\"RSA\", \"RSA_PSK\"]", "kx = [\"RSA\", \"RSAPSK\"]");
    let err = Policy::from_text("x", "bad.toml", &bad)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("suite rule \"static-rsa\": unknown kx \"RSAPSK\""),
        "{err}"
    );
    let bad = text.replace(
        "outcome = \"discouraged\"\nsource = \"NIST SP 800-52r2 §3.3.1.2 (approved)",
        "outcme = \"discouraged\"\nsource = \"NIST SP 800-52r2 §3.3.1.2 (approved)",
    );
    let err = Policy::from_text("x", "bad.toml", &bad)
        .unwrap_err()
        .to_string();
    let typo_line = bad.lines().position(|l| l.starts_with("outcme")).unwrap() + 1;
    assert!(err.starts_with(&format!("bad.toml:{typo_line}:")), "{err}");
    assert!(err.contains("outcme"), "{err}");

    // Not TOML at all.
    let err = Policy::from_text("x", "bad.toml", "id = \"x\"\ntitle = \n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("bad.toml:2:"), "{err}");
}

#[test]
fn suites_listing_formats_and_filters() {
    let pol = policy("fips-140-3");
    let all = suites_listing(db(), &pol, &SuiteFilter::default(), ListFormat::Json);
    let doc: serde_json::Value = serde_json::from_str(&all).unwrap();
    let list = doc["suites"].as_array().unwrap();
    let iana = list.iter().filter(|s| s["iana_registered"] == true).count();
    assert_eq!(iana, 368, "every registry suite");
    let scsv = list.iter().find(|s| s["code"] == "0x00FF").unwrap();
    assert!(scsv["grade"].is_null(), "signalling values are not graded");
    let c030 = list.iter().find(|s| s["code"] == "0xC030").unwrap();
    assert_eq!(c030["grade"]["outcome"], "approved");
    assert_eq!(c030["kx"], "ECDHE");
    assert_eq!(c030["versions"], serde_json::json!(["TLSv1.2"]));
    assert_eq!(doc["policy"]["id"], "fips-140-3");

    let approved13 = SuiteFilter {
        approved_only: true,
        version: Some(Protocol::Tls13),
    };
    let csv = suites_listing(db(), &pol, &approved13, ListFormat::Csv);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("code,iana,openssl,versions"));
    let codes: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert_eq!(codes, vec!["0x1302", "0x1301", "0x1304", "0x1305"]);

    let table = suites_listing(db(), &pol, &approved13, ListFormat::Table);
    assert!(table.contains("0x1302") && !table.contains("0x1303"));
    let table = suites_listing(db(), &pol, &SuiteFilter::default(), ListFormat::Table);
    assert!(
        table.contains("0xC030") && !table.contains("0x00FF"),
        "the table leaves out SCSVs"
    );
}

#[test]
fn policy_show_and_list_print_every_rule_with_source_and_decisions() {
    for id in Policy::bundled_ids() {
        let pol = policy(id);
        let json: serde_json::Value =
            serde_json::from_str(&policy_show(&pol, ListFormat::Json)).unwrap();
        let rules = json["rules"].as_array().unwrap();
        let count = pol.rules().protocols.len()
            + pol.rules().suites.len()
            + pol.rules().groups.len()
            + pol.rules().sig_schemes.len()
            + pol.rules().requires.len();
        assert!(
            rules.len() > count,
            "{id}: rules + certificate checks + default"
        );
        assert!(
            rules
                .iter()
                .all(|r| !r["source"].as_str().unwrap().is_empty()),
            "{id}"
        );
        let table = policy_show(&pol, ListFormat::Table);
        assert!(table.contains(pol.sha256()));
    }
    // The three disputed points carry visible decisions.
    let show = policy_show(&policy("fips-140-3"), ListFormat::Json);
    let doc: serde_json::Value = serde_json::from_str(&show).unwrap();
    let notes = |rule: &str| -> String {
        doc["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == rule)
            .unwrap()["notes"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(notes("static-rsa").contains("140-2"));
    assert!(notes("x25519mlkem768").contains("BoringSSL"));
    assert!(notes("tls12-cbc-sha1").contains("RHEL"));
    let show2 = policy_show(&policy("fips-140-2"), ListFormat::Csv);
    assert!(show2.contains("static-rsa-aes") && show2.contains("Appendix D"));

    let list = policy_list();
    assert!(list.contains("fips-140-2") && list.contains("fips-140-3"));
    assert!(list.contains(policy("fips-140-3").sha256()));
}

/// A fail seen on a list that faults cut short is not the whole configuration: the endpoint is
/// not assessed (its findings stay, and the scan still exits 1 for them); cut short only by
/// a skipped probe, or missing a fact outside the lists, a fail stays a fail.
#[test]
fn a_fail_on_a_cut_short_enumeration_is_not_assessed_but_still_fails() {
    let rc4_and_gcm: &[u16] = &[0xC02F, 0x0005];
    let mut obs = endpoint(&[(Protocol::Tls12, rc4_and_gcm)], &["secp256r1"]);
    let whole = graded("fips-140-3", obs.clone());
    assert_eq!(whole.verdict, Verdict::Fail);

    obs.refused.remove(&Protocol::Tls11);
    obs.gaps.push(Gap {
        probe: Probe::Suites(Protocol::Tls11),
        cause: GapCause::Failed(fipsprobe::model::ConnError::Reset { partial: false }),
    });
    let cut = graded("fips-140-3", obs.clone());
    assert_eq!(cut.verdict, Verdict::NotAssessed, "{:?}", cut.reasons);
    assert!(cut.fails());
    assert!(
        cut.reasons[0].starts_with("the enumeration was cut short")
            && cut.reasons[0].contains("TLSv1.1 cipher suites"),
        "{:?}",
        cut.reasons
    );
    assert_eq!(fails(&cut), fails(&whole));
    let summary = fipsprobe::model::Summary::of(std::slice::from_ref(&cut));
    assert_eq!((summary.fail, summary.not_assessed_failing), (0, 1));

    // An interruption cuts every list short, whatever probe it hit.
    let mut interrupted = endpoint(&[(Protocol::Tls12, rc4_and_gcm)], &["secp256r1"]);
    interrupted.gaps.push(Gap {
        probe: Probe::Fallback,
        cause: GapCause::Failed(fipsprobe::model::ConnError::Aborted),
    });
    assert_eq!(
        graded("fips-140-3", interrupted).verdict,
        Verdict::NotAssessed
    );

    // A probe outside the lists that gave no answer leaves its rule unchecked, not the fail.
    let mut no_fallback = endpoint(&[(Protocol::Tls12, rc4_and_gcm)], &["secp256r1"]);
    no_fallback.facts.fallback_scsv = None;
    no_fallback.gaps.push(Gap {
        probe: Probe::Fallback,
        cause: GapCause::Failed(fipsprobe::model::ConnError::Reset { partial: false }),
    });
    assert_eq!(graded("fips-140-3", no_fallback).verdict, Verdict::Fail);

    // Skipped on purpose (--protocols): not a cut.
    let mut skipped = endpoint(&[(Protocol::Tls12, rc4_and_gcm)], &["secp256r1"]);
    skipped.refused.remove(&Protocol::Tls11);
    skipped.gaps.push(Gap {
        probe: Probe::Suites(Protocol::Tls11),
        cause: GapCause::Skipped(Skip::NotRequested),
    });
    assert_eq!(graded("fips-140-3", skipped).verdict, Verdict::Fail);
}

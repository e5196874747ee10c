//! Facts beyond the suite lists, each from at most a few extra hellos and only where it can
//! tell something: the key-exchange groups ([`crate::probe::groups`]), whether extended master
//! secret is required, OCSP stapling, session tickets, encrypt-then-MAC, TLS compression,
//! fallback SCSV handling, whether a requested client certificate is required, the DH size.
//!
//! [`Plan::new`] decides from what the sweeps found ([`Known`]) which probes apply; [`probe`]
//! runs them side by side within the host's connection cap, [`not_run`] records them as
//! gaps instead (`--suites-only`, an interrupted scan), and [`assemble`] writes everything
//! into the observation. A probe that gets no answer leaves its facts `None` and a gap.
//!
//! Handshake cost per endpoint (N = accepted groups), for a server that answers every hello:
//! - groups: N(TLS 1.2) + 1 when an ECDHE suite is accepted, N(TLS 1.3) + 1 with TLS 1.3;
//! - features (OCSP, ticket, ETM, compression): 1 when TLS 1.2 or older is accepted (3 more,
//!   one per feature, when the server refuses the hello offering them all);
//! - EMS required: 1 when the server echoed EMS (otherwise it is known not to be);
//! - fallback SCSV: 1 when two or more versions are accepted;
//! - client certificate required: 1 when the server asked for one;
//! - DHE group size: 1 when a DHE suite is accepted.

use std::collections::BTreeMap;

use crate::cipher_db::{self, Auth, CipherMode, Kx};
use crate::model::{
    Accepted, Certificate, ClientCertificate, ConnError, Facts, Gap, GapCause, Observation, Probe,
    Violation,
};
use crate::probe::check::check_answer;
use crate::probe::collect::Collected;
use crate::probe::conn::ReadUntil;
use crate::probe::groups;
use crate::probe::link::{Link, Reply};
use crate::probe::offer::{groups_tls12, SIG_SCHEMES};
use crate::probe::schemes;
use crate::probe::tls13;
use crate::protocol::Protocol;
use crate::wire::{
    AlertDescription, ClientExtension, ClientHello, ExtensionType, KxKind, KxParams, ProbeHello,
    ServerMessage,
};

/// Compression methods offered by the features hello: DEFLATE (RFC 3749) before null, so a
/// server that can compress will.
const COMPRESSION_DEFLATE: u8 = 1;

/// A fresh client random (also the TLS 1.3 session id). A predictable one only weakens a
/// handshake we never finish, so a failing RNG falls back to zeros rather than failing.
pub fn random() -> [u8; 32] {
    let mut random = [0u8; 32];
    let _ = aws_lc_rs::rand::fill(&mut random);
    random
}

/// What the cipher sweeps already established.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Accepted suites per version (SSLv2 left out), in the order found.
    pub accepted: BTreeMap<Protocol, Vec<u16>>,
    /// Whether the TLS <= 1.2 sweep saw extended_master_secret echoed.
    pub ems_echoed: Option<bool>,
    /// Whether some flight carried a CertificateRequest.
    pub client_cert_requested: bool,
    /// The curve of the leaf certificate's key, when it is an EC key (see `GroupSweep::pin`).
    pub cert_curve: Option<u16>,
    /// The TLS 1.3 server answers hellos without key shares (see `VersionSweep::keyless_ok`).
    pub tls13_keyless: bool,
    /// The TLS 1.3 certificate handshake's scheme and chain, when one was made.
    pub tls13_signed: Option<(u16, Vec<Vec<u8>>)>,
}

impl Known {
    /// From the accepted versions and the facts gathered on the way (`chain`: the
    /// certificate chain as sent, leaf first).
    pub fn new(
        accepted: &BTreeMap<Protocol, Accepted>,
        ems_echoed: Option<bool>,
        client_auth: Option<ClientCertificate>,
        chain: Option<&[Vec<u8>]>,
        tls13_keyless: bool,
    ) -> Known {
        let accepted = accepted
            .iter()
            .filter(|(v, _)| **v != Protocol::Ssl2)
            .map(|(v, a)| {
                let codes = a.suites.iter().filter_map(|c| c.two_byte()).collect();
                (*v, codes)
            })
            .collect();
        Known {
            accepted,
            tls13_keyless,
            tls13_signed: None,
            ems_echoed,
            client_cert_requested: client_auth.is_some_and(ClientCertificate::is_requested),
            cert_curve: chain
                .and_then(|c| c.first())
                .and_then(|der| crate::probe::cert::ec_curve_code(der)),
        }
    }

    /// The highest accepted version that has extensions (TLS 1.0 to 1.2).
    fn legacy_version(&self) -> Option<(Protocol, &[u16])> {
        self.accepted
            .iter()
            .rev()
            .find(|(v, _)| **v >= Protocol::Tls10 && **v <= Protocol::Tls12)
            .map(|(v, s)| (*v, s.as_slice()))
    }

    /// The accepted suites with key exchange `kx` of the highest version from `lowest` to
    /// TLS 1.2 that has any.
    fn suites_with(&self, kx: Kx, lowest: Protocol) -> Option<(Protocol, Vec<u16>)> {
        let db = cipher_db::db();
        self.accepted.iter().rev().find_map(|(v, suites)| {
            let matching: Vec<u16> = suites
                .iter()
                .copied()
                .filter(|c| db.suite(*c).is_some_and(|s| s.kx == kx))
                .collect();
            (*v <= Protocol::Tls12 && *v >= lowest && !matching.is_empty())
                .then_some((*v, matching))
        })
    }
}

/// Which probes apply to an endpoint, and with what.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    groups12: Option<(Protocol, Vec<u16>, Option<u16>)>,
    groups13: Option<Vec<u16>>,
    features: Option<(Protocol, Vec<u16>)>,
    ems: Option<(Protocol, Vec<u16>)>,
    fallback: Option<(Protocol, Vec<u16>, Protocol)>,
    client_cert: bool,
    dh: Option<(Protocol, Vec<u16>)>,
    tls13_keyless: bool,
    schemes12: Option<Vec<u16>>,
    schemes13: Option<Option<(u16, Vec<Vec<u8>>)>>,
}

impl Plan {
    /// The probes that can tell something about an endpoint with these results.
    pub fn new(known: &Known) -> Plan {
        let db = cipher_db::db();
        let groups12 = known
            .suites_with(Kx::Ecdhe, Protocol::Tls10)
            .map(|(v, suites)| {
                // Only ECDSA suites: the certificate's curve must stay on offer.
                let ecdsa_only = suites
                    .iter()
                    .all(|c| db.suite(*c).is_some_and(|s| s.auth == Auth::Ecdsa));
                let pinned = known.cert_curve.filter(|_| ecdsa_only);
                (v, suites, pinned)
            });
        let legacy = known.legacy_version();
        // Servers echo encrypt_then_mac only for a CBC suite, so the features hello offers
        // CBC suites when the server accepts any, at the highest version that has them.
        let cbc_of = |accepted: &[u16]| -> Vec<u16> {
            accepted
                .iter()
                .copied()
                .filter(|c| {
                    db.suite(*c)
                        .is_some_and(|s| s.cipher.mode == CipherMode::Cbc)
                })
                .collect()
        };
        let with_cbc = known.accepted.iter().rev().find_map(|(v, s)| {
            let cbc = cbc_of(s);
            (*v >= Protocol::Tls10 && *v <= Protocol::Tls12 && !cbc.is_empty()).then_some((*v, cbc))
        });
        let features = with_cbc.or_else(|| legacy.map(|(v, s)| (v, s.to_vec())));
        // A server that does not echo EMS cannot require it: known at no cost.
        let ems = legacy
            .filter(|_| known.ems_echoed == Some(true))
            .map(|(v, s)| (v, s.to_vec()));
        let versions: Vec<(&Protocol, &Vec<u16>)> = known.accepted.iter().collect();
        let fallback = match versions.as_slice() {
            [.., (&lower, suites), (&highest, _)] if lower >= Protocol::Ssl3 => {
                Some((lower, suites.to_vec(), highest))
            }
            _ => None,
        };
        Plan {
            groups12,
            groups13: known.accepted.get(&Protocol::Tls13).cloned(),
            features,
            ems,
            fallback,
            client_cert: known.client_cert_requested,
            dh: known.suites_with(Kx::Dhe, Protocol::Ssl3),
            tls13_keyless: known.tls13_keyless,
            schemes12: known
                .accepted
                .get(&Protocol::Tls12)
                .map(|s| schemes::signed_suites(s))
                .filter(|s| !s.is_empty()),
            schemes13: known
                .accepted
                .contains_key(&Protocol::Tls13)
                .then(|| known.tls13_signed.clone()),
        }
    }

    /// The probes this plan runs.
    pub fn probes(&self) -> Vec<Probe> {
        let mut out = Vec::new();
        if let Some((v, _, _)) = &self.groups12 {
            out.push(Probe::Groups(*v));
        }
        if self.groups13.is_some() {
            out.push(Probe::Groups(Protocol::Tls13));
        }
        if self.features.is_some() {
            out.push(Probe::Features);
        }
        if self.ems.is_some() {
            out.push(Probe::EmsRequired);
        }
        if self.fallback.is_some() {
            out.push(Probe::Fallback);
        }
        if self.client_cert {
            out.push(Probe::ClientCertificate);
        }
        if self.dh.is_some() {
            out.push(Probe::DhGroup);
        }
        if self.schemes12.is_some() {
            out.push(Probe::SigSchemes(Protocol::Tls12));
        }
        if self.schemes13.is_some() {
            out.push(Probe::SigSchemes(Protocol::Tls13));
        }
        out
    }
}

/// Everything this module learned. `None` means "no answer" (with a gap) or "not relevant".
#[derive(Clone, Debug, Default)]
pub struct ExtraFacts {
    /// Accepted groups per version, the server's pick first.
    pub groups: BTreeMap<Protocol, Vec<u16>>,
    /// The server refuses a TLS 1.2 hello without extended_master_secret.
    pub ems_required: Option<bool>,
    /// The features hello's findings.
    pub features: FeatureFacts,
    /// The server refused a lower-version hello carrying TLS_FALLBACK_SCSV.
    pub fallback_scsv: Option<bool>,
    /// A TLS 1.3 server answering the fallback hello marked its random with the downgrade
    /// sentinel.
    pub downgrade_sentinel: Option<bool>,
    /// Having asked for a client certificate, the server refuses to go on without one.
    pub client_cert_required: Option<bool>,
    /// The finite-field DHE prime size, from a hello offering only the DHE suites.
    pub dh_bits: Option<u32>,
    /// Signature schemes per version, in the order found.
    pub schemes: BTreeMap<Protocol, Vec<u16>>,
    /// The scheme of the TLS 1.2 hello without signature_algorithms, when it was answered.
    pub scheme_without_signature_algorithms: Option<u16>,
    /// Every distinct chain the scheme sweeps saw, with what made the server send it.
    pub chains: Vec<(String, Vec<Vec<u8>>)>,
    /// Probes that gave no answer.
    pub gaps: Vec<Gap>,
}

/// What the features hello(s) showed; each `None` until a hello offering it was answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeatureFacts {
    /// The server picked DEFLATE.
    pub compression: Option<bool>,
    /// The server stapled an OCSP response (a CertificateStatus message arrived).
    pub ocsp_stapling: Option<bool>,
    /// The server echoed session_ticket.
    pub session_ticket: Option<bool>,
    /// With a CBC suite negotiated, the server agreed to encrypt_then_mac.
    pub encrypt_then_mac: Option<bool>,
}

/// Runs every probe of `Plan::new(known)`, side by side within the host's connection cap.
pub async fn probe(link: &Link<'_>, known: &Known) -> ExtraFacts {
    let plan = Plan::new(known);
    let mut out = ExtraFacts::default();
    // Each probe boxed: inline, the join's futures were too deep for a 2 MiB stack in a debug
    // build.
    let (g12, g13, features, ems, fallback, client, dh, s12, s13) = tokio::join!(
        Box::pin(async {
            match &plan.groups12 {
                Some((v, suites, pinned)) => {
                    Some(groups::sweep(link, *v, suites, *pinned, false).await)
                }
                None => None,
            }
        }),
        Box::pin(async {
            match &plan.groups13 {
                Some(suites) => Some(
                    groups::sweep(link, Protocol::Tls13, suites, None, plan.tls13_keyless).await,
                ),
                None => None,
            }
        }),
        Box::pin(features(link, plan.features.as_ref())),
        Box::pin(ems_required(link, plan.ems.as_ref())),
        Box::pin(fallback_scsv(link, plan.fallback.as_ref())),
        Box::pin(client_cert_required(link, plan.client_cert)),
        Box::pin(dh_bits(link, plan.dh.as_ref())),
        Box::pin(async {
            match &plan.schemes12 {
                Some(suites) => Some(schemes::sweep_tls12(link, suites).await),
                None => None,
            }
        }),
        Box::pin(async {
            match &plan.schemes13 {
                Some(first) => {
                    let first = first
                        .clone()
                        .map(|(s, chain)| schemes::SchemeAnswer::Signed(s, Some(chain)));
                    Some(schemes::sweep_tls13(link, first).await)
                }
                None => None,
            }
        }),
    );
    let mut gap = |probe: Probe, e: ConnError| {
        out.gaps.push(Gap {
            probe,
            cause: GapCause::Failed(e),
        })
    };
    for sweep in [g12, g13].into_iter().flatten() {
        if let Some(e) = sweep.failure() {
            gap(Probe::Groups(sweep.version()), e.clone());
        }
        if !sweep.accepted().is_empty() {
            out.groups
                .insert(sweep.version(), sweep.accepted().to_vec());
        }
    }
    match features {
        Ok((facts, cut)) => {
            out.features = facts;
            if let Some(e) = cut {
                gap(Probe::Features, e);
            }
        }
        Err(e) => gap(Probe::Features, e),
    }
    match ems {
        Ok(v) => out.ems_required = v,
        Err(e) => gap(Probe::EmsRequired, e),
    }
    match fallback {
        Ok(v) => {
            out.fallback_scsv = v.scsv;
            out.downgrade_sentinel = v.downgrade_sentinel;
        }
        Err(e) => gap(Probe::Fallback, e),
    }
    match client {
        Ok(v) => out.client_cert_required = v,
        Err(e) => gap(Probe::ClientCertificate, e),
    }
    match dh {
        Ok(v) => out.dh_bits = v,
        Err(e) => gap(Probe::DhGroup, e),
    }
    if let Some((sweep, default)) = s12 {
        match default {
            Ok(v) => out.scheme_without_signature_algorithms = v,
            Err(e) => gap(Probe::SigSchemes(Protocol::Tls12), e),
        }
        scheme_results(&mut out, &sweep);
    }
    if let Some(sweep) = s13 {
        scheme_results(&mut out, &sweep);
    }
    out
}

/// A scheme sweep's schemes, chains and failure into `out`.
fn scheme_results(out: &mut ExtraFacts, sweep: &schemes::SchemeSweep) {
    let v = sweep.version();
    if let Some(e) = sweep.failure() {
        out.gaps.push(Gap {
            probe: Probe::SigSchemes(v),
            cause: GapCause::Failed(e.clone()),
        });
    }
    if !sweep.accepted().is_empty() {
        out.schemes.insert(v, sweep.accepted().to_vec());
    }
    for chain in sweep.chains() {
        if !out.chains.iter().any(|(_, c)| c == chain) {
            out.chains
                .push((format!("{v} signature schemes"), chain.clone()));
        }
    }
}

/// The probes that would have run, as gaps with `cause` (`--suites-only`, an interruption).
pub fn not_run(known: &Known, cause: GapCause) -> ExtraFacts {
    ExtraFacts {
        gaps: Plan::new(known)
            .probes()
            .into_iter()
            .map(|probe| Gap {
                probe,
                cause: cause.clone(),
            })
            .collect(),
        ..ExtraFacts::default()
    }
}

/// Writes what the sweeps collected and the extra probes found into `obs`: `facts`
/// (the report's `extensions`), `groups` (TLS 1.3 order first, then any group only seen
/// before), the certificate, and the extra probes' gaps.
pub fn assemble(obs: &mut Observation, collected: Collected, extra: ExtraFacts) {
    let name = crate::model::group_name;
    let mut groups: Vec<u16> = Vec::new();
    let mut per_version = BTreeMap::new();
    for (version, list) in extra.groups.iter().rev() {
        for g in list {
            if !groups.contains(g) {
                groups.push(*g);
            }
        }
        per_version.insert(*version, list.iter().map(|&g| name(g)).collect());
    }
    for g in &collected.groups {
        if !groups.contains(g) {
            groups.push(*g);
        }
    }
    let client_certificate = match (extra.client_cert_required, collected.client_auth) {
        (Some(true), _) => Some(ClientCertificate::Required),
        (Some(false), _) => Some(ClientCertificate::Optional),
        (None, other) => other,
    };
    obs.facts = Facts {
        extended_master_secret: collected.ems,
        // A server that does not echo EMS cannot require it: known at no cost.
        ems_required: extra
            .ems_required
            .or((collected.ems == Some(false)).then_some(false)),
        secure_renegotiation: collected.secure_renegotiation,
        compression: extra.features.compression,
        session_ticket: extra.features.session_ticket,
        encrypt_then_mac: extra.features.encrypt_then_mac,
        // The features hello asks in TLS <= 1.2; a TLS 1.3-only server is asked by the
        // certificate handshake.
        ocsp_stapling: extra.features.ocsp_stapling.or(collected.tls13_ocsp),
        fallback_scsv: extra.fallback_scsv,
        downgrade_sentinel: extra.downgrade_sentinel,
        client_certificate,
        dh_bits: extra.dh_bits.or(collected.dh_bits),
        signature_schemes: {
            // The sweeps' schemes, then any a key exchange showed that they did not (with
            // --suites-only, those are all there is).
            let mut all: Vec<u16> = extra.schemes.values().flatten().copied().collect();
            all.extend(extra.scheme_without_signature_algorithms);
            for s in &collected.sig_schemes {
                if !all.contains(s) {
                    all.push(*s);
                }
            }
            let mut seen = Vec::new();
            all.retain(|s| {
                let new = !seen.contains(s);
                seen.push(*s);
                new
            });
            all.iter().map(|&c| scheme_name(c)).collect()
        },
        signature_schemes_by_version: extra
            .schemes
            .iter()
            .map(|(v, list)| (*v, list.iter().map(|&c| scheme_name(c)).collect()))
            .collect(),
        scheme_without_signature_algorithms: extra
            .scheme_without_signature_algorithms
            .map(scheme_name),
        preferred_group: groups.first().map(|&g| name(g)),
        groups: per_version,
        hello_limits: BTreeMap::new(),
    };
    obs.groups = groups;
    obs.certificate = match (collected.chain, collected.chain_error) {
        (Some(chain), _) => {
            let mut cert = crate::probe::cert::describe_chain(&chain, &obs.id.host, obs.id.ip);
            // The certificates past the cap were not seen (grading leaves them unchecked).
            cert.truncated = collected.chain_truncated.map(|t| t.to_string());
            let others: Vec<&(String, Vec<Vec<u8>>)> =
                extra.chains.iter().filter(|(_, c)| *c != chain).collect();
            if !others.is_empty() {
                cert.chains.push(crate::model::CertChain {
                    chain: cert.chain.clone(),
                    name_matches: cert.name_matches,
                    served_for: "the server's default".into(),
                });
                for (why, c) in others {
                    let d = crate::probe::cert::describe_chain(c, &obs.id.host, obs.id.ip);
                    cert.chains.push(crate::model::CertChain {
                        chain: d.chain,
                        name_matches: d.name_matches,
                        served_for: why.clone(),
                    });
                }
            }
            Some(cert)
        }
        (None, Some(e)) if !obs.accepted.is_empty() => Some(Certificate {
            error: Some(e.to_string()),
            ..Certificate::default()
        }),
        _ => None,
    };
    obs.gaps.extend(extra.gaps);
}

/// The IANA name of a signature scheme, or its code.
fn scheme_name(code: u16) -> String {
    cipher_db::db()
        .sig_scheme(code)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| format!("0x{code:04X}"))
}

/// One TLS <= 1.2 hello offering DEFLATE, status_request, session_ticket and encrypt_then_mac.
/// A server that refuses it in the protocol is asked once per feature, so that one feature it
/// cannot take does not hide the others; a refused single feature is one it does not do.
/// The second value is why a fact stayed unknown (a flight cut before ServerHelloDone).
async fn features(
    link: &Link<'_>,
    plan: Option<&(Protocol, Vec<u16>)>,
) -> Result<(FeatureFacts, Option<ConnError>), ConnError> {
    let Some((version, suites)) = plan else {
        return Ok((FeatureFacts::default(), None));
    };
    let all = [Feature::Compression, Feature::Status, Feature::TicketEtm];
    let (facts, cut) = match features_hello(link, *version, suites, &all).await? {
        (Some(facts), cut) => (facts, cut),
        (None, _) => {
            let mut facts = FeatureFacts::default();
            let mut cut = None;
            for feature in all {
                match features_hello(link, *version, suites, &[feature]).await? {
                    (Some(f), c) => {
                        facts = merge_features(facts, f);
                        cut = cut.or(c);
                    }
                    (None, _) => facts = merge_features(facts, feature.refused()),
                }
            }
            (facts, cut)
        }
    };
    let unknown = facts.ocsp_stapling.is_none();
    Ok((facts, cut.filter(|_| unknown)))
}

/// One of the features the features hello offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Feature {
    Compression,
    Status,
    TicketEtm,
}

impl Feature {
    /// What a refusal of a hello offering only this feature says: the server does not do it.
    fn refused(self) -> FeatureFacts {
        match self {
            Feature::Compression => FeatureFacts {
                compression: Some(false),
                ..FeatureFacts::default()
            },
            Feature::Status => FeatureFacts {
                ocsp_stapling: Some(false),
                ..FeatureFacts::default()
            },
            Feature::TicketEtm => FeatureFacts {
                session_ticket: Some(false),
                ..FeatureFacts::default()
            },
        }
    }
}

fn merge_features(a: FeatureFacts, b: FeatureFacts) -> FeatureFacts {
    FeatureFacts {
        compression: a.compression.or(b.compression),
        ocsp_stapling: a.ocsp_stapling.or(b.ocsp_stapling),
        session_ticket: a.session_ticket.or(b.session_ticket),
        encrypt_then_mac: a.encrypt_then_mac.or(b.encrypt_then_mac),
    }
}

/// One features hello; `None` when the server refused it in the protocol, with the failure
/// that cut the flight short, if one did.
async fn features_hello(
    link: &Link<'_>,
    version: Protocol,
    suites: &[u16],
    offer: &[Feature],
) -> Result<(Option<FeatureFacts>, Option<ConnError>), ConnError> {
    let mut hello = legacy_hello(version, suites, link.sni, true, false).to_client_hello();
    for feature in offer {
        match feature {
            Feature::Compression => hello.compression_methods = vec![COMPRESSION_DEFLATE, 0],
            Feature::Status => hello.extensions.push(ClientExtension::StatusRequest),
            Feature::TicketEtm => {
                hello
                    .extensions
                    .push(ClientExtension::SessionTicket(Vec::new()));
                hello.extensions.push(ClientExtension::EncryptThenMac);
            }
        }
    }
    match send(link, &hello, version, ReadUntil::FlightEnd).await {
        Reply::Answer(flight) => {
            let cut = flight.cut().cloned();
            Ok((features_from(&flight.messages, offer)?, cut))
        }
        Reply::Dropped { .. } => Ok((None, None)),
        Reply::Failed(e) => Err(e),
    }
}

/// Reads a features hello's answer: `Ok(None)` for an alert. Pure, for the tests.
fn features_from(
    messages: &[ServerMessage],
    offer: &[Feature],
) -> Result<Option<FeatureFacts>, ConnError> {
    let sh = match messages.first() {
        Some(ServerMessage::ServerHello(sh)) => sh,
        Some(ServerMessage::Alert(_)) => return Ok(None),
        Some(other) => return Err(Violation::UnexpectedMessage(other.name()).into()),
        None => return Err(ConnError::Closed { partial: false }),
    };
    let cbc = cipher_db::db()
        .suite(sh.cipher_suite)
        .is_some_and(|s| s.cipher.mode == CipherMode::Cbc);
    let stapled = messages
        .iter()
        .any(|m| matches!(m, ServerMessage::CertificateStatus(_)));
    let whole = messages
        .iter()
        .any(|m| matches!(m, ServerMessage::ServerHelloDone));
    let mut facts = FeatureFacts::default();
    for feature in offer {
        match feature {
            Feature::Compression => facts.compression = Some(sh.compression == COMPRESSION_DEFLATE),
            // An echo alone is a promise; only a CertificateStatus is a stapled response.
            Feature::Status => {
                facts.ocsp_stapling = (stapled || whole).then_some(stapled);
            }
            Feature::TicketEtm => {
                facts.session_ticket = Some(sh.has_extension(ExtensionType::SESSION_TICKET.0));
                facts.encrypt_then_mac =
                    cbc.then(|| sh.has_extension(ExtensionType::ENCRYPT_THEN_MAC.0));
            }
        }
    }
    Ok(Some(facts))
}

/// A hello without extended_master_secret: refused means EMS is required.
async fn ems_required(
    link: &Link<'_>,
    plan: Option<&(Protocol, Vec<u16>)>,
) -> Result<Option<bool>, ConnError> {
    let Some((version, suites)) = plan else {
        return Ok(None);
    };
    let hello = legacy_hello(*version, suites, link.sni, false, false).to_client_hello();
    match send(link, &hello, *version, ReadUntil::ServerHello).await {
        Reply::Answer(flight) => match flight.messages.first() {
            Some(ServerMessage::ServerHello(_)) => Ok(Some(false)),
            Some(ServerMessage::Alert(_)) => Ok(Some(true)),
            Some(other) => Err(Violation::UnexpectedMessage(other.name()).into()),
            None => Err(ConnError::Closed { partial: false }),
        },
        Reply::Dropped { .. } => Ok(Some(true)),
        Reply::Failed(e) => Err(e),
    }
}

/// The second-highest accepted version with TLS_FALLBACK_SCSV (RFC 7507): a server that
/// supports a higher version must answer inappropriate_fallback.
async fn fallback_scsv(
    link: &Link<'_>,
    plan: Option<&(Protocol, Vec<u16>, Protocol)>,
) -> Result<Fallback, ConnError> {
    let Some((lower, suites, highest)) = plan else {
        return Ok(Fallback::default());
    };
    let hello = legacy_hello(*lower, suites, link.sni, true, true).to_client_hello();
    match send(link, &hello, *lower, ReadUntil::ServerHello).await {
        Reply::Answer(flight) => fallback_from(&flight.messages, *highest),
        Reply::Dropped { times } => Err(ConnError::Violation(Violation::Missing(if times > 0 {
            "an answer to the fallback hello (the server dropped it)"
        } else {
            "an answer to the fallback hello"
        }))),
        Reply::Failed(e) => Err(e),
    }
}

/// What the fallback hello showed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fallback {
    /// `Some(true)` for inappropriate_fallback, `Some(false)` when the server went ahead at
    /// the lower version.
    scsv: Option<bool>,
    /// A TLS 1.3 server that went ahead: whether its ServerHello random ends with the RFC 8446
    /// §4.1.3 downgrade sentinel, which protects TLS 1.3 clients without the SCSV.
    downgrade_sentinel: Option<bool>,
}

/// RFC 8446 §4.1.3: the last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2
/// (`DOWNGRD` then 01) or an older version (then 00).
const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";
const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

/// Reads the fallback hello's answer. Any alert but inappropriate_fallback proves nothing
/// about the SCSV: the check could not be made. Pure, for the tests.
fn fallback_from(messages: &[ServerMessage], highest: Protocol) -> Result<Fallback, ConnError> {
    match messages.first() {
        Some(ServerMessage::Alert(a))
            if a.description == AlertDescription::INAPPROPRIATE_FALLBACK =>
        {
            Ok(Fallback {
                scsv: Some(true),
                downgrade_sentinel: None,
            })
        }
        Some(ServerMessage::Alert(a)) => Err(ConnError::Alert(a.description)),
        Some(ServerMessage::ServerHello(sh)) => {
            let tail = sh.random.get(24..).unwrap_or_default();
            let sentinel = if sh.version() >= Protocol::Tls12.wire() {
                DOWNGRADE_TLS12
            } else {
                DOWNGRADE_TLS11
            };
            Ok(Fallback {
                scsv: Some(false),
                downgrade_sentinel: (highest == Protocol::Tls13).then(|| tail == sentinel),
            })
        }
        Some(other) => Err(Violation::UnexpectedMessage(other.name()).into()),
        None => Err(ConnError::Closed { partial: false }),
    }
}

/// One rustls handshake without a client certificate, when the server asked for one.
async fn client_cert_required(link: &Link<'_>, asked: bool) -> Result<Option<bool>, ConnError> {
    if !asked {
        return Ok(None);
    }
    let (stream, _permit) = link.connect_for_handshake().await?;
    let limit = link.time_left(link.cfg.handshake_timeout);
    let handshake = tls13::client_auth(stream, link.addr, link.sni, limit);
    // The handshake's own limit does not cover the wait for a required-certificate alert.
    let facts = tokio::time::timeout_at(link.deadline, handshake)
        .await
        .map_err(|_| ConnError::BudgetExhausted(link.cfg.endpoint_timeout))??;
    match facts.client_cert_required {
        Some(v) => Ok(Some(v)),
        None => Err(ConnError::Violation(Violation::Missing(
            "a sign of whether the server insists on a client certificate",
        ))),
    }
}

/// One hello with only the accepted DHE suites: the ServerKeyExchange gives the prime size.
/// A server that prefers ECDHE never shows its DH group to the sweeps' first hellos.
async fn dh_bits(
    link: &Link<'_>,
    plan: Option<&(Protocol, Vec<u16>)>,
) -> Result<Option<u32>, ConnError> {
    let Some((version, suites)) = plan else {
        return Ok(None);
    };
    let hello = legacy_hello(*version, suites, link.sni, true, false).to_client_hello();
    let flight = match send(link, &hello, *version, ReadUntil::FlightEnd).await {
        Reply::Answer(flight) => flight,
        Reply::Dropped { .. } => {
            return Err(ConnError::Violation(Violation::Missing(
                "an answer to a hello with the server's own DHE suites",
            )))
        }
        Reply::Failed(e) => return Err(e),
    };
    if let Some(ServerMessage::Alert(a)) = flight.messages.first() {
        return Err(ConnError::Alert(a.description));
    }
    let bits = flight.messages.iter().find_map(|m| match m {
        ServerMessage::ServerKeyExchange(ske) => match ske.params(KxKind::Dhe) {
            Ok(KxParams::Dhe { prime_bits }) => Some(prime_bits),
            _ => None,
        },
        _ => None,
    });
    bits.map(Some)
        .ok_or_else(|| flight.lacks("a readable DHE ServerKeyExchange"))
}

/// Sends a TLS <= 1.2 hello the way every probe does; an answer that chose something the
/// hello did not offer is a failure (a violation), never a fact.
async fn send(link: &Link<'_>, hello: &ClientHello, version: Protocol, until: ReadUntil) -> Reply {
    let hello = hello.padded();
    let bytes = hello.encode_records(version.wire().min(0x0301));
    match link.send(&bytes, until).await {
        Reply::Answer(flight) => match flight.messages.first().map(|m| check_answer(&hello, m)) {
            Some(Err(v)) => Reply::Failed(v.into()),
            _ => Reply::Answer(flight),
        },
        other => other,
    }
}

/// A TLS 1.0–1.2 (or SSLv3) hello like the sweeps send: every curve, every signature scheme.
fn legacy_hello<'a>(
    version: Protocol,
    suites: &'a [u16],
    sni: Option<&'a str>,
    ems: bool,
    fallback: bool,
) -> ProbeHello<'a> {
    ProbeHello {
        version,
        suites,
        sni,
        groups: groups_tls12(),
        key_shares: &[],
        sig_schemes: SIG_SCHEMES,
        ems,
        renegotiation_scsv: version == Protocol::Ssl3,
        fallback_scsv: fallback,
        random: random(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::SuiteCode;
    use crate::wire::{Alert, RawExtension, ServerHello};

    fn sh(suite: u16, compression: u8, exts: &[u16]) -> ServerMessage {
        ServerMessage::ServerHello(ServerHello {
            legacy_version: 0x0303,
            random: [1; 32],
            session_id: Vec::new(),
            cipher_suite: suite,
            compression,
            extensions: exts
                .iter()
                .map(|&typ| RawExtension {
                    typ,
                    body: Vec::new(),
                })
                .collect(),
        })
    }

    fn alert(d: AlertDescription) -> ServerMessage {
        ServerMessage::Alert(Alert {
            level: 2,
            description: d,
        })
    }

    const ALL: [Feature; 3] = [Feature::Compression, Feature::Status, Feature::TicketEtm];

    #[test]
    fn features_read_echoes_and_compression() {
        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: CBC, so encrypt_then_mac is meaningful.
        let done = ServerMessage::ServerHelloDone;
        let f = features_from(&[sh(0xC013, 1, &[22, 35]), done.clone()], &ALL)
            .unwrap()
            .unwrap();
        assert_eq!(f.compression, Some(true));
        assert_eq!(f.session_ticket, Some(true));
        assert_eq!(f.encrypt_then_mac, Some(true));
        assert_eq!(f.ocsp_stapling, Some(false));
        // AES-GCM: no verdict on encrypt_then_mac; an echoed status_request without a
        // CertificateStatus is no stapled response.
        let f = features_from(&[sh(0xC02F, 0, &[5]), done], &ALL)
            .unwrap()
            .unwrap();
        assert_eq!(f.compression, Some(false));
        assert_eq!(f.ocsp_stapling, Some(false));
        assert_eq!(f.encrypt_then_mac, None);
        let stapled = [
            sh(0xC02F, 0, &[5]),
            ServerMessage::CertificateStatus(vec![1]),
        ];
        let f = features_from(&stapled, &ALL).unwrap().unwrap();
        assert_eq!(f.ocsp_stapling, Some(true));
        // A flight cut before ServerHelloDone says nothing about stapling.
        let f = features_from(&[sh(0xC02F, 0, &[5])], &ALL)
            .unwrap()
            .unwrap();
        assert_eq!(f.ocsp_stapling, None);
        assert_eq!(
            features_from(&[alert(AlertDescription::HANDSHAKE_FAILURE)], &ALL).unwrap(),
            None
        );
        // Only what was offered is known.
        let f = features_from(
            &[sh(0xC02F, 0, &[]), ServerMessage::ServerHelloDone],
            &[Feature::Compression],
        )
        .unwrap()
        .unwrap();
        assert_eq!(f.ocsp_stapling, None);
        assert_eq!(f.session_ticket, None);
    }

    #[test]
    fn fallback_needs_the_right_alert() {
        let tls13 = Protocol::Tls13;
        let got = fallback_from(&[alert(AlertDescription::INAPPROPRIATE_FALLBACK)], tls13);
        assert_eq!(got.unwrap().scsv, Some(true));
        let got = fallback_from(&[sh(0xC02F, 0, &[])], tls13).unwrap();
        assert_eq!(got.scsv, Some(false));
        assert_eq!(got.downgrade_sentinel, Some(false));
        let got = fallback_from(&[sh(0xC02F, 0, &[])], Protocol::Tls12).unwrap();
        assert_eq!(got.downgrade_sentinel, None);
        let mut hello = sh(0xC02F, 0, &[]);
        if let ServerMessage::ServerHello(h) = &mut hello {
            h.random[24..].copy_from_slice(b"DOWNGRD\x01");
        }
        assert_eq!(
            fallback_from(&[hello], tls13).unwrap().downgrade_sentinel,
            Some(true)
        );
        // Another alert proves nothing about the SCSV: no fact, and a gap.
        assert!(fallback_from(&[alert(AlertDescription::HANDSHAKE_FAILURE)], tls13).is_err());
    }

    fn accepted(versions: &[(Protocol, &[u16])]) -> BTreeMap<Protocol, Accepted> {
        versions
            .iter()
            .map(|(v, codes)| {
                (
                    *v,
                    Accepted {
                        suites: codes.iter().map(|&c| SuiteCode(u32::from(c))).collect(),
                        server_order: None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn legacy_version_is_the_highest_with_extensions() {
        let a = accepted(&[
            (Protocol::Tls13, &[0x1301]),
            (Protocol::Tls11, &[0x002F]),
            (Protocol::Ssl3, &[0x002F]),
        ]);
        let known = Known::new(&a, None, None, None, false);
        assert_eq!(known.legacy_version().unwrap().0, Protocol::Tls11);
        let a = accepted(&[(Protocol::Tls13, &[0x1301]), (Protocol::Ssl3, &[0x002F])]);
        assert!(Known::new(&a, None, None, None, false)
            .legacy_version()
            .is_none());
    }

    #[test]
    fn the_plan_names_the_probes_that_apply() {
        // TLS 1.3 + TLS 1.2 ECDHE-RSA AES-GCM, EMS echoed, no client certificate.
        let a = accepted(&[(Protocol::Tls13, &[0x1301]), (Protocol::Tls12, &[0xC02F])]);
        let known = Known::new(&a, Some(true), None, None, true);
        assert_eq!(
            Plan::new(&known).probes(),
            [
                Probe::Groups(Protocol::Tls12),
                Probe::Groups(Protocol::Tls13),
                Probe::Features,
                Probe::EmsRequired,
                Probe::Fallback,
                Probe::SigSchemes(Protocol::Tls12),
                Probe::SigSchemes(Protocol::Tls13),
            ]
        );
        // EMS not echoed: known not required at no cost; a DHE suite adds the DH probe.
        let a = accepted(&[(Protocol::Tls12, &[0x009E])]);
        let known = Known::new(
            &a,
            Some(false),
            Some(ClientCertificate::Requested),
            None,
            false,
        );
        assert_eq!(
            Plan::new(&known).probes(),
            [
                Probe::Features,
                Probe::ClientCertificate,
                Probe::DhGroup,
                Probe::SigSchemes(Protocol::Tls12)
            ]
        );
    }

    #[test]
    fn not_run_probes_are_gaps_with_the_cause() {
        let a = accepted(&[(Protocol::Tls12, &[0xC02F])]);
        let known = Known::new(&a, Some(true), None, None, false);
        let x = not_run(&known, GapCause::Skipped(crate::model::Skip::SuitesOnly));
        let probes: Vec<Probe> = x.gaps.iter().map(|g| g.probe).collect();
        assert_eq!(
            probes,
            [
                Probe::Groups(Protocol::Tls12),
                Probe::Features,
                Probe::EmsRequired,
                Probe::SigSchemes(Protocol::Tls12)
            ]
        );
        assert!(x.features.compression.is_none());
    }
}

//! A configuration's certificates as labelled lines: for the leaf its subject, names (SANs),
//! whether they cover the name scanned, key, signature, validity (to the day), issuer and
//! fingerprint; the rest of the chain a line each. A server serving several chains (an RSA and
//! an ECDSA one) has each shown, with what it was served for. The members of a configuration
//! usually have certificates of their own (the grouping leaves certificates out): those that
//! read alike but for their fingerprints are shown once, with how many there are, and unlike
//! ones each with the endpoints that send them. Everything here comes from the server and is
//! escaped by the lines it goes through. No I/O.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use super::facts::Row;
use super::Renderer;
use crate::model::{CertInfo, Certificate, Endpoint, Status};
use crate::report::fleet::{self, Config};

/// Kinds of certificate shown for one configuration; the JSON report has the rest.
const MAX_KINDS: usize = 10;
/// Address runs named for the senders of one kind of certificate.
const SENDER_RUNS: usize = 4;

/// Certificates that read the same but for their fingerprints, and who sent them.
struct Kind<'r> {
    first: Option<&'r Certificate>,
    /// The distinct certificate sets (by fingerprints).
    distinct: BTreeSet<Vec<&'r str>>,
    senders: Vec<&'r Endpoint>,
}

impl Renderer<'_> {
    pub(super) fn certificates(&self, c: &Config<'_>, out: &mut String) {
        let mut kinds: Vec<Kind<'_>> = Vec::new();
        let mut index: HashMap<Option<Vec<Row>>, usize> = HashMap::new();
        for e in c.members() {
            let cert = e.certificate.as_ref();
            let key = cert.map(|c| rows_of(c, false));
            let at = *index.entry(key).or_insert_with(|| {
                kinds.push(Kind {
                    first: cert,
                    distinct: BTreeSet::new(),
                    senders: Vec::new(),
                });
                kinds.len().saturating_sub(1)
            });
            if let Some(k) = kinds.get_mut(at) {
                k.senders.push(e);
                if let Some(cert) = cert {
                    k.distinct.insert(fingerprints(cert));
                }
            }
        }
        match kinds.as_slice() {
            [] => {}
            [k] => match k.first {
                Some(cert) => self.certificate(cert, k.distinct.len(), 2, out),
                None if c.representative().status == Status::Tls => {
                    self.labelled(2, "Certificate", "none read", out);
                }
                None => {}
            },
            _ => {
                self.heading(2, &format!("Certificates ({} kinds):", kinds.len()), out);
                for k in kinds.iter().take(MAX_KINDS) {
                    let senders = fleet::runs(&k.senders);
                    let mut by = senders
                        .iter()
                        .take(SENDER_RUNS)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ");
                    if senders.len() > SENDER_RUNS {
                        let _ = write!(by, " and {} more", senders.len() - SENDER_RUNS);
                    }
                    match k.first {
                        Some(cert) => {
                            self.heading(4, &format!("Sent by {by}:"), out);
                            self.certificate(cert, k.distinct.len(), 6, out);
                        }
                        None => self.labelled(4, &format!("Sent by {by}"), "none read", out),
                    }
                }
                if kinds.len() > MAX_KINDS {
                    let line = format!(
                        "and {} more kinds of certificate (the JSON report has them all)",
                        kinds.len() - MAX_KINDS
                    );
                    self.wrapped(&line, "    ", "      ", out);
                }
            }
        }
    }

    /// One certificate (its chain, or every chain it serves) at `indent`; `distinct` is how
    /// many certificates read like it.
    fn certificate(&self, cert: &Certificate, distinct: usize, indent: usize, out: &mut String) {
        if cert.chains.is_empty() {
            self.heading(indent, "Certificate:", out);
            self.chain_rows(&cert.chain, cert.name_matches, indent + 2, out);
        } else {
            self.heading(
                indent,
                &format!(
                    "Certificates: the server serves {} chains, each graded:",
                    cert.chains.len()
                ),
                out,
            );
            for (i, chain) in cert.chains.iter().enumerate() {
                let title = format!("Chain {}, served for {}:", i + 1, chain.served_for);
                self.heading(indent + 2, &title, out);
                self.chain_rows(&chain.chain, chain.name_matches, indent + 4, out);
            }
        }
        for (label, value) in tail_rows(cert) {
            self.labelled(indent + 2, &label, &value, out);
        }
        if distinct > 1 {
            let line = format!(
                "{distinct} different certificates read like this (the JSON report has each \
                 fingerprint)"
            );
            self.labelled(indent + 2, "SHA-256", &line, out);
        }
    }

    fn chain_rows(
        &self,
        chain: &[CertInfo],
        name_matches: Option<bool>,
        indent: usize,
        out: &mut String,
    ) {
        for (label, value) in leaf_rows(chain, name_matches, true) {
            self.labelled(indent, &label, &value, out);
        }
        for (i, c) in chain.iter().enumerate().skip(1) {
            let line = format!("{}. {}", i + 1, one_line(c));
            self.wrapped(&line, &" ".repeat(indent + 2), &" ".repeat(indent + 5), out);
        }
    }
}

fn fingerprints(cert: &Certificate) -> Vec<&str> {
    cert.all_certificates()
        .into_iter()
        .map(|(_, c)| c.sha256.as_str())
        .collect()
}

/// Everything shown of a certificate, fingerprints only when `with_fingerprint`: what tells
/// two kinds apart.
fn rows_of(cert: &Certificate, with_fingerprint: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    let chains: Vec<(&[CertInfo], Option<bool>, &str)> = if cert.chains.is_empty() {
        vec![(cert.chain.as_slice(), cert.name_matches, "")]
    } else {
        cert.chains
            .iter()
            .map(|c| (c.chain.as_slice(), c.name_matches, c.served_for.as_str()))
            .collect()
    };
    for (chain, matches, served_for) in chains {
        rows.push(("Chain".to_string(), served_for.to_string()));
        rows.extend(leaf_rows(chain, matches, with_fingerprint));
        for c in chain.iter().skip(1) {
            rows.push((String::new(), one_line(c)));
        }
    }
    rows.extend(tail_rows(cert));
    rows
}

/// The leaf's rows.
fn leaf_rows(chain: &[CertInfo], name_matches: Option<bool>, with_fingerprint: bool) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let Some(leaf) = chain.first() else {
        return rows;
    };
    let mut push = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            rows.push((label.to_string(), v));
        }
    };
    push("Unparseable", leaf.parse_error.clone());
    push("Subject", leaf.subject.clone());
    if !leaf.sans.is_empty() {
        push("Names", Some(leaf.sans.join(", ")));
    }
    push(
        "Covers the name scanned",
        name_matches.map(|m| if m { "yes" } else { "no" }.to_string()),
    );
    push("Key", key(leaf));
    push("Signature", leaf.signature_algorithm.clone());
    push("Valid", validity(leaf));
    let issuer = leaf.issuer.as_ref().map(|i| {
        if leaf.self_signed == Some(true) {
            format!("{i} (self-signed)")
        } else {
            i.clone()
        }
    });
    push("Issuer", issuer);
    if with_fingerprint && !leaf.sha256.is_empty() {
        push("SHA-256", Some(leaf.sha256.clone()));
    }
    if chain.len() > 1 {
        push(
            "Chain",
            Some(format!(
                "{} more certificate{} sent after the leaf",
                chain.len() - 1,
                if chain.len() == 2 { "" } else { "s" }
            )),
        );
    }
    rows
}

/// Why a chain was not (wholly) read.
fn tail_rows(cert: &Certificate) -> Vec<Row> {
    let mut rows = Vec::new();
    if cert.chain.is_empty() && cert.chains.is_empty() {
        let why = cert
            .error
            .as_deref()
            .unwrap_or("no certificate in the answer");
        rows.push(("Not read".to_string(), why.to_string()));
    } else if let Some(e) = &cert.error {
        rows.push(("Reading stopped".to_string(), e.clone()));
    }
    if let Some(t) = &cert.truncated {
        rows.push(("Chain cut".to_string(), t.clone()));
    }
    rows
}

/// A certificate after the leaf: `CN=Intermediate · RSA 4096 bits · sha384WithRSAEncryption ·
/// 2026-01-01 to 2030-01-01`.
fn one_line(c: &CertInfo) -> String {
    if let Some(e) = &c.parse_error {
        return format!("unparseable: {e}");
    }
    [
        c.subject.clone(),
        key(c),
        c.signature_algorithm.clone(),
        validity(c),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ")
}

/// `RSA 2048 bits`, `EC secp256r1 (256 bits)`.
fn key(c: &CertInfo) -> Option<String> {
    let mut s = c.key_type.map(|k| k.label().to_string())?;
    if let Some(curve) = &c.curve {
        let _ = write!(s, " {curve}");
    }
    match (c.key_bits, c.curve.is_some()) {
        (Some(bits), true) => {
            let _ = write!(s, " ({bits} bits)");
        }
        (Some(bits), false) => {
            let _ = write!(s, " {bits} bits");
        }
        (None, _) => {}
    }
    Some(s)
}

/// `2026-12-01 to 2027-12-02 (364 days left)`, or `... (EXPIRED 30 days ago)`.
fn validity(c: &CertInfo) -> Option<String> {
    let day = |s: &String| s.get(..10).unwrap_or(s).to_string();
    let to = c.not_after.as_ref().map(day)?;
    let from = c
        .not_before
        .as_ref()
        .map(|f| format!("{} to ", day(f)))
        .unwrap_or_else(|| "until ".to_string());
    let left = match c.days_left {
        Some(d) if d < 0 => format!(
            " (EXPIRED {} day{} ago)",
            d.unsigned_abs(),
            if d == -1 { "" } else { "s" }
        ),
        Some(d) => format!(" ({d} day{} left)", if d == 1 { "" } else { "s" }),
        None => String::new(),
    };
    Some(format!("{from}{to}{left}"))
}

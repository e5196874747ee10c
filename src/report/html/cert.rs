//! A configuration's certificates: key, signature, validity, names, issuer and fingerprint of
//! the leaf, and the rest of the chain in a line each; a server serving several chains has each
//! shown with what it was served for (`certificate.chains`). Members of one configuration usually
//! have certificates of their own (the grouping leaves certificates out, `report::fleet`):
//! certificates alike but for their fingerprints are shown once, with how many there are, and
//! unlike ones are rows of a table with the endpoints that send them.
//! Everything here comes from the server and is escaped. No I/O.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::escape::text;
use crate::model::{CertInfo, Certificate, Endpoint, Status};
use crate::report::fleet::{self, Config};

/// Kinds of certificate shown in a configuration's table; the JSON report has the rest.
const MAX_ROWS: usize = 50;
/// SANs listed in a table cell before the rest are counted.
const MAX_SANS: usize = 6;

pub(super) fn write(out: &mut String, c: &Config<'_>) {
    // Certificates that differ only by their key and fingerprint (each node of a fleet has its
    // own) read the same to an auditor: one row, with the count of distinct certificates.
    let mut shapes: Vec<Shape<'_>> = Vec::new();
    let mut index: HashMap<Option<String>, usize> = HashMap::new();
    for e in c.members() {
        let cert = e.certificate.as_ref();
        // What the page shows of it (dates to the day), without the fingerprint.
        let key = cert.map(|c| {
            let mut shown = String::new();
            detail(&mut shown, c, 0);
            shown
        });
        let fingerprints: Vec<&str> = cert
            .map(|c| c.chain.iter().map(|i| i.sha256.as_str()).collect())
            .unwrap_or_default();
        let at = *index.entry(key).or_insert_with(|| {
            shapes.push(Shape {
                first: cert,
                certs: HashSet::new(),
                senders: Vec::new(),
            });
            shapes.len().saturating_sub(1)
        });
        if let Some(s) = shapes.get_mut(at) {
            s.senders.push(e);
            s.certs.insert(fingerprints);
        }
    }
    match shapes.as_slice() {
        [s] => match s.first {
            Some(cert) => detail(out, cert, s.certs.len()),
            None if c.representative().status == Status::Tls => {
                out.push_str("<p class=\"note\">No certificate was read.</p>\n");
            }
            None => {}
        },
        _ => table(out, &shapes),
    }
}

/// Certificates that read the same but for their fingerprints, and who sent them.
struct Shape<'r> {
    first: Option<&'r Certificate>,
    /// The distinct chains, by their certificates' fingerprints.
    certs: HashSet<Vec<&'r str>>,
    senders: Vec<&'r Endpoint>,
}

/// The certificate's facts (every chain the server serves, each with what it was served for);
/// `distinct` is how many certificates (by fingerprint) read like it (0: leave the fingerprint
/// out).
fn detail(out: &mut String, cert: &Certificate, distinct: usize) {
    if cert.chains.is_empty() {
        out.push_str("<div class=\"cert\"><h4>Certificate</h4>");
        if cert.chain.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"srv\">Not read: {}</p></div>",
                text(
                    cert.error
                        .as_deref()
                        .unwrap_or("no certificate in the answer")
                )
            );
            return;
        }
        chain(out, &cert.chain, cert.name_matches, distinct);
    } else {
        let _ = write!(
            out,
            "<div class=\"cert\"><h4>Certificates</h4><p class=\"note\">The server serves {} \
             certificate chains, and each is graded.</p>",
            cert.chains.len()
        );
        for (i, c) in cert.chains.iter().enumerate() {
            let _ = write!(
                out,
                "<p class=\"chain-title\"><b>Chain {}</b>, served for <span class=\"srv\">{}</span></p>",
                i.saturating_add(1),
                text(&c.served_for)
            );
            chain(out, &c.chain, c.name_matches, distinct);
        }
    }
    out.push_str("<dl>");
    if let Some(t) = &cert.truncated {
        row(out, "Chain cut", Some(text(t).to_string()));
    }
    if let Some(e) = cert.error.as_deref().filter(|_| !cert.chain.is_empty()) {
        row(out, "Reading stopped", Some(text(e).to_string()));
    }
    out.push_str("</dl></div>\n");
}

/// One chain: the leaf's facts, then the rest a line each.
fn chain(out: &mut String, chain: &[CertInfo], name_matches: Option<bool>, distinct: usize) {
    let Some(leaf) = chain.first() else {
        out.push_str("<p class=\"note\">No certificate in this chain.</p>");
        return;
    };
    out.push_str("<dl>");
    if let Some(e) = &leaf.parse_error {
        let _ = write!(
            out,
            "<dt>Unparseable</dt><dd class=\"srv\">{}</dd>",
            text(e)
        );
    }
    row(
        out,
        "Subject",
        leaf.subject.as_deref().map(|s| text(s).to_string()),
    );
    let issuer = leaf.issuer.as_deref().map(|i| {
        let own = if leaf.self_signed == Some(true) {
            " <small>(self-signed)</small>"
        } else {
            ""
        };
        format!("{}{own}", text(i))
    });
    row(out, "Issuer", issuer);
    if !leaf.sans.is_empty() {
        let names: Vec<String> = leaf.sans.iter().map(|s| text(s).to_string()).collect();
        row(out, "Names (SAN)", Some(names.join(", ")));
    }
    row(
        out,
        "Covers the name scanned",
        name_matches.map(|m| if m { "yes" } else { "no" }.to_string()),
    );
    row(out, "Key", key(leaf));
    row(out, "Signature", signature(leaf));
    row(out, "Valid", validity(leaf));
    // 0 is the grouping key of `write`: everything but the fingerprint.
    let fingerprint = match distinct {
        0 => None,
        1 => (!leaf.sha256.is_empty())
            .then(|| format!("<code class=\"hash\">{}</code>", text(&leaf.sha256))),
        n => Some(format!(
            "{n} different certificates with these facts (the JSON report has each fingerprint)"
        )),
    };
    row(out, "SHA-256", fingerprint);
    let rest: Vec<String> = chain
        .iter()
        .skip(1)
        .map(|c| {
            let facts = [
                c.subject.as_deref().map(|s| text(s).to_string()),
                key(c),
                signature(c),
                validity(c),
            ];
            facts.into_iter().flatten().collect::<Vec<_>>().join(" · ")
        })
        .collect();
    if !rest.is_empty() {
        row(
            out,
            "Rest of the chain",
            Some(format!(
                "<ol class=\"chain\"><li>{}</li></ol>",
                rest.join("</li><li>")
            )),
        );
    }
    out.push_str("</dl>");
}

fn table(out: &mut String, shapes: &[Shape<'_>]) {
    let _ = write!(
        out,
        "<div class=\"cert\"><h4>Certificates</h4>\n<table class=\"certs\">\
         <thead><tr><th>Sent by</th><th>Subject and names</th><th>Key</th><th>Signature</th>\
         <th>Valid</th></tr></thead>\n<tbody>\n"
    );
    for shape in shapes.iter().take(MAX_ROWS) {
        let mut by = text(&fleet::runs(&shape.senders).join(", ")).to_string();
        if shape.certs.len() > 1 {
            let _ = write!(
                by,
                "<br><small>{} different certificates</small>",
                shape.certs.len()
            );
        }
        let Some(leaf) = shape.first.and_then(Certificate::leaf) else {
            let why = shape
                .first
                .and_then(|c| c.error.as_deref())
                .unwrap_or("no certificate read");
            let _ = writeln!(
                out,
                "<tr><td class=\"addr\">{by}</td><td colspan=\"4\" class=\"srv\">{}</td></tr>",
                text(why)
            );
            continue;
        };
        let mut names: Vec<String> = leaf
            .sans
            .iter()
            .take(MAX_SANS)
            .map(|s| text(s).to_string())
            .collect();
        if leaf.sans.len() > MAX_SANS {
            names.push(format!(
                "and {} more",
                leaf.sans.len().saturating_sub(MAX_SANS)
            ));
        }
        if let Some(n) = shape.first.map(|c| c.chains.len()).filter(|n| *n > 0) {
            names.push(format!("the default of {n} chains served"));
        }
        let subject = leaf.subject.as_deref().map(|s| text(s).to_string());
        let _ = writeln!(
            out,
            "<tr><td class=\"addr\">{by}</td><td class=\"srv\">{}<br><small>{}</small></td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            subject.unwrap_or_default(),
            names.join(", "),
            key(leaf).unwrap_or_default(),
            signature(leaf).unwrap_or_default(),
            validity(leaf).unwrap_or_default(),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if shapes.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "<p class=\"note\">and {} more kinds of certificate (the JSON report has them all)</p>",
            shapes.len().saturating_sub(MAX_ROWS)
        );
    }
    out.push_str("</div>\n");
}

fn row(out: &mut String, label: &str, html: Option<String>) {
    if let Some(v) = html {
        let _ = write!(out, "<dt>{label}</dt><dd class=\"srv\">{v}</dd>");
    }
}

/// `RSA 2048 bits`, `EC secp256r1 (256 bits)`.
fn key(c: &CertInfo) -> Option<String> {
    let kind = c.key_type.map(|k| k.label())?;
    let mut s = kind.to_string();
    if let Some(curve) = &c.curve {
        let _ = write!(s, " {}", text(curve));
    }
    if let Some(bits) = c.key_bits {
        if c.curve.is_some() {
            let _ = write!(s, " ({bits} bits)");
        } else {
            let _ = write!(s, " {bits} bits");
        }
    }
    Some(s)
}

fn signature(c: &CertInfo) -> Option<String> {
    c.signature_algorithm
        .as_deref()
        .map(|a| text(a).to_string())
}

/// `2026-12-01 to 2027-12-02 (364 days left)`, with an expired date marked.
fn validity(c: &CertInfo) -> Option<String> {
    let day = |s: &String| text(s.get(..10).unwrap_or(s)).to_string();
    let to = c.not_after.as_ref().map(day)?;
    let from = c
        .not_before
        .as_ref()
        .map(|f| format!("{} to ", day(f)))
        .unwrap_or_else(|| "until ".to_string());
    let left = match c.days_left {
        Some(d) if d < 0 => format!(
            " <span class=\"g no\">✗ expired {} day{} ago</span>",
            d.unsigned_abs(),
            if d == -1 { "" } else { "s" }
        ),
        Some(d) => format!(" ({d} day{} left)", if d == 1 { "" } else { "s" }),
        None => String::new(),
    };
    Some(format!("{from}{to}{left}"))
}

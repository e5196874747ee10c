//! A configuration's key exchange (groups per version, preferred group, DHE size, signature
//! schemes) and TLS behaviour (`extensions`), as short labelled lines an auditor can quote.
//! Only what is known is listed: an unknown fact is left out, as in the JSON report, and the
//! checks that needed it are listed under the findings. No I/O.

use std::fmt::Write as _;

use super::escape::{suite, text};
use crate::model::{ClientCertificate, Endpoint, Facts};

pub(super) fn write(out: &mut String, e: &Endpoint) {
    let kx = key_exchange(e);
    let behaviour = behaviour(&e.extensions);
    if kx.is_empty() && behaviour.is_empty() {
        return;
    }
    out.push_str("<div class=\"facts\">\n");
    for (title, rows) in [("Key exchange", kx), ("TLS behaviour", behaviour)] {
        if rows.is_empty() {
            continue;
        }
        let _ = write!(out, "<div><h4>{title}</h4><dl>");
        for (label, value) in rows {
            let _ = write!(out, "<dt>{label}</dt><dd>{value}</dd>");
        }
        out.push_str("</dl></div>\n");
    }
    out.push_str("</div>\n");
}

/// Rows of (label, HTML value); values are escaped here.
fn key_exchange(e: &Endpoint) -> Vec<(String, String)> {
    let f = &e.extensions;
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| suite(i).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut rows = Vec::new();
    if f.groups.is_empty() {
        if !e.groups.is_empty() {
            rows.push(("Groups".to_string(), list(&e.groups)));
        }
    } else {
        for (version, groups) in f.groups.iter().rev() {
            rows.push((format!("Groups {version}"), list(groups)));
        }
    }
    if let Some(g) = &f.preferred_group {
        rows.push(("Preferred group".into(), text(g).to_string()));
    }
    if let Some(bits) = f.dh_bits {
        rows.push(("DHE prime".into(), format!("{bits} bits")));
    }
    if !f.signature_schemes.is_empty() {
        rows.push(("Signs with".into(), list(&f.signature_schemes)));
    }
    rows
}

fn behaviour(f: &Facts) -> Vec<(String, String)> {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut rows: Vec<(&str, String)> = Vec::new();
    match (f.extended_master_secret, f.ems_required) {
        (Some(true), Some(true)) => rows.push(("Extended master secret", "required".into())),
        (Some(true), Some(false)) => {
            rows.push(("Extended master secret", "used, not required".into()))
        }
        (Some(true), None) => rows.push(("Extended master secret", "used".into())),
        (Some(false), _) => rows.push(("Extended master secret", "not used".into())),
        (None, Some(r)) => rows.push((
            "Extended master secret",
            if r { "required" } else { "not required" }.into(),
        )),
        (None, None) => {}
    }
    if let Some(v) = f.secure_renegotiation {
        rows.push(("Secure renegotiation", yes_no(v).into()));
    }
    if let Some(v) = f.compression {
        rows.push((
            "TLS compression",
            if v { "ON (DEFLATE chosen)" } else { "off" }.into(),
        ));
    }
    if let Some(v) = f.encrypt_then_mac {
        rows.push(("Encrypt-then-MAC (CBC)", yes_no(v).into()));
    }
    if let Some(v) = f.ocsp_stapling {
        rows.push(("OCSP stapling", yes_no(v).into()));
    }
    if let Some(v) = f.session_ticket {
        rows.push(("Session tickets", yes_no(v).into()));
    }
    if let Some(v) = f.fallback_scsv {
        rows.push((
            "Fallback SCSV",
            if v {
                "honoured: a downgraded hello is refused"
            } else {
                "not honoured"
            }
            .into(),
        ));
    }
    if let Some(v) = f.downgrade_sentinel {
        rows.push(("TLS 1.3 downgrade sentinel", yes_no(v).into()));
    }
    if let Some(c) = f.client_certificate {
        let words = match c {
            ClientCertificate::NotRequested => "not requested",
            ClientCertificate::Requested => "requested",
            ClientCertificate::Optional => "requested, optional",
            ClientCertificate::Required => "required",
        };
        rows.push(("Client certificate", words.into()));
    }
    rows.into_iter().map(|(l, v)| (l.to_string(), v)).collect()
}

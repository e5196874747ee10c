//! An endpoint's key exchange (groups per version, preferred group, DHE size, signature
//! schemes per version) and TLS behaviour (`extensions`: EMS, renegotiation, compression,
//! OCSP, tickets, fallback, downgrade sentinel, client certificates, hello intolerance) as
//! labelled rows in words an auditor can quote. Only what is known is listed: an unknown fact
//! is left out, as in the JSON report, and the checks that needed it are listed as not made.
//! The rows are plain text, not yet escaped; the table and the HTML report both show them
//! (each escapes them its own way). No I/O.

use crate::model::{ClientCertificate, Endpoint, Facts, HelloLimit};
use crate::protocol::Protocol;

use super::Renderer;

/// A label and its value.
pub(crate) type Row = (String, String);

/// The key-exchange rows of an endpoint.
pub(crate) fn key_exchange(e: &Endpoint) -> Vec<Row> {
    let f = &e.extensions;
    let mut rows = Vec::new();
    if f.groups.is_empty() {
        if !e.groups.is_empty() {
            rows.push(("Groups".to_string(), e.groups.join(", ")));
        }
    } else {
        for (version, groups) in f.groups.iter().rev() {
            rows.push((format!("Groups {version}"), groups.join(", ")));
        }
    }
    if let Some(g) = &f.preferred_group {
        rows.push(("Preferred group".into(), g.clone()));
    }
    if let Some(bits) = f.dh_bits {
        rows.push(("DHE prime".into(), format!("{bits} bits")));
    }
    if f.signature_schemes_by_version.is_empty() {
        if !f.signature_schemes.is_empty() {
            rows.push(("Signs with".into(), f.signature_schemes.join(", ")));
        }
    } else {
        for (version, schemes) in f.signature_schemes_by_version.iter().rev() {
            rows.push((format!("Signs with {version}"), schemes.join(", ")));
        }
    }
    if let Some(s) = &f.scheme_without_signature_algorithms {
        rows.push((
            "Without signature_algorithms".into(),
            format!("a TLSv1.2 hello without the extension was signed with {s}"),
        ));
    }
    rows
}

/// The behaviour rows of an endpoint.
pub(crate) fn behaviour(f: &Facts) -> Vec<Row> {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut rows: Vec<(&str, String)> = Vec::new();
    let ems = match (f.extended_master_secret, f.ems_required) {
        (Some(true), Some(true)) => Some("required: a TLSv1.2 hello without it is refused"),
        (Some(true), Some(false)) => {
            Some("used, not required: a TLSv1.2 hello without it is accepted")
        }
        (Some(true), None) => Some("used"),
        (Some(false), _) => Some("not used"),
        (None, Some(true)) => Some("required"),
        (None, Some(false)) => Some("not required"),
        (None, None) => None,
    };
    if let Some(ems) = ems {
        rows.push(("Extended master secret", ems.into()));
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
                "not honoured: a downgraded hello is accepted"
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
    let mut rows: Vec<Row> = rows.into_iter().map(|(l, v)| (l.to_string(), v)).collect();
    for (version, limit) in f.hello_limits.iter().rev() {
        rows.push((
            format!("Hello size {version}"),
            hello_limit(*version, limit),
        ));
    }
    rows
}

/// What a hello-intolerant server refused and how the sweep got its answers anyway.
fn hello_limit(version: Protocol, l: &HelloLimit) -> String {
    let extensions = if l.without_optional_extensions {
        " and left out the optional extensions (extended_master_secret, renegotiation_info)"
    } else {
        ""
    };
    format!(
        "the server refused larger {version} hellos (hello intolerance); fipsprobe offered at \
         most {} suites per hello{extensions}",
        l.max_suites
    )
}

impl Renderer<'_> {
    /// `  Key exchange:` and `  Behaviour:` with their rows, when anything is known.
    pub(super) fn facts(&self, e: &Endpoint, out: &mut String) {
        for (title, rows) in [
            ("Key exchange:", key_exchange(e)),
            ("Behaviour:", behaviour(&e.extensions)),
        ] {
            if rows.is_empty() {
                continue;
            }
            self.heading(2, title, out);
            for (label, value) in rows {
                self.labelled(4, &label, &value, out);
            }
        }
    }
}

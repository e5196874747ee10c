//! A configuration's key exchange (groups per version, preferred group, DHE size, signature
//! schemes per version) and TLS behaviour (`extensions`, hello intolerance included), as short
//! labelled lines an auditor can quote: the same rows, in the same words, as the table's
//! (`report::table`), escaped here. Only what is known is listed: an unknown fact is left out,
//! as in the JSON report, and the checks that needed it are listed under the findings. No I/O.

use std::fmt::Write as _;

use super::escape::text;
use crate::model::Endpoint;
use crate::report::table::{behaviour_rows, key_exchange_rows};

pub(super) fn write(out: &mut String, e: &Endpoint) {
    let kx = key_exchange_rows(e);
    let behaviour = behaviour_rows(&e.extensions);
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
            // Lists of names break between names (`, `), never inside one.
            let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", text(&label), text(&value));
        }
        out.push_str("</dl></div>\n");
    }
    out.push_str("</div>\n");
}

//! Text for `fipsprobe suites` and `fipsprobe policy list`: the database graded by a policy,
//! and the bundled policies with their hashes (`policy show` is `show.rs`). Returns strings;
//! printing is the caller's job.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::{json, Value};

use super::rules::Rule;
use super::Policy;
use crate::cipher_db::{CipherDb, Suite};
use crate::protocol::Protocol;

/// Output format of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// A comfy-table for people.
    Table,
    /// Pretty JSON.
    Json,
    /// CSV with a header row.
    Csv,
}

/// Which suites `suites_listing` shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuiteFilter {
    /// Only suites the policy approves (approved or discouraged).
    pub approved_only: bool,
    /// Only suites negotiable in this version (graded in it).
    pub version: Option<Protocol>,
}

/// The grade shown for a suite: in `version` when filtering, else in its highest version.
fn suite_grade<'p>(
    policy: &'p Policy,
    s: &Suite,
    version: Option<Protocol>,
) -> Option<(&'p Rule, Protocol)> {
    // SCSV and GREASE values are never negotiated: nothing to grade.
    if s.flags.scsv || s.flags.grease {
        return None;
    }
    let p = version.or_else(|| s.highest_version())?;
    Some((policy.suite_verdict(s, p).rule(), p))
}

/// The cipher database graded by `policy`, filtered, in offer order.
pub fn suites_listing(
    db: &CipherDb,
    policy: &Policy,
    filter: &SuiteFilter,
    format: ListFormat,
) -> String {
    let rows: Vec<(&Suite, Option<(&Rule, Protocol)>)> = db
        .suites()
        .iter()
        // JSON and CSV list every registry value; the table leaves out SCSV and GREASE.
        .filter(|s| format != ListFormat::Table || !(s.flags.scsv || s.flags.grease))
        .filter(|s| filter.version.is_none_or(|v| s.negotiable_in(v)))
        .map(|s| (s, suite_grade(policy, s, filter.version)))
        .filter(|(_, g)| !filter.approved_only || g.is_some_and(|(r, _)| r.outcome.is_approved()))
        .collect();
    match format {
        ListFormat::Json => {
            let list: Vec<Value> = rows.iter().map(|(s, g)| suite_json(s, *g)).collect();
            let doc = json!({
                "policy": {"id": policy.id(), "sha256": policy.sha256()},
                "suites": list,
            });
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
        }
        ListFormat::Csv => {
            let mut out = String::from(
                "code,iana,openssl,versions,kx,auth,cipher,mode,bits,mac,flags,grade,rule,source\n",
            );
            for (s, g) in &rows {
                let (grade, rule, source) = grade_cells(*g);
                let cells = [
                    format!("0x{:04X}", s.code),
                    s.iana.clone(),
                    s.openssl.clone().unwrap_or_default(),
                    versions(s),
                    s.kx.to_string(),
                    s.auth.to_string(),
                    s.cipher.alg.to_string(),
                    s.cipher.mode.to_string(),
                    s.cipher.bits.to_string(),
                    s.mac.to_string(),
                    s.flags.labels().join(" "),
                    grade,
                    rule,
                    source,
                ];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
            out
        }
        ListFormat::Table => {
            let mut t = table();
            t.set_header(vec![
                "code",
                "IANA name",
                "OpenSSL name",
                "versions",
                "kx/auth",
                "cipher",
                "mac",
                "grade",
                "rule",
            ]);
            for (s, g) in &rows {
                let (grade, rule, _) = grade_cells(*g);
                t.add_row(vec![
                    format!("0x{:04X}", s.code),
                    s.iana.clone(),
                    s.openssl.clone().unwrap_or_default(),
                    version_range(s),
                    format!("{}/{}", s.kx, s.auth),
                    s.cipher.to_string(),
                    s.mac.to_string(),
                    grade_symbol(&grade),
                    rule,
                ]);
            }
            format!(
                "{t}\n{} suites graded by {} ({})\n",
                rows.len(),
                policy.id(),
                policy.title()
            )
        }
    }
}

fn suite_json(s: &Suite, g: Option<(&Rule, Protocol)>) -> Value {
    json!({
        "code": format!("0x{:04X}", s.code),
        "iana": s.iana,
        "openssl": s.openssl,
        "versions": s.versions,
        "kx": s.kx,
        "auth": s.auth,
        "cipher": s.cipher.alg,
        "mode": s.cipher.mode,
        "bits": s.cipher.bits,
        "mac": s.mac,
        "prf": s.prf,
        "flags": s.flags.labels(),
        "iana_registered": s.flags.iana,
        "reference": s.reference,
        "rank": s.rank,
        "grade": g.map(|(r, p)| json!({
            "outcome": r.outcome.label(),
            "approved": r.outcome.is_approved(),
            "protocol": p,
            "rule": r.id,
            "source": r.source,
        })),
    })
}

fn grade_cells(g: Option<(&Rule, Protocol)>) -> (String, String, String) {
    match g {
        Some((r, _)) => (
            r.outcome.label().to_string(),
            r.id.clone(),
            r.source.clone(),
        ),
        None => ("n/a".into(), String::new(), String::new()),
    }
}

/// A symbol with every grade, so the table reads without colour.
fn grade_symbol(grade: &str) -> String {
    match grade {
        "approved" => "✓ approved".into(),
        "discouraged" => "! discouraged".into(),
        "warn" => "! warn".into(),
        "fail" => "✗ fail".into(),
        other => other.into(),
    }
}

fn versions(s: &Suite) -> String {
    let v: Vec<&str> = s.versions.iter().map(|p| p.label()).collect();
    v.join(" ")
}

/// `SSLv3–TLSv1.2` for a table cell (a suite's versions are always contiguous).
fn version_range(s: &Suite) -> String {
    match (s.versions.first(), s.versions.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

pub(super) fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn table() -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    // Off a terminal comfy-table knows no width and would never wrap the long source texts.
    if t.width().is_none() {
        t.set_width(140);
    }
    t
}

/// The bundled policies with their titles and hashes.
pub fn policy_list() -> String {
    // Plain lines rather than a table: the hashes are meant to be copied whole, and a table
    // with a 64-character column does not fit 80 columns.
    let mut out = String::new();
    for id in Policy::bundled_ids() {
        match Policy::load(id) {
            Ok(p) => out.push_str(&format!(
                "{}  {}\n    sha256 {}\n",
                p.id(),
                p.title(),
                p.sha256()
            )),
            // Invariant: bundled policies are validated by tests; show the error rather than panic.
            Err(e) => out.push_str(&format!("{id}  error: {e}\n")),
        }
    }
    out.push_str(&format!(
        "\nDefault: {}. A policy file works too: copy one of cipher-db/policies/*.toml,\nedit it, and pass its path to --policy.\n",
        super::DEFAULT_POLICY
    ));
    out
}

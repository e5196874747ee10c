//! Waivers: auditor-approved exceptions to findings, read from a small TOML file.
//!
//! ```toml
//! [[waiver]]
//! id = "suite_not_approved"          # the finding id
//! endpoint = "10.0.0.5:6443"         # "ip:port", "[v6]:port", "host:port", "ip", "host", the target, or "*"
//! item = "TLS_RSA_WITH_AES_128_GCM_SHA256"   # optional: only this item
//! reason = "legacy client until migration (CHG-1234)"
//! expires = "2027-01-31"             # last day the waiver holds
//! ```
//!
//! A waiver that matches a finding marks it `waived` (it stays in the report and no longer
//! fails the endpoint). An expired waiver does not apply; grading reports it as an info
//! finding `waiver_expired`. Reading the file is the only I/O here.

use serde::Deserialize;
use time::{Date, Month};
use toml::Spanned;

use super::PolicyError;
use crate::model::{EndpointId, Finding};

/// One exception.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    /// The finding id it waives.
    pub id: String,
    /// Which endpoint(s): see the module doc; `*` is every endpoint.
    pub endpoint: String,
    /// Only findings about this item (suite, version, group...), when given.
    pub item: Option<String>,
    /// Why the exception was granted.
    pub reason: String,
    /// Last day the waiver holds.
    pub expires: Date,
    /// Line in the waiver file.
    pub line: usize,
}

impl Waiver {
    /// Whether the waiver is about this finding on this endpoint (ignoring expiry).
    pub fn covers(&self, endpoint: &EndpointId, finding: &Finding) -> bool {
        self.id == finding.id
            && self
                .item
                .as_ref()
                .is_none_or(|i| finding.item.as_ref() == Some(i))
            && endpoint_matches(&self.endpoint, endpoint)
    }

    /// Whether the waiver still holds on `today` (the expiry day included).
    pub fn in_force(&self, today: Date) -> bool {
        today <= self.expires
    }
}

fn endpoint_matches(pattern: &str, e: &EndpointId) -> bool {
    if pattern == "*" {
        return true;
    }
    let ip = match e.ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        std::net::IpAddr::V4(v4) => v4.to_string(),
    };
    let candidates = [
        format!("{ip}:{}", e.port),
        format!("{}:{}", e.host, e.port),
        e.ip.to_string(),
        ip,
        e.host.clone(),
        e.target.clone(),
    ];
    candidates.iter().any(|c| c == pattern)
}

/// A set of waivers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Waivers {
    list: Vec<Waiver>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waiver: Vec<Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    id: String,
    endpoint: String,
    item: Option<String>,
    reason: String,
    expires: String,
}

impl Waivers {
    /// No waivers.
    pub fn none() -> Waivers {
        Waivers::default()
    }

    /// Reads a waiver file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Waivers, PolicyError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: shown.clone(),
            source,
        })?;
        Waivers::from_text(&shown, &text)
    }

    /// Parses waiver text; `file` is what errors name.
    pub fn from_text(file: &str, text: &str) -> Result<Waivers, PolicyError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| PolicyError::Syntax {
            file: file.to_string(),
            line: e
                .span()
                .map_or(1, |s| crate::cipher_db::line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let known: Vec<&str> = super::finding_catalog().iter().map(|(id, _)| *id).collect();
        let mut list = Vec::with_capacity(raw.waiver.len());
        for w in raw.waiver {
            let line = crate::cipher_db::line_of(text, w.span().start);
            let w = w.into_inner();
            let invalid = |message: String| PolicyError::Invalid {
                file: file.to_string(),
                line,
                entry: format!("waiver {:?} for {:?}", w.id, w.endpoint),
                message,
            };
            if !known.contains(&w.id.as_str()) {
                return Err(invalid(format!("unknown finding id {:?}", w.id)));
            }
            if w.reason.trim().is_empty() {
                return Err(invalid("a waiver needs a reason".into()));
            }
            let expires = parse_date(&w.expires).ok_or_else(|| {
                invalid(format!("expires {:?} is not a YYYY-MM-DD date", w.expires))
            })?;
            list.push(Waiver {
                id: w.id,
                endpoint: w.endpoint,
                item: w.item,
                reason: w.reason,
                expires,
                line,
            });
        }
        Ok(Waivers { list })
    }

    /// Every waiver, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Waiver> {
        self.list.iter()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// `YYYY-MM-DD` → Date.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_a_waiver_file() {
        let w = Waivers::from_text(
            "w.toml",
            "[[waiver]]\nid = \"ems_missing\"\nendpoint = \"*\"\nreason = \"r\"\nexpires = \"2027-01-31\"\n",
        )
        .unwrap();
        let first = w.iter().next().unwrap();
        assert_eq!(
            first.expires,
            Date::from_calendar_date(2027, Month::January, 31).unwrap()
        );
        assert_eq!(first.line, 1);
    }

    #[test]
    fn bad_waivers_name_file_line_and_entry() {
        let text = "\n[[waiver]]\nid = \"ems_missing\"\nendpoint = \"*\"\nreason = \"r\"\nexpires = \"31/01/2027\"\n";
        let err = Waivers::from_text("w.toml", text).unwrap_err().to_string();
        assert!(
            err.starts_with("w.toml:2: waiver \"ems_missing\" for \"*\": expires"),
            "{err}"
        );
        let unknown = text.replace("ems_missing", "no_such_finding");
        let err = Waivers::from_text("w.toml", &unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown finding id"), "{err}");
    }

    #[test]
    fn dates_are_validated() {
        assert!(parse_date("2027-02-30").is_none());
        assert!(parse_date("2027-13-01").is_none());
        assert!(parse_date("2028-02-29").is_some());
    }
}

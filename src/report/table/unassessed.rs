//! The compact table of endpoints that did not answer TLS: one line each, except that the
//! closed or silent addresses of a range are counted on one line (an auditor wants the
//! explicitly named failures, not 500 refusals). `wide` lists them all. No I/O.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{Cell, Color};

use super::{status_text, Renderer};
use crate::model::{Endpoint, Status};
use crate::report::{endpoint_label, service_name};

/// Closed/timed-out endpoints of one range are listed one by one only up to this many; more
/// become one counted line (a /24 × 2 ports is 512 lines nobody reads). `wide` lists them all.
const MAX_LISTED_PER_RANGE: usize = 3;

impl Renderer<'_> {
    /// Endpoints that did not answer TLS, one line each, ranges' closed/timeout ones counted.
    pub(super) fn unassessed(&self, endpoints: &[&Endpoint], out: &mut String) {
        let _ = writeln!(
            out,
            "{}",
            self.bold(&format!("Not assessed ({}):", endpoints.len()))
        );
        let mut t = self.new_table();
        t.set_header(vec!["Endpoint", "Service", "Status", "Reason"]);

        // Group the quiet failures of ranges by (target, status); everything else is listed.
        let mut groups: BTreeMap<(&str, &'static str), Vec<&Endpoint>> = BTreeMap::new();
        let mut listed: Vec<&Endpoint> = Vec::new();
        for e in endpoints {
            if !self.opts.wide
                && is_range(&e.target)
                && matches!(e.status, Status::Closed | Status::Timeout)
            {
                groups
                    .entry((e.target.as_str(), status_text(e.status)))
                    .or_default()
                    .push(e);
            } else {
                listed.push(e);
            }
        }
        for ((target, status), members) in groups {
            if members.len() <= MAX_LISTED_PER_RANGE {
                listed.extend(members);
                continue;
            }
            let mut ports: Vec<u16> = members.iter().map(|e| e.port).collect();
            ports.sort_unstable();
            ports.dedup();
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            t.add_row(vec![
                self.cell(target, None),
                Cell::new(format!("port {}", ports.join(", "))),
                Cell::new(status),
                Cell::new(format!(
                    "{} endpoints in this range (--wide lists them)",
                    members.len()
                )),
            ]);
        }
        for e in listed {
            t.add_row(vec![
                self.cell(&endpoint_label(e), None),
                self.cell(service_name(e).unwrap_or(self.marks.none), None),
                self.cell(status_text(e.status), Some(Color::Yellow)),
                self.cell(e.error.as_deref().unwrap_or(self.marks.none), None),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
}

/// True for nmap-style range targets (`10.0.0.0/24`, `10.0.0.1-50`), whose closed addresses
/// are expected and summarised; a host name with a dash is not a range.
fn is_range(target: &str) -> bool {
    target.contains('/')
        || (target.contains('-')
            && target
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | ':')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_recognised() {
        assert!(is_range("10.0.0.0/24"));
        assert!(is_range("10.0.0.1-50"));
        assert!(!is_range("etcd-1.example.com"));
        assert!(!is_range("10.0.0.1:2379"));
    }
}

//! Reports: every output format, built from [`crate::model::Report`].
//!
//! Every format reads [`crate::model::Report`] and nothing else, so the table, JSON, JSONL and CSV can
//! never disagree. Only [`file`](mod@file) touches the file system; everything else returns strings.

pub mod csv;
pub mod diff;
pub mod escape;
pub mod file;
pub mod fleet;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod merge;
pub mod prometheus;
pub mod table;
pub mod timing;

use std::net::IpAddr;

use crate::model::{Endpoint, Report};

/// The JSON Schema (draft 2020-12) of report schema version 1, as published in
/// `schema/report-v1.schema.json`; tests anywhere in the crate validate reports against it.
pub fn schema_text() -> &'static str {
    include_str!("../../schema/report-v1.schema.json")
}

/// Why a report could not be read or combined. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file is not JSON, or not shaped like a report.
    #[error("{file}: not a fipsprobe report: {reason}")]
    Parse {
        /// The file (or other source) the text came from.
        file: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// The report was written with a schema version this build does not read.
    #[error("{file}: report schema_version {found} is not supported (this build reads schema_version {expected})")]
    SchemaVersion {
        /// The file.
        file: String,
        /// What the file says (`missing` when absent).
        found: String,
        /// What this build reads.
        expected: u32,
    },
    /// Reports to be combined were graded under different policies.
    #[error("{first_file} was graded with policy {first_policy} but {other_file} with policy {other_policy}: refusing to merge reports made under different policies")]
    MixedPolicy {
        /// The first file.
        first_file: String,
        /// Its policy, `id (sha256 …)`.
        first_policy: String,
        /// The file that differs.
        other_file: String,
        /// Its policy.
        other_policy: String,
    },
    /// A timestamp that is not RFC 3339.
    #[error("{file}: {field} {value:?} is not an RFC 3339 timestamp")]
    Timestamp {
        /// The file.
        file: String,
        /// `started_at` or `finished_at`.
        field: &'static str,
        /// The text found.
        value: String,
    },
    /// `merge` was given nothing to merge.
    #[error("merge needs at least one report")]
    NothingToMerge,
    /// An endpoint whose stated verdict its own findings contradict (a report edited by hand,
    /// or by someone who wanted a pass).
    #[error("{file}: {endpoint} is stated {stated} but {reason}: refusing a report whose verdicts contradict its findings")]
    Contradiction {
        /// The file.
        file: String,
        /// The endpoint (`10.0.0.5:6443`).
        endpoint: String,
        /// The verdict the file states.
        stated: &'static str,
        /// What contradicts it.
        reason: String,
    },
}

/// Whether the report has a binary half (`fipsprobe binaries`, `scan --binaries`): binaries,
/// or their counts from a walk that found none to report.
pub fn has_binaries(report: &Report) -> bool {
    !report.binaries.is_empty() || report.summary.binaries.is_some()
}

/// `10.0.0.5:6443`, `[2001:db8::1]:6443`: the address a person types back into a tool.
pub fn socket_label(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// True when the endpoint's `host` is a DNS name rather than its address written out.
pub fn host_is_name(e: &Endpoint) -> bool {
    !e.host.is_empty() && e.host.parse::<IpAddr>().is_err()
}

/// `node1.example.com:6443` when the host is a name, else the socket address.
pub fn endpoint_label(e: &Endpoint) -> String {
    if host_is_name(e) {
        format!("{}:{}", e.host, e.port)
    } else {
        socket_label(e.ip, e.port)
    }
}

/// The service an endpoint runs: its own `service`, else the Kubernetes/etcd well-known port name.
pub fn service_name(e: &Endpoint) -> Option<&str> {
    e.service.as_deref().or(match e.port {
        6443 => Some("kube-apiserver"),
        2379 => Some("etcd-client"),
        2380 => Some("etcd-peer"),
        10250 => Some("kubelet"),
        10257 => Some("kube-controller-manager"),
        10259 => Some("kube-scheduler"),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_text_is_json() {
        let v: Result<serde_json::Value, _> = serde_json::from_str(schema_text());
        assert!(v.is_ok());
    }

    #[test]
    fn socket_label_brackets_ipv6() {
        let v6: IpAddr = "::1".parse().unwrap_or(IpAddr::from([0u8; 16]));
        assert_eq!(socket_label(v6, 443), "[::1]:443");
        assert_eq!(
            socket_label(IpAddr::from([10, 0, 0, 1]), 6443),
            "10.0.0.1:6443"
        );
    }
}

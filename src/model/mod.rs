//! The model every layer writes into and reads from, below all of them: what the probe
//! observed, what grading concluded, and the report that joins the two.
//!
//! ```text
//!  probe ──► Observation ──┐
//!                          ├─► Endpoint::new ──► Report ──► report (table, json, ...)
//!  policy ─► Grade ◄───────┘   (the JSON contract)
//!            (reads the Observation)
//! ```
//!
//! - [`observation`]: endpoint identity, accepted and refused versions, gaps (probes that
//!   gave no answer, and why).
//! - [`facts`], [`certificate`]: typed facts; unknown is `None`, never `false`.
//! - [`error`]: typed connection errors, from the socket to the report.
//! - [`grade`]: findings, suite grades, unchecked rules, the verdict rule.
//! - [`report`]: the JSON report of `docs/report.md`.
//!
//! No I/O, no tokio.

pub mod certificate;
pub mod error;
pub mod facts;
pub mod grade;
pub mod observation;
pub mod report;

pub use certificate::{CertInfo, Certificate, KeyType};
pub use error::{Awaited, ConnError, ErrorKind, IoKind, Violation};
pub use facts::{ClientCertificate, Facts};
pub use grade::{conclude, Finding, Grade, Severity, SuiteGrade, Unchecked, Verdict, Waived};
pub use observation::{Accepted, EndpointId, Gap, GapCause, Observation, Probe, Refusal, Skip};
pub use report::{
    group_name, suite_names, Endpoint, GapRecord, PolicyRef, ProtocolResult, Report, Status,
    SuiteCode, SuiteEntry, Summary, Tool, SCHEMA_VERSION,
};

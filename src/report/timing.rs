//! When a scan ran, read back from a report's RFC 3339 `started_at` / `finished_at` for the
//! formats that state it as numbers (JUnit's `time`, Prometheus' timestamps). A timestamp that
//! does not parse (a hand-edited or foreign report) gives `None`: the format leaves the figure
//! out rather than print a made-up one. No I/O, no clock.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::Report;

/// The scan's start.
pub fn started(report: &Report) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(&report.started_at, &Rfc3339).ok()
}

/// The scan's end.
pub fn finished(report: &Report) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(&report.finished_at, &Rfc3339).ok()
}

/// Wall time of the scan in seconds; `None` when a timestamp is unreadable or the end comes
/// before the start.
pub fn duration_seconds(report: &Report) -> Option<f64> {
    let d = finished(report)? - started(report)?;
    (!d.is_negative()).then(|| d.as_seconds_f64())
}

/// Unix time in seconds, millisecond precision.
pub fn unix_seconds(t: OffsetDateTime) -> f64 {
    t.unix_timestamp_nanos() as f64 / 1e9
}

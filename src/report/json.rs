//! The JSON report (`--format json`, `-o FILE`): writing it, and reading it back for `diff` and
//! `merge`. Reading refuses any schema version but 1 before looking at the rest, so a future
//! report is never half-understood. No I/O: callers read and write the files.

use serde_json::Value;

use super::ReportError;
use crate::model::{Report, SCHEMA_VERSION};

/// The report as pretty-printed JSON with a trailing newline (what `-o FILE` writes).
pub fn to_json(report: &Report) -> String {
    // Invariant: every model type serializes infallibly (string map keys, no non-finite floats
    // can be produced from integers and strings), so an error here is a bug in the model.
    let mut text = serde_json::to_string_pretty(report).expect("report model always serializes");
    text.push('\n');
    text
}

/// Reads a report; `source` names the file in every error.
///
/// Refuses text that is not JSON, a `schema_version` other than 1 (or none), and anything not
/// shaped like a version 1 report. Keys this build does not know are ignored (newer minor
/// additions), keys it needs must be there.
pub fn from_json(text: &str, source: &str) -> Result<Report, ReportError> {
    let value: Value = serde_json::from_str(text).map_err(|err| ReportError::Parse {
        file: source.to_string(),
        reason: err.to_string(),
    })?;
    let found = match value.get("schema_version") {
        None => "missing".to_string(),
        Some(v) => v.to_string(),
    };
    if value.get("schema_version").and_then(Value::as_u64) != Some(u64::from(SCHEMA_VERSION)) {
        if !value.is_object() {
            return Err(ReportError::Parse {
                file: source.to_string(),
                reason: "the top level is not a JSON object".to_string(),
            });
        }
        return Err(ReportError::SchemaVersion {
            file: source.to_string(),
            found,
            expected: SCHEMA_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|err| ReportError::Parse {
        file: source.to_string(),
        reason: err.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_schema_versions_naming_the_file() {
        let err = from_json(r#"{"schema_version": 2}"#, "old/last.json").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("old/last.json"), "{text}");
        assert!(text.contains("schema_version 2"), "{text}");
        let err = from_json(r#"{"endpoints": []}"#, "x.json").unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn refuses_non_json_and_non_objects() {
        assert!(matches!(
            from_json("not json", "a"),
            Err(ReportError::Parse { .. })
        ));
        assert!(matches!(
            from_json("[1]", "a"),
            Err(ReportError::Parse { .. })
        ));
        assert!(matches!(
            from_json(r#"{"schema_version": 1}"#, "a"),
            Err(ReportError::Parse { .. })
        ));
    }
}

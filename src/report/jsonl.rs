//! JSONL streaming (`--format jsonl`): one endpoint object per line as endpoints finish, then
//! one final `{"summary": …, "complete": …}` line, so a consumer knows the stream ended
//! normally. Lines are returned without their newline; the caller prints them.

use serde::Serialize;

use crate::model::{Endpoint, Summary};

/// One endpoint as a single line of JSON (the same object as in the report's `endpoints`).
pub fn endpoint_line(e: &Endpoint) -> String {
    // Invariant: the model always serializes (see `json::to_json`).
    serde_json::to_string(e).expect("endpoint model always serializes")
}

/// The closing line: `{"summary":{…},"complete":true}`.
pub fn summary_line(summary: &Summary, complete: bool) -> String {
    #[derive(Serialize)]
    struct Last<'a> {
        summary: &'a Summary,
        complete: bool,
    }
    // Invariant: a struct of integers and a bool always serializes.
    serde_json::to_string(&Last { summary, complete }).expect("summary always serializes")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_is_one_object_with_both_keys() {
        let s = Summary {
            endpoints: 3,
            tls: 2,
            pass: 1,
            fail: 1,
            not_assessed: 1,
            not_assessed_failing: 0,
            binaries: None,
        };
        let line = summary_line(&s, false);
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["summary"]["fail"], 1);
        assert_eq!(v["complete"], false);
        assert_eq!(v.as_object().unwrap().len(), 2);
    }
}

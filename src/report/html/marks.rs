//! The marks of the HTML report: each verdict, suite grade and severity has a symbol, a word
//! and a CSS class (the colour), always shown together so that no meaning rests on colour.
//! Also the order configurations are listed in. No I/O.

use crate::model::{Severity, SuiteEntry, SuiteGrade, Verdict};
use crate::report::fleet::Config;

/// `✓`, `✗`, `?`.
pub(super) fn verdict_symbol(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✓",
        Verdict::Fail => "✗",
        Verdict::NotAssessed => "?",
    }
}

/// `PASS`, `FAIL`, `NOT ASSESSED`.
pub(super) fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NotAssessed => "NOT ASSESSED",
    }
}

/// The CSS class of a verdict's colour.
pub(super) fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NotAssessed => "na",
    }
}

/// `<span class="badge fail">✗ FAIL</span>`.
pub(super) fn verdict_badge(v: Verdict) -> String {
    format!(
        "<span class=\"badge {}\">{} {}</span>",
        verdict_class(v),
        verdict_symbol(v),
        verdict_word(v)
    )
}

/// A suite's grade; reports written before grades existed only say approved or not.
pub(super) fn suite_grade(s: &SuiteEntry) -> SuiteGrade {
    s.grade.unwrap_or(if s.approved {
        SuiteGrade::Approved
    } else {
        SuiteGrade::Fail
    })
}

/// Symbol, CSS class and words of a suite grade.
pub(super) fn grade_mark(g: SuiteGrade) -> (&'static str, &'static str, &'static str) {
    match g {
        SuiteGrade::Approved => ("✓", "ok", "approved"),
        SuiteGrade::Discouraged => ("!", "disc", "approved, discouraged"),
        SuiteGrade::Warn => ("✗", "warn", "not approved (warning)"),
        SuiteGrade::Fail => ("✗", "no", "not approved"),
    }
}

/// Symbol, CSS class and word of a finding's severity (or of its waiver).
pub(super) fn severity_mark(s: Severity, waived: bool) -> (&'static str, &'static str, String) {
    let word = match s {
        Severity::Fail => "FAIL",
        Severity::Warn => "WARN",
        Severity::Info => "INFO",
    };
    if waived {
        return ("~", "waived", format!("WAIVED {word}"));
    }
    match s {
        Severity::Fail => ("✗", "fail", word.to_string()),
        Severity::Warn => ("!", "warn", word.to_string()),
        Severity::Info => ("i", "info", word.to_string()),
    }
}

/// Failing configurations first, then those not assessed, then passing ones; report order
/// within each.
pub(super) fn ordered(mut configs: Vec<Config<'_>>) -> Vec<Config<'_>> {
    configs.sort_by_key(|c| match c.representative().verdict {
        Verdict::Fail => 0,
        Verdict::NotAssessed => 1,
        Verdict::Pass => 2,
    });
    configs
}

/// `""` for one, `"s"` otherwise.
pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

//! Plain-text layout for the table's own lines: word wrap to a width that never breaks a word
//! (a suite name, an address, a fingerprint is quoted whole or not at all), the display width
//! of a string with ANSI colour in it, and timestamps to the second. No I/O.

use time::macros::format_description;

/// Greedy word wrap at spaces. `first` starts the first line and `rest` every other one; a
/// word longer than a line is never cut: it gets a line of its own and runs past the width.
/// A `first` that holds text (not only spaces) stays whole on its line, so aligned columns
/// can be passed in it.
pub fn wrap(text: &str, width: Option<usize>, first: &str, rest: &str) -> Vec<String> {
    let Some(width) = width else {
        let words: Vec<&str> = text.split_whitespace().collect();
        return vec![format!("{first}{}", words.join(" "))];
    };
    let mut lines = Vec::new();
    let mut line = first.to_string();
    // Whether `line` holds more than its indentation.
    let mut filled = !first.trim().is_empty();
    // Whether the last thing on `line` is a word of `text` (a space goes before the next).
    let mut after_word = false;
    for word in text.split_whitespace() {
        let sep = usize::from(after_word || (filled && !line.ends_with(' ')));
        if filled && text_width(&line) + sep + text_width(word) > width {
            lines.push(
                std::mem::replace(&mut line, rest.to_string())
                    .trim_end()
                    .to_string(),
            );
            filled = false;
            after_word = false;
        }
        if after_word || (filled && !line.ends_with(' ')) {
            line.push(' ');
        }
        line.push_str(word);
        filled = true;
        after_word = true;
    }
    if filled || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Columns a string takes, ignoring ANSI colour sequences (all our glyphs are one column).
pub fn text_width(s: &str) -> usize {
    let mut n = 0usize;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n = n.saturating_add(1),
        }
    }
    n
}

/// `text` padded with spaces to `width` columns.
pub(super) fn pad(text: &str, width: usize) -> String {
    let mut s = text.to_string();
    s.push_str(&" ".repeat(width.saturating_sub(text_width(text))));
    s
}

/// An RFC 3339 timestamp to the second, in UTC: `2026-12-02 16:47:14 UTC` (reports carry
/// nanoseconds, which nobody quotes). One that does not parse is returned as written, for the
/// caller to escape.
pub fn to_the_second(rfc3339: &str) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok())
        .unwrap_or_else(|| rfc3339.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_width_and_indent() {
        let lines = wrap("aaa bbb ccc ddd eee", Some(9), "  ", "    ");
        assert_eq!(lines, vec!["  aaa bbb", "    ccc", "    ddd", "    eee"]);
        for l in &lines {
            assert!(text_width(l) <= 9);
        }
    }

    #[test]
    fn wrap_never_cuts_a_word() {
        let lines = wrap("x ABCDEFGHIJKLMNOP y", Some(8), "", "  ");
        assert_eq!(lines, vec!["x", "  ABCDEFGHIJKLMNOP", "  y"]);
        let lines = wrap("ABCDEFGHIJKLMNOP", Some(8), "    ", "    ");
        assert_eq!(lines, vec!["    ABCDEFGHIJKLMNOP"]);
    }

    #[test]
    fn a_first_part_with_text_stays_whole() {
        let lines = wrap("reason here", Some(12), "FAIL  10.0.0.1  ", "      ");
        assert_eq!(lines, vec!["FAIL  10.0.0.1", "      reason", "      here"]);
        let lines = wrap("why", Some(40), "PASS  x  ", "  ");
        assert_eq!(lines, vec!["PASS  x  why"]);
        assert_eq!(wrap("", Some(10), "  ", "  "), vec![""]);
        assert_eq!(wrap("a  b", None, "> ", ""), vec!["> a b"]);
    }

    #[test]
    fn text_width_skips_ansi() {
        assert_eq!(text_width("\x1b[31m✗ NO\x1b[0m"), 4);
    }

    #[test]
    fn timestamps_are_cut_to_the_second_in_utc() {
        assert_eq!(
            to_the_second("2026-12-02T16:47:14.154466155Z"),
            "2026-12-02 16:47:14 UTC"
        );
        assert_eq!(
            to_the_second("2026-12-02T18:47:14+02:00"),
            "2026-12-02 16:47:14 UTC"
        );
        assert_eq!(to_the_second("yesterday"), "yesterday");
    }
}

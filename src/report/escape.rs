//! Text from elsewhere, made safe to show: [`terminal`] turns every character a terminal or a
//! spreadsheet would act on (C0 and C1 controls, DEL, bidirectional overrides) into a visible
//! escape, so a certificate subject holding `ESC[2J` cannot clear a screen or forge a verdict
//! line; [`brief`] shortens a token to quote in a one-line message. The table, `diff`, CSV and
//! every error line use these; JSON needs neither (serde escapes, and keeps the bytes exact).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters of a token quoted in full by [`brief`]; longer ones are cut there.
pub const BRIEF_CHARS: usize = 60;

/// `text` with control characters shown as escapes: `\n`, `\r`, `\t`, `\x1b` (other C0 and
/// DEL), `\u{9b}` (C1), and the bidirectional controls that reorder what is displayed
/// (`\u{202e}` and kin). Everything else, including backslashes, is kept as is. Borrowed when
/// nothing needed escaping.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().saturating_add(8));
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` as a one-line message quotes it: escaped for the terminal, and when longer than
/// [`BRIEF_CHARS`] characters, its first ones followed by `…(N bytes)` (N the whole length).
pub fn brief(text: &str) -> Cow<'_, str> {
    brief_to(text, BRIEF_CHARS)
}

/// [`brief`] with another length.
pub fn brief_to(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => terminal(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}…({} bytes)",
            terminal(text.get(..cut).unwrap_or_default()),
            text.len()
        )),
    }
}

/// A whole message line escaped, every word longer than `max_chars` shortened as [`brief`]
/// does: the last guard of an error line, whatever library wrote it quoted.
pub fn brief_words(line: &str, max_chars: usize) -> String {
    line.split(' ')
        .map(|word| brief_to(word, max_chars))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(terminal("plain text, ü, 東京"), "plain text, ü, 東京");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(
            terminal("\x1b[2J\rALL ENDPOINTS PASS\n"),
            "\\x1b[2J\\rALL ENDPOINTS PASS\\n"
        );
        assert_eq!(terminal("a\tb\x00c\x7f"), "a\\tb\\x00c\\x7f");
        assert_eq!(terminal("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(terminal("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(terminal("C:\\path"), "C:\\path");
    }

    #[test]
    fn escaped_text_has_no_control_left() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!terminal(&all).chars().any(needs_escape));
    }

    #[test]
    fn brief_cuts_long_tokens_and_says_how_long() {
        assert_eq!(brief("short"), "short");
        let long = "x".repeat(10 * 1024 * 1024);
        let b = brief(&long);
        assert_eq!(b, format!("{}…(10485760 bytes)", "x".repeat(60)));
        let wide = "é".repeat(100);
        assert_eq!(brief(&wide), format!("{}…(200 bytes)", "é".repeat(60)));
        assert_eq!(brief("\x1b"), "\\x1b");
        let line = format!("bad value {} here\r", "z".repeat(1000));
        assert_eq!(
            brief_words(&line, 10),
            "bad value zzzzzzzzzz…(1000 bytes) here\\r"
        );
    }
}

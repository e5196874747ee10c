//! Escaping for the HTML report. Every string that did not come from this crate's own code (a
//! certificate's subject, an error quoting server bytes, a target, a policy path) goes through
//! [`text`], [`plain`] or [`suite`] on its way into the page: the five markup characters become
//! entities, and a character a reader must not receive raw (C0 and C1 controls, DEL, bidi
//! overrides and other invisible format characters, line and paragraph separators,
//! noncharacters) is written out as `\x1b` or `\u{202e}` so the reader sees that it was there.
//! No I/O.

use std::fmt::{self, Display, Write};

/// Text content of an element: escaped, with each hidden character shown as its escape in a
/// `<span class="ctl">` so it stands out from the text around it.
pub(super) fn text(s: &str) -> Text<'_> {
    Text(s)
}

/// Escaped with hidden characters spelled out but no markup at all: for attribute values and
/// SVG text, where a `<span>` cannot go.
pub(super) fn plain(s: &str) -> Plain<'_> {
    Plain(s)
}

/// A cipher-suite name (or any `_`-separated identifier): like [`text`], with a line-break
/// opportunity after every `_`, so a narrow column wraps `TLS_ECDHE_RSA_WITH_` at a word and
/// never in the middle of one.
pub(super) fn suite(s: &str) -> Suite<'_> {
    Suite(s)
}

/// See [`text`].
pub(super) struct Text<'a>(&'a str);
/// See [`plain`].
pub(super) struct Plain<'a>(&'a str);
/// See [`suite`].
pub(super) struct Suite<'a>(&'a str);

impl Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, true, false)
    }
}

impl Display for Plain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, false, false)
    }
}

impl Display for Suite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, true, true)
    }
}

fn write_escaped(f: &mut fmt::Formatter<'_>, s: &str, spans: bool, breaks: bool) -> fmt::Result {
    for c in s.chars() {
        match c {
            '&' => f.write_str("&amp;")?,
            '<' => f.write_str("&lt;")?,
            '>' => f.write_str("&gt;")?,
            '"' => f.write_str("&quot;")?,
            '\'' => f.write_str("&#39;")?,
            '_' if breaks => f.write_str("_<wbr>")?,
            c if is_hidden(c) => {
                if spans {
                    f.write_str("<span class=\"ctl\">")?;
                    write_visible(f, c)?;
                    f.write_str("</span>")?;
                } else {
                    write_visible(f, c)?;
                }
            }
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

/// Characters that must not reach the page as themselves: they are invisible, move text
/// around (bidi overrides), end lines inside one value, or are not characters at all.
pub(super) fn is_hidden(c: char) -> bool {
    let n = u32::from(c);
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FDD0}'..='\u{FDEF}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}')
        // U+FFFE and U+FFFF of every plane are noncharacters.
        || n & 0xFFFE == 0xFFFE
}

/// `\n`, `\r`, `\t`, `\x1b`, `\u{202e}`: how Rust and most engineers write them.
fn write_visible(f: &mut dyn Write, c: char) -> fmt::Result {
    match c {
        '\n' => f.write_str("\\n"),
        '\r' => f.write_str("\\r"),
        '\t' => f.write_str("\\t"),
        c if u32::from(c) < 0x100 => write!(f, "\\x{:02x}", u32::from(c)),
        c => write!(f, "\\u{{{:04x}}}", u32::from(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_entities() {
        assert_eq!(
            text("<script>alert('x')</script> & \"q\"").to_string(),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn hidden_characters_are_spelled_out() {
        assert_eq!(
            plain("a\u{1b}[2J\0\r\n\t\u{7f}\u{85}\u{202e}\u{fffe}z").to_string(),
            "a\\x1b[2J\\x00\\r\\n\\t\\x7f\\x85\\u{202e}\\u{fffe}z"
        );
        assert_eq!(
            text("\u{1b}").to_string(),
            "<span class=\"ctl\">\\x1b</span>"
        );
        assert_eq!(plain("é ✓ — 日本").to_string(), "é ✓ — 日本");
    }

    #[test]
    fn suite_names_break_after_underscores_only() {
        assert_eq!(suite("TLS_AES<").to_string(), "TLS_<wbr>AES&lt;");
    }

    proptest::proptest! {
        #[test]
        fn nothing_raw_gets_through(s in "\\PC*|(?s).{0,40}") {
            for out in [text(&s).to_string(), plain(&s).to_string(), suite(&s).to_string()] {
                proptest::prop_assert!(!out.chars().any(is_hidden), "{out:?}");
                let stripped = out
                    .replace("<span class=\"ctl\">", "")
                    .replace("</span>", "")
                    .replace("<wbr>", "");
                proptest::prop_assert!(!stripped.contains(['<', '>', '"', '\'']), "{out:?}");
            }
        }
    }
}

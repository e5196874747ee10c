//! Plain-text layout for the table's own lines (headings, findings): word wrap to a width and
//! the display width of a string with ANSI colour in it. No I/O.

/// Greedy word wrap by characters; a word longer than a line is cut, never dropped.
pub fn wrap(text: &str, width: Option<usize>, first: &str, rest: &str) -> Vec<String> {
    let Some(width) = width else {
        return vec![format!("{first}{text}")];
    };
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut has_word = false;
    for whole in text.split_whitespace() {
        let mut word = whole;
        loop {
            let used = text_width(&line);
            if used + text_width(word) + usize::from(has_word) <= width {
                if has_word {
                    line.push(' ');
                }
                line.push_str(word);
                has_word = true;
                break;
            }
            if has_word {
                lines.push(std::mem::replace(&mut line, rest.to_string()));
                has_word = false;
                continue;
            }
            // Alone on its line and still too long: cut it at the width.
            let room = width.saturating_sub(used).max(1);
            let cut = word.char_indices().nth(room).map_or(word.len(), |(i, _)| i);
            line.push_str(&word[..cut]);
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            word = &word[cut..];
            if word.is_empty() {
                break;
            }
        }
    }
    if has_word || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Columns a string takes, ignoring ANSI colour sequences (all our glyphs are one column).
pub fn text_width(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
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
    fn wrap_cuts_overlong_words() {
        let lines = wrap("x ABCDEFGHIJKLMNOP y", Some(8), "", "  ");
        assert!(lines.iter().all(|l| text_width(l) <= 8), "{lines:?}");
        let joined: String = lines
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert_eq!(joined, "xABCDEFGHIJKLMNOPy");
    }

    #[test]
    fn text_width_skips_ansi() {
        assert_eq!(text_width("\x1b[31m✗ NO\x1b[0m"), 4);
    }
}

//! Excerpts of evidence: text cut to a size at a character boundary.
//!
//! Bodies, values in mismatches and headlines are shown cut, never whole when large; this is
//! the one place that cuts them, so no cut ever splits a character.

use std::borrow::Cow;

/// The longest prefix of `text` of at most `limit` bytes that ends at a character boundary.
pub fn prefix(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` cut to at most `limit` bytes, with `…` when something was cut.
pub fn cut(text: &str, limit: usize) -> Cow<'_, str> {
    let kept = prefix(text, limit);
    if kept.len() == text.len() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{kept}…"))
    }
}

/// `text` on one line (line breaks as spaces), cut to at most `limit` characters with `…`.
pub fn one_line(text: &str, limit: usize) -> String {
    let flat = text.replace(['\n', '\r'], " ");
    match flat.char_indices().nth(limit) {
        None => flat,
        Some((end, _)) => format!("{}…", &flat[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_characters_whole() {
        assert_eq!(prefix("ééé", 3), "é");
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(one_line("a\nbcdef", 3), "a b…");
        assert_eq!(one_line("ab", 3), "ab");
    }
}

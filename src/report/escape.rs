//! Escaping by bytes, for the report formats that write markup (`junit.xml`, `report.html`):
//! runs of ordinary text are copied at once, and only the bytes a format replaces stop the
//! copy. Each format owns its table of replacements; this owns the one pass.

/// Appends `text` to `out` with every byte for which `replacement` answers replaced by that
/// answer (an empty one drops the byte). `replacement` may answer only for ASCII bytes, so
/// that the runs between them stay whole characters.
pub(super) fn replacing_into(
    out: &mut String,
    text: &str,
    replacement: impl Fn(u8) -> Option<&'static str>,
) {
    // Writing into a `String` cannot fail.
    let _ = replacing_to(out, text, replacement);
}

/// [`replacing_into`] for any writer (the template engine's output): the runs go straight to
/// it, with no string of their own in between.
pub(super) fn replacing_to<W: std::fmt::Write>(
    out: &mut W,
    text: &str,
    replacement: impl Fn(u8) -> Option<&'static str>,
) -> std::fmt::Result {
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let Some(with) = replacement(byte) else {
            continue;
        };
        debug_assert!(byte.is_ascii(), "only ASCII bytes may be replaced");
        out.write_str(&text[start..i])?;
        out.write_str(with)?;
        start = i + 1;
    }
    out.write_str(&text[start..])
}

#[cfg(test)]
mod tests {
    use super::replacing_into;

    #[test]
    fn replaces_drops_and_keeps_the_rest_whole() {
        let mut out = String::from("> ");
        replacing_into(&mut out, "a<é\u{1}b>", |b| match b {
            b'<' => Some("&lt;"),
            0x01 => Some(""),
            _ => None,
        });
        assert_eq!(out, "> a&lt;éb>");
    }
}

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
    out.reserve(text.len());
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let Some(with) = replacement(byte) else {
            continue;
        };
        debug_assert!(byte.is_ascii(), "only ASCII bytes may be replaced");
        out.push_str(&text[start..i]);
        out.push_str(with);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

/// [`replacing_into`] for any writer (the template engine's output): the text is escaped
/// into a buffer of the thread's own, kept from call to call, and handed to `out` in one
/// write. Writing each run and each replacement to the engine's output went through its
/// dynamic writer twice for every quote of a JSON transcript.
pub(super) fn replacing_to<W: std::fmt::Write>(
    out: &mut W,
    text: &str,
    replacement: impl Fn(u8) -> Option<&'static str>,
) -> std::fmt::Result {
    thread_local! {
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    SCRATCH.with_borrow_mut(|escaped| {
        escaped.clear();
        replacing_into(escaped, text, replacement);
        out.write_str(escaped)
    })
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

//! The text form of what was sent and received: bodies pretty-printed, cut to a limit, and
//! whole exchanges and transcripts as the Markdown and HTML reports and the terminal show
//! them.

use crate::target::Exchange;

/// A body as reports show it: pretty JSON when it parses, else as received.
pub(crate) fn pretty_body(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) if v.is_object() || v.is_array() => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_owned())
        }
        _ => body.to_owned(),
    }
}

/// `text` cut to at most `limit` bytes (at a character boundary), with a note of the cut.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    let kept = crate::excerpt::prefix(text, limit);
    if kept.len() == text.len() {
        return text.to_owned();
    }
    format!(
        "{kept}\n… ({} more bytes in report.json)",
        text.len() - kept.len()
    )
}

/// One exchange as text: request line, headers and body, then status, headers and body (HTTP
/// style, `>` for what was sent and `<` for what came back). JSON bodies are pretty-printed
/// when `pretty`; bodies longer than `body_limit` bytes are cut.
pub(crate) fn exchange_text(e: &Exchange, body_limit: usize, pretty: bool) -> String {
    let body = |b: &str| {
        cut(
            &if pretty { pretty_body(b) } else { b.to_owned() },
            body_limit,
        )
    };
    let mut out = String::new();
    if let Some(note) = &e.note {
        out.push_str(&format!("* {note}\n"));
    }
    out.push_str(&format!("> {} {}\n", e.method, e.url));
    for (name, value) in &e.request_headers {
        out.push_str(&format!("> {name}: {value}\n"));
    }
    if let Some(text) = &e.request_body {
        out.push_str(">\n");
        out.push_str(&body(text));
        out.push('\n');
    }
    if e.attempts > 1 {
        out.push_str(&format!("* {} attempts\n", e.attempts));
    }
    for retry in &e.retries {
        out.push_str(&format!("* retried: {retry}\n"));
    }
    for wait in &e.rate_limit_waits {
        out.push_str(&format!(
            "* rate-limited: attempt {} answered 429; sent again after {} ms\n",
            wait.attempt, wait.waited_ms
        ));
    }
    match e.status {
        Some(status) => out.push_str(&format!("< {status} ({} ms)\n", e.duration_ms)),
        None => out.push_str(&format!("< (no response, {} ms)\n", e.duration_ms)),
    }
    if let Some(error) = &e.error {
        out.push_str(&format!("* error: {error}\n"));
    }
    for (name, value) in &e.response_headers {
        out.push_str(&format!("< {name}: {value}\n"));
    }
    if let Some(text) = &e.response_body {
        out.push_str("<\n");
        out.push_str(&body(text));
        out.push('\n');
    }
    out
}

/// Exchanges as text (see [`exchange_text`]), separated by blank lines.
pub(crate) fn transcript_text(exchanges: &[Exchange], body_limit: usize, pretty: bool) -> String {
    exchanges
        .iter()
        .map(|e| exchange_text(e, body_limit, pretty))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_char_boundaries() {
        assert_eq!(cut("abc", 5), "abc");
        assert!(cut("ééé", 3).starts_with('é'));
    }
}

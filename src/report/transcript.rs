//! The text form of what was sent and received: bodies pretty-printed, cut to a limit, and
//! whole exchanges and transcripts as the Markdown and HTML reports and the terminal show
//! them.

use crate::target::Exchange;

/// A body as reports show it: a JSON object or array indented two spaces a level (as
/// `serde_json`'s pretty printer lays it out), anything else as received.
///
/// The indentation goes over the received text itself, so strings and numbers stay exactly
/// as the server sent them (an escape such as `\u00e9` or a number such as `1e2` is not
/// rewritten, and a repeated key is not folded): the evidence is the answer, only laid out.
/// It costs one validating pass and one copy, where parsing into a tree and printing it
/// again took half of the HTML report's rendering.
pub(crate) fn pretty_body(body: &str) -> String {
    let container = matches!(body.trim_start().as_bytes().first(), Some(b'{' | b'['));
    if !container || serde_json::from_str::<serde::de::IgnoredAny>(body).is_err() {
        return body.to_owned();
    }
    indent_json(body)
}

/// `json` (valid JSON text) laid out with two spaces a level; empty objects and arrays stay
/// `{}` and `[]`.
fn indent_json(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len() + json.len() / 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // A string, copied as it is: up to the quote no backslash escapes.
                let start = i;
                i += 1;
                while bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                out.push_str(&json[start..=i]);
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                let next = i
                    + 1
                    + bytes[i + 1..]
                        .iter()
                        .take_while(|b| b.is_ascii_whitespace())
                        .count();
                out.push(char::from(open));
                if bytes[next] == close {
                    out.push(char::from(close));
                    i = next;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            close @ (b'}' | b']') => {
                depth -= 1;
                newline(&mut out, depth);
                out.push(char::from(close));
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            b':' => out.push_str(": "),
            b' ' | b'\n' | b'\r' | b'\t' => {}
            // Outside strings valid JSON has only ASCII: digits, signs, literals.
            other => out.push(char::from(other)),
        }
        i += 1;
    }
    out
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
    fn bodies_are_laid_out_as_the_pretty_printer_would_and_kept_as_sent() {
        for body in [
            r#"{"success":false,"error":"a \"quoted\" [x], {y}: z","n":[1,2.5e3,{}],"e":[],"o":{"k":null}}"#,
            r#"[ {"a" : true} , "é\\" ]"#,
            "{}",
        ] {
            let value: serde_json::Value = serde_json::from_str(body).expect("JSON");
            let printed = serde_json::to_string_pretty(&value).expect("printed");
            let expected = printed.replace("2500.0", "2.5e3");
            assert_eq!(pretty_body(body), expected, "{body}");
        }
        assert_eq!(
            pretty_body(r#"{"u":"\u00e9"}"#),
            "{\n  \"u\": \"\\u00e9\"\n}"
        );
        for not_laid_out in ["plain text", "42", r#""s""#, "{broken", ""] {
            assert_eq!(pretty_body(not_laid_out), not_laid_out);
        }
    }

    #[test]
    fn cut_keeps_char_boundaries() {
        assert_eq!(cut("abc", 5), "abc");
        assert!(cut("ééé", 3).starts_with('é'));
    }
}

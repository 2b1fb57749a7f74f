//! The text form of what was sent and received: bodies pretty-printed, cut to a limit, and
//! whole exchanges and transcripts as the Markdown and HTML reports and the terminal show
//! them.

use std::fmt::Write as _;

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
    let mut out = String::with_capacity(body.len() + body.len() / 2);
    push_pretty_body(&mut out, body);
    out
}

/// [`pretty_body`], appended to `out`.
fn push_pretty_body(out: &mut String, body: &str) {
    let container = matches!(body.trim_start().as_bytes().first(), Some(b'{' | b'['));
    if !container || serde_json::from_str::<serde::de::IgnoredAny>(body).is_err() {
        out.push_str(body);
    } else {
        indent_json(out, body);
    }
}

/// `json` (valid JSON text) laid out with two spaces a level, appended to `out`; empty
/// objects and arrays stay `{}` and `[]`.
fn indent_json(out: &mut String, json: &str) {
    let bytes = json.as_bytes();
    out.reserve(json.len() + json.len() / 2);
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
                    newline(out, depth);
                }
            }
            close @ (b'}' | b']') => {
                depth -= 1;
                newline(out, depth);
                out.push(char::from(close));
            }
            b',' => {
                out.push(',');
                newline(out, depth);
            }
            b':' => out.push_str(": "),
            b' ' | b'\n' | b'\r' | b'\t' => {}
            // Outside strings valid JSON has only ASCII: digits, signs, literals.
            other => out.push(char::from(other)),
        }
        i += 1;
    }
}

/// Cuts what `out` holds from byte `start` on to at most `limit` bytes (at a character
/// boundary), with a note of the cut.
fn cut_from(out: &mut String, start: usize, limit: usize) {
    let written = &out[start..];
    let kept = crate::excerpt::prefix(written, limit).len();
    if kept == written.len() {
        return;
    }
    let more = written.len() - kept;
    out.truncate(start + kept);
    let _ = write!(out, "\n… ({more} more bytes in report.json)");
}

/// One exchange as text, appended to `out`: request line, headers and body, then status,
/// headers and body (HTTP style, `>` for what was sent and `<` for what came back). JSON
/// bodies are pretty-printed when `pretty`; bodies longer than `body_limit` bytes are cut.
/// (Writing into a `String` cannot fail.)
fn push_exchange(out: &mut String, e: &Exchange, body_limit: usize, pretty: bool) {
    let body = |out: &mut String, text: &str| {
        let start = out.len();
        if pretty {
            push_pretty_body(out, text);
        } else {
            out.push_str(text);
        }
        cut_from(out, start, body_limit);
        out.push('\n');
    };
    if let Some(note) = &e.note {
        let _ = writeln!(out, "* {note}");
    }
    let _ = writeln!(out, "> {} {}", e.method, e.url);
    for (name, value) in &e.request_headers {
        let _ = writeln!(out, "> {name}: {value}");
    }
    if let Some(text) = &e.request_body {
        out.push_str(">\n");
        body(out, text);
    }
    if e.attempts > 1 {
        let _ = writeln!(out, "* {} attempts", e.attempts);
    }
    for retry in &e.retries {
        let _ = writeln!(out, "* retried: {retry}");
    }
    for wait in &e.rate_limit_waits {
        let _ = writeln!(
            out,
            "* rate-limited: attempt {} answered 429; sent again after {} ms",
            wait.attempt, wait.waited_ms
        );
    }
    match e.status {
        Some(status) => {
            let _ = writeln!(out, "< {status} ({} ms)", e.duration_ms);
        }
        None => {
            let _ = writeln!(out, "< (no response, {} ms)", e.duration_ms);
        }
    }
    if let Some(error) = &e.error {
        let _ = writeln!(out, "* error: {error}");
    }
    for (name, value) in &e.response_headers {
        let _ = writeln!(out, "< {name}: {value}");
    }
    if let Some(text) = &e.response_body {
        out.push_str("<\n");
        body(out, text);
    }
}

/// Exchanges as text (each as `push_exchange` lays it out), separated by blank lines.
pub(crate) fn transcript_text(exchanges: &[Exchange], body_limit: usize, pretty: bool) -> String {
    let mut out = String::new();
    push_transcript(&mut out, exchanges, body_limit, pretty);
    out
}

/// [`transcript_text`], appended to `out`.
pub(crate) fn push_transcript(
    out: &mut String,
    exchanges: &[Exchange],
    body_limit: usize,
    pretty: bool,
) {
    for (i, e) in exchanges.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_exchange(out, e, body_limit, pretty);
    }
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
    fn cut_keeps_char_boundaries_and_what_came_before() {
        let cut = |before: &str, text: &str, limit| {
            let mut out = format!("{before}{text}");
            cut_from(&mut out, before.len(), limit);
            out
        };
        assert_eq!(cut("> ", "abc", 5), "> abc");
        assert_eq!(cut("> ", "ééé", 3), "> é\n… (4 more bytes in report.json)");
    }
}

//! YAML the project's way: strict booleans, leading-zero numbers as strings, duplicate keys
//! rejected, and a failure told as one [`Diagnostic`] at its line and column with the field's
//! path. Every YAML file the project reads goes through here.

use std::sync::Arc;

use camino::Utf8Path;
use serde_saphyr::Location;

use super::diagnostic::Diagnostic;

/// Parses YAML the project's way, into any type: strict booleans, leading-zero numbers as
/// strings, duplicate keys rejected, and a failure as one [`Diagnostic`] with position and
/// field path. Every YAML file the project reads (cases, premise model, expectations,
/// acknowledged findings) goes through here.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &Utf8Path,
    source: &Arc<str>,
) -> Result<T, Box<Diagnostic>> {
    // Tracking the field path costs on every value, so parse without it first; only a file
    // that fails is parsed again with it, to name the field (the error is the same).
    if let Ok(parsed) = super::raw::from_yaml(source) {
        return Ok(parsed);
    }
    let mut path = String::new();
    let options = super::raw::yaml_options();
    let parsed = serde_saphyr::with_deserializer_from_str_with_options(source, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    });
    parsed.map_err(|error| {
        let location = error.location().unwrap_or(Location::UNKNOWN);
        let message = short_message(&error.to_string());
        let (line, column) = if message.starts_with("missing field") {
            mapping_start(source, location.line(), location.column())
        } else {
            (location.line(), location.column())
        };
        let field = path.replace(".value", "").replace(".?", "");
        Box::new(Diagnostic::new(
            file.to_owned(),
            Some(source.clone()),
            line,
            column,
            if field == "?" {
                String::new()
            } else {
                field.clone()
            },
            explain(&message, &field),
        ))
    })
}

/// serde-saphyr places a missing-field error at the mapping's last key; the mapping starts at
/// the first line above it with the same indentation (block style).
fn mapping_start(source: &str, at_line: u64, at_column: u64) -> (u64, u64) {
    let at = (at_line, at_column);
    let lines: Vec<&str> = source.lines().collect();
    let (Ok(line), Ok(column)) = (usize::try_from(at_line), usize::try_from(at_column)) else {
        return at;
    };
    let indent = column.saturating_sub(1);
    let Some(current) = line.checked_sub(1).and_then(|l| lines.get(l)) else {
        return at;
    };
    if current.len() - current.trim_start().len() != indent {
        return at; // flow style: keep the position serde-saphyr gave
    }
    let mut start = line;
    for l in (1..line).rev() {
        let text = lines[l - 1];
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let lead = text.len() - text.trim_start().len();
        let item = text.trim_start().starts_with("- ") && lead + 2 == indent;
        if lead == indent || item {
            start = l;
            if item {
                break;
            }
        } else if lead < indent {
            break;
        }
    }
    (start as u64, at_column)
}

/// Says what was expected where serde's own words are terse.
fn explain(message: &str, field: &str) -> String {
    let message = message.trim_end_matches(", set DuplicateKeyPolicy in Options if acceptable");
    if message.starts_with("invalid u16") && field.ends_with("status") {
        return "expected an HTTP status: a number such as 200 or 400".to_owned();
    }
    if message.starts_with("invalid") && (field.ends_with("usersCount") || field.ends_with("msgs"))
    {
        return format!("{message}: expected a whole number (the change of the counter)");
    }
    message.to_owned()
}

/// serde-saphyr prefixes its message with the position and appends its own snippet; keep
/// only the sentence, since the diagnostic renders position and snippet itself.
fn short_message(rendered: &str) -> String {
    let first = rendered.lines().next().unwrap_or(rendered);
    let without_prefix = first.strip_prefix("error: ").unwrap_or(first);
    match without_prefix.split_once(": ") {
        Some((position, rest)) if position.starts_with("line ") => rest.to_owned(),
        _ => without_prefix.to_owned(),
    }
}

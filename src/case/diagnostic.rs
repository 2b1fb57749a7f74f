//! Diagnostics for case files: what is wrong, where (file, line, column, field path), and
//! what was expected, rendered like a compiler error with the offending line and a caret.
//!
//! This module renders; it does not decide what is an error.

use std::fmt;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use camino::Utf8PathBuf;

/// One problem in one case file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file.
    pub file: Utf8PathBuf,
    /// 1-based line (0 when the whole file is concerned).
    pub line: u64,
    /// 1-based column (0 when unknown).
    pub column: u64,
    /// The field path, e.g. `cases[2].setup.rooms.town.members[0]`.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// The file's text, kept to render the snippet.
    source: Option<std::sync::Arc<str>>,
}

impl Diagnostic {
    /// A diagnostic at a position of `source`.
    pub fn new(
        file: Utf8PathBuf,
        source: Option<std::sync::Arc<str>>,
        line: u64,
        column: u64,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            file,
            line,
            column,
            field: field.into(),
            message: message.into(),
            source,
        }
    }

    /// Renders the diagnostic with a snippet of the offending line and a caret.
    pub fn render(&self, renderer: &Renderer) -> String {
        let title = format!("{} (field `{}`)", self.message, self.field);
        let Some((text, start_line, span)) = self.excerpt() else {
            return format!(
                "error: {title}\n --> {}:{}:{}",
                self.file, self.line, self.column
            );
        };
        let path = self.file.as_str();
        let report = &[Level::ERROR.primary_title(&title).element(
            Snippet::source(&text)
                .line_start(start_line)
                .path(path)
                .annotation(AnnotationKind::Primary.span(span).label(&self.message)),
        )];
        renderer.render(report).to_string()
    }

    /// Up to two lines of context before the offending line, the offending line, and the
    /// byte span of the caret within that text.
    fn excerpt(&self) -> Option<(String, usize, std::ops::Range<usize>)> {
        let source = self.source.as_deref()?;
        let line = usize::try_from(self.line).ok()?.checked_sub(1)?;
        let lines: Vec<&str> = source.lines().collect();
        let target = *lines.get(line)?;
        let first = line.saturating_sub(2);
        let context: Vec<&str> = lines[first..=line].to_vec();
        let text = context.join("\n");
        let offset_of_target = text.len() - target.len();
        let col = usize::try_from(self.column.max(1) - 1).unwrap_or(0);
        let col_byte = target
            .char_indices()
            .nth(col)
            .map_or(target.len(), |(i, _)| i);
        let end = target[col_byte..]
            .find([',', '}', ']', ' '])
            .map_or(target.len(), |e| col_byte + e.max(1));
        Some((
            text,
            first + 1,
            offset_of_target + col_byte..offset_of_target + end,
        ))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.field, self.message
        )
    }
}

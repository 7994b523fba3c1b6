//! Rendering of diagnostics: human (rustc-style snippets through
//! annotate-snippets) and JSON (one object per line, for CI).

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use policy_lang::diag::{Diagnostic, LineIndex, Severity};
use serde::Serialize;

/// One diagnostic as `polc check --format json` prints it.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// File name as given on the command line.
    pub file: &'a str,
    /// 1-based line of the primary span start.
    pub line: usize,
    /// 1-based column (characters) of the primary span start.
    pub column: usize,
    /// 1-based line of the primary span end.
    pub end_line: usize,
    /// 1-based column of the primary span end (exclusive).
    pub end_column: usize,
    /// Stable code, e.g. `E0101`.
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// What is wrong.
    pub message: &'a str,
    /// How to fix it, when known.
    pub help: Option<&'a str>,
}

/// Converts a diagnostic to its JSON form.
pub fn to_json<'a>(
    file: &'a str,
    source: &str,
    lines: &LineIndex,
    d: &'a Diagnostic,
) -> JsonDiagnostic<'a> {
    let (line, column) = lines.line_col(source, d.span.start);
    let (end_line, end_column) = lines.line_col(source, d.span.end);
    JsonDiagnostic {
        file,
        line,
        column,
        end_line,
        end_column,
        code: d.code.as_str(),
        severity: d.severity().as_str(),
        message: &d.message,
        help: d.help.as_deref(),
    }
}

/// Renders a diagnostic the way rustc does: header, source snippet with the
/// span underlined, secondary notes, help line.
pub fn human(file: &str, source: &str, d: &Diagnostic, color: bool) -> String {
    let level = match d.severity() {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let clamp = |s: usize| policy_lang::diag::floor_char_boundary(source, s.min(source.len()));
    let (start, end) = (clamp(d.span.start), clamp(d.span.end));
    let mut snippet = Snippet::source(source)
        .path(file)
        .fold(true)
        .annotation(AnnotationKind::Primary.span(start..end.max(start)));
    for (span, note) in &d.notes {
        snippet = snippet.annotation(
            AnnotationKind::Context
                .span(clamp(span.start)..clamp(span.end))
                .label(note.as_str()),
        );
    }
    let mut group = level
        .primary_title(d.message.as_str())
        .id(d.code.as_str())
        .element(snippet);
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&[group]).to_string()
}

/// Renders a rule's source lines under a title, for `polc explain`.
pub fn rule(file: &str, source: &str, span: policy_lang::diag::Span, title: &str) -> String {
    let clamp = |s: usize| policy_lang::diag::floor_char_boundary(source, s.min(source.len()));
    let snippet = Snippet::source(source)
        .path(file)
        .fold(true)
        .annotation(AnnotationKind::Primary.span(clamp(span.start)..clamp(span.end)));
    let group = Level::NOTE.primary_title(title).element(snippet);
    Renderer::plain().render(&[group]).to_string()
}

//! Rendering of diagnostics: human (rustc-style snippets through
//! annotate-snippets) and JSON (one object per line, for CI), and the
//! rules `polc explain` shows.

use std::io::Write;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use policy_lang::diag::{Diagnostic, DiagnosticJson, LineIndex, Severity};
use serde::Serialize;

use crate::Format;

/// One diagnostic as `polc check --format json` prints it: the file name
/// as given on the command line, then the fields of [`DiagnosticJson`]
/// (the shape the WASM `check` returns).
#[derive(Debug, Serialize)]
pub struct FileDiagnostic<'a> {
    /// File name as given on the command line.
    pub file: &'a str,
    /// The diagnostic.
    #[serde(flatten)]
    pub diagnostic: DiagnosticJson,
}

/// Prints the diagnostics of one file, in `format`.
pub(crate) fn print_diagnostics(
    name: &str,
    bytes: &[u8],
    diagnostics: &[Diagnostic],
    format: Format,
    color: bool,
    out: &mut dyn Write,
) {
    let source = String::from_utf8_lossy(bytes);
    let lines = LineIndex::new(&source);
    for d in diagnostics {
        let _ = match format {
            Format::Json => {
                let j = FileDiagnostic {
                    file: name,
                    diagnostic: DiagnosticJson::new(&source, &lines, d),
                };
                writeln!(out, "{}", serde_json::to_string(&j).unwrap_or_default())
            }
            Format::Human => writeln!(out, "{}\n", human(name, &source, d, color)),
        };
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

/// The worst-case work per decision of each surface (`policy_eval::cost`),
/// as lines for `polc compile`.
pub(crate) fn cost(c: &policy_eval::cost::Cost) -> String {
    let header = format!(
        "worst case per decision (limit {} automaton steps):",
        policy_eval::limits::MAX_DECISION_STEPS
    );
    cost_with(&header, c)
}

/// [`cost`] under another first line.
pub(crate) fn cost_with(header: &str, c: &policy_eval::cost::Cost) -> String {
    let mut s = format!("{header}\n");
    for surface in policy_eval::artifact::Surface::ALL {
        let sc = c.surfaces[surface as usize];
        s.push_str(&format!(
            "  {}: {} lookups, {} automaton steps",
            surface.as_str(),
            sc.lookups,
            sc.automaton_steps
        ));
        if sc.glob_matches > 0 {
            s.push_str(&format!(", {} globs matched one by one", sc.glob_matches));
        }
        s.push('\n');
    }
    s
}

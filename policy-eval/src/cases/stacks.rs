//! Stack vectors (`tests/stacks/`, `spec/tests.md`, "Stack vectors"): a
//! stack file `NAME.stack` names the layers, `NAME.tests.jsonl` holds cases
//! in the format of [`super::TestsFile`], decided by the [`Stack`].
//!
//! A stack file has one layer per line, top first: `LEVEL NAME POLICY`
//! and optionally `audit`, separated by spaces; `#` starts a comment line.
//! `POLICY` is a policy file beside the stack file.
//!
//! Flattened stack vectors have the fields of [`super::flatten`], the
//! second being the stack: its layers joined by `;`, each
//! `LEVEL:NAME:AUDIT:ARTIFACT` (`AUDIT` is `0` or `1`).

use super::{flatten_with, FlattenError, Outcome, TestsFile, Vector};
use crate::{valid_layer_name, Stack};

/// One line of a stack file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEntry {
    /// Its level (0 at the top).
    pub level: u8,
    /// Its name.
    pub name: String,
    /// The policy file, relative to the stack file's directory.
    pub policy: String,
    /// An audit layer.
    pub audit: bool,
}

/// A parsed stack file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackFile {
    /// The file's name, for messages.
    pub file: String,
    /// Its layers, top first.
    pub layers: Vec<StackEntry>,
}

impl StackFile {
    /// Parses a stack file; a malformed line is an error naming its place.
    pub fn parse(file: &str, text: &str) -> Result<StackFile, FlattenError> {
        let mut layers = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let err = |message: &str| FlattenError {
                place: format!("{file}:{}", n + 1),
                message: message.to_string(),
            };
            let words: Vec<&str> = t.split_ascii_whitespace().collect();
            let (level, name, policy, audit) = match words[..] {
                [l, n, p] => (l, n, p, false),
                [l, n, p, "audit"] => (l, n, p, true),
                _ => return Err(err("expected `LEVEL NAME POLICY [audit]`")),
            };
            let level = level.parse().map_err(|_| err("LEVEL must be 0 to 255"))?;
            if !valid_layer_name(name) || name.contains([':', ';']) {
                return Err(err(
                    "NAME must be printable ASCII without space, `:` or `;`",
                ));
            }
            if policy.contains([':', ';']) {
                return Err(err("POLICY must not contain `:` or `;`"));
            }
            layers.push(StackEntry {
                level,
                name: name.to_string(),
                policy: policy.to_string(),
                audit,
            });
        }
        Ok(StackFile {
            file: file.to_string(),
            layers,
        })
    }

    /// The second field of flattened stack vectors, with `artifact` giving
    /// each layer's artifact path.
    pub fn field(&self, artifact: impl Fn(&StackEntry) -> String) -> String {
        self.layers
            .iter()
            .map(|l| {
                format!(
                    "{}:{}:{}:{}",
                    l.level,
                    l.name,
                    u8::from(l.audit),
                    artifact(l)
                )
            })
            .collect::<Vec<_>>()
            .join(";")
    }
}

impl Vector {
    /// Decides the request with `stack` ([`Stack::decide_json`]) and
    /// compares with `expect`.
    pub fn run_stack(&self, stack: &Stack) -> Outcome {
        let (decision, json) = stack.decide_json_detailed(&self.request);
        self.compare(decision.decision, json)
    }
}

/// Appends one line per case of `tests` to `out`, deciding with `stack`,
/// whose second field is `field` ([`StackFile::field`]); returns the case
/// count.
pub fn flatten(
    tests: &TestsFile,
    field: &str,
    stack: &Stack,
    out: &mut String,
) -> Result<usize, FlattenError> {
    flatten_with(tests, field, |request| stack.decide_json(request), out)
}

//! `polc`, the policy command-line tool: check, compile, eval, explain, test.
//!
//! The library form exists so tests can run commands in-process; `main.rs`
//! only forwards the process arguments and streams.
//!
//! Exit codes: 0 success; 1 the policy has errors, a test failed, or (with
//! `--deny-warnings`) warnings were found; 2 usage or I/O error.

use std::ffi::OsString;
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use policy_eval::limits::{MAX_ARTIFACT_BYTES, MAX_POLICY_SOURCE_BYTES};
use policy_eval::wire::MAGIC;
use policy_lang::check::{check_bytes, source_too_large, CheckResult};
use policy_lang::diag::{LineIndex, Severity};

mod commands;
pub mod render;

/// Success.
pub const EXIT_OK: u8 = 0;
/// Policy errors, failed tests, or warnings under `--deny-warnings`.
pub const EXIT_FAIL: u8 = 1;
/// Bad command line or unreadable files.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "polc",
    version,
    about = "Check, compile and evaluate agent policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output format of diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// rustc-style messages with source snippets.
    Human,
    /// One JSON object per diagnostic per line.
    Json,
}

/// When to color human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    /// Never.
    Never,
    /// Always.
    Always,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check policy files and report every problem.
    Check {
        /// Policy files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Fail when there are warnings.
        #[arg(long)]
        deny_warnings: bool,
        /// Color human output.
        #[arg(long, value_enum, default_value = "never")]
        color: Color,
    },
    /// Compile a policy into an artifact for the runtimes.
    Compile {
        /// Policy source file.
        policy: PathBuf,
        /// Where to write the artifact.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Decide JSON requests, one per line, from a file or standard input.
    Eval {
        /// Policy source or compiled artifact.
        policy: PathBuf,
        /// JSON lines file of requests; standard input when absent.
        requests: Option<PathBuf>,
        /// Print decision events instead of decisions.
        #[arg(long)]
        events: bool,
    },
    /// Decide one request and show every rule that matched and why it won or lost.
    Explain {
        /// Policy source file.
        policy: PathBuf,
        /// The request, as JSON.
        request: String,
    },
    /// Run the tests written next to each policy (`NAME.tests.jsonl`).
    Test {
        /// Policy source files.
        #[arg(required = true)]
        policies: Vec<PathBuf>,
    },
}

/// Runs `polc` with `args` (the first is the program name) on the given
/// streams and returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                err.write_all(text.as_bytes())
            } else {
                out.write_all(text.as_bytes())
            };
            return code;
        }
    };
    match cli.command {
        Command::Check {
            files,
            format,
            deny_warnings,
            color,
        } => check(
            &files,
            format,
            deny_warnings,
            color == Color::Always,
            out,
            err,
        ),
        Command::Compile { policy, output } => commands::compile(&policy, &output, out, err),
        Command::Eval {
            policy,
            requests,
            events,
        } => commands::eval(&policy, requests.as_deref(), events, stdin, out, err),
        Command::Explain { policy, request } => commands::explain(&policy, &request, out, err),
        Command::Test { policies } => commands::test(&policies, out, err),
    }
}

/// A policy source or artifact, read only when its size is within the limit
/// of its kind.
pub(crate) struct PolicyFile {
    /// The file starts with the artifact magic bytes (looked for only where
    /// an artifact is accepted).
    pub artifact: bool,
    /// Size from the file's metadata.
    pub size: u64,
    /// Over the limit of its kind (`MAX_ARTIFACT_BYTES` for an artifact,
    /// `MAX_POLICY_SOURCE_BYTES` otherwise), so not read.
    pub too_large: bool,
    /// The whole file; when `too_large`, only the start of its first line
    /// (at most `HEAD_BYTES`), for the snippet of the E0003 diagnostic.
    pub bytes: Vec<u8>,
}

/// How much of an oversized file is read: enough for the magic bytes and
/// the first line.
const HEAD_BYTES: u64 = 4096;

/// Reads a policy file, reporting I/O failure on `err`. The size comes from
/// the file's metadata, so a file over its limit is refused without being
/// read. Reading also stops one byte past the limit, for files that grow or
/// have no size (pipes, devices): the checker or `Policy::from_bytes` then
/// refuses the bytes read, as for any input over the limit.
pub(crate) fn read_policy(
    path: &std::path::Path,
    artifacts: bool,
    err: &mut dyn Write,
) -> Option<PolicyFile> {
    let read = || -> std::io::Result<PolicyFile> {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let mut bytes = Vec::new();
        (&mut file).take(HEAD_BYTES).read_to_end(&mut bytes)?;
        let artifact = artifacts && bytes.starts_with(&MAGIC);
        let limit = if artifact {
            MAX_ARTIFACT_BYTES
        } else {
            MAX_POLICY_SOURCE_BYTES
        } as u64;
        let too_large = size > limit;
        if too_large {
            // Only a source's first line is ever shown.
            let line = bytes.iter().position(|&b| b == b'\n');
            let keep = if artifact {
                0
            } else {
                line.unwrap_or(bytes.len())
            };
            bytes.truncate(keep);
        } else {
            let expected = usize::try_from(size).unwrap_or(0);
            bytes.reserve(expected.saturating_sub(bytes.len()));
            let rest = (limit + 1).saturating_sub(bytes.len() as u64);
            file.take(rest).read_to_end(&mut bytes)?;
        }
        Ok(PolicyFile {
            artifact,
            size,
            too_large,
            bytes,
        })
    };
    match read() {
        Ok(f) => Some(f),
        Err(e) => {
            let _ = writeln!(err, "error: cannot read `{}`: {e}", path.display());
            None
        }
    }
}

/// Checks a policy source read by [`read_policy`]: E0003 without looking
/// at the text when the file is over the size limit.
pub(crate) fn check_file(file: &PolicyFile) -> CheckResult {
    if file.too_large {
        source_too_large(file.size)
    } else {
        check_bytes(&file.bytes)
    }
}

/// Prints the diagnostics of one checked file.
pub(crate) fn print_diagnostics(
    name: &str,
    bytes: &[u8],
    result: &CheckResult,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) {
    let source = String::from_utf8_lossy(bytes);
    let lines = LineIndex::new(&source);
    for d in &result.diagnostics {
        let _ = match format {
            Format::Json => {
                let j = render::to_json(name, &source, &lines, d);
                writeln!(out, "{}", serde_json::to_string(&j).unwrap_or_default())
            }
            Format::Human => writeln!(out, "{}\n", render::human(name, &source, d, color)),
        };
    }
}

fn check(
    files: &[PathBuf],
    format: Format,
    deny_warnings: bool,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let mut code = EXIT_OK;
    let (mut errors, mut warnings) = (0usize, 0usize);
    for path in files {
        let Some(file) = read_policy(path, false, err) else {
            code = EXIT_USAGE;
            continue;
        };
        let bytes = &file.bytes;
        let mut result = check_file(&file);
        let name = path.display().to_string();
        if let Some(policy) = &result.policy {
            let source = String::from_utf8_lossy(bytes);
            match policy_lang::compile::compile(policy, &source) {
                Ok(c) => result.diagnostics.extend(c.warnings),
                Err(e) => {
                    let _ = writeln!(err, "error: {name}: {e}");
                    errors += 1;
                }
            }
        }
        print_diagnostics(&name, bytes, &result, format, color, out);
        for d in &result.diagnostics {
            match d.severity() {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
    }
    if format == Format::Human {
        let _ = writeln!(
            err,
            "checked {} file(s): {errors} error(s), {warnings} warning(s)",
            files.len()
        );
    }
    if code == EXIT_OK && (errors > 0 || (deny_warnings && warnings > 0)) {
        code = EXIT_FAIL;
    }
    code
}

//! `polc`, the policy command-line tool: check, compile, eval, list-tools,
//! explain, test, diff, replay, stack, digest.
//!
//! The library form exists so tests can run commands in-process; `main.rs`
//! only forwards the process arguments and streams.
//!
//! Code map: this file parses arguments and dispatches; `cmd/` has one
//! module per command (`check`, `compile`, `eval`, `list` for `list-tools`,
//! `explain`, `test`, `diff`, `replay`, `stack`, `digest`);
//! `input.rs` reads policy files (source or artifact by magic bytes, within
//! the size limits) and builds them with `policy_lang::build`; `render.rs`
//! renders diagnostics (human, JSON) and rule snippets.
//!
//! Exit codes: 0 success; 1 the policy has errors, a test failed, or (with
//! `--deny-warnings`) warnings were found; 2 usage or I/O error.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod cmd;
mod input;
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
    /// List which MCP tools the agent may see: one JSON listing request per
    /// line (`{"server", "source", "tools"}`), one listing per line.
    #[command(name = "list-tools")]
    ListTools {
        /// Policy source or compiled artifact.
        policy: PathBuf,
        /// JSON lines file of listing requests; standard input when absent
        /// or `-`.
        requests: Option<PathBuf>,
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
        /// After the results, report which rules no test case is decided
        /// by, and what the tests that matched them decided.
        #[arg(long)]
        coverage: bool,
        /// Format of the coverage report.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Exit 1 when fewer than PCT percent of the rules decide a test
        /// (implies --coverage).
        #[arg(long, value_name = "PCT")]
        min_coverage: Option<f64>,
    },
    /// Show every class of requests two policies decide differently, each
    /// with a witness request checked against both (spec/analysis.md).
    /// Exit 0: no change; 3: only narrowing; 4: some widening or unknown part.
    Diff {
        /// The policy in force.
        old: PathBuf,
        /// The candidate.
        new: PathBuf,
        /// Bind a path root for filesystem witnesses (NAME=PATH; default
        /// home=/home/user, other roots /home/user/NAME).
        #[arg(long = "root", value_name = "NAME=PATH")]
        roots: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Re-decide the requests of logged decision events with a candidate
    /// policy: unchanged, newly allowed, denied or asked, per recorded rule
    /// and in total, and what cannot be replayed (spec/analysis.md).
    Replay {
        /// Decision events, one JSON object per line (spec/events.md).
        events: PathBuf,
        /// The candidate policy (source or compiled artifact).
        #[arg(long)]
        policy: PathBuf,
        /// Bind a path root for filesystem events (NAME=PATH): events do
        /// not record root bindings.
        #[arg(long = "root", value_name = "NAME=PATH")]
        roots: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Layered policies from several authorities (spec/layers.md): each
    /// LEVEL is a comma-separated list of policy files, top level first.
    Stack {
        #[command(subcommand)]
        what: StackCommand,
    },
    /// Print the digest that pins a definition (spec/pins.md).
    Digest {
        #[command(subcommand)]
        what: Digest,
    },
}

#[derive(Subcommand, Debug)]
enum StackCommand {
    /// Check every layer, then report each rule of a lower layer that is
    /// looser than a layer above it (W0113), with a witness request, and
    /// each part that could not be checked exactly (W0114).
    Check {
        /// Levels, top first; each a comma-separated list of policy files
        /// (a layer is named by its file's stem); or one stack file
        /// `NAME.stack`.
        #[arg(required = true, value_name = "LEVEL")]
        levels: Vec<String>,
        /// Mark the layer NAME as audit-only (repeatable).
        #[arg(long = "audit", value_name = "NAME")]
        audit: Vec<String>,
        /// Fail (exit 1) on any inactive or unproven part.
        #[arg(long)]
        deny_inactive: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Decide one request with the stack and show every layer's own
    /// decision: the deciding one with its rule's source, the agreeing, the
    /// inactive (looser) and the audit layers'.
    Explain {
        /// Levels, top first; each a comma-separated list of policy files,
        /// or one stack file.
        #[arg(required = true, value_name = "LEVEL")]
        levels: Vec<String>,
        /// The request, as JSON.
        #[arg(long)]
        request: String,
        /// Mark the layer NAME as audit-only (repeatable).
        #[arg(long = "audit", value_name = "NAME")]
        audit: Vec<String>,
    },
    /// Run the tests of each stack file (`NAME.tests.jsonl` beside
    /// `NAME.stack`; spec/tests.md, "Stack vectors").
    Test {
        /// Stack files: one layer per line, `LEVEL NAME POLICY [audit]`.
        #[arg(required = true)]
        stacks: Vec<PathBuf>,
    },
    /// Decide JSON requests, one per line, with the stack: each decision
    /// names its `layer`, and `would` when audit layers decide otherwise.
    Eval {
        /// Levels, top first; each a comma-separated list of policy files.
        #[arg(required = true, value_name = "LEVEL")]
        levels: Vec<String>,
        /// JSON lines file of requests; standard input when absent.
        #[arg(long)]
        requests: Option<PathBuf>,
        /// Mark the layer NAME as audit-only (repeatable).
        #[arg(long = "audit", value_name = "NAME")]
        audit: Vec<String>,
        /// Print decision events (with `layer` and `would`) instead of
        /// decisions.
        #[arg(long)]
        events: bool,
    },
}

#[derive(Subcommand, Debug)]
enum Digest {
    /// Digest of an MCP tool definition (one JSON object, as tools/list
    /// serves it): sha256 of its RFC 8785 canonical JSON.
    Tool {
        /// The definition; standard input when absent or `-`.
        file: Option<PathBuf>,
        /// Print the canonical JSON instead of the digest.
        #[arg(long)]
        canonical: bool,
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
        } => cmd::check::check(
            &files,
            format,
            deny_warnings,
            color == Color::Always,
            out,
            err,
        ),
        Command::Compile { policy, output } => cmd::compile::compile(&policy, &output, out, err),
        Command::Eval {
            policy,
            requests,
            events,
        } => cmd::eval::eval(&policy, requests.as_deref(), events, stdin, out, err),
        Command::ListTools { policy, requests } => {
            cmd::list::list_tools(&policy, requests.as_deref(), stdin, out, err)
        }
        Command::Explain { policy, request } => cmd::explain::explain(&policy, &request, out, err),
        Command::Test {
            policies,
            coverage,
            format,
            min_coverage,
        } => cmd::test::test(
            &policies,
            cmd::test::CoverageOptions {
                report: coverage,
                format,
                min: min_coverage,
            },
            out,
            err,
        ),
        Command::Diff {
            old,
            new,
            roots,
            format,
        } => cmd::diff::diff(&old, &new, &roots, format, out, err),
        Command::Replay {
            events,
            policy,
            roots,
            format,
        } => cmd::replay::replay(&events, &policy, &roots, format, out, err),
        Command::Stack {
            what:
                StackCommand::Check {
                    levels,
                    audit,
                    deny_inactive,
                    format,
                },
        } => cmd::stack::check(&levels, &audit, deny_inactive, format, out, err),
        Command::Stack {
            what:
                StackCommand::Explain {
                    levels,
                    request,
                    audit,
                },
        } => cmd::stack::explain(&levels, &audit, &request, out, err),
        Command::Stack {
            what: StackCommand::Test { stacks },
        } => cmd::stack::test(&stacks, out, err),
        Command::Stack {
            what:
                StackCommand::Eval {
                    levels,
                    requests,
                    audit,
                    events,
                },
        } => cmd::stack::eval(
            &levels,
            &audit,
            requests.as_deref(),
            events,
            stdin,
            out,
            err,
        ),
        Command::Digest {
            what: Digest::Tool { file, canonical },
        } => cmd::digest::tool(file.as_deref(), canonical, stdin, out, err),
    }
}

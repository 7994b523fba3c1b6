//! `polc`: the policy command-line tool. See the library docs for commands
//! and exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
    ExitCode::from(polc::run(
        std::env::args_os(),
        &mut stdin,
        &mut stdout,
        &mut stderr,
    ))
}

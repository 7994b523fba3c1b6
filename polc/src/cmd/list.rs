//! `polc list-tools POLICY [FILE|-]`: tool listings (`spec/requests.md`,
//! "Listing tools") for JSON listing requests, one per line.

use std::io::{BufRead, Write};
use std::path::Path;

use policy_eval::limits::MAX_JSON_LIST_BYTES;

use super::eval::read_line_bounded;
use crate::input::load_any;
use crate::{EXIT_OK, EXIT_USAGE};

/// One listing (or error object) per input line, in order, blank lines
/// included, as `polc eval` answers; each line is passed, without its
/// `\n` or `\r\n`, to `Policy::list_tools_json_bytes` as the C ABI's
/// `apol_list_tools_json` passes its argument.
pub(crate) fn list_tools(
    path: &Path,
    requests: Option<&Path>,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let policy = match load_any(path, err) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut file_reader;
    let input: &mut dyn BufRead = match requests.filter(|r| *r != Path::new("-")) {
        Some(r) => match std::fs::File::open(r) {
            Ok(f) => {
                file_reader = std::io::BufReader::new(f);
                &mut file_reader
            }
            Err(e) => {
                let _ = writeln!(err, "error: cannot read `{}`: {e}", r.display());
                return EXIT_USAGE;
            }
        },
        None => stdin,
    };
    let mut line = Vec::new();
    loop {
        match read_line_bounded(input, &mut line, MAX_JSON_LIST_BYTES + 1) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let _ = writeln!(err, "error: reading listing requests: {e}");
                return EXIT_USAGE;
            }
        }
        let bytes = line.strip_suffix(b"\n").unwrap_or(&line);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let (Ok(text) | Err(text)) = policy.list_tools_json_bytes(bytes);
        if out.write_all(text.as_bytes()).is_err() || out.write_all(b"\n").is_err() {
            return EXIT_USAGE;
        }
    }
    EXIT_OK
}

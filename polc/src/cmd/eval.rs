//! `polc eval POLICY [REQUESTS]`: decisions (or events) for JSON lines.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::SystemTime;

use policy_eval::event::Event;
use policy_eval::limits::MAX_JSON_REQUEST_BYTES;

use crate::input::load_any;
use crate::{EXIT_OK, EXIT_USAGE};

/// `polc eval POLICY [REQUESTS]`: one decision (or event) per input line, in
/// order, blank lines included, so that a caller can pair answers with
/// requests by position.
pub(crate) fn eval(
    path: &Path,
    requests: Option<&Path>,
    events: bool,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let policy = match load_any(path, err) {
        Ok(p) => p,
        Err(code) => return code,
    };
    each_request(requests, stdin, out, err, |line| {
        let outcome = policy.decide_json_bytes_detailed(line);
        if events {
            let event = match &outcome.request {
                Some(req) => req.with(|r, c| Event::new(&policy, r, c, &outcome.decision)),
                None => Event::unparsed(&policy, &outcome.decision, SystemTime::now()),
            };
            event.to_json_line()
        } else {
            policy.outcome_json(&outcome) + "\n"
        }
    })
}

/// Answers each line of `requests` (standard input when `None`) with
/// `answer`, in order, blank lines included, so that a caller can pair
/// answers with requests by position. A request is its line without the
/// ending (`\n` or `\r\n`), nothing else trimmed, decided as the C ABI's
/// `apol_decide_json` decides its argument: an empty or blank line is not
/// well-formed JSON either (JSON allows only ASCII spaces, tabs and line
/// breaks around the object).
pub(crate) fn each_request(
    requests: Option<&Path>,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
    mut answer: impl FnMut(&[u8]) -> String,
) -> u8 {
    let mut file_reader;
    let input: &mut dyn BufRead = match requests {
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
        // `MAX_JSON_REQUEST_BYTES + 2` bytes kept: a request at the limit with
        // its `\r\n`, or enough of a longer line to see that it is over.
        match read_line_bounded(input, &mut line, MAX_JSON_REQUEST_BYTES + 1) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let _ = writeln!(err, "error: reading requests: {e}");
                return EXIT_USAGE;
            }
        }
        let request = line.strip_suffix(b"\n").unwrap_or(&line);
        let request = request.strip_suffix(b"\r").unwrap_or(request);
        if out.write_all(answer(request).as_bytes()).is_err() {
            return EXIT_USAGE;
        }
    }
    EXIT_OK
}

/// Reads one line (up to and including `\n`) into `line`, keeping at most
/// `limit + 1` bytes: enough for the request to be refused as too large,
/// without holding a huge line in memory; the rest of the line is read and
/// dropped. `Ok(false)` at the end of the input.
pub(crate) fn read_line_bounded(
    input: &mut dyn BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<bool> {
    line.clear();
    let mut any = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(any);
        }
        any = true;
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (buf.get(..=i).unwrap_or(buf), true),
            None => (buf, false),
        };
        let room = (limit + 1).saturating_sub(line.len());
        line.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or_default());
        let n = chunk.len();
        input.consume(n);
        if done {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_long_line_is_kept_only_up_to_the_limit() {
        // A small buffer, so the long line arrives in many chunks.
        let text = format!("{}\nnext\nlast", "x".repeat(10_000));
        let mut input = std::io::BufReader::with_capacity(64, text.as_bytes());
        let mut line = Vec::new();
        assert!(read_line_bounded(&mut input, &mut line, 100).unwrap());
        assert_eq!(line, vec![b'x'; 101]);
        assert!(read_line_bounded(&mut input, &mut line, 100).unwrap());
        assert_eq!(line, b"next\n");
        assert!(read_line_bounded(&mut input, &mut line, 100).unwrap());
        assert_eq!(line, b"last");
        assert!(!read_line_bounded(&mut input, &mut line, 100).unwrap());
    }
}

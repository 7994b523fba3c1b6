//! Body: [`test_kit::fuzz::json_request`] (replayed on stable by `test-kit/tests/fuzz_corpus.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| test_kit::fuzz::json_request(data));

//! Fuzzes ClientHello reading: whatever is accepted re-encodes to the same bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fipsprobe::wire::fuzz::client_hello_roundtrip(data));

//! Fuzzes the signature-envelope reader: any bytes, read as a DSSE envelope and checked
//! against a fixed key, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fipsprobe::sign::fuzz::envelope(data));

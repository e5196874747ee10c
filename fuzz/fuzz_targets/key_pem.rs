//! Fuzzes the key readers: any bytes, read as a PEM private and public key, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fipsprobe::sign::fuzz::key_pem(data));

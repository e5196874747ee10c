//! Fuzzes the server-flight parser: any bytes, any chunking, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fipsprobe::wire::fuzz::server_flight(data));

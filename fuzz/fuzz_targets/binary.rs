//! Fuzzes the binary inspector (ELF headers, Go build information and function table, native
//! library markers) and the build-information decoder: any bytes, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fipsprobe::binaries::fuzz::binary(data));

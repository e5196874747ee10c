//! The `fipsprobe` binary: parse arguments, run, map the outcome to exit code 0/1/2/3.

fn main() {}

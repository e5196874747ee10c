#!/bin/sh
# A bounded fuzz run of the server-flight and ClientHello targets (fuzz/), for CI: each target
# for FUZZ_SECONDS (default 60), seeded with the captures in tests/data/*.bin.
#
# With FUZZ_ENGINE=cargo-fuzz and a nightly toolchain it runs cargo-fuzz (libFuzzer,
# coverage-guided), installing cargo-fuzz from crates.io when missing: a cold build of that is
# ten minutes on two cores, too much for every CI run, so CI uses the default (stable). No sanitizer (`-s none`): the targets are safe Rust
# (unsafe_code is forbidden), a panic is the bug to find, and AddressSanitizer would double the
# build (aws-lc-sys) and halve the executions; FUZZ_SANITIZER=address brings it back. Without nightly (or when cargo-fuzz cannot be
# installed) it runs the same target bodies on stable (examples/fuzz_smoke.rs: seeds, then
# random mutations; no coverage guidance), in the debug build `cargo test` already made, and
# says so. Either way a crash fails the script and
# leaves the input in fuzz/artifacts/<target>/.
set -eu
cd "$(dirname "$0")/.."

SECONDS_EACH="${FUZZ_SECONDS:-60}"
SANITIZER="${FUZZ_SANITIZER:-none}"
TARGETS="server_flight client_hello_roundtrip"
# Sanitizer builds are large: keep them out of the tree's target directory.
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/fuzz}"

have_nightly() {
    rustup toolchain list 2>/dev/null | grep -q '^nightly'
}

have_cargo_fuzz() {
    cargo +nightly fuzz --version >/dev/null 2>&1
}

ENGINE="${FUZZ_ENGINE:-stable}"

if [ "$ENGINE" = cargo-fuzz ] && have_nightly && ! have_cargo_fuzz; then
    echo "fuzz-smoke: installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz >&2 || echo "fuzz-smoke: cargo-fuzz install failed" >&2
fi

if [ "$ENGINE" = cargo-fuzz ] && have_nightly && have_cargo_fuzz; then
    # One build for both targets, then a bounded run of each.
    (cd fuzz && cargo +nightly fuzz build -s "$SANITIZER" --target-dir "$FUZZ_TARGET_DIR") >&2
    for target in $TARGETS; do
        corpus="fuzz/corpus/$target"
        mkdir -p "$corpus"
        cp tests/data/*.bin "$corpus/"
        log="$FUZZ_TARGET_DIR/$target.log"
        mkdir -p "$FUZZ_TARGET_DIR"
        echo "fuzz-smoke: cargo fuzz run $target for ${SECONDS_EACH}s (log: $log)" >&2
        if ! (cd fuzz && cargo +nightly fuzz run -s "$SANITIZER" --target-dir "$FUZZ_TARGET_DIR" "$target" \
            "corpus/$target" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=1024 \
            -print_final_stats=1) >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            echo "fuzz-smoke: $target FAILED (input in fuzz/artifacts/$target/)" >&2
            exit 1
        fi
        grep -E '^(Done|stat::number_of_executed_units)' "$log" >&2 || tail -n 3 "$log" >&2
    done
else
    echo "fuzz-smoke: running the target bodies on stable (FUZZ_ENGINE=cargo-fuzz for libFuzzer)" >&2
    cargo build --example fuzz_smoke
    for target in $TARGETS; do
        "${CARGO_TARGET_DIR:-target}/debug/examples/fuzz_smoke" "$target" "$SECONDS_EACH"
    done
fi
echo "fuzz-smoke: ok"

#!/bin/sh
# The README's test command: install the real TLS servers the tests scan (when missing), then run
# every unit, integration and doc test. Exits with cargo's status.
#
# FIPSPROBE_REQUIRE_SERVERS=1 turns "server binary missing" from a loud skip into a failure: after
# the install step every server must be there.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-test-deps.sh

if ! command -v cargo >/dev/null 2>&1; then
    echo "test.sh: cargo not found: install Rust (https://rustup.rs), then run this again" >&2
    exit 127
fi

export FIPSPROBE_REQUIRE_SERVERS="${FIPSPROBE_REQUIRE_SERVERS:-1}"
# Plain `cargo test` runs the unit, integration and doc tests (and builds the examples);
# `--all-targets` would skip the doc tests.
exec cargo test "$@"

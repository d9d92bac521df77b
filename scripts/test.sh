#!/usr/bin/env bash
# The one test command (README.md): builds the binary the end-to-end tests spawn, then runs
# every test of the workspace (unit, golden, property, layering, end-to-end with psql and
# psycopg 3; criterion benches run once in test mode). Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --bins
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --all-targets 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
grep -E '^test result:' "$log" | awk '{p += $4; f += $6} END {printf "%d passed, %d failed\n", p, f}'
exit "$status"

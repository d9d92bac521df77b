#!/usr/bin/env bash
# The one test command (README.md): builds the binary the end-to-end tests spawn, then runs
# every test of the workspace (unit, golden, property, layering, end-to-end with psql and
# psycopg 3, benches compiled and run once in test mode).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --bins
cargo test --workspace --all-targets
cargo test --workspace --doc

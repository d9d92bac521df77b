#!/usr/bin/env bash
# Side-by-side: the same report on Bijli and on PostgreSQL 15 loaded with the same data, in one
# run, reported as a ratio. Usage: benches/pg_compare.sh [CONSUMERS] (default 1000000).
#
# 1. bijli generate N consumers; 2. bijli serve, COPY consumers + readings, CALL bill_cycle;
# 3. export the bills from Bijli with psql --csv and load them into a scratch PostgreSQL 15
#    cluster (initdb in a temp dir, run as the postgres user); 4. time the report on both with
#    psql's \timing (best of 5 after one warm-up), print both and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
PROFILE=${PROFILE:-release}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d /tmp/bijli-pgcmp.XXXXXX)
chmod 755 "$WORK"
BPORT=${BPORT:-55433}
PPORT=${PPORT:-55432}
REPORT="SELECT category, count(*) AS bills, sum(units) AS units_kwh, sum(payable_within_due) AS payable FROM bills GROUP BY category ORDER BY category"

if [ "$PROFILE" = release ]; then cargo build --release -q --bin bijli; BIN=target/release/bijli; else cargo build -q --bin bijli; BIN=target/debug/bijli; fi

cleanup() {
  [ -n "${BPID:-}" ] && kill "$BPID" 2>/dev/null || true
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== generate $N consumers"
"$BIN" generate --consumers "$N" --seed 7 --out "$WORK/gen"

echo "== Bijli: load and bill"
"$BIN" serve --data-dir "$WORK/bijli" --listen "127.0.0.1:$BPORT" > "$WORK/bijli.log" 2>&1 &
BPID=$!
for _ in $(seq 1 100); do grep -q 'bijli listening' "$WORK/bijli.log" && break; sleep 0.2; done
B="host=127.0.0.1 port=$BPORT user=bijli dbname=bijli"
psql -X -q "$B" -c "\\copy consumers FROM '$WORK/gen/consumers.csv' WITH (FORMAT csv, HEADER true)"
psql -X -q "$B" -c "\\copy readings FROM '$WORK/gen/readings.csv' WITH (FORMAT csv, HEADER true)"
psql -X "$B" -c "CALL bill_cycle('MEPCO', '2026-11')"

echo "== export bills to PostgreSQL 15"
psql -X -q "$B" --csv -c "SELECT reference, cycle, disco, tariff, category, band, units, billing_demand_kw, current_bill, total_fpa, arrears, payable_within_due, lps, payable_after_due, issue_date, due_date FROM bills" > "$WORK/bills.csv"
chmod 644 "$WORK/bills.csv"
mkdir -p "$WORK/pg" && chown postgres "$WORK/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -o "-p $PPORT -k $WORK/pg -c shared_buffers=2GB -c work_mem=256MB -c max_parallel_workers_per_gather=2" -l "$WORK/pg/server.log" start >/dev/null
P="host=127.0.0.1 port=$PPORT user=postgres dbname=postgres"
for _ in $(seq 1 50); do psql -X -q "$P" -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
psql -X -q "$P" <<SQL
CREATE TABLE bills (reference text, cycle text, disco text, tariff text, category text, band text,
  units bigint, billing_demand_kw numeric(12,2), current_bill numeric(18,2), total_fpa numeric(18,2),
  arrears numeric(18,2), payable_within_due numeric(18,2), lps numeric(18,2),
  payable_after_due numeric(18,2), issue_date date, due_date date);
\\copy bills FROM '$WORK/bills.csv' WITH (FORMAT csv, HEADER true)
CREATE INDEX ON bills (reference);
VACUUM ANALYZE bills;
SQL

best() { # conninfo -> best of 5 (ms) after one warm-up
  local out
  out=$( { echo '\timing on'; for _ in 1 2 3 4 5 6; do echo "$REPORT;"; done; } | psql -X -q "$1" 2>&1 | grep -E '^Time:' | tail -n 5 | awk '{print $2}' | sort -n | head -1)
  echo "$out"
}
echo "== the same report on both: $REPORT"
psql -X "$B" -c "$REPORT"
psql -X "$P" -c "$REPORT"
TB=$(best "$B"); TP=$(best "$P")
ROWS=$(psql -X -At "$P" -c "SELECT count(*) FROM bills")
echo "bills: $ROWS"
echo "Bijli:         $TB ms"
echo "PostgreSQL 15: $TP ms"
awk -v b="$TB" -v p="$TP" 'BEGIN { printf "ratio (PostgreSQL / Bijli): %.1fx\n", p / b }'

#!/usr/bin/env bash
# Benchmark: generate a sample lake of N customers, then ingest it, timing each step.
#   bench/generate_ingest.sh [customers=1000000] [lake=/tmp/crmlake-bench]
# Prints one line per step (seconds, rows) and appends them to bench/results/generate_ingest.tsv.
set -euo pipefail
HOME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CUSTOMERS="${1:-1000000}"
LAKE="${2:-/tmp/crmlake-bench}"
RESULTS="$HOME_DIR/bench/results"
mkdir -p "$RESULTS"
rm -rf "$LAKE"

step() {
  local name="$1"; shift
  local start end
  start=$(date +%s.%N)
  "$HOME_DIR/bin/crmlake" "$@" --lake "$LAKE" > "$RESULTS/$name.out" 2> "$RESULTS/$name.err"
  end=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  printf '%s\t%s\tcustomers=%s\t%.1f s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$CUSTOMERS" "$secs" \
    "$(tail -1 "$RESULTS/$name.out")" | tee -a "$RESULTS/generate_ingest.tsv"
}

step generate generate --customers "$CUSTOMERS"
step ingest ingest

#!/usr/bin/env bash
# Benchmark: publish on an existing lake (after ingest, baskets, segments, churn and clv), loading
# the serving database once by PostgreSQL COPY and once by batched INSERT (the embedded server
# unless publish.serving.url is set). Prints each run's wall time and the serving figures publish
# reports (rows, seconds, rows per second).
#   bench/publish.sh /tmp/crmlake-bench
set -euo pipefail
HOME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAKE="${1:?usage: bench/publish.sh LAKE_ROOT}"
cd "$HOME_DIR"
mkdir -p bench/results
OUT=bench/results/publish.txt
run() {
  local label="$1"
  shift
  local start end
  start=$(date +%s%N)
  bin/crmlake publish --lake "$LAKE" "$@" 2>/dev/null | grep -E "publish:|customer_scores|serving database" || true
  end=$(date +%s%N)
  echo "$(date -u +%FT%TZ) $label: $(((end - start) / 1000000)) ms wall"
}
{
  echo "== $(date -u +%FT%TZ) lake $LAKE"
  run "publish, COPY" --set publish.serving.method=copy
  run "publish, batched INSERT" --set publish.serving.method=insert
} | tee -a "$OUT"

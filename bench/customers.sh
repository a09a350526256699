#!/usr/bin/env bash
# Benchmark: the customer-level jobs on an existing lake — segments, then clv with the likelihood
# summed over grouped (x, t_x, T) rows and over one row per customer (one start each), so the two
# fits can be compared. Prints each run's wall time and the fit figures the jobs report.
#   bench/generate_ingest.sh 1000000 /tmp/crmlake-bench
#   bench/customers.sh /tmp/crmlake-bench
set -euo pipefail
HOME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAKE="${1:?usage: bench/customers.sh LAKE_ROOT}"
cd "$HOME_DIR"
mkdir -p bench/results
OUT=bench/results/customers.txt
run() {
  local label="$1"
  shift
  local start end
  start=$(date +%s%N)
  bin/crmlake "$@" --lake "$LAKE" 2>/dev/null | grep -E "segments:|KMeans:|time:|clv:|BG/NBD|Gamma-Gamma|holdout:" || true
  end=$(date +%s%N)
  echo "$(date -u +%FT%TZ) $label: $(((end - start) / 1000000)) ms wall"
}
{
  echo "== $(date -u +%FT%TZ) lake $LAKE"
  run "segments" segments
  run "clv grouped, 1 start" clv --set clv.starts=1 --set clv.likelihood=grouped
  run "clv per-customer, 1 start" clv --set clv.starts=1 --set clv.likelihood=per-customer
} | tee -a "$OUT"

#!/usr/bin/env bash
# Benchmark: the baskets job on an existing lake vs a bare MLlib FPGrowth.fit + associationRules
# on the same baskets, in the same JVM.
#   bench/generate_ingest.sh 1000000 /tmp/crmlake-bench    # a lake with millions of baskets
#   bench/baskets.sh /tmp/crmlake-bench
set -euo pipefail
HOME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAKE="${1:?usage: bench/baskets.sh LAKE_ROOT}"
cd "$HOME_DIR"
mvn -B -q -DskipTests install
mvn -B -q -pl jobs dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$HOME_DIR/jobs/target/test.classpath"
read -r -a FLAGS < jobs/target/jvm.options
mkdir -p bench/results
java "${FLAGS[@]}" ${CRMLAKE_JAVA_OPTS:--Xmx8g} -Dcrmlake.home="$HOME_DIR" \
  -Dlog4j2.configurationFile="$HOME_DIR/conf/log4j2.properties" \
  -cp "jobs/target/test-classes:jobs/target/classes:$(cat jobs/target/test.classpath)" \
  io.crmlake.bench.BasketsBench "$LAKE" | tee -a bench/results/baskets.txt

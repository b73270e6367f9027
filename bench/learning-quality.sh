#!/usr/bin/env bash
# Learning quality and training speed against plain PyTorch (issue 12). Builds the bench module and the
# aggregator and party jars it starts (Maven package, nothing installed), then runs, for each partition
# scheme, the PyTorch FedAvg reference (bench/python/fedavg_reference.py, Debian's /usr/bin/python3 with
# python3-torch) and a real Flotilla federation (aggregator + party processes over mutual TLS) on the same
# split, initial model and sample order, and prints per-round accuracy side by side with the largest
# difference against the limit; then one party's training speed (DJL) against PyTorch in Python.
#
#   bench/learning-quality.sh                       # 10 parties, cnn, dirichlet:0.5 and labels:2, 10 rounds
#   bench/learning-quality.sh --rounds 3 --partitions labels:2 --speed-threads 1
#   bench/learning-quality.sh --help
#
# Exit status 0 when every Flotilla curve is within --limit-points (default 1) of the reference at every
# round. Results (result.json, table.md, partition files, federation logs) stay in bench/target/learning-quality/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${FLOTILLA_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && mvn -B -q ${FLOTILLA_MVN_OFFLINE:--o} -pl bench -am package -DskipTests) >&2
fi
export FLOTILLA_HOME="$ROOT"
exec java ${FLOTILLA_JAVA_OPTS:-} -cp "$ROOT/bench/target/bench.jar" dev.flotilla.bench.quality.LearningQualityCommand "$@"

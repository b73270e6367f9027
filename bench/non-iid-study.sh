#!/usr/bin/env bash
# The classic non-IID study of issue 19 with `flotilla simulate`: Fashion-MNIST, 10 virtual parties, the CNN
# (6/16 channels, 120/84/10), batch 64, SGD lr 0.01 momentum 0.9 weight decay 1e-5, one simulation per cell of
# partitions x strategies, run one after the other; prints one Markdown table of the best central accuracy over
# the rounds of each cell, with its wall time, and the load average before and after.
#
#   bench/non-iid-study.sh                                   # the full study: 50 rounds x 10 local epochs
#   bench/non-iid-study.sh --rounds 2 --local-epochs 1 --partitions "dirichlet:0.5 labels:2"
#
# Builds simulator/target/simulator.jar (Maven package, nothing installed) unless FLOTILLA_BENCH_SKIP_BUILD=1.
# Reports stay in bench/target/non-iid-study/<time>/ (one simulator report per cell, table.md).
set -euo pipefail

ROUNDS=50
EPOCHS=10
PARTITIONS="iid dirichlet:0.5 labels:1 labels:2 labels:3"
STRATEGIES="fedavg fedprox fednova scaffold"
DATA=/usr/share/datasets/fashion-mnist
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --local-epochs) EPOCHS=$2; shift 2 ;;
    --partitions) PARTITIONS=$2; shift 2 ;;
    --strategies) STRATEGIES=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --help|-h) sed -n '2,11p' "$0" | cut -c3-; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${FLOTILLA_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && mvn -B -q ${FLOTILLA_MVN_OFFLINE:--o} -pl simulator -am package -DskipTests) >&2
fi
JAR="$ROOT/simulator/target/simulator.jar"
WORK="$ROOT/bench/target/non-iid-study/$(date -u +%Y-%m-%dT%H-%M-%S)"
mkdir -p "$WORK"
TABLE="$WORK/table.md"

best() { # the best central accuracy over the rounds of a simulator report
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.4f" % max(r["accuracy_per_round"]))' "$1"
}

{
  echo "Best central accuracy over $ROUNDS round(s) x $EPOCHS local epoch(s) (wall time of the cell's simulation);"
  echo "cnn, 10 parties, batch 64, SGD lr 0.01 momentum 0.9 weight decay 1e-5, seed 42."
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  printf '| partition |'; for s in $STRATEGIES; do printf ' %s |' "$s"; done; echo
  printf '|---|'; for s in $STRATEGIES; do printf -- '---|'; done; echo
} | tee "$TABLE"
for p in $PARTITIONS; do
  row="| $p |"
  for s in $STRATEGIES; do
    report="$WORK/${p/:/-}-$s.json"
    started=$(date +%s)
    if java --add-modules=jdk.incubator.vector -jar "$JAR" --data "$DATA" --parties 10 --rounds "$ROUNDS" \
        --model cnn --partition "$p" --strategy "$s" --local-epochs "$EPOCHS" --batch-size 64 --lr 0.01 \
        --momentum 0.9 --weight-decay 1e-5 --seed 42 --report "$report" > "$WORK/${p/:/-}-$s.log" 2>&1; then
      row="$row $(best "$report") ($(( $(date +%s) - started )) s) |"
    else
      row="$row failed (see ${p/:/-}-$s.log) |"
    fi
  done
  echo "$row" | tee -a "$TABLE"
done
echo | tee -a "$TABLE"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); reports in $WORK" | tee -a "$TABLE"

#!/usr/bin/env bash
# Fuzzes each Jazzer harness (@FuzzTest) for a bounded time, one target after another (one JVM at a
# time), and prints executions and findings per target. `mvn verify` only replays the committed
# inputs; this is the long run whose figures go into BENCHMARKS.md.
#
#   bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET_FILTER]      # defaults: 300, every target
#   bench/fuzz.sh 600 Checkpoint                            # the targets whose name contains "Checkpoint"
#
# A finding (crash, timeout) is written by Jazzer into the harness's inputs directory under
# src/test/resources, where `mvn verify` replays it from then on: fix the code, keep the input.
# The generated corpus of each target stays in bench/target/fuzz/<target>/corpus and is reused by
# the next run. Exit status: 0 when no target found anything, 1 otherwise.
#
# Environment: FLOTILLA_FUZZ_KEEP_GOING=N keeps fuzzing a target after a finding until N distinct
# ones (default 1: stop at the first); FLOTILLA_FUZZ_HEAP (default 1g); FLOTILLA_FUZZ_OUT.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_TARGET=${1:-300}
FILTER=${2:-}
OUT=${FLOTILLA_FUZZ_OUT:-$ROOT/bench/target/fuzz}
HEAP=${FLOTILLA_FUZZ_HEAP:-1g}
KEEP_GOING=${FLOTILLA_FUZZ_KEEP_GOING:-1}

# module | harness class | method | classes instrumented for coverage (besides the harness's module)
TARGETS=(
  "protocol|dev.flotilla.protocol.tensor.TensorStreamFuzzTest|updateStreamAsTheServerReadsIt|com.google.protobuf.**"
  "protocol|dev.flotilla.protocol.tensor.TensorStreamFuzzTest|modelStreamAsThePartyReadsIt|com.google.protobuf.**"
  "protocol|dev.flotilla.protocol.tensor.TensorStreamFuzzTest|encodeDecodeRoundTrip|com.google.protobuf.**"
  "aggregator-server|dev.flotilla.server.state.CheckpointFuzzTest|checkpointContentWithValidChecksum|com.google.gson.**"
  "aggregator-server|dev.flotilla.server.state.CheckpointFuzzTest|checkpointFileAsIs|com.google.gson.**"
  "dns|dev.flotilla.dns.CorefileFuzzTest|parseAndRender|"
  "dns|dev.flotilla.dns.CorefileFuzzTest|editManagedRegion|"
  "cert-manager|dev.flotilla.certs.CsrFuzzTest|signCsr|org.bouncycastle.**"
  "cert-manager|dev.flotilla.certs.CsrFuzzTest|readPem|org.bouncycastle.**"
  "protocol|dev.flotilla.protocol.tls.CertificateIdentityFuzzTest|identityOfCertificate|"
  "protocol|dev.flotilla.protocol.tls.CertificateIdentityFuzzTest|forwardedCertificateHeader|"
  "protocol|dev.flotilla.protocol.model.SafetensorsFuzzTest|safetensorsFileAsIs|"
  "protocol|dev.flotilla.protocol.model.SafetensorsFuzzTest|safetensorsHeaderAndData|"
  "protocol|dev.flotilla.protocol.status.StatusJsonFuzzTest|statusFile|com.google.gson.**"
)

selected=()
modules=()
for t in "${TARGETS[@]}"; do
  IFS='|' read -r module class method _ <<<"$t"
  if [[ -n "$FILTER" && "${class##*.}.$method" != *"$FILTER"* ]]; then
    continue
  fi
  selected+=("$t")
  [[ " ${modules[*]} " == *" $module "* ]] || modules+=("$module")
done
if [[ ${#selected[@]} -eq 0 ]]; then
  echo "fuzz.sh: no target matches '$FILTER'" >&2
  exit 2
fi

echo "[fuzz] compiling ${modules[*]} and resolving test classpaths..." >&2
(IFS=,; mvn -B -q -f "$ROOT/pom.xml" -pl "${modules[*]}" -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz.classpath >&2)

mkdir -p "$OUT"
summary="$OUT/summary.txt"
{
  echo "# bench/fuzz.sh $SECONDS_PER_TARGET ${FILTER} -- $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1)"
  printf '%-62s %8s %12s %9s %8s %9s\n' target seconds executions exec/s corpus findings
} | tee "$summary"

total_findings=0
for t in "${selected[@]}"; do
  IFS='|' read -r module class method extra <<<"$t"
  name="${class##*.}.$method"
  dir="$OUT/$name"
  mkdir -p "$dir/corpus"
  inputs="$ROOT/$module/src/test/resources/$(dirname "${class//.//}")/${class##*.}Inputs/$method"
  mkdir -p "$inputs"
  stamp="$dir/.started"
  touch "$stamp"
  instrument="dev.flotilla.**${extra:+,$extra}"
  start=$(date +%s)
  set +e
  (cd "$ROOT/$module" && java -Xmx"$HEAP" -XX:+UseParallelGC \
    -cp "target/test-classes:target/classes:$(cat target/fuzz.classpath)" \
    com.code_intelligence.jazzer.Jazzer --target_class="$class" --target_method="$method" \
    --instrument="$instrument" --keep_going="$KEEP_GOING" --max_duration="${SECONDS_PER_TARGET}s" -max_total_time="$SECONDS_PER_TARGET" -timeout=60 -print_final_stats=1 \
    "$dir/corpus") >"$dir/log.txt" 2>&1
  rc=$?
  set -e
  # "Done N runs in S second(s)" is libFuzzer's own count and fuzzing time (JVM start-up excluded)
  runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$dir/log.txt" | tail -1 | grep -o '[0-9]*' | head -1 || true)
  elapsed=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$dir/log.txt" | tail -1 | grep -o '[0-9]*' | tail -1 || true)
  if [[ -z "$runs" ]]; then # stopped on a finding: libFuzzer prints no "Done" line
    runs=$(grep -o '^#[0-9]*' "$dir/log.txt" | tail -1 | tr -d '#' || true)
    elapsed=$(( $(date +%s) - start ))
  fi
  runs=${runs:-0}
  elapsed=${elapsed:-0}
  # libFuzzer also writes inputs slower than 10 s (JIT warm-up, a GC pause) next to the findings:
  # they are no findings, so they leave the source tree
  find "$inputs" -maxdepth 1 -name 'slow-unit-*' -newer "$stamp" -exec mv -t "$dir" {} + 2>/dev/null || true
  corpus=$(find "$dir/corpus" -type f | wc -l)
  new_findings=$(find "$inputs" "$ROOT/$module" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -newer "$stamp" 2>/dev/null | sort -u)
  findings=$(printf '%s' "$new_findings" | grep -c . || true)
  if [[ $rc -ne 0 && $findings -eq 0 ]]; then
    findings=1 # the fuzzer stopped on something it could not write out: see the log
  fi
  total_findings=$((total_findings + findings))
  printf '%-62s %8d %12d %9d %8d %9d\n' "$name" "$elapsed" "$runs" $((runs / (elapsed > 0 ? elapsed : 1))) \
    "$corpus" "$findings" | tee -a "$summary"
  if [[ $findings -ne 0 ]]; then
    echo "  exit $rc; log $dir/log.txt" | tee -a "$summary"
    printf '%s\n' "$new_findings" | sed '/^$/d; s/^/  finding: /' | tee -a "$summary"
  fi
done
echo "total findings: $total_findings (summary in $summary)" | tee -a "$summary"
[[ $total_findings -eq 0 ]]

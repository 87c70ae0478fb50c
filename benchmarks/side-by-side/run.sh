#!/bin/bash
# Side-by-side run of cm4j's JMH benchmarks and the peers (PyTorch, NumPy/OpenBLAS) behind docs/PERFORMANCE.md.
# Each workload runs as a peer block followed directly by the cm4j block, so the ratio compares two runs taken
# minutes apart under the same machine load. Before each block the script waits (up to QUIET seconds) for an idle
# machine; monitor.py records the CPU other processes used during the block.
#
# usage (from the project root, after ./mvnw -q -B package -DskipTests -pl benchmarks -am):
#   benchmarks/side-by-side/run.sh [OUT_DIR] [blocks...]     blocks: gemm conv attn gn mlp (default: all)
# JMH runs with -Djmh.ignoreLock=true: the lock only guards against two JMH runs at once, which the monitor
# line of each block reports as contention anyway.
# env: PEERS (default ../shared/peers), JAVA (default /usr/lib/jvm/temurin-25-jdk-amd64/bin/java), QUIET (60),
#      JMH_OPTS (default "-f 1 -wi 2 -i 3 -w 1s -r 1s").
set -u
OUT=${1:-side-by-side-results}; shift || true
BLOCKS=${*:-gemm conv attn gn mlp}
PEERS=${PEERS:-../shared/peers}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
QUIET=${QUIET:-60}
JMH_OPTS=${JMH_OPTS:--f 1 -wi 2 -i 3 -w 1s -r 1s}
JAR=benchmarks/target/benchmarks.jar
PY="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3"   # OpenBLAS picks its kernel by itself
mkdir -p "$OUT"

# block NAME CMD...: wait for a quiet machine, run CMD under the monitor, keep stdout and the monitor line.
block() {
  local name=$1; shift
  echo "=== $name $(date +%T)" | tee -a "$OUT/blocks.log"
  "$PEERS/wait_quiet.sh" "$QUIET" 2>&1 | tee -a "$OUT/blocks.log"
  /usr/bin/python3 "$PEERS/monitor.py" -- "$@" > "$OUT/$name.txt" 2> >(tee -a "$OUT/blocks.log" >&2)
}
peer() {  # peer NAME SECTIONS THREADS [VAR=value...]: bench_ops.py on those sections with that environment
  local name=$1 only=$2 threads=$3; shift 3
  block "$name" env "$@" $PY "$PEERS/bench_ops.py" --only "$only" --threads "$threads" --json "$OUT/$name.json"
}
peer3() {  # peer3 PREFIX SECTION: the three PyTorch configurations of BASELINES.md (default, PASSIVE, 1 thread)
  peer "$1-2t" "$2" 2
  peer "$1-passive" "$2" 2 OMP_WAIT_POLICY=PASSIVE
  peer "$1-1t" "$2" 1
}
jmh() {  # jmh NAME BENCHMARK-REGEX [JMH params...]
  local name=$1 regex=$2; shift 2
  block "$name" "$JAVA" -Djmh.ignoreLock=true -jar "$JAR" "$regex" $JMH_OPTS -rf json -rff "$OUT/$name.json" "$@"
}

for b in $BLOCKS; do
  case $b in
    gemm)
      peer peer-a-2t a 2
      jmh cm4j-gemm-2t 'GemmBenchmark' -p impl=vector -p threads=2 -p n=128,256,512,1024,2048
      peer peer-a-1t a 1
      jmh cm4j-gemm-1t 'GemmBenchmark' -p impl=vector -p threads=1 -p n=1024 ;;
    conv)
      peer peer-b-2t b 2
      jmh cm4j-conv 'Conv2dBenchmark.forward' ;;
    attn)
      peer3 peer-c c
      jmh cm4j-attn 'AttentionBenchmark' ;;
    gn)
      peer3 peer-d d
      jmh cm4j-gn 'GroupNormBenchmark' ;;
    mlp)
      peer3 peer-f f
      # the class's own warm-up and measurement times; docs/PERFORMANCE.md has this step's JVM-to-JVM spread
      JMH_OPTS="-f 1 -wi 5 -i 8 -w 2s -r 2s" jmh cm4j-mlp 'MlpStepBenchmark' ;;
    *) echo "unknown block $b" >&2; exit 2 ;;
  esac
done

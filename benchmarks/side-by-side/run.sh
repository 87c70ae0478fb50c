#!/bin/bash
# Side-by-side run of cm4j's JMH benchmarks and the peers (PyTorch, NumPy/OpenBLAS) behind docs/PERFORMANCE.md.
# Each workload runs as a peer block followed directly by the cm4j block, so the ratio compares two runs taken
# minutes apart under the same machine load. Before each block the script waits (up to QUIET seconds) for an idle
# machine; monitor.py records the CPU other processes used during the block.
#
# usage (from the project root, after ./mvnw -q -B package -DskipTests -pl benchmarks -am):
#   benchmarks/side-by-side/run.sh [OUT_DIR] [blocks...]     blocks: gemm conv attn gn mlp unet (default: all)
# The peers are Debian's packages, run with /usr/bin/python3:
#   apt-get install -y python3-torch python3-numpy    (PyTorch 1.13, CPU; sudo where not root)
# JMH runs with -Djmh.ignoreLock=true: the lock only guards against two JMH runs at once, which the monitor
# line of each block reports as contention anyway.
# env: PEERS (default ../shared/peers), JAVA (default /usr/lib/jvm/temurin-25-jdk-amd64/bin/java), QUIET (60),
#      JMH_OPTS (default "-f 1 -wi 2 -i 3 -w 1s -r 1s").
# The unet block (README.md in this folder) has its own settings: ROUNDS (5), TRAIN_BATCHES (16,32,64,128),
#      SAMPLE_BATCHES (16,64,256), UNET_JVM (the cm4j JVM's options, default the cm4j launcher's:
#      "--add-modules jdk.incubator.vector -Xmn192m", G1 with a 192 MB young generation), UNET_JMH_OPTS (default
#      "-f 1 -wi 3 -i 5 -w 3s -r 3s -bm sample"), UNET_PEER_OPTS (default "--warmup-s 9 --min-s 15"),
#      UNET_PEER_ENV (variables for the peer, e.g. OMP_WAIT_POLICY=PASSIVE; default none), RSS_BATCH (64; 0 skips
#      the RSS blocks).
set -u
OUT=${1:-side-by-side-results}; shift || true
BLOCKS=${*:-gemm conv attn gn mlp unet}
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

# unet: cm4j's U-Net (UNet.Config.small28()) against its PyTorch equivalent (unet_torch.py). First the check: cm4j
# writes seeded weights, an input batch and its output (UNetExport); the peer loads the same file by parameter name
# and must reproduce the output (unet_peer.py check) before anything is timed. Then ROUNDS rounds of peer, cm4j,
# peer, cm4j (training step, then one-step sampling, on each side), and last the peak RSS of each side's training
# step at RSS_BATCH (/usr/bin/time -v; cm4j with the heap setting of UNET_JVM). unet_tables.py OUT prints the ratios.
unet_block() {
  local jvm=${UNET_JVM:---add-modules jdk.incubator.vector -Xmn192m}
  local jmh_opts=${UNET_JMH_OPTS:--f 1 -wi 3 -i 5 -w 3s -r 3s -bm sample}
  local peer_opts=${UNET_PEER_OPTS:---warmup-s 9 --min-s 15}
  local train=${TRAIN_BATCHES:-16,32,64,128} sample=${SAMPLE_BATCHES:-16,64,256} rss=${RSS_BATCH:-64}
  local penv=${UNET_PEER_ENV:-}
  local here data=$OUT/unet-data
  here=$(dirname "$0")
  echo "=== unet check $(date +%T)" | tee -a "$OUT/blocks.log"
  # shellcheck disable=SC2086  # the JVM options are a list
  "$JAVA" $jvm -cp "$JAR" dev.cm4j.benchmarks.UNetExport "$data" small28 8 1 2>&1 \
    | grep -v -e '^WARNING' -e '^INFO' -e 'Backends select$' | tee -a "$OUT/blocks.log"
  $PY "$here/unet_peer.py" check "$data" 2>&1 | tee -a "$OUT/blocks.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "unet: the two networks disagree; nothing timed" >&2; exit 1; }
  echo "unet settings: UNET_JVM=$jvm | UNET_JMH_OPTS=$jmh_opts | UNET_PEER_OPTS=$peer_opts" \
    "| UNET_PEER_ENV=$penv | train $train | sample $sample | rss $rss" \
    "| commit $(git rev-parse --short HEAD 2>/dev/null)" | tee -a "$OUT/blocks.log"
  for r in $(seq 1 "${ROUNDS:-5}"); do
    # shellcheck disable=SC2086
    block "peer-unet-train-r$r" env $penv $PY "$here/unet_peer.py" time "$data" --what train --batches "$train" \
      $peer_opts --json "$OUT/peer-unet-train-r$r.json"
    # shellcheck disable=SC2086
    block "peer-unet-sample-r$r" env $penv $PY "$here/unet_peer.py" time "$data" --what sample --batches "$sample" \
      $peer_opts --json "$OUT/peer-unet-sample-r$r.json"
    # -jvmArgs replaces UNetStepBenchmark's own collector and heap (a second collector would stop the JVM)
    JMH_OPTS=$jmh_opts jmh "cm4j-unet-train-r$r" 'UNetStepBenchmark.step' -p batch="$train" -jvmArgs "$jvm"
    JMH_OPTS=$jmh_opts jmh "cm4j-unet-sample-r$r" 'UNetSampleBenchmark.sample' -p batch="$sample" \
      -jvmArgsAppend "$jvm"
  done
  [ "$rss" -gt 0 ] || return 0
  # peak RSS: 8 training steps per side, alone in their process (JMH without a fork, so time sees the JVM)
  # shellcheck disable=SC2086
  block peer-unet-rss /usr/bin/time -v -o "$OUT/peer-unet-rss.time" env $penv $PY "$here/unet_peer.py" time "$data" \
    --what train --batches "$rss" --warmup-calls 3 --warmup-s 0 --calls 5 --min-s 0
  # shellcheck disable=SC2086
  block cm4j-unet-rss /usr/bin/time -v -o "$OUT/cm4j-unet-rss.time" "$JAVA" $jvm -Djmh.ignoreLock=true -jar "$JAR" \
    'UNetStepBenchmark.step' -f 0 -wi 3 -i 5 -bm ss -p batch="$rss"
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
    unet)
      unet_block ;;
    *) echo "unknown block $b" >&2; exit 2 ;;
  esac
done

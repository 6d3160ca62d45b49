#!/usr/bin/env bash
# run-on-gpu.sh — the cuda provider's checks on the GPU machine (an H200 with driver, nvcc 13,
# python3 + numpy; no Java, no network). Run from the repository root there, with device-bundle/
# (made here by make-bundle.sh) carried along; see llama-kernels-native/README.md.
# Writes to $OUT: summary.txt, run-log.txt, cuda-tests.txt, core-conformance.txt, parity.txt,
# bench.txt. Keeps within LLAMAJ_DEVICE_BUDGET_S seconds (default 500) by skipping late steps.
set -uo pipefail
root=$(pwd)
b="$root/device-bundle"
OUT="${OUT:-/tmp/llamaj-out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run-log.txt") 2>&1
t0=$SECONDS
budget=${LLAMAJ_DEVICE_BUDGET_S:-500}
elapsed() { echo $((SECONDS - t0)); }
left() { echo $((budget - (SECONDS - t0))); }
step() { echo; echo "=== [$(elapsed)s] $*"; }
note() { echo "$*" | tee -a "$OUT/summary.txt"; }
[ -d "$b" ] || { echo "no device-bundle/ here: run make-bundle.sh and carry device-bundle"; exit 1; }

step "GPU"
nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv | tee -a "$OUT/summary.txt"

step "synthetic models in the background (TinyLlama-1.1B and Llama-2-7B shapes; seed 1)"
models=/tmp/llamaj-models
mkdir -p "$models"
# (overridable, for a dry run of this script on a small machine)
TINY=${LLAMAJ_TINY_SHAPE:-"--dim 2048 --layers 22 --heads 32 --kv-heads 4 --ffn 5632 --vocab 32000 --ctx 2048"}
L7B=${LLAMAJ_7B_SHAPE:-"--dim 4096 --layers 32 --heads 32 --kv-heads 32 --ffn 11008 --vocab 32000 --ctx 4096"}
synth() { # name, args...: writes $models/name.gguf, then name.done
  local name=$1; shift
  ( s=$SECONDS; python3 "$b/shared/tools/synth/synth_gguf.py" --quiet --seed 1 --out "$models/$name.gguf" "$@" \
      >"$models/$name.log" 2>&1 && echo "synth $name: $((SECONDS - s))s, $(du -m "$models/$name.gguf" | cut -f1) MiB" \
      >"$models/$name.done" || echo "synth $name FAILED: $(tail -3 "$models/$name.log")" >"$models/$name.done" ) &
}
synth llama7b-Q4_0 $L7B --type Q4_0
synth tiny-Q4_0 $TINY --type Q4_0
synth tiny-Q8_0 $TINY --type Q8_0
synth tiny-F16 $TINY --type F16

step "Java"
mkdir -p /tmp/llamaj && tar xzf "$b/jre.tgz" -C /tmp/llamaj
JAVA=/tmp/llamaj/jre/bin/java
"$JAVA" -version 2>&1 | head -1
JVM=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dllamaj.shared="$b/shared")
CP="$b/test-classes/kernels:$b/test-classes/core:$b/lib/*"

step "CUDA library"
kjar=$(ls "$b"/lib/llama-kernels-native-*.jar | head -1)
if python3 -c "import sys,zipfile; sys.exit(0 if 'linux-x86-64/libllamaj_cuda.so' in zipfile.ZipFile(sys.argv[1]).namelist() else 1)" "$kjar"; then
  note "library: inside $(basename "$kjar")"
else
  # built without nvcc: build it here, for this GPU only (sm_90), onto the class path
  s=$SECONDS
  LLAMAJ_CUDA_ARCHS=90 bash llama-kernels-native/src/main/cuda/build.sh llama-kernels-native/src/main/cuda /tmp/llamaj/cudalib
  CP="/tmp/llamaj/cudalib:$CP"
  note "library: built here with nvcc in $((SECONDS - s))s"
fi

step "kernels as the CLI lists them"
timeout 60 "$JAVA" "${JVM[@]}" -cp "$CP" dev.llamaj.cli.Main kernels 2>&1 | grep -v "incubator modules" | tee -a "$OUT/summary.txt"

run_tests() { # file, timeout, selectors...
  local file=$1 limit=$2; shift 2
  timeout "$limit" "$JAVA" "${JVM[@]}" "${EXTRA[@]}" -cp "$CP" dev.llamaj.kernels.cuda.DeviceTestMain "$@" >"$OUT/$file" 2>&1
  local rc=$?
  note "$file: rc=$rc ($(grep -E 'tests (successful|failed|skipped|aborted)' "$OUT/$file" | tr -s ' ' | tr '\n' ',' ))"
}

step "cuda conformance (llama-kernels-native tests)"
EXTRA=()
run_tests cuda-tests.txt 180 dev.llamaj.kernels.cuda

step "shared conformance suite: every available provider against scalar"
run_tests core-conformance.txt 180 dev.llamaj.core.kernels.KernelConformanceTest

if [ -f "$b/test-classes/core/dev/llamaj/core/GoldenParityTest.class" ] && [ "$(left)" -gt 240 ]; then
  step "parity goldens with -Dllamaj.kernels=cuda"
  EXTRA=(-Dllamaj.kernels=cuda)
  run_tests parity.txt 150 dev.llamaj.core.GoldenParityTest dev.llamaj.core.GreedyGenerationTest
  EXTRA=()
else
  note "parity: skipped (no GoldenParityTest in the bundle, or too little time left: $(left)s)"
fi

step "bench --kernels cuda"
bench() { # name
  local name=$1 f="$models/$1.gguf"
  while [ ! -f "$models/$name.done" ] && [ "$(left)" -gt 60 ]; do sleep 2; done
  [ -f "$models/$name.done" ] && cat "$models/$name.done" | tee -a "$OUT/bench.txt"
  if [ ! -f "$f" ] || [ "$(left)" -lt 45 ]; then note "bench $name: skipped ($(left)s left, model ready: $([ -f "$f" ] && echo yes || echo no))"; return; fi
  local json
  json=$(timeout $(( $(left) - 10 )) "$JAVA" "${JVM[@]}" -cp "$CP" dev.llamaj.cli.Main bench --model "$f" --kernels cuda \
         --prefill 128 --decode 64 --json 2>>"$OUT/bench.txt" | tail -1)
  echo "$name $json" >>"$OUT/bench.txt"
  python3 - "$name" "$f" "$json" "$(grep -v 'incubator modules' "$OUT/bench.txt" | tail -2 | head -1)" <<'PY' | tee -a "$OUT/summary.txt"
import json, os, sys
name, path, raw, err = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
try:
    r = json.loads(raw)
except Exception:
    print(f"bench {name}: no result: {err[:300]}"); sys.exit()
size = os.path.getsize(path)
d = r.get("decode_tok_s", 0.0)
# bytes a decode step reads ~ the file (every matrix once; the embedding table is read one row per
# token, so this slightly overstates the traffic); H200 HBM3e ~4.8 TB/s
print(f"bench {name}: prefill {r.get('prefill_tok_s', 0):.1f} tok/s, decode {d:.1f} tok/s, "
      f"{size / 2**30:.2f} GiB -> {size * d / 1e9:.0f} GB/s = {size * d / 4.8e12:.1%} of 4.8 TB/s")
PY
}
bench tiny-Q4_0
bench tiny-Q8_0
bench tiny-F16
bench llama7b-Q4_0
step "done in $(elapsed)s"

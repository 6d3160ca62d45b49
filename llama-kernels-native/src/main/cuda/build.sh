#!/usr/bin/env bash
# Builds libllamaj_cuda.so with nvcc into OUT_DIR/linux-x86-64/ (JNA's resource layout, so
# Native.register finds it inside the jar). Called by Maven (antrun) in generate-resources; also
# usable by hand. Without nvcc it prints one line and succeeds: the provider then reports
# "not built" at run time.
#   build.sh SRC_DIR OUT_DIR
# Environment: LLAMAJ_CUDA_ARCHS  space-separated SM numbers (default "80 86 89 90"; PTX for the
#              highest is embedded too, for newer GPUs); LLAMAJ_CUDA_SKIP=true to skip;
#              LLAMAJ_NVCC_THREADS parallel nvcc jobs over the architectures (default 0: one per CPU).
set -euo pipefail
src="${1:?usage: build.sh SRC_DIR OUT_DIR}"
out="${2:?usage: build.sh SRC_DIR OUT_DIR}/linux-x86-64"
lib="$out/libllamaj_cuda.so"
if [ "${LLAMAJ_CUDA_SKIP:-false}" = "true" ]; then
  echo "[llamaj] CUDA library not built: LLAMAJ_CUDA_SKIP=true"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "[llamaj] CUDA library not built: only linux-x86-64 is supported, this is $(uname -s)-$(uname -m)"
  exit 0
fi
nvcc=$(command -v nvcc || true)
if [ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc; fi
if [ -z "$nvcc" ]; then
  echo "[llamaj] CUDA library not built: nvcc is not on the PATH (the cuda provider will report itself unavailable)"
  exit 0
fi
archs="${LLAMAJ_CUDA_ARCHS:-80 86 89 90}"
mkdir -p "$out"
stamp="$(cd "$2" && cd .. && pwd)/llamaj-cuda.build-config"
config="$($nvcc --version | tail -1) | archs: $archs"
# Up to date when the library is newer than every source and was built with the same config.
if [ -f "$lib" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$config" ] \
   && [ -z "$(find "$src" -newer "$lib" -type f)" ]; then
  exit 0
fi
mkdir -p "$out"
gencode=()
last=""
for a in $archs; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); last=$a; done
gencode+=(-gencode "arch=compute_$last,code=compute_$last")
start=$(date +%s)
# -cudart static: users need only the NVIDIA driver. -fvisibility=hidden: only the API is exported.
"$nvcc" -O3 -std=c++17 -cudart static --threads "${LLAMAJ_NVCC_THREADS:-0}" "${gencode[@]}" \
  -Xcompiler -fPIC,-fvisibility=hidden -shared -Xlinker -z,defs -ldl -lpthread -lrt \
  -o "$lib.tmp" "$src/llamaj_cuda.cu"
mv "$lib.tmp" "$lib"
echo "$config" > "$stamp"
echo "[llamaj] CUDA library built for sm_${archs// /, sm_} + PTX compute_$last in $(( $(date +%s) - start ))s: $lib"

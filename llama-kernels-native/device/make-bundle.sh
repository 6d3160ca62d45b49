#!/usr/bin/env bash
# make-bundle.sh — run HERE (a machine with JDK 25, Maven and ../shared), from anywhere in the
# repository: fills device-bundle/ (ignored by git) with what run-on-gpu.sh needs on the GPU
# machine, which has no Java, no Maven and no network:
#   jre.tgz        a jlink'd Java 25 runtime (../shared/tools/device/make-jre.sh), ~28 MB
#   lib/           the project's jars (llama-kernels-native with libllamaj_cuda.so inside when
#                  nvcc was here) and their runtime + test dependencies
#   test-classes/  llama-kernels-native's and llama-core's compiled tests (conformance, parity)
#   shared/        the synth tool and a few small golden models/logits, in ../shared's layout
# The whole must stay under the device tool's 64 MiB carry limit; the script checks.
set -euo pipefail
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
shared=$(cd "${LLAMAJ_SHARED:-$root/../shared}" && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
b="$root/device-bundle"
rm -rf "$b"
mkdir -p "$b/lib" "$b/test-classes" "$b/shared/tools/synth" "$b/shared/models/golden" "$b/shared/golden"

echo "make-bundle: building (mvn package, tests compiled not run)..."
# one reactor build, so the dependencies copied are the jars just built, never stale ones from ~/.m2
mvn -o -q -DskipTests package dependency:copy-dependencies -DincludeScope=test \
  -DoutputDirectory="$b/lib" -pl llama-kernels-native,samples/cli -am
for m in llama-tokenizer llama-core llama-chat llama-kernels-native; do
  [ -d "$m/target" ] && find "$m/target" -maxdepth 1 -name "$m-*.jar" ! -name '*-sources.jar' ! -name '*-tests.jar' -exec cp {} "$b/lib/" \;
done
cp samples/cli/target/llama-cli.jar "$b/lib/"
rm -f "$b/lib/jmh-"*.jar
cp -r llama-kernels-native/target/test-classes "$b/test-classes/kernels"
[ -d llama-core/target/test-classes ] && cp -r llama-core/target/test-classes "$b/test-classes/core"
if ! unzip -l "$b"/lib/llama-kernels-native-*.jar 2>/dev/null | grep -q linux-x86-64/libllamaj_cuda.so; then
  echo "make-bundle: note: the kernels jar has no CUDA library (no nvcc here); run-on-gpu.sh builds it there"
fi

echo "make-bundle: Java runtime..."
tmp=$(mktemp -d)
bash "$shared/tools/device/make-jre.sh" "$tmp/jre" >/dev/null
tar czf "$b/jre.tgz" -C "$tmp" jre
rm -rf "$tmp"

cp "$shared/tools/synth/synth_gguf.py" "$b/shared/tools/synth/"
cp "$shared/golden/"*.json "$shared/golden/README.md" "$b/shared/golden/"
cp -r "$shared/models/stories260K" "$b/shared/models/"
for f in stories260K-F16 stories260K-Q8_0 stories260K-Q4_0 gqa256-Q8_0 gqa256-Q4_0 gqa256-Q4_K gqa256-Q6_K; do
  cp "$shared/models/golden/$f.gguf" "$b/shared/models/golden/"
done

# the goldens whose models came along (GoldenParityTest reads index.json and needs each model)
python3 - "$b/shared" <<'PY'
import json, os, sys
root = sys.argv[1]
index = json.load(open(os.path.join(root, "golden/index.json")))
kept = [e for e in index if os.path.exists(os.path.join(root, e[1]))]
json.dump(kept, open(os.path.join(root, "golden/index.json"), "w"), indent=0)
print(f"make-bundle: {len(kept)} of {len(index)} goldens have their model in the bundle")
PY

size=$(du -sm "$b" | cut -f1)
echo "make-bundle: device-bundle/ is ${size} MiB (limit 64 MiB for everything that travels)"
du -sh "$b"/* | sed 's/^/  /'
if [ "$size" -gt 60 ]; then
  echo "make-bundle: too large for the device tool's carry; drop golden models from the list above" >&2
  exit 1
fi

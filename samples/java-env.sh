# Sourced by samples/llama, benchmarks/run and .ci/run: finds a Java 25+ runtime and sets
# JAVA (the java binary), JAVA_HOME (for Maven) and LLAMAJ_JVM_ARGS.
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'; }
_llamaj_pick_java() {
  local candidate
  for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null)" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    local major; major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      JAVA="$candidate"
      JAVA_HOME=$(cd "$(dirname "$candidate")/.." && pwd)
      export JAVA JAVA_HOME
      return 0
    fi
  done
  echo "llamaj needs Java 25 or newer: install a JDK 25 (e.g. Temurin 25) and set JAVA_HOME to it, or put its java on PATH." >&2
  return 1
}
_llamaj_pick_java || exit 1
# The Vector API is an incubator module: it must be added explicitly. Nothing preview is used.
LLAMAJ_JVM_ARGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"

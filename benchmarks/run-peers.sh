#!/usr/bin/env bash
# Side-by-side speed of jlama, llama.cpp and Jlama 0.8.4 on GGUF files (io.jlama.bench.PeerHarness).
#
#   benchmarks/run-peers.sh [--no-build] --model M.gguf [--model M2.gguf ...] [--threads 2] [-p 128] [-n 64] [--reps 3]
#                           [--skip-jlama-peer] [--membw] [--json-out results.json] [...]   (-h: every option)
#
# Builds jlama.jar, benchmarks.jar and the Jlama peer runner with scripts/mvn (skip with --no-build), then runs the
# harness on a JDK >= 22 found by scripts/find-jdk. The peers toolkit comes from $JLAMA_PEERS, $JLAMA_SHARED/peers or
# ../shared/peers; converted models for Jlama are cached in $JLAMA_BENCH_CACHE (default ~/.cache/jlama-bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

build=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    -h|--help) build=0; args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done

if [ "$build" = 1 ]; then
  echo "[run-peers] building jlama.jar, benchmarks.jar and jlama-peer.jar ..." >&2
  "$root/scripts/mvn" -q -B package -DskipTests -pl cli,benchmarks/kernels,benchmarks/jlama-peer -am >&2
fi

jar=$root/benchmarks/target/benchmarks.jar
[ -f "$jar" ] || { echo "[run-peers] $jar is missing: run without --no-build" >&2; exit 1; }
java_home=$("$root/scripts/find-jdk")
exec "$java_home/bin/java" -cp "$jar" io.jlama.bench.PeerHarness "${args[@]}"

#!/usr/bin/env bash
# Runs one libFuzzer target for ROC_FUZZ_SECONDS (default 30) from a copy of its committed seed
# corpus, so what the fuzzer finds never dirties the repository. On a crash, leak, timeout or
# out-of-memory it prints the input (base64) and how to reproduce it, keeps the input in
# CRASH_DIR, and fails. The mutations follow ROC_FUZZ_SEED (default 1), so a test run explores
# the same inputs each time and cannot turn red by chance; ROC_FUZZ_SEED=0 picks a random seed
# for longer hunts.
#   run_fuzzer.sh FUZZER CORPUS_DIR CRASH_DIR
set -euo pipefail

fuzzer=$1 corpus=$2 crash_dir=$3
seconds=${ROC_FUZZ_SECONDS:-30}
seed=${ROC_FUZZ_SEED:-1}
name=$(basename "$fuzzer")

work=$(mktemp -d "${TMPDIR:-/tmp}/roc-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"

rc=0
# -timeout: one input running 10 s is a hang (a finding); -rss_limit_mb: memory a peer could pin.
"$fuzzer" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1 || rc=$?

if ((rc == 0)) && [[ -z $(ls -A "$work/artifacts") ]]; then
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  echo "$name: no crash in ${seconds}s (${runs:-?} inputs, corpus $(ls "$work/corpus" | wc -l) files)"
  exit 0
fi

echo "$name FAILED (exit $rc). Fuzzer output, last lines:"
tail -n 60 "$work/log"
mkdir -p "$crash_dir"
for artifact in "$work/artifacts"/*; do
  [[ -e $artifact ]] || continue
  kept="$crash_dir/$name-$(basename "$artifact")"
  cp "$artifact" "$kept"
  echo
  echo "== crashing input $(basename "$artifact") ($(stat -c %s "$artifact") bytes), base64:"
  base64 -w 76 "$artifact" | head -c 20000
  echo
  echo "== reproduce: $fuzzer $kept"
  echo "   (or: base64 -d > crash.bin <<< '<the base64 above>'; $fuzzer crash.bin)"
done
exit $((rc == 0 ? 1 : rc))

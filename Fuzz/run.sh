#!/bin/sh
# Runs the fuzzers one after the other for SECONDS each (default 600) and keeps the logs in
# Fuzz/logs and any crash, leak, timeout or out-of-memory input in Fuzz/artifacts.
# Build first (see README.md) and seed with ./seed.sh.
#     Fuzz/run.sh [SECONDS] [Antimony|SBML|Experiment|PEtab ...]
#
# Leaks: FuzzAntimony checks every input for leaks as it fuzzes. FuzzSBML fuzzes without, because
# Foundation's XMLParser leaks on every XML error (see lsan.supp), which makes libFuzzer scan the
# heap after nearly every input (about 25 instead of 350 executions per second); instead every
# input of its final corpus is then run once more with leak detection on.
set -u
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-Antimony SBML Experiment PEtab}
bin=$here/.build-fuzz/release
mkdir -p "$here/logs" "$here/artifacts"
export LSAN_OPTIONS="suppressions=$here/lsan.supp"
# Swift's own crash backtracer trips over AddressSanitizer; libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no
status=0
for target in $targets; do
    lower=$(echo "$target" | tr 'A-Z' 'a-z')
    leaks=1
    [ "$target" = SBML ] && leaks=0
    "$bin/Fuzz$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -detect_leaks=$leaks \
        -print_final_stats=1 -dict="$here/$lower.dict" -artifact_prefix="$here/artifacts/$lower-" \
        "$here/corpus/$lower" > "$here/logs/$lower.log" 2>&1 || status=1
    echo "Fuzz$target: $(grep -E 'DONE|^Done' "$here/logs/$lower.log" | tail -2 | tr '\n' ' ')"
    if [ "$leaks" = 0 ]; then
        "$bin/Fuzz$target" -runs=0 -detect_leaks=1 -rss_limit_mb=2048 -timeout=10 \
            -artifact_prefix="$here/artifacts/$lower-" "$here/corpus/$lower" > "$here/logs/$lower-leaks.log" 2>&1 || status=1
        echo "Fuzz$target leak pass over the corpus: $(grep -E 'INITED|ERROR' "$here/logs/$lower-leaks.log" | tail -1)"
    fi
done
exit $status

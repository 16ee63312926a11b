#!/bin/sh
# Line coverage of the fuzz corpora: builds the targets with Swift's source-based coverage
# (scratch path .build-cov), runs every corpus input once (-runs=0) and prints llvm-cov's report
# for the files each target exercises (Antimony/, SBML/). Run after run.sh.
#     Fuzz/coverage.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -profile-generate -Xswiftc -profile-coverage-mapping \
    --scratch-path .build-cov >/dev/null
bin=$here/.build-cov/release
toolchain=$(dirname "$(command -v swift)")
mkdir -p "$here/logs/coverage"
for target in Antimony SBML; do
    lower=$(echo "$target" | tr 'A-Z' 'a-z')
    rm -f "$here/logs/coverage/$lower-"*.profraw
    LLVM_PROFILE_FILE="$here/logs/coverage/$lower-%p.profraw" SWIFT_BACKTRACE=enable=no \
        "$bin/Fuzz$target" -runs=0 -detect_leaks=0 "$here/corpus/$lower" >/dev/null 2>&1
    "$toolchain/llvm-profdata" merge -sparse "$here/logs/coverage/$lower-"*.profraw -o "$here/logs/coverage/$lower.profdata"
    echo "== Fuzz$target: corpus/$lower ($(ls "$here/corpus/$lower" | wc -l) inputs)"
    "$toolchain/llvm-cov" report "$bin/Fuzz$target" -instr-profile="$here/logs/coverage/$lower.profdata" \
        "$here/../Sources/CascadeFormats/$target/"
done

#!/bin/sh
# Builds the fuzzers' seed corpora (not committed) from the repository's fixtures and ../shared:
#   corpus/antimony  every valid, malformed and cross-check Antimony fixture and the Antimony fuzz
#                    regression inputs
#   corpus/sbml      every 4th SBML Test Suite case (L3V2) under 16 kB, the PEtab benchmark models
#                    under 30 kB (SBML Level 2 and 3), and the SBML fuzz regression inputs
#   corpus/experiment  the experiment, sweep and line files of models/ and examples/
#   corpus/petab     the PEtab benchmark tables under 16 kB
# Large files are left out: libFuzzer's default maximum input length is the largest seed's, and
# mutating 50 kB inputs is slow.
# Usage: Fuzz/seed.sh [SHARED]   (SHARED defaults to ../shared beside the repository)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
shared=${1:-$(dirname "$repo")/shared}
fixtures=$repo/Tests/CascadeFormatsTests/Fixtures

rm -rf "$here/corpus/antimony" "$here/corpus/sbml"
mkdir -p "$here/corpus/antimony" "$here/corpus/sbml"

for dir in valid malformed crosscheck; do
    for f in "$fixtures/antimony/$dir"/*.ant; do cp "$f" "$here/corpus/antimony/$dir-$(basename "$f")"; done
done
for f in "$fixtures"/fuzz/antimony/*; do
    [ -f "$f" ] && cp "$f" "$here/corpus/antimony/"
done

if [ -d "$shared/sbml-test-suite/cases" ]; then
    i=0
    for case in "$shared"/sbml-test-suite/cases/*/; do
        if [ $((i % 4)) -eq 0 ]; then
            find "$case" -name '*.xml' -size -16k -exec cp {} "$here/corpus/sbml/" \;
        fi
        i=$((i + 1))
    done
else
    echo "seed.sh: $shared/sbml-test-suite not found; SBML corpus has only the regression inputs" >&2
fi
if [ -d "$shared/petab-benchmarks" ]; then
    find "$shared/petab-benchmarks" -name '*.xml' -size -30k | while read -r f; do
        cp "$f" "$here/corpus/sbml/petab-$(basename "$f")"
    done
fi
for f in "$fixtures"/fuzz/sbml/*; do
    [ -f "$f" ] && cp "$f" "$here/corpus/sbml/"
done
# Experiment files, pointed at the model and panel the fuzz target keeps beside its input.
rm -rf "$here/corpus/experiment" "$here/corpus/petab"
mkdir -p "$here/corpus/experiment" "$here/corpus/petab"
for f in "$repo"/models/experiments/*.yaml "$repo"/examples/sweep/*.yaml "$repo"/models/lines/*.yaml "$repo"/models/hypotheses/*.yaml; do
    sed -e 's|^model: .*|model: ketamine.ant|' -e 's|^panel: .*|panel: inhibitors.yaml|' "$f" \
        > "$here/corpus/experiment/$(basename "$(dirname "$f")")-$(basename "$f")"
done
# PEtab tables (conditions, observables, parameters, measurements) of the benchmark problems,
# under 16 kB.
if [ -d "$shared/petab-benchmarks" ]; then
    find "$shared/petab-benchmarks" -name '*.tsv' -size -16k | while read -r f; do
        cp "$f" "$here/corpus/petab/$(basename "$f")"
    done
fi
chmod -R u+w "$here/corpus"
for c in antimony sbml experiment petab; do echo "corpus/$c: $(ls "$here/corpus/$c" | wc -l) files"; done

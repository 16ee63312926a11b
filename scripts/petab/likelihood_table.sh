#!/bin/sh
# The PEtab log-likelihood at nominal parameters against the values published with AMICI's
# benchmark tests (Tests/CascadePEtabTests/Fixtures/amici-benchmark-llh.tsv), at rtol 1e-8, 1e-10
# and 1e-12 (atol 1e-16): the figure has converged when the last two agree.
#
#   scripts/petab/likelihood_table.sh [BENCHMARKS_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
benchmarks=${1:-$root/../shared/petab-benchmarks}
cascade=${CASCADE:-$root/.build/release/cascade}
fixture=$root/Tests/CascadePEtabTests/Fixtures/amici-benchmark-llh.tsv
printf 'problem\tpublished\trtol\tcascade\tabs_diff\tseconds\n'
tail -n +2 "$fixture" | while IFS="$(printf '\t')" read -r p published small; do
    for rtol in 1e-8 1e-10 1e-12; do
        start=$(date +%s.%N)
        llh=$("$cascade" likelihood "$benchmarks/$p/$p.yaml" --rtol "$rtol" --atol 1e-16 --format json \
            | sed 's/.*"llh": \([^,]*\),.*/\1/')
        end=$(date +%s.%N)
        awk -v p="$p" -v r="$rtol" -v a="$published" -v b="$llh" -v s="$start" -v e="$end" \
            'BEGIN{d=a-b; if(d<0)d=-d; printf "%s\t%.10g\t%s\t%.10g\t%.3g\t%.1f\n", p, a, r, b, d, e-s}'
    done
done

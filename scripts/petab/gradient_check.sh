#!/bin/sh
# Gradient from forward sensitivities against central differences on every problem of a PEtab
# benchmark folder, at parameters moved off the nominal values (perturb_parameters.py).
#
#   scripts/petab/gradient_check.sh [BENCHMARKS_DIR] [PROBLEM...]
#
# Prints one line per problem: problem, estimated parameters, parameters checked, the largest
# relative error |g - fd| / max(|fd|, 1% of max|fd|), and where. Simulations at rtol 1e-12
# (RTOL), atol 1e-16 (ATOL); differences with step 1e-4 on the parameters' scales. Problems with more than
# 40 estimated parameters check 40 of them, evenly spread (--check-count). With CHECK_DIRECTIONS=K
# every problem instead compares the directional derivative ∇llh·v with a central difference
# along K seeded random directions v of entries ±1 (--check-directions; CHECK_SEED, default 0):
# one gradient and 2K simulations of the problem, whatever the number of parameters; the
# "checked" column then reads "K directions"; CHECK_RELATIVE=1 moves lin-scale parameters by the
# step times their value (--check-relative). STEP sets the differences' step (default 1e-4);
# run twice with steps a factor 10 apart to see that the difference quotient has converged
# (its truncation error falls 100-fold, its rounding error grows 10-fold).
#
# The check runs on a copy of each problem whose parameter table is the perturbed one, so a
# problem whose own table has estimated log-scaled parameters at 0 (Lang_PLOSComputBiol2024,
# which Cascade refuses) is checked at the point perturb_parameters.py puts inside the bounds.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
benchmarks=${1:-$root/../shared/petab-benchmarks}
[ $# -gt 0 ] && shift
cascade=${CASCADE:-$root/.build/release/cascade}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
problems=${*:-$(cd "$benchmarks" && for d in */; do ls "$d"*.yaml > /dev/null 2>&1 && echo "${d%/}"; done)}
printf 'problem\testimated\tchecked\tmax_relative_error\tparameter\n'
for p in $problems; do
    yaml=$(ls "$benchmarks/$p"/*.yaml | head -1)
    name=$(sed -n 's/^parameter_file: *//p' "$yaml" | tr -d "\"' \r")
    table="$benchmarks/$p/$name"
    cp -R "$benchmarks/$p" "$work/$p"
    python3 "$here/perturb_parameters.py" "$table" "$work/$p/$name"
    yaml="$work/$p/$(basename "$yaml")"
    estimated=$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)if($i=="estimate")c=i} NR>1&&$c==1' "$table" | wc -l)
    count=$estimated
    [ "$count" -gt 40 ] && count=40
    if [ -n "${CHECK_DIRECTIONS:-}" ]; then
        selection="--check-directions $CHECK_DIRECTIONS --check-seed ${CHECK_SEED:-0}${CHECK_RELATIVE:+ --check-relative}"
        count="$CHECK_DIRECTIONS directions"
    else
        selection="--check-count $count"
    fi
    # shellcheck disable=SC2086
    if "$cascade" likelihood "$yaml" --check-gradient \
        $selection --rtol "${RTOL:-1e-12}" --atol "${ATOL:-1e-16}" --step "${STEP:-1e-4}" > "$work/$p.out" 2>&1; then
        [ -n "${KEEP_OUTPUT:-}" ] && cp "$work/$p.out" "$KEEP_OUTPUT/$p.gradient_check.tsv"
        tail -1 "$work/$p.out" | awk -F'\t' -v p="$p" -v e="$estimated" -v c="$count" '{gsub(/[()]/,"",$3); print p "\t" e "\t" c "\t" $2 "\t" $3}'
    else
        printf '%s\t%s\t-\tfailed: %s\t\n' "$p" "$estimated" "$(tail -1 "$work/$p.out")"
    fi
done

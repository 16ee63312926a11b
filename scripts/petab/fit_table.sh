#!/bin/sh
# Multi-start fits of PEtab benchmark problems against the optimum published with AMICI's
# benchmark tests (Tests/CascadePEtabTests/Fixtures/amici-benchmark-llh.tsv; where a problem has
# no published value, the llh at its nominal parameters).
#
#   scripts/petab/fit_table.sh [-b BENCHMARKS_DIR] [-s SEED] [-t THREADS] [PROBLEM[:STARTS]...]
#
# Default problems and starts: the ones docs/estimation.md reports. Prints one line per problem:
# problem, starts, best llh, reference llh and where it comes from, best − reference, converged
# starts, starts within 0.1 of the best, wall time, and the command. Fit directories are kept
# under ${FIT_WORK:-/tmp/cascade-fit-table}/PROBLEM. CASCADE picks the binary
# (default .build/release/cascade).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
benchmarks=$root/../shared/petab-benchmarks
seed=1
threads=2
while getopts b:s:t: flag; do
    case $flag in
    b) benchmarks=$OPTARG ;;
    s) seed=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
cascade=${CASCADE:-$root/.build/release/cascade}
fixture=$root/Tests/CascadePEtabTests/Fixtures/amici-benchmark-llh.tsv
work=${FIT_WORK:-/tmp/cascade-fit-table}
mkdir -p "$work"
problems=${*:-Boehm_JProteomeRes2014:20 Fujita_SciSignal2010:10 Perelson_Science1996:10 Blasi_CellSystems2016:10 \
Bruno_JExpBot2016:10 Rahman_MBS2016:10 Elowitz_Nature2000:10 Fiedler_BMCSystBiol2016:10}
printf 'problem\tstarts\tbest_llh\treference_llh\treference\tbest_minus_reference\tconverged\tat_best\tseconds\tcommand\n'
for entry in $problems; do
    p=${entry%%:*}
    starts=10
    [ "$entry" != "$p" ] && starts=${entry#*:}
    yaml=$benchmarks/$p/$p.yaml
    out=$work/$p
    rm -rf "$out"
    command="cascade fit $p/$p.yaml --starts $starts --seed $seed --threads $threads --no-report --output DIR"
    if ! "$cascade" fit "$yaml" --starts "$starts" --seed "$seed" --threads "$threads" --no-report --output "$out" \
        > "$work/$p.log" 2>&1; then
        printf '%s\t%s\tfailed: %s\n' "$p" "$starts" "$(tail -1 "$work/$p.log")"
        continue
    fi
    published=$(awk -F'\t' -v p="$p" '$1==p{print $2}' "$fixture")
    python3 - "$out/fit.json" "$p" "$starts" "${published:-}" "$command" << 'EOF'
import json, sys
path, problem, starts, published, command = sys.argv[1:]
s = json.load(open(path))
best = s.get("best_llh")
if published:
    reference, source = float(published), "published"
else:
    reference, source = s.get("nominal_llh"), "nominal"
diff = "-" if best is None or reference is None else "%+.3g" % (best - reference)
fmt = lambda v: "-" if v is None else "%.9g" % v
print("\t".join([problem, starts, fmt(best), fmt(reference), source, diff, str(s["converged"]),
                 str(s["at_best"]), "%.1f" % s["seconds"], command]))
EOF
done

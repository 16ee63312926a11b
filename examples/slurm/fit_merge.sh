#!/usr/bin/env bash
# Merge the shards written by fit_array.sh into OUTDIR/fit (starts.tsv, parameters.tsv,
# fit.json, report.html).
#SBATCH --job-name=cascade-fit-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=cascade-fit-merge-%j.log
set -euo pipefail
PROBLEM=${1:?usage: fit_merge.sh PROBLEM.yaml OUTDIR COUNT}
OUTDIR=${2:?usage: fit_merge.sh PROBLEM.yaml OUTDIR COUNT}
COUNT=${3:?usage: fit_merge.sh PROBLEM.yaml OUTDIR COUNT}
CASCADE=${CASCADE:-cascade}

shards=()
for ((i = 0; i < COUNT; i++)); do
    d="$OUTDIR/shard_${i}"
    [ -f "$d/fit.json" ] || { echo "missing $d/fit.json: resubmit array task $i" >&2; exit 1; }
    shards+=("$d")
done
"$CASCADE" merge "${shards[@]}" --problem "$PROBLEM" --output "$OUTDIR/fit"
echo "merged ${COUNT} fit shards into $OUTDIR/fit"

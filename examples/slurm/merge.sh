#!/usr/bin/env bash
# Merge the shards written by sweep_array.sh into OUTDIR/sweep.csv.
#SBATCH --job-name=cascade-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=cascade-merge-%j.log
set -euo pipefail
OUTDIR=${1:?usage: merge.sh OUTDIR COUNT}
COUNT=${2:?usage: merge.sh OUTDIR COUNT}
CASCADE=${CASCADE:-cascade}

shards=()
for ((i = 0; i < COUNT; i++)); do
    f="$OUTDIR/shard_${i}.csv"
    [ -f "$f" ] || { echo "missing $f: resubmit array task $i" >&2; exit 1; }
    shards+=("$f")
done
"$CASCADE" merge "${shards[@]}" --output "$OUTDIR/sweep.csv"
echo "merged ${COUNT} shards into $OUTDIR/sweep.csv"

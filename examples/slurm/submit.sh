#!/usr/bin/env bash
# Submit a sharded sweep and its merge in one go:
#   examples/slurm/submit.sh EXPERIMENT.yaml OUTDIR [SHARDS]
set -euo pipefail
EXPERIMENT=${1:?usage: submit.sh EXPERIMENT.yaml OUTDIR [SHARDS]}
OUTDIR=${2:?usage: submit.sh EXPERIMENT.yaml OUTDIR [SHARDS]}
SHARDS=${3:-16}
HERE=$(cd "$(dirname "$0")" && pwd)

array=$(sbatch --parsable --array=0-$((SHARDS - 1)) "$HERE/sweep_array.sh" "$EXPERIMENT" "$OUTDIR")
merge=$(sbatch --parsable --dependency=afterok:"$array" "$HERE/merge.sh" "$OUTDIR" "$SHARDS")
echo "sweep array job $array ($SHARDS shards), merge job $merge"

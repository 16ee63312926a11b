#!/usr/bin/env bash
# Run one Cascade sweep across a Slurm cluster: each array task runs a deterministic slice
# (--shard i/n) of the sweep, and a dependent job merges the slices into the file the
# unsharded sweep would have written, byte for byte.
#
#   sbatch --array=0-31 examples/slurm/sweep_array.sh EXPERIMENT.yaml OUTDIR
#   sbatch --dependency=afterok:<array job id> examples/slurm/merge.sh OUTDIR 32
#
# or let submit.sh do both. A slice that is pre-empted or times out can simply be resubmitted:
# --resume continues it from its checkpoint.
#SBATCH --job-name=cascade-sweep
#SBATCH --cpus-per-task=8
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --output=cascade-sweep-%A_%a.log
set -euo pipefail

EXPERIMENT=${1:?usage: sweep_array.sh EXPERIMENT.yaml OUTDIR}
OUTDIR=${2:?usage: sweep_array.sh EXPERIMENT.yaml OUTDIR}
CASCADE=${CASCADE:-cascade}

: "${SLURM_ARRAY_TASK_ID:?run this script as a Slurm job array (sbatch --array=0-N)}"
COUNT=${SLURM_ARRAY_TASK_COUNT:?}
mkdir -p "$OUTDIR"

"$CASCADE" sweep "$EXPERIMENT" \
    --shard "${SLURM_ARRAY_TASK_ID}/${COUNT}" \
    --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --output "$OUTDIR/shard_${SLURM_ARRAY_TASK_ID}.csv" \
    --resume --quiet

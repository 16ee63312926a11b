#!/usr/bin/env bash
# Run one multi-start fit across a Slurm cluster: each array task runs every n-th start
# (--shard i/n) of the same seeded Latin hypercube sample, and fit_merge.sh joins the shards
# into what the unsharded fit writes (starts.tsv, parameters.tsv, fit.json, report.html).
#
#   sbatch --array=0-15 examples/slurm/fit_array.sh PROBLEM.yaml OUTDIR STARTS [SEED]
#   sbatch --dependency=afterok:<array job id> examples/slurm/fit_merge.sh PROBLEM.yaml OUTDIR 16
#
# A task that is pre-empted or times out can be resubmitted: --resume continues from the
# starts its shard already finished (OUTDIR/shard_i/starts.partial.tsv).
#SBATCH --job-name=cascade-fit
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --output=cascade-fit-%A_%a.log
set -euo pipefail
PROBLEM=${1:?usage: fit_array.sh PROBLEM.yaml OUTDIR STARTS [SEED]}
OUTDIR=${2:?usage: fit_array.sh PROBLEM.yaml OUTDIR STARTS [SEED]}
STARTS=${3:?usage: fit_array.sh PROBLEM.yaml OUTDIR STARTS [SEED]}
SEED=${4:-0}
CASCADE=${CASCADE:-cascade}
: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=0-(n-1)}"
: "${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=0-(n-1)}"

"$CASCADE" fit "$PROBLEM" --starts "$STARTS" --seed "$SEED" --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" --resume --no-report \
    --output "$OUTDIR/shard_${SLURM_ARRAY_TASK_ID}"

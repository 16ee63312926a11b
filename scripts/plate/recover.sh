#!/usr/bin/env bash
# Plate data in, parameters out: does a fit of a simulated plate recover the line it came from?
#
#   1. cascade plan PLAN               -> plate.csv (the calibration plate of the line)
#   2. the line's true readings: plate-to-petab with the line's own values and readings in model
#      units, simulated by cascade petab
#   3. noisy_readings.py               -> readings.csv: log-normal noise with the assay's CV, times an
#      arbitrary scale per readout (seeded)
#   4. cascade plate-to-petab          -> problem/ starting from other values (--set)
#   5. cascade fit, cascade profile    -> fit/, profile/
#   6. compare.py: true vs fitted vs 95% profile interval per parameter (exit 1 when a true value is
#      outside its interval)
#
# Usage: scripts/plate/recover.sh [OUT_DIR]   (default plate-recovery)
# Environment (defaults in brackets):
#   CASCADE   the cascade binary [.build/release/cascade]
#   PLAN      the plan file [scripts/plate/calibration_plan.yaml]; LINE the line to fit [eK-R]
#   READOUTS  readouts read in every well of the line [p_eEF2,p_S6K]
#   ESTIMATE  parameters to estimate [J_Ca_NMDA,mTOR_total]
#   START     where the fit's problem starts, space-separated ID=VALUE [the control line's values]
#   BOUNDS    space-separated ID=LOWER:UPPER [J_Ca_NMDA=0.08:0.72 mTOR_total=0.2:1.8]
#   SEED [1], STARTS [8], THREADS [2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cascade=${CASCADE:-$repo/.build/release/cascade}
plan=${PLAN:-$here/calibration_plan.yaml}
line=${LINE:-eK-R}
readouts=${READOUTS:-p_eEF2,p_S6K}
estimate=${ESTIMATE:-J_Ca_NMDA,mTOR_total}
start=${START:-J_Ca_NMDA=0.24 mTOR_total=0.6}
bounds=${BOUNDS:-J_Ca_NMDA=0.08:0.72 mTOR_total=0.2:1.8}
seed=${SEED:-1}
starts=${STARTS:-8}
threads=${THREADS:-2}
out=${1:-plate-recovery}
mkdir -p "$out"
[ -x "$cascade" ] || { echo "recover.sh: no cascade binary at $cascade (swift build -c release --product cascade)" >&2; exit 1; }

now() { date +%s.%N; }
lap() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now)

"$cascade" plan "$plan" --output "$out/plate.csv" --rationale "$out/rationale.txt"
t_plan=$(lap "$t0")

# Every used well of the line, each readout once (the value is a placeholder: only the wells and
# times matter for the simulation).
awk -F, -v line="$line" -v readouts="$readouts" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print "well,readout,value"; n = split(readouts, r, ","); next }
  $col["role"] != "" && $col["role"] != "empty" && $col["role"] != "excluded" && $col["line"] == line {
    for (k = 1; k <= n; k++) print $col["well"] "," r[k] ",1"
  }' "$out/plate.csv" > "$out/placeholder.csv"

bounds_args=()
for b in $bounds; do bounds_args+=(--bounds "$b"); done
set_args=()
for s in $start; do set_args+=(--set "$s"); done

t1=$(now)
"$cascade" plate-to-petab --plan "$plan" --plate "$out/plate.csv" --readings "$out/placeholder.csv" --line "$line" \
  --scaling none --estimate "$estimate" "${bounds_args[@]}" --output "$out/truth" > /dev/null
"$cascade" petab "$out/truth/problem.yaml" --output "$out/truth/simulation.tsv"
python3 "$here/noisy_readings.py" "$out/truth/simulation.tsv" "$out/truth/observables.tsv" "$out/readings.csv" "$out/scales.tsv" "$seed"
"$cascade" plate-to-petab --plan "$plan" --plate "$out/plate.csv" --readings "$out/readings.csv" --line "$line" \
  --estimate "$estimate" "${bounds_args[@]}" "${set_args[@]}" --output "$out/problem"
t_data=$(lap "$t1")

t2=$(now)
"$cascade" fit "$out/problem/problem.yaml" --starts "$starts" --seed "$seed" --threads "$threads" --output "$out/fit"
t_fit=$(lap "$t2")
t3=$(now)
"$cascade" profile "$out/problem/problem.yaml" --parameters "$out/fit/parameters.tsv" --threads "$threads" --output "$out/profile" > /dev/null
t_profile=$(lap "$t3")

status=0
python3 "$here/compare.py" "$out/truth/parameters.tsv" "$out/problem/parameters.tsv" "$out/scales.tsv" "$out/profile/intervals.tsv" \
  > "$out/summary.tsv" || status=$?
column -t -s $'\t' "$out/summary.tsv"
echo "wall time: plan ${t_plan} s, readings and problem ${t_data} s, fit (${starts} starts) ${t_fit} s, profiles ${t_profile} s, total $(lap "$t0") s" \
  | tee "$out/times.txt"
if [ "$status" -ne 0 ]; then echo "recover.sh: a true value lies outside its 95% profile interval" >&2; fi
exit "$status"

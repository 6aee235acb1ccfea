#!/usr/bin/env bash
# Session 9 screen (not a record): 2 seeds (0, 1), batch 8, the variants only (the defaults' runs of the
# same seeds are on record); worker $1 of 2 takes every other problem. OMP_NUM_THREADS=1.
cd "$(dirname "$0")/../../../.."
export OMP_NUM_THREADS=1
E=${E:-200}
V="lamcts[input_warp=true] lamcts[gp_kernel=matern] lamcts[input_warp=true,gp_kernel=matern]"
P=(h3-discus30 h3-schaffers40 h2-ellipsoid20 h3-mixed40 tiny-gpunet h2-mobile h2-gpunet h3-gpunet-cpu h3-bentcigar50
   h3-griewank-rosenbrock40 h2-mixed20 h2-mixed30 h2-schwefel20 h2-rastrigin20 h2-lunacek20 mixed12 ackley10 rosenbrock10
   levy10-shifted hartmann6 mixed8 styblinski10 ackley10-shifted levy10 h2-bueche40 h2-rastrigin40 h2-ellipsoid60)
for i in "${!P[@]}"; do
  [ $((i % 2)) -eq "$1" ] || continue
  .venv/bin/python docs/bench/ablation/session9/diag.py "${P[$i]}" $E 0,1 $V >> docs/bench/ablation/session9/diagnostics/diag2_${E}_w$1.log 2>/dev/null
done

#!/usr/bin/env bash
# Session 9 diagnostics (not a record): 2 seeds, 200 evaluations, batch 8, on the set-3 problems where
# LA-MCTS trailed at 200 (set 3 is spent, so it is tuning material now). One process, OMP_NUM_THREADS=1.
cd "$(dirname "$0")/../../../.."
export OMP_NUM_THREADS=1
V="lamcts lamcts[sampler=turbo] lamcts[global_after=64] lamcts[input_warp=true] lamcts[gp_kernel=matern]"
for p in h3-sharpridge20 h3-weierstrass20 h3-mixed16 h3-gpuwide; do
  .venv/bin/python docs/bench/ablation/session9/diag.py "$p" 200 0,1 $V >> docs/bench/ablation/session9/diagnostics/diag1.log 2>/dev/null
done

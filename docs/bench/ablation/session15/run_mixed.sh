#!/bin/bash
# session 15: gp_prior=dim_scaled on set 7's two mixed problems (the other 12 mixed tuning problems have it recorded)
export OMP_NUM_THREADS=1
cd /work/main
for E in 50 200; do for P in h7-mixed32 h7-mixed44; do
  O=/work/runs/abl15/out/${E}_${P}
  [ -f docs/bench/ablation/session15/runs_$E/${E}_lamcts_gp_prior=dim_scaled__${P}.json ] && continue
  mkdir -p $O
  nice -n 5 .venv/bin/python -m gpunet_ray.bench searchers --problems $P --searchers "lamcts[gp_prior=dim_scaled]" --evals $E --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1
  rc=$?
  [ $rc = 0 ] && mkdir -p docs/bench/ablation/session15/runs_$E && cp $O/results_*.json docs/bench/ablation/session15/runs_$E/${E}_lamcts_gp_prior=dim_scaled__${P}.json
  echo "$(date -u +%FT%TZ) $E lamcts[gp_prior=dim_scaled] $P rc=$rc $(git rev-parse --short HEAD)" >> docs/bench/ablation/session15/progress
done; done

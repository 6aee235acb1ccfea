#!/bin/bash
# Session 16 ablation (issue 14): VARIANT on the tuning problems it can change, 5 seeds, batch 8, told the budget,
# one (variant, problem, budget) per process from a clone of main (/work/abl16clone, commit in progress), workers
# share the queue through claim folders. Ranked with docs/bench/ablation/rank.py against baseline.json.
#   run.sh EVALS VARIANT PROBLEM...      (stop between pieces: touch /work/runs/abl16/stop)
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=/work/abl16clone
R=/work/main/docs/bench/ablation/session16; E=$1; V=$2; shift 2
N=$(printf %s "$V" | tr -c 'a-zA-Z0-9_=.-' '_')
for P in "$@"; do
  F=$R/runs_$E/${E}_${N}_${P}.json; O=/work/runs/abl16/out/${E}_${N}_${P}
  [ -f $F ] && continue
  [ -f /work/runs/abl16/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || continue
  t0=$(date +%s)
  (cd /work/abl16clone && nice -n ${NICE:-0} /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $P \
    --searchers "$V" --evals $E --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1)
  rc=$?
  if [ $rc = 0 ]; then mkdir -p $R/runs_$E; cp $O/results_*.json $F; fi
  echo "$(date -u +%FT%TZ) $E $V $P rc=$rc $(( $(date +%s)-t0 ))s $(cd /work/abl16clone && git rev-parse --short HEAD)" >> $R/progress
done

#!/bin/bash
# Session 14 ablation (issue 14): session 13's infeasible modes ("exclude", "pof") on the tuning problems with
# infeasible points now that set 6 has joined them: set 6's two NAS-like problems (h6-npu, h6-wideshallow), where
# LA-MCTS was furthest behind at 50. Session 13 ran the other nine (docs/bench/ablation/session13/); on the 50 other
# problems every mode is the default run, ask for ask. 5 seeds, batch 8, told the budget, one (variant, problem,
# budget) per process from a clone at 0a83825 (/work/abl14clone), beside set 7's peer worker.
#   run.sh 50 | 200     (stop between pieces: touch /work/runs/abl14/stop)
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=/work/abl14clone
R=/work/main/docs/bench/ablation/session14
one() {  # evals variant problem
  local N=$(printf %s "$2" | tr -c 'a-zA-Z0-9_=.-' '_')
  local O=/work/runs/abl14/out/${1}_${N}_${3}
  [ -f $R/runs_$1/${1}_${N}_${3}.json ] && return
  [ -f /work/runs/abl14/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return
  local t0=$(date +%s)
  (cd /work/abl14clone && /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $3 \
    --searchers "$2" --evals $1 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1)
  local rc=$?
  if [ $rc = 0 ]; then mkdir -p $R/runs_$1; cp $O/results_*.json $R/runs_$1/${1}_${N}_${3}.json; fi
  echo "$(date -u +%FT%TZ) $1 $2 $3 rc=$rc $(( $(date +%s)-t0 ))s" >> $R/progress
}
for V in "lamcts[infeasible=exclude]" "lamcts[infeasible=pof]"; do for P in h6-npu h6-wideshallow; do one ${1:-50} "$V" $P; done; done

#!/bin/bash
# Session 13 ablation (issue 14): LA-MCTS's new option infeasible ("exclude", "pof") against the default ("below")
# on the tuning problems that have infeasible points: the nine NAS-like constrained ones of the 51 (on the other 42
# every mode is the default run, ask for ask: tests/test_searcher_mends.py). 5 seeds, batch 8, told the budget,
# one (variant, problem, budget) per process from a clone at 46a4162 (/work/abl13clone). At 50, the default is run
# again too: it must equal the recorded default runs (session 11's lamcts[global_after=25]) value for value.
# One worker beside held-out set 6's two (nice 0: set 6's 200-evaluation peers slow by about a third meanwhile).
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=/work/abl13clone
R=/work/main/docs/bench/ablation/session13
NAS="tiny-gpunet h2-gpunet h2-mobile h3-gpuwide h3-gpunet-cpu h4-deepnarrow h4-resmix h5-fusedwide h5-edgecpu"
one() {  # evals variant problem
  local N=$(printf %s "$2" | tr -c 'a-zA-Z0-9_=.-' '_')
  local O=/work/runs/abl13/out/${1}_${N}_${3}
  [ -f $R/runs_$1/${1}_${N}_${3}.json ] && return
  [ -f /work/runs/abl13/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return
  local t0=$(date +%s)
  (cd /work/abl13clone && /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $3 \
    --searchers "$2" --evals $1 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1)
  local rc=$?
  if [ $rc = 0 ]; then mkdir -p $R/runs_$1; cp $O/results_*.json $R/runs_$1/${1}_${N}_${3}.json; fi
  echo "$(date -u +%FT%TZ) $1 $2 $3 rc=$rc $(( $(date +%s)-t0 ))s" >> $R/progress
}
for V in "lamcts[infeasible=pof]" "lamcts[infeasible=exclude]" lamcts; do for P in $NAS; do one 50 "$V" $P; done; done
for V in "lamcts[infeasible=pof]" "lamcts[infeasible=exclude]"; do for P in $NAS; do one 200 "$V" $P; done; done

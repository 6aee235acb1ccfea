#!/bin/bash
# Session 14 ablation (issue 14): the new option polish_best=true (the acquisition's polish and discrete climb also
# start from the region's best observation, as Optuna's GPSampler warm-starts its local search from the best trial)
# against the defaults, on all 61 tuning problems. 5 seeds, batch 8, told the budget, one (variant, problem, budget)
# per process from a clone at 69fc5ee (/work/abl14cclone), beside the gp_prior 200-evaluation queue (set 7's peer
# worker stopped meanwhile).
#   run_polish.sh 50 | 200     (stop between pieces: touch /work/runs/abl14/stop_polish)
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=/work/abl14cclone
R=/work/main/docs/bench/ablation/session14
P61="hartmann6 ackley10 levy10 rosenbrock10 mixed8 tiny-gpunet ackley10-shifted levy10-shifted styblinski10 mixed12
h2-ellipsoid20 h2-ellipsoid60 h2-rastrigin20 h2-rastrigin40 h2-schwefel20 h2-bueche40 h2-lunacek20 h2-mixed20 h2-mixed30
h2-gpunet h2-mobile h3-discus30 h3-bentcigar50 h3-sharpridge20 h3-weierstrass20 h3-schaffers40 h3-griewank-rosenbrock40
h3-mixed16 h3-mixed40 h3-gpuwide h3-gpunet-cpu h4-attractive-sector30 h4-step-ellipsoid20 h4-rosenbrock40
h4-different-powers30 h4-gallagher20 h4-katsuura10 h4-mixed24 h4-mixed50 h4-deepnarrow h4-resmix h5-linear-slope50
h5-gallagher21-30 h5-happycat20 h5-hgbat30 h5-zakharov40 h5-dixon-price60 h5-mixed34 h5-mixed48 h5-fusedwide h5-edgecpu
h6-sep-ellipsoid50 h6-powell40 h6-schaffer-f6-30 h6-salomon20 h6-alpine24 h6-qing30 h6-mixed28 h6-mixed60 h6-npu
h6-wideshallow"
one() {  # evals variant problem
  local N=$(printf %s "$2" | tr -c 'a-zA-Z0-9_=.-' '_')
  local O=/work/runs/abl14/out/${1}_${N}_${3}
  [ -f $R/runs_$1/${1}_${N}_${3}.json ] && return
  [ -f /work/runs/abl14/stop_polish ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return
  local t0=$(date +%s)
  (cd /work/abl14cclone && /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $3 \
    --searchers "$2" --evals $1 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1)
  local rc=$?
  if [ $rc = 0 ]; then mkdir -p $R/runs_$1; cp $O/results_*.json $R/runs_$1/${1}_${N}_${3}.json; fi
  echo "$(date -u +%FT%TZ) $1 $2 $3 rc=$rc $(( $(date +%s)-t0 ))s" >> $R/progress
}
for P in $P61; do one ${1:-50} "lamcts[polish_best=true]" $P; done

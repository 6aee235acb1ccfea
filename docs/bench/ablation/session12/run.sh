#!/bin/bash
# Session 12 ablation (issue 14; queued in session 11): LA-MCTS variants on the 51 tuning problems (the tuned set, the first
# held-out set, and the spent sets 2 to 5), 5 seeds, batch 8; evals $2 (50 or 200); one (variant,
# problem) per process from a clone at 45be395 (/work/abl12clone; the bench tells lamcts its budget), claimed by whichever worker gets there
# first; finished pieces are copied into runs_<evals>/. Started by start.sh once held-out set 5's queue was done
# (nice ${NICE:-19}). The clone is $CLONE when set: the init_share variant ran from /work/abl12bclone at 479f376
# (worker 2; it was run2.sh, this file with that one change). Usage: [CLONE=...] run.sh WORKER EVALS "VARIANT ..."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=${CLONE:-/work/abl12clone}
R=/work/main/docs/bench/ablation/session12
W=$1; E=$2; VS=$3
one() {  # variant problem
  local N=$(printf %s "$1" | tr -c 'a-zA-Z0-9_=.-' '_')
  local O=/work/runs/abl12/out/${E}_${N}_${2}
  [ -f $R/runs_$E/${E}_${N}_${2}.json ] && return
  [ -f /work/runs/abl12/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return
  local t0=$(date +%s)
  (cd ${CLONE:-/work/abl12clone} && nice -n ${NICE:-19} /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $2 \
    --searchers "$1" --evals $E --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1)
  local rc=$?
  if [ $rc = 0 ]; then mkdir -p $R/runs_$E; cp $O/results_*.json $R/runs_$E/${E}_${N}_${2}.json; fi
  echo "$(date -u +%FT%TZ) w$W $E $1 $2 rc=$rc $(( $(date +%s)-t0 ))s" >> $R/progress
}
T="hartmann6 ackley10 levy10 rosenbrock10 mixed8 tiny-gpunet ackley10-shifted levy10-shifted styblinski10 mixed12"
H2="h2-ellipsoid20 h2-ellipsoid60 h2-rastrigin20 h2-rastrigin40 h2-schwefel20 h2-bueche40 h2-lunacek20 h2-mixed20 h2-mixed30 h2-gpunet h2-mobile"
H3="h3-discus30 h3-bentcigar50 h3-sharpridge20 h3-weierstrass20 h3-schaffers40 h3-griewank-rosenbrock40 h3-mixed16 h3-mixed40 h3-gpuwide h3-gpunet-cpu"
H4="h4-attractive-sector30 h4-step-ellipsoid20 h4-rosenbrock40 h4-different-powers30 h4-gallagher20 h4-katsuura10 h4-mixed24 h4-mixed50 h4-deepnarrow h4-resmix"
H5="h5-linear-slope50 h5-gallagher21-30 h5-happycat20 h5-hgbat30 h5-zakharov40 h5-dixon-price60 h5-mixed34 h5-mixed48 h5-fusedwide h5-edgecpu"
for V in $VS; do for P in $H4 $H3 $H2 $T $H5; do one "$V" $P; done; done

#!/bin/bash
# Session 9 ablation: lamcts[gp_kernel=matern] on the 31 tuning problems (the tuned set, the first
# held-out set, set 2 and the spent set 3), 5 seeds, batch 8, 50 and 200 evaluations; one
# (evals, problem) per process, from a clone at f10f5f2 (/work/abl9clone), claimed by whichever of the
# two workers gets there first; finished pieces are copied into runs_{50,200}/ and committed.
export OMP_NUM_THREADS=1 PYTHONPATH=/work/abl9clone
R=/work/main/docs/bench/ablation/session9
V="lamcts[gp_kernel=matern]"
one() {  # evals problem
  local O=/work/runs/abl9/out/${1}_${2}
  [ -f $O/done ] && return
  [ -f /work/runs/abl9/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return
  local t0=$(date +%s)
  (cd /work/abl9clone && /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $2 --searchers "$V" \
    --evals $1 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1) && touch $O/done
  local rc=$?
  mkdir -p $R/runs_$1; for f in $O/*.json; do [ -f "$f" ] && cp "$f" $R/runs_$1/${1}_matern_${2}.json; done
  echo "$(date -u +%FT%TZ) w$W $1 $V $2 rc=$rc $(( $(date +%s)-t0 ))s" >> $R/progress
}
T="hartmann6 ackley10 levy10 rosenbrock10 mixed8 tiny-gpunet ackley10-shifted levy10-shifted styblinski10 mixed12"
H2="h2-ellipsoid20 h2-ellipsoid60 h2-rastrigin20 h2-rastrigin40 h2-schwefel20 h2-bueche40 h2-lunacek20 h2-mixed20 h2-mixed30 h2-gpunet h2-mobile"
H3="h3-discus30 h3-bentcigar50 h3-sharpridge20 h3-weierstrass20 h3-schaffers40 h3-griewank-rosenbrock40 h3-mixed16 h3-mixed40 h3-gpuwide h3-gpunet-cpu"
W=$1
for E in 50 200; do for P in $H3 $H2 $T; do one $E $P; done; done

#!/bin/bash
# Session 7 ablation: one (evals, variant, problem) per process, saved as it finishes; from a clone at a fixed commit.
cd /work/abl7clone; export PYTHONPATH=/work/abl7clone
one() {  # evals searcher problem
  local N=$(echo "$2" | tr -c 'a-zA-Z0-9_=.-' '_')
  local O=/work/runs/abl7/out/${1}_${N}_${3}
  [ -f $O/done ] && return
  [ -f /work/runs/abl7/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return
  local t0=$(date +%s)
  /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $3 --searchers "$2" \
    --evals $1 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1 && touch $O/done
  echo "$(date -u +%FT%TZ) $1 $2 $3 rc=$? $(( $(date +%s)-t0 ))s" >> /work/runs/abl7/progress
}
H2="h2-ellipsoid20 h2-ellipsoid60 h2-rastrigin20 h2-rastrigin40 h2-schwefel20 h2-bueche40 h2-lunacek20 h2-mixed20 h2-mixed30 h2-gpunet h2-mobile"
T="hartmann6 ackley10 levy10 rosenbrock10 mixed8 tiny-gpunet ackley10-shifted levy10-shifted styblinski10 mixed12"
for V in $VARIANTS; do
  for E in $EVALS; do for P in $PROBS; do one $E "$V" $P; done; done
done

#!/bin/bash
# Held-out set 5 (problems fixed at 8cab851), run once: LA-MCTS with the defaults of 7315e8c (session 10: whole-box
# steps after 100 observations) and every peer, from a clone at that commit (/work/h5clone). One (evals, searcher, problem)
# per process; a finished piece's results are copied into runs_<evals>/ (single-objective) or runs_mo_<evals>/
# and committed, so an interrupted session loses only the pieces in flight. Workers (`run.sh A`, `run.sh B`)
# share the queue through claim folders; LA-MCTS's pieces come first. A later session continues the same queue
# from a clone at the same commit (the pieces already in runs_*/ are skipped).
set -u
C=/work/h5clone; R=/work/main/docs/bench/heldout5; W=/work/runs/h5
cd $C; export PYTHONPATH=$C OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
SO="h5-linear-slope50 h5-gallagher21-30 h5-happycat20 h5-hgbat30 h5-zakharov40 h5-dixon-price60 h5-mixed34 h5-mixed48 h5-fusedwide h5-edgecpu"
MO="h5-mo-zdt4r10 h5-mo-edgecpu"
one() {  # objectives evals searcher problem
  local N=$(printf %s "$3" | tr -c 'a-zA-Z0-9_=.-' '_') K=""; [ $1 = 2 ] && K=mo_
  local O=$W/out/${2}_${K}${N}_${4}
  [ -f $R/runs_${K}$2/${2}_${N}_${4}.json ] && return
  [ -f $W/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return  # another worker has it
  local t0=$(date +%s)
  /work/main/.venv/bin/python -m gpunet_ray.bench searchers --objectives $1 --problems $4 --searchers "$3" \
    --evals $2 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1
  local rc=$?
  if [ $rc = 0 ]; then mkdir -p $R/runs_${K}$2; cp $O/results_*.json $R/runs_${K}$2/${2}_${N}_${4}.json; fi
  echo "$(date -u +%FT%TZ) $1 $2 $3 $4 rc=$rc $(( $(date +%s)-t0 ))s" >> $R/progress.log
}
if [ "${1:-A}" = A ]; then
  for E in 50 200; do
    for P in $SO; do one 1 $E lamcts $P; done
    for S in "lamcts[given_ref=true]" lamcts; do for P in $MO; do one 2 $E "$S" $P; done; done
  done
  for E in 50 200; do
    for S in random optuna-tpe pypop7-lamcts; do for P in $SO; do one 1 $E $S $P; done; done
    for S in random optuna-tpe optuna-nsga2; do for P in $MO; do one 2 $E $S $P; done; done
  done
  for E in 50 200; do for P in $SO; do one 1 $E hebo $P; done; done
fi
for P in $SO; do one 1 50 optuna-gp $P; done
for P in $MO; do one 2 50 botorch-qlognehvi $P; done
for P in $SO; do one 1 200 optuna-gp $P; done
for P in $SO; do one 1 200 hebo $P; done
for P in $MO; do one 2 200 botorch-qlognehvi $P; done

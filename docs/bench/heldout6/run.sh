#!/bin/bash
# Held-out set 6 (problems fixed at ff3921d8d59d8b91d552f49a2581c9102e9864f7), run once. Peers run from a clone of
# main at 0b2d81f (/work/h6clone: the peers' code and the scoring do not change with LA-MCTS's
# defaults); LA-MCTS runs from a clone at the commit whose defaults session 12's ablation settled (/work/h6lclone),
# told its budget (--evals) as every LA-MCTS run since set 5. One (evals, searcher, problem) per process; a finished
# piece's results are copied into runs_<evals>/ (single-objective) or runs_mo_<evals>/ and committed, so an
# interrupted session loses only the pieces in flight. Workers share the queue through claim folders:
#   run.sh peers   every peer's pieces (cheapest first; Optuna GP, HEBO and qLogNEHVI at 200 last)
#   run.sh lamcts  LA-MCTS's pieces (one objective; two objectives with and without the reference point)
# A later session continues the same queue from clones at the same commits (pieces in runs_*/ are skipped).
set -u
R=/work/main/docs/bench/heldout6; W=/work/runs/h6
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
SO="h6-sep-ellipsoid50 h6-powell40 h6-schaffer-f6-30 h6-salomon20 h6-alpine24 h6-qing30 h6-mixed28 h6-mixed60 h6-npu h6-wideshallow"
MO="h6-mo-dtlz1r8 h6-mo-npu"
one() {  # objectives evals searcher problem
  local N=$(printf %s "$3" | tr -c 'a-zA-Z0-9_=.-' '_') K="" C=/work/h6clone; [ $1 = 2 ] && K=mo_
  case $3 in lamcts*) C=/work/h6lclone;; esac
  local O=$W/out/${2}_${K}${N}_${4}
  [ -f $R/runs_${K}$2/${2}_${N}_${4}.json ] && return
  [ -f $W/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return  # another worker has it
  local t0=$(date +%s)
  (cd $C && PYTHONPATH=$C nice -n ${NICE:-0} /work/main/.venv/bin/python -m gpunet_ray.bench searchers --objectives $1 \
    --problems $4 --searchers "$3" --evals $2 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1)
  local rc=$?
  if [ $rc = 0 ]; then mkdir -p $R/runs_${K}$2; cp $O/results_*.json $R/runs_${K}$2/${2}_${N}_${4}.json; fi
  echo "$(date -u +%FT%TZ) $1 $2 $3 $4 rc=$rc $(( $(date +%s)-t0 ))s $(cd $C && git rev-parse --short HEAD)" >> $R/progress.log
}
if [ "${1:-peers}" = lamcts ]; then
  for E in 50 200; do
    for P in $SO; do one 1 $E lamcts $P; done
    for S in "lamcts[given_ref=true]" lamcts; do for P in $MO; do one 2 $E "$S" $P; done; done
  done
  exit 0
fi
for E in 50 200; do
  for S in random optuna-tpe pypop7-lamcts; do for P in $SO; do one 1 $E $S $P; done; done
  for S in random optuna-tpe optuna-nsga2; do for P in $MO; do one 2 $E $S $P; done; done
done
for P in $SO; do one 1 50 optuna-gp $P; done
for P in $SO; do one 1 50 hebo $P; done
for P in $MO; do one 2 50 botorch-qlognehvi $P; done
# Session 13: the 200-evaluation peers longest first (Optuna GP on the mixed problems and qLogNEHVI took the longest
# on set 5), so the two workers finish together; the order does not change any piece (each is seeded on its own).
for P in h6-mixed60 h6-mixed28; do one 1 200 optuna-gp $P; done
for P in $MO; do one 2 200 botorch-qlognehvi $P; done
for P in $SO; do one 1 200 hebo $P; done
for P in $SO; do one 1 200 optuna-gp $P; done

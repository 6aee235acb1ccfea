#!/bin/bash
# Held-out set 8 (problems fixed at 80de0b121ec0872c5ae5dff1235224a6676e64e8), run once. Peers run from a clone of
# main at 21e5520 (/work/h8clone; git diff 80de0b1 21e5520 changes no searcher: gpunet_ray/searchers is identical,
# and the bench changes are the exit path, the shared results writer and the _nas_mo refactor, values checked).
# LA-MCTS runs from a clone at e5c3195 (/work/h8lclone), the commit that adopted session 16's ablation (a batch's
# picks scored by q-EI over the pending points), told its budget (--evals) as every LA-MCTS run since set 5. The peers' runs do not
# depend on LA-MCTS, so they start first; their results are not read (merge.sh refuses) until every run is in.
# Cheap peers run one (evals, searcher, problem) per process, 5 seeds; the costly ones (Optuna GP, HEBO,
# qLogNEHVI) one seed per process (--only-seeds), so a session's end loses only minutes. A finished piece's
# results are copied into runs_<evals>/ or runs_mo_<evals>/ (one-seed pieces into their seeds/), so an
# interrupted session loses only the pieces in flight. Workers share the queue through claim folders:
#   run.sh peers   every peer's pieces (50 evaluations first)
#   run.sh lamcts  LA-MCTS's pieces (one objective; two objectives with and without the reference point)
# A later session continues the same queue from clones at the same commits (pieces already in are skipped).
# Stop a worker between pieces: touch /work/runs/h8/stop.
set -u
R=/work/main/docs/bench/heldout8; W=/work/runs/h8
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
SO="h8-whitley20 h8-stretched-v24 h8-pinter30 h8-brown40 h8-schwefel221-50 h8-quintic60 h8-mixed35 h8-mixed42 h8-lowres h8-plainwide"
MO="h8-mo-uf1r12 h8-mo-lowres"
run() {  # objectives evals searcher problem seed|all
  local N=$(printf %s "$3" | tr -c 'a-zA-Z0-9_=.-' '_') K="" C=/work/h8clone; [ $1 = 2 ] && K=mo_
  case $3 in lamcts*) C=/work/h8lclone;; esac
  local F=$R/runs_${K}$2/${2}_${N}_${4}.json O=$W/out/${2}_${K}${N}_${4} SEEDS=""
  if [ $5 != all ]; then
    [ -f $F ] && return
    F=$R/runs_${K}$2/seeds/${2}_${N}_${4}_s$5.json; O=${O}_s$5; SEEDS="--only-seeds $5"
  fi
  [ -f $F ] && return
  [ -f $W/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return  # another worker has it
  local t0=$(date +%s)
  (cd $C && PYTHONPATH=$C nice -n ${NICE:-0} /work/main/.venv/bin/python -m gpunet_ray.bench searchers --objectives $1 \
    --problems $4 --searchers "$3" --evals $2 --seeds 5 $SEEDS --batch 8 --jobs 1 --out $O > $O/log 2>&1)
  local rc=$?
  if [ $rc = 0 ]; then mkdir -p $(dirname $F); cp $O/results_*.json $F; fi
  echo "$(date -u +%FT%TZ) $1 $2 $3 $4 seed $5 rc=$rc $(( $(date +%s)-t0 ))s $(cd $C && git rev-parse --short HEAD)" >> $R/progress.log
}
if [ "${1:-peers}" = lamcts ]; then
  [ -d /work/h8lclone ] || { echo "clone the adopting commit to /work/h8lclone first" >&2; exit 2; }
  for E in 50 200; do
    for P in $SO; do run 1 $E lamcts $P all; done
    for S in "lamcts[given_ref=true]" lamcts; do for P in $MO; do run 2 $E "$S" $P all; done; done
  done
  exit 0
fi
for E in 50 200; do
  for S in random optuna-tpe pypop7-lamcts; do for P in $SO; do run 1 $E $S $P all; done; done
  for S in random optuna-tpe optuna-nsga2; do for P in $MO; do run 2 $E $S $P all; done; done
  # the costly peers, one seed per process; at 200 the mixed problems first (the longest on sets 5 and 6)
  ORDER=$SO; [ $E = 200 ] && ORDER="h8-mixed42 h8-mixed35 h8-lowres h8-plainwide $SO"
  for S in optuna-gp hebo; do for P in $ORDER; do for k in 0 1 2 3 4; do run 1 $E $S $P $k; done; done; done
  for P in $MO; do for k in 0 1 2 3 4; do run 2 $E botorch-qlognehvi $P $k; done; done
done

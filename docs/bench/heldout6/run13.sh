#!/bin/bash
# Held-out set 6, session 13: the 200-evaluation peers left, one seed per piece (`--only-seeds`), so that a piece
# of hours (Optuna GP on h6-mixed60 took ~4 min a seed at 50) is not lost when a session ends, and two workers
# share the long ones. Same problems, seeds, budget and peers' code as run.sh: the peers run from a clone at
# 65fad2c (/work/h6sclone), whose peers and scoring are those of 0b2d81f (git diff 0b2d81f 65fad2c: the harness's
# --only-seeds and with_budget's move; no peer's code). A finished seed's results go to runs_200/seeds/ and
# merge.sh merges them with the whole pieces; a piece already whole in runs_200/ is skipped.
#   run13.sh   one worker (run two)
set -u
R=/work/main/docs/bench/heldout6; W=/work/runs/h6; C=/work/h6sclone
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
SO="h6-sep-ellipsoid50 h6-powell40 h6-schaffer-f6-30 h6-salomon20 h6-alpine24 h6-qing30 h6-mixed28 h6-mixed60 h6-npu h6-wideshallow"
MO="h6-mo-dtlz1r8 h6-mo-npu"
seed() {  # objectives searcher problem seed (200 evaluations)
  local N=$3 K="" S=$2; [ $1 = 2 ] && K=mo_
  [ -f $R/runs_${K}200/200_${S}_${N}.json ] && return
  local F=$R/runs_${K}200/seeds/200_${S}_${N}_s$4.json O=$W/seeds/200_${K}${S}_${N}_s$4
  [ -f $F ] && return
  [ -f $W/stop13 ] && exit 0  # run.sh's queue stops on $W/stop, this one on stop13
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return  # another worker has it
  local t0=$(date +%s)
  (cd $C && PYTHONPATH=$C nice -n ${NICE:-0} /work/main/.venv/bin/python -m gpunet_ray.bench searchers --objectives $1 \
    --problems $3 --searchers $2 --evals 200 --seeds 5 --only-seeds $4 --batch 8 --jobs 1 --out $O > $O/log 2>&1)
  local rc=$?
  if [ $rc = 0 ]; then mkdir -p $(dirname $F); cp $O/results_*.json $F; fi
  echo "$(date -u +%FT%TZ) $1 200 $2 $3 seed $4 rc=$rc $(( $(date +%s)-t0 ))s $(cd $C && git rev-parse --short HEAD)" >> $R/progress.log
}
# longest first (set 5: Optuna GP on the mixed problems and qLogNEHVI took the longest)
for P in h6-mixed60 h6-mixed28; do for k in 0 1 2 3 4; do seed 1 optuna-gp $P $k; done; done
for P in $MO; do for k in 0 1 2 3 4; do seed 2 botorch-qlognehvi $P $k; done; done
for P in $SO; do for k in 0 1 2 3 4; do seed 1 hebo $P $k; done; done
for P in $SO; do for k in 0 1 2 3 4; do seed 1 optuna-gp $P $k; done; done

#!/bin/bash
# Eighth session (2026-11-30): the one missing piece of the multi-objective tuning set at 200, qLogNEHVI on
# tiny-gpunet-mo (the seventh session's attempt was lost with its machine), from a clone at f778710, the commit
# the other pieces of runs_mo_200/ ran from, with the command of docs/bench/heldout2/run_mo.sh.
cd /work/moclone; export PYTHONPATH=/work/moclone OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
O=/work/runs/mo/out/200_botorch-qlognehvi__tiny-gpunet-mo; R=/work/main/docs/bench/multiobjective
mkdir -p $O; t0=$(date +%s)
/work/main/.venv/bin/python -m gpunet_ray.bench searchers --objectives 2 --problems tiny-gpunet-mo \
  --searchers botorch-qlognehvi --evals 200 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1
rc=$?
[ $rc = 0 ] && cp $O/results_*.json $R/runs_mo_200/200_botorch-qlognehvi__tiny-gpunet-mo.json
echo "$(date -u +%FT%TZ) 2 200 botorch-qlognehvi tiny-gpunet-mo rc=$rc $(( $(date +%s)-t0 ))s" >> $R/progress_session8.log

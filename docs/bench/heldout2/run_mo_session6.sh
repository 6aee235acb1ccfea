#!/bin/bash
# Session 6 (qLogNEHVI at 200, the pieces left). Multi-objective runs from a clone at a fixed commit; one (evals, searcher, problem) per call, each saved.
cd /work/moclone; export PYTHONPATH=/work/moclone
SET="zdt1 zdt2 zdt3 dtlz2 branin-currin tiny-gpunet-mo"
H2="h2-mo-dtlz2r10 h2-mo-gpunet"
one() {  # evals searcher problem
  local N=$(echo "$2" | tr -c 'a-zA-Z0-9_=.-' '_')
  local O=/work/runs/mo/out/${1}_${N}_${3}
  [ -f $O/done ] && return
  [ -f /work/runs/mo/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || return  # another worker has it
  local t0=$(date +%s)
  nice -n 5 /work/main/.venv/bin/python -m gpunet_ray.bench searchers --objectives 2 --problems $3 --searchers "$2" \
    --evals $1 --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1 && touch $O/done
  echo "$(date -u +%FT%TZ) $1 $2 $3 rc=$? $(( $(date +%s)-t0 ))s" >> /work/runs/mo/progress
}
# session 6: the held-out pieces first, then the tuning set's last two
for P in $H2; do one 200 botorch-qlognehvi $P; done
for P in dtlz2 tiny-gpunet-mo; do one 200 botorch-qlognehvi $P; done

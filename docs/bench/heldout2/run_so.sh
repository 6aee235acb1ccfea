#!/bin/bash
# Held-out set 2, peers only (their results do not depend on our searcher); one (evals, searcher, problem) per call
# so that each finished piece is saved. Results are NOT looked at until lamcts's held-out run is done.
cd /work/h2clone; export PYTHONPATH=/work/h2clone
PROBS="h2-ellipsoid20 h2-ellipsoid60 h2-rastrigin20 h2-rastrigin40 h2-schwefel20 h2-bueche40 h2-lunacek20 h2-mixed20 h2-mixed30 h2-gpunet h2-mobile"
for spec in 50:random 50:optuna-tpe 50:pypop7-lamcts 50:optuna-gp 50:hebo 50:lamcts 200:lamcts 200:random 200:optuna-tpe 200:pypop7-lamcts 200:optuna-gp 200:hebo; do
  E=${spec%%:*}; S=${spec#*:}
  for P in $PROBS; do
    O=/work/runs/h2/out/${E}_${S}_${P}
    [ -f $O/done ] && continue
    [ -f /work/runs/h2/stop ] && exit 0
    mkdir -p $O
    t0=$(date +%s)
    nice -n 5 /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $P --searchers $S --evals $E --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1 && touch $O/done
    echo "$(date -u +%FT%TZ) $E $S $P rc=$? $(( $(date +%s)-t0 ))s" >> /work/runs/h2/progress
  done
done

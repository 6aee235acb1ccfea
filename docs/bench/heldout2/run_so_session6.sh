#!/bin/bash
# Sixth session (2026-11-29): the last single-objective pieces at 200, as two workers (the same command as
# run_so.sh). Worker A ran the first loop, worker B the second; both then went on to the qLogNEHVI pieces
# (run_mo_session6.sh).

# --- worker A: HEBO
cd /work/h2clone; export PYTHONPATH=/work/h2clone
for P in h2-ellipsoid60 h2-bueche40 h2-rastrigin40 h2-gpunet h2-ellipsoid20 h2-rastrigin20 h2-schwefel20 h2-lunacek20 h2-mobile h2-mixed20 h2-mixed30; do
  E=200; S=hebo
  O=/work/runs/h2/out/${E}_${S}_${P}
  [ -f $O/done ] && continue
  [ -f /work/runs/h2/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || continue
  t0=$(date +%s)
  nice -n 5 /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $P --searchers $S --evals $E --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1 && touch $O/done
  echo "$(date -u +%FT%TZ) $E $S $P rc=$? $(( $(date +%s)-t0 ))s" >> /work/runs/h2/progress
done

# --- worker B: Optuna GP
cd /work/h2clone; export PYTHONPATH=/work/h2clone
for P in h2-gpunet h2-mobile h2-mixed30; do
  E=200; S=optuna-gp
  O=/work/runs/h2/out/${E}_${S}_${P}
  [ -f $O/done ] && continue
  [ -f /work/runs/h2/stop ] && exit 0
  mkdir -p $O; mkdir $O/claim 2>/dev/null || continue
  t0=$(date +%s)
  nice -n 5 /work/main/.venv/bin/python -m gpunet_ray.bench searchers --problems $P --searchers $S --evals $E --seeds 5 --batch 8 --jobs 1 --out $O > $O/log 2>&1 && touch $O/done
  echo "$(date -u +%FT%TZ) $E $S $P rc=$? $(( $(date +%s)-t0 ))s" >> /work/runs/h2/progress
done

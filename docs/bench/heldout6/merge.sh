#!/bin/bash
# Held-out set 6: merge one budget's pieces once every one of them is in (run from the repository root).
#   bash docs/bench/heldout6/merge.sh 50|200|mo_50|mo_200
# Whole pieces are runs_T/*.json; session 13's one-seed pieces (run13.sh) are runs_T/seeds/*.json. The merge is
# refused until every (problem, searcher) has seeds 0-4.
set -eu
T=$1; D=docs/bench/heldout6
FILES=$(ls $D/runs_$T/*.json $D/runs_$T/seeds/*.json 2>/dev/null || true)
case $T in mo_*) NP=2; NS=6;; *) NP=10; NS=6;; esac
python - $NP $NS $FILES <<'PY' || exit 2
import json, sys
want = int(sys.argv[1]) * int(sys.argv[2]) * 5
got = {(r["problem"], r["searcher"], r["seed"]) for f in sys.argv[3:] for r in json.load(open(f))["runs"]}
if len(got) != want:
    sys.exit(f"{len(got)} of {want} runs are in")
PY
SO=h6-sep-ellipsoid50,h6-powell40,h6-schaffer-f6-30,h6-salomon20,h6-alpine24,h6-qing30,h6-mixed28,h6-mixed60,h6-npu,h6-wideshallow
case $T in
  mo_*) exec python -m gpunet_ray.bench searchers --objectives 2 --merge $FILES --out $D --tag $T \
          --problems h6-mo-dtlz1r8,h6-mo-npu \
          --searchers 'lamcts[given_ref=true],lamcts,botorch-qlognehvi,optuna-tpe,optuna-nsga2,random';;
  *)    exec python -m gpunet_ray.bench searchers --merge $FILES --out $D --tag $T --problems $SO \
          --searchers lamcts,random,optuna-tpe,optuna-gp,hebo,pypop7-lamcts;;
esac

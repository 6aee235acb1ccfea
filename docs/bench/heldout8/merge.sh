#!/bin/bash
# Held-out set 8: merge one budget's pieces once every one of them is in (run from the repository root).
#   bash docs/bench/heldout8/merge.sh 50|200|mo_50|mo_200
# Whole pieces are runs_T/*.json, one-seed pieces runs_T/seeds/*.json (run.sh). The merge is refused until every
# (problem, searcher) has seeds 0-4, so no peer's figure is read before LA-MCTS's runs are in.
set -eu
T=$1; D=docs/bench/heldout8
FILES=$(ls $D/runs_$T/*.json $D/runs_$T/seeds/*.json 2>/dev/null || true)
case $T in mo_*) NP=2; NS=6;; *) NP=10; NS=6;; esac
python - $NP $NS $FILES <<'PY' || exit 2
import json, sys
want = int(sys.argv[1]) * int(sys.argv[2]) * 5
got = {(r["problem"], r["searcher"], r["seed"]) for f in sys.argv[3:] for r in json.load(open(f))["runs"]}
if len(got) != want:
    sys.exit(f"{len(got)} of {want} runs are in")
PY
SO=h8-whitley20,h8-stretched-v24,h8-pinter30,h8-brown40,h8-schwefel221-50,h8-quintic60,h8-mixed35,h8-mixed42,h8-lowres,h8-plainwide
case $T in
  mo_*) exec python -m gpunet_ray.bench searchers --objectives 2 --merge $FILES --out $D --tag $T \
          --problems h8-mo-uf1r12,h8-mo-lowres \
          --searchers 'lamcts[given_ref=true],lamcts,botorch-qlognehvi,optuna-tpe,optuna-nsga2,random';;
  *)    exec python -m gpunet_ray.bench searchers --merge $FILES --out $D --tag $T --problems $SO \
          --searchers lamcts,random,optuna-tpe,optuna-gp,hebo,pypop7-lamcts;;
esac

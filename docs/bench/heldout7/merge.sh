#!/bin/bash
# Held-out set 7: merge one budget's pieces once every one of them is in (run from the repository root).
#   bash docs/bench/heldout7/merge.sh 50|200|mo_50|mo_200
# Whole pieces are runs_T/*.json, one-seed pieces runs_T/seeds/*.json (run.sh). The merge is refused until every
# (problem, searcher) has seeds 0-4, so no peer's figure is read before LA-MCTS's runs are in.
set -eu
T=$1; D=docs/bench/heldout7
FILES=$(ls $D/runs_$T/*.json $D/runs_$T/seeds/*.json 2>/dev/null || true)
case $T in mo_*) NP=2; NS=6;; *) NP=10; NS=6;; esac
python - $NP $NS $FILES <<'PY' || exit 2
import json, sys
want = int(sys.argv[1]) * int(sys.argv[2]) * 5
got = {(r["problem"], r["searcher"], r["seed"]) for f in sys.argv[3:] for r in json.load(open(f))["runs"]}
if len(got) != want:
    sys.exit(f"{len(got)} of {want} runs are in")
PY
SO=h7-michalewicz20,h7-schwefel12-40,h7-trid30,h7-griewank60,h7-cigtab30,h7-bohachevsky30,h7-mixed32,h7-mixed44,h7-roofline,h7-deepthin
case $T in
  mo_*) exec python -m gpunet_ray.bench searchers --objectives 2 --merge $FILES --out $D --tag $T \
          --problems h7-mo-kursawe10,h7-mo-roofline \
          --searchers 'lamcts[given_ref=true],lamcts,botorch-qlognehvi,optuna-tpe,optuna-nsga2,random';;
  *)    exec python -m gpunet_ray.bench searchers --merge $FILES --out $D --tag $T --problems $SO \
          --searchers lamcts,random,optuna-tpe,optuna-gp,hebo,pypop7-lamcts;;
esac

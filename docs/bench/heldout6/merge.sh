#!/bin/bash
# Held-out set 6: merge one budget's pieces once every one of them is in (run from the repository root).
#   bash docs/bench/heldout6/merge.sh 50|200|mo_50|mo_200
set -eu
T=$1; D=docs/bench/heldout6
SO=h6-sep-ellipsoid50,h6-powell40,h6-schaffer-f6-30,h6-salomon20,h6-alpine24,h6-qing30,h6-mixed28,h6-mixed60,h6-npu,h6-wideshallow
case $T in
  mo_*) n=$(ls $D/runs_$T | wc -l); [ "$n" = 12 ] || { echo "runs_$T has $n of 12 pieces"; exit 2; }
        exec python -m gpunet_ray.bench searchers --objectives 2 --merge $D/runs_$T/*.json --out $D --tag $T \
          --problems h6-mo-dtlz1r8,h6-mo-npu \
          --searchers 'lamcts[given_ref=true],lamcts,botorch-qlognehvi,optuna-tpe,optuna-nsga2,random';;
  *)    n=$(ls $D/runs_$T | wc -l); [ "$n" = 60 ] || { echo "runs_$T has $n of 60 pieces"; exit 2; }
        exec python -m gpunet_ray.bench searchers --merge $D/runs_$T/*.json --out $D --tag $T --problems $SO \
          --searchers lamcts,random,optuna-tpe,optuna-gp,hebo,pypop7-lamcts;;
esac

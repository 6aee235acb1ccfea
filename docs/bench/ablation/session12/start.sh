#!/bin/bash
# Queued in session 11: wait until held-out set 5's run-once queue has no piece left, then run the session-12
# ablation (Matern 3/2 and MACE, each alone) with two workers: every 50-evaluation piece first, then 200.
R=/work/main/docs/bench/ablation/session12
while pgrep -f "heldout5/run.sh" > /dev/null; do sleep 60; done
echo "$(date -u +%FT%TZ) set 5's queue is done; starting" >> $R/progress
V="lamcts[gp_kernel=matern32] lamcts[acquisition=mace]"
for W in 0 1; do (bash $R/run.sh $W 50 "$V"; bash $R/run.sh $W 200 "$V") & sleep 5; done
wait

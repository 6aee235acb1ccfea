#!/bin/bash
# Session 12: the peers' workers wait for session 12's ablation (run.sh and run2.sh) to finish, then take set 6's peer queue (two workers).
R=/work/main/docs/bench/heldout6
while pgrep -f "session12/run" > /dev/null; do sleep 60; done
echo "$(date -u +%FT%TZ) session 12's ablation is done; two peer workers start" >> $R/progress.log
for W in 0 1; do bash $R/run.sh peers & sleep 5; done
wait

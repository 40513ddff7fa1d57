#!/bin/bash
# Garbage collection in the hub under 64 KiB bodies: starts the broker of the checkout DIR (built) with
# --trace-gc on 127.0.0.1:61700, warms it with one run, then runs `run.js queue --size 65536 --messages
# 5000` RUNS times and prints, per run: msgs/s, the CPU time of the hub and of all sessions (from
# /proc/PID/stat), and the hub's mark-compacts and scavenges; then the hub's peak RSS.
# Compare two commits by alternating checkouts:
#   for rep in 1 2 3; do for d in /tmp/base /work/main; do benchmarks/gc-ab.sh $d 4; done; done
# Linux only; uses ports 61700/61701 and the data directory /tmp/gc-ab-data.
set -euo pipefail
D=$(cd "$1" && pwd); RUNS=${2:-3}; DATA=/tmp/gc-ab-data; LOG=/tmp/gc-ab-broker.log
cd "$D"
node bin/stomp-broker stop --data-dir $DATA >/dev/null 2>&1 || true
sleep 1; rm -rf $DATA
node --trace-gc bin/stomp-broker start --port 61700 --http-port 61701 --data-dir $DATA > $LOG 2>&1 &
HUB=$!
until grep -q "listening on" $LOG 2>/dev/null; do sleep 0.2; done
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
children() { local n=0; for c in $(pgrep -P $HUB); do n=$((n + $(ticks $c 2>/dev/null || echo 0))); done; echo $n; }
run() { node dist/benchmarks/run.js queue --port 61700 --size 65536 --messages 5000 2>&1 | tail -1; }
run >/dev/null
TICK_MS=$((1000 / $(getconf CLK_TCK)))
for i in $(seq "$RUNS"); do
  : > $LOG
  a=$(ticks $HUB); sa=$(children)
  rate=$(run | grep -o '"msgsPerSec":[0-9]*' | cut -d: -f2)
  b=$(ticks $HUB); sb=$(children)
  mc=$(grep -a "^\[$HUB:" $LOG | grep -ac Mark-Compact || true)
  sc=$(grep -a "^\[$HUB:" $LOG | grep -ac Scavenge || true)
  echo "$(basename "$D") msgs/s $rate hub-cpu-ms $(( (b - a) * TICK_MS )) sessions-cpu-ms $(( (sb - sa) * TICK_MS )) hub-mark-compacts $mc hub-scavenges $sc"
done
echo "$(basename "$D") hub $(grep VmHWM /proc/$HUB/status | tr -s ' \t' ' ')"
node bin/stomp-broker stop --data-dir $DATA >/dev/null 2>&1

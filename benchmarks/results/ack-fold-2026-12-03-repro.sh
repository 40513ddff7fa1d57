#!/bin/bash
# usage: repro.sh DIR RUNS PORT
D=$1; N=$2; P=${3:-61720}
cd $D
for i in $(seq 1 $N); do
  rm -rf /tmp/rd$P; mkdir -p /tmp/rd$P
  node bin/stomp-broker start --port $P --http-port $((P+1)) --data-dir /tmp/rd$P > /tmp/rd$P.log 2>&1 &
  BP=$!
  for k in $(seq 1 50); do grep -q "listening\|ready\|started" /tmp/rd$P.log 2>/dev/null && break; sleep 0.2; done
  sleep 1
  a=$(node dist/benchmarks/run.js persistent --port $P --messages 2000 --size 1024 --vhost / --duration 120 2>&1 | grep -o "\"duplicates\":[0-9]*")
  b=$(node dist/benchmarks/run.js persistent --port $P --messages 20000 --size 1024 --vhost / --duration 120 2>&1 | grep -o "\"duplicates\":[0-9]*")
  node bin/stomp-broker stop --data-dir /tmp/rd$P >/dev/null 2>&1; wait $BP
  t=$(grep -c TRACE /tmp/rd$P.log)
  echo "run $i: [$a] [$b] traces=$t"
  if [ "$t" != "0" ]; then cp /tmp/rd$P.log /tmp/trace-$P-$i.log; fi
done

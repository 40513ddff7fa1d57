#!/bin/sh
# The standard set of load scenarios against one broker, REPEAT times (default 3).
#   sh benchmarks/suite.sh LABEL [run.js options: --port P --login L --passcode X ...]
# Prints run.js's lines; keep them and feed them to table.js:
#   sh benchmarks/suite.sh ours --port 61700 | tee ours.txt
#   node dist/benchmarks/table.js ours.txt rabbitmq.txt activemq.txt
set -u
label=$1
shift
dir=$(dirname "$0")/../dist/benchmarks
i=0
while [ "$i" -lt "${REPEAT:-3}" ]; do
  i=$((i + 1))
  node "$dir/run.js" all --label "$label" "$@"
  node "$dir/run.js" queue --label "$label" --producers 4 --consumers 4 "$@"
  node "$dir/run.js" queue --label "$label" --size 4096 --messages 20000 "$@"
  node "$dir/run.js" topic --label "$label" --size 4096 --messages 5000 "$@"
done

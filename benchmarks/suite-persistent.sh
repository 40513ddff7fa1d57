#!/bin/sh
# The persistent job-queue scenario against one broker, REPEAT times (default 3): 1 producer/1 consumer
# and 4/4, 20 000 messages of 1 KiB (run.js persistent's defaults), ACKs without receipts.
#   sh benchmarks/suite-persistent.sh LABEL [run.js options: --port P --login L --passcode X ...]
# With compare.sh: SUITE=benchmarks/suite-persistent.sh WARMUP='persistent --messages 2000' bash benchmarks/compare.sh OUT
set -u
label=$1
shift
dir=$(dirname "$0")/../dist/benchmarks
i=0
while [ "$i" -lt "${REPEAT:-3}" ]; do
  i=$((i + 1))
  node "$dir/run.js" persistent --label "$label" "$@"
  node "$dir/run.js" persistent --label "$label" --producers 4 --consumers 4 "$@"
done

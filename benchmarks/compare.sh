#!/bin/bash
# Side-by-side runs: for each round, each broker in turn is started alone, warmed up, put through
# suite.sh once and stopped, so that noise from the rest of the machine falls on all of them alike
# and no two brokers compete for the CPU.
#
#   ROUNDS=3 bash benchmarks/compare.sh OUTDIR [ours] [rabbitmq] [activemq]
#   node dist/benchmarks/table.js OUTDIR/*.txt
#
# ours:     node $OURS_DIR/bin/stomp-broker on $OURS_PORT (default: this repository, port 61700)
# rabbitmq: `service rabbitmq-server start|stop`, STOMP plugin on $RABBIT_PORT (61613), guest/guest,
#           vhost /
# activemq: `service activemq start|stop`, STOMP connector on $AMQ_PORT (61614, see README.md)
# SUITE: the script run per broker and round (default benchmarks/suite.sh; the persistent job queue:
#        benchmarks/suite-persistent.sh); WARMUP: run.js arguments of the discarded warm-up run
#        (default `all --messages 2000`; for the persistent suite `persistent --messages 2000`).
# Every broker this script starts, it stops (also on Ctrl-C).
set -u
out=${1:?usage: compare.sh OUTDIR [ours] [rabbitmq] [activemq]}
shift
brokers=${*:-ours rabbitmq activemq}
root=$(cd "$(dirname "$0")/.." && pwd)
ours_dir=${OURS_DIR:-$root}
ours_port=${OURS_PORT:-61700}
amq_port=${AMQ_PORT:-61614}
rabbit_port=${RABBIT_PORT:-61613}
suite=${SUITE:-$root/benchmarks/suite.sh}
warmup=${WARMUP:-all --messages 2000}
mkdir -p "$out"

wait_port() { # port seconds
  for _ in $(seq $((${2} * 5))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "port $1 did not open within $2 s" >&2
  return 1
}

ours_pid=''
ours_data=''
start_ours() {
  ours_data=$(mktemp -d)
  node "$ours_dir/bin/stomp-broker" start --port "$ours_port" --data-dir "$ours_data" >>"$out/ours-broker.log" 2>&1 &
  ours_pid=$!
  wait_port "$ours_port" 30
}
stop_ours() {
  [ -n "$ours_pid" ] && kill "$ours_pid" 2>/dev/null && wait "$ours_pid" 2>/dev/null
  ours_pid=''
  [ -n "$ours_data" ] && rm -rf "$ours_data"
}
start_rabbitmq() { service rabbitmq-server start >/dev/null && wait_port "$rabbit_port" 60; }
stop_rabbitmq() { service rabbitmq-server stop >/dev/null; }
start_activemq() { service activemq start >/dev/null && wait_port "$amq_port" 90; }
stop_activemq() { service activemq stop >/dev/null; }

args_for() {
  case $1 in
    ours) echo "--port $ours_port" ;;
    rabbitmq) echo "--port $rabbit_port --login guest --passcode guest --vhost /" ;;
    activemq) echo "--port $amq_port" ;;
  esac
}

cleanup() {
  stop_ours
  for b in $brokers; do
    case $b in rabbitmq) stop_rabbitmq ;; activemq) stop_activemq ;; esac
  done
}
trap 'cleanup; exit 130' INT TERM

for round in $(seq "${ROUNDS:-3}"); do
  for b in $brokers; do
    echo "== round $round: $b" >&2
    if ! "start_$b"; then
      echo "== $b did not start: skipped this round" >&2
      "stop_$b"
      continue
    fi
    sleep 2
    # shellcheck disable=SC2046,SC2086
    timeout 300 node "$root/dist/benchmarks/run.js" $warmup --label warmup $(args_for "$b") >/dev/null
    # shellcheck disable=SC2046
    REPEAT=1 timeout 900 sh "$suite" "$b" $(args_for "$b") | tee -a "$out/$b.txt" | grep -v '^{' >&2
    "stop_$b"
    sleep 2
  done
done
node "$root/dist/benchmarks/table.js" "$out"/*.txt

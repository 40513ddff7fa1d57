#!/bin/bash
# Installs, starts and stops the brokers the benchmarks compare, each ALONE on loopback ports.
# Never run by CI (it needs root and apt).
#
#   bash benchmarks/brokers.sh install                 # apt: rabbitmq-server + STOMP plugin, activemq; configure
#   bash benchmarks/brokers.sh start  ours|rabbitmq|activemq|activemq-nio
#   bash benchmarks/brokers.sh stop   ours|rabbitmq|activemq|activemq-nio|all
#   bash benchmarks/brokers.sh status                  # which of them listen
#   bash benchmarks/brokers.sh versions                # one JSON object: the version of each
#
# Ports (all 127.0.0.1): ours $OURS_PORT (61700), RabbitMQ STOMP $RABBIT_PORT (61623, AMQP 5672),
# ActiveMQ STOMP $AMQ_PORT (61614) and its NIO STOMP connector $AMQ_NIO_PORT (61615), OpenWire 61616.
# `start X` first stops every other broker this script manages, so X runs alone. `activemq` and
# `activemq-nio` are the same broker process (two connectors); the name only says which port is used.
# `ours` runs `node bin/stomp-broker start` from this checkout ($OURS_DIR overrides) with a fresh data
# directory, extra flags from $OURS_ARGS; its pid file is $OURS_PIDFILE.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
ours_dir=${OURS_DIR:-$root}
ours_port=${OURS_PORT:-61700}
rabbit_port=${RABBIT_PORT:-61623}
amq_port=${AMQ_PORT:-61614}
amq_nio_port=${AMQ_NIO_PORT:-61615}
ours_pidfile=${OURS_PIDFILE:-/tmp/stomp-bench-ours.pid}
amq_conf=/etc/activemq/instances-available/main/activemq.xml

die() { echo "brokers.sh: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds
  for _ in $(seq $(($2 * 5))); do
    port_open "$1" && return 0
    sleep 0.2
  done
  die "port $1 did not open within $2 s"
}

wait_closed() { # port seconds
  for _ in $(seq $(($2 * 5))); do
    port_open "$1" || return 0
    sleep 0.2
  done
  die "port $1 still open after $2 s"
}

install_rabbitmq() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >/dev/null || die 'apt-get install rabbitmq-server failed'
  # Loopback only, STOMP moved off 61613 (ours and ActiveMQ's default). guest/guest may log in from
  # loopback, which is RabbitMQ's default (loopback_users = guest).
  cat >/etc/rabbitmq/rabbitmq.conf <<EOF
listeners.tcp.1 = 127.0.0.1:5672
stomp.listeners.tcp.1 = 127.0.0.1:$rabbit_port
distribution.listener.interface = 127.0.0.1
EOF
  grep -q '^ERL_EPMD_ADDRESS=' /etc/rabbitmq/rabbitmq-env.conf \
    || echo 'ERL_EPMD_ADDRESS=127.0.0.1' >>/etc/rabbitmq/rabbitmq-env.conf
  rabbitmq-plugins enable --offline rabbitmq_stomp >/dev/null || die 'rabbitmq-plugins enable failed'
}

install_activemq() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q activemq >/dev/null || die 'apt-get install activemq failed'
  # Debian's instance has only OpenWire and is not enabled: add the two STOMP connectors, enable it.
  if ! grep -q 'name="stomp"' "$amq_conf"; then
    sed -i "s#<transportConnector name=\"openwire\" uri=\"tcp://127.0.0.1:61616\"/>#&\n\
            <transportConnector name=\"stomp\" uri=\"stomp://127.0.0.1:$amq_port\"/>\n\
            <transportConnector name=\"stomp-nio\" uri=\"stomp+nio://127.0.0.1:$amq_nio_port\"/>#" "$amq_conf"
  fi
  grep -q 'name="stomp-nio"' "$amq_conf" || die "could not add the STOMP connectors to $amq_conf"
  [ -e /etc/activemq/instances-enabled/main ] \
    || ln -s /etc/activemq/instances-available/main /etc/activemq/instances-enabled/main
}

start_ours() {
  [ -f "$ours_dir/dist/src/cli.js" ] || die "build ours first (npm run build in $ours_dir)"
  port_open "$ours_port" && die "port $ours_port is already in use"
  local data
  data=$(mktemp -d /tmp/stomp-bench-data.XXXXXX)
  # shellcheck disable=SC2086
  nohup node "$ours_dir/bin/stomp-broker" start --port "$ours_port" --data-dir "$data" ${OURS_ARGS:-} \
    >"$data.log" 2>&1 </dev/null &
  echo "$! $data" >"$ours_pidfile"
  wait_port "$ours_port" 30
}

stop_ours() {
  [ -f "$ours_pidfile" ] || return 0
  local pid data
  read -r pid data <"$ours_pidfile"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -rf "$data" "$data.log" "$ours_pidfile"
}

start_rabbitmq() {
  service rabbitmq-server start >/dev/null 2>&1 || die 'service rabbitmq-server start failed (see /var/log/rabbitmq/)'
  wait_port "$rabbit_port" 60
}

stop_rabbitmq() {
  if service rabbitmq-server status >/dev/null 2>&1 || port_open "$rabbit_port"; then
    service rabbitmq-server stop >/dev/null 2>&1
    wait_closed "$rabbit_port" 30
  fi
  # The Erlang port mapper the start left behind (it refuses while a node is still registered).
  command -v epmd >/dev/null && epmd -kill >/dev/null 2>&1
  return 0
}

start_activemq() {
  service activemq start >/dev/null 2>&1 || die 'service activemq start failed (see /var/log/activemq/)'
  wait_port "$amq_port" 90
  wait_port "$amq_nio_port" 30
}

stop_activemq() {
  port_open "$amq_port" || port_open "$amq_nio_port" || return 0
  service activemq stop >/dev/null 2>&1
  wait_closed "$amq_port" 30
}

stop_all() { stop_ours; stop_rabbitmq; stop_activemq; }

versions() {
  local rabbit amq ours
  rabbit=$(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null)
  amq=$(dpkg-query -W -f '${Version}' activemq 2>/dev/null)
  ours=$(node -p "require('$ours_dir/package.json').version")
  ours="$ours $(git -C "$ours_dir" rev-parse --short HEAD 2>/dev/null)"
  printf '{"ours":"%s","rabbitmq":"%s","activemq":"%s","java":"%s","erlang":"%s"}\n' "$ours" "$rabbit" "$amq" \
    "$(dpkg-query -W -f '${Version}' openjdk-17-jre-headless 2>/dev/null)" \
    "$(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null)"
}

status() {
  for pair in "ours:$ours_port" "rabbitmq:$rabbit_port" "activemq:$amq_port" "activemq-nio:$amq_nio_port"; do
    if port_open "${pair#*:}"; then echo "${pair%%:*} listening on 127.0.0.1:${pair#*:}"
    else echo "${pair%%:*} not running (127.0.0.1:${pair#*:})"; fi
  done
}

cmd=${1:-}
name=${2:-}
case $cmd in
  install) apt-get update -q >/dev/null; install_rabbitmq; install_activemq; echo 'installed; nothing started' ;;
  start)
    case $name in
      ours) stop_rabbitmq; stop_activemq; stop_ours; start_ours ;;
      rabbitmq) stop_ours; stop_activemq; start_rabbitmq ;;
      activemq | activemq-nio) stop_ours; stop_rabbitmq; start_activemq ;;
      *) die "start what? ours|rabbitmq|activemq|activemq-nio" ;;
    esac ;;
  stop)
    case $name in
      ours) stop_ours ;;
      rabbitmq) stop_rabbitmq ;;
      activemq | activemq-nio) stop_activemq ;;
      all) stop_all ;;
      *) die "stop what? ours|rabbitmq|activemq|activemq-nio|all" ;;
    esac ;;
  status) status ;;
  versions) versions ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

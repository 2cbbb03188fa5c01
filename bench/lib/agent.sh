# Sourced by the snapshot benchmarks: the local stack's settings, an agent process of the bench's
# own (host bench-node, so no other agent takes its casts), and cleanups that run on any exit.
#
#   bench_agent_start [NAME=VALUE...]   build the jar if a source is newer, start the agent with the
#                                       stack's env, the bench's settings and these overrides, wait
#                                       until /q/health/ready; stopped on exit
#   bench_agent_stop                    stop it (TERM, then KILL after 30 s) and drop its queues
#   bench_at_exit COMMAND...            run COMMAND on exit (last registered runs first)
#   bench_snap ARGS...                  bench/lib/snap.py with the stack's credentials
#   bench_now / bench_since T0          wall clock in seconds (ns precision) / seconds since T0
#   bench_facts                         one line: date, cores, load average, versions
#
# Settings (environment): BENCH_HOST (bench-node), BENCH_PORT (8790), SNAPSHOT_STACK_STATE.
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export SNAPSHOT_STACK_STATE=${SNAPSHOT_STACK_STATE:-$BENCH_ROOT/deploy/local/.state}
BENCH_STATE=$SNAPSHOT_STACK_STATE
BENCH_HOST=${BENCH_HOST:-bench-node}
BENCH_PORT=${BENCH_PORT:-8790}
BENCH_DIR="$BENCH_STATE/bench"
BENCH_JAR="$BENCH_ROOT/target/quarkus-app/quarkus-run.jar"
BENCH_AGENT_URL="http://127.0.0.1:$BENCH_PORT"
BENCH_AGENT_LOG="$BENCH_DIR/agent-$BENCH_PORT.log"
BENCH_AGENT_PID=""
STACK="$BENCH_ROOT/deploy/local/stack.sh"
PY=/usr/bin/python3

bench_die() { echo "${0##*/}: $*" >&2; exit 1; }

BENCH_CLEANUPS=()
bench_at_exit() { BENCH_CLEANUPS+=("$*"); }
bench_run_cleanups() {
  local rc=$? i
  set +e
  for (( i=${#BENCH_CLEANUPS[@]}-1; i>=0; i-- )); do eval "${BENCH_CLEANUPS[i]}"; done
  BENCH_CLEANUPS=()
  return $rc
}
trap bench_run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_now() { local t; t=$(date +%s%N); echo "${t:0:-9}.${t: -9}"; }
bench_since() { awk -v a="$1" -v b="$(bench_now)" 'BEGIN { printf "%.3f", b - a }'; }

bench_facts() {
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo) GiB," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg), ceph $(ceph --version | awk '{print $3}'), $(qemu-img --version | head -n1 | awk '{print $1, $3}')"
}

mkdir -p "$BENCH_DIR"
# One bench at a time: they share the host name, the port and the scratch directory.
exec 9>"$BENCH_DIR/lock"
flock -n 9 || bench_die "another benchmark runs (lock $BENCH_DIR/lock)"

"$STACK" status >"$BENCH_DIR/stack-status.txt" 2>&1 \
  || { cat "$BENCH_DIR/stack-status.txt" >&2; bench_die "the local stack is not healthy: run deploy/local/stack.sh up"; }
eval "$("$STACK" env)"
CEPH_CONF=$SNAPSHOT_RBD_CEPH_CONF
OS_PASSWORD=$(cat "$BENCH_STATE/secrets/admin-password")
export OS_AUTH_URL=$SNAPSHOT_KEYSTONE_AUTH_URL OS_PASSWORD GLANCE_URL=http://127.0.0.1:9292
rbd_admin() { timeout 600 rbd -c "$CEPH_CONF" --id admin "$@"; }
bench_snap() { "$PY" "$BENCH_ROOT/bench/lib/snap.py" "$@"; }
# one admin token for the whole run (an hour's validity), outside every measurement
BENCH_TOKEN=$(bench_snap token) || bench_die "no Keystone token for the admin"
export BENCH_TOKEN
CEPH_FSID=$(awk '$1 == "fsid" { print $3 }' "$CEPH_CONF")

bench_build() {
  local newest
  newest=$(cd "$BENCH_ROOT" && find pom.xml src/main -type f -newer "$BENCH_JAR" 2>/dev/null | head -n1 || true)
  if [ ! -f "$BENCH_JAR" ] || [ -n "$newest" ]; then
    echo "building the agent (${newest:-no jar yet})" >&2
    ( cd "$BENCH_ROOT" && . deploy/local/lib/java.sh && ./mvnw -B -ntp -q package -DskipTests ) >&2
  fi
}

bench_agent_alive() {
  [ -n "$BENCH_AGENT_PID" ] && kill -0 "$BENCH_AGENT_PID" 2>/dev/null \
    && grep -q quarkus-run.jar "/proc/$BENCH_AGENT_PID/cmdline" 2>/dev/null
}

bench_agent_start() {
  [ -z "$BENCH_AGENT_PID" ] || bench_die "the bench agent runs already (pid $BENCH_AGENT_PID)"
  bench_build
  if curl -fsS -o /dev/null --max-time 2 "$BENCH_AGENT_URL/q/health/live" 2>/dev/null; then
    bench_die "something answers on port $BENCH_PORT already"
  fi
  local scratch="$BENCH_DIR/snapshots"
  mkdir -p "$scratch"
  echo "=== $(date -u '+%F %T') agent start: $*" >>"$BENCH_AGENT_LOG"
  # the stack's settings, then the bench's, then the caller's overrides
  ( export SNAPSHOT_HOST="$BENCH_HOST" QUARKUS_HTTP_PORT="$BENCH_PORT" SNAPSHOT_LIBVIRT_SNAPSHOTS_DIRECTORY="$scratch"
    for kv in "$@"; do export "${kv?}"; done
    . "$BENCH_ROOT/deploy/local/lib/java.sh"
    exec setsid "$JAVA_HOME/bin/java" -jar "$BENCH_JAR" 9>&- ) >>"$BENCH_AGENT_LOG" 2>&1 </dev/null &
  BENCH_AGENT_PID=$!
  bench_at_exit bench_agent_stop
  local t0; t0=$(bench_now)
  for _ in $(seq 1 240); do
    if ! kill -0 "$BENCH_AGENT_PID" 2>/dev/null; then
      tail -n 30 "$BENCH_AGENT_LOG" >&2
      bench_die "the agent exited during start-up; log: $BENCH_AGENT_LOG"
    fi
    if curl -fsS -o /dev/null --max-time 10 "$BENCH_AGENT_URL/q/health/ready" 2>/dev/null; then
      echo "agent ready in $(bench_since "$t0") s (pid $BENCH_AGENT_PID, host $BENCH_HOST, port $BENCH_PORT${*:+, $*})"
      return 0
    fi
    sleep 0.5
  done
  curl -sS --max-time 10 "$BENCH_AGENT_URL/q/health/ready" >&2 || true
  bench_die "the agent is not ready after 120 s; log: $BENCH_AGENT_LOG"
}

bench_agent_stop() {
  [ -n "$BENCH_AGENT_PID" ] || return 0
  if bench_agent_alive; then
    kill -TERM "$BENCH_AGENT_PID"
    for _ in $(seq 1 150); do bench_agent_alive || break; sleep 0.2; done
    if bench_agent_alive; then
      echo "the agent did not stop in 30 s: killed" >&2
      kill -KILL "$BENCH_AGENT_PID" 2>/dev/null || true
    fi
  fi
  wait "$BENCH_AGENT_PID" 2>/dev/null || true
  BENCH_AGENT_PID=""
  # its durable queue would keep casts for a host no agent serves until the next bench
  bench_snap drop-queues "$BENCH_HOST" || true
}

# bench_size_mib GIB : the guest size in MiB (fractions allowed: 0.25 -> 256)
bench_size_mib() {
  awk -v g="$1" 'BEGIN { if (g !~ /^[0-9]*\.?[0-9]+$/ || g * 1024 < 2) exit 1; printf "%d", g * 1024 }' \
    || bench_die "size $1: give GiB, e.g. 1 or 0.25"
}

# bench_guest NAME MIB [DISK] : creates a guest with an rbd (default), qcow2 or raw disk
# (destroyed on exit); sets GUEST_ENV and sources it
bench_guest() {
  local name=$1 mib=$2 disk=${3:-rbd} t0; t0=$(bench_now)
  bench_at_exit "bench_guest_destroy '$name'"
  "$STACK" guest create "$name" --disk "$disk" --size "$mib" >"$BENCH_DIR/guest-$name.log" 2>&1 \
    || { tail -n 20 "$BENCH_DIR/guest-$name.log" >&2; bench_die "creating guest $name failed"; }
  GUEST_ENV=$(grep -l "^NAME=$name\$" "$BENCH_STATE"/guests/*.env | head -n1)
  # shellcheck disable=SC1090
  . "$GUEST_ENV"
  echo "guest $name ($UUID, $mib MiB, $disk) created in $(bench_since "$t0") s (not measured)"
}

# bench_guest_destroy NAME : the guest, its disk and its base image, also when libvirtd is
# restarting (other tests restart it): stack.sh's destroy would then forget a guest whose QEMU
# still runs and whose disk it could not remove
bench_guest_destroy() {
  local name=$1 rec uuid base left
  rec=$(grep -l "^NAME=$name\$" "$BENCH_STATE"/guests/*.env 2>/dev/null | head -n1 || true)
  [ -n "$rec" ] || return 0
  uuid=$(sed -n 's/^UUID=//p' "$rec") base=$(sed -n 's/^IMAGE_REF=//p' "$rec")
  for _ in $(seq 1 60); do virsh -q -c qemu:///system version >/dev/null 2>&1 && break; sleep 1; done
  "$STACK" guest destroy "$name" >/dev/null 2>&1 || true
  for _ in 1 2 3; do
    left=""
    if virsh -q -c qemu:///system dominfo "$uuid" >/dev/null 2>&1; then
      left+=" domain"
      virsh -q -c qemu:///system destroy "$uuid" >/dev/null 2>&1 || true
      virsh -q -c qemu:///system undefine "$uuid" --managed-save >/dev/null 2>&1 || true
    fi
    if rbd_admin info "vms/${uuid}_disk" >/dev/null 2>&1; then
      left+=" vms/${uuid}_disk"
      rbd_admin rm --no-progress "vms/${uuid}_disk" >/dev/null 2>&1 || true
    fi
    if rbd_admin info "images/$base" >/dev/null 2>&1; then left+=" images/$base"; bench_drop_image "$base"; fi
    [ -n "$left" ] || break
    sleep 5
  done
  rm -rf "$BENCH_STATE/instances/$uuid" "$BENCH_STATE/instances/_base/$base" "$rec"
  [ -z "$left" ] || echo "${0##*/}: WARNING: guest $name ($uuid): could not remove$left" >&2
}

# bench_image NAME : sets IMAGE to a new queued image for the guest, as nova-api creates it (not
# measured); dropped on exit unless bench_drop_image dropped it before
BENCH_IMAGES=()
bench_image() {
  IMAGE=$(bench_snap image "$GUEST_ENV" "$1") || bench_die "creating a queued image failed"
  BENCH_IMAGES+=("$IMAGE")
}
bench_drop_left_images() { local i; for i in "${BENCH_IMAGES[@]}"; do bench_drop_image "$i"; done; }
bench_at_exit bench_drop_left_images

# bench_drop_image ID : deletes the Glance image and whatever RBD image it may have left behind
bench_drop_image() {
  bench_snap delete "$1" || true
  if rbd_admin info "images/$1" >/dev/null 2>&1; then
    rbd_admin snap unprotect "images/$1@snap" >/dev/null 2>&1 || true
    rbd_admin snap purge "images/$1" >/dev/null 2>&1 || true
    rbd_admin rm "images/$1" >/dev/null 2>&1 || true
  fi
  local keep=() i
  for i in "${BENCH_IMAGES[@]}"; do [ "$i" = "$1" ] || keep+=("$i"); done
  BENCH_IMAGES=("${keep[@]}")
}

# bench_summary SIZE "AGENT..." "BASELINE..." : the result line of one size; the ratio of the
# medians is the one to read when other work on the machine disturbs single runs
bench_summary() {
  local a b am bm
  a=$(bench_mean "$2") b=$(bench_mean "$3") am=$(bench_median "$2") bm=$(bench_median "$3")
  printf '%-9s agent %6s s  baseline %6s s  ratio agent/baseline %s  (medians %s / %s = %s; best %s / %s; load %s)\n' \
    "$1 GiB" "$a" "$b" "$(bench_ratio "$a" "$b")" "$am" "$bm" "$(bench_ratio "$am" "$bm")" \
    "$(bench_min "$2")" "$(bench_min "$3")" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_mean / bench_median / bench_min "A1 A2 ..." : of a list of seconds; bench_ratio A B : A / B
bench_mean() { tr ' ' '\n' <<<"$1" | awk 'NF { s += $1; n++ } END { printf "%.2f", s / n }'; }
bench_median() {
  tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
bench_min() { tr ' ' '\n' <<<"$1" | awk 'NF { if (m == "" || $1 < m) m = $1 } END { printf "%.2f", m }'; }
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

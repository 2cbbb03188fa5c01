#!/usr/bin/env bash
# The main job: install and start the real local stack, build the agent, start
# it against the stack, show its health, then send it a snapshot_instance cast
# for an RBD guest as nova-api would and show the task. The agent keeps running in the
# background (its PID and log are under the stack's state dir) until
# "deploy/local/demo.sh stop" or "deploy/local/stack.sh down".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
STATE=${SNAPSHOT_STACK_STATE:-$PWD/deploy/local/.state}
PIDFILE="$STATE/run/agent.pid"
LOG="$STATE/agent.log"
PORT=${SNAPSHOT_DEMO_PORT:-8780}

agent_alive() {
  [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null \
    && grep -q quarkus-run.jar "/proc/$(cat "$PIDFILE")/cmdline" 2>/dev/null
}

stop_agent() {
  if agent_alive; then
    kill -TERM "$(cat "$PIDFILE")"
    for _ in $(seq 1 50); do agent_alive || break; sleep 0.2; done
    echo "demo.sh: agent stopped"
  fi
  rm -f "$PIDFILE"
}

if [ "${1:-}" = stop ]; then stop_agent; exit 0; fi

t0=$(date +%s)
deploy/local/stack.sh install
deploy/local/stack.sh up
. deploy/local/lib/java.sh

jar=target/quarkus-app/quarkus-run.jar
newest_source=$(find pom.xml src/main -type f -newer "$jar" 2>/dev/null | head -n1 || true)
if [ ! -f "$jar" ] || [ -n "$newest_source" ]; then
  ./mvnw -B -ntp -q package -DskipTests
fi

# A running agent from an earlier demo is replaced so it runs this build.
stop_agent
eval "$(deploy/local/stack.sh env)"
mkdir -p "$STATE/run" "$SNAPSHOT_LIBVIRT_SNAPSHOTS_DIRECTORY"
QUARKUS_HTTP_PORT=$PORT setsid java -jar "$jar" >>"$LOG" 2>&1 </dev/null &
echo $! > "$PIDFILE"

ready=""
for _ in $(seq 1 120); do
  agent_alive || { tail -n 30 "$LOG" >&2; echo "demo.sh: the agent exited; log: $LOG" >&2; exit 1; }
  if ready=$(curl -fsS "http://127.0.0.1:$PORT/q/health/ready" 2>/dev/null); then break; fi
  sleep 0.5
done
deploy/local/stack.sh status
echo
echo "Agent readiness (http://127.0.0.1:$PORT/q/health/ready):"
[ -n "$ready" ] || ready=$(curl -sS "http://127.0.0.1:$PORT/q/health/ready" || true)
printf '%s\n' "$ready" | /usr/bin/python3 deploy/local/lib/show_health.py

# A snapshot request as nova-api makes it, for a real RBD guest of the stack:
# the queued Glance image, then the cast; the agent's notifications are shown
# as they arrive.
echo
guest_env=$(grep -l '^NAME=demo$' "$STATE"/guests/*.env 2>/dev/null | head -n1 || true)
if [ -z "$guest_env" ]; then
  deploy/local/stack.sh guest create demo --disk rbd >>"$STATE/demo-guest.log" 2>&1 \
    || { tail -n 20 "$STATE/demo-guest.log" >&2; exit 1; }
  guest_env=$(grep -l '^NAME=demo$' "$STATE"/guests/*.env | head -n1)
fi
. "$guest_env"
echo "Snapshot of guest demo ($UUID, RBD disk vms/${UUID}_disk, $(virsh -c qemu:///system domstate "$UUID" | head -n1)):"
export OS_AUTH_URL=$SNAPSHOT_KEYSTONE_AUTH_URL OS_PASSWORD=$(cat "$STATE/secrets/admin-password") GLANCE_URL=http://127.0.0.1:9292
set +e
image=$(/usr/bin/python3 deploy/local/lib/cast.py src/test/resources/rpc/snapshot_instance.cast.json "$guest_env" \
        "$SNAPSHOT_HOST" snapshot --follow 300)
followed=$?
set -e
image=$(printf '%s\n' "$image" | head -n1)
task=$(curl -fsS "http://127.0.0.1:$PORT/v1/tasks?image=$image" | /usr/bin/python3 -c '
import json, sys
tasks = json.load(sys.stdin)["tasks"]
print(tasks[0]["id"] if tasks else "")')
[ -n "$task" ] || { echo "demo.sh: no task for image $image; log: $LOG" >&2; exit 1; }
echo
curl -fsS "http://127.0.0.1:$PORT/v1/tasks/$task" | /usr/bin/python3 deploy/local/lib/show_task.py
echo
/usr/bin/python3 deploy/local/lib/show_image.py "$image" "$SHA256" "$SNAPSHOT_RBD_CEPH_CONF"
checked=$?
[ "$followed" = 0 ] && [ "$checked" = 0 ] || { echo "demo.sh: the snapshot did not succeed; log: $LOG" >&2; exit 1; }

echo
echo "demo.sh: done in $(( $(date +%s) - t0 )) s. The agent runs as pid $(cat "$PIDFILE"), log $LOG."
echo "Stop it with 'deploy/local/demo.sh stop'; stop everything with 'deploy/local/stack.sh down'."

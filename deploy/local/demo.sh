#!/usr/bin/env bash
# The main job: install and start the real local stack, build the agent, start
# it against the stack and show its health. The agent keeps running in the
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
echo
echo "demo.sh: done in $(( $(date +%s) - t0 )) s. The agent runs as pid $(cat "$PIDFILE"), log $LOG."
echo "Stop it with 'deploy/local/demo.sh stop'; stop everything with 'deploy/local/stack.sh down'."

# Shared helpers for stack.sh: logging, PID bookkeeping, waiting.
# Every daemon this stack starts is tracked as $RUN_DIR/<name>.pid plus the
# executable it must be; "alive" means both match, so a stale PID file or a
# recycled PID never passes for a running service.

PY=/usr/bin/python3   # Debian's python has the OpenStack libraries; pyenv's does not

log()  { printf '%s [stack] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf 'stack.sh: %s\n' "$*" >&2; exit 1; }

# pid_alive NAME EXE -> 0 when the recorded PID runs EXE
pid_alive() {
  local f="$RUN_DIR/$1.pid" pid exe
  [ -s "$f" ] || return 1
  pid=$(head -n1 "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  [ "$exe" = "$2" ] || [ "$(basename "$exe")" = "$(basename "$2")" ] || return 1
  # zombies count as dead
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != "Z" ]
}

record_pid() { echo "$2" > "$RUN_DIR/$1.pid"; }

# spawn NAME LOGFILE CMD... : start CMD detached from this shell, record its PID
spawn() {
  local name=$1 logf=$2; shift 2
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  record_pid "$name" $!
}

# stop_pid NAME EXE : TERM, wait, KILL; only the recorded process
stop_pid() {
  local name=$1 exe=$2 pid i
  if pid_alive "$name" "$exe"; then
    pid=$(head -n1 "$RUN_DIR/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do pid_alive "$name" "$exe" || break; sleep 0.1; done
    if pid_alive "$name" "$exe"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$RUN_DIR/$name.pid"
}

# wait_for SECONDS DESCRIPTION CMD... : poll CMD every 0.2 s
wait_for() {
  local secs=$1 what=$2; shift 2
  local deadline=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
  until "$@" >/dev/null 2>&1; do
    if [ $(( $(date +%s%N) / 1000000 )) -ge $deadline ]; then
      return 1
    fi
    sleep 0.2
  done
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

http_ok() { curl -fsS -o /dev/null --max-time "${3:-3}" "$1"; }

# A value kept in the state dir, generated once (passwords, UUIDs).
state_value() {
  local f="$STATE/secrets/$1"
  if [ ! -s "$f" ]; then
    mkdir -p "$STATE/secrets"; chmod 700 "$STATE/secrets"
    case "${2:-}" in
      uuid) cat /proc/sys/kernel/random/uuid > "$f" ;;
      *)    head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$f" ;;
    esac
  fi
  cat "$f"
}

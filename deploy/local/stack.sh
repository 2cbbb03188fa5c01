#!/usr/bin/env bash
# The local real stack for Snapshot Agent: RabbitMQ, PostgreSQL, single-node
# Ceph, libvirtd + QEMU/TCG, Keystone and Glance, all on 127.0.0.1, all state
# under one directory. See docs/local-stack.md.
#
#   stack.sh install        apt-install what is missing (no-op when installed)
#   stack.sh up             start what is not running; leave what runs alone
#   stack.sh down           stop what up started (by recorded PID) and clean up
#   stack.sh status         component, endpoint, healthy or not and why
#   stack.sh env [--properties]   export lines (or key=value) for the agent
#   stack.sh stop COMPONENT  stop one of ceph-mon ceph-mgr ceph-osd libvirtd keystone glance-api postgresql
#   stack.sh guest create NAME --disk rbd|qcow2|raw|lvm|ploop [--size MIB] | list | start UUID|NAME | destroy UUID|NAME|--all
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${SNAPSHOT_STACK_STATE:-$HERE/.state}
RUN_DIR="$STATE/run"

. "$HERE/lib/common.sh"
. "$HERE/lib/ceph.sh"
. "$HERE/lib/libvirt.sh"
. "$HERE/lib/openstack.sh"
. "$HERE/lib/guest.sh"

PACKAGES="ceph-mon ceph-osd ceph-mgr ceph-common librados2 librbd1 python3-rados python3-rbd
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils qemu-block-extra
  keystone uwsgi uwsgi-plugin-python3 glance-api glance-common python3-glance-store
  python3-keystonemiddleware python3-keystoneclient python3-openstackclient python3-glanceclient
  python3-oslo.messaging rabbitmq-server postgresql openjdk-17-jdk-headless curl ca-certificates openssl"

cmd_install() {
  [ "$(id -u)" = 0 ] || die "install needs root"
  local missing
  missing=$(for p in $PACKAGES; do dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"; done | tr '\n' ' ')
  if [ -z "${missing// }" ]; then
    log "install: everything is installed"
    return 0
  fi
  log "install: apt-get install $missing"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's postinst scripts try to start services; without systemd that is
  # refused, and up starts them its own way anyway.
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >"${TMPDIR:-/tmp}/snapshot-stack-apt.log" 2>&1 \
    || { tail -n 30 "${TMPDIR:-/tmp}/snapshot-stack-apt.log" >&2; die "apt-get install failed"; }
  log "install: done"
}

cmd_up() {
  [ "$(id -u)" = 0 ] || die "up needs root (libvirtd, /etc/libvirt/qemu.conf)"
  command -v ceph-mon >/dev/null && command -v glance-api >/dev/null && command -v libvirtd >/dev/null \
    || die "the stack is not installed: run 'deploy/local/stack.sh install' first"
  mkdir -p "$STATE" "$RUN_DIR"
  local t0; t0=$(date +%s%N)
  # independent pieces first, in parallel where it pays: Keystone's
  # bootstrap is the slowest step and needs nothing else.
  rabbitmq_up
  pg_up
  local ks_log="$STATE/keystone-up.log"
  ( keystone_up ) >"$ks_log" 2>&1 &
  local ks_pid=$!
  ceph_up
  libvirt_up
  local ks_rc=0
  wait "$ks_pid" || ks_rc=$?
  cat "$ks_log" >&2
  [ $ks_rc = 0 ] && [ -f "$KS_DIR/bootstrapped" ] && keystone_ok || die "keystone failed to come up (exit $ks_rc)"
  glance_up
  log "up: ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms (state: $STATE)"
}

cmd_down() {
  [ -d "$STATE" ] || { log "down: no state at $STATE"; return 0; }
  mkdir -p "$RUN_DIR"
  if pid_alive libvirtd /usr/sbin/libvirtd; then
    if pid_alive ceph-mon /usr/bin/ceph-mon && pid_alive ceph-osd /usr/bin/ceph-osd; then
      guest_destroy --all
    else
      guest_stop_all
    fi
  fi
  openstack_down
  libvirt_down
  ceph_down
  pg_down
  rabbitmq_down
  log "down: stopped everything this stack started"
}

status_row() { printf '%-11s %-52s %-8s %s\n' "$1" "$2" "$([ -z "$3" ] && echo healthy || echo DOWN)" "$3"; }

cmd_status() {
  printf '%-11s %-52s %-8s %s\n' COMPONENT ENDPOINT HEALTH WHY
  local why
  why=""; port_open 127.0.0.1 5672 || why="nothing listens on 5672"
  status_row rabbitmq "amqp://127.0.0.1:5672" "$why"
  why=""; pg_ok || why="cannot log in as $PG_USER to $PG_DB"
  status_row postgresql "postgresql://127.0.0.1:5432/$PG_DB" "$why"
  if [ -f "$CEPH_CONF" ]; then ceph_status_line; else status_row ceph "-" "no cluster (run up)"; fi
  libvirt_status_line
  why=""; pid_alive keystone /usr/bin/uwsgi-core || why="uwsgi not running"
  [ -n "$why" ] || keystone_ok || why="$KS_URL does not answer"
  status_row keystone "$KS_URL" "$why"
  why=""; pid_alive glance-api /usr/bin/python3.11 || why="glance-api not running"
  [ -n "$why" ] || glance_ok || why="$GL_URL/versions does not answer"
  status_row glance "$GL_URL" "$why"
}

# One table of agent settings; env names are derived the way Quarkus maps
# environment variables back to properties.
agent_properties() {
  cat <<PROPS
snapshot.host=$(hostname)
snapshot.libvirt.uri=qemu:///system
snapshot.libvirt.snapshots-directory=$STATE/snapshots
snapshot.rbd.ceph-conf=$CEPH_CONF
snapshot.rbd.user=nova
snapshot.rbd.pool=vms
snapshot.rbd.images-pool=images
snapshot.rbd.secret-uuid=$(state_value ceph-secret-uuid uuid)
snapshot.keystone.auth-url=$KS_URL
snapshot.keystone.username=nova
snapshot.keystone.password=$(state_value nova-password)
snapshot.keystone.project-name=service
snapshot.keystone.user-domain-name=Default
snapshot.keystone.project-domain-name=Default
snapshot.keystone.region-name=RegionOne
snapshot.glance.endpoint-interface=public
quarkus.datasource.jdbc.url=jdbc:postgresql://127.0.0.1:5432/$PG_DB
quarkus.datasource.username=$PG_USER
quarkus.datasource.password=$(state_value pg-password)
rabbitmq-host=127.0.0.1
rabbitmq-port=5672
rabbitmq-username=guest
rabbitmq-password=guest
PROPS
}

cmd_env() {
  [ -d "$STATE/secrets" ] || die "no stack state at $STATE: run 'deploy/local/stack.sh up' first"
  if [ "${1:-}" = --properties ]; then agent_properties; return; fi
  agent_properties | while IFS='=' read -r k v; do
    printf "export %s='%s'\n" "$(echo "$k" | tr 'a-z.-' 'A-Z__')" "$v"
  done
}

cmd_stop() {
  case "${1:-}" in
    ceph-mon|ceph-mgr|ceph-osd) stop_pid "$1" "/usr/bin/$1" ;;
    libvirtd) stop_pid libvirtd /usr/sbin/libvirtd ;;
    keystone) stop_pid keystone /usr/bin/uwsgi-core ;;
    glance-api) stop_pid glance-api /usr/bin/python3.11 ;;
    postgresql)
      # the machine's own cluster: "up" starts it again and still leaves it to the machine
      [ -f "$RUN_DIR/postgresql.started-by-stack" ] || touch "$RUN_DIR/postgresql.machine-owned"
      pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main stop -m fast ;;
    *) die "stop: one of ceph-mon ceph-mgr ceph-osd libvirtd keystone glance-api postgresql" ;;
  esac
}

cmd_guest() {
  mkdir -p "$RUN_DIR"
  case "${1:-}" in
    create) shift; guest_create "$@" ;;
    list) guest_list ;;
    start) shift; guest_start "$@" ;;
    destroy) shift; guest_destroy "$@" ;;
    *) guest_usage ;;
  esac
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) shift; cmd_env "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  guest) shift; cmd_guest "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

# Single-node Ceph: one mon, one mgr, one bluestore OSD on a sparse file.
# Every path lives under $CEPH_DIR; /etc/ceph is never touched.

CEPH_DIR="$STATE/ceph"
CEPH_CONF="$CEPH_DIR/ceph.conf"
CEPH_POOLS="vms images"
# Clients the stack provides (see docs/local-stack.md):
#   nova             rbd on vms and images (the normal direct-snapshot setup)
#   nova-restricted  rbd on vms, read-only on images (nova's Forbidden case)
#   glance           rbd on images (Glance's rbd store)
CEPH_CLIENTS="admin nova nova-restricted glance"

ceph_cli() { timeout 20 ceph -c "$CEPH_CONF" --connect-timeout 10 "$@"; }

ceph_write_conf() {
  local fsid=$1
  mkdir -p "$CEPH_DIR"/{run,log,mon,mgr,osd/ceph-0}
  cat > "$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
keyring = $CEPH_DIR/\$name.keyring
run_dir = $CEPH_DIR/run
admin_socket = $CEPH_DIR/run/\$name.asok
log_file = $CEPH_DIR/log/\$name.log
pid_file = $CEPH_DIR/run/\$name.pid
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
paxos_propose_interval = 0.05
mgr_initial_modules = iostat
rbd_default_features = 1

[mon]
mon_data = $CEPH_DIR/mon/ceph-\$id
mon_allow_pool_delete = true

[mgr]
mgr_data = $CEPH_DIR/mgr/ceph-\$id
keyring = $CEPH_DIR/mgr/ceph-\$id/keyring

[osd]
osd_data = $CEPH_DIR/osd/ceph-\$id
keyring = $CEPH_DIR/osd/ceph-\$id/keyring
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = ${SNAPSHOT_STACK_OSD_SIZE:-20G}
bdev_aio_poll_ms = 20
osd_memory_target = 1073741824
CONF
}

# Keys are made up front and imported into the mon's initial keyring,
# so no "ceph auth" round trips are needed later.
ceph_make_keys() {
  ceph_make_keys_ >/dev/null
}
ceph_make_keys_() {
  local mk="$CEPH_DIR/mon.keyring"
  ceph-authtool -C "$mk" -g -n mon. --cap mon 'allow *'
  ceph-authtool -C "$CEPH_DIR/client.admin.keyring" -g -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *'
  ceph-authtool -C "$CEPH_DIR/client.nova.keyring" -g -n client.nova \
    --cap mon 'profile rbd' --cap mgr 'profile rbd' \
    --cap osd 'profile rbd pool=vms, profile rbd pool=images'
  ceph-authtool -C "$CEPH_DIR/client.nova-restricted.keyring" -g -n client.nova-restricted \
    --cap mon 'profile rbd' --cap mgr 'profile rbd' \
    --cap osd 'profile rbd pool=vms, profile rbd-read-only pool=images'
  ceph-authtool -C "$CEPH_DIR/client.glance.keyring" -g -n client.glance \
    --cap mon 'profile rbd' --cap mgr 'profile rbd' --cap osd 'profile rbd pool=images'
  mkdir -p "$CEPH_DIR/mgr/ceph-x" "$CEPH_DIR/osd/ceph-0"
  ceph-authtool -C "$CEPH_DIR/mgr/ceph-x/keyring" -g -n mgr.x \
    --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *'
  ceph-authtool -C "$CEPH_DIR/osd/ceph-0/keyring" -g -n osd.0 \
    --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *'
  local k
  for k in client.admin client.nova client.nova-restricted client.glance; do
    ceph-authtool "$mk" --import-keyring "$CEPH_DIR/$k.keyring"
  done
  ceph-authtool "$mk" --import-keyring "$CEPH_DIR/mgr/ceph-x/keyring"
  ceph-authtool "$mk" --import-keyring "$CEPH_DIR/osd/ceph-0/keyring"
  chmod 600 "$CEPH_DIR"/*.keyring
}

ceph_bootstrap() {
  log "ceph: creating a new cluster in $CEPH_DIR"
  rm -rf "$CEPH_DIR"
  local fsid osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  ceph_write_conf "$fsid"
  ceph_make_keys
  echo "$osd_uuid" > "$CEPH_DIR/osd-uuid"
  # the OSD's mkfs needs no mon: run it while the mon is being made
  ceph-osd -c "$CEPH_CONF" --no-mon-config -i 0 --mkfs --osd-uuid "$osd_uuid" \
    >>"$CEPH_DIR/log/mkfs-osd.log" 2>&1 &
  local mkfs_pid=$!
  monmaptool --create --fsid "$fsid" --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' \
    "$CEPH_DIR/monmap" >/dev/null
  ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/mon.keyring" \
    >>"$CEPH_DIR/log/mkfs-mon.log" 2>&1 || die "ceph-mon --mkfs failed: $CEPH_DIR/log/mkfs-mon.log"
  wait "$mkfs_pid" || die "ceph-osd --mkfs failed: $CEPH_DIR/log/mkfs-osd.log"
  ceph_start_mon
  ceph_start_mgr
  ceph_cli osd new "$osd_uuid" 0 >/dev/null || die "ceph osd new failed"
  ceph_start_osd
  wait_for 60 "osd up" ceph_osd_up || die "the OSD did not come up: $CEPH_DIR/log/osd.0.log"
  local p
  for p in $CEPH_POOLS; do
    ceph_cli osd pool create "$p" 8 8 >/dev/null
    timeout 30 rbd -c "$CEPH_CONF" pool init "$p"
  done
  touch "$CEPH_DIR/bootstrapped"
}

ceph_osd_up() { ceph_cli osd stat -f json | grep -q '"num_up_osds":1'; }

ceph_start_mon() {
  pid_alive ceph-mon /usr/bin/ceph-mon && return 0
  spawn ceph-mon "$CEPH_DIR/log/mon.stdout" ceph-mon -f -c "$CEPH_CONF" -i a
  wait_for 30 "mon" port_open 127.0.0.1 3300 || die "ceph-mon did not listen: $CEPH_DIR/log/mon.a.log"
}
ceph_start_mgr() {
  pid_alive ceph-mgr /usr/bin/ceph-mgr && return 0
  spawn ceph-mgr "$CEPH_DIR/log/mgr.stdout" ceph-mgr -f -c "$CEPH_CONF" -i x
}
ceph_start_osd() {
  pid_alive ceph-osd /usr/bin/ceph-osd && return 0
  spawn ceph-osd "$CEPH_DIR/log/osd.stdout" ceph-osd -f -c "$CEPH_CONF" -i 0
}

ceph_up() {
  if [ ! -f "$CEPH_DIR/bootstrapped" ]; then
    ceph_bootstrap
    return
  fi
  local started=0
  pid_alive ceph-mon /usr/bin/ceph-mon || { ceph_start_mon; started=1; }
  pid_alive ceph-mgr /usr/bin/ceph-mgr || { ceph_start_mgr; started=1; }
  pid_alive ceph-osd /usr/bin/ceph-osd || { ceph_start_osd; started=1; }
  if [ $started = 1 ]; then
    wait_for 60 "osd up" ceph_osd_up || die "the OSD did not come up: $CEPH_DIR/log/osd.0.log"
  fi
}

ceph_down() {
  stop_pid ceph-osd /usr/bin/ceph-osd
  stop_pid ceph-mgr /usr/bin/ceph-mgr
  stop_pid ceph-mon /usr/bin/ceph-mon
}

ceph_fsid() { awk '/^fsid/ {print $3}' "$CEPH_CONF"; }
ceph_key() { awk '/key = / {print $3}' "$CEPH_DIR/client.$1.keyring"; }

ceph_status_line() {
  local why=""
  if ! pid_alive ceph-mon /usr/bin/ceph-mon; then why="ceph-mon not running"
  elif ! pid_alive ceph-osd /usr/bin/ceph-osd; then why="ceph-osd not running"
  elif ! pid_alive ceph-mgr /usr/bin/ceph-mgr; then why="ceph-mgr not running"
  elif ! ceph_osd_up; then why="OSD not up"
  else why=""
  fi
  status_row ceph "127.0.0.1:3300 (conf $CEPH_CONF)" "$why"
}

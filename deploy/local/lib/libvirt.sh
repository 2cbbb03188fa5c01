# libvirtd (monolithic, Debian 12) with QEMU/TCG, private config and logs.
# The system driver only reads /etc/libvirt/qemu.conf: the original is kept
# in the state dir and put back by "down".

LV_DIR="$STATE/libvirt"
LV_MARK="# managed by snapshot-agent deploy/local/stack.sh"
LV_SECRET_UUID_FILE="$LV_DIR/ceph-secret-uuid"

libvirt_qemu_conf() {
  mkdir -p "$LV_DIR"
  if ! grep -qF "$LV_MARK" /etc/libvirt/qemu.conf 2>/dev/null; then
    cp -p /etc/libvirt/qemu.conf "$LV_DIR/qemu.conf.orig"
  fi
  cat > /etc/libvirt/qemu.conf.new <<CONF
$LV_MARK
# original saved in $LV_DIR/qemu.conf.orig
stdio_handler = "file"
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
CONF
  if ! cmp -s /etc/libvirt/qemu.conf.new /etc/libvirt/qemu.conf; then
    mv /etc/libvirt/qemu.conf.new /etc/libvirt/qemu.conf
  else
    rm -f /etc/libvirt/qemu.conf.new
  fi
}

libvirt_restore_qemu_conf() {
  if [ -f "$LV_DIR/qemu.conf.orig" ] && grep -qF "$LV_MARK" /etc/libvirt/qemu.conf 2>/dev/null; then
    cp -p "$LV_DIR/qemu.conf.orig" /etc/libvirt/qemu.conf
  fi
}

libvirt_ok() { timeout 10 virsh -q -c qemu:///system version >/dev/null 2>&1; }

libvirt_up() {
  if pid_alive libvirtd /usr/sbin/libvirtd && libvirt_ok; then
    libvirt_ceph_secret
    return 0
  fi
  libvirt_qemu_conf
  cat > "$LV_DIR/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 0
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:$LV_DIR/libvirtd.log"
CONF
  # a libvirtd left over from an earlier state dir would hold the socket
  if [ -s /run/libvirtd.pid ] && kill -0 "$(cat /run/libvirtd.pid)" 2>/dev/null \
     && ! pid_alive libvirtd /usr/sbin/libvirtd; then
    die "a libvirtd not started by this stack is running (pid $(cat /run/libvirtd.pid)); stop it first"
  fi
  rm -f "$RUN_DIR/libvirtd.pid"
  libvirtd --daemon --config "$LV_DIR/libvirtd.conf" --pid-file "$RUN_DIR/libvirtd.pid" \
    >>"$LV_DIR/libvirtd.stdout" 2>&1 || die "libvirtd failed to start: $LV_DIR/libvirtd.log"
  wait_for 60 libvirtd libvirt_ok || die "libvirtd does not answer: $LV_DIR/libvirtd.log"
  libvirt_ceph_secret
}

# The RBD guests authenticate as client.nova through a libvirt secret.
# Its value is set again on every start since a new cluster has new keys.
libvirt_ceph_secret() {
  [ -f "$CEPH_DIR/client.nova.keyring" ] || return 0
  if [ "$(cat "$LV_DIR/secret.value" 2>/dev/null)" = "$(ceph_key nova)" ] \
     && virsh -q -c qemu:///system secret-get-value "$(state_value ceph-secret-uuid uuid)" >/dev/null 2>&1; then
    return 0
  fi
  local uuid
  uuid=$(state_value ceph-secret-uuid uuid)
  cat > "$LV_DIR/secret.xml" <<XML
<secret ephemeral='no' private='no'>
  <uuid>$uuid</uuid>
  <usage type='ceph'><name>client.nova secret $uuid</name></usage>
</secret>
XML
  virsh -q -c qemu:///system secret-define "$LV_DIR/secret.xml" >/dev/null
  ceph_key nova > "$LV_DIR/secret.value"
  chmod 600 "$LV_DIR/secret.value"
  virsh -q -c qemu:///system secret-set-value --secret "$uuid" --file "$LV_DIR/secret.value" >/dev/null
}

libvirt_down() {
  stop_pid libvirtd /usr/sbin/libvirtd
  libvirt_restore_qemu_conf
}

libvirt_status_line() {
  local why=""
  if ! pid_alive libvirtd /usr/sbin/libvirtd; then why="libvirtd not running (started by this stack)"
  elif ! libvirt_ok; then why="qemu:///system does not answer"
  fi
  status_row libvirt "qemu:///system" "$why"
}
